"""Catalogue implementations of the deprivation indicators (``data/indicators/deprivation.csv``).

Each returns a :class:`~aankomst.indicators.result.Computed` with the load ids of the BIMD /
Atlas files it read and the edition as reference period; the specs are in
:mod:`aankomst.analysis.specs`.

Levels: ``sector`` (layout = the edition: BIMD 2001/2011, Atlas 2010 on 2001 sectors; no
geometry), ``neighbourhood`` (ggw7 of the 2024 version: every Flemish/Brussels BIMD sector code
exists in the 2019 sector layout whose crosswalk leads to it; population-weighted means of
scores, sums of residents), ``municipality`` (layout 2018: the 589 BIMD municipalities).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.indicators.result import VALUE_COLUMNS, Computed

DEFAULT_RULE = {"2001": "bimd2001_d1", "2011": "bimd2011_d1", "2010": "atlas2010_gt05"}


def _split(level: str, layout: str | None) -> tuple[str, str | None]:
    if "@" in str(level):
        lv, ly = str(level).split("@", 1)
        return lv, ly
    return str(level), layout


def _frame(atlas: Any, df: pd.DataFrame, level: str, layout: str, period: str, unit: str,
           measures: tuple[str, ...]) -> Computed:
    """Rows in the result columns, with the load ids of the ``measures`` (LIKE patterns) of the
    edition ``period`` and of the sector populations used as weights."""
    out = df.copy()
    out["level"], out["layout"], out["period"], out["group"], out["unit"] = level, layout, period, "total", unit
    for c in ("numerator", "denominator", "area_name", "area_name_fr"):
        if c not in out.columns:
            out[c] = np.nan
    like = " OR ".join(["measure LIKE ?"] * len(measures))
    ids = atlas.con.execute(
        f"SELECT DISTINCT load_id FROM measures WHERE ({like}) AND period = ?",
        [*measures, period]).fetchall()
    pop = atlas.con.execute(
        "SELECT DISTINCT load_id FROM population WHERE level = 'sector' AND layout = ? "
        "AND year(ref_date) = ?", [period, int(period)]).fetchall() if level != "sector" else []
    return Computed(out[VALUE_COLUMNS].reset_index(drop=True),
                    load_ids={int(r[0]) for r in [*ids, *pop]}, periods=[period])


def _names(atlas: Any, level: str, layout: str) -> pd.DataFrame:
    from aankomst.analysis._store import area_names

    return area_names(atlas, level, layout)


def _to_neighbourhoods(atlas: Any, sec: pd.DataFrame, value: str) -> pd.DataFrame:
    """Population-weighted mean of ``value`` and sums of population per ggw7 (2024)."""
    from aankomst.analysis.geography import sector_neighbourhoods

    loc = sector_neighbourhoods(sec["area_code"], atlas=atlas, prefer="2024")
    s = sec.merge(loc, on="area_code").query("nb_layout == '2024'")
    s = s.assign(pv=s["population"] * s[value])
    g = s.groupby("neighbourhood").agg(pv=("pv", "sum"), population=("population", "sum")).reset_index()
    g[value] = g["pv"] / g["population"].replace(0, np.nan)
    return g.rename(columns={"neighbourhood": "area_code"})


def _edition(period: Any) -> str:
    ed = str(period)[:4]
    if ed not in ("2001", "2011"):
        raise MissingInputError("bimd", "a BIMD edition for this period", years=period,
                                fix="the BIMD editions are 2001 and 2011")
    return ed


def _bimd(atlas: Any, column: str, unit: str, *, level: str, period: Any, layout: str | None,
          without_health: bool) -> Computed:
    from aankomst.analysis._store import sector_population
    from aankomst.analysis.deprivation import bimd_municipalities, bimd_sectors

    lv = _split(level, layout)[0]
    ed = _edition(period)
    if lv == "sector":
        return _frame(atlas, bimd_sectors(atlas, ed, without_health=without_health).rename(columns={column: "value"}),
                      "sector", ed, ed, unit, ("bimd_%",))
    if lv == "municipality":
        return _frame(atlas, bimd_municipalities(atlas, ed, without_health=without_health).rename(columns={column: "value"}),
                      "municipality", "2018", ed, unit, ("bimd_%",))
    if lv == "neighbourhood" and column == "score":
        sec = bimd_sectors(atlas, ed, without_health=without_health).merge(
            sector_population(atlas, ed, ref_date=f"{ed}-01-01"), on="area_code")
        g = _to_neighbourhoods(atlas, sec, "score").rename(columns={"score": "value"})
        g = g.merge(_names(atlas, "neighbourhood", "2024"), on="area_code", how="left")
        return _frame(atlas, g, "neighbourhood", "2024", ed, unit, ("bimd_%",))
    raise UnknownCodeError("level for this BIMD indicator", level,
                           known=["sector", "municipality"] + (["neighbourhood"] if column == "score" else []))


def bimd_score(atlas: Any, *, level: str, period: Any, group: str | None = None, scheme: str | None = None,
               layout: str | None = None, without_health: bool = False, **_: Any) -> Computed:
    """BIMD score (0–100, higher = more deprived): sector, population-weighted average for
    municipalities (2018) and neighbourhoods (ggw7 2024)."""
    return _bimd(atlas, "score", "score", level=level, period=period, layout=layout, without_health=without_health)


def bimd_rank(atlas: Any, *, level: str, period: Any, group: str | None = None, scheme: str | None = None,
              layout: str | None = None, without_health: bool = False, **_: Any) -> Computed:
    """National rank (1 = most deprived) of the sector score / of the municipal average score."""
    return _bimd(atlas, "rank", "rank", level=level, period=period, layout=layout, without_health=without_health)


def bimd_decile(atlas: Any, *, level: str, period: Any, group: str | None = None, scheme: str | None = None,
                layout: str | None = None, without_health: bool = False, **_: Any) -> Computed:
    """National decile (1 = most deprived 10 %) of the sector / municipal rank."""
    return _bimd(atlas, "decile", "decile", level=level, period=period, layout=layout, without_health=without_health)


def bimd_extent(atlas: Any, *, level: str, period: Any, group: str | None = None, scheme: str | None = None,
                layout: str | None = None, **_: Any) -> Computed:
    """Extent (0–100 %): population share in the most deprived national sectors, weighted by the
    extent weights (1 up to the 10th percentile, tapering to 0 at the 30th); municipalities."""
    from aankomst.analysis.deprivation import bimd_municipalities

    lv = _split(level, layout)[0]
    if lv != "municipality":
        raise UnknownCodeError("level for bimd_extent", level, known=["municipality"])
    ed = _edition(period)
    m = bimd_municipalities(atlas, ed)
    m["value"] = m["extent"] * 100
    return _frame(atlas, m, "municipality", "2018", ed, "%", ("bimd_%",))


def atlas_difficulty_index(atlas: Any, *, level: str, period: Any = "2010", group: str | None = None,
                           scheme: str | None = None, layout: str | None = None, **_: Any) -> Computed:
    """Atlas 2010 synthetic difficulty index per sector (2001 layout) or population-weighted per
    neighbourhood (ggw7 2024; sector populations of the BIMD 2011)."""
    from aankomst.analysis._store import measure_wide, sector_population

    lv = _split(level, layout)[0]
    per = str(period)[:4]
    w = measure_wide(atlas, ["atlas_difficulty_index"], level="sector", layout="2001", period=per,
                     what="atlas_difficulty_index").rename(columns={"atlas_difficulty_index": "value"})
    if lv == "sector":
        w = w.merge(_names(atlas, "sector", "2001"), on="area_code", how="left")
        return _frame(atlas, w, "sector", "2001", per, "index", ("atlas_difficulty_index",))
    if lv == "neighbourhood":
        w = w.merge(sector_population(atlas, "2011", ref_date="2011-01-01"), on="area_code")
        g = _to_neighbourhoods(atlas, w, "value").merge(_names(atlas, "neighbourhood", "2024"), on="area_code", how="left")
        return _frame(atlas, g, "neighbourhood", "2024", per, "index", ("atlas_difficulty_index",))
    raise UnknownCodeError("level for atlas_difficulty_index", level, known=["sector", "neighbourhood"])


def in_difficulty(atlas: Any, *, level: str, period: Any, group: str | None = None, scheme: str | None = None,
                  layout: str | None = None, rule: str | None = None, **_: Any) -> Computed:
    """Share (%) of residents living in sectors in difficulty under ``rule`` (default: BIMD
    decile 1 of the period's edition; Atlas index > 0.5 for 2010). Numerator = residents of
    sectors in difficulty, denominator = all residents of the classified sectors."""
    from aankomst.analysis._store import sector_municipality
    from aankomst.analysis.difficulty import rule as get_rule
    from aankomst.analysis.difficulty import sectors_in_difficulty
    from aankomst.analysis.geography import sector_neighbourhoods

    lv = _split(level, layout)[0]
    per = str(period)[:4]
    rid = rule or DEFAULT_RULE.get(per)
    if rid is None:
        raise MissingInputError("in_difficulty", "a default difficulty rule for this period",
                                years=period, fix="editions: " + ", ".join(DEFAULT_RULE)
                                + "; or give rule=… (data/difficulty_rules.csv)")
    r = get_rule(rid)
    sec = sectors_in_difficulty(atlas, rid)
    sec["num"] = sec["population"].where(sec["in_difficulty"], 0.0)
    if lv == "sector":
        out = sec.rename(columns={"num": "numerator", "population": "denominator"})
        out = out.merge(_names(atlas, "sector", str(r["layout"])), on="area_code", how="left")
        lay = str(r["layout"])
    elif lv in ("municipality", "neighbourhood"):
        if lv == "municipality":
            key = sector_municipality(atlas, str(r["layout"]), sec["area_code"]).rename(columns={"municipality": "unit_code"})
            lay = "2018" if str(r["layout"]) in ("2001", "2011") else str(r["layout"])
        else:
            key = sector_neighbourhoods(sec["area_code"], atlas=atlas, prefer="2024").query("nb_layout == '2024'")
            key = key[["area_code", "neighbourhood"]].rename(columns={"neighbourhood": "unit_code"})
            lay = "2024"
        s = sec.merge(key, on="area_code")
        out = s.groupby("unit_code").agg(numerator=("num", "sum"), denominator=("population", "sum")).reset_index()
        out = out.rename(columns={"unit_code": "area_code"}).merge(_names(atlas, lv, lay), on="area_code", how="left")
    else:
        raise UnknownCodeError("level for in_difficulty", level, known=["sector", "neighbourhood", "municipality"])
    out["value"] = 100 * out["numerator"] / out["denominator"].replace(0, np.nan)
    return _frame(atlas, out, lv, lay, str(r["period"]), "%", (str(r["measure"]),))
