"""FastAPI router of the registry: JSON API under ``/api/resources``, ``/api/registry`` and
``/registry/api/practices``, HTML pages under ``/resources`` and ``/registry/practices`` (mounted
by the atlas web app, or on its own). The pages use the atlas's layout, styles, MapLibre build
and ``?lang=nl|fr|en`` (served from the atlas's ``/static``; :func:`app_from_env` mounts it too).

Authentication: ``Authorization: Bearer <token>`` (API tokens) or the session cookie set by
the login page/endpoint. Writes with a cookie need the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``: synchronizer-token pattern); the login form itself
uses a double-submit cookie. Cookies are HttpOnly, SameSite=Strict and Secure according to
``AANKOMST_REGISTRY_COOKIE_SECURE`` (``auto`` = when the request came over https, ``1``
always, ``0`` never).

Errors never carry stack traces or secrets: API errors are the project's one shape
``{"error": {"status", "code", "message", "detail", "problems"?, "current"?}}``; pages show a
short message. Request limits and the threat model: docs/security.md. The shared helpers live
in :mod:`aankomst.registry.http` and :mod:`aankomst.registry.maps`; the routes in
:mod:`~aankomst.registry.web_api` (JSON), :mod:`~aankomst.registry.web_pages` (HTML) and
:mod:`~aankomst.registry.web_practices` (the exchange of practices, both).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aankomst.errors import AankomstError
from aankomst.paths import web_static
from aankomst.registry.http import (
    HERE,
    RegistryContext,
    SafeRoute,
    install_error_handlers,
    redirect,
)
from aankomst.registry.limits import Limits

STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def make_router(registry_url: str, atlas_path: str | None = None, *,
                cookie_secure: str | None = None, limits: Limits | None = None) -> APIRouter:
    """Build the registry router.

    Parameters
    ----------
    registry_url
        ``sqlite:///FILE`` or ``postgresql://…`` of an initialised registry.
    atlas_path
        Atlas DuckDB file (area geometry for the map, municipality lookup and completeness
        profiles); ``None``: the map uses the registry's own municipality boundaries (if
        loaded) and completeness profiles are not available.
    cookie_secure
        ``"auto"`` (default, from ``AANKOMST_REGISTRY_COOKIE_SECURE``), ``"1"`` or ``"0"``.
    limits
        Request and work limits (default: :meth:`Limits.from_env`, see docs/security.md).

    Returns
    -------
    fastapi.APIRouter
    """
    from aankomst.registry import web_api, web_pages, web_practices
    from aankomst.registry.db import check_ready

    check_ready(registry_url)
    ctx = RegistryContext(registry_url, atlas_path,
                          cookie_secure or os.environ.get("AANKOMST_REGISTRY_COOKIE_SECURE", "auto"),
                          limits or Limits.from_env())
    r = APIRouter(route_class=SafeRoute)

    def bind(request: Request) -> None:
        request.state.regctx = ctx

    web_api.add_routes(r, ctx, bind)
    web_pages.add_routes(r, ctx, bind)
    web_practices.add_routes(r, ctx, bind)

    @r.get("/registry", include_in_schema=False)
    def registry_home(request: Request) -> Response:
        """Entry point the atlas links to (its menu looks for a GET route under /registry)."""
        return redirect("/resources", request)

    @r.get("/resources/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        p = HERE / "static" / name
        if p.suffix not in STATIC_TYPES or not p.is_file() or p.parent != HERE / "static":
            return Response("not found", status_code=404)
        return Response(p.read_bytes(), media_type=STATIC_TYPES[p.suffix],
                        headers={"Cache-Control": "public, max-age=3600",
                                 "X-Content-Type-Options": "nosniff"})

    return r


def app_from_env() -> Any:
    """A FastAPI app serving only the registry, configured from the environment
    (``AANKOMST_REGISTRY_URL``, optional ``AANKOMST_ATLAS``, ``AANKOMST_REGISTRY_LIMIT_*``)
    — for multi-process serving::

        uvicorn --factory aankomst.registry.web:app_from_env --workers 4 --no-proxy-headers

    (uvicorn trusts ``X-Forwarded-For`` from 127.0.0.1 by default: pass
    ``--no-proxy-headers``, or ``--forwarded-allow-ips`` with your proxy's address.)

    Raises
    ------
    AankomstError
        Without ``AANKOMST_REGISTRY_URL``.
    """
    from fastapi import FastAPI

    url = os.environ.get("AANKOMST_REGISTRY_URL")
    if not url:
        raise AankomstError("set AANKOMST_REGISTRY_URL to the registry database URL")
    from fastapi.staticfiles import StaticFiles

    app = FastAPI(title="Aankomst registry", docs_url=None, redoc_url=None)
    install_error_handlers(app)  # unknown paths/methods in the same JSON shape
    app.include_router(make_router(url, os.environ.get("AANKOMST_ATLAS") or None))
    # the pages use the atlas's styles, scripts and MapLibre build (package files, no import)
    app.mount("/static", StaticFiles(directory=str(web_static())), name="static")
    return app
