"""The HTTP API of the web atlas (documented in ``/openapi.json`` and ``docs/api.md``).

Parameters are validated by pattern before any query; every SQL value is a parameter. Big
answers (geometry, values) are encoded and gzip-compressed once and cached with an ETag.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from aankomst import __version__
from aankomst.errors import AankomstError, UnknownCodeError
from aankomst.store.schema import LEVELS
from aankomst.web import engine, service
from aankomst.web.engine import EngineUnavailable
from aankomst.web.fastpath import cache_key, payload_response
from aankomst.web.geo import (
    ZOOM_BUCKETS,
    compact_from_geojson,
    features_with_values,
    layer_geojson,
    zoom_bucket,
)
from aankomst.web.state import Payload

router = APIRouter()

Level = Literal[LEVELS]  # type: ignore[valid-type]
Lang = Literal["nl", "en", "fr"]
ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,80}$"
CODE_PATTERN = r"^[A-Za-z0-9_.\-]{1,40}$"
PERIOD_PATTERN = r"^[0-9]{4}([-/][0-9]{2,4}){0,2}$"
GROUP_PATTERN = r"^[A-Za-z0-9_.+\-]{1,60}$"
LIMITS_PATTERN = r"^-?[0-9.]{1,12}(,-?[0-9.]{1,12}){0,19}$"
PARAM_NAME = re.compile(r"^p_([a-z][a-z0-9_]{0,31})$")
PARAM_VALUE = re.compile(r"^[A-Za-z0-9_.,:+\-]{1,64}$")

Q_IND = Query(..., pattern=ID_PATTERN, description="indicator id from GET /api/indicators", examples=["share_foreign"])
Q_LEVEL = Query(..., description="area level, e.g. municipality, neighbourhood, brussels_neighbourhood")
Q_PERIOD = Query(None, pattern=PERIOD_PATTERN,
                 description="reference year, date or window (e.g. 2019, 2019-01-01, 2010-2012); default: latest")
Q_GROUP = Query(None, pattern=GROUP_PATTERN, description="population group, e.g. ETR, north_africa")
Q_SCHEME = Query(None, pattern=GROUP_PATTERN, description="group scheme / definition, e.g. nationality, origin_vsa")
Q_LAYOUT = Query(None, pattern=r"^[A-Za-z0-9]{1,12}$", description="layout (vintage); default: the current one")


# --------------------------------------------------------------------------- helpers
def _ctx(request: Request) -> tuple[Any, service.Service]:
    pool = request.app.state.pool
    if pool is None:
        raise EngineUnavailable("this server was started without an atlas (--db)")
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


async def _cached(request: Request, make: Any) -> Response:
    """Answer from the response cache (no thread hop) or compute ``make()`` in the thread pool.

    The atlas is read-only, so an answer is a function of the path and the query string; the
    :class:`~aankomst.web.fastpath.FastPath` middleware serves repeated requests directly."""
    svc: service.Service = request.app.state.service
    key = cache_key(request.url.path, request.scope.get("query_string", b""))
    hit = svc.responses.get(key)
    if hit is None:
        hit = await run_in_threadpool(make)
        svc.responses.put(key, hit)
    return _send(request, hit)


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      default=str).encode("utf-8")


def _form(request: Request) -> str:
    return "columns" if request.query_params.get("form") == "columns" else "rows"


def _data(request: Request, data: Any, columns: list[str]) -> Any:
    """Rows (the contract columns, default) or, with ``form=columns``, a compact column-wise
    object with only ``columns`` (what the map needs: a fraction of the bytes)."""
    if _form(request) == "rows":
        return service.records(data)
    cols = [c for c in columns if c in data.columns]
    return json.loads(data[cols].to_json(orient="split", index=False))


def _layout_of(data: Any, asked: str | None) -> str | None:
    """The layout of the areas in a values table (the map draws that layout's geometry)."""
    if asked:
        return asked
    lays = [str(x) for x in data["layout"].dropna().unique()] if len(data) else []
    return lays[0] if len(lays) == 1 else None


def _extra_params(request: Request, layout: str | None = None) -> dict[str, str]:
    """Indicator parameters given as ``p_NAME=value`` (e.g. ``p_window=3``), validated."""
    out: dict[str, str] = {"layout": layout} if layout else {}
    for key, value in request.query_params.items():
        if not key.startswith("p_"):
            continue
        m = PARAM_NAME.match(key)
        if not m or not PARAM_VALUE.match(value):
            raise AankomstError(
                f"invalid indicator parameter {key}={value!r}: use p_NAME=VALUE with a lower-case "
                "name and a value of letters, digits and . , : + - (at most 64 characters)"
            )
        out[m.group(1)] = value
    return out


def _latest(svc: service.Service, atlas: Any, ind: str, level: str) -> str:
    latest = svc.latest(atlas, ind, level)
    if not latest:
        raise service.missing_for(ind, level, "any period")
    return latest


def _check_level(svc: service.Service, ind: str, level: str) -> None:
    allowed = engine.split_list(svc.indicator(ind).get("levels"))
    if allowed and level not in allowed:
        raise UnknownCodeError(f"level for indicator {ind}", level, known=allowed,
                               hint="the catalogue lists the levels of every indicator")


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
    """Every indicator of the catalogue (id, theme, labels, definitions nl/en, unit, levels,
    groups, source), and the same ids grouped by theme in catalogue order."""
    svc: service.Service = request.app.state.service
    cat = svc.catalogue()
    rows = []
    for r in cat.to_dict("records"):
        d = {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
        d["levels"] = engine.split_list(d.get("levels"))
        for k in ("groups", "schemes"):
            if k in d:
                d[k] = engine.split_list(d.get(k))
        rows.append(d)
    themes: dict[str, list[str]] = {}
    for d in rows:
        themes.setdefault(str(d.get("theme") or "other"), []).append(d["id"])
    return JSONResponse({"indicators": rows, "themes": [{"theme": t, "indicators": ids} for t, ids in themes.items()]})


@router.get("/api/levels", tags=["catalogue"], summary="Area levels in this atlas")
def levels_(request: Request) -> list[dict[str, Any]]:
    """Levels with their current layout, number of areas and areas with geometry."""
    atlas, svc = _ctx(request)
    return svc.misc.get_or_make("levels", lambda: service.levels(atlas))


@router.get("/api/classes", tags=["catalogue"], summary="Classification schemes and palettes")
def classes() -> dict[str, Any]:
    """Class schemes (Jenks, quantiles, equal intervals, manual, diverging change classes) and
    the palettes, marked colour-blind safe or not."""
    return {"schemes": engine.schemes(), "palettes": engine.palettes()}


@router.get("/api/periods", tags=["catalogue"], summary="Periods with values for an indicator at a level")
def periods(request: Request, indicator: str = Q_IND, level: Level = Q_LEVEL) -> dict[str, Any]:  # type: ignore[valid-type]
    """Reference periods (sorted) for which ``indicator`` has values at ``level``.

    ``latest`` always has values. When ``verified`` is false the list holds the periods of the
    indicator's input tables, some of which may have no values at this level (a request for
    one answers 404 ``not_available``); the server verifies them in the background, and a later
    call returns the exact list."""
    atlas, svc = _ctx(request)
    _check_level(svc, indicator, level)
    resolve = service.resolve_level(atlas, level)
    ps, verified = svc.periods_quick(atlas, request.app.state.pool.get, indicator, level)
    latest = svc.latest(atlas, indicator, level)
    if latest and latest not in ps:
        ps = sorted({*ps, latest})
    data_layout = None
    if latest:  # the layout the latest values come in (the map fetches that geometry at once)
        try:
            data_layout = _layout_of(svc.compute(atlas, indicator, level, latest)[0], None)
        except AankomstError:
            data_layout = None
    return {"indicator": indicator, "level": level, "layout": resolve, "periods": ps,
            "latest": latest, "latest_layout": data_layout or resolve, "verified": verified}


# --------------------------------------------------------------------------- areas
@router.get("/api/areas", tags=["areas"], summary="Areas of a level with geometry (GeoJSON)")
async def areas(request: Request, level: Level = Q_LEVEL,  # type: ignore[valid-type]
          zoom: float | None = Query(None, ge=0, le=24, description="map zoom; picks the simplification bucket"),
          layout: str | None = Q_LAYOUT,
          format: Literal["geojson", "compact"] = Query(
              "geojson", description="geojson, or compact: integer grid coordinates delta-encoded per ring")) -> Response:
    """GeoJSON FeatureCollection in EPSG:4326, simplified and quantised for the zoom bucket
    (7: 100 m / 1e-4°, 10: 25 m / 1e-5°, 13: as stored / 1e-5°). Feature id = area code;
    properties ``code``, ``name`` (``nl / fr`` for Brussels), ``name_nl``, ``name_fr``; a
    top-level ``bbox``. ``format=compact`` gives the same coordinates as integers on the grid,
    delta-encoded per ring (see docs/api.md), about 30 % fewer bytes."""
    def make() -> Payload:
        atlas, svc = _ctx(request)
        lay = service.resolve_level(atlas, level, layout)
        bucket = zoom_bucket(zoom)
        gj = svc.misc.get_or_make(("areas", level, lay, bucket),
                                  lambda: Payload.make(layer_geojson(atlas, level, lay, bucket), "application/geo+json"))
        if format == "geojson":
            return gj
        return svc.misc.get_or_make(("areas-compact", level, lay, bucket),
                                    lambda: Payload.make(compact_from_geojson(gj.body), "application/json"))

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
                    limits: str | None = None, layout: str | None = None) -> Payload:
    atlas, svc = _ctx(request)
    _check_level(svc, indicator, level)
    service.resolve_level(atlas, level, layout)
    params = _extra_params(request, layout)
    per = period or _latest(svc, atlas, indicator, level)
    key = ("values", _form(request), indicator, level, per, group, scheme, classes_, k, palette, band, limits,
           tuple(sorted(params.items())))

    def make() -> Payload:
        data, meta = svc.compute(atlas, indicator, level, per, group, scheme, params)
        row = svc.indicator(indicator)
        cls = _classes(data["value"], classes_, k, palette, band, limits)
        body = {
            "indicator": indicator, "level": level, "layout": _layout_of(data, layout), "period": per, "group": group, "scheme": scheme,
            "params": params, "meta": service.meta_json(meta, row), "classes": cls,
            "n": len(data), "n_suppressed": int(data["suppressed"].sum()),
            "form": _form(request), "data": _data(request, data, ["area_code", "value", "suppressed"]),
        }
        return Payload.make(_json(body))

    return svc.results.get_or_make(key, make)


def _classes(values: Any, method: str, k: int, palette: str | None, band: float,
             limits: str | None = None) -> dict[str, Any]:
    schemes = {s["id"]: s for s in engine.schemes()}
    if method not in schemes:
        raise UnknownCodeError("classification method", method, known=list(schemes))
    pals = engine.palettes()
    if palette is not None and palette not in pals:
        raise AankomstError(f"unknown palette {palette!r}; known: {', '.join(pals)}")
    lim = [float(x) for x in limits.split(",") if x.strip()] if limits else None
    out = engine.classify(values, method, k, band=band, palette=palette, limits=lim)
    pal = out.get("palette") or palette
    out["cb_safe"] = bool(pals.get(pal, {}).get("cb_safe")) if pal else None
    out["method_label_nl"] = schemes[method].get("label_nl")
    out["method_label_en"] = schemes[method].get("label_en")
    return out


@router.get("/api/values", tags=["values"], summary="Indicator values for every area of a level")
async def values(request: Request, indicator: str = Q_IND, level: Level = Q_LEVEL,  # type: ignore[valid-type]
           period: str | None = Q_PERIOD, group: str | None = Q_GROUP, scheme: str | None = Q_SCHEME,
           classes: str = Query("jenks", pattern=r"^[a-z_]{1,30}$", description="classification method"),
           k: int = Query(5, ge=2, le=12, description="number of classes"),
           palette: str | None = Query(None, pattern=r"^[a-z0-9_]{1,40}$"),
           band: float = Query(0.5, gt=0, le=1000, description="neutral band of diverging classes"),
           limits: str | None = Query(None, pattern=LIMITS_PATTERN, description="upper limits of manual classes, e.g. 5,10,20"),
           layout: str | None = Q_LAYOUT, form: Literal["rows", "columns"] = Query(
               "rows", description="rows: one object per area; columns: compact {columns, data} arrays")) -> Response:
    """Values of ``indicator`` at ``level`` for ``period`` (and ``group``): one row per area
    (``area_code, area_name, level, layout, period, group, value, unit, numerator,
    denominator, suppressed``), the indicator's meta (definition, unit, source, reference
    date), and the class limits, counts and colours of the chosen classification. Suppressed
    rows (small-cell rule) have ``value``, ``numerator`` and ``denominator`` null.

    Extra indicator parameters: ``p_NAME=VALUE`` (e.g. ``p_window=3``)."""
    return await _cached(request, lambda: _values_payload(request, indicator, level, period, group, scheme, classes,
                                                          k, palette, band, limits, layout))


def _change_payload(request: Request, indicator: str, level: str, from_: str, to: str, group: str | None,
                    scheme: str | None, classes_: str, k: int, palette: str | None, band: float,
                    layout: str | None = None) -> tuple[Payload, Any]:
    atlas, svc = _ctx(request)
    _check_level(svc, indicator, level)
    service.resolve_level(atlas, level, layout)
    params = _extra_params(request, layout)
    key = ("change", _form(request), indicator, level, from_, to, group, scheme, classes_, k, palette, band, tuple(sorted(params.items())))

    def make() -> tuple[Payload, Any]:
        a, meta = svc.compute(atlas, indicator, level, from_, group, scheme, params)
        b, _ = svc.compute(atlas, indicator, level, to, group, scheme, params)
        unit = str(meta.get("unit") or (a["unit"].iloc[0] if len(a) else ""))
        data, cunit = service.change_table(a, b, unit)
        data["period"] = f"{from_}/{to}"
        cls = _classes(data["value"], classes_, k, palette, band)
        m = service.meta_json(meta, svc.indicator(indicator))
        m["change"] = {"from": from_, "to": to, "unit": cunit}
        body = {"indicator": indicator, "level": level, "layout": _layout_of(data, layout), "from": from_, "to": to, "group": group,
                "scheme": scheme, "params": params, "meta": m, "classes": cls, "n": len(data),
                "n_suppressed": int(data["suppressed"].sum()), "form": _form(request),
                "data": _data(request, data, ["area_code", "value", "value_from", "value_to", "suppressed"])}
        return Payload.make(_json(body)), data

    return svc.results.get_or_make(key, make)


@router.get("/api/change", tags=["values"], summary="Change of an indicator between two periods")
async def change(request: Request, indicator: str = Q_IND, level: Level = Q_LEVEL,  # type: ignore[valid-type]
           from_: str = Query(..., alias="from", pattern=PERIOD_PATTERN), to: str = Query(..., pattern=PERIOD_PATTERN),
           group: str | None = Q_GROUP, scheme: str | None = Q_SCHEME,
           classes: str = Query("diverging", pattern=r"^[a-z_]{1,30}$"),
           k: int = Query(7, ge=2, le=15), palette: str | None = Query(None, pattern=r"^[a-z0-9_]{1,40}$"),
           band: float = Query(0.5, gt=0, le=1000, description="half-width of the 'little or no change' class"),
           layout: str | None = Q_LAYOUT, form: Literal["rows", "columns"] = Query("rows")) -> Response:
    """``value = value(to) − value(from)`` per area (percentage points for shares), with
    ``value_from`` and ``value_to``; diverging change classes by default (neutral band
    −0.5…+0.5). An area suppressed in either period is suppressed."""
    return await _cached(request, lambda: _change_payload(request, indicator, level, from_, to, group, scheme, classes,
                                                          k, palette, band, layout)[0])


@router.get("/api/export", tags=["values"], summary="Export the current view as CSV or GeoJSON")
def export(request: Request, indicator: str = Q_IND, level: Level = Q_LEVEL,  # type: ignore[valid-type]
           format: Literal["csv", "geojson"] = Query("csv"), period: str | None = Q_PERIOD,
           from_: str | None = Query(None, alias="from", pattern=PERIOD_PATTERN),
           to: str | None = Query(None, pattern=PERIOD_PATTERN), group: str | None = Q_GROUP,
           scheme: str | None = Q_SCHEME, lang: Lang = Query("nl"), layout: str | None = Q_LAYOUT) -> Response:
    """The values of a map view (or of a change view with ``from`` and ``to``) as CSV
    (comment-free, UTF-8, one row per area, with definition/unit/source columns) or as GeoJSON
    (areas of the zoom-10 geometry with the values as properties). Small-cell rule applied."""
    atlas, svc = _ctx(request)
    if (from_ is None) != (to is None):
        raise AankomstError("a change export needs both 'from' and 'to' periods")
    if from_ and to:
        _, data = _change_payload(request, indicator, level, from_, to, group, scheme, "diverging", 7, None, 0.5, layout)
        meta = svc.compute(atlas, indicator, level, from_, group, scheme, _extra_params(request, layout))[1]
        tag = f"{from_}_{to}"
    else:
        _check_level(svc, indicator, level)
        service.resolve_level(atlas, level, layout)
        per = period or _latest(svc, atlas, indicator, level)
        data, meta = svc.compute(atlas, indicator, level, per, group, scheme, _extra_params(request, layout))
        tag = per
    m = service.meta_json(meta, svc.indicator(indicator))
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"aankomst_{indicator}_{level}_{tag}{'_' + group if group else ''}")
    label = m.get(f"label_{lang}") or m.get("label_nl") or indicator
    definition = m.get(f"definition_{lang}") or m.get("definition_nl") or ""
    source = m.get("source") or ""
    if not isinstance(source, str):
        source = json.dumps(source, ensure_ascii=False, default=str)
    if format == "csv":
        buf = io.StringIO()
        out = data.copy()
        out.insert(0, "indicator", indicator)
        out["label"] = label
        out["definition"] = definition
        out["source"] = source
        out.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        return _send(request, Payload.make(buf.getvalue().encode("utf-8"), "text/csv; charset=utf-8"),
                     filename=name + ".csv")
    lay = service.resolve_level(atlas, level, _layout_of(data, layout))
    layer = svc.misc.get_or_make(("areas", level, lay, 10),
                                 lambda: Payload.make(layer_geojson(atlas, level, lay, 10), "application/geo+json"))
    vals = {r["area_code"]: {k: v for k, v in r.items() if k not in ("area_code", "area_name")}
            for r in service.records(data)}
    fc = json.loads(features_with_values(layer.body, vals))
    fc["aankomst"] = {**fc.get("aankomst", {}), "indicator": indicator, "label": label, "definition": definition,
                      "source": source, "unit": m.get("unit"), "period": tag, "group": group}
    return _send(request, Payload.make(_json(fc), "application/geo+json"), filename=name + ".geojson")


