"""The web atlas application: ``create_app(atlas_path)`` and ``serve(db, host, port)``.

* read-only DuckDB, one connection per worker thread (:class:`~aankomst.web.state.AtlasPool`);
* one JSON error shape for every error::

      {"error": {"status": 404, "code": "unknown_indicator",
                 "message": "unknown indicator 'x'; known: …", "detail": {…}}}

  (404 for unknown indicator/area/level and data that do not exist, 422 for invalid
  parameters — also a misspelt or mistyped indicator parameter, listing the known ones —, 503
  when the server has no atlas, 500 without any trace for bugs — the trace goes to the server
  log only);
* security headers on every response (a Content-Security-Policy without inline scripts or
  styles and without any other origin, ``X-Content-Type-Options``, ``frame-ancestors``,
  ``Referrer-Policy``);
* gzip for every response of 500 bytes or more (big cached payloads are compressed once).
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from aankomst import __version__
from aankomst.errors import AankomstError, InputError, MissingInputError, UnknownCodeError
from aankomst.indicators import ParameterError
from aankomst.paths import web_static
from aankomst.web.error_text import localise_errors
from aankomst.web.fastpath import FastPath
from aankomst.web.state import AtlasUnavailable

log = logging.getLogger("aankomst.web")

HERE = Path(__file__).resolve().parent
STATIC = web_static()
TEMPLATES = HERE / "templates"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""Content-Security-Policy of every response: nothing inline, nothing from another origin."""

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(), camera=(), microphone=(), payment=()"),
]


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app: Any, extra_origin: str | None = None) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS
        if extra_origin:  # a base-map style of another origin (aankomst serve --basemap URL)
            csp = CSP
            for d in ("connect-src", "img-src", "font-src"):
                csp = csp.replace(f"{d} 'self'", f"{d} 'self' {extra_origin}")
            self.headers = [(b"content-security-policy", csp.encode()), *SECURITY_HEADERS[1:]]

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [h for h in message.get("headers", []) if h[0].lower() not in dict(self.headers)]
                message["headers"] = headers + self.headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:  # a bug: log the trace, answer the JSON error shape without it
            log.exception("internal error on %s", scope.get("path"))
            if started:
                raise
            resp = _error(500, "internal_error", "internal error; the server log has the details")
            await resp(scope, receive, send_with_headers)


def error_body(status: int, code: str, message: str, detail: Any = None) -> dict[str, Any]:
    """The one JSON error shape of the API."""
    return {"error": {"status": status, "code": code, "message": message, "detail": detail}}


