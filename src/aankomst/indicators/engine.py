"""``compute``: run a declared indicator, apply the small-cell rule, attach its metadata."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.indicators import catalog as cat
from aankomst.indicators._store import FINENESS, LEVELS, Node, Store, resolve_level, threshold
from aankomst.indicators.registry import get as get_spec
from aankomst.indicators.result import OUTPUT_COLUMNS, Computed, IndicatorResult
from aankomst.privacy import protect_indicator
from aankomst.store.hierarchy import atlas_version
from aankomst.store.schema import CURRENT_LAYOUT

__all__ = ["compute", "compare", "rank", "IndicatorResult", "OUTPUT_COLUMNS"]


def _threshold(atlas: Any) -> tuple[int, str]:
    return threshold(atlas), str(atlas.setting("small_cell_applies_to", "all") or "all")


def _sources(atlas: Any, load_ids: list[int]) -> list[dict[str, Any]]:
    if not load_ids:
        return []
    df = atlas.con.execute(
        "SELECT load_id, source_id, title, publisher, url, reference_date, licence, privacy, path "
        "FROM provenance WHERE load_id IN (SELECT unnest(?)) ORDER BY load_id",
        [[int(x) for x in load_ids]],
    ).df()
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in df.to_dict("records")]


def _within(s: Store, df: pd.DataFrame, target: Node, within: str) -> pd.DataFrame:
    node = s.node_of(within)
    if node == target:
        return df[df["area_code"] == str(within)]
    pm = s.parent_map(target, node)
    keep = set(pm[pm["parent"] == str(within)]["code"])
    return df[df["area_code"].isin(keep)]


def _as_computed(got: Any, indicator_id: str) -> Computed:
    """The implementation's result, checked: every implementation returns :class:`Computed`."""
    if not isinstance(got, Computed):
        raise TypeError(f"indicator {indicator_id!r}: the implementation returned "
                        f"{type(got).__name__}, not a Computed result (aankomst.indicators.result)")
    return got


_RUNS: OrderedDict[tuple[Any, ...], tuple[Computed, int]] = OrderedDict()
"""Implementation results memoised per atlas version and small-cell settings, with the bytes
of their values: derived indicators (typology, difficulty classes, composites) and the web
atlas's views ask for the same inputs again. Results that read sources outside the atlas
(``Computed.sources``, e.g. the registry database) and indicators declared with ``memo=False``
are never memoised: the atlas version does not see those change."""
_RUNS_BYTES = 384 * 2**20
"""Memory the memoised results may take (bytes of their values; least recently used out)."""


def _run(spec: Any, atlas: Any, level: str, period: Any, group: str | None,
         scheme: str | None, params: dict[str, Any], settings: tuple[int, str]) -> Computed:
    """The implementation's result (memoised); ``settings`` are the small-cell settings."""
    key = (atlas_version(atlas), settings, spec.id, str(level), str(period), group, scheme,
           tuple(sorted((k, repr(v)) for k, v in params.items())))
    hit = _RUNS.get(key) if spec.memo else None
    if hit is not None:
        _RUNS.move_to_end(key)
        return hit[0].copy()
    kw: dict[str, Any] = dict(params)
    if spec.groups != "none":
        kw["group"], kw["scheme"] = group, scheme
    got = _as_computed(spec.function(atlas, level=level, period=period, **kw), spec.id)
    if spec.memo and not got.sources:
        _RUNS[key] = (got.copy(), int(got.values.memory_usage(deep=True).sum()))
        while len(_RUNS) > 1 and sum(n for _, n in _RUNS.values()) > _RUNS_BYTES:
            _RUNS.popitem(last=False)
    return got


