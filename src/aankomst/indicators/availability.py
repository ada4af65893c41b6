"""What the atlas offers: the periods and groups an indicator has values for, per level.

Derived **generically from the inputs each** :class:`~aankomst.indicators.spec.IndicatorSpec`
**declares** — population counts, flows, measures, other indicators, or an external source —
by asking the stored data (SQL over ``population``, ``measures`` and ``flows`` plus the
crosswalk reachability the engine uses), never by per-indicator rules. A period is offered when
*every* input of the indicator has data for it reaching one (level, layout) of the asked level:
its current layout or, as :func:`~aankomst.indicators.compute` falls back to them, its older
layouts (unless a layout is given).

The inputs and what they ask of the data:

* :class:`Population` — years with counts on 1 January of the group's scheme (or of the total:
  stored, or a complete nationality/country breakdown); ``Population(sizes=True)`` also needs
  area sizes or geometry.
* :class:`Share` — years with group counts *and* totals reaching the same layout, plus years of
  published shares stored at the level (Brussels monitoring).
* :class:`Change` — end years whose share exists together with the base year's (the
  ``base_year`` parameter; default the first year with a share).
* :class:`Flows` — windows (the ``window`` parameter) whose every year has flows of the group
  reaching the level (arrivals and departures where a balance needs both; origin–destination
  flows for a bilateral balance) and, for rates, the base population of every year used.
* :class:`Measures` — periods of the named measures reaching the level (``exact``: stored at
  the level itself).
* :class:`AnyOf` — the union of alternatives (income per inhabitant: residents of the income
  statistics *or* the population).
* :class:`Indicators` — the periods every one of the named indicators offers (the arrival
  typology offers what its input indicators offer).
* :class:`External` — periods told by a function of the subsystem that owns the data (the
  registry of local resources).

The sweep tests (``tests/test_sweep.py``) check on the demo and on the real mirror that every
offered indicator × level × period computes to at least one value and that no period that
computes is missing from the offer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.indicators import groups as G
from aankomst.indicators._store import Node, Store, period_label, resolve_level, split_group
from aankomst.store.hierarchy import atlas_version


# --------------------------------------------------------------------------- reachability
class _Facts:
    """What the atlas holds, read once per atlas version: population years, flow files,
    measure periods and crosswalk reachability (memoised answers)."""

    def __init__(self) -> None:
        self.reach: dict[tuple[Node, Node], bool] = {}
        self.memo: dict[Any, Any] = {}


_FACTS: dict[tuple[str, int, int, str], _Facts] = {}


def _facts(atlas: Any) -> _Facts:
    """The facts of this atlas version (keyed by file and ``provenance``; a load makes new ones)."""
    key = atlas_version(atlas)
    got = _FACTS.get(key)
    if got is None:
        if len(_FACTS) >= 8:
            _FACTS.pop(next(iter(_FACTS)))
        got = _FACTS[key] = _Facts()
    return got


class _Ctx:
    def __init__(self, atlas: Any, level: str, layout: str | None) -> None:
        self.s = Store(atlas)
        self.f = _facts(atlas)
        lv, ly = resolve_level(level, layout)
        explicit = bool(layout) or "@" in str(level)
        self.targets: list[Node] = [(lv, ly)]
        if not explicit:
            others = self.memo(("layouts", lv), lambda: [r[0] for r in atlas.con.execute(
                "SELECT DISTINCT layout FROM areas WHERE level = ? ORDER BY layout DESC",
                [lv]).fetchall()])
            self.targets += [(lv, o) for o in others if o != ly]

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()`` once per atlas version and ``key``."""
        if key not in self.f.memo:
            self.f.memo[key] = make()
        return self.f.memo[key]

    def reaches(self, src: Node, dst: Node, exact: bool = False) -> bool:
        if src == dst:
            return True
        if exact:
            return False
        key = (src, dst)
        if key not in self.f.reach:
            self.f.reach[key] = self.s.path(src, dst) is not None
        return self.f.reach[key]

    def covered(self, table: str, src: Node, dst: Node, scheme: str) -> set[int]:
        """Years whose rows of ``table`` (``population``: 1 January) at ``src`` in ``scheme``
        hold at least one code that the crosswalk chain ``src → dst`` carries: the graph of
        layouts may link two levels while the stored codes lie outside the linked ones."""

        def make() -> set[int]:
            m = self.s.code_map(src, dst)
            if m is None or m.empty:
                return set()
            codes = sorted(set(m["code"].astype(str)))
            rows = self.s.atlas.con.execute(
                "SELECT DISTINCT year(ref_date) FROM population WHERE level = ? AND layout = ? "
                "AND scheme = ? AND code IN (SELECT unnest(?))",
                [src[0], src[1], scheme, codes]).fetchall()
            return {int(r[0]) for r in rows}

        if table != "population":
            raise ValueError(f"coverage of table {table!r} is not checked")
        got: set[int] = self.memo(("covered", table, src, dst, scheme), make)
        return got

    def has_map(self, src: Node, dst: Node) -> bool:
        """Whether a crosswalk chain links ``src`` to ``dst`` (memoised)."""
        return bool(self.memo(("map", src, dst), lambda: self.s.code_map(src, dst) is not None))


