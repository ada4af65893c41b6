"""``aankomst register load``: validate an extract, aggregate it, write aggregates to the atlas.

Person-level rows never leave this process: DuckDB reads the extract's files into a private
in-memory connection, and only the aggregate tables (population, flows, measures) are turned
into batches with ``privacy='restricted'`` and written by :mod:`aankomst.register.write` (the
semantics of :meth:`Atlas.load`, straight from DuckDB; one transaction: a failed load leaves the
atlas as it was). Every figure
derived from a restricted source is published under the small-cell rule
(:mod:`aankomst.privacy`): the protection report returned here says how many cells the rule
suppresses at each level.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from aankomst.errors import AankomstError
from aankomst.register import aggregate as agg
from aankomst.register import levels as L
from aankomst.register.schema import create_views, locate, validate
from aankomst.register.write import write_batches
from aankomst.sources.base import LoadBatch


@dataclass
class RegisterLoadResult:
    """What a register load did."""

    source_id: str
    counts: dict[str, int]
    rows: dict[str, int]
    levels: list[str]
    warnings: list[str] = field(default_factory=list)
    protection: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _folder_sha(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(root)).encode())
        with open(f, "rb") as fh:
            while b := fh.read(1 << 22):
                h.update(b)
    return h.hexdigest()


def connect(memory_limit: str = "6GB", threads: int | None = None, temp_dir: str | None = None):
    """A private DuckDB connection for person-level work (spills to ``temp_dir`` when needed)."""
    import tempfile

    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET temp_directory = ?", [temp_dir or tempfile.gettempdir() + "/aankomst_duckdb_spill"])
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def read_geography(root: Path) -> pd.DataFrame | None:
    """The extract's ``geography.parquet`` (sector hierarchy), if present."""
    p = root / "geography.parquet"
    return pd.read_parquet(p) if p.exists() else None


def atlas_sectors(atlas, con) -> tuple[list[str], str | None, list[str] | None]:
    """The extract's address sectors (views of ``con``), the atlas sector layout holding them
    (:func:`~aankomst.register.levels.atlas_sector_layout`, or ``None``) and that layout's codes."""
    sectors = [r[0] for r in con.execute("SELECT DISTINCT sector FROM addresses").fetchall()]
    layout = L.atlas_sector_layout(atlas, sectors)
    if layout is None:
        return sectors, None, None
    known = atlas.query("SELECT code FROM areas WHERE level = 'sector' AND layout = ?", [layout])["code"].tolist()
    return sectors, layout, known


def aggregate_extract(root: str | Path, atlas=None, *, con=None, validate_input: bool = True,
                      years: tuple[int, int] | None = None) -> tuple:
    """Validate and aggregate an extract. Returns ``(con, levelmap, info)``; the aggregate temp
    tables ``reg_population``, ``reg_flows``, ``reg_measures`` live on ``con``."""
    from aankomst.register.params import country_groups

    root = Path(root)
    t = time.perf_counter()
    secs: dict[str, float] = {}
    files = locate(root)
    con = con or connect()
    create_views(con, files)
    geo = read_geography(root)
    manifest = json.loads((root / "manifest.json").read_text()) if (root / "manifest.json").exists() else {}
    sectors, layout, known = atlas_sectors(atlas, con)
    warnings: list[str] = []
    if layout is not None:
        levelmap, warnings = L.from_atlas(atlas, sectors, layout)
    elif geo is not None:
        known = geo["sector"].astype(str).tolist()
        layout = str(manifest.get("sector_layout") or "register")
        levelmap = L.from_geography(geo, L.default_layouts(layout, manifest.get("mode") == "calibrated"))
    else:
        raise AankomstError(
            f"cannot place the sectors of {root}: the atlas has no sector layout with these codes and the "
            "extract has no geography.parquet; build the atlas first (aankomst build) or add the geography")
    counts = validate(con, files, known) if validate_input else {}
    secs["validate"] = time.perf_counter() - t
    t = time.perf_counter()
    rng = con.execute("SELECT min(year(move_date)), max(year(move_date)) FROM moves").fetchall()[0]
    y0, y1 = years or manifest.get("years") or (rng[0], rng[1])
    if y0 is None or y1 is None:
        raise AankomstError(f"cannot tell which years {root} covers (no moves, no manifest.json); pass years=")
    y0, y1 = int(y0), int(y1)
    agg.prepare(con, levelmap, country_groups(), (y0, y1))
    agg.population(con)
    agg.flows(con)
    agg.measures(con)
    secs["aggregate"] = time.perf_counter() - t
    return con, levelmap, {"counts": counts, "warnings": warnings, "layout": layout, "geo": geo,
                           "manifest": manifest, "years": (y0, y1), "seconds": secs}