def compute(atlas: Any, indicator_id: str, *, level: str, period: Any, group: str | None = None,
            scheme: str | None = None, **params: Any) -> IndicatorResult:
    """Compute a declared indicator for every area of a level.

    Parameters
    ----------
    atlas
        An open :class:`~aankomst.store.atlas.Atlas`.
    indicator_id
        Stable id (``aankomst indicators`` lists them), e.g. ``"group_share"``.
    level
        ``region, province, arrondissement, municipality, deelgemeente, neighbourhood, sector,
        brussels_neighbourhood, area_type`` (optionally ``level@layout``, or ``layout=``).
    period
        Year (1 January for stocks; the calendar year for flows and income), date, or window
        ``'Y0-Y1'``.
    group, scheme
        Population group (``group='north_africa', scheme='nationality_group6'`` or
        ``group='nationality_group6:north_africa'``) for indicators that take one.
    **params
        The indicator's own parameters (:attr:`IndicatorSpec.params`, e.g. ``window=3``), and
        the generic ``layout``, ``min_population`` (drop areas with fewer inhabitants and add
        ``rank``, 1 = highest value), ``within`` (keep areas inside this area code) and
        ``rank``. An unknown or misspelt name is an error.

    Returns
    -------
    IndicatorResult
        ``data`` with columns :data:`OUTPUT_COLUMNS` (values in the indicator's unit, e.g. % or
        per 1,000 inhabitants per year), ``meta`` with definition, unit, reference periods,
        sources and the ``restricted`` flag.

    Raises
    ------
    UnknownCodeError
        Unknown indicator, level, group or scheme.
    ParameterError
        An unknown parameter (the message lists the known ones) or a value of the wrong type.
    MissingInputError
        An input (table, scheme, years) is not in the atlas.

    Examples
    --------
    >>> import aankomst
    >>> from aankomst.indicators import compute
    >>> atlas = aankomst.open(demo_path, read_only=True)
    >>> res = compute(atlas, "foreign_nationality_share", level="region", period=2015)
    >>> res.meta["unit"], list(res.data.columns[:4])
    ('%', ['area_code', 'area_name', 'level', 'layout'])
    >>> bool((res.data["value"] > 0).all())
    True
    >>> compute(atlas, "internal_migration_balance", level="region", period=2015, windw=3)
    Traceback (most recent call last):
    ...
    aankomst.indicators.spec.ParameterError: unknown parameter of indicator 'internal_migration_balance' 'windw'; known: window, base, base_population_of, layout, min_population, within, rank
    """
    spec = get_spec(indicator_id)
    entry = cat.entry(indicator_id)
    params = spec.validate(params)
    target = resolve_level(level, params.get("layout"))
    if not spec.has_level(target[0]):
        raise UnknownCodeError(f"level for indicator {indicator_id!r}", level,
                               known=list(spec.levels))
    if spec.groups == "fixed":
        scheme, group = spec.extra["group"]
    elif spec.groups == "none" and group not in (None, "", "total"):
        raise UnknownCodeError(f"group for indicator {indicator_id!r}", group,
                               hint="this indicator has no population groups")
    min_population = params.pop("min_population", None)
    within = params.pop("within", None)
    rank = params.pop("rank", None)
    impl_params = {k: v for k, v in params.items() if v is not None}
    s = Store(atlas)
    settings = _threshold(atlas)
    fallback_note = None
    try:
        got = _run(spec, atlas, level, period, group, scheme, impl_params, settings)
    except MissingInputError as first:
        # no data reaches the current layout: try the level's older layouts (newest first)
        if impl_params.get("layout") or "@" in str(level):
            raise
        others = [r[0] for r in atlas.con.execute(
            "SELECT DISTINCT layout FROM areas WHERE level = ? AND layout <> ? ORDER BY layout DESC",
            [target[0], target[1]]).fetchall()]
        found: tuple[str, Computed] | None = None  # newest layout without split units, else newest
        for ly in others:
            try:
                alt = _run(spec, atlas, level, period, group, scheme, {**impl_params, "layout": ly}, settings)
            except MissingInputError:
                continue
            if found is None or (found[1].split and not alt.split):
                found = (ly, alt)
            if not alt.split:
                break
        if found is None:
            raise first
        ly, got = found
        fallback_note = (f"no data reaches the {target[0]} layout {target[1]} for this "
                         f"period; layout {ly} used")
        target = (target[0], ly)
    df = got.values
    notes = list(got.notes)
    if fallback_note:
        notes.insert(0, fallback_note)
    thr, applies = settings
    sources = _sources(atlas, sorted(got.load_ids)) + list(got.sources)
    # figures of unknown origin are protected like restricted ones (docs/privacy.md)
    restricted = bool(got.restricted) if got.restricted is not None else (
        not sources or any(src.get("privacy") == "restricted" for src in sources))
    value_is_count = spec.value_is_count
    comp_keys: set[tuple[str, str, str]] = set()
    comp_parent: Node | None = None
    if restricted or applies == "all_complementary":
        # on every area of the level, before 'within'/'min_population' drop any of them
        comp_keys, comp_parent, comp_note = _complementary(s, df, target, thr, value_is_count)
        if comp_note:
            notes.append(comp_note)
    if within not in (None, ""):
        df = _within(s, df, target, str(within))
        notes.append(f"areas inside {within} only")
    if min_population not in (None, "") or rank:
        df = _rank(s, df, target, period, min_population, notes)
    n_comp = 0
    if applies in ("all", "all_complementary") or restricted:

        df = df.reset_index(drop=True)
        if comp_keys:
            comp = pd.Series(list(zip(df["area_code"].astype(str), df["group"].astype(str),
                                      df["period"].astype(str))), index=df.index).isin(comp_keys)
            n_comp = int(comp.sum())
            prior = df["suppressed"].fillna(False).astype(bool) if "suppressed" in df else False
            df["suppressed"] = comp | prior
            if n_comp and comp_parent is not None:
                notes.append(
                    f"small-cell rule: {n_comp} area(s) also suppressed (complementary "
                    f"suppression) so that no suppressed count can be recovered by subtracting "
                    f"published {target[0]} figures from their {comp_parent[0]} total")
        df = protect_indicator(df, thr, value_is_count=value_is_count)
    else:
        df = df.reset_index(drop=True)
        df["suppressed"] = df["suppressed"].astype(bool) if "suppressed" in df else False
    cols = OUTPUT_COLUMNS + [c for c in df.columns if c not in OUTPUT_COLUMNS]
    df = df[cols]
    df.attrs = {}
    meta = {
        "id": indicator_id,
        "kind": spec.kind,
        "label_nl": entry["label_nl"], "label_fr": entry["label_fr"], "label_en": entry["label_en"],
        "definition_nl": entry["definition_nl"], "definition_fr": entry["definition_fr"],
        "definition_en": entry["definition_en"],
        "unit": str(df["unit"].iloc[0]) if len(df) else entry["unit"],
        "numerator": entry["numerator"], "denominator": entry["denominator"],
        "level": target[0], "layout": target[1], "period": str(period),
        "reference_periods": list(got.periods),
        "group": str(df["group"].iloc[0]) if len(df) else (group or "total"),
        "scheme": scheme,
        "parameters": {k: (v if isinstance(v, (int, float, bool, str)) or v is None else str(v))
                       for k, v in {**params, "min_population": min_population,
                                    "within": within}.items() if v is not None},
        "sources": sources,
        "source_text": "; ".join(
            f"{x.get('publisher') or ''} {x.get('title') or x.get('source_id')}".strip()
            + (f" ({x['reference_date']})" if x.get("reference_date") else "") for x in sources
        ) or entry["source"],
        "notes": list(dict.fromkeys(notes)),
        "split_units": bool(got.split),
        "restricted": restricted,
        "class_hint": entry.get("class_hint", ""),
        "categories": [c.__dict__ for c in spec.category_list()],
        "small_cell_threshold": thr,
        "suppressed_rows": int(df["suppressed"].sum()) if len(df) else 0,
        "complementary_suppressed": n_comp,
        "rows": int(len(df)),
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
    }
    return IndicatorResult(df, meta)