# --------------------------------------------------------------------------- population
def _pop_rows(c: _Ctx) -> list[tuple[int, str, str, str, bool]]:
    rows: list[tuple[int, str, str, str, bool]] = c.memo("pop", lambda: c.s.atlas.con.execute(
        "SELECT DISTINCT year(ref_date) AS y, level, layout, scheme, bool_or(grp = 'BEL') "
        "FROM population WHERE month(ref_date) = 1 AND day(ref_date) = 1 GROUP BY ALL"
    ).fetchall())
    return rows


def _pop_years(c: _Ctx, t: Node, scheme: str | None, grp: str | None) -> set[int]:
    """Years (1 January) with counts of the scheme (None/total: the total population) on ``t``."""
    got: set[int] = c.memo(("pop_years", t, scheme, grp), lambda: _pop_years_of(c, t, scheme, grp))
    return got


def _pop_years_of(c: _Ctx, t: Node, scheme: str | None, grp: str | None) -> set[int]:
    total = scheme in (None, "total") or grp in (None, "total")
    found: dict[tuple[Node, str], set[int]] = {}
    for y, lv, ly, sch, has_bel in _pop_rows(c):
        if total:
            ok = sch == "total" or (sch in ("nationality", "country") and has_bel)
        else:
            ok = sch == scheme or (sch == "country" and scheme in G.DERIVED_SCHEMES)
        if ok and c.reaches((lv, ly), t):
            found.setdefault(((lv, ly), sch), set()).add(int(y))
    out: set[int] = set()
    for (node, sch), years in found.items():
        out |= years if node == t else years & c.covered("population", node, t, sch)
    return out


def _published_share_years(c: _Ctx, t: Node, scheme: str, grp: str) -> set[int]:
    from aankomst.indicators.population import _published_share_map

    m = _published_share_map()
    tries = [(mid, scheme, grp) for mid in ("group_share", "nationality_share")]
    tries += [(r.measure, r.measure_scheme, r.measure_grp)
              for r in m[(m["scheme"] == scheme) & (m["grp"] == grp)].itertuples(index=False)]
    have = _published_share_periods(c)
    out: set[int] = set()
    for measure, sch, g in tries:
        out |= have.get((measure, sch, g, *t), set())
    return out


def _published_share_periods(c: _Ctx) -> dict[tuple[str, ...], set[int]]:
    """Years (of ``YYYY`` or ``YYYY-01-01`` periods) per ``(measure, scheme, grp, level,
    layout)`` of the stored published shares, read once per atlas version (one query instead
    of several per target, group and level)."""
    from aankomst.indicators.population import _published_share_map

    def make() -> dict[tuple[str, ...], set[int]]:
        names = sorted({"group_share", "nationality_share", *_published_share_map()["measure"].astype(str)})
        rows = c.s.atlas.con.execute(
            "SELECT DISTINCT measure, scheme, grp, level, layout, period FROM measures WHERE measure IN "
            f"({', '.join('?' * len(names))}) AND value IS NOT NULL", names).fetchall()
        out: dict[tuple[str, ...], set[int]] = {}
        for measure, sch, g, lv, ly, p in rows:
            mm = re.fullmatch(r"(\d{4})(-01-01)?", str(p))
            if mm:
                out.setdefault((str(measure), str(sch), str(g), str(lv), str(ly)), set()).add(int(mm.group(1)))
        return out

    got: dict[tuple[str, ...], set[int]] = c.memo(("published_share_periods",), make)
    return got