def _frame(con, table: str) -> pd.DataFrame:
    tbl = con.sql(f"SELECT * FROM {table}").to_arrow_table()
    return tbl.to_pandas()


def _area_tables(geo: pd.DataFrame, levelmap: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Area definitions and crosswalks for a geography the atlas does not know (no geometry)."""
    names = {"sector": geo.set_index("sector")["name"].astype(str).to_dict(),
             "municipality": geo.drop_duplicates("municipality").set_index("municipality")["municipality_name"].astype(str).to_dict()}
    areas = levelmap.drop_duplicates(["level", "layout", "code"])[["level", "layout", "code"]].copy()
    areas["name_nl"] = [names.get(lv, {}).get(c, c) for lv, c in zip(areas["level"], areas["code"])]
    areas["name_fr"] = areas["name_nl"]
    areas["name_en"] = areas["name_nl"]
    areas["area_km2"] = areas["code"].map(geo.set_index("sector")["area_km2"]).where(areas["level"] == "sector")
    areas["geometry"] = None
    sec = levelmap[levelmap["level"] == "sector"][["sector", "layout"]].rename(columns={"layout": "from_layout"})
    xw = levelmap[levelmap["level"] != "sector"].merge(sec, on="sector")
    cross = pd.DataFrame({"from_level": "sector", "from_layout": xw["from_layout"], "from_code": xw["sector"],
                          "to_level": xw["level"], "to_layout": xw["layout"], "to_code": xw["code"],
                          "weight": 1.0, "weight_basis": "whole", "split": False})
    return {"areas": areas.reset_index(drop=True), "crosswalks": cross.reset_index(drop=True)}


def load_register(root: str | Path, atlas, *, source_id: str | None = None, threshold: int | None = None,
                  validate_input: bool = True, typology: bool = True, schemes: set[str] | None = None,
                  flows: bool = True, measures: set[str] | None = None,
                  years: tuple[int, int] | None = None) -> RegisterLoadResult:
    """Validate, aggregate and load an extract into ``atlas`` (one transaction).

    Parameters
    ----------
    root
        Extract folder (schema in :mod:`aankomst.register.schema`).
    atlas
        An open, writable :class:`~aankomst.store.atlas.Atlas`.
    source_id
        Provenance id (default ``register/<folder name>``); loading the same id again replaces it.
    threshold
        Small-cell threshold for the protection report (default: the atlas setting).
    typology
        Also compute and store the arrival typology (measure ``arrival_typology``).
    years
        Calendar years of events to aggregate (population on 1 January of y0 .. y1+1); default
        from ``manifest.json`` or the years of the moves.
    schemes, flows, measures
        Restrict what is written (population schemes, flows yes/no, measure names); used when
        the atlas already holds totals and flows from another source for the same areas, so
        that nothing is counted twice (the demo does this).
    """
    root = Path(root)
    t0 = time.perf_counter()
    con, levelmap, info = aggregate_extract(root, atlas, validate_input=validate_input, years=years)
    t = time.perf_counter()
    where: dict[str, list[str]] = {"reg_population": [], "reg_flows": [], "reg_measures": []}
    if schemes is not None:
        con.register("_keep_schemes", pd.DataFrame({"s": sorted(schemes)}))
        where["reg_population"].append("scheme IN (SELECT s FROM _keep_schemes)")
    if not flows:
        where["reg_flows"].append("FALSE")
    if measures is not None:
        con.register("_keep_measures", pd.DataFrame({"m": sorted(measures)}))
        where["reg_measures"].append("measure IN (SELECT m FROM _keep_measures)")
    thr = threshold or int(atlas.setting("small_cell_threshold", "5") or 5)
    tmp = Path(tempfile.mkdtemp(prefix="aankomst_reg_"))
    paths: dict[str, str] = {}
    protection: dict[str, dict[str, int]] = {}
    measure_names: set[str] = set()
    try:
        for table, name in (("reg_population", "population"), ("reg_flows", "flows"), ("reg_measures", "measures")):
            cond = " WHERE " + " AND ".join(where[table]) if where[table] else ""
            out = tmp / f"{name}.parquet"
            con.execute(f"COPY (SELECT * FROM {table}{cond}) TO '{out}' (FORMAT parquet)")
            paths[name] = str(out)
            if name != "measures":
                n, small, zero = con.execute(
                    f"SELECT count(*), count(*) FILTER (WHERE count >= 1 AND count < ?), count(*) FILTER (WHERE count = 0) "
                    f"FROM {table}{cond}", [thr]).fetchall()[0]
                protection[name] = {"cells": int(n), "small": int(small), "zero": int(zero)}
            else:
                measure_names = {r[0] for r in con.execute(f"SELECT DISTINCT measure FROM {table}{cond}").fetchall()}
        counts = info["counts"]
        con.close()
        sid = source_id or f"register/{root.resolve().name}"
        defs = agg.MEASURE_DEFS[agg.MEASURE_DEFS["measure"].isin(measure_names)]
        items = []
        geo = info["geo"]
        has_areas = atlas.query("SELECT count(*) AS n FROM areas WHERE level = 'sector' AND layout = ?",
                                [info["layout"]])["n"].iloc[0]
        if not has_areas and geo is not None:
            at = _area_tables(geo, levelmap)
            items.append((LoadBatch(source_id=f"{sid}/areas", family="register_geography",
                                    path=str(root / "geography.parquet"),
                                    sha256=hashlib.sha256(pd.util.hash_pandas_object(geo).values.tobytes()).hexdigest(),
                                    tables={}, title="Register extract geography (sector hierarchy, no geometry)",
                                    privacy="open", rows_read=len(geo)), at))
        years_ = info["years"]
        man = info["manifest"]
        batch = LoadBatch(
            source_id=sid, family="register", path=str(root), sha256=_folder_sha(root), tables={},
            title=("Synthetic population register (aankomst register generate, seed "
                   f"{man.get('seed')})" if man.get("generator") else f"Register extract {root.name}"),
            publisher="synthetic (Aankomst)" if man.get("generator") else "National Register extract",
            reference_date=f"{years_[0]}-01-01/{years_[1] + 1}-01-01",
            licence="restricted: aggregates of person-level data", privacy="restricted",
            rows_read=int(sum(counts.values())) if counts else 0, warnings=list(info["warnings"]))
        items.append((batch, {"measure_defs": defs, "population": paths["population"], "flows": paths["flows"],
                              "measures": paths["measures"]}))
        written = write_batches(atlas, items)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    secs = dict(info["seconds"])
    secs["write"] = time.perf_counter() - t
    res = RegisterLoadResult(sid, counts, written[sid], sorted(levelmap["level"].unique()), batch.warnings,
                             protection, secs)
    if typology:
        try:
            from aankomst.register.typology import store_typology

            t = time.perf_counter()
            st = store_typology(atlas, source_id=f"{sid}/typology")
            secs["typology"] = time.perf_counter() - t
            res.warnings += [f"typology {st.period} not stored for {lv}: {why}"
                             for lv, why in st.skipped.items()]
        except AankomstError as exc:  # the load itself succeeded: report, do not undo it
            res.warnings.append(f"typology not computed: {exc}")
    secs["total"] = time.perf_counter() - t0
    return res
