"""Neighbourhoods in difficulty: configurable classification and headline tables.

A **rule** (a row of ``data/difficulty_rules.csv``) names a measure, its layout and period, an
operator and a threshold:

* ``le`` / ``lt`` / ``ge`` / ``gt``: compare the value with the threshold (e.g. BIMD decile
  ``le 1`` = the most deprived 10 % of Belgian sectors);
* ``top_share``: the share ``threshold`` (0–1) of areas with the highest values.

Residents are counted with the sector populations of the rule's ``population_layout``
(BIMD: the edition's own populations; Atlas 2010: the BIMD 2011 sector populations, the nearest
published sector counts, joined on the sector code). Every share states its denominator:
``city`` (all sectors of the city's municipalities), ``urban_region`` (municipalities of
``data/urban_regions.csv``) or ``covered`` (sectors that have a value of the measure).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aankomst.analysis._store import measure_wide, sector_population
from aankomst.errors import UnknownCodeError

OPERATORS = ("le", "lt", "ge", "gt", "top_share")


def rules() -> pd.DataFrame:
    """The rule table (``data/difficulty_rules.csv``)."""
    from aankomst.paths import package_data

    return pd.read_csv(package_data("difficulty_rules.csv"), dtype={"layout": str, "period": str,
                                                                    "population_layout": str,
                                                                    "population_date": str})


def rule(rule_id: str) -> dict[str, Any]:
    """One rule as a dict; unknown ids raise :class:`UnknownCodeError`."""
    r = rules()
    hit = r[r["rule"] == rule_id]
    if not len(hit):
        raise UnknownCodeError("difficulty rule", rule_id, known=r["rule"].tolist())
    return hit.iloc[0].to_dict()


def cities() -> pd.DataFrame:
    """Cities with their municipalities and centre neighbourhood (``data/city_centres.csv``)."""
    from aankomst.paths import package_data

    return pd.read_csv(package_data("city_centres.csv"), dtype=str)


def urban_regions() -> pd.DataFrame:
    """Municipality (layout 2018) -> urban region (``data/urban_regions.csv``)."""
    from aankomst.paths import package_data

    return pd.read_csv(package_data("urban_regions.csv"), dtype={"municipality": str})


def city_municipalities(city: str) -> list[str]:
    """Municipality codes (layout 2018) of a city id."""
    c = cities()
    hit = c[c["city"] == city]
    if not len(hit):
        raise UnknownCodeError("city", city, known=c["city"].tolist())
    return str(hit["municipalities"].iloc[0]).split("|")


def classify(values: pd.Series | np.ndarray, operator: str, threshold: float) -> np.ndarray:
    """Boolean mask of areas in difficulty (pure).

    Missing values are never in difficulty. ``top_share`` marks the ``ceil(threshold · n)``
    highest values (ties at the cut-off all included).
    """
    v = np.asarray(values, dtype=float)
    ok = ~np.isnan(v)
    t = float(threshold)
    if operator == "le":
        out = v <= t
    elif operator == "lt":
        out = v < t
    elif operator == "ge":
        out = v >= t
    elif operator == "gt":
        out = v > t
    elif operator == "top_share":
        if not 0 < t <= 1:
            raise ValueError(f"top_share threshold {t} must be in (0, 1]")
        n = int(np.ceil(t * ok.sum()))
        if n == 0:
            return np.zeros(len(v), dtype=bool)
        cut = np.sort(v[ok])[::-1][n - 1]
        out = v >= cut
    else:
        raise UnknownCodeError("operator", operator, known=list(OPERATORS))
    return out & ok


def sectors_in_difficulty(atlas: Any, rule_id: str) -> pd.DataFrame:
    """Sectors with the rule's measure: ``area_code, value, in_difficulty, population``."""
    r = rule(rule_id)
    w = measure_wide(atlas, [r["measure"]], level="sector", layout=str(r["layout"]), period=str(r["period"]),
                     what=rule_id).rename(columns={r["measure"]: "value"})
    w["in_difficulty"] = classify(w["value"], r["operator"], r["threshold"])
    pop = sector_population(atlas, str(r.get("population_layout") or r["layout"]), ref_date=_pop_date(r))
    w = w.merge(pop, on="area_code", how="left")
    if str(r.get("population_layout") or r["layout"]) != str(r["layout"]):
        # fall back to the measure's own layout for codes absent from the population layout
        own = sector_population(atlas, str(r["layout"]), ref_date=f"{r['layout']}-01-01").rename(columns={"population": "pop_own"})
        w = w.merge(own, on="area_code", how="left")
        w["population"] = w["population"].fillna(w["pop_own"])
        w = w.drop(columns="pop_own")
    return w


def _pop_date(r: dict[str, Any]) -> str | None:
    d = r.get("population_date")
    return None if d is None or (isinstance(d, float) and np.isnan(d)) or str(d) == "" else str(d)


def _population_of(atlas: Any, layout: str, municipalities: list[str], ref_date: str | None = None) -> tuple[float, int]:
    pop = sector_population(atlas, layout, ref_date=ref_date)
    m = pop["area_code"].str[:5].isin(municipalities)
    return float(pop.loc[m, "population"].sum()), int(m.sum())