def _error(status: int, code: str, message: str, detail: Any = None) -> JSONResponse:
    return JSONResponse(error_body(status, code, message, detail), status_code=status)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "code"


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the JSON error shape (never a stack trace to the client).

    ``ParameterError`` (a misspelt or mistyped indicator parameter) -> 422
    ``invalid_parameter``; other ``UnknownCodeError`` -> 404 ``unknown_<kind>``;
    ``MissingInputError`` -> 404 ``not_available``; ``AtlasUnavailable`` -> 503; other
    ``AankomstError`` -> 422 ``invalid``; request validation -> 422 ``invalid_parameter``.
    """

    @app.exception_handler(ParameterError)
    async def _parameter(request: Request, exc: ParameterError) -> JSONResponse:
        return _error(422, "invalid_parameter", str(exc),
                      {"kind": exc.kind, "value": str(exc.value), "known": [str(k) for k in exc.known[:200]]})

    @app.exception_handler(UnknownCodeError)
    async def _unknown(request: Request, exc: UnknownCodeError) -> JSONResponse:
        kind = re.split(r" (?:for|of|without) ", str(exc.kind))[0]
        return _error(404, "unknown_" + _slug(kind), str(exc),
                      {"kind": exc.kind, "value": str(exc.value), "known": [str(k) for k in exc.known[:200]]})

    @app.exception_handler(MissingInputError)
    async def _missing(request: Request, exc: MissingInputError) -> JSONResponse:
        return _error(404, "not_available", str(exc),
                      {"indicator": exc.indicator, "missing": exc.missing, "period": str(exc.years)})

    @app.exception_handler(AtlasUnavailable)
    async def _unavailable(request: Request, exc: AtlasUnavailable) -> JSONResponse:
        return _error(503, "unavailable", str(exc))

    @app.exception_handler(AankomstError)
    async def _aankomst(request: Request, exc: AankomstError) -> JSONResponse:
        detail = None
        if isinstance(exc, InputError):
            detail = [{"column": p.column, "message": p.message, "expected": p.expected} for p in exc.problems[:20]]
        return _error(422, "invalid", str(exc), detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body")]
            inp = e.get("input")
            if isinstance(inp, str) and len(inp) > 200:
                inp = inp[:200] + "…"
            problems.append({"parameter": ".".join(loc), "message": e.get("msg", ""),
                             "input": inp if isinstance(inp, (str, int, float)) or inp is None else str(inp)[:200]})
        first = problems[0] if problems else {"parameter": "?", "message": "invalid"}
        what = "missing" if first.get("input") is None and "required" in first["message"].lower() else "invalid"
        msg = f"{what} parameter {first['parameter']!r}: {first['message']}"
        if first.get("input") is not None:
            msg += f" (got {first['input']!r})"
        return _error(422, "invalid_parameter", msg, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        msg = str(exc.detail) if exc.detail else "error"
        if exc.status_code == 404:
            msg = f"no such path {request.url.path!r}; the API is described at /openapi.json"
        return _error(exc.status_code, code, msg)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)
        return _error(500, "internal_error", "internal error; the server log has the details")

    localise_errors(app)  # messages in the request's language (?lang= or Accept-Language)


def create_app(atlas_path: str | None, registry_url: str | None = None, *, warm: bool = False,
               basemap: str | None = None) -> FastAPI:
    """Build the web atlas application.

    Parameters
    ----------
    atlas_path
        The atlas DuckDB file, opened read-only. ``None`` serves the pages and the registry
        only (the atlas endpoints answer 503).
    registry_url
        SQLAlchemy URL of the arrival-infrastructure registry; when given, the registry's
        router (``aankomst.registry.web:make_router``) is mounted.
    warm
        Compute the latest values of every indicator at the municipality and neighbourhood
        levels in a background thread at start-up (first clicks are then instant).
    basemap
        Optional base map: a MapLibre style URL or a local MBTiles file
        (:class:`~aankomst.web.basemap.Basemap`); none by default, and nothing is fetched then.

    Returns
    -------
    fastapi.FastAPI
    """
    from aankomst.plugins import install
    from aankomst.web.api import router as api_router
    from aankomst.web.basemap import Basemap
    from aankomst.web.basemap import make_router as basemap_router
    from aankomst.web.ocmw_routes import make_router as ocmw_router
    from aankomst.web.profile_routes import router as profile_router
    from aankomst.web.report_routes import router as report_router
    from aankomst.web.service import Service
    from aankomst.web.state import AtlasPool

    install()  # the indicators of every subsystem (idempotent; aankomst.open does it too)
    base = Basemap(basemap) if basemap else None  # checked before anything starts

    app = FastAPI(
        title="Aankomst web atlas API",
        version=__version__,
        description=(
            "Open API of the Aankomst atlas of arrival neighbourhoods and neighbourhoods in "
            "difficulty (Flanders and Brussels): indicator catalogue, area geometry, values, "
            "change between periods, area profiles, time series and exports. All figures obey "
            "the small-cell rule (counts 1–4 and rates built on them are suppressed). "
            "Errors: {\"error\": {\"status\", \"code\", \"message\", \"detail\"}}."
        ),
        docs_url=None,  # Swagger UI would load from a CDN: the spec is at /openapi.json
        redoc_url=None,
        openapi_tags=[
            {"name": "catalogue", "description": "indicators, levels, classification schemes"},
            {"name": "areas", "description": "geometry, search, profiles and time series"},
            {"name": "values", "description": "indicator values, change and exports"},
            {"name": "service", "description": "health"},
        ],
    )
    app.state.atlas_path = str(atlas_path) if atlas_path else None
    app.state.pool = AtlasPool(str(atlas_path)) if atlas_path else None
    app.state.service = Service(app.state.atlas_path, registry_url)
    app.state.registry_url = registry_url
    app.state.registry_path = None
    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(profile_router)
    app.include_router(report_router)
    app.include_router(ocmw_router())
    app.include_router(basemap_router(base))
    if registry_url:
        _mount_registry(app, registry_url, app.state.atlas_path)
    _pages(app)
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)
    app.add_middleware(FastPath, service=app.state.service)
    app.add_middleware(SecurityHeaders, extra_origin=base.origin if base else None)

    if warm and app.state.pool is not None:
        app.state.service.warm(app.state.pool.get, ["municipality", "neighbourhood"])

    @app.on_event("shutdown")
    def _close() -> None:  # pragma: no cover - exercised by uvicorn
        app.state.service.stop(120)  # no DuckDB work may run at exit (requests whose clients left)
        if app.state.pool is not None:
            app.state.pool.close()

    return app


def _mount_registry(app: FastAPI, registry_url: str, atlas_path: str | None) -> None:
    """Mount the registry's pages and API (with or without an atlas: without one, its maps use
    the registry's own municipality boundaries)."""
    from starlette.routing import Mount

    from aankomst.registry.web import make_router

    router = make_router(registry_url, atlas_path)
    app.include_router(router)
    for r in router.routes:  # include_router does not copy mounted static folders
        if isinstance(r, Mount):
            app.router.routes.append(r)
    pages = sorted(
        getattr(r, "path", "") for r in router.routes
        if getattr(r, "path", "").startswith("/registry") and "{" not in getattr(r, "path", "")
        and "GET" in (getattr(r, "methods", None) or set())
    )
    app.state.registry_path = pages[0] if pages else None


