"""Migration indicators over a window of years (pure functions over the store).

Conventions
-----------
* ``period`` is the last year of the window (``window`` years, default 3 for balances) or an
  explicit window ``'2010-2012'``. Flows of a year are moves during that calendar year.
* Rates are **per year**: the window's summed counts divided by the number of years, divided by
  the base population (``base='mean'``: mean of the population on 1 January of each window
  year; ``'midyear'``: mean of the yearly averages (1 Jan y + 1 Jan y+1)/2; ``'start'``,
  ``'end'``: 1 January of the first/last year; or a year) × 1,000 (balances) or × 100 (mobility).
* Whose population: a group's balance is divided by the group's own population
  (``base_population_of='group'``, default) or by the whole population (``'total'``); every
  result says which in its notes (``per 1,000 inhabitants of the group (nationality:ETR)``).
* Sign from the area's side: a positive balance means the area gains people.
* **Internal migration** (:func:`internal_migration_balance`) = moves with *other Belgian
  municipalities*: the other end is an area in Belgium outside the area (kind ``area``) or
  "elsewhere in Belgium" without a code (kind ``belgium``, which files use for moves with
  municipalities outside their coverage). Moves from/to abroad and of unknown origin are
  excluded. Moves within an area (both ends in it) are not migration of that area; below
  municipality level, moves between areas of the *same municipality* are not internal
  migration either (they make :func:`internal_balance`).
* **Area types overlap** (Antwerpen is a big city and one of the 13 centre cities): every flow
  indicator computes each type on its own and counts each move once per type; a move between
  two municipalities of the same type is a move within it (see ``_flows``).
* **First entry** (:func:`first_entry_share`): the four origins abroad / same_municipality /
  brussels / other_belgium partition the arrivals with a known origin, in that order of
  precedence (see :data:`FIRST_ENTRY_ORIGINS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.indicators import _counts as C
from aankomst.indicators._flows import flow_table
from aankomst.indicators._store import (
    BRUSSELS_REGION,
    FINENESS,
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
from aankomst.indicators.result import Computed
from aankomst.store.schema import CURRENT_LAYOUT

FIRST_ENTRY_ORIGINS = ("abroad", "brussels", "other_belgium", "same_municipality")
"""Origins of :func:`first_entry_share`. They partition the arrivals of known origin; an
arrival falls in the first that applies: ``abroad`` (from another country), then
``same_municipality`` (from another area of the destination's own municipality; only below
municipality level), then ``brussels`` (from a municipality of the Brussels Capital Region,
whatever the destination, so also a move from Anderlecht to Brussel-stad), then
``other_belgium`` (from any other Belgian municipality, or "elsewhere in Belgium")."""

AVERAGES = ("yearly", "pooled")
"""Window figures of a share: mean of the yearly shares (``yearly``, as the studies quote
them) or window sums (``pooled``)."""

BASE_POPULATION_OF = ("group", "total")
"""Denominator of a group's rate: the group's own population or the whole population."""

_MUNICIPALITY = "municipality"


@dataclass
class _Run:
    """What one indicator computation works on (store, target level, group, window, trace)."""

    s: Store
    target: Node
    scheme: str | None
    group: str | None
    y0: int
    y1: int
    trace: Trace = field(default_factory=Trace)

    @property
    def years(self) -> int:
        """Number of years of the window."""
        return self.y1 - self.y0 + 1

    @property
    def key(self) -> str:
        """The ``group`` column value (``total`` or ``scheme:group``)."""
        return group_key(self.scheme, self.group)

    @property
    def period(self) -> str:
        """The ``period`` column value (``2012`` or ``2010-2012``)."""
        return period_label(self.y0, self.y1)


def _setup(atlas: Any, level: str, layout: str | None, period: Any, window: Any,
           default_window: int, group: str | None, scheme: str | None) -> _Run:
    """Resolve the level, group and window of a call."""
    s, target = Store(atlas), resolve_level(level, layout)
    scheme, group = split_group(group, scheme)
    y0, y1 = parse_window(period, int(window) if window not in (None, "") else default_window)
    return _Run(s, target, scheme, group, y0, y1)


def _below_municipality(target: Node) -> bool:
    """Whether the target level lies inside municipalities (deelgemeente, neighbourhood, sector,
    brussels_neighbourhood)."""
    return FINENESS.get(target[0], -1) > FINENESS[_MUNICIPALITY]


def _per_touched_area(f: pd.DataFrame, parts: dict[str, pd.Series]) -> pd.DataFrame:
    """``code`` + one column per part (persons, summed by code) for every target area reached
    by some flow as origin or destination (0 where the part has no moves)."""
    codes = sorted(set(f["o_code"].dropna()) | set(f["d_code"].dropna()))
    cols = {k: v.groupby(level=0).sum().reindex(codes).fillna(0.0).to_numpy(dtype=float)
            for k, v in parts.items()}
    return pd.DataFrame({"code": pd.Series(codes, dtype=object), **cols})


def base_population(s: Store, target: Node, y0: int, y1: int, scheme: str | None, grp: str | None,
                    base: Any, *, indicator: str, trace: Trace) -> pd.DataFrame:
    """Base population of a window.

    Parameters
    ----------
    s, target
        Store and target ``(level, layout)``.
    y0, y1
        First and last year of the window.
    scheme, grp
        Group whose population is counted (both ``None``: all inhabitants).
    base
        ``mean`` (mean of 1 January of the window years), ``midyear`` (mean of the yearly
        averages of 1 January y and y+1), ``start``, ``end`` or a year ``YYYY``.
    indicator, trace
        Indicator id (for errors) and the computation's trace.

    Returns
    -------
    pandas.DataFrame
        ``code, base`` (persons).

    Raises
    ------
    UnknownCodeError
        For an unknown ``base``.
    MissingInputError
        When a needed 1 January count is missing, naming the dates.
    """
    base = "mean" if base in (None, "") else str(base)
    weights: np.ndarray | None
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


_BASE_TEXT = {"mean": "mean of 1 January of the window years",
              "midyear": "mean of the mid-year populations of the window years",
              "start": "1 January of the first window year",
              "end": "1 January of the last window year"}


def _rate_base(run: _Run, base_population_of: Any, base: Any, per: str, ind: str
               ) -> tuple[str | None, str | None]:
    """Whose population divides a group's rate; records it in the notes.

    Parameters
    ----------
    run
        The computation.
    base_population_of
        ``group`` (the group's own inhabitants) or ``total`` (all inhabitants).
    base
        The ``base`` parameter (for the note).
    per
        ``'1,000'`` (balances) or ``'100'`` (mobility).
    ind
        Indicator id.

    Returns
    -------
    tuple
        ``(scheme, group)`` of the base population (``(None, None)`` = everyone).

    Raises
    ------
    UnknownCodeError
        For a value other than ``group`` / ``total``.
    """
    v = "group" if base_population_of in (None, "") else str(base_population_of).strip().lower()
    if v not in BASE_POPULATION_OF:
        raise UnknownCodeError(
            f"base_population_of of indicator {ind!r}", base_population_of,
            known=list(BASE_POPULATION_OF),
            hint="group: per inhabitants of the group itself; total: per inhabitants of all groups")
    b = "mean" if base in (None, "") else str(base)
    when = _BASE_TEXT.get(b, f"1 January {b}")
    if run.key == "total":
        text = f"per {per} inhabitants (all persons)"
    elif v == "group":
        text = f"per {per} inhabitants of the group ({run.key})"
    else:
        text = (f"moves of the group ({run.key}) per {per} inhabitants of the whole population "
                "(all groups; base_population_of=total)")
    run.trace.notes.append(f"denominator: {text}, base population {when}")
    return (run.scheme, run.group) if v == "group" else (None, None)


def _municipality_of_ends(run: _Run, f: pd.DataFrame, ind: str) -> tuple[pd.Series, pd.Series]:
    """Municipality (current layout) of the origin and destination end of each flow row.

    A target area's municipality comes from the hierarchy (``parent_map``); an end outside
    every target area from its raw code (column ``o_mu``/``d_mu`` of the flow table).

    Raises
    ------
    MissingInputError
        When the target areas are not linked to their municipality.
    """
    muni = resolve_level(_MUNICIPALITY)
    try:
        parents = run.s.parent_map(run.target, muni)
    except MissingInputError:
        raise MissingInputError(
            ind, f"a link from the {run.target[0]} areas (layout {run.target[1]}) to their "
            "municipality (to tell moves within a municipality from moves between municipalities)",
            fix="load the areas with their parent municipality (columns parent_level, "
            "parent_layout, parent_code of the areas CSV) or compute at municipality level",
        ) from None
    pm = dict(zip(parents["code"].astype(str), parents["parent"].astype(str)))

    def end(code: pd.Series, raw_mu: pd.Series) -> pd.Series:
        own = code.where(code.notna(), None).map(lambda c: None if c is None else pm.get(str(c)))
        return own.where(own.notna(), raw_mu).astype(object)

    return end(f["o_code"], f["o_mu"]), end(f["d_code"], f["d_mu"])


def _in_out(f: pd.DataFrame, exclude: pd.Series | None = None) -> pd.DataFrame:
    """Per target code: inflow from and outflow to other Belgian areas (persons in the window).

    Rows flagged in ``exclude`` (e.g. moves within one municipality below municipality level)
    are left out. Every area reached by some flow gets a row (zeros when it has no such moves).
    """
    internal_o = f["o_kind"].isin(["area", "belgium"])
    internal_d = f["d_kind"].isin(["area", "belgium"])
    ok = internal_o & internal_d
    if exclude is not None:
        ok &= ~exclude.fillna(False).astype(bool)
    same = f["o_code"].notna() & (f["o_code"] == f["d_code"])
    inflow = f[ok & f["d_code"].notna() & ~same].groupby("d_code")["count"].sum()
    outflow = f[ok & f["o_code"].notna() & ~same].groupby("o_code")["count"].sum()
    return _per_touched_area(f, {"inflow": inflow, "outflow": outflow})


def _balance_frame(run: _Run, atlas: Any, io: pd.DataFrame, cols: tuple[str, str],
                   bp: pd.DataFrame) -> pd.DataFrame:
    """Result rows ``1,000 × (in − out) / years / base`` with the small-cell flags of the two
    flow counts."""
    a, b = cols
    df = io.merge(bp, on="code", how="inner")
    df = df[df["base"] > 0].sort_values("code").reset_index(drop=True)
    df = df.assign(value=1000.0 * (df[a] - df[b]) / run.years / df["base"], numerator=np.nan,
                   denominator=df["base"])
    sup = small_cells(df, [a, b], threshold(atlas))
    return result_frame(run.s, run.target, df, period=run.period, group=run.key,
                        unit="per 1,000 inhabitants per year", trace=run.trace, suppressed=sup)


def internal_migration_balance(
    atlas: Any, *, level: str, period: Any, group: str | None = None, scheme: str | None = None,
    window: Any = 3, base: Any = "mean", base_population_of: str = "group",
    layout: str | None = None, **_: Any,
) -> Computed:
    """Internal-migration balance with other Belgian municipalities, per 1,000 inhabitants per
    year over a window (default 3 years).

    value = (moves in from other Belgian municipalities − moves out to them) / years / base
    population × 1,000. Moves from/to abroad and of unknown origin are not counted; "elsewhere
    in Belgium" (no code) counts as another municipality. Below municipality level moves between
    areas of the same municipality are left out (they are :func:`internal_balance`); at
    ``area_type`` level each type is computed on its own (moves between its members are
    internal to it).

    Parameters
    ----------
    atlas
        An open atlas.
    level, layout
        Target level (``level@layout`` accepted) and layout.
    period, window
        Window end year (``window`` years, default 3) or ``'Y0-Y1'``.
    group, scheme
        Group of the movers (default: all persons).
    base
        Base population (see :func:`base_population`).
    base_population_of
        ``group`` (default): per 1,000 inhabitants of the group; ``total``: per 1,000
        inhabitants of the whole population.

    Returns
    -------
    Computed
        Result rows (unit: per 1,000 inhabitants per year) with a ``suppressed`` flag when the
        inflow or outflow is a small cell.

    Raises
    ------
    MissingInputError
        Missing flows, population, or (below municipality level) the link to municipalities.
    UnknownCodeError
        Unknown level, group, base or ``base_population_of``.
    """
    ind = "internal_migration_balance"
    run = _setup(atlas, level, layout, period, window, 3, group, scheme)
    bs, bg = _rate_base(run, base_population_of, base, "1,000", ind)
    sub = _below_municipality(run.target)
    extra = {"mu": resolve_level(_MUNICIPALITY)} if sub else None
    f = flow_table(run.s, run.target, run.y0, run.y1, run.scheme, run.group, indicator=ind,
                   trace=run.trace, extra=extra)
    intra = None
    if sub:
        o_m, d_m = _municipality_of_ends(run, f, ind)
        intra = (f["o_kind"] == "area") & (f["d_kind"] == "area") & o_m.notna() & (o_m == d_m)
        run.trace.notes.append(
            f"internal migration at {run.target[0]} level = moves with other Belgian "
            "municipalities only: moves between areas of the same municipality are not counted "
            "(they are in internal_balance)")
    io = _in_out(f, intra)
    bp = base_population(run.s, run.target, run.y0, run.y1, bs, bg, base, indicator=ind,
                         trace=run.trace)
    return _balance_frame(run, atlas, io, ("inflow", "outflow"), bp)


def _reference_node(s: Store, reference: str, reference_level: str | None) -> Node:
    """``(level, layout)`` of a reference area code (current layout first); an area that is not
    in the atlas is a missing input of this atlas (``MissingInputError``)."""
    if reference_level:
        return resolve_level(reference_level)
    try:
        return s.node_of(reference)
    except UnknownCodeError:
        raise MissingInputError(
            "bilateral_balance", f"the reference area {reference!r}",
            fix="give reference=CODE of an area of this atlas, e.g. 04000 (Brussels Capital "
            "Region), 11002 (Antwerpen), 44021 (Gent)") from None


def bilateral_balance(
    atlas: Any, *, level: str, period: Any, reference: str = BRUSSELS_REGION,
    reference_level: str | None = None, group: str | None = None, scheme: str | None = None,
    window: Any = 3, base: Any = "mean", rate: Any = True, base_population_of: str = "group",
    layout: str | None = None, **_: Any,
) -> Computed:
    """Migration balance of each area with one reference area, sign from the area's side.

    value = (moves from the reference area into the area − moves from the area to the reference
    area) / years, per 1,000 inhabitants of the area (``rate=True``, default; of the group, or
    of everyone with ``base_population_of='total'``) or in persons per year (``rate=False``).
    Negative: the area loses people to the reference area. Needs origin-destination flows.

    Parameters
    ----------
    reference, reference_level
        Reference area code (default ``04000``, the Brussels Capital Region) and its level
        (default: found from the code).
    rate
        ``True``: per 1,000 inhabitants per year; ``False``: persons per year.
    base_population_of
        ``group`` (default) or ``total``: whose population divides a group's balance.
    atlas, level, period, group, scheme, window, base, layout
        As for :func:`internal_migration_balance`.

    Returns
    -------
    Computed
        Result rows; every area reached by some flow gets a value (0 without moves with the
        reference area).
    """
    ind = "bilateral_balance"
    run = _setup(atlas, level, layout, period, window, 3, group, scheme)
    per_1000 = str(rate).lower() in ("true", "1", "yes", "per_1000")
    bs, bg = (_rate_base(run, base_population_of, base, "1,000", ind) if per_1000
              else (None, None))
    ref_node = _reference_node(run.s, str(reference), reference_level)
    f = flow_table(run.s, run.target, run.y0, run.y1, run.scheme, run.group, indicator=ind,
                   trace=run.trace, extra={"ref": ref_node}, need_area_origins=True)
    R = str(reference)
    same = f["o_code"].notna() & (f["o_code"] == f["d_code"])
    inflow = f[(f["o_ref"] == R) & f["d_code"].notna() & ~same].groupby("d_code")["count"].sum()
    outflow = f[(f["d_ref"] == R) & f["o_code"].notna() & ~same].groupby("o_code")["count"].sum()
    io = _per_touched_area(f, {"inflow": inflow, "outflow": outflow})
    run.trace.notes.append(f"reference area {R} ({ref_node[0]}); sign from the area's side")
    if per_1000:
        bp = base_population(run.s, run.target, run.y0, run.y1, bs, bg, base, indicator=ind,
                             trace=run.trace)
        return _balance_frame(run, atlas, io, ("inflow", "outflow"), bp)
    io = io.sort_values("code").reset_index(drop=True)
    io = io.assign(value=(io["inflow"] - io["outflow"]) / run.years, numerator=np.nan,
                   denominator=np.nan)
    sup = small_cells(io, ["inflow", "outflow"], threshold(atlas))
    return result_frame(run.s, run.target, io, period=run.period, group=run.key,
                        unit="persons per year", trace=run.trace, suppressed=sup)


def _city_flows(atlas: Any, level: str, layout: str | None, period: Any, window: Any,
                default_window: int, group: str | None, scheme: str | None,
                city_level: str | None, ind: str, need: str = "both"
                ) -> tuple[_Run, pd.DataFrame, pd.DataFrame]:
    """Flows of areas inside their city: ``o_city``/``d_city`` (city of the raw ends) and
    ``o_home``/``d_home`` (city of the target areas); also the ``code -> parent`` map."""
    run = _setup(atlas, level, layout, period, window, default_window, group, scheme)
    city_node = resolve_level(city_level or _MUNICIPALITY)
    fine, city_fine = FINENESS.get(run.target[0], -1), FINENESS.get(city_node[0], -1)
    if city_node[0] == "area_type":
        raise UnknownCodeError(
            f"city level of indicator {ind!r}", city_level,
            known=[lv for lv, i in FINENESS.items() if 0 < i < fine],
            hint="area types overlap (Antwerpen is a big city and one of the 13 centre cities), "
            "so they cannot be the city an area lies in; give e.g. city_level=municipality")
    if fine <= city_fine:
        raise UnknownCodeError(
            f"level for indicator {ind!r}", level,
            known=[lv for lv, i in FINENESS.items() if i > city_fine],
            hint=f"the indicator describes areas inside their city ({city_node[0]}): choose a "
            "finer level or a coarser city_level")
    f = flow_table(run.s, run.target, run.y0, run.y1, run.scheme, run.group, indicator=ind,
                   trace=run.trace, extra={"city": city_node}, need=need)
    parents = run.s.parent_map(run.target, city_node)
    f = f.merge(parents.rename(columns={"code": "o_code", "parent": "o_home"}), on="o_code",
                how="left")
    f = f.merge(parents.rename(columns={"code": "d_code", "parent": "d_home"}), on="d_code",
                how="left")
    return run, f, parents


def _ext_int(f: pd.DataFrame) -> pd.DataFrame:
    """Per target code: external (across the city boundary) and internal (with the city's other
    areas) inflow and outflow, persons in the window."""
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
    return _per_touched_area(f, parts)


def _balance_in_city(kind: str, atlas: Any, level: str, period: Any, group: str | None,
                     scheme: str | None, window: Any, base: Any, city_level: str | None,
                     layout: str | None, base_population_of: Any) -> Computed:
    """External or internal balance of areas inside their city, per 1,000 inhabitants/year."""
    ind = f"{kind}_balance"
    run, f, _ = _city_flows(atlas, level, layout, period, window, 3, group, scheme, city_level,
                            ind)
    bs, bg = _rate_base(run, base_population_of, base, "1,000", ind)
    io = _ext_int(f)
    bp = base_population(run.s, run.target, run.y0, run.y1, bs, bg, base, indicator=ind,
                         trace=run.trace)
    cols = ("ext_in", "ext_out") if kind == "external" else ("int_in", "int_out")
    return _balance_frame(run, atlas, io, cols, bp)


def external_balance(atlas: Any, *, level: str, period: Any, group: str | None = None,
                     scheme: str | None = None, window: Any = 3, base: Any = "mean",
                     city_level: str = "municipality", base_population_of: str = "group",
                     layout: str | None = None, **_: Any) -> Computed:
    """Balance of moves across the city boundary (from/to abroad and other Belgian
    municipalities) of an area inside its city, per 1,000 inhabitants per year.

    Parameters
    ----------
    city_level
        Level of the city (default municipality).
    base_population_of
        ``group`` (default) or ``total``: whose population divides a group's balance.
    atlas, level, period, group, scheme, window, base, layout
        As for :func:`internal_migration_balance`.

    Returns
    -------
    Computed
        Result rows (unit: per 1,000 inhabitants per year).
    """
    return _balance_in_city("external", atlas, level, period, group, scheme, window, base,
                            city_level, layout, base_population_of)


def internal_balance(atlas: Any, *, level: str, period: Any, group: str | None = None,
                     scheme: str | None = None, window: Any = 3, base: Any = "mean",
                     city_level: str = "municipality", base_population_of: str = "group",
                     layout: str | None = None, **_: Any) -> Computed:
    """Balance of moves between an area and the other areas of the same city, per 1,000
    inhabitants per year (moves within the area itself excluded; these moves are not in
    :func:`internal_migration_balance`). Parameters and result as for :func:`external_balance`.
    """
    return _balance_in_city("internal", atlas, level, period, group, scheme, window, base,
                            city_level, layout, base_population_of)


def residential_mobility(atlas: Any, *, level: str, period: Any, group: str | None = None,
                         scheme: str | None = None, window: Any = 1, base: Any = "mean",
                         layout: str | None = None, **_: Any) -> Computed:
    """Residential mobility (verhuisintensiteit), % per year.

    value = (arrivals + departures + moves within the area) / years / base population × 100,
    the population of the group. Arrivals and departures include moves from/to abroad and of
    unknown origin/destination. At ``area_type`` level each type is computed on its own and each
    move is counted once: a move between two municipalities of the type is a move within it.

    Parameters
    ----------
    atlas, level, period, group, scheme, window, base, layout
        As for :func:`internal_migration_balance` (``window`` default 1).

    Returns
    -------
    Computed
        Result rows (unit: % per year); ``numerator`` = moves in the window (persons).
    """
    ind = "residential_mobility"
    run = _setup(atlas, level, layout, period, window, 1, group, scheme)
    bs, bg = _rate_base(run, "group", base, "100", ind)
    f = flow_table(run.s, run.target, run.y0, run.y1, run.scheme, run.group, indicator=ind,
                   trace=run.trace)
    same = f["o_code"].notna() & (f["o_code"] == f["d_code"])
    arr = f[f["d_code"].notna() & ~same].groupby("d_code")["count"].sum().rename("arr")
    dep = f[f["o_code"].notna() & ~same].groupby("o_code")["count"].sum().rename("dep")
    within = f[same].groupby("o_code")["count"].sum().rename("within")
    io = pd.concat([arr, dep, within], axis=1).fillna(0.0)
    io.index.name = "code"
    io = io.reset_index()
    bp = base_population(run.s, run.target, run.y0, run.y1, bs, bg, base, indicator=ind,
                         trace=run.trace)
    df = io.merge(bp, on="code", how="inner")
    df = df[df["base"] > 0]
    moves = df["arr"] + df["dep"] + df["within"]
    df = df.assign(value=100.0 * moves / run.years / df["base"], numerator=moves,
                   denominator=df["base"])
    return result_frame(run.s, run.target, df, period=run.period, group=run.key,
                        unit="% per year", trace=run.trace)


def _origin_category(arr: pd.DataFrame, o_m: pd.Series | None, d_m: pd.Series | None
                     ) -> np.ndarray:
    """Origin category of each arrival row: one of :data:`FIRST_ENTRY_ORIGINS`, or
    ``'belgium'`` for "elsewhere in Belgium" without a municipality (not the same municipality;
    Brussels or not unknown)."""
    abroad = (arr["o_kind"] == "abroad").to_numpy()
    area = (arr["o_kind"] == "area").to_numpy()
    if o_m is not None and d_m is not None:
        same_mu = (area & o_m.notna().to_numpy() & (o_m == d_m).to_numpy())
    else:
        same_mu = np.zeros(len(arr), dtype=bool)
    brussels = area & (arr["o_rg"] == BRUSSELS_REGION).to_numpy()
    vague = (arr["o_kind"] == "belgium").to_numpy()
    return np.select([abroad, same_mu, brussels, vague],
                     ["abroad", "same_municipality", "brussels", "belgium"], "other_belgium")


def first_entry_share(atlas: Any, *, level: str, period: Any, origin: str = "abroad",
                      group: str | None = None, scheme: str | None = None, window: Any = 1,
                      average: str = "yearly", layout: str | None = None,
                      **_: Any) -> Computed:
    """First-entry share: of the newcomers to an area (default the foreign nationals,
    ``nationality:ETR``), the % arriving from one origin.

    The arrivals of known origin (moves within the area and of unknown origin left out) are
    split into four origins that add up to 100 % (see :data:`FIRST_ENTRY_ORIGINS`): ``abroad``;
    ``same_municipality`` (another area of the same municipality; below municipality level
    only, 0 at municipality level and above, where such moves are not arrivals);
    ``brussels`` (a municipality of the Brussels Capital Region, also for a Brussels
    destination); ``other_belgium`` (any other Belgian municipality). At ``area_type`` level
    each type is computed on its own (moves between its members are not arrivals).

    Parameters
    ----------
    atlas, level, layout
        Atlas and target level (``level@layout`` accepted).
    period, window
        Window end year (``window`` years, default 1) or ``'Y0-Y1'``.
    origin
        ``abroad`` (default), ``brussels``, ``other_belgium`` or ``same_municipality``.
    group, scheme
        Group of the newcomers (default ``nationality:ETR``; ``group='total'`` for everyone).
    average
        Window figure: ``yearly`` (default, as the studies quote it: mean of the yearly shares,
        over the years in which the area had newcomers of the group) or ``pooled`` (window sum
        of the origin's arrivals ÷ window sum of all arrivals).

    Returns
    -------
    Computed
        Result rows (unit: %); ``numerator`` / ``denominator`` are the window sums (persons) of
        the origin's and of all arrivals, also with ``average='yearly'``.

    Raises
    ------
    UnknownCodeError
        Unknown origin or average.
    MissingInputError
        Missing flows; for the origins other than abroad below municipality level, areas not
        linked to their municipality; for brussels / other_belgium, no flows with the
        municipality of origin.
    """
    ind = "first_entry_share"
    if origin not in FIRST_ENTRY_ORIGINS:
        raise UnknownCodeError("first-entry origin", origin, known=list(FIRST_ENTRY_ORIGINS),
                               hint="e.g. origin=same_municipality for moves from another "
                               "neighbourhood of the same municipality")
    avg = "yearly" if average in (None, "") else str(average).strip().lower()
    if avg not in AVERAGES:
        raise UnknownCodeError("window average of first_entry_share", average,
                               known=list(AVERAGES),
                               hint="yearly: mean of the yearly shares; pooled: window sums")
    if group is None and scheme is None:
        scheme, group = "nationality", "ETR"
    run = _setup(atlas, level, layout, period, window, 1, group, scheme)
    sub = _below_municipality(run.target)
    extra = {"rg": resolve_level("region")}
    if sub:
        extra["mu"] = resolve_level(_MUNICIPALITY)
    f = flow_table(run.s, run.target, run.y0, run.y1, run.scheme, run.group, indicator=ind,
                   trace=run.trace, extra=extra, need="arrivals")
    same = f["o_code"].notna() & (f["o_code"] == f["d_code"])
    arr = f[f["d_code"].notna() & ~same & (f["o_kind"] != "unknown")].reset_index(drop=True)
    o_m = d_m = None
    if sub:
        try:
            o_m, d_m = _municipality_of_ends(run, arr, ind)
        except MissingInputError:
            if origin != "abroad":
                raise
            run.trace.notes.append("the areas are not linked to their municipality: only the "
                                   "share from abroad can be given")
    arr["cat"] = _origin_category(arr, o_m, d_m)
    if origin in ("brussels", "other_belgium"):
        # arrivals from 'elsewhere in Belgium' (unspecified) cannot be split Brussels / other
        vague = set(arr.loc[arr["cat"] == "belgium", "d_code"])
        if vague:
            run.trace.drop_codes |= vague
            run.trace.notes.append(
                f"{len(vague)} area(s) left out: arrivals from elsewhere in Belgium without the "
                "municipality of origin cannot be split into Brussels / other municipalities")
            if not set(arr["d_code"]) - vague:
                raise MissingInputError(ind, "flows with the municipality of origin of moves "
                                        "within Belgium", years=list(range(run.y0, run.y1 + 1)))
    arr["hit"] = np.where(arr["cat"] == origin, arr["count"], 0.0)
    yearly = arr.groupby(["d_code", "year"], as_index=False)[["hit", "count"]].sum()
    yearly = yearly[yearly["count"] > 0]
    yearly["share"] = yearly["hit"] / yearly["count"]
    df = yearly.groupby("d_code").agg(numerator=("hit", "sum"), denominator=("count", "sum"),
                                      mean_share=("share", "mean"), years=("year", "nunique"))
    df.index.name = "code"
    df = df.reset_index()
    if avg == "pooled":
        df["value"] = 100.0 * df["numerator"] / df["denominator"]
    else:
        df["value"] = 100.0 * df["mean_share"]
    _first_entry_notes(run, origin, avg, sub and o_m is not None, df)
    return result_frame(run.s, run.target, df, period=run.period, group=run.key, unit="%",
                        trace=run.trace)


def _first_entry_notes(run: _Run, origin: str, avg: str, sub: bool, df: pd.DataFrame) -> None:
    """Notes stating the definition used by :func:`first_entry_share`."""
    notes = run.trace.notes
    notes.append(f"origin category: {origin} (of abroad / same_municipality / brussels / "
                 f"other_belgium, which add up to 100 % of the newcomers of the group "
                 f"{run.key}); a move from a Brussels municipality counts as brussels, also "
                 "into a Brussels area")
    if sub:
        notes.append(f"at {run.target[0]} level, moves from another area of the same "
                     "municipality count as same_municipality, not as other_belgium")
    elif origin == "same_municipality":
        notes.append(f"same_municipality is 0 by definition at {run.target[0]} level: moves "
                     "within a municipality are not arrivals of a municipality or of a larger "
                     "area (it applies to deelgemeente, neighbourhood, sector and "
                     "brussels_neighbourhood)")
    if run.years > 1:
        if avg == "pooled":
            notes.append(f"pooled over {run.period}: window sum of the origin's arrivals ÷ "
                         "window sum of all arrivals")
        else:
            notes.append(f"yearly average over {run.period}: mean of the yearly shares "
                         "(numerator and denominator are the window sums)")
            short = int((df["years"] < run.years).sum())
            if short:
                notes.append(f"{short} area(s) had newcomers of the group in only some years of "
                             "the window: their mean covers those years")


def newcomer_concentration(atlas: Any, *, level: str, period: Any, group: str | None = None,
                           scheme: str | None = None, window: Any = 1,
                           newcomers: str = "outside_city", city_level: str = "municipality",
                           layout: str | None = None, **_: Any) -> Computed:
    """Newcomer concentration ratio: (area's share of its city's newcomers) ÷ (area's share of
    the city's population on 1 January of the last window year). 1 = proportional.

    Parameters
    ----------
    newcomers
        Arrivals into the area from outside the city (``outside_city``, default) or from abroad
        (``abroad``), of the group.
    city_level
        Level of the city (default municipality).
    atlas, level, period, group, scheme, window, layout
        As for :func:`internal_migration_balance` (``window`` default 1); the population is
        always all inhabitants.

    Returns
    -------
    Computed
        Result rows (unit: ratio); ``numerator`` = newcomers, ``denominator`` = population.
    """
    ind = "newcomer_concentration"
    if newcomers not in ("outside_city", "abroad"):
        raise UnknownCodeError("newcomer definition", newcomers, known=["outside_city", "abroad"])
    run, f, parents = _city_flows(atlas, level, layout, period, window, 1, group, scheme,
                                  city_level, ind, need="arrivals")
    same = f["o_code"].notna() & (f["o_code"] == f["d_code"])
    arr = f[f["d_code"].notna() & ~same]
    if newcomers == "abroad":
        arr = arr[arr["o_kind"] == "abroad"]
    else:
        arr = arr[(arr["o_kind"] != "unknown") & ((arr["o_kind"] != "area") | arr["o_city"].isna()
                                                   | (arr["o_city"] != arr["d_home"]))]
    nc = arr.groupby("d_code")["count"].sum().rename("newc")
    pop = C.group_population(run.s, run.target, date(run.y1, 1, 1), None, None, indicator=ind,
                             trace=run.trace)
    df = pop.rename(columns={"count": "pop"}).merge(parents, on="code", how="inner")
    df = df.merge(nc, left_on="code", right_index=True, how="left").fillna({"newc": 0.0})
    city = df.groupby("parent")[["newc", "pop"]].sum().rename(columns={"newc": "city_newc",
                                                                       "pop": "city_pop"})
    df = df.merge(city, left_on="parent", right_index=True)
    df = df[(df["city_newc"] > 0) & (df["pop"] > 0)]
    df = df.assign(value=(df["newc"] / df["city_newc"]) / (df["pop"] / df["city_pop"]),
                   numerator=df["newc"], denominator=df["pop"])
    run.trace.notes.append(f"newcomers: {newcomers} (of the group {run.key}); population: all "
                           f"inhabitants on {run.y1}-01-01")
    return result_frame(run.s, run.target, df, period=run.period, group=run.key,
                        unit="ratio", trace=run.trace)