def _share_years(c: _Ctx, t: Node, scheme: str | None, grp: str | None) -> set[int]:
    if scheme in (None, "total") or grp in (None, "total"):
        return set()
    counts = _pop_years(c, t, scheme, grp) & _pop_years(c, t, None, None)
    return counts | _published_share_years(c, t, scheme, grp)


# --------------------------------------------------------------------------- flows
def _flow_nodes(c: _Ctx) -> dict[tuple[int, int], list[tuple[int, Node, str, bool, bool, bool]]]:
    """Per (load_id, year): candidate nodes ``(fineness, node, scheme, has_departures,
    has_arrivals, has_area_to_area)`` as ``flows._fetch`` sees them."""

    def make() -> dict[tuple[int, int], list[tuple[int, Node, str, bool, bool, bool]]]:
        from aankomst.indicators._store import FINENESS

        rows = c.s.atlas.con.execute(
            "SELECT load_id, year, scheme, lv, ly, bool_or(o) AS o, bool_or(d) AS d, "
            "bool_or(od) AS od FROM ("
            " SELECT load_id, year, scheme, origin_level AS lv, origin_layout AS ly, TRUE AS o, "
            " FALSE AS d, dest_kind = 'area' AS od FROM flows WHERE origin_kind = 'area'"
            " UNION ALL"
            " SELECT load_id, year, scheme, dest_level, dest_layout, FALSE, TRUE, "
            " origin_kind = 'area' FROM flows WHERE dest_kind = 'area') GROUP BY ALL"
        ).fetchall()
        out: dict[tuple[int, int], list[tuple[int, Node, str, bool, bool, bool]]] = {}
        for load_id, y, sch, lv, ly, o, d, od in rows:
            out.setdefault((int(load_id), int(y)), []).append(
                (FINENESS.get(str(lv), 0), (str(lv), str(ly)), str(sch), bool(o), bool(d),
                 bool(od)))
        return out

    got: dict[tuple[int, int], list[tuple[int, Node, str, bool, bool, bool]]] = c.memo(
        "flows", make)
    return got


def _flow_groups(c: _Ctx, scheme: str, grp: str, asked: str) -> set[tuple[int, int]]:
    """(load_id, year) pairs holding flows of group ``asked``/``grp`` stored in ``scheme``
    (the asked scheme itself, or ``country`` to derive it from)."""
    got: set[tuple[int, int]] = c.memo(("flow_groups", scheme, grp, asked),
                                       lambda: _flow_groups_of(c, scheme, grp, asked))
    return got


def _flow_groups_of(c: _Ctx, scheme: str, grp: str, asked: str) -> set[tuple[int, int]]:
    con = c.s.atlas.con
    if scheme == "country" and asked != "country":
        rows = con.execute("SELECT DISTINCT load_id, year, grp FROM flows WHERE scheme = 'country'"
                           ).fetchall()
        import pandas as pd

        out = set()
        for (ld, y), part in pd.DataFrame(rows, columns=["l", "y", "g"]).groupby(["l", "y"]):
            mapped = G.map_countries(part["g"], asked, date(int(y), 7, 1))
            if (mapped == grp).any():
                out.add((int(ld), int(y)))
        return out
    return {(int(a), int(b)) for a, b in con.execute(
        "SELECT DISTINCT load_id, year FROM flows WHERE scheme = ? AND grp = ?", [scheme, grp]
    ).fetchall()}


def _flow_years(c: _Ctx, t: Node, scheme: str, need: str, grp: str | None = None,
                asked: str | None = None) -> set[int]:
    """Years with flows of ``scheme`` (of group ``asked``/``grp``) reaching ``t`` as ``need``
    requires."""
    keep = None if grp is None else _flow_groups(c, scheme, grp, asked or scheme)
    out = set()
    for (ld, y), nodes in _flow_nodes(c).items():
        if keep is not None and (ld, y) not in keep:
            continue
        mine = [n for n in nodes if n[2] == scheme]
        # the finest node of the file that reaches the target (flows._fetch)
        for fine, node, _sch, o, d, od in sorted(mine, key=lambda n: -n[0]):
            if not c.reaches(node, t):
                continue
            flags = [x for x in mine if x[1] == node]
            o = any(x[3] for x in flags)
            d = any(x[4] for x in flags)
            od = any(x[5] for x in flags)
            if (need == "any" or (need == "arrivals" and d) or (need == "both" and o and d)
                    or (need == "od" and od)):
                out.add(y)
            break
    return out


