"""What the API answers, as plain functions of an open atlas (no HTTP here).

Everything about an indicator comes from its one declaration
(:class:`~aankomst.indicators.spec.IndicatorSpec`) through the public API of
:mod:`aankomst.indicators`: the catalogue (:func:`~aankomst.indicators.listing`), the
parameters (:meth:`~aankomst.indicators.spec.IndicatorSpec.validate`), the periods and groups
on offer (:func:`~aankomst.indicators.available_periods`,
:func:`~aankomst.indicators.available_groups`) and the values, after the small-cell rule
(:func:`~aankomst.indicators.compute`). Unknown levels, areas and indicators raise
:class:`~aankomst.errors.UnknownCodeError` (HTTP 404), bad parameters
:class:`~aankomst.indicators.spec.ParameterError` (HTTP 422), missing inputs
:class:`~aankomst.errors.MissingInputError` (HTTP 404). Answers are cached in the one
:class:`~aankomst.web.state.LRU` of the :class:`Service`.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import AankomstError, MissingInputError, UnknownCodeError
from aankomst.indicators import (
    OUTPUT_COLUMNS,
    ParameterError,
    available_groups,
    available_periods,
    compute,
    get,
    listing,
    specs,
)
from aankomst.indicators.spec import IndicatorSpec
from aankomst.store.schema import CURRENT_LAYOUT, LEVELS
from aankomst.web.geo import display_name
from aankomst.web.landing import landing_view
from aankomst.web.state import LRU, Busy, atlas_identity

log = logging.getLogger("aankomst.web")

COMPARE_LEVELS = ("municipality", "region", "area_type")
"""Comparison columns of an area profile, after the area itself (as in the studies' tables)."""

SERVER_PARAMS = {"registry_url": "the server sets it (aankomst serve --registry URL)",
                 "layout": "use the query parameter layout=… instead"}
"""Indicator parameters a client may not give as ``p_NAME`` (and why)."""


# --------------------------------------------------------------------------- levels & areas
def atlas_levels(atlas: Any) -> list[dict[str, Any]]:
    """Levels present in the atlas: level, layout used, number of areas, areas with geometry.

    Parameters
    ----------
    atlas
        An open :class:`~aankomst.store.atlas.Atlas`.

    Returns
    -------
    list of dict
        ``level, layout, areas, with_geometry, layouts`` in the order of
        :data:`aankomst.store.schema.LEVELS`; ``layout`` is the current one when present.
    """
    df = atlas.query(
        "SELECT level, layout, count(*) AS n, count(geometry) AS n_geom FROM areas GROUP BY level, layout"
    )
    out = []
    for lv in LEVELS:
        sub = df[df["level"] == lv]
        if sub.empty:
            continue
        cur = sub[sub["layout"] == CURRENT_LAYOUT.get(lv)]
        row = (cur if not cur.empty else sub.sort_values("n", ascending=False)).iloc[0]
        out.append({"level": lv, "layout": str(row["layout"]), "areas": int(row["n"]),
                    "with_geometry": int(row["n_geom"]),
                    "layouts": sorted(str(x) for x in sub["layout"])})
    return out


def find_area(atlas: Any, code: str, level: str | None = None, layout: str | None = None) -> dict[str, Any]:
    """The area with ``code`` (at ``level`` / ``layout`` if given; the current layout preferred).

    Raises
    ------
    UnknownCodeError
        No such area (the hint says how to search for one).
    """
    sql = "SELECT level, layout, code, name_nl, name_fr, name_en, area_km2 FROM areas WHERE code = ?"
    params: list[Any] = [code]
    if level:
        sql += " AND level = ?"
        params.append(level)
    if layout:
        sql += " AND layout = ?"
        params.append(layout)
    df = atlas.query(sql, params)
    if df.empty:
        hint = "search with GET /api/search?q=NAME"
        raise UnknownCodeError(f"{level} area" if level else "area", code, hint=hint)
    df["rank"] = [
        (LEVELS.index(lv) if lv in LEVELS else 99, 0 if CURRENT_LAYOUT.get(lv) == ly else 1)
        for lv, ly in zip(df["level"], df["layout"])
    ]
    df = df.assign(cur=[r[1] for r in df["rank"]]).sort_values(["cur"], kind="stable")
    if not level:
        df = df.assign(lv=[r[0] for r in df["rank"]]).sort_values(["cur", "lv"], kind="stable")
    row = df.iloc[0]
    return {
        "code": str(row["code"]), "level": str(row["level"]), "layout": str(row["layout"]),
        "name": display_name(row["name_nl"], row["name_fr"], row["name_en"]),
        "name_nl": _str(row["name_nl"]), "name_fr": _str(row["name_fr"]), "name_en": _str(row["name_en"]),
        "area_km2": None if pd.isna(row["area_km2"]) else float(row["area_km2"]),
        "other_levels": sorted({str(x) for x in df["level"]} - {str(row["level"])}),
    }


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def search(atlas: Any, q: str, level: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Areas whose Dutch, French or English name (or code) contains ``q`` (case-insensitive).

    Names that start with ``q`` come first, then the coarser levels; only current layouts.
    """
    pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    start = q.lower() + "%"
    sql = (
        "SELECT level, layout, code, name_nl, name_fr, name_en FROM areas WHERE "
        "(lower(name_nl) LIKE ? ESCAPE '\\' OR lower(name_fr) LIKE ? ESCAPE '\\' "
        "OR lower(name_en) LIKE ? ESCAPE '\\' OR lower(code) LIKE ? ESCAPE '\\')"
    )
    params: list[Any] = [pattern, pattern, pattern, pattern]
    if level:
        sql += " AND level = ?"
        params.append(level)
    sql += (" ORDER BY (lower(name_nl) LIKE ? OR lower(name_fr) LIKE ?) DESC, length(coalesce(name_nl, name_fr)),"
            " level LIMIT 500")
    params += [start, start]
    df = atlas.query(sql, params)
    df = df[[CURRENT_LAYOUT.get(lv) == ly for lv, ly in zip(df["level"], df["layout"])]] if not df.empty else df
    out = []
    for r in df.head(limit).itertuples(index=False):
        out.append({"code": r.code, "level": r.level, "layout": r.layout,
                    "name": display_name(r.name_nl, r.name_fr, r.name_en),
                    "name_nl": _str(r.name_nl), "name_fr": _str(r.name_fr)})
    return out


def parents(atlas: Any, area: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """The area's municipality, region and area type (the comparison columns).

    From ``crosswalks`` (largest weight first); for neighbourhood/sector/deelgemeente codes that
    start with a NIS municipality code the municipality is taken from the code when no link
    exists; the region follows from the municipality.
    """
    out: dict[str, dict[str, Any] | None] = {lv: None for lv in COMPARE_LEVELS}
    if area["level"] in COMPARE_LEVELS:
        out[area["level"]] = {"code": area["code"], "level": area["level"], "layout": area["layout"],
                              "name": area["name"], "basis": "self"}
    _links(atlas, area["level"], area["layout"], area["code"], out)
    mun = out.get("municipality")
    if mun is None and area["level"] in ("neighbourhood", "sector", "deelgemeente") and area["code"][:5].isdigit():
        try:
            m = find_area(atlas, area["code"][:5], "municipality")
            out["municipality"] = {**_brief(m), "basis": "code"}
        except UnknownCodeError:
            pass
    mun = out.get("municipality")
    if mun is not None and mun.get("basis") != "self":
        _links(atlas, "municipality", mun["layout"], mun["code"], out)
    if out.get("region") is None and mun is not None and mun["code"][:5].isdigit():
        reg = "04000" if mun["code"].startswith("21") else (
            "03000" if mun["code"][0] in "5689" or mun["code"].startswith("25") else "02000")
        try:
            out["region"] = {**_brief(find_area(atlas, reg, "region")), "basis": "code"}
        except UnknownCodeError:
            pass
    return out


def _brief(a: dict[str, Any]) -> dict[str, Any]:
    return {k: a[k] for k in ("code", "level", "layout", "name")}


def _links(atlas: Any, level: str, layout: str, code: str, out: dict[str, Any]) -> None:
    df = atlas.query(
        "SELECT c.to_level, c.to_layout, c.to_code, c.weight, a.name_nl, a.name_fr, a.name_en, "
        "(SELECT count(*) FROM crosswalks m WHERE m.to_level = c.to_level AND m.to_code = c.to_code) AS members "
        "FROM crosswalks c LEFT JOIN areas a ON a.level = c.to_level AND a.layout = c.to_layout "
        "AND a.code = c.to_code WHERE c.from_level = ? AND c.from_layout = ? AND c.from_code = ? "
        "AND c.to_level IN ('municipality', 'region', 'area_type') ORDER BY c.weight DESC",
        [level, layout, code],
    )
    for lv in COMPARE_LEVELS:
        if out.get(lv) is not None:
            continue
        sub = df[df["to_level"] == lv]
        if sub.empty:
            continue
        if lv == "area_type":  # the widest type the area belongs to (e.g. the 13 centre cities)
            sub = sub.sort_values("members", ascending=False)
        r = sub.iloc[0]
        out[lv] = {"code": str(r["to_code"]), "level": lv, "layout": str(r["to_layout"]),
                   "name": display_name(r["name_nl"], r["name_fr"], r["name_en"]) or str(r["to_code"]),
                   "basis": "crosswalk", "weight": float(r["weight"]),
                   "alternatives": [str(c) for c in sub["to_code"].iloc[1:]]}


# --------------------------------------------------------------------------- the service
Params = tuple[tuple[str, Any], ...]
"""Indicator parameters as a hashable, sorted tuple of ``(name, value)`` (cache keys)."""


def _frozen(params: Mapping[str, Any] | None) -> Params:
    return tuple(sorted((params or {}).items()))


class Service:
    """Cached answers for one atlas (the atlas never changes while the server runs).

    Parameters
    ----------
    atlas_path
        The atlas file (its identity scopes the cache); ``None`` without an atlas.
    registry_url
        URL of the registry of local resources, given to the indicators that read it.
    maxsize
        Entries of the cache (:class:`~aankomst.web.state.LRU`).
    """

    def __init__(self, atlas_path: str | None = None, registry_url: str | None = None,
                 maxsize: int = 4096) -> None:
        self.registry_url = registry_url
        self.cache = LRU(maxsize, scope=atlas_identity(atlas_path))
        self.busy = Busy()
        self.stopping = threading.Event()
        self.background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aankomst-bg")

    # ------------------------------------------------------------------ catalogue
    def catalogue(self) -> dict[str, Any]:
        """``{"indicators": [...], "themes": [...]}``: :func:`aankomst.indicators.listing`
        (one record per declared indicator: texts, kind, levels, parameters with types,
        defaults and choices, categories, groups use, period kind) and the ids per theme."""

        def make() -> dict[str, Any]:
            rows = jsonable(listing("records"))
            themes: dict[str, list[str]] = {}
            for r in rows:
                themes.setdefault(str(r.get("theme") or "other"), []).append(r["id"])
            return {"indicators": rows,
                    "themes": [{"theme": t, "indicators": ids} for t, ids in themes.items()]}

        return self.cache.get_or_make(("catalogue",), make)

    @staticmethod
    def spec(ind: str) -> IndicatorSpec:
        """The declaration of ``ind`` (:class:`UnknownCodeError` listing the known ids)."""
        return get(ind)

    def params(self, ind: str, given: Mapping[str, str], layout: str | None = None) -> dict[str, Any]:
        """Indicator parameters of a request (``p_NAME=VALUE``), checked by the declaration.

        Parameters
        ----------
        ind
            Indicator id.
        given
            The parameters as given (name without ``p_`` -> text).
        layout
            The request's ``layout`` (passed on as the generic ``layout`` parameter).

        Returns
        -------
        dict
            The given parameters, typed (``{"window": 3}``).

        Raises
        ------
        ParameterError
            An unknown (misspelt) name — the message lists the known ones —, a value of the
            wrong type or out of its declared bounds, or a parameter the server sets itself
            (``registry_url``, ``layout``).
        """
        spec = self.spec(ind)
        for name in given:
            if name in SERVER_PARAMS:
                raise ParameterError(f"parameter of indicator {ind!r}", f"p_{name}",
                                     hint=SERVER_PARAMS[name])
        asked = {**given, **({"layout": layout} if layout else {})}
        typed = spec.validate(asked)  # types and bounds declared with each parameter
        return {k: typed[k] for k in asked}

    def _engine_params(self, spec: IndicatorSpec, params: Mapping[str, Any] | None) -> dict[str, Any]:
        out = dict(params or {})
        if self.registry_url and any(p.name == "registry_url" for p in spec.all_params):
            out["registry_url"] = self.registry_url
        return out

    # ------------------------------------------------------------------ levels
    def levels(self, atlas: Any) -> list[dict[str, Any]]:
        """:func:`atlas_levels`, cached."""
        return self.cache.get_or_make(("levels",), lambda: atlas_levels(atlas))

    def resolve_level(self, atlas: Any, level: str, layout: str | None = None) -> str:
        """The layout to use for ``level`` (the current one unless given).

        Raises
        ------
        UnknownCodeError
            A level or layout the atlas does not have (the message lists those it has).
        """
        present = {d["level"]: d for d in self.levels(atlas)}
        if level not in present:
            raise UnknownCodeError("level", level, known=list(present),
                                   hint="GET /api/levels lists the levels of this atlas")
        if layout is None:
            return str(present[level]["layout"])
        if layout not in present[level]["layouts"]:
            raise UnknownCodeError(f"layout of level {level}", layout, known=present[level]["layouts"])
        return layout

    # ------------------------------------------------------------------ the offer
    def periods(self, atlas: Any, ind: str, level: str, group: str | None = None,
                scheme: str | None = None, params: Mapping[str, Any] | None = None) -> list[str]:
        """The periods on offer (:func:`aankomst.indicators.available_periods`), cached."""
        spec = self.spec(ind)
        kw = self._engine_params(spec, params)
        key = ("periods", ind, level, group or None, scheme or None, _frozen(kw))

        def make() -> list[str]:
            with self.busy:
                return list(available_periods(atlas, ind, level=level, group=group or None,
                                              scheme=scheme or None, **kw))

        return self.cache.get_or_make(key, make)

    def latest(self, atlas: Any, ind: str, level: str, group: str | None = None,
               scheme: str | None = None, params: Mapping[str, Any] | None = None) -> str | None:
        """The newest period on offer, ``None`` when there is none."""
        got = self.periods(atlas, ind, level, group, scheme, params)
        return got[-1] if got else None

    def groups(self, atlas: Any, ind: str, level: str,
               params: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
        """The ``(scheme, group)`` pairs on offer (:func:`aankomst.indicators.available_groups`),
        cached; ``("total", "total")`` stands for the default (no group)."""
        spec = self.spec(ind)
        kw = self._engine_params(spec, params)
        key = ("groups", ind, level, _frozen(kw))

        def make() -> list[tuple[str, str]]:
            with self.busy:
                return [(str(s), str(g)) for s, g in available_groups(atlas, ind, level=level, **kw)]

        return self.cache.get_or_make(key, make)

    # ------------------------------------------------------------------ values
    def compute(self, atlas: Any, ind: str, level: str, period: str, group: str | None = None,
                scheme: str | None = None, params: Mapping[str, Any] | None = None
                ) -> tuple[pd.DataFrame, dict[str, Any]]:
        """Values of ``ind`` at ``level`` for ``period`` (:func:`aankomst.indicators.compute`:
        the small-cell rule applied), cached.

        Returns
        -------
        (data, meta)
            ``data``: :data:`~aankomst.indicators.OUTPUT_COLUMNS` plus the text columns of the
            result (``area_name_fr``, the class columns of categorical indicators) — numeric
            extra columns (``population`` …) are not published; ``meta`` as JSON-ready dict
            (without the server's registry URL).
        """
        spec = self.spec(ind)
        kw = self._engine_params(spec, params)
        key = ("values", ind, level, str(period), group or None, scheme or None, _frozen(kw))

        def make() -> tuple[pd.DataFrame, dict[str, Any]]:
            with self.busy:
                res = compute(atlas, ind, level=level, period=period, group=group or None,
                              scheme=scheme or None, **kw)
            return published(res.data), public_meta(res.meta)

        return self.cache.get_or_make(key, make)

    # ------------------------------------------------------------------ life cycle
    def stop(self, timeout: float = 120.0) -> None:
        """Stop background work and wait for computations in flight (call before closing
        connections)."""
        self.stopping.set()
        self.background.shutdown(wait=True, cancel_futures=True)
        self.busy.wait_idle(timeout)

    def warm(self, get_atlas: Callable[[], Any], levels: list[str]) -> None:
        """Compute, in the background worker, the map's first view
        (:func:`~aankomst.web.landing.landing_view`), then the latest values of every indicator
        at ``levels`` and the comparison levels (what the area profiles need)."""

        def run() -> None:
            atlas = get_atlas()
            try:
                landing_view(self, atlas)  # the map's first view (it computes what it compares)
            except Exception:  # a bug: log it, warm the others
                log.exception("the map's first view failed")
            present = {d["level"] for d in self.levels(atlas)}
            todo = [lv for lv in dict.fromkeys((*levels, *COMPARE_LEVELS)) if lv in present]
            for spec in specs():
                for lv in todo:
                    if self.stopping.is_set():
                        return
                    if not spec.has_level(lv):
                        continue
                    try:
                        per = self.latest(atlas, spec.id, lv)
                        if per:
                            self.compute(atlas, spec.id, lv, per)
                    except AankomstError:
                        continue
                    except Exception:  # a bug: log it, warm the others
                        log.exception("warming %s at %s failed", spec.id, lv)

        self.background.submit(run)


# --------------------------------------------------------------------------- tables & JSON
def published(df: pd.DataFrame) -> pd.DataFrame:
    """The columns of a result that leave the server: :data:`OUTPUT_COLUMNS`, then the text
    columns (names, class labels, explanations). Numeric extra columns could be counts (e.g.
    the ``population`` behind a ranking) and are left out; non-finite values become missing.
    """
    extra = [c for c in df.columns if c not in OUTPUT_COLUMNS
             and not pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    out = df.reindex(columns=[*OUTPUT_COLUMNS, *extra]).copy()
    out["area_code"] = out["area_code"].astype(str)
    out["suppressed"] = out["suppressed"].fillna(False).astype(bool)
    for col in ("value", "numerator", "denominator"):
        num = pd.to_numeric(out[col], errors="coerce")
        out[col] = num.where(np.isfinite(num.to_numpy(dtype=float)))
    return out


def public_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """An indicator result's meta as JSON-ready dict, without the registry URL (it may hold a
    password) among the parameters."""
    out = dict(meta)
    if isinstance(out.get("parameters"), dict):
        out["parameters"] = {k: v for k, v in out["parameters"].items() if k != "registry_url"}
    return jsonable(out)


def jsonable(obj: Any) -> Any:
    """``obj`` with only JSON types: numpy scalars as Python numbers, NaN/inf as ``None``,
    dates as ISO text, tables as lists of records, sets and tuples as lists."""
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(float(obj)) else None
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return records(obj)
    if isinstance(obj, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
        return [jsonable(x) for x in obj]
    if isinstance(obj, (datetime, date, pd.Timestamp)):
        return obj.isoformat()
    if obj is pd.NaT or (not isinstance(obj, type) and _isna(obj)):
        return None
    return str(obj)


def _isna(obj: Any) -> bool:
    try:
        return bool(pd.isna(obj))
    except (TypeError, ValueError):
        return False


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN and infinities -> ``None``)."""
    rows: list[dict[str, Any]] = json.loads(df.to_json(orient="records", date_format="iso"))
    return rows


def change_table(a: pd.DataFrame, b: pd.DataFrame, unit: str) -> tuple[pd.DataFrame, str]:
    """Change between two periods per area: ``value = b - a``.

    Shares in % change in percentage points; other units in their own unit. An area is
    suppressed when either period is suppressed; areas missing in one period are left out.
    """
    m = a[["area_code", "area_name", "level", "layout", "group", "value", "suppressed"]].merge(
        b[["area_code", "value", "suppressed"]], on="area_code", suffixes=("_from", "_to"))
    out = m[["area_code", "area_name", "level", "layout", "group"]].copy()
    out["value_from"] = m["value_from"]
    out["value_to"] = m["value_to"]
    out["suppressed"] = m["suppressed_from"].astype(bool) | m["suppressed_to"].astype(bool)
    out["value"] = (m["value_to"] - m["value_from"]).where(~out["suppressed"])
    out.loc[out["suppressed"], ["value_from", "value_to"]] = float("nan")
    cunit = "percentage points" if unit.strip() in ("%", "percent", "pct") else unit
    out["unit"] = cunit
    return out, cunit


def missing_for(ind: str, level: str, period: str) -> MissingInputError:
    """A 404 for an indicator without values at a level for a period."""
    return MissingInputError(ind, f"values at level {level}", years=period,
                             fix=f"GET /api/periods?indicator={ind}&level={level} lists the periods with data")