# --------------------------------------------------------------------------- profiles & series
@router.get("/api/areas/{code}/profile", tags=["areas"], summary="Area profile with comparison columns")
async def profile(request: Request, code: str = Path(..., pattern=CODE_PATTERN),
            level: Level | None = Query(None, description="level of the code when it is ambiguous"),  # type: ignore[valid-type]
            indicators: str | None = Query(None, pattern=r"^[A-Za-z0-9_.\-,]{1,800}$",
                                           description="comma-separated indicator ids (default: all at this level)"),
            period: str | None = Q_PERIOD, layout: str | None = Q_LAYOUT) -> Response:
    """The area (names nl/fr, level, area), its municipality, region and area type, the value
    of each indicator for the area and for each comparison column (latest period unless
    ``period``), its typology / difficulty classification with the explanation when the
    catalogue has such indicators, and the provenance of the figures."""
    from aankomst.web.profile import build_profile

    def make() -> Payload:
        atlas, svc = _ctx(request)
        ids = [i for i in (indicators or "").split(",") if i] or None
        key = ("profile", code, level, layout, tuple(ids or ()), period)
        return svc.results.get_or_make(
            key, lambda: Payload.make(_json(build_profile(atlas, svc, code, level, ids, period, layout))))

    return await _cached(request, make)


