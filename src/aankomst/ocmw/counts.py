"""Reader of aggregated OCMW counts in the documented CSV format (``docs/ocmw.md`` §2).

One row per OCMW × period × measure × group × sex × age band::

    ocmw;period;measure;scheme;grp;sex;age_band;count
    11002;2023;leefloon;eu_status;non_eu;F;25-34;812
    11002;2023-05;leefloon;total;total;T;total;10412

* ``ocmw`` — municipality NIS code of the OCMW; ``layout`` (optional column) — its municipality
  layout, by default ``2018`` for periods before 2019, ``2024`` for 2019–2024 and ``2025`` after;
* ``period`` — a year ``YYYY`` or a month ``YYYY-MM``;
* ``measure`` — an id of ``data/ocmw/measures.csv``;
* ``statistic`` (optional column) — ``recipients`` (default), ``inflow`` or ``outflow``;
* ``scheme``/``grp`` — a group of ``data/ocmw/groups.csv`` (``total/total``,
  ``eu_status/non_eu`` …) or ``country/<ISO alpha-3>``;
* ``sex`` — ``T``, ``M`` or ``F``; ``age_band`` — ``total`` or a band of ``age_bands.csv``;
* ``count`` — persons (a non-negative whole number).

``,`` or ``;`` delimited (the header line decides), UTF-8 or Windows-1252. Validation names the
file, row, column, the bad value and what was expected; parts that are all present must add up to
their total (sexes to ``T``, bands to ``total``, groups to their parent group). Parent groups that
are missing are derived as sums of complete sets of parts (``nationality/ETR`` = EU + non-EU),
and the batch says so. Nothing is loaded when any row is wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.errors import InputError, InputProblem
from aankomst.store.batch import ROW_COLUMN, LoadBatch

REQUIRED = ["ocmw", "period", "measure", "scheme", "grp", "sex", "age_band", "count"]
OPTIONAL = ["statistic", "layout"]
FAMILY = "ocmw_counts"
PERIOD_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
COUNT_STATS = ("recipients", "inflow", "outflow")


def default_layout(period: str) -> str:
    """Municipality layout of an OCMW code in a period (the layout of that year's files).

    Examples
    --------
    >>> default_layout("2010"), default_layout("2021-03"), default_layout("2025")
    ('2018', '2024', '2025')
    """
    y = int(str(period)[:4])
    return "2018" if y < 2019 else ("2024" if y < 2025 else "2025")


def sniff(path: Path) -> bool:
    """Whether the header line of ``path`` has the required columns."""
    from aankomst.sources._util import detect_delimiter, first_line

    try:
        line = first_line(path)
    except (OSError, UnicodeDecodeError, InputError):  # unreadable: not ours
        return False
    sep = detect_delimiter(line, (",", ";")) or ","
    cols = {c.strip().strip('"').lower() for c in line.split(sep)}
    return set(REQUIRED) <= cols


def read_counts(path: str | Path, *, privacy: str = "open") -> list[LoadBatch]:
    """Read and validate an aggregated-counts CSV; one batch (all rows or an error).

    Parameters
    ----------
    path
        The CSV file (format in the module docstring and ``docs/ocmw.md``).
    privacy
        ``open`` (published figures, e.g. the federal barometer) or ``restricted`` (counts from
        the OCMW's own files: complementary suppression applies to everything derived).

    Returns
    -------
    list of LoadBatch
        One batch with ``measures`` (``ocmw_<statistic>:<measure>:<sex>:<age_band>``, unit
        persons) at ``municipality/<layout>`` and the measure definitions.

    Raises
    ------
    InputError
        With up to 20 problems (file, row, column, bad value, what was expected).

    Examples
    --------
    >>> b = read_counts("barometer_2023.csv")[0]  # doctest: +SKIP
    >>> sorted(b.tables["measures"]["scheme"].unique())  # doctest: +SKIP
    ['eu_status', 'nationality', 'total']
    """
    from aankomst.ocmw import catalogue as K
    from aankomst.sources._util import CSV_ENCODINGS, read_csv_text
    from aankomst.sources.base import sha256_file

    if privacy not in ("open", "restricted"):
        raise InputError(str(path), f"privacy {privacy!r} is unknown", expected="open or restricted")
    path = Path(path)
    p = str(path)
    df = read_csv_text(path, sep=(",", ";"), required=REQUIRED, encodings=CSV_ENCODINGS)
    df.columns = [c.lower() for c in df.columns]
    for c in REQUIRED + OPTIONAL:
        if c in df.columns:
            df[c] = df[c].fillna("").astype(str).str.strip()
    df = df[(df[[c for c in REQUIRED]] != "").any(axis=1)].copy()
    if "statistic" not in df.columns:
        df["statistic"] = "recipients"
    df.loc[df["statistic"] == "", "statistic"] = "recipients"
    problems: list[InputProblem] = []

    def bad(mask: pd.Series, col: str, msg: str, expected: str) -> None:
        for i in df.index[mask.to_numpy()][:20]:
            problems.append(InputProblem(p, int(df.at[i, ROW_COLUMN]), col,
                                         msg.format(v=df.at[i, col]), expected))

    bad(~df["ocmw"].str.fullmatch(r"\d{5}"), "ocmw", "OCMW code {v!r} is not a five-digit NIS code",
        "the municipality NIS code of the OCMW, e.g. 11002")
    bad(~df["period"].str.match(PERIOD_RE), "period", "period {v!r} is not a year or a month",
        "YYYY (a calendar year) or YYYY-MM (a month)")
    bad(~df["measure"].isin(K.measure_ids()), "measure", "measure {v!r} is unknown",
        "one of " + ", ".join(K.measure_ids()))
    bad(~df["statistic"].isin(COUNT_STATS), "statistic", "statistic {v!r} is unknown",
        ", ".join(COUNT_STATS))
    g = K.groups()
    known = set(zip(g["scheme"], g["grp"]))
    is_country = (df["scheme"] == "country") & df["grp"].str.fullmatch(r"[A-Z]{3}")
    ok_group = pd.Series([(s, x) in known for s, x in zip(df["scheme"], df["grp"])], index=df.index)
    bad(~(ok_group | is_country), "grp", "group {v!r} is unknown for its scheme",
        "a scheme/grp pair of data/ocmw/groups.csv (e.g. eu_status/non_eu) or country/<ISO alpha-3>")
    bad(~df["sex"].isin(K.SEXES), "sex", "sex {v!r} is not T, M or F", "T (all), M or F")
    bad(~df["age_band"].isin(["total", *K.age_band_ids()]), "age_band", "age band {v!r} is unknown",
        "total or one of " + ", ".join(K.age_band_ids()))
    cnt = pd.to_numeric(df["count"].str.replace(" ", ""), errors="coerce")
    bad(cnt.isna() | (cnt < 0) | (cnt != cnt.round()), "count",
        "count {v!r} is not a non-negative whole number", "a count of persons: 0, 1, 2, …")
    if "layout" in df.columns:
        bad(~df["layout"].isin(["", "2018", "2024", "2025"]), "layout", "layout {v!r} is unknown",
            "2018, 2024 or 2025 (or empty)")
    else:
        df["layout"] = ""
    if problems:
        raise InputError(p, problems[0].message, problems=problems[:20])
    df["count"] = cnt.astype(float)
    df.loc[df["layout"] == "", "layout"] = df.loc[df["layout"] == "", "period"].map(default_layout)
    keys = ["ocmw", "layout", "period", "statistic", "measure", "scheme", "grp", "sex", "age_band"]
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        rows = df.loc[dup, ROW_COLUMN].tolist()
        raise InputError(p, f"{int(dup.sum())} rows repeat one OCMW × period × statistic × measure × "
                         f"group × sex × age band (rows {rows[:6]})", row=int(rows[1]),
                         column="count", expected="one row per combination")
    _check_margins(df, keys, p)
    df, derived = _derive_parents(df, keys)
    meas = pd.DataFrame({
        "level": "municipality", "layout": df["layout"], "code": df["ocmw"],
        "measure": [K.measure_key(s, m, x, a) for s, m, x, a in
                    zip(df["statistic"], df["measure"], df["sex"], df["age_band"])],
        "period": df["period"], "scheme": df["scheme"], "grp": df["grp"],
        "value": df["count"].astype(float), "unit": "persons", ROW_COLUMN: df[ROW_COLUMN]})
    warnings = [f"{derived} count(s) of parent groups derived as sums of their parts "
                "(e.g. nationality/ETR = eu_status/eu + eu_status/non_eu)"] if derived else []
    periods = sorted(set(meas["period"]))
    return [LoadBatch(
        source_id=f"ocmw/{path.stem}", family=FAMILY, path=p, sha256=sha256_file(path),
        tables={"measures": meas, "measure_defs": K.measure_defs(set(meas["measure"]))},
        title=f"OCMW counts {path.name} ({periods[0]}–{periods[-1]})", publisher="user file",
        reference_date=f"{periods[0]}/{periods[-1]}", licence="", privacy=privacy,
        rows_read=len(df) - derived, warnings=warnings)]


def _relations(df: pd.DataFrame, keys: list[str]) -> list[tuple[str, pd.Series, pd.Series]]:
    """(dimension, parent label per row, own label per row) of the margins of the file."""
    from aankomst.ocmw import catalogue as K

    g = K.groups()
    parent = {(s, x): f"{ps}/{pg}" for s, x, ps, pg in
              zip(g["scheme"], g["grp"], g["parent_scheme"], g["parent_grp"]) if ps}
    grp_self = df["scheme"] + "/" + df["grp"]
    grp_par = pd.Series([parent.get((s, x)) if s != "country" else "nationality/ETR"
                         if x != "BEL" else "nationality/BEL"
                         for s, x in zip(df["scheme"], df["grp"])], index=df.index)
    sex_par = pd.Series("T", index=df.index, dtype=object).where(df["sex"] != "T", None)
    age_par = pd.Series("total", index=df.index, dtype=object).where(df["age_band"] != "total", None)
    return [("sex", sex_par, df["sex"]), ("age_band", age_par, df["age_band"]),
            ("group", grp_par, grp_self)]


def _check_margins(df: pd.DataFrame, keys: list[str], path: str) -> None:
    """Parts that are all present must add up to their total (per dimension)."""
    from aankomst.ocmw import catalogue as K

    g = K.groups()
    n_parts = g[g["parent_scheme"] != ""].groupby(["parent_scheme", "parent_grp", "scheme"]).size()
    problems = []
    for dim, par, own in _relations(df, keys):
        other = [k for k in keys if k not in ({"group": ["scheme", "grp"]}.get(dim, [dim]))]
        base = df.assign(_par=par, _own=own)
        kids = base[base["_par"].notna()]
        if kids.empty:
            continue
        agg = kids.groupby([*other, "_par", *(["scheme"] if dim == "group" else [])], dropna=False
                           ).agg(s=("count", "sum"), n=("count", "size"),
                                 row=(ROW_COLUMN, "min")).reset_index()
        if dim == "sex":
            agg["need"] = 2
        elif dim == "age_band":
            agg["need"] = len(K.age_band_ids())
        else:
            agg["need"] = [n_parts.get((*str(pp).split("/"), s), 10 ** 9)
                           for pp, s in zip(agg["_par"], agg["scheme"])]
        agg = agg[agg["n"] == agg["need"]]
        tot = base.assign(_key=base["_own"])
        m = agg.merge(tot[[*other, "_key", "count", ROW_COLUMN]].rename(
            columns={"_key": "_par", "count": "total", ROW_COLUMN: "trow"}), on=[*other, "_par"])
        for r in m[(m["s"] - m["total"]).abs() > 0.5].head(20).to_dict("records"):
            problems.append(InputProblem(
                path, int(r["trow"]), "count",
                f"total {int(r['total'])} of {dim} {r['_par']} does not equal the sum of its parts "
                f"({int(r['s'])}, rows from {int(r['row'])})", "a total equal to the sum of its parts"))
    if problems:
        raise InputError(path, problems[0].message, problems=problems[:20])


def _derive_parents(df: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, int]:
    """Add missing parent groups as sums of complete sets of parts (repeated up the tree)."""
    from aankomst.ocmw import catalogue as K

    g = K.groups()
    kids = g[g["parent_scheme"] != ""]
    other = [k for k in keys if k not in ("scheme", "grp")]
    added = 0
    for _ in range(4):
        have = set(zip(*(df[k] for k in [*other, "scheme", "grp"])))
        new = []
        for (ps, pg, sch), part in kids.groupby(["parent_scheme", "parent_grp", "scheme"]):
            need = set(part["grp"])
            sub = df[(df["scheme"] == sch) & df["grp"].isin(need)]
            if sub.empty:
                continue
            agg = sub.groupby(other).agg(count=("count", "sum"), n=("grp", "nunique")).reset_index()
            agg = agg[agg["n"] == len(need)].drop(columns="n")
            agg = agg[[tuple(r) + (ps, pg) not in have for r in agg[other].itertuples(index=False)]]
            if len(agg):
                new.append(agg.assign(scheme=ps, grp=pg, **{ROW_COLUMN: np.nan}))
        if not new:
            break
        add = pd.concat(new).drop_duplicates([*other, "scheme", "grp"])
        added += len(add)
        df = pd.concat([df, add], ignore_index=True)
    return df, added
