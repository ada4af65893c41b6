"""Reader of the published 2010 leefloon table (``social_assistance/leefloon_ocmw_2010.csv``).

The table (POD Maatschappelijke Integratie, as published in table 2.4 of the 2012 HIVA-KU
Leuven / OSE study; ``../shared/data/social_assistance/README.md``) gives, for the 30 OCMWs with
more than 1,000 recipients in 2010, the number of leefloon recipients and the shares of
Belgians, non-EU and EU nationals (percent, rounded to 0.1). ``nis_code`` is the municipality
code of the 1977–2018 layout (= the 2010 Statbel population files), so the figures are stored
at ``municipality/2018``.

What is stored (``measures``, period ``2010``, unit in brackets):

* ``ocmw_recipients:leefloon:T:total`` total/total — the published total (persons);
* ``ocmw_share:leefloon:T:total`` for ``eu_status/belgian|non_eu|eu`` and ``nationality/BEL|ETR``
  — the published shares (%), ``ETR`` being the published ``pct_non_belgian``;
* ``ocmw_recipients_est:leefloon:T:total`` for the same groups — **estimates** (total ×
  share / 100, unrounded persons): the shares are rounded to 0.1 %, so a derived count may be off
  by up to 0.05 % of the total (4 persons for Antwerpen). The measure name (``_est``), its
  definition ("ESTIMATE"), the batch warnings and every output showing them mark them as
  estimates.

Provenance (``provenance``): source ``social_assistance/leefloon_ocmw_2010``, the file's SHA-256,
reference date ``2010``, publisher, licence, open data. ``aankomst build`` recognises the file
(:data:`RECOGNISERS`, family ``leefloon_ocmw``); ``aankomst ocmw load FILE`` reads it with the
same reader (same source id, so loading it twice replaces it) and also checks the names against
the atlas (:func:`check_names`).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from aankomst.errors import InputError, InputProblem
from aankomst.sources.base import Recogniser, sha256_file
from aankomst.sources.ocmw_figures import measure_defs, measure_key
from aankomst.store.batch import ROW_COLUMN, LoadBatch

COLUMNS = ["region", "nis_code", "ocmw_nl", "ocmw_fr", "year", "recipients_total", "pct_belgian",
           "pct_non_eu", "pct_eu", "pct_non_belgian"]
"""Columns of the published table, in order."""

FAMILY = "leefloon_ocmw"
TOLERANCE = 0.25
"""Largest allowed gap (percentage points) between shares that must add up (rounding to 0.1)."""

_REGIONS = {"VLA": "02000", "BRU": "04000", "WAL": "03000"}
_REGION_DIGIT = {"VLA": "1234", "BRU": "2", "WAL": "56789"}


def sniff(path: Path) -> bool:
    """Whether the first line of ``path`` is the header of the published table."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            head = fh.readline().strip()
    except (OSError, UnicodeDecodeError):
        return False
    return [c.strip() for c in head.split(",")] == COLUMNS


def _number(raw: str, path: str, row: int, col: str, problems: list[InputProblem], *,
            whole: bool = False, lo: float = 0.0, hi: float | None = None) -> float | None:
    text = raw.strip().replace(" ", "")
    expected = ("a whole number" if whole else "a number with a decimal point") + (
        f" from {lo:g} to {hi:g}" if hi is not None else f" of at least {lo:g}")
    try:
        v = float(text)
    except ValueError:
        problems.append(InputProblem(path, row, col, f"value {raw!r} is not a number", expected))
        return None
    if (whole and not v.is_integer()) or v < lo or (hi is not None and v > hi):
        problems.append(InputProblem(path, row, col, f"value {raw!r} is out of range", expected))
        return None
    return v