def _window_ends(per_scheme: list[tuple[set[int], set[int]]], n: int) -> list[tuple[int, int]]:
    """Windows ``(y0, y1)`` of ``n`` years for which the first scheme with any flows in the
    window (``any`` years) has usable flows (``ok`` years) for every year of it
    (``flows._raw_flows`` takes the first scheme with data)."""
    every = set().union(*(ok for _, ok in per_scheme)) if per_scheme else set()
    out = []
    for y1 in sorted(every):
        y0 = y1 - n + 1
        win = set(range(y0, y1 + 1))
        for anyy, ok in per_scheme:
            if anyy & win:
                if win <= ok:
                    out.append((y0, y1))
                break
    return out


# --------------------------------------------------------------------------- measures
def _measure_years(c: _Ctx, t: Node, measure: str, exact: bool = False,
                   any_group: bool = False) -> set[str]:
    """Period labels (``'2019-01-01'`` shown as ``'2019'``) of a measure (``%`` wildcards)
    reaching ``t`` (``exact``: stored at ``t`` itself)."""
    grp = "" if any_group else "AND scheme = 'total' AND grp = 'total' "
    rows = c.memo(("measures", measure, any_group), lambda: c.s.atlas.con.execute(
        "SELECT DISTINCT period, level, layout FROM measures WHERE measure LIKE ? "
        f"{grp}AND value IS NOT NULL", [measure]).fetchall())
    return {_year_label(str(p)) for p, lv, ly in rows if c.reaches((lv, ly), t, exact)}


def _year_label(p: str) -> str:
    m = re.fullmatch(r"(\d{4})-01-01", p)
    return m.group(1) if m else p




# --------------------------------------------------------------------------- inputs
_SUB_MUNICIPAL = ("deelgemeente", "neighbourhood", "sector", "brussels_neighbourhood")


class Input:
    """An input an indicator reads; :meth:`periods` asks the data which periods it has.

    ``periods`` returns period labels (``'2015'``, ``'2010-2012'``, ``'2011'``) or ``None``
    when the input does not constrain periods (it is present, whatever the period).
    """

    def periods(self, c: _Ctx, t: Node, sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str] | None:
        raise NotImplementedError

    def describe(self) -> str:
        """Short text for the catalogue (``docs/indicators.md``)."""
        return type(self).__name__.lower()


@dataclass(frozen=True)
class Population(Input):
    """Population counts on 1 January (of the group's scheme, or of the total)."""

    total: bool = False
    sizes: bool = False

    def periods(self, c: _Ctx, t: Node, sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str] | None:
        if self.sizes:
            n = c.s.atlas.con.execute(
                "SELECT count(*) FROM areas WHERE level = ? AND layout = ? AND "
                "(area_km2 > 0 OR geometry IS NOT NULL)", list(t)).fetchall()[0][0]
            if not n:
                return set()
        if self.total:
            sch, grp = None, None
        off = int(params.get("population_offset") or 0)
        return {str(y - off) for y in _pop_years(c, t, sch, grp)}

    def describe(self) -> str:
        return "population" + (" (total)" if self.total else " (group)") + (
            " + area sizes" if self.sizes else "")


@dataclass(frozen=True)
class Share(Input):
    """Group counts with totals, or published shares of the group."""

    def periods(self, c: _Ctx, t: Node, sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str] | None:
        return {str(y) for y in _share_years(c, t, sch, grp)}

    def describe(self) -> str:
        return "population (group and total) or published shares"


def share_years(atlas: Any, level: str, scheme: str | None, grp: str | None,
                layout: str | None = None) -> list[int]:
    """Years (1 January) with a share of the group at the level (counts or published shares).

    Used by the change indicators for their default base year, so that the offer and the
    computation agree.

    Examples
    --------
    >>> share_years(atlas, "municipality", "nationality", "ETR")[:2]  # doctest: +SKIP
    [2009, 2010]
    """
    c = _Ctx(atlas, level, layout)
    return sorted(_share_years(c, c.targets[0], scheme, grp))