def city_table(atlas: Any, rule_ids: list[str], city_ids: list[str] | None = None) -> pd.DataFrame:
    """Residents of sectors in difficulty per city and rule, with three denominators.

    Columns: ``city, rule, residents`` (in the city's sectors in difficulty),
    ``sectors_in_difficulty, sectors, city_population, share_city`` (residents / city
    population), ``covered_population, share_covered`` (denominator: sectors with a value),
    ``urban_region_population, city_residents_over_region`` (city residents / urban-region
    population), ``residents_urban_region, share_urban_region`` (residents of all the urban
    region's sectors in difficulty / urban-region population), ``population_source``.
    Shares are fractions (0–1).
    """
    cs = cities()
    if city_ids:
        unknown = [c for c in city_ids if c not in set(cs["city"])]
        if unknown:
            raise UnknownCodeError("city", unknown[0], known=cs["city"].tolist())
        cs = cs[cs["city"].isin(city_ids)]
    ur = urban_regions()
    rows = []
    for rid in rule_ids:
        r = rule(rid)
        sec = sectors_in_difficulty(atlas, rid)
        poplay = str(r.get("population_layout") or r["layout"])
        for c in cs.itertuples(index=False):
            muns = str(c.municipalities).split("|")
            s = sec[sec["area_code"].str[:5].isin(muns)]
            region = ur.loc[ur["urban_region"] == c.city, "municipality"].tolist() or muns
            city_pop, _ = _population_of(atlas, poplay, muns, _pop_date(r))
            reg_pop, _ = _population_of(atlas, poplay, region, _pop_date(r))
            res = float(s.loc[s["in_difficulty"], "population"].sum())
            sr = sec[sec["area_code"].str[:5].isin(region)]
            res_reg = float(sr.loc[sr["in_difficulty"], "population"].sum())
            cov = float(s["population"].sum())
            rows.append({
                "city": c.city, "rule": rid, "residents": res,
                "sectors_in_difficulty": int(s["in_difficulty"].sum()), "sectors": len(s),
                "city_population": city_pop, "share_city": res / city_pop if city_pop else np.nan,
                "covered_population": cov, "share_covered": res / cov if cov else np.nan,
                "urban_region_population": reg_pop,
                "city_residents_over_region": res / reg_pop if reg_pop else np.nan,
                "residents_urban_region": res_reg,
                "share_urban_region": res_reg / reg_pop if reg_pop else np.nan,
                "population_source": f"sector population, layout {poplay}",
            })
    return pd.DataFrame(rows)


def urban_region_table(atlas: Any, rule_id: str) -> pd.DataFrame:
    """Residents in difficulty per urban region (all sectors of its municipalities)."""
    r = rule(rule_id)
    sec = sectors_in_difficulty(atlas, rule_id)
    poplay = str(r.get("population_layout") or r["layout"])
    pop = sector_population(atlas, poplay, ref_date=_pop_date(r))
    ur = urban_regions()
    pop["urban_region"] = pop["area_code"].str[:5].map(dict(zip(ur["municipality"], ur["urban_region"])))
    sec["urban_region"] = sec["area_code"].str[:5].map(dict(zip(ur["municipality"], ur["urban_region"])))
    tot = pop.dropna(subset=["urban_region"]).groupby("urban_region")["population"].sum()
    res = sec[sec["in_difficulty"]].groupby("urban_region")["population"].sum()
    out = pd.DataFrame({"population": tot, "residents": res}).fillna(0.0).reset_index()
    out["share"] = out["residents"] / out["population"]
    out["rule"] = rule_id
    out["denominator"] = f"all residents of the urban region's sectors (layout {poplay})"
    return out.sort_values("share", ascending=False, ignore_index=True)


def neighbourhood_table(atlas: Any, rule_id: str, *, min_share: float = 0.5, mirror: Any = None) -> pd.DataFrame:
    """Aggregate a sector rule to ggw7 neighbourhoods.

    A neighbourhood is in difficulty when at least ``min_share`` of its residents live in
    sectors in difficulty. Neighbourhoods are those of the 2024 ggw7 version (reached through the
    2019 sector layout, which holds every Flemish/Brussels BIMD sector code; see
    :mod:`aankomst.analysis.geography`). Columns: ``neighbourhood, nb_layout, population, residents, share,
    in_difficulty, sectors``.
    """
    from aankomst.analysis.geography import sector_neighbourhoods

    sec = sectors_in_difficulty(atlas, rule_id)
    loc = sector_neighbourhoods(sec["area_code"], atlas=atlas, mirror=mirror, prefer="2024")
    s = sec.merge(loc, on="area_code", how="left").dropna(subset=["neighbourhood"])
    s["res"] = s["population"].where(s["in_difficulty"], 0.0)
    g = s.groupby(["neighbourhood", "nb_layout"]).agg(population=("population", "sum"), residents=("res", "sum"),
                                                      sectors=("area_code", "size")).reset_index()
    g["share"] = g["residents"] / g["population"].replace(0, np.nan)
    g["in_difficulty"] = g["share"] >= float(min_share)
    g.attrs["unmatched_sectors"] = int(len(sec) - len(s))
    return g


def municipality_table(atlas: Any, rule_id: str) -> pd.DataFrame:
    """Residents in sectors in difficulty per municipality of the sector layout (crosswalk
    sector -> municipality, else the code's first five characters).

    Columns ``municipality, population, residents, share, sectors, sectors_in_difficulty,
    denominator`` (share = residents / all residents of the municipality's classified sectors).
    """
    from aankomst.analysis._store import sector_municipality

    r = rule(rule_id)
    sec = sectors_in_difficulty(atlas, rule_id)
    sec = sec.merge(sector_municipality(atlas, str(r["layout"]), sec["area_code"]), on="area_code", how="left")
    sec["res"] = sec["population"].where(sec["in_difficulty"], 0.0)
    g = sec.groupby("municipality").agg(population=("population", "sum"), residents=("res", "sum"),
                                        sectors=("area_code", "size"),
                                        sectors_in_difficulty=("in_difficulty", "sum")).reset_index()
    g["share"] = g["residents"] / g["population"].replace(0, np.nan)
    g["rule"] = rule_id
    g["denominator"] = "all residents of the municipality's sectors with a value of the measure"
    return g.sort_values("share", ascending=False, ignore_index=True)
