"""``aankomst ocmw load``: recognise an OCMW input, validate it, write it in one transaction.

Three inputs are accepted (``docs/ocmw.md``):

1. the published 2010 table ``leefloon_ocmw_2010.csv`` (:mod:`aankomst.sources.leefloon`, also
   read by ``aankomst build``);
2. aggregated counts in the documented CSV format (:mod:`.counts`);
3. a person-level client extract folder (:mod:`.extract`), aggregated by :mod:`.aggregate` on
   a private in-memory DuckDB connection. **Only aggregates leave this module**: the batch
   written to the atlas holds ``measures`` rows (counts per OCMW, period, group, sex and age;
   medians with their number of spells), marked ``privacy = 'restricted'``.

Every load is all-or-nothing: any problem raises :class:`~aankomst.errors.InputError` before the
atlas is touched, and :meth:`Atlas.load` writes the batch in one transaction.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from aankomst.errors import InputError
from aankomst.store.batch import LoadBatch

OCMW_LAYOUTS = ("2018", "2024", "2025")
SECTOR_LAYOUTS = ("2019", "2024", "2025", "2011", "2001")
SUB_LEVELS = (("sector", None), ("neighbourhood", "2024"), ("neighbourhood", "2025"),
              ("deelgemeente", "2024"), ("brussels_neighbourhood", "monitor"))


@dataclass
class OcmwLoadResult:
    """What a load did: source id, family, rows written, periods, warnings, small cells."""

    source_id: str
    family: str
    rows: int
    periods: list[str]
    warnings: list[str] = field(default_factory=list)
    small_cells: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def load(path: str | Path, atlas: Any, *, register: str | Path | None = None,
         privacy: str = "open", months: bool = True, source_id: str | None = None) -> OcmwLoadResult:
    """Load an OCMW input into ``atlas`` (one transaction).

    Parameters
    ----------
    path
        The published table, an aggregated-counts CSV, or an extract folder.
    atlas
        An open, writable :class:`~aankomst.store.atlas.Atlas` (built with ``aankomst build``,
        so that OCMW codes and sectors can be checked).
    register
        Register extract folder linked by ``person_id`` (extracts only): origin and arrival cohort.
    privacy
        For aggregated counts: ``open`` (published) or ``restricted``. Extracts are always
        restricted.
    months
        Extracts only: also write monthly recipients, inflow and outflow.
    source_id
        Provenance id (default ``ocmw/<file or folder name>``).

    Returns
    -------
    OcmwLoadResult

    Raises
    ------
    InputError
        An unrecognised input, or problems in it (file, row, column, value, expected).

    Examples
    --------
    >>> import aankomst
    >>> atlas = aankomst.open("atlas.duckdb")  # doctest: +SKIP
    >>> load("../shared/data/social_assistance/leefloon_ocmw_2010.csv", atlas).rows  # doctest: +SKIP
    331
    """
    from aankomst.ocmw import counts
    from aankomst.sources import leefloon as published

    p = Path(path)
    t0 = time.perf_counter()
    if p.is_dir():
        return load_extract(p, atlas, register=register, months=months, source_id=source_id)
    if not p.exists():
        raise InputError(str(p), "no such file or folder",
                         expected="leefloon_ocmw_2010.csv, an OCMW counts CSV or an extract folder")
    if register is not None:
        raise InputError(str(p), "--register applies to person-level extracts only",
                         expected="an extract folder (clients, episodes, manifest.json) with --register")
    if published.sniff(p):
        batches = published.read_leefloon_table(p)
        names = atlas.query("SELECT code, name_nl, name_fr FROM areas WHERE level = 'municipality' "
                            "AND layout = '2018'")
        if len(names):
            published.check_names(names, p)
    elif counts.sniff(p):
        batches = counts.read_counts(p, privacy=privacy)
    else:
        from aankomst.sources._util import first_line

        raise InputError(str(p), f"not an OCMW input: the first line is {first_line(p)[:100]!r}", row=1,
                         expected="the published table (header " + ",".join(published.COLUMNS[:4])
                         + ",…), a counts CSV with the columns " + ", ".join(counts.REQUIRED)
                         + ", or an extract folder (docs/ocmw.md)")
    if source_id:
        for b in batches:
            b.source_id = source_id
    summ = atlas.load(batches)
    b = batches[0]
    meas = b.tables["measures"]
    return OcmwLoadResult(b.source_id, b.family, int(summ[0].rows), sorted(set(meas["period"])),
                          list(b.warnings), 0, {"total": time.perf_counter() - t0})


def _layout_of(atlas: Any, level: str, codes: list[str], layouts: tuple[str, ...]
               ) -> tuple[str | None, list[str]]:
    """The first layout of ``level`` holding every code (``layouts`` first, then the atlas's
    other layouts of the level), and its codes (or ``None``)."""
    best: tuple[str | None, list[str], int] = (None, [], -1)
    more = [r[0] for r in atlas.con.execute("SELECT DISTINCT layout FROM areas WHERE level = ? ORDER BY 1",
                                            [level]).fetchall() if r[0] not in layouts]
    for ly in (*layouts, *more):
        known = atlas.query("SELECT code FROM areas WHERE level = ? AND layout = ?", [level, ly])["code"]
        have = set(known.astype(str))
        if not have:
            continue
        n = sum(c in have for c in codes)
        if n == len(codes):
            return ly, sorted(have)
        if n > best[2]:
            best = (ly, sorted(have), n)
    return None, best[1]


def _sector_levels(atlas: Any, layout: str, sectors: list[str]) -> pd.DataFrame:
    """``sector, level, layout, code``: the sub-municipal areas the sectors lie in whole."""
    from aankomst.indicators._store import Store

    s = Store(atlas)
    frames = [pd.DataFrame({"sector": sectors, "level": "sector", "layout": layout, "code": sectors})]
    for lv, ly in SUB_LEVELS:
        if lv == "sector":
            continue
        m = s.code_map(("sector", layout), (lv, str(ly)))
        if m is None or m.empty:
            continue
        m = m[m["code"].isin(sectors) & ~m["split"].astype(bool)]
        frames.append(pd.DataFrame({"sector": m["code"], "level": lv, "layout": ly, "code": m["to_code"]}))
    return pd.concat(frames, ignore_index=True)


def _folder_sha(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(x for x in root.rglob("*") if x.is_file()):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def aggregate_extract(root: str | Path, atlas: Any, *, register: str | Path | None = None,
                      months: bool = True, memory_limit: str = "4GB") -> tuple[pd.DataFrame, dict[str, Any]]:
    """Validate and aggregate an extract; returns the atlas ``measures`` rows and information
    (``counts``, ``ocmw_layout``, ``sector_layout``, ``periods``, ``seconds``, ``linked``). The
    private DuckDB connection is limited to ``memory_limit`` and spills to the temp directory.

    Raises
    ------
    InputError
        Problems in the extract, OCMW or sector codes the atlas does not know.
    """
    import duckdb

    from aankomst.indicators._store import Store
    from aankomst.ocmw import aggregate as A
    from aankomst.ocmw.extract import create_tables, locate, validate
    from aankomst.ocmw.generate import read_params

    root = Path(root)
    secs: dict[str, float] = {}
    t = time.perf_counter()
    files = locate(root)
    con = duckdb.connect(":memory:")
    try:
        import tempfile

        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET temp_directory = ?", [tempfile.gettempdir() + "/aankomst_ocmw_spill"])
        create_tables(con, files)
        codes = [r[0] for r in con.execute("SELECT DISTINCT ocmw FROM episodes WHERE ocmw IS NOT NULL "
                                           "ORDER BY 1").fetchall()]
        wanted = files.manifest.get("ocmw_layout")
        ly, known = _layout_of(atlas, "municipality", codes,
                               (str(wanted),) if wanted else OCMW_LAYOUTS)
        if ly is None and not known:
            raise InputError(str(root), "the atlas has no municipalities to place the OCMWs",
                             expected="an atlas built with 'aankomst build' (or the demo)")
        sectors = [r[0] for r in con.execute("SELECT DISTINCT sector FROM episodes WHERE sector IS NOT NULL"
                                             ).fetchall()]
        sly, sknown = (_layout_of(atlas, "sector", sectors, SECTOR_LAYOUTS) if sectors else (None, []))
        known_codes = {"ocmw": known}
        if sectors:
            known_codes["sector"] = sknown
        counts = validate(con, files, known_codes)
        secs["validate"] = time.perf_counter() - t
        t = time.perf_counter()
        linked = A.attach_register(con, register)
        gap = int(read_params().scalars.get("spell_gap_days", 31))
        periods = A.prepare(con, files.extract_end, months=months, gap_days=gap)
        levelmap = _sector_levels(atlas, str(sly), sectors) if sectors and sly else None
        schemes = A.SCHEMES if linked else tuple(s for s in A.SCHEMES if s != "ocmw_origin")
        A.aggregate(con, str(ly), sectors=levelmap, schemes=schemes)
        out = con.execute("SELECT * FROM ocmw_out").df()
        s = Store(atlas)
        reg = s.code_map(("municipality", str(ly)), ("region", "2025"))
        parents = None
        if reg is not None and len(reg):
            reg = reg[~reg["split"].astype(bool)]
            parents = pd.DataFrame({"code": reg["code"], "level": "region", "layout": "2025",
                                    "parent": reg["to_code"]})
        med = A.medians(con, str(ly), parents, schemes=tuple(x for x in ("total", "nationality", "eu_status",
                                                                        "ocmw_origin") if x in schemes))
        secs["aggregate"] = time.perf_counter() - t
    finally:
        con.close()
    covered = [str(c) for c in files.manifest.get("ocmws", [])]
    bad = sorted(set(covered) - set(known))
    if bad:
        raise InputError(str(root / "manifest.json"), f"OCMW code(s) {bad[:5]} of 'ocmws' are unknown",
                         column="ocmws", expected=f"municipality codes of the {ly} layout")
    idle = sorted(set(covered) - set(out.loc[out["level"] == "municipality", "code"]))
    years = [p for p in periods if len(p) == 4]
    if idle and years:  # OCMWs of the extract without any client: zeros, so that sums are complete
        out = pd.concat([out, pd.DataFrame(
            [("municipality", str(ly), c, "ocmw_recipients:leefloon:T:total", y, "total", "total", 0.0,
              "persons") for c in idle for y in years], columns=out.columns)], ignore_index=True)
    med_rows = med.drop(columns=["spells"])
    spells = med[["level", "layout", "code", "measure", "period", "scheme", "grp", "spells"]]
    return pd.concat([out, med_rows], ignore_index=True), {
        "counts": counts, "ocmw_layout": ly, "sector_layout": sly, "periods": periods,
        "seconds": secs, "linked": linked, "median_spells": spells, "manifest": files.manifest}


def load_extract(root: str | Path, atlas: Any, *, register: str | Path | None = None,
                 months: bool = True, source_id: str | None = None) -> OcmwLoadResult:
    """Validate, aggregate and load a person-level extract (restricted; one transaction).

    The ``duration_median`` rows rest on few spells in small OCMWs: a median over fewer spells
    than the small-cell threshold is not stored at all.
    """
    from aankomst.ocmw import catalogue as K
    from aankomst.privacy import threshold

    root = Path(root)
    t0 = time.perf_counter()
    rows, info = aggregate_extract(root, atlas, register=register, months=months)
    thr = threshold(atlas)
    spells = info["median_spells"]
    is_med = rows["measure"].str.startswith("ocmw_duration_median:")
    keep_med = rows[is_med].merge(spells, on=["level", "layout", "code", "measure", "period", "scheme",
                                              "grp"], how="left")
    keep_med = keep_med[keep_med["spells"] >= thr].drop(columns="spells")
    rows = pd.concat([rows[~is_med], keep_med], ignore_index=True)
    t = time.perf_counter()
    man = info["manifest"]
    sid = source_id or f"ocmw/{root.resolve().name}"
    synthetic = bool(man.get("generator"))
    warnings = []
    if not info["linked"]:
        warnings.append("no register linked: origin (ocmw_origin) and arrival cohorts from the "
                        "register are not available; arrival cohorts use first_registration_date "
                        "of the clients table where given")
    small = int(((rows["unit"] != "months") & (rows["value"] >= 1) & (rows["value"] < thr)).sum())
    batch = LoadBatch(
        source_id=sid, family="ocmw_extract", path=str(root), sha256=_folder_sha(root),
        tables={"measures": rows, "measure_defs": K.measure_defs(set(rows["measure"]))},
        title=(f"Synthetic OCMW client extract (aankomst ocmw generate, seed {man.get('seed')})"
               if synthetic else f"OCMW client extract {root.name}"),
        publisher="synthetic (Aankomst)" if synthetic else "OCMW client files",
        reference_date=f"{info['periods'][0] if info['periods'] else ''}/{man.get('extract_end')}",
        licence="restricted: aggregates of person-level data", privacy="restricted",
        rows_read=int(sum(info["counts"].values())), warnings=warnings)
    summ = atlas.load([batch])
    secs = dict(info["seconds"])
    secs["write"] = time.perf_counter() - t
    secs["total"] = time.perf_counter() - t0
    return OcmwLoadResult(sid, "ocmw_extract", int(summ[0].rows),
                          sorted({p for p in info["periods"] if len(p) == 4}), batch.warnings, small, secs,
                          info["counts"])
