"""Segregation indices (PySAL ``segregation``) for a scheme of groups, as time series.

Single-group indices, for each group *g* against everyone else in the area (``t`` = total
population, ``x`` = group count, ``X``/``T`` their sums over the areas):

* ``dissimilarity`` D = ½ Σ |xᵢ/X − (tᵢ−xᵢ)/(T−X)|  (0 = even, 1 = complete separation);
* ``isolation`` xPx* = Σ (xᵢ/X)(xᵢ/tᵢ)  (chance that a member meets a member; 0–1);
* ``exposure`` xPy* = Σ (xᵢ/X)((tᵢ−xᵢ)/tᵢ)  (chance that a member meets a non-member;
  isolation + exposure = 1);
* ``entropy`` Theil's H = Σ tᵢ(E − Eᵢ)/(T·E) with the two-group entropy E (0–1).

Multigroup indices over the scheme's groups (plus a residual group ``other`` when the groups do
not exhaust the total): ``multi_dissimilarity`` (MultiDissim), ``multi_information``
(MultiInfoTheory, Theil's H) and ``multi_normalised_exposure`` (MultiNormExposure).

Areas with a total of 0 are dropped (they carry no one). A group without a value in an area
is unknown there: that area is left out of the group's indices (and out of the multigroup
indices), never counted as 0. Indices are aspatial (no weights).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError, UnknownCodeError

SINGLE = ("dissimilarity", "isolation", "exposure", "entropy")
MULTI = ("multi_dissimilarity", "multi_information", "multi_normalised_exposure")


def single_group(counts: pd.Series | np.ndarray, totals: pd.Series | np.ndarray) -> dict[str, float]:
    """The four single-group indices of one group (PySAL implementations).

    Parameters
    ----------
    counts, totals
        Persons of the group and all persons per area (same order; counts ≤ totals).
    """
    from segregation.singlegroup import Dissim, Entropy, Interaction, Isolation

    x = np.asarray(counts, dtype=float)
    t = np.asarray(totals, dtype=float)
    if np.any(x < 0) or np.any(x > t + 1e-9):
        raise ValueError("group counts must lie between 0 and the area totals")
    keep = t > 0
    df = pd.DataFrame({"g": x[keep], "t": t[keep]})
    X, T = df["g"].sum(), df["t"].sum()
    if X <= 0 or X >= T or len(df) < 2:
        return {k: np.nan for k in SINGLE}
    return {
        "dissimilarity": float(Dissim(df, "g", "t").statistic),
        "isolation": float(Isolation(df, "g", "t").statistic),
        "exposure": float(Interaction(df, "g", "t").statistic),
        "entropy": float(Entropy(df, "g", "t").statistic),
    }


def multigroup(table: pd.DataFrame, groups: list[str]) -> dict[str, float]:
    """Multigroup indices over ``groups`` (columns of counts; areas with no one dropped)."""
    from segregation.multigroup import MultiDissim, MultiInfoTheory, MultiNormExposure

    df = table[groups].astype(float)
    df = df[df.sum(axis=1) > 0]
    present = [g for g in groups if df[g].sum() > 0]
    if len(present) < 2 or len(df) < 2:
        return {k: np.nan for k in MULTI}
    df = df[present]
    return {
        "multi_dissimilarity": float(MultiDissim(df, present).statistic),
        "multi_information": float(MultiInfoTheory(df, present).statistic),
        "multi_normalised_exposure": float(MultiNormExposure(df, present).statistic),
    }


def indices(long: pd.DataFrame, *, exhaustive: bool = False) -> pd.DataFrame:
    """Indices per period from counts in long form.

    Parameters
    ----------
    long
        Columns ``area_code, period, group, count, total`` (``total`` = all residents of the
        area in that period, repeated on each group row).
    exhaustive
        ``True`` when the groups add up to the total (no residual group is added).

    Returns
    -------
    pandas.DataFrame
        ``period, group, index, value, n_areas, group_population, total_population``
        (``group`` = ``all`` for multigroup indices).
    """
    need = {"area_code", "period", "group", "count", "total"}
    if missing := need - set(long.columns):
        raise KeyError(f"columns {sorted(missing)} missing")
    # period, group, index, value, n_areas, group_population, total_population, multigroup_members
    rows: list[tuple[Any, Any, str, float, int, float, float, str]] = []
    for period, sub in long.groupby("period", sort=True):
        wide = sub.pivot_table(index="area_code", columns="group", values="count", aggfunc="sum")
        tot = sub.groupby("area_code")["total"].first().reindex(wide.index)
        groups = list(wide.columns)
        for g in groups:
            has = wide[g].notna().to_numpy()  # a group missing in an area is unknown there, not 0
            tg = tot[has]
            for k, v in single_group(wide.loc[has, g].clip(upper=tg), tg).items():
                rows.append((period, g, k, v, int((tg > 0).sum()), float(wide.loc[has, g].sum()),
                             float(tg.sum()), ""))
        complete = wide.notna().all(axis=1)
        wide, tot = wide[complete], tot[complete]
        n_areas = int((tot > 0).sum())
        T = float(tot.sum())
        table = wide.copy()
        if not exhaustive:
            table["other"] = (tot - wide.sum(axis=1)).clip(lower=0)
        members = "|".join(str(c) for c in table.columns)
        for k, v in multigroup(table, list(table.columns)).items():
            rows.append((period, "all", k, v, n_areas, float(table.sum().sum()), T, members))
    return pd.DataFrame(rows, columns=["period", "group", "index", "value", "n_areas", "group_population",
                                       "total_population", "multigroup_members"])


# ----------------------------------------------------------------------------- data from the store
def _years(years: Iterable[int] | None) -> list[int] | None:
    return None if years is None else [int(y) for y in years]


def _in_area(codes: pd.Series, level: str, area: str | None) -> pd.Series:
    """Areas inside ``area``: region codes 04000 (Brussels: NIS 21…), 02000 (Flanders) and 03000
    (Wallonia) by NIS province prefix; a 5-digit municipality code by the first five characters.
    Brussels monitoring neighbourhoods all lie in 04000."""
    if not area:
        return pd.Series(True, index=codes.index)
    if level == "brussels_neighbourhood":
        if area in ("04000", "21000", "brussel", "BE"):
            return pd.Series(True, index=codes.index)
        return codes.astype(str) == area
    nis = codes.astype(str).str[:5]
    prefixes = {"04000": ("21",), "02000": ("1", "3", "4", "7", "23", "24"), "03000": ("25", "5", "6", "8", "9"),
                "BE": ("",)}
    if area in prefixes:
        m = pd.Series(False, index=codes.index)
        for p in prefixes[area]:
            m |= nis.str.startswith(p)
        if area == "02000":
            m &= ~nis.str.startswith("21") & ~nis.str.startswith("25")
        return m
    return nis == area


def _monitor_totals(atlas: Any) -> pd.DataFrame:
    """Total population per monitoring neighbourhood and year: the published count where there
    is one; otherwise the published density (inhabitants/km²) × the polygon area (km², EPSG:31370)
    — within about 3 % of the published counts where both exist. Column ``estimated``."""
    import shapely

    pub = atlas.query(
        "SELECT code AS area_code, year(ref_date) AS period, sum(count) AS total FROM population WHERE level = "
        "'brussels_neighbourhood' AND scheme = 'total' AND grp = 'total' AND sex = 'T' GROUP BY ALL")
    pub["estimated"] = False
    dens = atlas.query(
        "SELECT m.code AS area_code, CAST(m.period AS INTEGER) AS period, m.value AS density, a.geometry FROM measures m "
        "JOIN areas a ON a.level = m.level AND a.layout = m.layout AND a.code = m.code WHERE m.level = "
        "'brussels_neighbourhood' AND m.measure = 'population_density' AND a.geometry IS NOT NULL")
    if len(dens):
        km2 = shapely.area(shapely.from_wkb([bytes(g) for g in dens["geometry"]])) / 1e6
        dens["total"] = (dens["density"] * km2).round()
        have = set(zip(pub["area_code"], pub["period"]))
        extra = dens[[(c, p) not in have for c, p in zip(dens["area_code"], dens["period"])]]
        pub = pd.concat([pub, extra[["area_code", "period", "total"]].assign(estimated=True)], ignore_index=True)
    return pub


def brussels_neighbourhood_counts(atlas: Any, years: list[int] | None = None, *,
                                  scheme: str = "ibsa_nationality", balanced: bool = True) -> tuple[pd.DataFrame, bool]:
    """Counts per Brussels monitoring neighbourhood and year.

    ``scheme="ibsa_nationality"``: group count = published share (%) × total population / 100
    for the seven IBSA groups (French, EU-14, new EU members, Turks, North Africa, Sub-Saharan
    Africa, Latin America). Totals: the published count, else density × polygon area
    (``population_from_density``; the export publishes counts for 55 neighbourhoods, densities
    for 115). Totals start in 2005: for earlier years each neighbourhood's earliest total is
    used (``population_imputed``). ``balanced=True`` keeps only the neighbourhoods present in
    every year of the result (a consistent panel for a time series).
    ``scheme="nationality"``: Belgians / foreigners (foreigner counts are published from 1981;
    Belgians = total − foreigners, with the same imputation before 2005).
    """
    tot = _monitor_totals(atlas)
    if not len(tot):
        raise MissingInputError("segregation", "total population of the Brussels monitoring neighbourhoods",
                                fix="load ibsa_monitoring_quartiers_export.xlsx with 'aankomst build'")
    if scheme == "ibsa_nationality":
        g = atlas.query(
            "SELECT code AS area_code, CAST(period AS INTEGER) AS period, grp AS \"group\", value AS share FROM measures "
            "WHERE level = 'brussels_neighbourhood' AND measure = 'nationality_share' AND scheme = ?", [scheme])
        exhaustive = False
    elif scheme == "nationality":
        g = atlas.query(
            "SELECT code AS area_code, year(ref_date) AS period, 'ETR' AS \"group\", sum(count) AS n FROM population "
            "WHERE level = 'brussels_neighbourhood' AND scheme = 'nationality' AND grp = 'ETR' GROUP BY ALL")
        exhaustive = True
    else:
        raise UnknownCodeError("scheme for brussels_neighbourhood", scheme, known=["ibsa_nationality", "nationality"])
    if not len(g):
        raise MissingInputError("segregation", f"scheme {scheme} for the Brussels monitoring neighbourhoods")
    first = int(tot["period"].min())
    base = tot.sort_values("period").groupby("area_code")["total"].first()  # earliest total of each area
    periods = sorted(set(g["period"]) | set(tot["period"]))
    if years is not None:
        periods = [p for p in periods if p in set(years)]
    frames = []
    for p in periods:
        gp = g[g["period"] == p]
        if not len(gp):
            continue
        tp = tot[tot["period"] == p].set_index("area_code")
        t = tp["total"]
        imputed = not len(t)
        estimated = bool(tp["estimated"].any()) if len(tp) else False
        if imputed:
            if p > first:
                continue
            t = base
        gp = gp[gp["area_code"].isin(t.index)].copy()
        gp["total"] = gp["area_code"].map(t).astype(float)
        if scheme == "ibsa_nationality":
            gp["count"] = gp["share"].astype(float) / 100.0 * gp["total"]
        else:
            gp["count"] = gp["n"].astype(float).clip(upper=gp["total"])
            bel = gp.assign(group="BEL", count=gp["total"] - gp["count"])
            gp = pd.concat([gp, bel], ignore_index=True)
        gp["population_imputed"] = imputed
        gp["population_from_density"] = estimated or (imputed and bool(tot["estimated"].any()))
        frames.append(gp[["area_code", "period", "group", "count", "total", "population_imputed",
                          "population_from_density"]])
    if not frames:
        raise MissingInputError("segregation", f"{scheme} counts", years=years)
    out = pd.concat(frames, ignore_index=True)
    if balanced:
        n_per = out.groupby("area_code")["period"].nunique()
        out = out[out["area_code"].isin(n_per[n_per == out["period"].nunique()].index)]
    return out, exhaustive


def store_counts(atlas: Any, *, level: str, scheme: str, years: list[int] | None = None,
                 layout: str | None = None, area: str | None = None) -> tuple[pd.DataFrame, bool]:
    """Counts from the ``population`` table: ``scheme`` groups per area and year, with the area
    total (scheme ``total``; if absent, the sum of the groups, then the groups are exhaustive)."""
    lay_sql = "" if layout is None else " AND layout = ?"
    params: list[Any] = [level, scheme] + ([] if layout is None else [layout])
    g = atlas.query(
        "SELECT code AS area_code, year(ref_date) AS period, grp AS \"group\", sum(count) AS count FROM population "
        f"WHERE level = ? AND scheme = ? AND sex = 'T' AND age_band = 'total'{lay_sql} GROUP BY ALL", params)
    if not len(g):
        known = atlas.query("SELECT DISTINCT scheme FROM population WHERE level = ?", [level])["scheme"].tolist()
        raise UnknownCodeError(f"population scheme at level {level}", scheme, known=known)
    params_t: list[Any] = [level] + ([] if layout is None else [layout])
    t = atlas.query(
        "SELECT code AS area_code, year(ref_date) AS period, sum(count) AS total FROM population WHERE level = ? "
        f"AND scheme = 'total' AND grp = 'total' AND sex = 'T' AND age_band = 'total'{lay_sql} GROUP BY ALL", params_t)
    g = g.merge(t, on=["area_code", "period"], how="left")
    exhaustive = bool(g["total"].isna().all()) or scheme == "nationality"
    if g["total"].isna().any():
        s = g.groupby(["area_code", "period"])["count"].transform("sum")
        g["total"] = g["total"].fillna(s)
    if years is not None:
        g = g[g["period"].isin(years)]
    g = g[_in_area(g["area_code"], level, area).to_numpy()]
    if not len(g):
        raise MissingInputError("segregation", f"{scheme} counts at level {level} in area {area}", years=years)
    g["population_imputed"] = False
    return g.reset_index(drop=True), exhaustive


def segregation_table(atlas: Any, *, scheme: str, level: str, area: str | None = None,
                      years: Iterable[int] | None = None, groups: list[str] | None = None,
                      layout: str | None = None, balanced: bool = True) -> pd.DataFrame:
    """The ``aankomst segregation`` table: indices per period and group, with definitions.

    Columns: ``period, scheme, level, area, group, index, value, n_areas, group_population,
    total_population, population_imputed``.
    """
    yrs = _years(years)
    if level == "brussels_neighbourhood":
        long, exhaustive = brussels_neighbourhood_counts(atlas, yrs, scheme=scheme, balanced=balanced)
        if area:
            long = long[_in_area(long["area_code"], level, area).to_numpy()]
    else:
        long, exhaustive = store_counts(atlas, level=level, scheme=scheme, years=yrs, layout=layout, area=area)
    if groups:
        unknown = [g for g in groups if g not in set(long["group"])]
        if unknown:
            raise UnknownCodeError("group", unknown[0], known=sorted(set(long["group"])))
        long = long[long["group"].isin(groups)]
        exhaustive = False
    imputed = long.groupby("period")["population_imputed"].any()
    out = indices(long, exhaustive=exhaustive)
    out["population_imputed"] = out["period"].map(imputed).astype(bool)
    if "population_from_density" in long.columns:
        dens = long.groupby("period")["population_from_density"].any()
        out["population_from_density"] = out["period"].map(dens).astype(bool)
    out.insert(1, "scheme", scheme)
    out.insert(2, "level", level)
    out.insert(3, "area", area or "")
    return out
