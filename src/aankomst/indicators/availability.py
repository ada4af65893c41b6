"""``available_periods``: the periods an indicator has values for at a level, from the store.

Derived cheaply with SQL over ``population``, ``measures`` and ``flows`` plus the crosswalk
reachability the engine uses (:meth:`~aankomst.indicators._store.Store.path`), not by computing
the indicator for every year. A period is returned when every input the indicator needs for it
reaches one (level, layout) of the asked level: the level's current layout, or (as
:func:`~aankomst.indicators.compute` falls back to them) its older layouts, unless a layout is
given.

Rules per indicator (see ``docs/architecture.md``, indicator contract):

* stocks (``population``, ``density``): years with counts on 1 January of the group's scheme
  (or the total: stored, or a complete nationality/country breakdown); density also needs area
  sizes or geometry.
* shares (``group_share``, ``foreign_nationality_share``): years with group counts and total
  counts reaching the same layout, plus years of published shares stored at the level.
* ``*_change``: end years whose share exists together with the base year's (``base_year``;
  without it: end years with an earlier share year to compare with).
* migration: windows (the indicator's default ``window``, or ``window=``) whose every year has
  flows of the group reaching the level (arrivals and departures where a balance needs both;
  origin-destination flows for the bilateral balance) and, for rates, the base population of
  every year it uses. Labels ``'YYYY'`` for one-year windows, ``'Y0-Y1'`` otherwise.
* income: income years with total net taxable income and a denominator (residents of the
  income statistics or population; declarations).
* other subsystems: an implementation hook (``<function>_periods(atlas, *, level, group,
  scheme, **params)`` or ``available_periods(atlas, indicator_id, *, level, …)`` in the
  implementation module), else the periods of the measures named in the catalogue ``inputs``
  that reach the level; ``None`` when the inputs are outside the atlas (the registry).

The answer is an honest approximation: a returned period may still give only suppressed or
missing values when the stored codes do not cover any unit of the level (the crosswalk graph is
checked per (level, layout), not per code).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from aankomst.errors import UnknownCodeError
from aankomst.indicators import catalog as cat
from aankomst.indicators import groups as G
from aankomst.indicators._store import Node, Store, period_label, resolve_level, split_group

_MIGRATION = {  # id -> (default window, flow directions needed, population needed)
    "internal_migration_balance": (3, "both", "base"),
    "bilateral_balance": (3, "od", "base"),
    "external_balance": (3, "both", "base"),
    "internal_balance": (3, "both", "base"),
    "residential_mobility": (1, "both", "base"),
    "first_entry_share": (1, "arrivals", None),
    "newcomer_concentration": (1, "arrivals", "end_total"),
}
_CITY = ("external_balance", "internal_balance", "newcomer_concentration")


# --------------------------------------------------------------------------- reachability
class _Ctx:
    def __init__(self, atlas: Any, level: str, layout: str | None) -> None:
        self.s = Store(atlas)
        lv, ly = resolve_level(level, layout)
        explicit = bool(layout) or "@" in str(level)
        self.targets: list[Node] = [(lv, ly)]
        if not explicit:
            others = [r[0] for r in atlas.con.execute(
                "SELECT DISTINCT layout FROM areas WHERE level = ? AND layout <> ? "
                "ORDER BY layout DESC", [lv, ly]).fetchall()]
            self.targets += [(lv, o) for o in others]
        self._reach: dict[tuple[Node, Node], bool] = {}

    def reaches(self, src: Node, dst: Node, exact: bool = False) -> bool:
        if src == dst:
            return True
        if exact:
            return False
        key = (src, dst)
        if key not in self._reach:
            self._reach[key] = self.s.path(src, dst) is not None
        return self._reach[key]


# --------------------------------------------------------------------------- population
def _pop_rows(c: _Ctx) -> list[tuple[int, str, str, str, bool]]:
    if not hasattr(c, "_pop"):
        c._pop = c.s.atlas.con.execute(  # type: ignore[attr-defined]
            "SELECT DISTINCT year(ref_date) AS y, level, layout, scheme, bool_or(grp = 'BEL') "
            "FROM population WHERE month(ref_date) = 1 AND day(ref_date) = 1 GROUP BY ALL"
        ).fetchall()
    return c._pop  # type: ignore[attr-defined]


def _pop_years(c: _Ctx, t: Node, scheme: str | None, grp: str | None) -> set[int]:
    """Years (1 January) with counts of the scheme (None/total: the total population) on ``t``."""
    total = scheme in (None, "total") or grp in (None, "total")
    out = set()
    for y, lv, ly, sch, has_bel in _pop_rows(c):
        if total:
            ok = sch == "total" or (sch in ("nationality", "country") and has_bel)
        else:
            ok = sch == scheme or (sch == "country" and scheme in G.DERIVED_SCHEMES)
        if ok and c.reaches((lv, ly), t):
            out.add(int(y))
    return out


def _published_share_years(c: _Ctx, t: Node, scheme: str, grp: str) -> set[int]:
    from aankomst.indicators.population import _published_share_map

    m = _published_share_map()
    tries = [(mid, scheme, grp) for mid in ("group_share", "nationality_share")]
    tries += [(r.measure, r.measure_scheme, r.measure_grp)
              for r in m[(m["scheme"] == scheme) & (m["grp"] == grp)].itertuples(index=False)]
    out = set()
    for measure, sch, g in tries:
        rows = c.s.atlas.con.execute(
            "SELECT DISTINCT period FROM measures WHERE measure = ? AND scheme = ? AND grp = ? "
            "AND level = ? AND layout = ? AND value IS NOT NULL", [measure, sch, g, *t]).fetchall()
        for (p,) in rows:
            mm = re.fullmatch(r"(\d{4})(-01-01)?", str(p))
            if mm:
                out.add(int(mm.group(1)))
    return out


def _share_years(c: _Ctx, t: Node, scheme: str | None, grp: str | None) -> set[int]:
    if scheme in (None, "total") or grp in (None, "total"):
        return set()
    counts = _pop_years(c, t, scheme, grp) & _pop_years(c, t, None, None)
    return counts | _published_share_years(c, t, scheme, grp)


# --------------------------------------------------------------------------- flows
def _flow_nodes(c: _Ctx) -> dict[tuple[int, int], list[tuple[int, Node, str, bool, bool, bool]]]:
    """Per (load_id, year): candidate nodes ``(fineness, node, scheme, has_departures,
    has_arrivals, has_area_to_area)`` as ``flows._fetch`` sees them."""
    if not hasattr(c, "_flows"):
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
        out: dict[tuple[int, int], list] = {}
        for load_id, y, sch, lv, ly, o, d, od in rows:
            out.setdefault((int(load_id), int(y)), []).append(
                (FINENESS.get(str(lv), 0), (str(lv), str(ly)), str(sch), bool(o), bool(d), bool(od)))
        c._flows = out  # type: ignore[attr-defined]
    return c._flows  # type: ignore[attr-defined]


def _flow_groups(c: _Ctx, scheme: str, grp: str, asked: str) -> set[tuple[int, int]]:
    """(load_id, year) pairs holding flows of group ``asked``/``grp`` stored in ``scheme``
    (the asked scheme itself, or ``country`` to derive it from)."""
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


def _migration(c: _Ctx, t: Node, ind: str, scheme: str | None, grp: str | None,
               params: dict[str, Any]) -> set[str]:
    default, need, pop = _MIGRATION[ind]
    if ind == "first_entry_share" and scheme is None and grp is None:
        scheme, grp = "nationality", "ETR"
    win = params.get("window")
    n = int(win) if win not in (None, "") else default
    if n < 1:
        raise UnknownCodeError("window length", win, hint="give a number of years >= 1")
    if ind == "bilateral_balance":
        from aankomst.indicators.migration import _reference_node

        try:
            _reference_node(c.s, str(params.get("reference") or "04000"),
                            params.get("reference_level"))
        except UnknownCodeError:
            if params.get("reference") not in (None, ""):
                raise
            return set()  # the default reference area (Brussels) is not in this atlas
    if ind in _CITY:
        city = resolve_level(params.get("city_level") or "municipality")
        if c.s.code_map(t, city) is None:
            return set()
    if scheme in (None, "total") or grp in (None, "total"):
        per = [(_flow_years(c, t, sch, "any"), _flow_years(c, t, sch, need))
               for sch in ("total", "nationality", "country")]
        bs, bg = None, None
    else:
        if scheme in G.schemes() and grp not in G.scheme_groups(scheme):
            raise UnknownCodeError(f"group of scheme {scheme!r}", grp,
                                   known=G.scheme_groups(scheme))
        per = [(_flow_years(c, t, scheme, "any"), _flow_years(c, t, scheme, need, grp))]
        if scheme in G.DERIVED_SCHEMES:
            per.append((_flow_years(c, t, "country", "any"),
                        _flow_years(c, t, "country", need, grp, scheme)))
        bs, bg = (scheme, grp) if params.get("base_population_of", "group") == "group" else (None, None)
    wins = _window_ends(per, n)
    if pop == "end_total":
        have = _pop_years(c, t, None, None)
        wins = [w for w in wins if w[1] in have]
    elif pop == "base" and not (ind == "bilateral_balance" and str(params.get("rate", True)).lower()
                                not in ("true", "1", "yes", "per_1000")):
        have = _pop_years(c, t, bs, bg)
        base = str(params.get("base") or "mean")

        def base_years(y0: int, y1: int) -> list[int]:
            if base == "midyear":
                return list(range(y0, y1 + 2))
            if base == "start":
                return [y0]
            if base == "end":
                return [y1]
            if base.isdigit() and len(base) == 4:
                return [int(base)]
            return list(range(y0, y1 + 1))

        wins = [w for w in wins if set(base_years(*w)) <= have]
    return {period_label(y0, y1) for y0, y1 in wins}


# --------------------------------------------------------------------------- measures
def _measure_years(c: _Ctx, t: Node, measure: str, exact: bool = False) -> set[str]:
    rows = c.s.atlas.con.execute(
        "SELECT DISTINCT period, level, layout FROM measures WHERE measure = ? AND scheme = 'total' "
        "AND grp = 'total' AND value IS NOT NULL", [measure]).fetchall()
    return {str(p) for p, lv, ly in rows if c.reaches((lv, ly), t, exact)}


def _income(c: _Ctx, t: Node, ind: str, params: dict[str, Any]) -> set[str]:
    if ind == "income_per_declaration" and params.get("statistic") == "median":
        return _measure_years(c, t, "median_taxable_income_declaration", exact=True)
    inc = _measure_years(c, t, "total_net_taxable_income")
    if ind == "income_per_declaration":
        return inc & (_measure_years(c, t, "tax_declarations")
                      | _measure_years(c, t, "tax_declarations_nonzero"))
    res = _measure_years(c, t, "residents_income_statistics")
    off = int(params.get("population_offset") or 0)
    pop = {str(y - off) for y in _pop_years(c, t, None, None)}
    return {p for p in inc if p in res or p in pop}


def _measure_patterns(inputs: str) -> list[str]:
    """SQL LIKE patterns of the measures named in a catalogue ``inputs`` text."""
    out = []
    for m in re.finditer(r"measures\s*(?::\s*([^;()]+)|\(([^)]*)\))", str(inputs)):
        for name in re.split(r"[|,]", m.group(1) or m.group(2) or ""):
            name = name.strip().split(" ")[0]
            if re.fullmatch(r"[A-Za-z0-9_<>]+", name or ""):
                out.append(re.sub(r"<[^>]*>", "%", name))
    return out


def _year_label(p: str) -> str:
    m = re.fullmatch(r"(\d{4})-01-01", p)
    return m.group(1) if m else p


def _fallback(c: _Ctx, entry: dict[str, str]) -> set[str] | None:
    pats = _measure_patterns(entry.get("inputs", ""))
    if not pats:
        return None if "registry" in str(entry.get("inputs", "")) else set()
    out = set()
    for pat in pats:
        rows = c.s.atlas.con.execute(
            "SELECT DISTINCT period, level, layout FROM measures WHERE measure LIKE ? "
            "AND value IS NOT NULL", [pat]).fetchall()
        for p, lv, ly in rows:
            if any(c.reaches((lv, ly), t) for t in c.targets):
                out.add(_year_label(str(p)))
    return out


def _hook(indicator_id: str, entry: dict[str, str]) -> Callable[..., Any] | None:
    import importlib

    spec = str(entry.get("periods") or "").strip() or str(entry.get("implementation") or "")
    if ":" not in spec:
        return None
    mod_name, fn_name = spec.split(":", 1)
    try:
        mod = importlib.import_module(mod_name)
    except ImportError:
        return None
    if entry.get("periods"):
        return getattr(mod, fn_name, None)
    fn = getattr(mod, f"{fn_name}_periods", None)
    if fn is not None:
        return fn
    gen = getattr(mod, "available_periods", None)
    if gen is not None:
        return lambda atlas, **kw: gen(atlas, indicator_id, **kw)
    return None


# --------------------------------------------------------------------------- public
def available_periods(atlas: Any, indicator_id: str, *, level: str, group: str | None = None,
                      scheme: str | None = None, **params: Any) -> list[str] | None:
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
        Indicator parameters that change which periods exist: ``layout``, ``window``,
        ``base``, ``base_population_of``, ``base_year``, ``rate``, ``city_level``,
        ``population_offset``, ``statistic``; others are passed to hooks only.

    Returns
    -------
    list of str or None
        Sorted periods: years ``'YYYY'`` (1 January for stocks, calendar/income year
        otherwise), windows ``'Y0-Y1'`` for migration indicators with windows longer than one
        year. ``[]`` when the atlas has no data for it. ``None`` only when the inputs are not
        in the atlas (registry indicators) and no hook tells.

    Raises
    ------
    UnknownCodeError
        Unknown indicator, level (or level not offered by the indicator), scheme or group.
    """
    entry = cat.entry(indicator_id)
    levels = [x for x in str(entry.get("levels", "")).split(";") if x]
    c = _Ctx(atlas, level, params.get("layout"))
    if levels and c.targets[0][0] not in levels:
        raise UnknownCodeError(f"level for indicator {indicator_id!r}", level, known=levels)
    params = {k: v for k, v in params.items() if v is not None}
    impl = str(entry.get("implementation", ""))
    core = impl.startswith("aankomst.indicators.")
    if not core:
        hook = _hook(indicator_id, entry)
        if hook is not None:
            got = hook(atlas, level=level, group=group, scheme=scheme, **params)
            return None if got is None else sorted({str(p) for p in got})
        got = _fallback(c, entry)
        return None if got is None else sorted(got)
    sch, grp = split_group(group, scheme)
    if sch in G.schemes() and grp not in (None, "total") and grp not in G.scheme_groups(sch):
        raise UnknownCodeError(f"group of scheme {sch!r}", grp, known=G.scheme_groups(sch))
    out: set[str] = set()
    for t in c.targets:
        out |= _for_target(c, t, indicator_id, sch, grp, params)
    return sorted(out)


