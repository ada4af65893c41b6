"""FastAPI router of the registry: JSON API under ``/api/resources`` and ``/api/registry`` and
HTML pages under ``/resources`` (mounted by the atlas web app, or on its own).

Authentication: ``Authorization: Bearer <token>`` (API tokens) or the session cookie set by
the login page/endpoint. Writes with a cookie need the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``: synchronizer-token pattern); the login form itself
uses a double-submit cookie. Cookies are HttpOnly, SameSite=Strict and Secure according to
``AANKOMST_REGISTRY_COOKIE_SECURE`` (``auto`` = when the request came over https, ``1``
always, ``0`` never).

Errors never carry stack traces or secrets: API errors are
``{"error": {"status", "code", "message", "problems"?, "current"?}}``; pages show a short
message.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from aankomst.errors import AankomstError, UnknownCodeError
from aankomst.registry import auth
from aankomst.registry import service as svc
from aankomst.registry.validate import ALL_FIELDS, MULTI_FIELDS, ValidationFailed, taxonomy

log = logging.getLogger("aankomst.registry")
HERE = Path(__file__).parent
SESSION_COOKIE = "aankomst_registry_session"
LOGIN_CSRF_COOKIE = "aankomst_registry_login_csrf"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _status_of(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, svc.RegistryHTTPError):
        return exc.status, exc.code
    if isinstance(exc, ValidationFailed):
        return 422, "invalid"
    if isinstance(exc, UnknownCodeError):
        return 400, "unknown_code"
    if isinstance(exc, AankomstError):
        return 400, "bad_request"
    return 500, "internal_error"


class _SafeRoute(APIRoute):
    """Route class turning every exception into a clean response (no stack trace)."""

    def get_route_handler(self) -> Callable:
        orig = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await orig(request)
            except Exception as exc:
                from fastapi.exceptions import HTTPException, RequestValidationError

                if isinstance(exc, (HTTPException, RequestValidationError)):
                    raise
                return _error_response(request, exc)

        return handler


def _error_response(request: Request, exc: Exception) -> Response:
    status, code = _status_of(exc)
    if status == 500:
        log.exception("registry: internal error on %s %s", request.method, request.url.path)
        message = "internal error; the server log has the details"
    else:
        message = str(exc)
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if isinstance(exc, ValidationFailed):
        body["problems"] = [p.as_dict() for p in exc.problems]
    if isinstance(exc, svc.RegistryHTTPError) and "current" in exc.details:
        body["current"] = exc.details["current"]
    headers = {"Retry-After": "900"} if status == 429 else None
    if _is_api(request):
        if status == 401:
            headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="aankomst-registry"'}
        return JSONResponse({"error": body}, status_code=status, headers=headers)
    ctx = getattr(request.state, "regctx", None)
    if ctx is None:
        return HTMLResponse(f"<!doctype html><title>{status}</title><p>{status}", status_code=status)
    return ctx.page(request, "error.html", {"error": body}, status=status, headers=headers)


class _Ctx:
    """Shared state of one router: registry URL, atlas path, templates, session factories."""

    def __init__(self, registry_url: str, atlas_path: str | None, cookie_secure: str) -> None:
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        from aankomst.registry.db import session_factory

        self.url = registry_url
        self.atlas_path = str(atlas_path) if atlas_path else None
        self.cookie_secure = cookie_secure
        self.read = session_factory(registry_url)
        self.write = session_factory(registry_url, write=True)
        self.env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                               autoescape=select_autoescape(["html"]), trim_blocks=True,
                               lstrip_blocks=True)
        self.env.globals["tax"] = taxonomy
        self.env.filters["tojson_attr"] = lambda v: json.dumps(v)
        self._profile_cache: dict[Any, Any] = {}
        import threading
        from collections import OrderedDict

        self._resp_cache: OrderedDict[Any, bytes] = OrderedDict()
        self._resp_lock = threading.Lock()

    # ---------------------------------------------------------------- read cache
    def fingerprint(self, s: Any) -> Any:
        """Changes whenever the registry changes: every write appends to the audit log."""
        from sqlalchemy import text

        return (s.execute(text("SELECT max(id) FROM audit_log")).scalar(), date.today())

    def cached(self, key: Any) -> bytes | None:
        with self._resp_lock:
            v = self._resp_cache.get(key)
            if v is not None:
                self._resp_cache.move_to_end(key)
            return v

    def remember(self, key: Any, body: bytes) -> None:
        with self._resp_lock:
            self._resp_cache[key] = body
            self._resp_cache.move_to_end(key)
            while len(self._resp_cache) > 1024:
                self._resp_cache.popitem(last=False)

    # ---------------------------------------------------------------- helpers
    def secure(self, request: Request) -> bool:
        if self.cookie_secure == "1":
            return True
        if self.cookie_secure == "0":
            return False
        return request.url.scheme == "https"

    def page(self, request: Request, name: str, ctx: dict[str, Any], *, status: int = 200,
             headers: dict[str, str] | None = None) -> HTMLResponse:
        who = getattr(request.state, "who", None)
        html = self.env.get_template(name).render(
            user=who, csrf=who.csrf if who else "",
            has_atlas=bool(self.atlas_path), lang="nl", **ctx)
        resp = HTMLResponse(html, status_code=status, headers=headers)
        _sec_headers(resp)
        return resp

    def identify(self, request: Request, s: Any) -> tuple[Any, Any] | None:
        """(user, web_session or None) from a bearer token or the session cookie."""
        authz = request.headers.get("authorization", "")
        if authz.lower().startswith("bearer "):
            u = auth.token_user(s, authz[7:].strip())
            if u is None:
                raise svc.Unauthorized("unknown or revoked API token")
            return u, None
        got = auth.session_user(s, request.cookies.get(SESSION_COOKIE))
        return got

    def writer(self, request: Request, s: Any, form_token: str | None = None) -> Any:
        """The acting user for a write: 401 without credentials, 403 without CSRF token."""
        who = self.identify(request, s)
        request.state.who = _snapshot(who)
        if who is None:
            raise svc.Unauthorized("log in or send an API token to change the registry")
        user, ws = who
        if ws is not None:  # cookie: CSRF required
            given = form_token if form_token is not None else request.headers.get("x-csrf-token")
            if not auth.csrf_ok(ws.csrf_token, given):
                raise svc.Forbidden("missing or wrong CSRF token; reload the page and try again")
        return user

    def viewer(self, request: Request, s: Any) -> Any:
        try:
            who = self.identify(request, s)
        except svc.Unauthorized:
            who = None
        request.state.who = _snapshot(who)
        return who[0] if who else None


def _snapshot(who: tuple[Any, Any] | None) -> Any:
    """Plain copy of the acting user for templates (safe after the DB session closed)."""
    from types import SimpleNamespace

    if who is None:
        return None
    u, ws = who
    return SimpleNamespace(name=u.name, role=u.role, scope_codes=list(u.scope_codes),
                           csrf=ws.csrf_token if ws is not None else "")


def _sec_headers(resp: Response) -> None:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("X-Frame-Options", "DENY")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    resp = JSONResponse(data, status_code=status, headers=headers)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _bool(v: Any) -> bool:
    return str(v).lower() in ("1", "true", "yes", "on")


def _search_args(qp: Any) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for k in ("q", "domain", "sphere", "eligible", "provider_type", "function", "language",
              "municipality", "near"):
        v = qp.get(k)
        if v not in (None, ""):
            args[k] = v
    if qp.get("radius_m") not in (None, ""):
        try:
            args["radius_m"] = float(qp["radius_m"])
        except ValueError:
            raise ValidationFailed([svc.Problem("radius_m", qp["radius_m"], "not a number", "metres")]) from None
    if qp.get("as_of"):
        try:
            args["as_of"] = date.fromisoformat(qp["as_of"])
        except ValueError:
            raise ValidationFailed([svc.Problem("as_of", qp["as_of"], "not a date", "YYYY-MM-DD")]) from None
    args["include_closed"] = _bool(qp.get("include_closed", ""))
    try:
        args["limit"] = max(1, min(5000, int(qp.get("limit", 500))))
        args["offset"] = max(0, int(qp.get("offset", 0)))
    except ValueError:
        raise ValidationFailed([svc.Problem("limit", qp.get("limit"), "not an integer", "1..5000")]) from None
    return args


def make_router(registry_url: str, atlas_path: str | None = None, *,
                cookie_secure: str | None = None) -> APIRouter:
    """Build the registry router.

    Parameters
    ----------
    registry_url
        ``sqlite:///FILE`` or ``postgresql://…`` of an initialised registry.
    atlas_path
        Atlas DuckDB file (area geometry for the map, municipality lookup and completeness
        profiles); ``None`` disables those parts.
    cookie_secure
        ``"auto"`` (default, from ``AANKOMST_REGISTRY_COOKIE_SECURE``), ``"1"`` or ``"0"``.
    """
    from aankomst.registry.db import check_ready

    check_ready(registry_url)
    ctx = _Ctx(registry_url, atlas_path,
               cookie_secure or os.environ.get("AANKOMST_REGISTRY_COOKIE_SECURE", "auto"))
    r = APIRouter(route_class=_SafeRoute)

    def bind(request: Request) -> None:
        request.state.regctx = ctx

    from aankomst.registry import web_api, web_pages

    web_api.add_routes(r, ctx, bind)
    web_pages.add_routes(r, ctx, bind)

    @r.get("/registry", include_in_schema=False)
    def registry_home() -> Response:
        """Entry point the atlas links to (its menu looks for a GET route under /registry)."""
        return redirect("/resources")

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
    (``AANKOMST_REGISTRY_URL``, optional ``AANKOMST_ATLAS``) — for multi-process serving::

        uvicorn --factory aankomst.registry.web:app_from_env --workers 4
    """
    from fastapi import FastAPI

    url = os.environ.get("AANKOMST_REGISTRY_URL")
    if not url:
        raise AankomstError("set AANKOMST_REGISTRY_URL to the registry database URL")
    app = FastAPI(title="Aankomst registry", docs_url=None, redoc_url=None)
    app.include_router(make_router(url, os.environ.get("AANKOMST_ATLAS") or None))
    return app


def form_record(form: Any) -> dict[str, Any]:
    """Resource fields from a submitted form (checkbox groups -> lists)."""
    rec: dict[str, Any] = {}
    for f in ALL_FIELDS:
        if f in MULTI_FIELDS:
            rec[f] = [v for v in form.getlist(f) if v]
        elif f in form:
            rec[f] = form.get(f)
    return rec


def set_session_cookie(ctx: _Ctx, request: Request, resp: Response, secret: str) -> None:
    """Set the session cookie (HttpOnly, SameSite=Strict, Secure per setting)."""
    resp.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="strict",
                    secure=ctx.secure(request), path="/", max_age=int(auth.SESSION_LIFETIME.total_seconds()))


def new_login_csrf() -> str:
    """Random token for the login form's double-submit cookie."""
    return secrets.token_urlsafe(24)


def redirect(url: str) -> RedirectResponse:
    """303 See Other (after a POST)."""
    return RedirectResponse(url, status_code=303)
