"""Change between deprivation editions (2001 -> 2011): transitions and distance rings.

The BIMD authors warn that the indices are **relative within an edition**: a sector that
"left" decile 1 became less deprived *relative to the other sectors*, not necessarily in
absolute terms. Tables here compare memberships (decile/rule), never score values.

Sectors are matched on the code: the 2001 and 2011 layouts share most codes; codes present in
only one edition are counted separately (``only_2001`` / ``only_2011``).

Rings (``data/ring_definitions.csv``): distance from the city centre point
(``data/city_centres.csv``: centroid of a central ggw7 neighbourhood) to the centroid of the
ggw7 neighbourhood holding the sector (:mod:`aankomst.analysis.geography`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aankomst.analysis.difficulty import cities, city_municipalities, rule, sectors_in_difficulty
from aankomst.errors import UnknownCodeError

STATUSES = ("entered", "left", "stayed", "never")


def transition_status(before: np.ndarray | pd.Series, after: np.ndarray | pd.Series) -> np.ndarray:
    """Status per area from two boolean memberships (pure): entered / left / stayed / never."""
    b = np.asarray(before, dtype=bool)
    a = np.asarray(after, dtype=bool)
    return np.select([~b & a, b & ~a, b & a], ["entered", "left", "stayed"], default="never")


def transitions(atlas: Any, rule_from: str = "bimd2001_d1", rule_to: str = "bimd2011_d1",
                city: str | None = None) -> pd.DataFrame:
    """Per sector: membership in both editions and the status.

    Columns ``area_code, before, after, status, population_before, population_after``;
    sectors in only one edition have status ``only_<layout>``.
    """
    a = sectors_in_difficulty(atlas, rule_from)[["area_code", "in_difficulty", "population"]]
    b = sectors_in_difficulty(atlas, rule_to)[["area_code", "in_difficulty", "population"]]
    m = a.merge(b, on="area_code", how="outer", suffixes=("_before", "_after"), indicator=True)
    m = m.rename(columns={"in_difficulty_before": "before", "in_difficulty_after": "after"})
    st = transition_status(m["before"].fillna(False), m["after"].fillna(False))
    lay_a, lay_b = rule(rule_from)["layout"], rule(rule_to)["layout"]
    st = np.where(m["_merge"] == "left_only", f"only_{lay_a}", np.where(m["_merge"] == "right_only", f"only_{lay_b}", st))
    m["status"] = st
    m = m.drop(columns="_merge")
    if city:
        m = m[m["area_code"].str[:5].isin(city_municipalities(city))]
    return m.reset_index(drop=True)


def neighbourhood_transitions(atlas: Any, rule_from: str = "bimd2001_d1", rule_to: str = "bimd2011_d1",
                              *, min_share: float = 0.5, city: str | None = None, mirror: Any = None) -> pd.DataFrame:
    """Per ggw7 neighbourhood (2024 version): in difficulty in each edition (≥ ``min_share`` of
    residents in sectors in difficulty) and the status. Columns ``area_code, before, after,
    status, population_before, population_after, share_before, share_after``."""
    from aankomst.analysis.difficulty import neighbourhood_table

    a = neighbourhood_table(atlas, rule_from, min_share=min_share, mirror=mirror)
    b = neighbourhood_table(atlas, rule_to, min_share=min_share, mirror=mirror)
    cols = ["neighbourhood", "in_difficulty", "population", "share"]
    m = a[cols].merge(b[cols], on="neighbourhood", how="outer", suffixes=("_before", "_after"))
    m = m.rename(columns={"neighbourhood": "area_code", "in_difficulty_before": "before",
                          "in_difficulty_after": "after"})
    m["status"] = transition_status(m["before"].fillna(False), m["after"].fillna(False))
    if city:
        muns = city_municipalities(city)
        m = m[m["area_code"].astype(str).str[:5].isin(muns)]
    return m.reset_index(drop=True)


def transition_summary(tr: pd.DataFrame) -> pd.DataFrame:
    """Counts of sectors and residents (both editions) per status."""
    g = tr.groupby("status").agg(areas=("area_code", "size"), population_before=("population_before", "sum"),
                                 population_after=("population_after", "sum")).reset_index()
    return g


def ring_definitions(city: str) -> pd.DataFrame:
    """Rings of a city (``ring, ring_order, min_km, max_km, label_nl, label_en``)."""
    from aankomst.paths import package_data

    r = pd.read_csv(package_data("ring_definitions.csv"))
    r = r[r["city"] == city]
    if not len(r):
        known = sorted(pd.read_csv(package_data("ring_definitions.csv"))["city"].unique())
        raise UnknownCodeError("city with ring definitions", city, known=known)
    return r.sort_values("ring_order").reset_index(drop=True)


def assign_ring(distance_km: np.ndarray | pd.Series, rings: pd.DataFrame) -> np.ndarray:
    """Ring name per distance (pure): ``min_km <= d < max_km`` (empty max = no upper bound)."""
    d = np.asarray(distance_km, dtype=float)
    out = np.full(len(d), "unlocated", dtype=object)
    for r in rings.itertuples(index=False):
        hi = np.inf if pd.isna(r.max_km) else float(r.max_km)
        out[(d >= float(r.min_km)) & (d < hi)] = r.ring
    return out


def ring_table(atlas: Any, city: str, rule_ids: tuple[str, ...] = ("bimd2001_d1", "bimd2011_d1"),
               *, mirror: Any = None) -> pd.DataFrame:
    """Deprived population by distance ring, per rule (edition).

    Columns: ``city, rule, ring, ring_order, population, residents`` (in sectors in difficulty),
    ``share_of_ring`` (residents / ring population), ``share_of_city_deprived`` (residents /
    all deprived residents of the city), ``sectors, sectors_in_difficulty``.
    Sectors that cannot be located are reported in the ``unlocated`` ring.
    """
    from aankomst.analysis.geography import centre_points, sector_points

    rings = ring_definitions(city)
    cs = cities()
    centre = centre_points(cs[cs["city"] == city], atlas=atlas, mirror=mirror).iloc[0]
    muns = city_municipalities(city)
    out = []
    for rid in rule_ids:
        sec = sectors_in_difficulty(atlas, rid)
        sec = sec[sec["area_code"].str[:5].isin(muns)]
        pts = sector_points(sec["area_code"], atlas=atlas, mirror=mirror)
        s = sec.merge(pts, on="area_code", how="left")
        s["distance_km"] = np.hypot(s["x"] - centre["x"], s["y"] - centre["y"]) / 1000
        s["ring"] = assign_ring(s["distance_km"], rings)
        s["res"] = s["population"].where(s["in_difficulty"], 0.0)
        g = s.groupby("ring").agg(population=("population", "sum"), residents=("res", "sum"),
                                  sectors=("area_code", "size"), sectors_in_difficulty=("in_difficulty", "sum"))
        g = g.reindex([*rings["ring"], *[r for r in g.index if r not in set(rings["ring"])]]).fillna(0).reset_index()
        g["ring_order"] = g["ring"].map(dict(zip(rings["ring"], rings["ring_order"]))).fillna(99).astype(int)
        g["share_of_ring"] = g["residents"] / g["population"].replace(0, np.nan)
        tot = g["residents"].sum()
        g["share_of_city_deprived"] = g["residents"] / tot if tot else np.nan
        g.insert(0, "rule", rid)
        g.insert(0, "city", city)
        out.append(g)
    return pd.concat(out, ignore_index=True)
