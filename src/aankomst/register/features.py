"""Input indicators of the register's derived indicators, read through the indicator engine.

The arrival typology and the residential-mobility ratio compute nothing from the atlas tables
themselves: every value they use is a published figure of a declared indicator, obtained with
:func:`aankomst.indicators.compute` — the same definition, base population and small-cell rule
as the figure a user maps. :class:`Call` names one such input (indicator, arguments, which
result columns become which features); :class:`DerivedInputs` declares a list of calls as the
spec's input so that the periods offered are exactly those where every call computes.

Typology features (per area of a sub-municipal level, window ``y0..y1``; by default only those
the rules use, :data:`RULE_FEATURES` — the other balances on request):

=============================  ===================================================================
feature                        published indicator (arguments) → column
=============================  ===================================================================
``newcomer_concentration``     ``newcomer_concentration`` (foreign nationals ``nationality:ETR``,
                               newcomers from outside the city) → value (ratio)
``population``                 the same result → denominator (inhabitants on 1 January ``y1``)
``first_entry_share``          ``first_entry_share`` (``nationality:ETR``, origin abroad, yearly
                               average) → value (%)
``newcomers_foreign``          the same result → denominator (foreign newcomers of known origin in
                               the window, persons; 0 for areas without any)
``internal_balance_foreign``   ``internal_balance`` (``nationality:ETR``) → value (per 1,000
                               inhabitants of the group per year)
``internal_balance_belgian``   ``internal_balance`` (``nationality:BEL``) → value
``external_balance_foreign``   ``external_balance`` (``nationality:ETR``) → value
``external_balance_belgian``   ``external_balance`` (``nationality:BEL``) → value
``residential_mobility_ratio`` ``residential_mobility_ratio`` → value (ratio)
``share_new_residents_5y``     ``share_new_residents_5y`` on 1 January ``y1 + 1`` → value (%)
=============================  ===================================================================

The *city* of an area (:data:`CITY_LEVEL`) is its municipality; for the Brussels monitoring
neighbourhoods, which cross municipal borders, the region. Every feature column ``f`` comes with
``f_suppressed``: ``True`` where the published figure is withheld under the small-cell rule
(its value is then empty, as published).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.indicators._store import (
    FINENESS,
    Node,
    Store,
    parse_window,
    period_label,
    resolve_level,
)
from aankomst.indicators.availability import Indicators, available_periods
from aankomst.indicators.result import Computed

if TYPE_CHECKING:  # pragma: no cover
    from aankomst.indicators.result import IndicatorResult

CITY_LEVEL: dict[str, str] = {"sector": "municipality", "neighbourhood": "municipality",
                              "deelgemeente": "municipality", "brussels_neighbourhood": "region",
                              "municipality": "region"}
"""The city an area lies in, by level: its municipality (the region for the Brussels monitoring
neighbourhoods, which cross municipal borders, and for municipalities)."""

FOREIGN = "nationality:ETR"
BELGIAN = "nationality:BEL"


def city_level(level: str, city: str | None = None) -> str:
    """The level of the city of the areas of ``level`` (``city`` when given).

    Parameters
    ----------
    level
        Level of the areas (a name, optionally ``level@layout``).
    city
        An explicit city level, checked to be coarser than ``level``.

    Returns
    -------
    str
        A level name, e.g. ``municipality``.

    Raises
    ------
    UnknownCodeError
        When ``level`` has no default city, or ``city`` is not a coarser level.

    Examples
    --------
    >>> city_level("neighbourhood"), city_level("brussels_neighbourhood")
    ('municipality', 'region')
    """
    lv = resolve_level(level)[0]
    if city in (None, ""):
        if lv not in CITY_LEVEL:
            raise UnknownCodeError("level (an area inside a city)", level, known=list(CITY_LEVEL),
                                   hint="or give city_level explicitly")
        return CITY_LEVEL[lv]
    cl = resolve_level(str(city))[0]
    if not 0 <= FINENESS.get(cl, -1) < FINENESS.get(lv, -1):
        coarser = [x for x, i in FINENESS.items() if 0 <= i < FINENESS.get(lv, -1)]
        raise UnknownCodeError(f"city level of {lv} areas", city, known=coarser,
                               hint="the city must be a coarser level, e.g. municipality")
    return cl


def city_of(atlas: Any, node: Node, city: str | None = None) -> str:
    """The city level of the areas of ``node``, with the layout their crosswalks reach.

    ``municipality`` when the areas reach the current municipality layout; otherwise
    ``municipality@<layout>`` for the layout they do reach (e.g. the ``synthetic`` layout of a
    register extract with its own geography); the bare level when none is reached (the input
    indicator then says what is missing).

    Examples
    --------
    >>> city_of(atlas, ("sector", "synthetic"))  # doctest: +SKIP
    'municipality@synthetic'
    """
    name = city_level(node[0], city)
    if "@" in str(city or ""):
        return str(city)
    h = Store(atlas)
    current = resolve_level(name)
    layouts = [current[1]] + [str(r[0]) for r in atlas.con.execute(
        "SELECT DISTINCT layout FROM areas WHERE level = ? AND layout <> ? ORDER BY layout DESC",
        [name, current[1]]).fetchall()]
    for ly in layouts:
        m = h.code_map(node, (name, ly))
        if m is not None and len(m):
            return name if ly == current[1] else f"{name}@{ly}"
    return name


@dataclass(frozen=True)
class Call:
    """One input of a derived indicator: a declared indicator computed with fixed arguments.

    Attributes
    ----------
    indicator
        Id of the input indicator.
    kwargs
        Its arguments (group and parameters); ``window`` is added for window indicators.
    columns
        ``feature -> result column`` (``value``, ``numerator`` or ``denominator``).
    level
        ``None``: the derived indicator's own level (and layout); otherwise this level (the
        city), in its current layout.
    stock
        ``True`` for a 1 January stock, read on 1 January after the window (``y1 + 1``).
    """

    indicator: str
    kwargs: Mapping[str, Any]
    columns: Mapping[str, str] = field(default_factory=dict)
    level: str | None = None
    stock: bool = False

    def period(self, y0: int, y1: int) -> str:
        """The period asked of the input for the window ``y0..y1`` (``'Y0-Y1'`` or ``'Y1+1'``)."""
        return str(y1 + 1) if self.stock else period_label(y0, y1)

    def arguments(self, window: int) -> dict[str, Any]:
        """Keyword arguments of :func:`~aankomst.indicators.compute` (without level/period)."""
        return dict(self.kwargs) if self.stock else {**self.kwargs, "window": window}

    def describe(self, window: int) -> str:
        """``indicator(arg=value, …)`` for notes."""
        args = ", ".join(f"{k}={v}" for k, v in self.arguments(window).items())
        return f"{self.indicator}({args})" + (f" at {self.level} level" if self.level else "")

    def offered(self, atlas: Any, level: str, window: int) -> set[str]:
        """Windows of ``window`` years for which this input computes at ``level``.

        Parameters
        ----------
        atlas
            An open atlas.
        level
            The derived indicator's level (``level@layout``); ignored for city-level calls.
        window
            Window length in years.

        Returns
        -------
        set of str
            Window labels (``'2018-2022'``; ``'2022'`` for one year).
        """
        got = available_periods(atlas, self.indicator, level=self.level or level,
                                **self.arguments(window))
        if not self.stock:
            return set(got)
        return {period_label(int(p) - window, int(p) - 1) for p in got if re.fullmatch(r"\d{4}", p)}

    def run(self, atlas: Any, owner: str, level: str, y0: int, y1: int,
            layout: str | None) -> IndicatorResult:
        """The input's published result for the window ``y0..y1``.

        Raises
        ------
        MissingInputError
            Naming the derived indicator ``owner``, this input and the window, when the input
            does not compute (the input's own message follows).
        """
        from aankomst.indicators import compute

        kw = self.arguments(y1 - y0 + 1)
        if self.level is None and layout:
            kw["layout"] = layout
        lv = self.level or level
        period = self.period(y0, y1)
        try:
            return compute(atlas, self.indicator, level=lv, period=period, **kw)
        except MissingInputError as exc:
            raise MissingInputError(
                owner, f"its input indicator {self.indicator!r} at level {lv} for {period} "
                f"(window {period_label(y0, y1)})",
                fix=f"{exc}. Windows on offer: aankomst.indicators.available_periods(atlas, "
                f"{owner!r}, level={level!r}) or /api/periods",
            ) from exc


CallList = Callable[[Node, Mapping[str, Any], Any], tuple[Call, ...]]
"""``calls(node, params, atlas)``: the inputs of a derived indicator for the areas of ``node``
(``(level, layout)``), given its parameters; ``atlas`` (or ``None``) resolves the city's layout."""


@dataclass(frozen=True)
class DerivedInputs(Indicators):
    """:class:`~aankomst.indicators.availability.Indicators` read with fixed arguments.

    ``ids`` names the input indicators (for the catalogue); ``calls(node, params, atlas)`` gives
    the exact calls the implementation makes, so that the periods offered — windows of the
    ``window`` parameter — are those where every call computes (a stock read on 1 January
    ``y1 + 1`` offers the window ending the year before).
    """

    calls: CallList

    def periods(self, c: Any, t: tuple[str, str], sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str] | None:
        n = int(params.get("window") or 1)
        out: set[str] | None = None
        for call in self.calls(t, params, c.s.atlas):
            got = call.offered(c.s.atlas, f"{t[0]}@{t[1]}", n)
            out = got if out is None else out & got
            if not out:
                return set()
        return out or set()


def typology_calls(node: Node | str, params: Mapping[str, Any] | None = None,
                   atlas: Any = None, features: Iterable[str] | None = None
                   ) -> tuple[Call, ...]:
    """The input indicators of the arrival typology (see the module docstring).

    Parameters
    ----------
    node
        The areas: ``(level, layout)`` or a level name.
    params
        The typology's parameters (unused: the window is handled by the caller).
    atlas
        An atlas to find the layout of the city level the areas reach (:func:`city_of`);
        ``None``: the city level's current layout.
    features
        Features wanted (default :data:`RULE_FEATURES`, those of the packaged rules); the
        first two calls (first-entry share and newcomer concentration, which give the size
        features ``newcomers_foreign`` and ``population``) are always made.

    Returns
    -------
    tuple of Call
        The first call needs no city (it fixes the layout of the others).

    Raises
    ------
    UnknownCodeError
        A feature that is not in :data:`FEATURES`.

    Examples
    --------
    >>> [c.indicator for c in typology_calls("neighbourhood")]  # doctest: +NORMALIZE_WHITESPACE
    ['first_entry_share', 'newcomer_concentration', 'internal_balance',
     'residential_mobility_ratio', 'share_new_residents_5y']
    """
    n = resolve_level(node) if isinstance(node, str) else node
    city = city_level(n[0]) if atlas is None else city_of(atlas, n)
    want = set(RULE_FEATURES if features is None else features)
    unknown = sorted(want - set(FEATURES))
    if unknown:
        raise UnknownCodeError("typology feature", unknown[0], known=list(FEATURES))
    calls = (
        Call("first_entry_share", {"group": FOREIGN, "origin": "abroad", "average": "yearly"},
             {"first_entry_share": "value", "newcomers_foreign": "denominator"}),
        Call("newcomer_concentration",
             {"group": FOREIGN, "newcomers": "outside_city", "city_level": city},
             {"newcomer_concentration": "value", "population": "denominator"}),
        Call("internal_balance", {"group": FOREIGN, "city_level": city},
             {"internal_balance_foreign": "value"}),
        Call("internal_balance", {"group": BELGIAN, "city_level": city},
             {"internal_balance_belgian": "value"}),
        Call("external_balance", {"group": FOREIGN, "city_level": city},
             {"external_balance_foreign": "value"}),
        Call("external_balance", {"group": BELGIAN, "city_level": city},
             {"external_balance_belgian": "value"}),
        Call("residential_mobility_ratio", {"city_level": city},
             {"residential_mobility_ratio": "value"}),
        Call("share_new_residents_5y", {}, {"share_new_residents_5y": "value"}, stock=True),
    )
    return calls[:2] + tuple(c for c in calls[2:] if want & set(c.columns))


FEATURES: tuple[str, ...] = ("population", "newcomers_foreign", "newcomer_concentration",
                             "first_entry_share", "internal_balance_foreign",
                             "internal_balance_belgian", "external_balance_foreign",
                             "external_balance_belgian", "residential_mobility_ratio",
                             "share_new_residents_5y")
"""Every feature a rule may use, in table order (the columns of :func:`typology_calls`)."""

RULE_FEATURES: tuple[str, ...] = ("population", "newcomers_foreign", "newcomer_concentration",
                                  "first_entry_share", "internal_balance_foreign",
                                  "residential_mobility_ratio", "share_new_residents_5y")
"""The features the packaged rules (``data/typology_rules.csv``) use: computed by default."""

TYPOLOGY_INPUTS: tuple[str, ...] = ("first_entry_share", "newcomer_concentration",
                                    "internal_balance", "residential_mobility_ratio",
                                    "share_new_residents_5y")
"""Ids of the indicators the typology reads with the packaged rules."""

PERCENT_FEATURES = ("first_entry_share", "share_new_residents_5y")
"""Features in % (0–100), as published."""


def ratio_calls(node: Node | str, params: Mapping[str, Any] | None = None,
                atlas: Any = None) -> tuple[Call, Call]:
    """Inputs of :func:`~aankomst.register.indicators.residential_mobility_ratio`: residential
    mobility of the areas and of their city (``city_level``, ``base`` from ``params``).

    Examples
    --------
    >>> [c.level for c in ratio_calls("sector")]
    [None, 'municipality']
    """
    p = params or {}
    n = resolve_level(node) if isinstance(node, str) else node
    base = {"base": p["base"]} if p.get("base") not in (None, "") else {}
    city = (city_level(n[0], p.get("city_level")) if atlas is None
            else city_of(atlas, n, p.get("city_level")))
    return (Call("residential_mobility", base, {"residential_mobility": "value"}),
            Call("residential_mobility", base, {"city_residential_mobility": "value"},
                 level=city))


def inherit(values: pd.DataFrame, results: list[IndicatorResult],
            notes: list[str] | None = None) -> Computed:
    """A :class:`Computed` carrying the provenance of the input results it was derived from.

    ``load_ids`` are the inputs' files, ``periods`` their reference periods, ``restricted``
    whether any input used restricted data; sources outside the atlas's provenance are passed on.
    """
    load_ids: set[int] = set()
    sources: list[dict[str, Any]] = []
    periods: list[str] = []
    for r in results:
        for src in r.meta.get("sources", []):
            if src.get("load_id") is not None:
                load_ids.add(int(src["load_id"]))
            elif src not in sources:
                sources.append(src)
        periods += [str(p) for p in r.meta.get("reference_periods", [])]
    return Computed(values, load_ids=load_ids, periods=periods, notes=list(notes or []),
                    split=any(bool(r.meta.get("split_units")) for r in results),
                    restricted=any(bool(r.meta.get("restricted")) for r in results),
                    sources=sources)


def arrival_features(atlas: Any, *, level: str, period: Any, window: int = 5,
                     layout: str | None = None, features: Iterable[str] | None = None,
                     owner: str = "arrival_typology") -> Computed:
    """Typology features per area from the published input indicators.

    Parameters
    ----------
    atlas
        An open atlas (plug-ins installed, e.g. by :func:`aankomst.open`).
    level
        A sub-municipal level (``neighbourhood``, ``sector``, ``deelgemeente``,
        ``brussels_neighbourhood``; ``level@layout`` accepted).
    period, window
        Window ``'Y0-Y1'``, or its end year with ``window`` years (default 5).
    layout
        Layout of the level (default: the current one, or the newest one the first input
        computes for).
    features
        Features to compute (default :data:`RULE_FEATURES`; ``population`` and
        ``newcomers_foreign`` always).
    owner
        Indicator id named in errors.

    Returns
    -------
    Computed
        ``values``: one row per area with a population figure — ``area_code, area_name,
        area_name_fr, level, layout, period``, the features (published values, in the
        inputs' units) and ``<feature>_suppressed``; provenance of the inputs.

    Raises
    ------
    MissingInputError
        When an input indicator does not compute for the window (message names it).
    """
    y0, y1 = parse_window(period, window)
    n = y1 - y0 + 1
    first = typology_calls(level)[0]  # no city: fixes the layout of the other inputs
    res = first.run(atlas, owner, level, y0, y1, layout)
    node: Node = (str(res.meta["level"]), str(res.meta["layout"]))
    calls = typology_calls(node, None, atlas, features)
    results = [res] + [c.run(atlas, owner, level, y0, y1, node[1]) for c in calls[1:]]
    notes = [", ".join(c.columns) + f": {c.describe(n)} for {c.period(y0, y1)}" for c in calls]
    # the areas: those with a population figure (newcomer concentration's denominator)
    d0 = results[1].data.drop_duplicates("area_code")
    table = pd.DataFrame({"area_code": d0["area_code"].astype(str), "area_name": d0["area_name"],
                          "area_name_fr": d0.get("area_name_fr", d0["area_name"]),
                          "level": node[0], "layout": node[1], "period": period_label(y0, y1)})
    for call, r in zip(calls, results):
        d = r.data.drop_duplicates("area_code").set_index("area_code")
        for feat, col in call.columns.items():
            table[feat] = pd.to_numeric(table["area_code"].map(d[col]), errors="coerce")
            table[f"{feat}_suppressed"] = table["area_code"].map(
                d["suppressed"]).fillna(False).astype(bool).to_numpy()
        notes += [f"{call.indicator}: {x}" for x in r.meta.get("notes", [])]
    # areas without foreign newcomers of known origin have no first-entry share: 0 newcomers
    table["newcomers_foreign"] = table["newcomers_foreign"].where(
        table["newcomers_foreign"].notna() | table["newcomers_foreign_suppressed"], 0.0)
    return inherit(table.sort_values("area_code").reset_index(drop=True), results, notes)


def suppressed_flags(features: pd.DataFrame, name: str) -> np.ndarray:
    """``<name>_suppressed`` of a feature table as a boolean array (all ``False`` when absent)."""
    col = f"{name}_suppressed"
    if col not in features:
        return np.zeros(len(features), dtype=bool)
    return features[col].fillna(False).astype(bool).to_numpy()