@dataclass(frozen=True)
class Change(Input):
    """End years of a change in share (percentage points) from ``base_year``."""

    def periods(self, c: _Ctx, t: Node, sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str] | None:
        years = _share_years(c, t, sch, grp)
        base = params.get("base_year")
        if base in (None, ""):
            base = min(years) if years else None
        if base is None:
            return set()
        b = int(str(base)[:4])
        return {str(y) for y in years if y > b} if b in years else set()

    def describe(self) -> str:
        return "population (group and total) or published shares at two dates"


@dataclass(frozen=True)
class Measures(Input):
    """Stored measures (names may hold ``%`` wildcards), total group."""

    names: tuple[str, ...]
    exact: bool = False
    any_group: bool = False

    def periods(self, c: _Ctx, t: Node, sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str] | None:
        out: set[str] = set()
        for name in self.names:
            out |= _measure_years(c, t, name, self.exact, self.any_group)
        return out

    def describe(self) -> str:
        return "measures " + ", ".join(self.names)


@dataclass(frozen=True)
class AnyOf(Input):
    """Any of several inputs (union of their periods)."""

    options: tuple[Input, ...]

    def periods(self, c: _Ctx, t: Node, sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str] | None:
        out: set[str] = set()
        for o in self.options:
            got = o.periods(c, t, sch, grp, params)
            if got is None:
                return None
            out |= got
        return out

    def describe(self) -> str:
        return " or ".join(o.describe() for o in self.options)


@dataclass(frozen=True)
class When(Input):
    """An input that applies only when a parameter has a value (``statistic=median``)."""

    param: str
    value: Any
    then: Input
    otherwise: Input

    def periods(self, c: _Ctx, t: Node, sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str] | None:
        pick = self.then if params.get(self.param) == self.value else self.otherwise
        return pick.periods(c, t, sch, grp, params)

    def describe(self) -> str:
        return f"{self.otherwise.describe()} ({self.param}={self.value}: {self.then.describe()})"


@dataclass(frozen=True)
class Indicators(Input):
    """The periods every one of the named indicators offers (with the same parameters where
    they take them)."""

    ids: tuple[str, ...]

    def periods(self, c: _Ctx, t: Node, sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str] | None:
        from aankomst.indicators.registry import get

        out: set[str] | None = None
        for ind in self.ids:
            spec = get(ind)
            if not spec.has_level(t[0]):
                return set()
            own = {p.name for p in spec.all_params}
            kw = {k: v for k, v in params.items() if k in own and k != "layout"}
            got = set(available_periods(c.s.atlas, ind, level=f"{t[0]}@{t[1]}", **kw))
            out = got if out is None else out & got
        return out or set()

    def describe(self) -> str:
        return "indicators " + ", ".join(self.ids)


@dataclass(frozen=True)
class External(Input):
    """Periods told by the subsystem that owns the data: ``fn(atlas, level, layout, params)``
    returns period labels (an empty list when its source is not configured)."""

    fn: Callable[..., list[str]]
    what: str = "external source"

    def periods(self, c: _Ctx, t: Node, sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str] | None:
        return {str(p) for p in self.fn(c.s.atlas, level=t[0], layout=t[1], params=params)}

    def describe(self) -> str:
        return self.what


