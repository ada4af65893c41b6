"""Population indicators: counts, density, group shares and their change (pure functions).

All shares are ratios of summed counts (group count ÷ total count of the same area and date);
published shares (e.g. the Brussels neighbourhood monitoring) are used only where no counts
reach the asked level, and only at the level they were published for.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError
from aankomst.indicators import _counts as C
from aankomst.indicators._store import (
    Store,
    Trace,
    group_key,
    parse_date,
    resolve_level,
    result_frame,
    small_cells,
    split_group,
    threshold,
)
from aankomst.indicators.result import Computed
from aankomst.paths import package_data


def population(atlas: Any, *, level: str, period: Any, group: str | None = None,
               scheme: str | None = None, layout: str | None = None, **_: Any) -> Computed:
    """Number of inhabitants (of a group) on the reference date (1 January of a year).

    Unit: persons. Counts are summed from the finest stored level along crosswalks.
    """
    s, target = Store(atlas), resolve_level(level, layout)
    scheme, group = split_group(group, scheme)
    ref, tr = parse_date(period), Trace()
    df = C.group_population(s, target, ref, scheme, group, indicator="population", trace=tr)
    df = df.assign(value=df["count"], numerator=df["count"], denominator=np.nan)
    return result_frame(s, target, df, period=ref.isoformat(), group=group_key(scheme, group),
                        unit="persons", trace=tr)


def density(atlas: Any, *, level: str, period: Any, group: str | None = None,
            scheme: str | None = None, layout: str | None = None, **_: Any) -> Computed:
    """Inhabitants per km² (land area of the unit in the atlas, or of its geometry)."""
    s, target = Store(atlas), resolve_level(level, layout)
    scheme, group = split_group(group, scheme)
    ref, tr = parse_date(period), Trace()
    pop = C.group_population(s, target, ref, scheme, group, indicator="density", trace=tr)
    km2 = s.area_km2(target)
    df = pop.merge(km2, on="code", how="left")
    if df["area_km2"].isna().all():
        raise MissingInputError("density", f"areas (km²) or geometry of level {target[0]} "
                                f"(layout {target[1]})")
    df = df[df["area_km2"].notna() & (df["area_km2"] > 0)]
    df = df.assign(value=df["count"] / df["area_km2"], numerator=df["count"], denominator=np.nan)
    return result_frame(s, target, df, period=ref.isoformat(), group=group_key(scheme, group),
                        unit="persons/km²", trace=tr)


def _published_share_map() -> pd.DataFrame:
    return pd.read_csv(package_data("indicators/published_shares.csv"), dtype=str,
                       keep_default_na=False)


def published_share_groups(atlas: Any) -> set[tuple[str, str]]:
    """``(scheme, group)`` pairs offered through published shares stored in the atlas: the
    stored measure's own scheme/group and the schemes ``published_shares.csv`` maps it to."""
    rows = atlas.con.execute(
        "SELECT DISTINCT measure, scheme, grp FROM measures WHERE measure IN "
        "('group_share', 'nationality_share') AND scheme <> 'total'").fetchall()
    have = {(str(m), str(s), str(g)) for m, s, g in rows}
    out = {(s, g) for _, s, g in have}
    for r in _published_share_map().itertuples(index=False):
        if (r.measure, r.measure_scheme, r.measure_grp) in have:
            out.add((str(r.scheme), str(r.grp)))
    return out


def _published_shares(s: Store, target, year: int, scheme: str, grp: str, trace: Trace,
                      indicator: str) -> pd.DataFrame | None:
    """Published shares (%) of a group at the target level, or None."""
    m = _published_share_map()
    rows = m[(m["scheme"] == scheme) & (m["grp"] == grp)]
    tries = [(mid, scheme, grp, "") for mid in ("group_share", "nationality_share")]
    tries += [(r.measure, r.measure_scheme, r.measure_grp, r.publisher_definition)
              for r in rows.itertuples(index=False)]
    for measure, sch, g, pubdef in tries:
        for period in (str(year), f"{year}-01-01"):
            df = C.measure_values(s, target, measure, period, scheme=sch, grp=g,
                                  indicator=indicator, trace=None, required=False)
            if not df.empty:
                C.measure_values(s, target, measure, period, scheme=sch, grp=g,
                                 indicator=indicator, trace=trace, required=False)
                unit = str(df["unit"].iloc[0]).lower()
                val = df["value"].astype(float)
                if unit in ("share", "fraction", "ratio", "proportion"):
                    val = val * 100
                trace.notes.append(f"published shares ({measure} {sch}/{g}) used: the publisher's "
                                   "counts are not in the atlas" + (f"; publisher's definition: "
                                                                    f"{pubdef}" if pubdef else ""))
                return pd.DataFrame({"code": df["code"], "value": val,
                                     "numerator": np.nan, "denominator": np.nan})
    return None