def _for_target(c: _Ctx, t: Node, ind: str, sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str]:
    if ind in ("population", "density"):
        if ind == "density":
            n = c.s.atlas.con.execute(
                "SELECT count(*) FROM areas WHERE level = ? AND layout = ? AND "
                "(area_km2 > 0 OR geometry IS NOT NULL)", list(t)).fetchall()[0][0]
            if not n:
                return set()
        return {str(y) for y in _pop_years(c, t, sch, grp)}
    if ind in ("foreign_nationality_share", "foreign_nationality_share_change"):
        sch, grp = "nationality", "ETR"
    if ind in ("group_share", "foreign_nationality_share"):
        return {str(y) for y in _share_years(c, t, sch, grp)}
    if ind in ("group_share_change", "foreign_nationality_share_change"):
        if sch is None and grp is None:
            sch, grp = "nationality", "ETR"
        years = _share_years(c, t, sch, grp)
        base = params.get("base_year")
        if base not in (None, ""):
            b = int(str(base)[:4])
            return {str(y) for y in years if y != b} if b in years else set()
        return {str(y) for y in years if any(x < y for x in years)}
    if ind in _MIGRATION:
        return _migration(c, t, ind, sch, grp, params)
    if ind in ("income_per_inhabitant", "income_per_declaration"):
        return _income(c, t, ind, params)
    got = _fallback(c, cat.entry(ind))
    return got or set()