@dataclass(frozen=True)
class Flows(Input):
    """Moves (``flows``) of the group over a window, with the base population a rate needs.

    Attributes
    ----------
    need
        ``both`` (arrivals and departures), ``arrivals`` or ``od`` (origin–destination pairs).
    population
        ``base`` (the base population of the window, see the ``base`` parameter), ``end_total``
        (total population on 1 January after the window) or ``None``.
    default_group
        ``(scheme, group)`` used when none is asked (first-entry share: foreign nationality).
    city
        The indicator compares an area with its city (``city_level`` parameter).
    reference
        The indicator needs its ``reference`` area (bilateral balance).
    municipality_link
        Below municipality level, whether the areas must be linked to their municipality
        (``always``; ``unless_abroad``: except for the origin ``abroad``; ``never``).
    """

    need: str = "both"
    population: str | None = "base"
    default_group: tuple[str, str] | None = None
    city: bool = False
    reference: bool = False
    municipality_link: str = "never"

    def _needs_link(self, t: Node, params: dict[str, Any]) -> bool:
        if self.municipality_link == "never" or t[0] not in _SUB_MUNICIPAL:
            return False
        return not (self.municipality_link == "unless_abroad"
                    and params.get("origin", "abroad") == "abroad")

    def periods(self, c: _Ctx, t: Node, sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str] | None:
        if self.default_group and sch is None and grp is None:
            sch, grp = self.default_group
        n = int(params.get("window") or 1)
        if self.reference and not _reference_ok(c, params):
            return set()
        if self.city:
            city = resolve_level(params.get("city_level") or "municipality")
            if not c.has_map(t, city):
                return set()
        if self._needs_link(t, params) and not c.has_map(t, resolve_level("municipality")):
            return set()
        if sch in (None, "total") or grp in (None, "total"):
            per = [(_flow_years(c, t, s, "any"), _flow_years(c, t, s, self.need))
                   for s in ("total", "nationality", "country")]
            bs, bg = None, None
        else:
            per = [(_flow_years(c, t, sch, "any"), _flow_years(c, t, sch, self.need, grp))]
            if sch in G.DERIVED_SCHEMES:
                per.append((_flow_years(c, t, "country", "any"),
                            _flow_years(c, t, "country", self.need, grp, sch)))
            group_base = params.get("base_population_of", "group") == "group"
            bs, bg = (sch, grp) if group_base else (None, None)
        wins = _window_ends(per, n)
        if self.population == "end_total":
            have = _pop_years(c, t, None, None)
            wins = [w for w in wins if w[1] in have]
        elif self.population == "base" and params.get("rate", True) is not False:
            have = _pop_years(c, t, bs, bg)
            base = str(params.get("base") or "mean")
            wins = [w for w in wins if set(_base_years(base, *w)) <= have]
        return {period_label(y0, y1) for y0, y1 in wins}

    def describe(self) -> str:
        need = {"both": "arrivals and departures", "arrivals": "arrivals",
                "od": "origin-destination moves"}.get(self.need, self.need)
        pop = {"base": " + base population", "end_total": " + population"}.get(
            self.population or "", "")
        return f"flows ({need}){pop}"


def _base_years(base: str, y0: int, y1: int) -> list[int]:
    if base == "midyear":
        return list(range(y0, y1 + 2))
    if base == "start":
        return [y0]
    if base == "end":
        return [y1]
    if base.isdigit() and len(base) == 4:
        return [int(base)]
    return list(range(y0, y1 + 1))


def _reference_ok(c: _Ctx, params: dict[str, Any]) -> bool:
    from aankomst.indicators.migration import _reference_node

    try:
        _reference_node(c.s, str(params.get("reference") or "04000"), params.get("reference_level"))
    except MissingInputError:
        return False  # the reference area is not in this atlas
    return True


# --------------------------------------------------------------------------- public
def _spec_and_ctx(atlas: Any, indicator_id: str, level: str, group: str | None,
                  scheme: str | None, params: dict[str, Any]
                  ) -> tuple[Any, _Ctx, str | None, str | None, dict[str, Any]]:
    from aankomst.indicators.registry import get

    spec = get(indicator_id)
    p = spec.validate({k: v for k, v in params.items() if v is not None})
    c = _Ctx(atlas, level, p.get("layout"))
    if c.targets[0][0] not in spec.levels:
        raise UnknownCodeError(f"level for indicator {indicator_id!r}", level,
                               known=list(spec.levels))
    if spec.groups == "none":
        if group not in (None, "", "total") or scheme not in (None, "", "total"):
            raise UnknownCodeError(f"group for indicator {indicator_id!r}", group or scheme,
                                   hint="this indicator has no population groups")
        sch, grp = None, None
    elif spec.groups == "fixed":
        sch, grp = spec.extra.get("group", (None, None))
    else:
        sch, grp = split_group(group, scheme)
        if sch in G.schemes() and grp not in (None, "total") and grp not in G.scheme_groups(sch):
            raise UnknownCodeError(f"group of scheme {sch!r}", grp, known=G.scheme_groups(sch))
    return spec, c, sch, grp, p


