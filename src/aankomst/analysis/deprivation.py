"""BIMD tables from an atlas: recomputed sector and municipal indices, checked against the
published values (see :mod:`aankomst.analysis.bimd` for the method)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aankomst.analysis import bimd
from aankomst.analysis._store import (
    area_names,
    bimd_domains,
    check_edition,
    measure_wide,
    sector_municipality,
    sector_population,
)
from aankomst.errors import UnknownCodeError

LEVELS = ("sector", "municipality")


def bimd_sectors(atlas: Any, edition: str, *, without_health: bool = False) -> pd.DataFrame:
    """Recomputed BIMD per sector: ``area_code, area_name, score, rank, decile``."""
    ed = check_edition(edition)
    dom = bimd_domains(atlas, ed)
    out = bimd.recompute(dom, without_health=without_health)
    names = area_names(atlas, "sector", ed)
    out = out.merge(names, on="area_code", how="left")
    return out[["area_code", "area_name", "score", "rank", "decile"]].sort_values("rank", ignore_index=True)


def bimd_municipalities(atlas: Any, edition: str, *, without_health: bool = False) -> pd.DataFrame:
    """Recomputed municipal summaries (layout 2018): ``area_code, area_name, score, rank, decile,
    average_rank, extent, share_population_decile1, share_sectors_decile1, population, n_sectors``.

    ``score`` is the population-weighted average of the recomputed sector scores.
    """
    ed = check_edition(edition)
    sec = bimd_sectors(atlas, ed, without_health=without_health)
    pop = sector_population(atlas, ed, ref_date=f"{ed}-01-01")
    sec = sec.merge(pop, on="area_code", how="left")
    if sec["population"].isna().any():
        missing = sec.loc[sec["population"].isna(), "area_code"].head(5).tolist()
        from aankomst.errors import MissingInputError

        raise MissingInputError(f"bimd {ed} municipal", f"population of sectors {missing} (layout {ed})",
                                fix="load population_{ed} of the BIMD")
    sec = sec.merge(sector_municipality(atlas, ed, sec["area_code"]), on="area_code")
    mun = bimd.municipal_summary(sec[["area_code", "municipality", "score", "rank", "population"]])
    names = area_names(atlas, "municipality", "2018")
    mun = mun.merge(names, on="area_code", how="left")
    cols = ["area_code", "area_name", "score", "rank", "decile", "average_rank", "extent",
            "share_population_decile1", "share_sectors_decile1", "population", "n_sectors"]
    return mun[cols].sort_values("rank", ignore_index=True)


def bimd_table(atlas: Any, edition: str, level: str = "sector", *, without_health: bool = False) -> pd.DataFrame:
    """The ``aankomst deprivation bimd`` table at ``level`` ``sector`` or ``municipality``."""
    if level not in LEVELS:
        raise UnknownCodeError("level", level, known=list(LEVELS))
    if level == "sector":
        return bimd_sectors(atlas, edition, without_health=without_health)
    return bimd_municipalities(atlas, edition, without_health=without_health)


def compare_published(atlas: Any, edition: str, level: str = "sector", *,
                      without_health: bool = False) -> dict[str, Any]:
    """Compare the recomputed index with the published one.

    Returns a dict with ``n``, ``max_abs_score_diff``, ``rank_mismatches``,
    ``decile_mismatches``, ``ties`` (number of tied scores) and ``missing`` (published areas
    not recomputed).
    """
    ed = check_edition(edition)
    ours = bimd_table(atlas, ed, level, without_health=without_health)
    if level == "sector":
        pre = "bimd_nohealth" if without_health else "bimd"
        lv, lay = "sector", ed
    else:
        if without_health:
            raise UnknownCodeError("published table", "municipal without health",
                                   hint="the authors publish municipal summaries only with health")
        pre, lv, lay = "bimd_mun", "municipality", "2018"
    pub = measure_wide(atlas, [f"{pre}_score", f"{pre}_rank", f"{pre}_decile"], level=lv, layout=lay, period=ed)
    m = pub.merge(ours, on="area_code", how="left")
    return {
        "edition": ed, "level": level, "without_health": without_health, "n": len(pub),
        "missing": int(m["score"].isna().sum()),
        "max_abs_score_diff": float(np.nanmax(np.abs(m["score"] - m[f"{pre}_score"]))),
        "rank_mismatches": int((m["rank"] != m[f"{pre}_rank"]).sum()),
        "decile_mismatches": int((m["decile"] != m[f"{pre}_decile"]).sum()),
        "ties": int(ours["score"].duplicated().sum()),
    }
