"""Migration indicators over a window of years (pure functions over the store).

Conventions
-----------
* ``period`` is the last year of the window (``window`` years, default 3 for balances) or an
  explicit window ``'2010-2012'``. Flows of a year are moves during that calendar year.
* Rates are **per year**: the window's summed counts divided by the number of years, divided by
  the base population (``base='mean'``: mean of the population on 1 January of each window
  year; ``'midyear'``: mean of the yearly averages (1 Jan y + 1 Jan y+1)/2; ``'start'``,
  ``'end'``: 1 January of the first/last year; or a year) × 1,000 (balances) or × 100 (mobility).
* Sign from the area's side: a positive balance means the area gains people.
* ``internal`` moves = moves with other areas in Belgium (origin/destination kind ``area`` or
  ``belgium``); moves from/to abroad and of unknown origin are excluded. Moves within an area
  (both ends in it) are not migration of that area.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.indicators import _counts as C
from aankomst.indicators._flows import flow_table
from aankomst.indicators._store import (
    BRUSSELS_REGION,
    Node,
    Store,
    Trace,
    group_key,
    parse_window,
    period_label,
    resolve_level,
    result_frame,
    small_cells,
    split_group,
    threshold,
)
from aankomst.store.schema import CURRENT_LAYOUT


def _by_code(out: pd.DataFrame, df: pd.DataFrame, flags: np.ndarray) -> np.ndarray:
    """Align per-row flags of ``df`` (column ``code``) with the result rows of ``out``."""
    m = dict(zip(df["code"].astype(str), flags))
    return np.array([bool(m.get(c, False)) for c in out["area_code"]], dtype=bool)


def base_population(s: Store, target: Node, y0: int, y1: int, scheme: str | None, grp: str | None,
                    base: Any, *, indicator: str, trace: Trace) -> pd.DataFrame:
    """``code, base`` population of the window (see module docstring for ``base``)."""
    base = "mean" if base in (None, "") else str(base)
    if base == "mean":
        years, weights = list(range(y0, y1 + 1)), None
    elif base == "midyear":
        years = list(range(y0, y1 + 2))
        weights = np.array([0.5] + [1.0] * (len(years) - 2) + [0.5]) / (len(years) - 1)
    elif base == "start":
        years, weights = [y0], None
    elif base == "end":
        years, weights = [y1], None
    elif base.isdigit() and len(base) == 4:
        years, weights = [int(base)], None
    else:
        raise UnknownCodeError("base population", base,
                               known=["mean", "midyear", "start", "end", "YYYY"])
    frames, missing = [], []
    for y in years:
        try:
            p = C.group_population(s, target, date(y, 1, 1), scheme, grp, indicator=indicator,
                                   trace=trace)
        except MissingInputError:
            missing.append(y)
            continue
        frames.append(p.assign(y=y))
    if missing:
        what = "population counts" + ("" if grp in (None, "total") else f" of group {scheme}/{grp}")
        raise MissingInputError(indicator, what + f" for the base population ({base})",
                                years=[f"{y}-01-01" for y in missing])
    allp = pd.concat(frames, ignore_index=True)
    wide = allp.pivot_table(index="code", columns="y", values="count", aggfunc="sum")
    wide = wide.dropna()  # areas must have a count for every year of the base
    w = np.full(len(years), 1.0 / len(years)) if weights is None else weights
    return pd.DataFrame({"code": wide.index, "base": wide[years].to_numpy() @ w})


def _setup(atlas: Any, level: str, layout: str | None, period: Any, window: Any, default_window: int,
           group: str | None, scheme: str | None):
    s, target = Store(atlas), resolve_level(level, layout)
    scheme, group = split_group(group, scheme)
    y0, y1 = parse_window(period, int(window) if window not in (None, "") else default_window)
    return s, target, scheme, group, y0, y1, Trace()


def _in_out(f: pd.DataFrame, codes: pd.Series | None = None) -> pd.DataFrame:
    """Per target code: internal inflow and outflow (moves with other Belgian areas)."""
    internal_o = f["o_kind"].isin(["area", "belgium"])
    internal_d = f["d_kind"].isin(["area", "belgium"])
    ok = internal_o & internal_d
    same = f["o_code"].notna() & (f["o_code"] == f["d_code"])
    inflow = f[ok & f["d_code"].notna() & ~same].groupby("d_code")["count"].sum()
    outflow = f[ok & f["o_code"].notna() & ~same].groupby("o_code")["count"].sum()
    out = pd.concat([inflow.rename("inflow"), outflow.rename("outflow")], axis=1).fillna(0.0)
    out.index.name = "code"
    return out.reset_index()


def internal_migration_balance(
    atlas: Any, *, level: str, period: Any, group: str | None = None, scheme: str | None = None,
    window: Any = 3, base: Any = "mean", base_population_of: str = "group",
    layout: str | None = None, **_: Any,
) -> pd.DataFrame:
    """Internal-migration balance per 1,000 inhabitants per year over a window (default 3 years).

    value = (moves in from other Belgian areas − moves out to them) / years / base population
    × 1,000. ``base_population_of='group'`` (default) divides a group's balance by the group's
    population, ``'total'`` by the total population.
    """
    ind = "internal_migration_balance"
    s, target, scheme, group, y0, y1, tr = _setup(atlas, level, layout, period, window, 3, group, scheme)
    f = flow_table(s, target, y0, y1, scheme, group, indicator=ind, trace=tr)
    io = _in_out(f)
    bs, bg = (scheme, group) if base_population_of == "group" else (None, None)
    bp = base_population(s, target, y0, y1, bs, bg, base, indicator=ind, trace=tr)
    df = io.merge(bp, on="code", how="inner")
    n = y1 - y0 + 1
    df = df[df["base"] > 0].sort_values("code").reset_index(drop=True)
    df = df.assign(value=1000.0 * (df["inflow"] - df["outflow"]) / n / df["base"],
                   numerator=np.nan, denominator=df["base"])
    sup = small_cells(df, ["inflow", "outflow"], threshold(atlas))
    out = result_frame(s, target, df, period=period_label(y0, y1), group=group_key(scheme, group),
                       unit="per 1,000 inhabitants per year", trace=tr)
    out["suppressed"] = _by_code(out, df, sup)
    return out


def _reference_node(s: Store, reference: str, reference_level: str | None) -> Node:
    if reference_level:
        return resolve_level(reference_level)
    rows = s.atlas.con.execute(
        "SELECT DISTINCT level, layout FROM areas WHERE code = ?", [str(reference)]).fetchall()
    if not rows:
        raise UnknownCodeError("reference area", reference,
                               hint="give an area code of the atlas, e.g. 04000 (Brussels Capital "
                               "Region), 11002 (Antwerpen), 44021 (Gent)")
    for lv, ly in rows:
        if CURRENT_LAYOUT.get(lv) == ly:
            return lv, ly
    return rows[0][0], rows[0][1]


def bilateral_balance(
    atlas: Any, *, level: str, period: Any, reference: str = BRUSSELS_REGION,
    reference_level: str | None = None, group: str | None = None, scheme: str | None = None,
    window: Any = 3, base: Any = "mean", rate: Any = True, layout: str | None = None, **_: Any,
) -> pd.DataFrame:
    """Migration balance of each area with one reference area, sign from the area's side.

    value = (moves from the reference area into the area − moves from the area to the reference
    area) / years, per 1,000 inhabitants of the area (``rate=True``, default) or in persons per
    year (``rate=False``). Negative: the area loses people to the reference area. Needs
    origin-destination flows.
    """
    ind = "bilateral_balance"
    s, target, scheme, group, y0, y1, tr = _setup(atlas, level, layout, period, window, 3, group, scheme)
    ref_node = _reference_node(s, str(reference), reference_level)
    f = flow_table(s, target, y0, y1, scheme, group, indicator=ind, trace=tr,
                   extra={"ref": ref_node}, need_area_origins=True)
    R = str(reference)
    same = f["o_code"].notna() & (f["o_code"] == f["d_code"])
    inflow = f[(f["o_ref"] == R) & f["d_code"].notna() & ~same].groupby("d_code")["count"].sum()
    outflow = f[(f["d_ref"] == R) & f["o_code"].notna() & ~same].groupby("o_code")["count"].sum()
    io = pd.concat([inflow.rename("inflow"), outflow.rename("outflow")], axis=1).fillna(0.0)
    io.index.name = "code"
    io = io.reset_index()
    # every area reached by any flow gets a value (0 when it has no moves with the reference)
    allc = pd.DataFrame({"code": sorted(set(f["o_code"].dropna()) | set(f["d_code"].dropna()))})
    io = allc.merge(io, on="code", how="left").fillna(0.0)
    n = y1 - y0 + 1
    per_year = (io["inflow"] - io["outflow"]) / n
    if str(rate).lower() in ("true", "1", "yes", "per_1000"):
        bp = base_population(s, target, y0, y1, scheme, group, base, indicator=ind, trace=tr)
        io = io.merge(bp, on="code", how="inner")
        io = io[io["base"] > 0]
        per_year = (io["inflow"] - io["outflow"]) / n
        io = io.assign(value=1000.0 * per_year / io["base"], denominator=io["base"])
        unit = "per 1,000 inhabitants per year"
    else:
        io = io.assign(value=per_year, denominator=np.nan)
        unit = "persons per year"
    io["numerator"] = np.nan  # a net balance is not a count of persons
    tr.notes.append(f"reference area {R} ({ref_node[0]}); sign from the area's side")
    io = io.sort_values("code").reset_index(drop=True)
    sup = small_cells(io, ["inflow", "outflow"], threshold(atlas))
    out = result_frame(s, target, io, period=period_label(y0, y1), group=group_key(scheme, group),
                       unit=unit, trace=tr)
    out["suppressed"] = _by_code(out, io, sup)
    return out


def _city_flows(atlas, level, layout, period, window, default_window, group, scheme, city_level,
                ind, extra=None, need="both"):
    s, target, scheme, group, y0, y1, tr = _setup(atlas, level, layout, period, window,
                                                  default_window, group, scheme)
    city_node = resolve_level(city_level or "municipality")
    f = flow_table(s, target, y0, y1, scheme, group, indicator=ind, trace=tr,
                   extra={"city": city_node, **(extra or {})}, need=need)
    parents = s.parent_map(target, city_node)
    f = f.merge(parents.rename(columns={"code": "o_code", "parent": "o_home"}), on="o_code", how="left")
    f = f.merge(parents.rename(columns={"code": "d_code", "parent": "d_home"}), on="d_code", how="left")
    return s, target, scheme, group, y0, y1, tr, f, parents


def _ext_int(f: pd.DataFrame) -> pd.DataFrame:
    known_o = f["o_kind"] != "unknown"
    known_d = f["d_kind"] != "unknown"
    same = f["o_code"].notna() & (f["o_code"] == f["d_code"])
    # arrival into A (d_code); origin outside A's city?
    o_out_city = (f["o_kind"] != "area") | f["o_city"].isna() | (f["o_city"] != f["d_home"])
    d_out_city = (f["d_kind"] != "area") | f["d_city"].isna() | (f["d_city"] != f["o_home"])
    arr = f[f["d_code"].notna() & ~same & known_o]
    dep = f[f["o_code"].notna() & ~same & known_d]
    parts = {
        "ext_in": arr[o_out_city.loc[arr.index]].groupby("d_code")["count"].sum(),
        "int_in": arr[~o_out_city.loc[arr.index]].groupby("d_code")["count"].sum(),
        "ext_out": dep[d_out_city.loc[dep.index]].groupby("o_code")["count"].sum(),
        "int_out": dep[~d_out_city.loc[dep.index]].groupby("o_code")["count"].sum(),
    }
    out = pd.concat([v.rename(k) for k, v in parts.items()], axis=1).fillna(0.0)
    out.index.name = "code"
    return out.reset_index()


def _balance_in_city(kind: str, atlas, level, period, group, scheme, window, base, city_level,
                     layout) -> pd.DataFrame:
    ind = f"{kind}_balance"
    s, target, scheme, group, y0, y1, tr, f, _ = _city_flows(
        atlas, level, layout, period, window, 3, group, scheme, city_level, ind)
    io = _ext_int(f)
    bp = base_population(s, target, y0, y1, scheme, group, base, indicator=ind, trace=tr)
    df = io.merge(bp, on="code", how="inner")
    df = df[df["base"] > 0].sort_values("code").reset_index(drop=True)
    a, b = (("ext_in", "ext_out") if kind == "external" else ("int_in", "int_out"))
    n = y1 - y0 + 1
    df = df.assign(value=1000.0 * (df[a] - df[b]) / n / df["base"], numerator=np.nan,
                   denominator=df["base"])
    sup = small_cells(df, [a, b], threshold(atlas))
    out = result_frame(s, target, df, period=period_label(y0, y1), group=group_key(scheme, group),
                       unit="per 1,000 inhabitants per year", trace=tr)
    out["suppressed"] = _by_code(out, df, sup)
    return out


def external_balance(atlas: Any, *, level: str, period: Any, group: str | None = None,
                     scheme: str | None = None, window: Any = 3, base: Any = "mean",
                     city_level: str = "municipality", layout: str | None = None, **_: Any) -> pd.DataFrame:
    """Balance of moves across the city boundary (from/to abroad, the rest of Belgium and other
    municipalities) of an area inside its city, per 1,000 inhabitants per year."""
    return _balance_in_city("external", atlas, level, period, group, scheme, window, base,
                            city_level, layout)


def internal_balance(atlas: Any, *, level: str, period: Any, group: str | None = None,
                     scheme: str | None = None, window: Any = 3, base: Any = "mean",
                     city_level: str = "municipality", layout: str | None = None, **_: Any) -> pd.DataFrame:
    """Balance of moves between an area and the other areas of the same city, per 1,000
    inhabitants per year (moves within the area itself excluded)."""
    return _balance_in_city("internal", atlas, level, period, group, scheme, window, base,
                            city_level, layout)


def residential_mobility(atlas: Any, *, level: str, period: Any, group: str | None = None,
                         scheme: str | None = None, window: Any = 1, base: Any = "mean",
                         layout: str | None = None, **_: Any) -> pd.DataFrame:
    """Residential mobility (verhuisintensiteit), % per year: (arrivals + departures + moves
    within the area) / years / base population × 100. Arrivals and departures include moves
    from/to abroad and of unknown origin/destination."""
    ind = "residential_mobility"
    s, target, scheme, group, y0, y1, tr = _setup(atlas, level, layout, period, window, 1, group, scheme)
    f = flow_table(s, target, y0, y1, scheme, group, indicator=ind, trace=tr)
    same = f["o_code"].notna() & (f["o_code"] == f["d_code"])
    arr = f[f["d_code"].notna() & ~same].groupby("d_code")["count"].sum().rename("arr")
    dep = f[f["o_code"].notna() & ~same].groupby("o_code")["count"].sum().rename("dep")
    within = f[same].groupby("o_code")["count"].sum().rename("within")
    io = pd.concat([arr, dep, within], axis=1).fillna(0.0)
    io.index.name = "code"
    io = io.reset_index()
    bp = base_population(s, target, y0, y1, scheme, group, base, indicator=ind, trace=tr)
    df = io.merge(bp, on="code", how="inner")
    df = df[df["base"] > 0]
    moves = df["arr"] + df["dep"] + df["within"]
    n = y1 - y0 + 1
    df = df.assign(value=100.0 * moves / n / df["base"], numerator=moves, denominator=df["base"])
    return result_frame(s, target, df, period=period_label(y0, y1), group=group_key(scheme, group),
                        unit="% per year", trace=tr)


FIRST_ENTRY_ORIGINS = ("abroad", "brussels", "other_belgium")


def first_entry_share(atlas: Any, *, level: str, period: Any, origin: str = "abroad",
                      group: str | None = None, scheme: str | None = None, window: Any = 1,
                      layout: str | None = None, **_: Any) -> pd.DataFrame:
    """Share of the newcomers to an area (default: foreign nationals, ``nationality:ETR``)
    arriving directly from abroad (``origin='abroad'``), from the Brussels Capital Region
    (``'brussels'``) or from another Belgian municipality (``'other_belgium'``), in % of all
    their arrivals (moves of unknown origin excluded), pooled over the window."""
    ind = "first_entry_share"
    if origin not in FIRST_ENTRY_ORIGINS:
        raise UnknownCodeError("first-entry origin", origin, known=list(FIRST_ENTRY_ORIGINS))
    if group is None and scheme is None:
        scheme, group = "nationality", "ETR"
    s, target, scheme, group, y0, y1, tr = _setup(atlas, level, layout, period, window, 1, group, scheme)
    region = resolve_level("region")
    f = flow_table(s, target, y0, y1, scheme, group, indicator=ind, trace=tr, extra={"rg": region},
                   need="arrivals")
    same = f["o_code"].notna() & (f["o_code"] == f["d_code"])
    arr = f[f["d_code"].notna() & ~same & (f["o_kind"] != "unknown")].copy()
    cat = np.where(arr["o_kind"] == "abroad", "abroad",
                   np.where((arr["o_kind"] == "area") & (arr["o_rg"] == BRUSSELS_REGION),
                            "brussels", "other_belgium"))
    arr["cat"] = cat
    if origin != "abroad":
        # arrivals from 'elsewhere in Belgium' (unspecified) cannot be split Brussels / other
        vague = set(arr.loc[arr["o_kind"] == "belgium", "d_code"])
        if vague:
            tr.drop_codes |= vague
            tr.notes.append(f"{len(vague)} area(s) left out: arrivals from elsewhere in Belgium "
                            "without the municipality of origin cannot be split into Brussels / "
                            "other municipalities")
            if not set(arr["d_code"]) - vague:
                raise MissingInputError(ind, "flows with the municipality of origin of moves "
                                        "within Belgium", years=list(range(y0, y1 + 1)))
    tot = arr.groupby("d_code")["count"].sum().rename("denominator")
    num = arr[arr["cat"] == origin].groupby("d_code")["count"].sum().rename("numerator")
    df = pd.concat([num, tot], axis=1).fillna(0.0)
    df.index.name = "code"
    df = df.reset_index()
    df = df[df["denominator"] > 0]
    df = df.assign(value=100.0 * df["numerator"] / df["denominator"])
    tr.notes.append(f"origin category: {origin}")
    return result_frame(s, target, df, period=period_label(y0, y1),
                        group=group_key(scheme, group), unit="%", trace=tr)


def newcomer_concentration(atlas: Any, *, level: str, period: Any, group: str | None = None,
                           scheme: str | None = None, window: Any = 1,
                           newcomers: str = "outside_city", city_level: str = "municipality",
                           layout: str | None = None, **_: Any) -> pd.DataFrame:
    """Newcomer concentration ratio: (area's share of its city's newcomers) ÷ (area's share of
    the city's population on 1 January of the last window year). Newcomers: arrivals into the
    area from outside the city (``newcomers='outside_city'``, default) or from abroad
    (``'abroad'``), of the group; population: all inhabitants. 1 = proportional."""
    ind = "newcomer_concentration"
    if newcomers not in ("outside_city", "abroad"):
        raise UnknownCodeError("newcomer definition", newcomers, known=["outside_city", "abroad"])
    s, target, scheme, group, y0, y1, tr, f, parents = _city_flows(
        atlas, level, layout, period, window, 1, group, scheme, city_level, ind, need="arrivals")
    same = f["o_code"].notna() & (f["o_code"] == f["d_code"])
    arr = f[f["d_code"].notna() & ~same]
    if newcomers == "abroad":
        arr = arr[arr["o_kind"] == "abroad"]
    else:
        arr = arr[(arr["o_kind"] != "unknown") & ((arr["o_kind"] != "area") | arr["o_city"].isna()
                                                   | (arr["o_city"] != arr["d_home"]))]
    nc = arr.groupby("d_code")["count"].sum().rename("newc")
    pop = C.group_population(s, target, date(y1, 1, 1), None, None, indicator=ind, trace=tr)
    df = pop.rename(columns={"count": "pop"}).merge(parents, on="code", how="inner")
    df = df.merge(nc, left_on="code", right_index=True, how="left").fillna({"newc": 0.0})
    city = df.groupby("parent")[["newc", "pop"]].sum().rename(columns={"newc": "city_newc",
                                                                       "pop": "city_pop"})
    df = df.merge(city, left_on="parent", right_index=True)
    df = df[(df["city_newc"] > 0) & (df["pop"] > 0)]
    df = df.assign(value=(df["newc"] / df["city_newc"]) / (df["pop"] / df["city_pop"]),
                   numerator=df["newc"], denominator=df["pop"])
    tr.notes.append(f"newcomers: {newcomers}; population on {y1}-01-01")
    return result_frame(s, target, df, period=period_label(y0, y1), group=group_key(scheme, group),
                        unit="ratio", trace=tr)