def available_periods(atlas: Any, indicator_id: str, *, level: str, group: str | None = None,
                      scheme: str | None = None, **params: Any) -> list[str]:
    """Periods for which :func:`~aankomst.indicators.compute` gives values at a level.

    Parameters
    ----------
    atlas
        An open :class:`~aankomst.store.atlas.Atlas`.
    indicator_id
        Catalogue id, e.g. ``"group_share"``.
    level
        Level name (``municipality``, ``neighbourhood`` …, optionally ``level@layout``).
    group, scheme
        Population group, as for ``compute``.
    **params
        The indicator's parameters (validated like ``compute``'s: a misspelt name is an error).

    Returns
    -------
    list of str
        Sorted period labels: years ``'YYYY'`` (1 January for stocks, calendar, income or
        edition year otherwise), windows ``'Y0-Y1'`` for window indicators of more than one
        year. ``[]`` when the atlas has no data for it.

    Raises
    ------
    UnknownCodeError
        Unknown indicator, level (or level not offered by the indicator), scheme or group;
        :class:`~aankomst.indicators.spec.ParameterError` for an unknown parameter.

    Examples
    --------
    >>> import aankomst
    >>> atlas = aankomst.open("demo.duckdb", read_only=True)  # doctest: +SKIP
    >>> available_periods(atlas, "population", level="municipality")[:2]  # doctest: +SKIP
    ['2010', '2011']
    """
    spec, c, sch, grp, p = _spec_and_ctx(atlas, indicator_id, level, group, scheme, params)
    if spec.groups == "optional" and spec.extra.get("group_required") and (
            sch in (None, "total") or grp in (None, "total")):
        return []
    out: set[str] = set()
    for t in c.targets:
        got: set[str] | None = None
        for inp in spec.inputs:
            have = inp.periods(c, t, sch, grp, p)
            if have is None:
                continue
            got = have if got is None else got & have
        out |= got or set()
    return sorted(out)


def available_groups(atlas: Any, indicator_id: str, *, level: str, **params: Any
                     ) -> list[tuple[str, str]]:
    """``(scheme, group)`` pairs for which the indicator offers at least one period at a level.

    ``[("total", "total")]`` for indicators without groups (or when the total is offered). The
    groups asked of the data are the stored population, flow and published-share schemes and
    the schemes derived from counts by country (``nationality_group6`` …).

    Examples
    --------
    >>> available_groups(atlas, "group_share", level="brussels_neighbourhood")[:1]  # doctest: +SKIP
    [('ibsa_nationality', 'north_africa')]
    """
    from aankomst.indicators.registry import get

    spec = get(indicator_id)
    if spec.groups != "optional":
        return [("total", "total")] if available_periods(atlas, indicator_id, level=level,
                                                         **params) else []
    out: list[tuple[str, str]] = []
    if not spec.extra.get("group_required") and available_periods(
            atlas, indicator_id, level=level, **params):
        out.append(("total", "total"))
    for sch, grp in stored_groups(atlas):
        if available_periods(atlas, indicator_id, level=level, scheme=sch, group=grp, **params):
            out.append((sch, grp))
    return out


def stored_groups(atlas: Any) -> list[tuple[str, str]]:
    """Every ``(scheme, group)`` the atlas holds counts, flows or published shares of, plus the
    groups of the schemes derived from counts by country."""
    con = atlas.con
    rows = con.execute(
        "SELECT DISTINCT scheme, grp FROM population WHERE scheme NOT IN ('total', 'country') "
        "UNION SELECT DISTINCT scheme, grp FROM flows WHERE scheme NOT IN ('total', 'country') "
        "UNION SELECT DISTINCT scheme, grp FROM measures WHERE scheme <> 'total' AND "
        "measure IN ('group_share', 'nationality_share')").fetchall()
    out = {(str(a), str(b)) for a, b in rows if b not in (None, "total")}
    has_country = con.execute(
        "SELECT (SELECT count(*) FROM population WHERE scheme = 'country') + "
        "(SELECT count(*) FROM flows WHERE scheme = 'country')").fetchall()[0][0]
    if has_country:
        for sch in G.DERIVED_SCHEMES:
            out |= {(sch, g) for g in G.scheme_groups(sch)}
    from aankomst.indicators.population import published_share_groups

    out |= published_share_groups(atlas)
    return sorted(out)
