"""The HTTP API of the web atlas (documented in ``/openapi.json`` and ``docs/api.md``).

Every answer about an indicator comes from its one declaration through
:class:`~aankomst.web.service.Service`: the catalogue, the parameters (``p_NAME=VALUE``,
checked by the declaration), the periods and groups on offer and the values. Parameters are
validated (patterns, enumerations, ranges) before any query; every SQL value is a parameter.
Answers are encoded and gzip-compressed once and cached with an ETag.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from aankomst import __version__, csvsafe
from aankomst.errors import AankomstError, UnknownCodeError
from aankomst.indicators import ParameterError
from aankomst.store.schema import LEVELS
from aankomst.web import classes as web_classes
from aankomst.web import service
from aankomst.web.fastpath import cache_key, payload_response
from aankomst.web.geo import (
    ZOOM_BUCKETS,
    compact_from_geojson,
    features_with_values,
    label_points,
    layer_geojson,
    zoom_bucket,
)
from aankomst.web.state import AtlasUnavailable, Payload

router = APIRouter()

Level = Literal[LEVELS]  # type: ignore[valid-type]
Lang = Literal["nl", "en", "fr"]
ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,80}$"
CODE_PATTERN = r"^[A-Za-z0-9_.\-]{1,40}$"
PERIOD_PATTERN = r"^[12][0-9]{3}([-/][0-9]{2,4}){0,2}$"
GROUP_PATTERN = r"^[A-Za-z0-9_.+\-:]{1,60}$"
LIMITS_PATTERN = r"^-?[0-9.]{1,12}(,-?[0-9.]{1,12}){0,19}$"
PARAM_NAME = re.compile(r"^p_([a-z][a-z0-9_]{0,31})$")
PARAM_VALUE = re.compile(r"^[A-Za-z0-9_.,:+\-]{1,64}$")

Q_IND = Query(..., pattern=ID_PATTERN, description="indicator id from GET /api/indicators",
              examples=["foreign_nationality_share"])
Q_LEVEL = Query(..., description="area level, e.g. municipality, neighbourhood, brussels_neighbourhood")
Q_PERIOD = Query(None, pattern=PERIOD_PATTERN,
                 description="reference year, date or window (e.g. 2019, 2019-01-01, 2016-2020); "
                             "default: the newest period on offer (GET /api/periods)")
Q_GROUP = Query(None, pattern=GROUP_PATTERN,
                description="population group, e.g. ETR, north_africa or nationality_group6:north_africa")
Q_SCHEME = Query(None, pattern=GROUP_PATTERN, description="group scheme, e.g. nationality, nationality_group6")
Q_FOCUS = Query(None, pattern=r"^[a-z0-9_]{1,40}$",
                description="categorical change: the class followed (e.g. gateway); default the first")
Q_LAYOUT = Query(None, pattern=r"^[A-Za-z0-9]{1,12}$", description="layout (vintage); default: the current one")


# --------------------------------------------------------------------------- helpers
def _ctx(request: Request) -> tuple[Any, service.Service]:
    pool = request.app.state.pool
    if pool is None:
        raise AtlasUnavailable("this server was started without an atlas (aankomst serve --db FILE)")
    return pool.get(), request.app.state.service


def _send(request: Request, payload: Payload, *, filename: str | None = None) -> Response:
    """Answer with a cached payload: 304 on a matching ETag, gzip when the client accepts it."""
    status, headers, body = payload_response(
        payload, if_none_match=request.headers.get("if-none-match"),
        accept_gzip="gzip" in request.headers.get("accept-encoding", "").lower(), filename=filename)
    hdrs = {k.decode(): v.decode() for k, v in headers if k not in (b"content-length", b"content-type")}
    if status == 304:
        return Response(status_code=304, headers=hdrs)
    return Response(body, media_type=payload.media_type, headers=hdrs)


async def _cached(request: Request, make: Callable[[], Payload]) -> Response:
    """Answer from the response cache (no thread hop) or compute ``make()`` in the thread pool.

    The atlas is read-only, so an answer is a function of the path and the query string; the
    :class:`~aankomst.web.fastpath.FastPath` middleware serves repeated requests directly."""
    svc: service.Service = request.app.state.service
    key = cache_key(request.url.path, request.scope.get("query_string", b""))
    hit = svc.cache.get(key)
    if not isinstance(hit, Payload):
        hit = await run_in_threadpool(make)
        svc.cache.put(key, hit)
    return _send(request, hit)


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _data(form: str, data: pd.DataFrame, columns: list[str]) -> Any:
    """Rows (every published column, default) or, with ``form=columns``, a compact column-wise
    object with only ``columns`` (what the map needs: a fraction of the bytes)."""
    if form == "rows":
        return service.records(data)
    cols = [c for c in columns if c in data.columns]
    return json.loads(data[cols].to_json(orient="split", index=False))


def _layout_of(data: pd.DataFrame, asked: str | None) -> str | None:
    """The layout of the areas in a values table (the map draws that layout's geometry)."""
    if asked:
        return asked
    lays = [str(x) for x in data["layout"].dropna().unique()] if len(data) else []
    return lays[0] if len(lays) == 1 else None


def _given(request: Request) -> dict[str, str]:
    """The ``p_NAME=VALUE`` parameters of a request (name without ``p_``), checked for form."""
    out: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if not key.startswith("p_"):
            continue
        m = PARAM_NAME.match(key)
        if not m:
            raise ParameterError("indicator parameter name", key,
                                 hint="write p_NAME=VALUE with a lower-case NAME of letters, digits "
                                      "and _ (GET /api/indicators lists each indicator's parameters)")
        if not PARAM_VALUE.match(value):
            raise ParameterError(f"value of parameter {m.group(1)!r}", value,
                                 hint="give letters, digits and . , : + - (at most 64 characters)")
        if m.group(1) in out:
            raise ParameterError(f"parameter {m.group(1)!r} given twice; value", value,
                                 hint="give every parameter once")
        out[m.group(1)] = value
    return out


def _latest(svc: service.Service, atlas: Any, ind: str, level: str, group: str | None,
            scheme: str | None, params: dict[str, Any]) -> str:
    latest = svc.latest(atlas, ind, level, group, scheme, params)
    if not latest:
        raise service.missing_for(ind, level, "any period")
    return latest


def _view(request: Request, indicator: str, level: str, layout: str | None
          ) -> tuple[Any, service.Service, dict[str, Any]]:
    """Atlas, service and typed indicator parameters of a request about one indicator at a
    level (404 for an unknown indicator or a level the atlas lacks, 422 for bad parameters)."""
    atlas, svc = _ctx(request)
    svc.spec(indicator)
    svc.resolve_level(atlas, level, layout)
    return atlas, svc, svc.params(indicator, _given(request), layout)


def _group_label(scheme: str, grp: str, lang: str) -> str:
    from aankomst.indicators import groups as G

    try:
        return G.group_label(scheme, grp, lang)
    except (UnknownCodeError, KeyError):  # a scheme of the atlas without labels in schemes.csv
        return grp


# --------------------------------------------------------------------------- service
@router.get("/healthz", tags=["service"], summary="Health check")
def healthz(request: Request) -> dict[str, Any]:
    """``{"status": "ok", ...}`` when the atlas answers a query."""
    pool = request.app.state.pool
    info: dict[str, Any] = {"status": "ok", "version": __version__, "atlas": pool is not None}
    if pool is not None:
        atlas = pool.get()
        info["areas"] = int(atlas.query("SELECT count(*) AS n FROM areas")["n"].iloc[0])
        info["schema_version"] = atlas.schema_version()
    info["registry"] = bool(request.app.state.registry_url)
    info["registry_path"] = request.app.state.registry_path
    return info


# --------------------------------------------------------------------------- catalogue
@router.get("/api/indicators", tags=["catalogue"], summary="Indicator catalogue, grouped by theme")
def indicators(request: Request) -> JSONResponse:
    """Every declared indicator (:func:`aankomst.indicators.listing`): id, theme, labels and
    definitions nl/en/fr, unit, ``kind`` (count, share, rate, …, categorical), ``levels``,
    ``parameters`` (name, type, default, choices, minimum, description), ``categories`` of
    categorical indicators (value, labels, colour), ``groups`` (none, optional, fixed),
    ``period_kind`` (date, year, window, edition), inputs and source; and the same ids grouped
    by theme in catalogue order."""
    svc: service.Service = request.app.state.service
    return JSONResponse(svc.catalogue())


@router.get("/api/levels", tags=["catalogue"], summary="Area levels in this atlas")
def levels_(request: Request) -> list[dict[str, Any]]:
    """Levels with their current layout, number of areas and areas with geometry."""
    atlas, svc = _ctx(request)
    return svc.levels(atlas)


@router.get("/api/landing", tags=["catalogue"], summary="The map's first view")
async def landing(request: Request) -> Response:
    """The view the map opens with when its address names none: the ``default_view`` setting
    of the atlas when the engine offers it, else the richest view on offer (most areas with
    geometry that have a value at the latest period; arrival and migration themes first), see
    :mod:`aankomst.web.landing`. ``indicator, level, period, group, scheme, layout, coloured,
    drawn, how, note``. Computed once per atlas."""
    from aankomst.web.landing import landing_view

    def make() -> Payload:
        atlas, svc = _ctx(request)
        return Payload.make(_json(landing_view(svc, atlas)))

    return await _cached(request, make)


@router.get("/api/offer", tags=["catalogue"], summary="Indicators on offer at a level")
def offer(request: Request, level: Level = Q_LEVEL) -> dict[str, Any]:  # type: ignore[valid-type]
    """The indicators for which the engine offers at least one period at ``level``
    (:func:`aankomst.indicators.available_periods`; indicators that need a population group:
    at least one group, :func:`aankomst.indicators.available_groups`): what the map's
    indicator list shows."""
    from aankomst.web.landing import offered_indicators

    atlas, svc = _ctx(request)
    svc.resolve_level(atlas, level)
    return {"level": level, "indicators": offered_indicators(svc, atlas, level)}


@router.get("/api/classes", tags=["catalogue"], summary="Classification schemes and palettes")
def classes() -> dict[str, Any]:
    """Class schemes (Jenks, quantiles, equal intervals, manual, diverging change classes) and
    the palettes, marked colour-blind safe or not."""
    return {"schemes": web_classes.schemes(), "palettes": web_classes.palettes()}


@router.get("/api/periods", tags=["catalogue"], summary="Periods on offer for an indicator at a level")
def periods(request: Request, indicator: str = Q_IND, level: Level = Q_LEVEL,  # type: ignore[valid-type]
            group: str | None = Q_GROUP, scheme: str | None = Q_SCHEME,
            layout: str | None = Q_LAYOUT) -> dict[str, Any]:
    """Reference periods (sorted) for which ``indicator`` has values at ``level`` (for the
    group and the ``p_NAME`` parameters given): :func:`aankomst.indicators.available_periods`.
    Years (``2019``), windows (``2016-2020``) or editions, as the indicator's ``period_kind``
    says. ``latest`` is the newest; ``latest_layout`` the layout its values come in (the map
    loads that layout's geometry).
    Indicator parameters: ``p_NAME=VALUE`` (e.g. ``p_window=3``; GET /api/indicators lists
    them with types, defaults and choices; an unknown name is a 422 listing the known ones)."""
    atlas, svc, params = _view(request, indicator, level, layout)
    ps = svc.periods(atlas, indicator, level, group, scheme, params)
    latest = ps[-1] if ps else None
    lay = svc.resolve_level(atlas, level, layout)
    data_layout = None
    if latest:
        try:
            data_layout = _layout_of(svc.compute(atlas, indicator, level, latest, group, scheme, params)[0], layout)
        except AankomstError:  # the values answer the error itself; the offer stands
            data_layout = None
    return {"indicator": indicator, "level": level, "layout": lay, "group": group, "scheme": scheme,
            "params": service.jsonable(params), "period_kind": svc.spec(indicator).period,
            "periods": ps, "latest": latest, "latest_layout": data_layout or lay}


@router.get("/api/groups", tags=["catalogue"], summary="Population groups (all, or those on offer for an indicator)")
def groups(request: Request,
           indicator: str | None = Query(None, pattern=ID_PATTERN,
                                         description="with level: only the groups this indicator offers there"),
           level: Level | None = Query(None),  # type: ignore[valid-type]
           layout: str | None = Q_LAYOUT) -> dict[str, Any]:
    """Without parameters: every group scheme (``nationality``, ``nationality_group6``, …) with
    its groups and labels nl/en (``data/groups/schemes.csv``). With ``indicator`` and ``level``:
    the groups for which the indicator has at least one period there
    (:func:`aankomst.indicators.available_groups`), ``total`` telling whether it has values
    without a group, and ``use`` its group use (none, optional, fixed).
    Indicator parameters: ``p_NAME=VALUE`` (e.g. ``p_window=3``; GET /api/indicators lists
    them with types, defaults and choices; an unknown name is a 422 listing the known ones)."""
    if indicator is None and level is None:
        from aankomst.indicators import groups as G

        table = G.scheme_table().sort_values(["scheme", "order"], kind="stable")
        by: dict[str, list[dict[str, str]]] = {}
        for r in table.to_dict("records"):
            by.setdefault(str(r["scheme"]), []).append(
                {"group": str(r["grp"]), "label_nl": str(r["label_nl"]), "label_en": str(r["label_en"]),
                 "definition_en": str(r["definition_en"])})
        order = list(dict.fromkeys(G.scheme_table()["scheme"]))
        return {"schemes": [{"scheme": s, "groups": by[s]} for s in order]}
    if indicator is None or level is None:
        raise ParameterError("query of /api/groups", "indicator" if indicator is None else "level",
                             hint="give both indicator and level, or neither")
    atlas, svc, params = _view(request, indicator, level, layout)
    pairs = svc.groups(atlas, indicator, level, params)
    schemes: dict[str, list[dict[str, str]]] = {}
    for sch, grp in pairs:
        if sch == "total":
            continue
        schemes.setdefault(sch, []).append({"group": grp, "label_nl": _group_label(sch, grp, "nl"),
                                            "label_en": _group_label(sch, grp, "en")})
    return {"indicator": indicator, "level": level, "use": svc.spec(indicator).groups,
            "total": ("total", "total") in pairs,
            "schemes": [{"scheme": s, "groups": g} for s, g in schemes.items()]}


# --------------------------------------------------------------------------- areas
@router.get("/api/areas", tags=["areas"], summary="Areas of a level with geometry (GeoJSON)")
async def areas(request: Request, level: Level = Q_LEVEL,  # type: ignore[valid-type]
                zoom: float | None = Query(None, ge=0, le=24, description="map zoom; picks the simplification bucket"),
                layout: str | None = Q_LAYOUT,
                format: Literal["geojson", "compact"] = Query(
                    "geojson", description="geojson, or compact: integer grid coordinates delta-encoded per ring")
                ) -> Response:
    """GeoJSON FeatureCollection in EPSG:4326, simplified and quantised for the zoom bucket
    (7: 100 m / 1e-4°, 10: 25 m / 1e-5°, 13: as stored / 1e-5°). Feature id = area code;
    properties ``code``, ``name`` (``nl / fr`` for Brussels), ``name_nl``, ``name_fr``; a
    top-level ``bbox``. ``format=compact`` gives the same coordinates as integers on the grid,
    delta-encoded per ring (see docs/api.md), about 30 % fewer bytes."""
    def make() -> Payload:
        atlas, svc = _ctx(request)
        lay = svc.resolve_level(atlas, level, layout)
        gj = _layer(svc, atlas, level, lay, zoom_bucket(zoom))
        if format == "geojson":
            return gj
        return svc.cache.get_or_make(("areas-compact", level, lay, zoom_bucket(zoom)),
                                     lambda: Payload.make(compact_from_geojson(gj.body), "application/json"))

    return await _cached(request, make)


def _layer(svc: service.Service, atlas: Any, level: str, layout: str, bucket: int) -> Payload:
    return svc.cache.get_or_make(("areas", level, layout, bucket), lambda: Payload.make(
        layer_geojson(atlas, level, layout, bucket), "application/geo+json"))


@router.get("/api/labels", tags=["areas"], summary="Label points of the areas of a level (GeoJSON)")
async def labels(request: Request, level: Level = Q_LEVEL,  # type: ignore[valid-type]
                 layout: str | None = Q_LAYOUT) -> Response:
    """One point inside each area with geometry (point on surface) with its names
    ``name_nl``, ``name_fr``, ``name_en`` and its size ``km2``: the map writes the area names
    from these (municipality names always, finer areas when zoomed in)."""
    def make() -> Payload:
        atlas, svc = _ctx(request)
        lay = svc.resolve_level(atlas, level, layout)
        return svc.cache.get_or_make(("labels", level, lay), lambda: Payload.make(
            label_points(atlas, level, lay), "application/geo+json"))

    return await _cached(request, make)


@router.get("/api/search", tags=["areas"], summary="Search areas by name (nl/fr/en) or code")
def search(request: Request, q: str = Query(..., min_length=1, max_length=80),
           level: Level | None = Query(None)) -> dict[str, Any]:  # type: ignore[valid-type]
    """Up to 20 areas of the current layouts whose name (Dutch, French or English) or code contains ``q``."""
    atlas, _ = _ctx(request)
    return {"q": q, "results": service.search(atlas, q.strip(), level)}


# --------------------------------------------------------------------------- values
def _values_payload(request: Request, indicator: str, level: str, period: str | None, group: str | None,
                    scheme: str | None, classes_: str, k: int, palette: str | None, band: float,
                    limits: str | None, layout: str | None, form: str) -> Payload:
    atlas, svc, params = _view(request, indicator, level, layout)
    spec = svc.spec(indicator)
    per = period or _latest(svc, atlas, indicator, level, group, scheme, params)
    data, meta = svc.compute(atlas, indicator, level, per, group, scheme, params)
    columns = ["area_code", "value", "suppressed"]
    if spec.kind == "categorical":
        cls = web_classes.category_classes(spec, data)
        columns += ["class", "explanation"]
    else:
        cls = web_classes.map_classes(data["value"], classes_, k, band=band, palette=palette, limits=limits)
    body = {
        "indicator": indicator, "kind": spec.kind, "level": level, "layout": _layout_of(data, layout),
        "period": per, "group": group, "scheme": scheme, "params": service.jsonable(params),
        "meta": meta, "classes": cls, "n": len(data), "n_suppressed": int(data["suppressed"].sum()),
        "form": form, "data": _data(form, data, columns),
    }
    return Payload.make(_json(body))


Q_FORM = Query("rows", description="rows: one object per area; columns: compact {columns, data} arrays")


@router.get("/api/values", tags=["values"], summary="Indicator values for every area of a level")
async def values(request: Request, indicator: str = Q_IND, level: Level = Q_LEVEL,  # type: ignore[valid-type]
                 period: str | None = Q_PERIOD, group: str | None = Q_GROUP, scheme: str | None = Q_SCHEME,
                 classes: str = Query("jenks", pattern=r"^[a-z_]{1,30}$", description="classification method"),
                 k: int = Query(5, ge=2, le=12, description="number of classes"),
                 palette: str | None = Query(None, pattern=r"^[a-z0-9_]{1,40}$"),
                 band: float = Query(0.5, gt=0, le=1000, description="neutral band of diverging classes"),
                 limits: str | None = Query(None, pattern=LIMITS_PATTERN,
                                            description="upper limits of manual classes, e.g. 5,10,20"),
                 layout: str | None = Q_LAYOUT, form: Literal["rows", "columns"] = Q_FORM) -> Response:
    """Values of ``indicator`` at ``level`` for ``period`` (and ``group``), from
    :func:`aankomst.indicators.compute`: one row per area (``area_code, area_name, level,
    layout, period, group, value, unit, numerator, denominator, suppressed`` and text columns
    such as the class of a categorical indicator), the indicator's meta (definition, unit,
    source, reference periods), and the classes of the map (for categorical indicators their
    declared categories and colours). Suppressed rows (small-cell rule) have ``value``,
    ``numerator`` and ``denominator`` null.
    Indicator parameters: ``p_NAME=VALUE`` (e.g. ``p_window=3``; GET /api/indicators lists
    them with types, defaults and choices; an unknown name is a 422 listing the known ones)."""
    return await _cached(request, lambda: _values_payload(request, indicator, level, period, group, scheme, classes,
                                                          k, palette, band, limits, layout, form))


def _change_data(request: Request, indicator: str, level: str, from_: str, to: str, group: str | None,
                 scheme: str | None, layout: str | None, focus: str | None = None
                 ) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    """The change table, meta (with ``change``) and typed parameters of a change view
    (categorical indicators: the transitions for the class ``focus``, with their classes in
    ``meta["change"]["classes"]``)."""
    atlas, svc, params = _view(request, indicator, level, layout)
    spec = svc.spec(indicator)
    a, meta = svc.compute(atlas, indicator, level, from_, group, scheme, params)
    b, _ = svc.compute(atlas, indicator, level, to, group, scheme, params)
    if spec.kind == "categorical":
        data, cls = web_classes.category_transitions(spec, a, b, focus)
        data["period"] = f"{from_}/{to}"
        meta = {**meta, "change": {"from": from_, "to": to, "unit": "", "focus": cls["focus"], "classes": cls}}
        return data, meta, params
    unit = str(meta.get("unit") or (a["unit"].iloc[0] if len(a) else ""))
    data, cunit = service.change_table(a, b, unit)
    data["period"] = f"{from_}/{to}"
    meta = {**meta, "change": {"from": from_, "to": to, "unit": cunit}}
    return data, meta, params


@router.get("/api/change", tags=["values"], summary="Change of an indicator between two periods")
async def change(request: Request, indicator: str = Q_IND, level: Level = Q_LEVEL,  # type: ignore[valid-type]
                 from_: str = Query(..., alias="from", pattern=PERIOD_PATTERN), to: str = Query(..., pattern=PERIOD_PATTERN),
                 group: str | None = Q_GROUP, scheme: str | None = Q_SCHEME,
                 classes: str = Query("diverging", pattern=r"^[a-z_]{1,30}$"),
                 k: int = Query(7, ge=2, le=15), palette: str | None = Query(None, pattern=r"^[a-z0-9_]{1,40}$"),
                 band: float = Query(0.5, gt=0, le=1000, description="half-width of the 'little or no change' class"),
                 focus: str | None = Q_FOCUS,
                 layout: str | None = Q_LAYOUT, form: Literal["rows", "columns"] = Q_FORM) -> Response:
    """``value = value(to) − value(from)`` per area (percentage points for shares), with
    ``value_from`` and ``value_to``; diverging change classes by default (neutral band
    −0.5…+0.5). An area suppressed in either period is suppressed. For categorical
    indicators (arrival typology …) the change is a transition per area for the class
    ``focus`` (default: the first category): ``class`` is entered ("became gateway"), left
    ("no longer gateway"), stayed or other, with ``class_from`` and ``class_to``; the classes
    (labels, colours, counts) come from ``data/category_transitions.csv``.
    Indicator parameters: ``p_NAME=VALUE`` (e.g. ``p_window=3``; GET /api/indicators lists
    them with types, defaults and choices; an unknown name is a 422 listing the known ones)."""

    def make() -> Payload:
        data, meta, params = _change_data(request, indicator, level, from_, to, group, scheme, layout, focus)
        if "classes" in meta["change"]:  # categorical: transitions
            cls = meta["change"].pop("classes")
            columns = ["area_code", "value", "class", "class_from", "class_to", "suppressed"]
        else:
            cls = web_classes.map_classes(data["value"], classes, k, band=band, palette=palette)
            columns = ["area_code", "value", "value_from", "value_to", "suppressed"]
        body = {"indicator": indicator, "kind": "transitions" if cls["scheme"] == "transitions" else "change",
                "level": level, "layout": _layout_of(data, layout), "from": from_, "to": to,
                "group": group, "scheme": scheme, "params": service.jsonable(params), "meta": meta,
                "classes": cls, "n": len(data), "n_suppressed": int(data["suppressed"].sum()), "form": form,
                "data": _data(form, data, columns)}
        return Payload.make(_json(body))

    return await _cached(request, make)


@router.get("/api/export", tags=["values"], summary="Export the current view as CSV or GeoJSON")
def export(request: Request, indicator: str = Q_IND, level: Level = Q_LEVEL,  # type: ignore[valid-type]
           format: Literal["csv", "geojson"] = Query("csv"), period: str | None = Q_PERIOD,
           from_: str | None = Query(None, alias="from", pattern=PERIOD_PATTERN),
           to: str | None = Query(None, pattern=PERIOD_PATTERN), group: str | None = Q_GROUP,
           scheme: str | None = Q_SCHEME, lang: Lang = Query("nl"), focus: str | None = Q_FOCUS,
           layout: str | None = Q_LAYOUT) -> Response:
    """The values of a map view (or of a change view with ``from`` and ``to``) as CSV (UTF-8,
    one row per area, with indicator, label, definition and source columns; spreadsheet-safe:
    every text quoted, cells that a spreadsheet would read as a formula neutralised, see
    :mod:`aankomst.csvsafe`) or as GeoJSON (areas of the zoom-10 geometry with the values as
    properties). Small-cell rule applied.
    Indicator parameters: ``p_NAME=VALUE`` (e.g. ``p_window=3``; GET /api/indicators lists
    them with types, defaults and choices; an unknown name is a 422 listing the known ones)."""
    if (from_ is None) != (to is None):
        raise ParameterError("change export", "from" if from_ is None else "to",
                             hint="a change export needs both 'from' and 'to' periods")
    if from_ and to:
        data, meta, _ = _change_data(request, indicator, level, from_, to, group, scheme, layout, focus)
        meta["change"].pop("classes", None)
        tag = f"{from_}_{to}"
        atlas, svc = _ctx(request)
    else:
        atlas, svc, params = _view(request, indicator, level, layout)
        per = period or _latest(svc, atlas, indicator, level, group, scheme, params)
        data, meta = svc.compute(atlas, indicator, level, per, group, scheme, params)
        tag = per
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"aankomst_{indicator}_{level}_{tag}{'_' + group if group else ''}")
    label = meta.get(f"label_{lang}") or meta.get("label_nl") or indicator
    definition = meta.get(f"definition_{lang}") or meta.get("definition_nl") or ""
    source = str(meta.get("source_text") or "")
    if format == "csv":
        out = data.copy()
        out.insert(0, "indicator", indicator)
        out["label"] = label
        out["definition"] = definition
        out["source"] = source
        text = csvsafe.to_csv(out)
        assert text is not None  # to_csv returns the text when no file is given
        return _send(request, Payload.make(text.encode("utf-8"), "text/csv; charset=utf-8"),
                     filename=name + ".csv")
    lay = svc.resolve_level(atlas, level, _layout_of(data, layout))
    layer = _layer(svc, atlas, level, lay, 10)
    vals = {r["area_code"]: {k: v for k, v in r.items() if k not in ("area_code", "area_name")}
            for r in service.records(data)}
    fc = json.loads(features_with_values(layer.body, vals))
    fc["aankomst"] = {**fc.get("aankomst", {}), "indicator": indicator, "label": label, "definition": definition,
                      "source": source, "unit": meta.get("unit"), "period": tag, "group": group}
    return _send(request, Payload.make(_json(fc), "application/geo+json"), filename=name + ".geojson")


# profiles & series: aankomst.web.profile_routes


@router.get("/api/zooms", tags=["areas"], summary="Geometry zoom buckets", include_in_schema=True)
def zooms() -> dict[str, Any]:
    """The simplification rule table: bucket -> tolerance (m) and quantisation grid (degrees)."""
    return {"buckets": [{"zoom": z, "tolerance_m": t, "grid_deg": g} for z, (t, g) in ZOOM_BUCKETS.items()]}