@router.get("/api/areas/{code}/series", tags=["areas"], summary="Time series of an indicator for an area")
async def series(request: Request, code: str = Path(..., pattern=CODE_PATTERN), indicator: str = Q_IND,
           level: Level | None = Query(None),  # type: ignore[valid-type]
           group: str | None = Q_GROUP, scheme: str | None = Q_SCHEME, layout: str | None = Q_LAYOUT) -> Response:
    """Every period of ``indicator`` for the area and its comparison columns (municipality,
    region, area type): ``{"periods": [...], "series": [{"column", "code", "name", "values": [...]}]}``."""
    from aankomst.web.profile import build_series

    def make() -> Payload:
        atlas, svc = _ctx(request)
        key = ("series", code, level, layout, indicator, group, scheme)
        return svc.results.get_or_make(
            key, lambda: Payload.make(_json(build_series(atlas, svc, code, level, indicator, group, scheme, layout))))

    return await _cached(request, make)


@router.get("/api/zooms", tags=["areas"], summary="Geometry zoom buckets", include_in_schema=True)
def zooms() -> dict[str, Any]:
    """The simplification rule table: bucket -> tolerance (m) and quantisation grid (degrees)."""
    return {"buckets": [{"zoom": z, "tolerance_m": t, "grid_deg": g} for z, (t, g) in ZOOM_BUCKETS.items()]}


@router.get("/api/groups", tags=["catalogue"], summary="Population group schemes (definitions) and their groups")
def groups() -> dict[str, Any]:
    """Group schemes of the atlas (``nationality``, ``nationality_group6``, ``origin_vsa`` …) with
    their groups and labels nl/en, from ``data/groups/schemes.csv``."""
    import csv as _csv

    from aankomst.paths import package_data

    path = package_data("groups/schemes.csv")
    if not path.exists():
        return {"schemes": []}
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(_csv.DictReader(fh))
    schemes: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        schemes.setdefault(r["scheme"], []).append(
            {"group": r["grp"], "label_nl": r.get("label_nl", ""), "label_en": r.get("label_en", ""),
             "definition_en": r.get("definition_en", "")})
    return {"schemes": [{"scheme": s, "groups": g} for s, g in schemes.items()]}
