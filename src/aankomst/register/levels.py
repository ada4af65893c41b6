"""Sector -> every coarser area: the level map used to aggregate register counts.

The map has columns ``sector, level, layout, code`` (the sector itself included). It is built
from the atlas crosswalks when the atlas knows the register's sector layout (following whole
links transitively: sector -> neighbourhood, deelgemeente, municipality, ..., region, country,
and to other layouts when every sector maps whole), or from the hierarchy columns of the
extract's ``geography.parquet`` otherwise. Links are followed through intermediate levels
(sector 2019 -> municipality 2024 -> region …). A target level/layout to which some sector maps
only in part (or not at all) is skipped and reported in the warnings, never approximated;
``brussels_neighbourhood`` covers only Brussels (other sectors lie outside it) and ``area_type``
(overlapping groupings) is left to the indicator engine. One layout per level is kept: the
extract's sector layout, and for other levels the current layout when reachable (else the newest).
"""

from __future__ import annotations

import pandas as pd

HIERARCHY = ("municipality", "arrondissement", "province", "region", "country")

PARTIAL_LEVELS = ("brussels_neighbourhood",)
"""Levels that cover only part of the territory: sectors without a link lie outside them."""

GROUPINGS = ("area_type",)
"""Overlapping groupings (one sector in several units): not a partition, left to the engine."""


def atlas_sector_layout(atlas, sectors: list[str]) -> str | None:
    """The atlas sector layout holding most of ``sectors`` (at least 95%), or ``None``."""
    if atlas is None or not sectors:
        return None
    atlas.con.register("_rs", pd.DataFrame({"code": pd.Series(sorted(set(sectors)), dtype=str)}))
    try:
        rows = atlas.con.execute(
            "SELECT a.layout, count(*) FROM areas a JOIN _rs r ON r.code = a.code WHERE a.level = 'sector' "
            "GROUP BY a.layout ORDER BY 2 DESC").fetchall()
    finally:
        atlas.con.unregister("_rs")
    if rows and rows[0][1] >= 0.95 * len(set(sectors)):
        return str(rows[0][0])
    return None


def from_atlas(atlas, sectors: list[str], layout: str) -> tuple[pd.DataFrame, list[str]]:
    """Level map from the atlas crosswalks (whole links only). Returns (map, warnings)."""
    xw = atlas.query("SELECT from_level, from_layout, from_code, to_level, to_layout, to_code, weight, split "
                     "FROM crosswalks")
    base = pd.DataFrame({"sector": sorted(set(sectors))})
    frontier = {("sector", layout): base.assign(code=base["sector"])}
    done: dict[tuple[str, str], pd.DataFrame] = dict(frontier)
    failed: dict[tuple[str, str], str] = {}
    while frontier:
        nxt = {}
        for (lv, ly), m in frontier.items():
            links = xw[(xw["from_level"] == lv) & (xw["from_layout"] == ly)]
            for (tl, tly), grp in links.groupby(["to_level", "to_layout"]):
                if (tl, tly) in done or (tl == lv and tly == ly) or tl in GROUPINGS:
                    continue
                whole = grp[(grp["weight"] >= 0.999) & (~grp["split"].astype(bool))]
                j = m.merge(whole.rename(columns={"from_code": "code"})[["code", "to_code"]], on="code", how="left")
                partial = tl in PARTIAL_LEVELS
                linked = m["code"].isin(set(grp["from_code"]))
                if partial:  # only part of the territory has such units: unlinked sectors lie outside
                    j = j[linked.reindex(j.index, fill_value=False).to_numpy() | j["to_code"].notna().to_numpy()]
                if j["to_code"].isna().any() or j.duplicated("sector").any():
                    bad = int(j["to_code"].isna().sum() + j.duplicated("sector").sum())
                    failed[(tl, tly)] = (f"register counts not aggregated to {tl} (layout {tly}): {bad} sector(s) "
                                         "do not lie wholly in one unit")
                    continue
                r = j[["sector", "to_code"]].rename(columns={"to_code": "code"})
                done[(tl, tly)] = r
                failed.pop((tl, tly), None)
                nxt[(tl, tly)] = r
        frontier = nxt
    from aankomst.store.schema import CURRENT_LAYOUT

    # one layout per level: the sector layout of the extract, else the current layout when
    # reachable, else the newest reachable one
    chosen: dict[str, str] = {"sector": layout}
    for lv, ly in sorted(done, key=lambda k: k[1]):
        if lv == "sector":
            continue
        if lv not in chosen or ly == CURRENT_LAYOUT.get(lv) or (chosen[lv] != CURRENT_LAYOUT.get(lv) and ly > chosen[lv]):
            chosen[lv] = ly
    parts = [m.assign(level=lv, layout=ly) for (lv, ly), m in done.items() if m is not None and chosen.get(lv) == ly]
    warnings = sorted(v for (lv, _), v in failed.items() if lv not in chosen)
    return pd.concat(parts, ignore_index=True)[["sector", "level", "layout", "code"]], warnings


def from_geography(geo: pd.DataFrame, layouts: dict[str, str]) -> pd.DataFrame:
    """Level map from a geography frame's hierarchy columns; ``layouts`` gives each level's layout."""
    parts = [pd.DataFrame({"sector": geo["sector"], "level": "sector", "layout": layouts["sector"], "code": geo["sector"]})]
    for lv in HIERARCHY:
        parts.append(pd.DataFrame({"sector": geo["sector"], "level": lv, "layout": layouts[lv],
                                   "code": geo[lv].astype(str)}))
    return pd.concat(parts, ignore_index=True)


def default_layouts(sector_layout: str, calibrated: bool) -> dict[str, str]:
    """Layouts for a geography without atlas definitions.

    The 2019 sector file names municipalities in the 2019–2024 layout (``2024``); other levels are
    unchanged units (``2025``). A synthetic geography uses its own layout name everywhere.
    """
    if calibrated:
        return {"sector": sector_layout, "municipality": "2024", "arrondissement": "2025",
                "province": "2025", "region": "2025", "country": "2025"}
    return {lv: sector_layout for lv in ("sector", *HIERARCHY)}