def _pages(app: FastAPI) -> None:
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    def page(name: str) -> HTMLResponse:
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        return HTMLResponse(text, headers={"cache-control": "no-cache"})

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return page("index.html")

    @app.get("/area/{level}/{code}", include_in_schema=False)
    def area_page(level: str, code: str) -> HTMLResponse:
        return page("area.html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


def serve(db: str | None, host: str = "127.0.0.1", port: int = 8000, registry_url: str | None = None,
          forwarded_allow_ips: str | None = None, basemap: str | None = None) -> None:
    """Run the web atlas with uvicorn until interrupted (used by ``aankomst serve`` and ``aankomst demo``).

    Parameters
    ----------
    db
        Atlas DuckDB file (opened read-only); ``None`` serves the registry without an atlas.
    host, port
        Address to listen on (loopback by default).
    registry_url
        Optional registry database URL (mounts the registry pages and API).
    forwarded_allow_ips
        Comma-separated addresses (or networks) of reverse proxies whose ``X-Forwarded-For`` /
        ``X-Forwarded-Proto`` headers are trusted. ``None`` (default): no proxy is trusted and
        the client address is always the TCP peer — so a forged ``X-Forwarded-For`` cannot
        dodge the registry's per-address login limit.
    basemap
        Optional base map (a MapLibre style URL or a local MBTiles file); none by default.

    Raises
    ------
    AankomstError
        When neither an atlas nor a registry is given.
    """
    import uvicorn

    if not db and not registry_url:
        raise AankomstError("nothing to serve: give an atlas (--db FILE) and/or a registry (--registry URL)")
    ips = (forwarded_allow_ips or "").strip()
    app = create_app(db, registry_url=registry_url, warm=True, basemap=basemap)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, server_header=False,
                proxy_headers=bool(ips), forwarded_allow_ips=ips or None)