def _parent_node(s: Store, target: Node, codes: set[str]) -> tuple[Node, dict[str, str]] | None:
    """The next coarser level whose areas contain the result's areas as whole units.

    Levels are tried from the nearest coarser one outwards (current layouts); the first one that
    a crosswalk chain reaches with at least one unsplit link wins. Returns the parent node and
    ``code -> parent code`` for the whole (unsplit, weight 1) links only.
    """
    fine = FINENESS.get(target[0], -1)
    cands = sorted((lv for lv in LEVELS if 0 <= FINENESS.get(lv, -1) < fine),
                   key=lambda lv: -FINENESS[lv])
    for lv in cands:
        node = (lv, CURRENT_LAYOUT[lv])
        if node == target:
            continue
        m = s.code_map(target, node)
        if m is None or m.empty:
            continue
        whole = m[~m["split"].astype(bool) & m["code"].astype(str).isin(codes)]
        if whole.empty:
            continue
        return node, dict(zip(whole["code"].astype(str), whole["to_code"].astype(str)))
    return None


def _complementary(s: Store, df: pd.DataFrame, target: Node, thr: int, value_is_count: bool
                   ) -> tuple[set[tuple[str, str, str]], Node | None, str | None]:
    """Rows to suppress in complement of the primary rule, per parent area (``docs/privacy.md``).

    Returns ``{(area_code, group, period)}``, the parent node and a note (or ``None``).
    """
    from aankomst.privacy import protect_indicator, suppress_hierarchy

    raw = df.reset_index(drop=True)
    if raw.empty:
        return set(), None, None
    prim = protect_indicator(raw, thr, value_is_count=value_is_count)
    if not prim["suppressed"].any():
        return set(), None, None
    found = _parent_node(s, target, set(raw["area_code"].astype(str)))
    if found is None:
        return set(), None, (f"small-cell rule: no coarser level contains the {target[0]} areas "
                             "as whole units, so only primary suppression was applied")
    pnode, pm = found
    if value_is_count:
        count_col = "value"
    elif "numerator" in raw and raw["numerator"].notna().any():
        count_col = "numerator"
    else:
        count_col = "denominator"
    keys = ["group", "period"]
    work = pd.DataFrame({"area_code": raw["area_code"].astype(str),
                         "group": raw["group"].astype(str), "period": raw["period"].astype(str),
                         "count": pd.to_numeric(raw[count_col], errors="coerce"),
                         "suppressed": prim["suppressed"].to_numpy(dtype=bool)})
    work["parent"] = work["area_code"].map(pm)
    # the parent's own figure: sums of the children's counts, under the same primary rule
    cols = [c for c in ("numerator", "denominator") if c in raw]
    if value_is_count:
        cols.append("value")
    sums = raw[cols].apply(pd.to_numeric, errors="coerce").assign(
        parent=work["parent"], group=work["group"], period=work["period"])
    tot_raw = sums.groupby(["parent", *keys], dropna=True)[cols].sum(min_count=1).reset_index()
    tot = protect_indicator(tot_raw, thr, value_is_count=value_is_count)
    # the parent level's own complementary suppression (one level further up), so that a parent
    # withheld as a complement is not rebuilt as the sum of published children
    up = _parent_node(s, pnode, set(tot["parent"].astype(str))) if tot["suppressed"].any() else None
    if up is not None:
        tw = pd.DataFrame({"area_code": tot["parent"].astype(str), "group": tot["group"],
                           "period": tot["period"], "count": tot_raw[count_col],
                           "suppressed": tot["suppressed"].to_numpy(dtype=bool)})
        tw["parent"] = tw["area_code"].map(up[1])
        tot["suppressed"] = suppress_hierarchy(tw, keys=keys, parent_suppressed=None,
                                               threshold=thr)["suppressed"].to_numpy()
    work = work.merge(tot[["parent", *keys, "suppressed"]].rename(
        columns={"suppressed": "parent_suppressed"}), on=["parent", *keys], how="left")
    res = suppress_hierarchy(work, keys=keys, threshold=thr)
    comp = res[res["suppression"] == "complementary"]
    return set(zip(comp["area_code"], comp["group"], comp["period"])), pnode, None