def _share(s: Store, target, period: Any, scheme: str | None, grp: str | None, tr: Trace,
           indicator: str) -> pd.DataFrame:
    ref = parse_date(period)
    if scheme in (None, "total") or grp in (None, "total"):
        raise MissingInputError(indicator, "a population group (--scheme S --group G)")
    try:
        nt = Trace()
        num = C.group_population(s, target, ref, scheme, grp, indicator=indicator, trace=nt)
        # the denominator from the numerator's file where it can (one source per share)
        den = C.group_population(s, target, ref, None, None, indicator=indicator, trace=tr,
                                 prefer=nt.load_ids)
        tr.load_ids |= nt.load_ids
        tr.notes += nt.notes
        tr.split = tr.split or nt.split
    except MissingInputError:
        pub = _published_shares(s, target, ref.year, scheme, grp, tr, indicator)
        if pub is None:
            raise
        tr.add_period(ref.isoformat())
        return pub
    df = num.rename(columns={"count": "numerator"}).merge(
        den.rename(columns={"count": "denominator"}), on="code", how="inner")
    df = df[df["denominator"] > 0]
    return df.assign(value=100.0 * df["numerator"] / df["denominator"])


def group_share(atlas: Any, *, level: str, period: Any, group: str | None = None,
                scheme: str | None = None, layout: str | None = None, **_: Any) -> Computed:
    """Share of a group in the population, in % (group count ÷ total count × 100).

    Where the atlas has no counts at the level but published shares (Brussels monitoring
    neighbourhoods), the published share is returned (numerator/denominator empty).
    """
    s, target = Store(atlas), resolve_level(level, layout)
    scheme, group = split_group(group, scheme)
    tr = Trace()
    df = _share(s, target, period, scheme, group, tr, "group_share")
    return result_frame(s, target, df, period=parse_date(period).isoformat(),
                        group=group_key(scheme, group), unit="%", trace=tr)


def foreign_nationality_share(atlas: Any, *, level: str, period: Any, layout: str | None = None,
                              **_: Any) -> Computed:
    """Share of inhabitants without Belgian nationality, in % (``nationality/ETR`` ÷ total)."""
    s, target = Store(atlas), resolve_level(level, layout)
    tr = Trace()
    df = _share(s, target, period, "nationality", "ETR", tr, "foreign_nationality_share")
    return result_frame(s, target, df, period=parse_date(period).isoformat(),
                        group="nationality:ETR", unit="%", trace=tr)


def group_share_change(atlas: Any, *, level: str, period: Any, group: str | None = None,
                       scheme: str | None = None, base_year: Any = None, layout: str | None = None,
                       **_: Any) -> Computed:
    """Change of a group's share between ``base_year`` and ``period``, in percentage points.

    Both shares are computed on the same target layout (counts of older layouts re-expressed
    along the crosswalks). Without ``base_year`` the base is the first year (1 January) with a
    share of the group at the level — the same rule as the periods on offer
    (:class:`~aankomst.indicators.availability.Change`). ``numerator``/``denominator`` are the
    end-date counts; a row is suppressed when the base-date counts are small too.
    """
    from aankomst.indicators.availability import share_years

    s, target = Store(atlas), resolve_level(level, layout)
    scheme, group = split_group(group, scheme)
    if scheme is None and group is None:
        scheme, group = "nationality", "ETR"
    tr = Trace()
    if base_year is None:
        years = share_years(atlas, f"{target[0]}@{target[1]}", scheme, group)
        if not years:
            raise MissingInputError("group_share_change", f"shares of {scheme}:{group}",
                                    fix=f"no year has them at level {target[0]} (layout "
                                    f"{target[1]}); give --base-year or another level")
        base_year = years[0]
        tr.notes.append(f"base year {base_year}: the first year with this share at this level")
    if parse_date(base_year) >= parse_date(period):
        raise MissingInputError("group_share_change", f"an end date after the base year "
                                f"{base_year}", years=str(period))
    a = _share(s, target, base_year, scheme, group, tr, "group_share_change")
    b = _share(s, target, period, scheme, group, tr, "group_share_change")
    df = b.merge(a, on="code", suffixes=("", "_0"))
    small0 = small_cells(df, ("numerator_0", "denominator_0"), threshold(s.atlas))
    df["value"] = df["value"] - df["value_0"]
    return result_frame(s, target, df, period=f"{parse_date(base_year).isoformat()}/"
                        f"{parse_date(period).isoformat()}", group=group_key(scheme, group),
                        unit="pp", trace=tr, suppressed=small0)


def foreign_nationality_share_change(atlas: Any, *, level: str, period: Any, base_year: Any = None,
                                     layout: str | None = None, **_: Any) -> Computed:
    """Change of the foreign-nationality share between two dates, in percentage points."""
    return group_share_change(atlas, level=level, period=period, scheme="nationality",
                              group="ETR", base_year=base_year, layout=layout)
