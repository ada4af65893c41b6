"""Implementations of the register indicators (declared in :mod:`aankomst.register.specs`,
texts in ``data/indicators/register.csv``).

Each follows the contract of :class:`~aankomst.indicators.spec.IndicatorSpec`:
``fn(atlas, *, level, period, **params) -> Computed`` with the columns
:data:`~aankomst.indicators.result.VALUE_COLUMNS`, the ``load_id`` of every file read, the
reference periods, and ``restricted`` — aggregates of a register extract are person-level data,
so :func:`aankomst.indicators.compute` applies the small-cell rule with complementary
suppression to them.

* Measures of the register load (``new_residents_5y``, ``recent_immigrants``) are read where
  stored: ``register load`` writes them at every level its sectors map onto whole, and a level
  reached only in part is never approximated. Populations (denominators) come from the engine's
  population counts, preferring the register's own file.
* :func:`residential_mobility_ratio` and :func:`arrival_typology` are derived from published
  indicators (:mod:`aankomst.register.features`): their provenance is that of their inputs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError
from aankomst.indicators import _counts as C
from aankomst.indicators._store import (
    Node,
    Store,
    Trace,
    parse_window,
    parse_year,
    resolve_level,
)
from aankomst.indicators.result import VALUE_COLUMNS, Computed

_LOAD_FIX = ("load a register extract whose sectors map whole onto this level: "
             "aankomst register load DIR --db FILE")


def _measure(s: Store, target: Node, measure: str, period: str, indicator: str,
             trace: Trace) -> pd.DataFrame:
    """``code, value`` of a register measure stored at the target level (persons).

    Raises
    ------
    MissingInputError
        When the measure is not stored at the level for the period.
    """
    m = C.measure_values(s, target, measure, period, indicator=indicator, trace=trace,
                         aggregate=False, required=False)
    if m.empty:
        raise MissingInputError(indicator, f"register measure {measure!r} at level {target[0]} "
                                f"(layout {target[1]})", years=period, fix=_LOAD_FIX)
    return m[["code", "value"]]


def _population(s: Store, target: Node, year: int, indicator: str, trace: Trace,
                prefer: set[int]) -> pd.DataFrame:
    """``code, denominator``: inhabitants on 1 January ``year`` (the register's file first)."""
    p = C.group_population(s, target, date(year, 1, 1), None, None, indicator=indicator,
                           trace=trace, prefer=prefer)
    return p.rename(columns={"count": "denominator"})


def _computed(s: Store, target: Node, df: pd.DataFrame, *, period: str, unit: str,
              trace: Trace, group: str = "total") -> Computed:
    """:class:`Computed` (restricted) from ``df[code, value, numerator, denominator]``."""
    df = df.sort_values("code").reset_index(drop=True)
    names = s.names(target, df["code"].astype(str))
    out = pd.DataFrame({
        "area_code": df["code"].astype(str).to_numpy(),
        "area_name": names["area_name"].to_numpy(),
        "level": target[0], "layout": target[1], "period": period, "group": group,
        "value": pd.to_numeric(df["value"], errors="coerce").astype(float).to_numpy(),
        "unit": unit,
        "numerator": pd.to_numeric(df["numerator"], errors="coerce").astype(float).to_numpy(),
        "denominator": pd.to_numeric(df["denominator"], errors="coerce").astype(float).to_numpy(),
        "area_name_fr": names["area_name_fr"].to_numpy(),
    })
    return Computed(out[VALUE_COLUMNS], load_ids=trace.load_ids, periods=trace.periods,
                    notes=trace.notes, split=trace.split, restricted=True)


def share_new_residents_5y(atlas: Any, *, level: str, period: Any, layout: str | None = None,
                           **_: Any) -> Computed:
    """Share of new residents: % of the residents on 1 January ``period`` who did not live in
    the area five years earlier (born or arrived since included).

    Parameters
    ----------
    atlas
        An open atlas with a register load (measure ``new_residents_5y``).
    level, layout
        Level (``level@layout`` accepted) and layout.
    period
        Reference year (1 January) or date ``YYYY-01-01``.

    Returns
    -------
    Computed
        Unit %; numerator = new residents (persons), denominator = inhabitants on the date.

    Raises
    ------
    MissingInputError
        No ``new_residents_5y`` stored at the level for the date, or no population.
    """
    ind = "share_new_residents_5y"
    s, target, tr = Store(atlas), resolve_level(level, layout), Trace()
    year = parse_year(period)
    num = _measure(s, target, "new_residents_5y", f"{year}-01-01", ind, tr)
    den = _population(s, target, year, ind, tr, prefer=set(tr.load_ids))
    df = num.rename(columns={"value": "numerator"}).merge(den, on="code", how="inner")
    df["value"] = 100.0 * df["numerator"] / df["denominator"].where(df["denominator"] > 0)
    return _computed(s, target, df, period=str(year), unit="%", trace=tr)


def recent_immigrants(atlas: Any, *, level: str, period: Any, layout: str | None = None,
                      **_: Any) -> Computed:
    """Recent immigrants: non-Belgians first registered in Belgium in year ``period`` and living
    in the area on 1 January of the next year (persons).

    Raises
    ------
    MissingInputError
        No ``recent_immigrants`` stored at the level for the year.
    """
    ind = "recent_immigrants"
    s, target, tr = Store(atlas), resolve_level(level, layout), Trace()
    year = parse_year(period)
    m = _measure(s, target, "recent_immigrants", str(year), ind, tr)
    df = m.assign(numerator=m["value"], denominator=np.nan)
    return _computed(s, target, df, period=str(year), unit="persons", trace=tr)


def recent_immigrants_per_1000(atlas: Any, *, level: str, period: Any,
                               layout: str | None = None, **_: Any) -> Computed:
    """Recent immigrants of year ``period`` per 1,000 inhabitants on 1 January of the next year.

    Raises
    ------
    MissingInputError
        No ``recent_immigrants`` stored at the level for the year, or no population on
        1 January of the next year.
    """
    ind = "recent_immigrants_per_1000"
    s, target, tr = Store(atlas), resolve_level(level, layout), Trace()
    year = parse_year(period)
    m = _measure(s, target, "recent_immigrants", str(year), ind, tr)
    den = _population(s, target, year + 1, ind, tr, prefer=set(tr.load_ids))
    df = m.rename(columns={"value": "numerator"}).merge(den, on="code", how="inner")
    df["value"] = 1000.0 * df["numerator"] / df["denominator"].where(df["denominator"] > 0)
    return _computed(s, target, df, period=str(year), unit="per 1000", trace=tr)


def residential_mobility_ratio(atlas: Any, *, level: str, period: Any, window: Any = 1,
                               base: Any = "mean", city_level: str | None = None,
                               layout: str | None = None, **_: Any) -> Computed:
    """Residential mobility of an area ÷ residential mobility of its city (ratio).

    Both are the published ``residential_mobility`` (moves in + out + within, % of the base
    population per year) over the same window: at the area's level and at the city level
    (:data:`~aankomst.register.features.CITY_LEVEL`: the municipality; the region for Brussels
    monitoring neighbourhoods and municipalities). 1 = as mobile as the city.

    Parameters
    ----------
    atlas, level, layout
        Atlas, level (``level@layout`` accepted) and layout.
    period, window
        Window ``'Y0-Y1'`` or its end year with ``window`` years (default 1).
    base
        Base population of the mobility (``mean`` …, as ``residential_mobility``).
    city_level
        Level of the city (default as above).

    Returns
    -------
    Computed
        Unit ratio; numerator = the area's moves in the window, denominator = its base
        population; suppressed where either mobility is withheld.

    Raises
    ------
    MissingInputError
        When the mobility of the areas or of their city does not compute for the window.
    UnknownCodeError
        A city level that is not coarser than ``level``.
    """
    from aankomst.register.features import inherit, ratio_calls

    ind = "residential_mobility_ratio"
    y0, y1 = parse_window(period, int(window or 1))
    p = {"base": base, "city_level": city_level}
    area_call = ratio_calls(level, p)[0]
    area = area_call.run(atlas, ind, level, y0, y1, layout)
    target: Node = (str(area.meta["level"]), str(area.meta["layout"]))
    city_call = ratio_calls(target, p, atlas)[1]  # the city layout these areas reach
    city = city_call.run(atlas, ind, level, y0, y1, None)
    s = Store(atlas)
    city_node: Node = (str(city.meta["level"]), str(city.meta["layout"]))
    parents = s.parent_map(target, city_node)
    a = area.data.merge(parents.rename(columns={"code": "area_code"}), on="area_code", how="inner")
    c = city.data.set_index("area_code")
    city_value = a["parent"].map(c["value"])
    city_sup = a["parent"].map(c["suppressed"]).fillna(False).astype(bool)
    ratio = a["value"] / city_value.where(city_value > 0)
    df = a.assign(value=ratio, unit="ratio",
                  suppressed=a["suppressed"].astype(bool) | city_sup)
    note = (f"residential mobility of the area ÷ that of its {city_node[0]} "
            f"({area_call.describe(y1 - y0 + 1)} at both levels, {area.meta['period']})")
    return inherit(df[[*VALUE_COLUMNS, "suppressed"]].reset_index(drop=True), [area, city],
                   [note])


def arrival_typology(atlas: Any, *, level: str, period: Any, window: Any = 5,
                     layout: str | None = None, **_: Any) -> Computed:
    """Arrival typology class per area (``docs/typology.md``).

    ``group`` and ``class`` = class id (``data/typology_classes.csv``), ``value`` = the class's
    numeric value there (gateway 4, gateway and secondary destination 3, secondary destination
    2, transit 1, not an arrival area 0; too small: empty) so that maps shade arrival areas
    darkest; extra columns ``class_label_nl/en/fr`` and ``explanation``. No counts are
    published with the class (numerator and denominator are empty).

    Parameters
    ----------
    atlas, level, layout
        Atlas, sub-municipal level and layout.
    period, window
        Window ``'Y0-Y1'`` or its end year with ``window`` years (default 5).

    Returns
    -------
    Computed
        Provenance of the input indicators (restricted when any of them is).

    Raises
    ------
    MissingInputError
        An input indicator does not compute for the window.
    """
    from aankomst.register.typology import class_table, classify_areas

    res = classify_areas(atlas, level=level, period=period, window=int(window or 5),
                         layout=layout)
    t = res.values
    value = class_table().set_index("class")["value"]
    out = pd.DataFrame({
        "area_code": t["area_code"], "area_name": t["area_name"], "level": t["level"],
        "layout": t["layout"], "period": t["period"], "group": t["class"],
        "value": pd.to_numeric(t["class"].map(value), errors="coerce").astype(float),
        "unit": "class", "numerator": np.nan, "denominator": np.nan,
        "area_name_fr": t["area_name_fr"]})
    for col in ("class", "class_label_nl", "class_label_en", "class_label_fr", "explanation"):
        out[col] = t[col]
    res.values = out.reset_index(drop=True)
    return res