def read_leefloon_table(path: str | Path) -> list[LoadBatch]:
    """Read and validate the published table; one batch (all rows or an error).

    Parameters
    ----------
    path
        ``leefloon_ocmw_2010.csv`` (UTF-8, comma-separated, header :data:`COLUMNS`).

    Returns
    -------
    list of LoadBatch
        One open-data batch with ``measures`` at ``municipality/2018`` and the measure
        definitions.

    Raises
    ------
    InputError
        Listing up to 20 problems, each with file, row (header = row 1), column, the bad value
        and what was expected: a wrong header, a NIS code that is not five digits or lies in
        another region than the ``region`` column, a duplicate OCMW, recipients that are not a
        positive whole number, shares outside 0–100 or that do not add up (Belgian + non-Belgian
        = 100; non-EU + EU = non-Belgian, within :data:`TOLERANCE`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "leefloon_ocmw_2010.csv"
    >>> _ = p.write_text(",".join(COLUMNS) + "\\n"
    ...                  "VLA,11002,Antwerpen,Anvers,2010,8303,62.1,30.9,7.0,37.9\\n")
    >>> m = read_leefloon_table(p)[0].tables["measures"]
    >>> float(m[(m.code == "11002") & (m.scheme == "total")].value.iloc[0])
    8303.0
    """
    path = Path(path)
    p = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(p, f"the file is not UTF-8 text (byte {exc.start})",
                         expected="the published table saved as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    if not rows or [c.strip() for c in rows[0]] != COLUMNS:
        raise InputError(p, f"header {rows[0] if rows else []!r} is not the published table's",
                         row=1, expected=",".join(COLUMNS))
    problems: list[InputProblem] = []
    out: list[tuple[int, str, str, float, dict[str, float | None]]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        if len(raw) != len(COLUMNS):
            problems.append(InputProblem(p, i, None, f"{len(raw)} fields instead of {len(COLUMNS)}",
                                         ",".join(COLUMNS)))
            continue
        r = dict(zip(COLUMNS, (c.strip() for c in raw)))
        region = r["region"]
        if region not in _REGIONS:
            problems.append(InputProblem(p, i, "region", f"region {region!r} is unknown",
                                         "VLA, BRU or WAL"))
        code = r["nis_code"]
        if not re.fullmatch(r"\d{5}", code):
            problems.append(InputProblem(p, i, "nis_code", f"NIS code {code!r} is not five digits",
                                         "a municipality code of the 1977–2018 layout, e.g. 11002"))
        elif region in _REGION_DIGIT and code[0] not in _REGION_DIGIT[region]:
            problems.append(InputProblem(p, i, "nis_code",
                                         f"NIS code {code!r} does not lie in region {region}",
                                         f"a code starting with one of {_REGION_DIGIT[region]}"))
        elif code in seen:
            problems.append(InputProblem(p, i, "nis_code",
                                         f"OCMW {code} occurs twice (also on row {seen[code]})",
                                         "one row per OCMW and year"))
        else:
            seen[code] = i
        year = _number(r["year"], p, i, "year", problems, whole=True, lo=1990, hi=2100)
        total = _number(r["recipients_total"], p, i, "recipients_total", problems, whole=True, lo=1)
        pct = {c: _number(r[c], p, i, c, problems, lo=0, hi=100)
               for c in ("pct_belgian", "pct_non_eu", "pct_eu", "pct_non_belgian")}
        if None in pct.values() or total is None or year is None:
            continue
        gap1 = pct["pct_belgian"] + pct["pct_non_belgian"] - 100.0  # type: ignore[operator]
        gap2 = pct["pct_non_eu"] + pct["pct_eu"] - pct["pct_non_belgian"]  # type: ignore[operator]
        if abs(gap1) > TOLERANCE:
            problems.append(InputProblem(
                p, i, "pct_non_belgian",
                f"pct_belgian {r['pct_belgian']} + pct_non_belgian {r['pct_non_belgian']} = "
                f"{100 + gap1:.1f}, not 100", f"shares adding up to 100 (±{TOLERANCE})"))
        if abs(gap2) > TOLERANCE:
            problems.append(InputProblem(
                p, i, "pct_eu",
                f"pct_non_eu {r['pct_non_eu']} + pct_eu {r['pct_eu']} = {pct['pct_non_belgian']+gap2:.1f}, "  # type: ignore[operator]
                f"not pct_non_belgian {r['pct_non_belgian']}",
                f"non-EU + EU = non-Belgian (±{TOLERANCE})"))
        out.append((i, code, str(int(year)), float(total), pct))
    if problems:
        raise InputError(p, problems[0].message, problems=problems[:20])
    if not out:
        raise InputError(p, "the table has no data rows", row=2, expected="one row per OCMW")
    recs = []
    shares = {("eu_status", "belgian"): "pct_belgian", ("eu_status", "non_eu"): "pct_non_eu",
              ("eu_status", "eu"): "pct_eu", ("nationality", "BEL"): "pct_belgian",
              ("nationality", "ETR"): "pct_non_belgian"}
    tot_key = measure_key("recipients", "leefloon")
    share_key = measure_key("share", "leefloon")
    est_key = measure_key("recipients_est", "leefloon")
    for row, nis, per, n, shares_of in out:
        base = ("municipality", "2018", nis)
        recs.append((*base, tot_key, per, "total", "total", n, "persons", row))
        for (sch, grp), col in shares.items():
            share = float(shares_of[col] or 0.0)
            recs.append((*base, share_key, per, sch, grp, share, "%", row))
            recs.append((*base, est_key, per, sch, grp, n * share / 100.0, "persons", row))
    meas = pd.DataFrame(recs, columns=["level", "layout", "code", "measure", "period", "scheme",
                                       "grp", "value", "unit", ROW_COLUMN])
    years = sorted(set(meas["period"]))
    warn = ("counts per nationality group (ocmw_recipients_est) are ESTIMATES: published total × "
            "published share, the shares being rounded to 0.1 % (up to 0.05 % of the total off); "
            "the table covers only the 30 OCMWs with more than 1,000 recipients")
    return [LoadBatch(
        source_id=f"social_assistance/{path.stem}", family=FAMILY, path=p, sha256=sha256_file(path),
        tables={"measures": meas, "measure_defs": measure_defs(set(meas["measure"]))},
        title=f"Leefloon recipients per OCMW by nationality group ({', '.join(years)})",
        publisher="POD Maatschappelijke Integratie (via HIVA-KU Leuven / OSE 2012, table 2.4)",
        reference_date=", ".join(years), licence="published table (converted)", privacy="open",
        rows_read=len(out), warnings=[warn])]


def check_names(names: pd.DataFrame, path: str | Path) -> None:
    """Check that every OCMW of the table carries the atlas name of its NIS code.

    Parameters
    ----------
    names
        ``code, name_nl, name_fr`` of the atlas municipalities (layout 2018).
    path
        The table (to re-read the names).

    Raises
    ------
    InputError
        For a code unknown to the atlas or whose atlas names are neither ``ocmw_nl`` nor
        ``ocmw_fr`` of the row (a shifted or mistyped code), naming both.
    """
    def norm(s: str) -> str:
        import unicodedata

        s = unicodedata.normalize("NFKD", str(s)).encode("ascii", "ignore").decode().lower()
        return re.sub(r"[^a-z]", "", s)

    known = {str(r.code): (norm(r.name_nl), norm(r.name_fr)) for r in names.itertuples(index=False)}
    problems = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh), start=2):
            code = (r.get("nis_code") or "").strip()
            if not code:
                continue
            if code not in known:
                problems.append(InputProblem(str(path), i, "nis_code",
                                             f"NIS code {code!r} is not a municipality of the 2018 "
                                             "layout in the atlas",
                                             "a code of the 2010 Statbel population files"))
                continue
            mine = {norm(r.get("ocmw_nl", "")), norm(r.get("ocmw_fr", ""))}
            if not mine & set(known[code]):
                problems.append(InputProblem(
                    str(path), i, "nis_code",
                    f"NIS code {code!r} is {names.set_index('code').loc[code, 'name_nl']!r} in the "
                    f"atlas, but the row names {r.get('ocmw_nl')!r} / {r.get('ocmw_fr')!r}",
                    "the NIS code of the OCMW named on the row"))
    if problems:
        raise InputError(str(path), problems[0].message, problems=problems[:20])


RECOGNISERS: tuple[Recogniser, ...] = (
    Recogniser(FAMILY, ("leefloon_ocmw_*.csv",), read_leefloon_table, sniff,
               "Leefloon recipients per OCMW by Belgian / non-EU / EU (POD MI, published table 2010)",
               order=60, expected="','-separated UTF-8 text with the header " + ",".join(COLUMNS)),
)
"""The recogniser of the published table (registered in :func:`aankomst.sources.catalogue.recognisers`)."""