def _rank(s: Store, df: pd.DataFrame, target: Node, period: Any, min_population: Any,
          notes: list[str]) -> pd.DataFrame:
    """Add ``population`` and ``rank`` (1 = highest value) after the minimum-population filter."""
    from aankomst.indicators import _counts as C
    from aankomst.indicators._store import parse_date

    p = str(period)
    year = p[-4:] if len(p) == 9 and p[4] == "-" else p  # a window ranks on its last year
    ref = parse_date(year)
    pop = C.group_population(s, target, ref, None, None, indicator="ranking")
    df = df.merge(pop.rename(columns={"code": "area_code", "count": "population"}),
                  on="area_code", how="left")
    if min_population not in (None, ""):
        mp = float(min_population)
        dropped = df[df["population"].fillna(0) < mp].sort_values("population")
        df = df[df["population"].fillna(0) >= mp]
        notes.append(f"ranking: {len(dropped)} area(s) with fewer than {mp:g} inhabitants on "
                     f"{ref.isoformat()} left out" + (
                         f" ({', '.join(map(str, dropped['area_name'].head(5)))}"
                         f"{' …' if len(dropped) > 5 else ''})" if len(dropped) else ""))
    df = df.copy()
    df["rank"] = df["value"].rank(ascending=False, method="min").astype("Int64")
    return df.sort_values(["rank", "area_code"], na_position="last").reset_index(drop=True)


def rank(result: IndicatorResult | pd.DataFrame, *, min_population: float | None = None,
         ascending: bool = False, top: int | None = None) -> pd.DataFrame:
    """Rank rows of a result (needs a ``population`` column when ``min_population`` is given,
    as added by ``compute(..., min_population=N)``); 1 = highest value unless ``ascending``."""
    df = result.data if isinstance(result, IndicatorResult) else result
    df = df.copy()
    if min_population is not None:
        if "population" not in df.columns:
            raise MissingInputError("ranking", "a population column (compute with min_population)")
        df = df[df["population"].fillna(0) >= min_population]
    df = df[df["value"].notna()]
    df["rank"] = df["value"].rank(ascending=ascending, method="min").astype("Int64")
    df = df.sort_values(["rank", "area_code"])
    return df.head(top) if top else df


def compare(atlas: Any, indicator_id: str, code: str, *, level: str, period: Any,
            group: str | None = None, scheme: str | None = None, **params: Any) -> pd.DataFrame:
    """An area next to its municipality, province, region and area types (13 centre cities …).

    Every comparison value is computed the same way (sums of counts at that level).

    Returns
    -------
    pandas.DataFrame
        ``role, area_code, area_name, level, value, unit, suppressed`` — role is ``area``,
        ``municipality``, ``arrondissement``, ``province``, ``region`` or ``area_type``.
    """
    s = Store(atlas)
    target = resolve_level(level, params.get("layout"))
    rows = []

    def pick(res: IndicatorResult, codes: list[str], role: str) -> None:
        d = res.data[res.data["area_code"].isin(codes)]
        for r in d.itertuples(index=False):
            rows.append({"role": role, "area_code": r.area_code, "area_name": r.area_name,
                         "level": r.level, "value": r.value, "unit": r.unit,
                         "suppressed": bool(r.suppressed)})

    res = compute(atlas, indicator_id, level=level, period=period, group=group, scheme=scheme, **params)
    pick(res, [str(code)], "area")
    muni_code = None
    kw = {k: v for k, v in params.items() if k != "layout"}
    for parent in ("municipality", "arrondissement", "province", "region"):
        if LEVELS.index(parent) >= LEVELS.index(target[0]) and target[0] != "brussels_neighbourhood":
            if parent == target[0] == "municipality":
                muni_code = str(code)
            continue
        pnode = resolve_level(parent)
        try:
            pm = s.parent_map(target, pnode)
        except MissingInputError:
            continue
        hit = pm[pm["code"] == str(code)]["parent"].tolist()
        if not hit:
            continue
        if parent == "municipality":
            muni_code = hit[0]
        try:
            pick(compute(atlas, indicator_id, level=parent, period=period, group=group,
                         scheme=scheme, **kw), hit, parent)
        except MissingInputError:
            continue
    if muni_code is not None:
        types = s.q("SELECT DISTINCT to_code FROM crosswalks WHERE from_level = 'municipality' "
                    "AND from_code = ? AND to_level = 'area_type'", [muni_code])["to_code"].tolist()
        if types:
            try:
                pick(compute(atlas, indicator_id, level="area_type", period=period, group=group,
                             scheme=scheme, **kw), types, "area_type")
            except MissingInputError:
                pass
    return pd.DataFrame(rows, columns=["role", "area_code", "area_name", "level", "value", "unit",
                                       "suppressed"])
