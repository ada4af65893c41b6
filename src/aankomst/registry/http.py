"""HTTP helpers shared by the registry's API routes (:mod:`~aankomst.registry.web_api`) and
pages (:mod:`~aankomst.registry.web_pages`): the per-router context, error responses,
authentication before the body, bounded body reading, strict JSON and form parsing, work in
worker threads, cookies, search parameters, export.

Nothing here imports the route modules (no import cycle).
"""

from __future__ import annotations

import json
import logging
import math
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from aankomst.errors import AankomstError, InputError, UnknownCodeError
from aankomst.registry import auth
from aankomst.registry import service as svc
from aankomst.registry.i18n import (
    LANGS,
    error_sentence,
    pick_lang,
    term_label,
    translator,
    with_lang,
)
from aankomst.registry.limits import Limits
from aankomst.registry.validate import (
    ALL_FIELDS,
    MULTI_FIELDS,
    JSONProblem,
    Problem,
    ValidationFailed,
    parse_json,
    taxonomy,
)

log = logging.getLogger("aankomst.registry")
HERE = Path(__file__).parent
SESSION_COOKIE = "aankomst_registry_session"
LOGIN_CSRF_COOKIE = "aankomst_registry_login_csrf"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; "
       "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
"""The atlas's policy (the pages load the atlas's MapLibre build and its worker): nothing
inline, nothing from another origin."""
T = TypeVar("T")
JS_KEYS: tuple[str, ...] = ("map_resources", "map_areas", "open_record", "pick_hint")
"""Strings the pages' script needs (sent in the page as a JSON data block)."""


# --------------------------------------------------------------------------- errors
def _status_of(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, svc.RegistryHTTPError):
        return exc.status, exc.code
    if isinstance(exc, ValidationFailed):
        return 422, "invalid"
    if isinstance(exc, UnknownCodeError):
        return 400, "unknown_code"
    if isinstance(exc, InputError):
        return 422, "invalid_file"
    if isinstance(exc, AankomstError):
        return 400, "bad_request"
    return 500, "internal_error"


class SafeRoute(APIRoute):
    """Route class turning every exception into the error shape (no stack trace)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        """Wrap the handler: any exception becomes :func:`error_response`."""
        orig = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await orig(request)
            except Exception as exc:
                from fastapi.exceptions import HTTPException, RequestValidationError

                if isinstance(exc, (HTTPException, RequestValidationError)):
                    raise
                return error_response(request, exc)

        return handler


def error_body(exc: Exception) -> dict[str, Any]:
    """The project's JSON error shape for ``exc``: ``{"status", "code", "message", "detail"}``
    plus the registry's ``problems`` (validation) and ``current`` (409) members."""
    status, code = _status_of(exc)
    message = "internal error; the server log has the details" if status == 500 else str(exc)
    body: dict[str, Any] = {"status": status, "code": code, "message": message, "detail": None}
    if isinstance(exc, ValidationFailed):
        body["problems"] = [p.as_dict() for p in exc.problems[:200]]
        body["detail"] = body["problems"]
    elif isinstance(exc, InputError):
        body["detail"] = [{"row": p.row, "column": p.column, "message": p.message,
                           "expected": p.expected} for p in exc.problems[:20]]
    if isinstance(exc, svc.RegistryHTTPError) and "current" in exc.details:
        body["current"] = exc.details["current"]
        body["detail"] = {"current": exc.details["current"]}
    return body


def error_response(request: Request, exc: Exception) -> Response:
    """A JSON error (API paths) or an error page, never with a stack trace."""
    body = error_body(exc)
    status = body["status"]
    if status == 500:
        log.error("registry: internal error on %s %s", request.method, request.url.path,
                  exc_info=(type(exc), exc, exc.__traceback__))
    headers: dict[str, str] = {}
    if status == 429:
        headers["Retry-After"] = "900"
    elif status == 503:
        headers["Retry-After"] = "5"
    if status in (400, 413):
        headers["Connection"] = "close"  # the unread rest of the body is not wanted
    if is_api_path(request.url.path):
        lang = request.query_params.get("lang")
        if lang in ("nl", "fr"):  # the general sentence in that language, the specifics after it
            body["message"] = f"{error_sentence(body['code'], lang)} ({body['message']})"
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="aankomst-registry"'
        resp: Response = JSONResponse({"error": body}, status_code=status, headers=headers or None)
        resp.headers["Cache-Control"] = "no-store"
        return resp
    ctx = getattr(request.state, "regctx", None)
    if ctx is None:
        return HTMLResponse(f"<!doctype html><title>{status}</title><p>{status}", status_code=status)
    sentence = error_sentence(body["code"], pick_lang(request.query_params.get("lang")))
    return ctx.page(request, "error.html", {"error": body, "sentence": sentence}, status=status,
                    headers=headers or None)


def is_api_path(path: str) -> bool:
    """Whether ``path`` is a JSON API route (errors in the JSON shape, not as a page)."""
    return path.startswith(("/api/", "/registry/api/"))


def install_error_handlers(app: Any) -> None:
    """For an app serving only the registry: unknown paths and methods in the same shape."""
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"error": {"status": exc.status_code, "code": code,
                                       "message": str(exc.detail or "error"), "detail": None}},
                            status_code=exc.status_code)


# --------------------------------------------------------------------------- context
class RegistryContext:
    """Shared state of one router: registry URL, atlas path, limits, templates, sessions,
    read cache and the worker-thread limiter for CPU-heavy work."""

    def __init__(self, registry_url: str, atlas_path: str | None, cookie_secure: str,
                 limits: Limits) -> None:
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        from aankomst.registry.db import session_factory

        self.url = registry_url
        self.atlas_path = str(atlas_path) if atlas_path else None
        self.cookie_secure = cookie_secure
        self.limits = limits
        self.read = session_factory(registry_url)
        self.write = session_factory(registry_url, write=True)
        self.env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                               autoescape=select_autoescape(["html"]), trim_blocks=True,
                               lstrip_blocks=True)
        self.env.globals["tax"] = taxonomy
        self.env.filters["tojson_attr"] = lambda v: json.dumps(v)
        self.profile_cache: dict[Any, Any] = {}
        self.profile_lock = threading.Lock()
        self._resp_cache: OrderedDict[Any, Any] = OrderedDict()
        self._resp_lock = threading.Lock()
        self._limiters: dict[tuple[int, str], tuple[Any, Any]] = {}
        self._waiting: dict[str, int] = {}

    # ---------------------------------------------------------------- read cache
    def fingerprint(self, s: Any) -> Any:
        """Changes whenever the registry changes: every write appends to the audit log."""
        from sqlalchemy import text

        return (s.execute(text("SELECT max(id) FROM audit_log")).scalar(), date.today())

    def cached(self, key: Any) -> Any:
        """A remembered response part, or ``None``."""
        with self._resp_lock:
            v = self._resp_cache.get(key)
            if v is not None:
                self._resp_cache.move_to_end(key)
            return v

    def remember(self, key: Any, value: Any) -> None:
        """Remember a response part (LRU of 1,024 entries)."""
        with self._resp_lock:
            self._resp_cache[key] = value
            self._resp_cache.move_to_end(key)
            while len(self._resp_cache) > 1024:
                self._resp_cache.popitem(last=False)

    # ---------------------------------------------------------------- worker threads
    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking work (database, validation, templates) in the default thread pool."""
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(fn, *args)

    async def cpu(self, kind: str, fn: Callable[..., T], *args: Any, queue: int | None = None) -> T:
        """Run CPU-heavy work in a worker thread: ``kind`` ``"login"`` (argon2, at most
        ``limits.login_workers`` at a time) or ``"import"`` (``limits.import_workers``);
        waiting callers hold no thread. With ``queue``, more than that many waiting callers
        get 503 (:class:`~aankomst.registry.service.Busy`).
        """
        import asyncio

        import anyio
        import anyio.to_thread

        loop = asyncio.get_running_loop()
        key = (id(loop), kind)
        known = self._limiters.get(key)
        if known is None or known[0] is not loop:  # one limiter per event loop and kind
            if len(self._limiters) > 32:
                self._limiters.clear()
            size = self.limits.login_workers if kind == "login" else self.limits.import_workers
            known = self._limiters[key] = (loop, anyio.CapacityLimiter(size))
        if queue is not None and self._waiting.get(kind, 0) >= queue:
            raise svc.Busy(f"the server is busy ({kind}); try again in a few seconds")
        self._waiting[kind] = self._waiting.get(kind, 0) + 1
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=known[1])
        finally:
            self._waiting[kind] -= 1

    # ---------------------------------------------------------------- pages
    def secure(self, request: Request) -> bool:
        """Whether cookies get the ``Secure`` flag."""
        if self.cookie_secure == "1":
            return True
        if self.cookie_secure == "0":
            return False
        return request.url.scheme == "https"

    def page(self, request: Request, name: str, ctx: dict[str, Any], *, status: int = 200,
             headers: dict[str, str] | None = None) -> HTMLResponse:
        """Render a template with the acting user, CSRF token and security headers."""
        who = getattr(request.state, "who", None)
        lang = pick_lang(request.query_params.get("lang"))
        t = translator(lang)
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        html = self.env.get_template(name).render(
            user=who, csrf=who.csrf if who else "", has_atlas=bool(self.atlas_path), lang=lang,
            t=t, u=lambda url: with_lang(url, lang),
            label=lambda vocab, code: term_label(taxonomy()[vocab].get(code), lang, code),
            tlabel=lambda term, code="": term_label(term, lang, code),
            switch={x: with_lang(here, x) for x in LANGS},
            js_strings={k: t(k) for k in JS_KEYS}, **ctx)
        resp = HTMLResponse(html, status_code=status, headers=headers)
        sec_headers(resp)
        return resp

    # ---------------------------------------------------------------- who is asking
    def identify(self, request: Request, s: Any) -> tuple[Any, Any] | None:
        """(user, web_session or None) from a bearer token or the session cookie."""
        authz = request.headers.get("authorization", "")
        if authz.lower().startswith("bearer "):
            u = auth.token_user(s, authz[7:].strip())
            if u is None:
                raise svc.Unauthorized("unknown or revoked API token")
            return u, None
        return auth.session_user(s, request.cookies.get(SESSION_COOKIE))

    def writer(self, request: Request, s: Any, form_token: str | None = None) -> Any:
        """The acting user for a write: 401 without credentials, 403 without CSRF token."""
        who = self.identify(request, s)
        request.state.who = snapshot(who)
        if who is None:
            raise svc.Unauthorized("log in or send an API token to change the registry")
        user, ws = who
        if ws is not None:  # cookie: CSRF required
            given = form_token if form_token is not None else request.headers.get("x-csrf-token")
            if not auth.csrf_ok(ws.csrf_token, given):
                raise svc.Forbidden("missing or wrong CSRF token; reload the page and try again")
        return user

    def viewer(self, request: Request, s: Any) -> Any:
        """The logged-in user or ``None`` (public)."""
        try:
            who = self.identify(request, s)
        except svc.Unauthorized:
            who = None
        request.state.who = snapshot(who)
        return who[0] if who else None

    async def require_login(self, request: Request, *, csrf_header: bool) -> None:
        """Authenticate from the headers alone, before any body is read: 401 without valid
        credentials; with ``csrf_header`` a cookie session also needs ``X-CSRF-Token`` (403).
        The write itself checks again inside its transaction."""

        def check() -> None:
            with self.read() as s:
                if csrf_header:
                    self.writer(request, s)
                    return
                who = self.identify(request, s)
                request.state.who = snapshot(who)
                if who is None:
                    raise svc.Unauthorized("log in or send an API token to change the registry")

        await self.run(check)


def snapshot(who: tuple[Any, Any] | None) -> Any:
    """Plain copy of the acting user for templates (safe after the DB session closed)."""
    if who is None:
        return None
    u, ws = who
    return SimpleNamespace(name=u.name, role=u.role, scope_codes=list(u.scope_codes),
                           csrf=ws.csrf_token if ws is not None else "")


# --------------------------------------------------------------------------- bodies
async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) one over ``limit`` bytes — by its Content-Length
    before reading anything, and while streaming when there is none (chunked)."""
    cl = request.headers.get("content-length")
    if cl is not None:
        if not cl.strip().isdigit():
            raise svc.RegistryHTTPError(f"Content-Length {cl[:40]!r} is not a number of bytes")
        if int(cl) > limit:
            raise svc.PayloadTooLarge(f"request body of {int(cl):,} bytes is too large; at most {limit:,} bytes")
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise svc.PayloadTooLarge(f"request body too large; at most {limit:,} bytes")
    return bytes(buf)


async def read_json(request: Request, limits: Limits, limit: int | None = None) -> dict[str, Any]:
    """A JSON object body, strictly parsed (see :func:`~aankomst.registry.validate.parse_json`).

    Raises 422 for another content type (this also refuses cross-site "simple" form posts,
    which cannot send ``application/json`` without a CORS preflight), malformed JSON, NaN,
    lone surrogates, too deep nesting or too long arrays/texts; 413 for a too large body.
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise ValidationFailed([Problem("content-type", ctype[:100] or None, "JSON body expected",
                                        "Content-Type: application/json")])
    raw = await read_body(request, limit or limits.json_body_bytes)
    try:
        data = parse_json(raw or b"{}", max_depth=limits.json_depth, max_items=limits.list_items,
                          max_string=limits.string_chars)
    except JSONProblem as exc:
        raise ValidationFailed([Problem("body", None, str(exc), "a JSON object")]) from None
    if not isinstance(data, dict):
        raise ValidationFailed([Problem("body", None, "not a JSON object", "a JSON object")])
    return data


async def read_form(request: Request, limits: Limits, limit: int | None = None, *,
                    files: int = 0) -> Any:
    """A form body (urlencoded, or multipart with at most ``files`` files), bounded.

    Another content type gives an empty form (its body is not read). Raises 413 for a body
    over the limit or a field over ``limits.form_body_bytes``, 400 for a malformed body
    (multipart without boundary, too many files or fields …).
    """
    from python_multipart.multipart import parse_options_header
    from starlette.datastructures import FormData
    from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

    ctype, params = parse_options_header(request.headers.get("content-type") or "")
    if ctype not in (b"multipart/form-data", b"application/x-www-form-urlencoded"):
        return FormData()  # not a form: no fields (the body is not read; CSRF checks then fail)
    if ctype == b"multipart/form-data" and not params.get(b"boundary"):
        raise svc.RegistryHTTPError("multipart body without a boundary in its Content-Type")
    raw = await read_body(request, limit or limits.form_body_bytes)

    async def stream() -> AsyncGenerator[bytes, None]:
        yield raw
        yield b""

    parser: FormParser | MultiPartParser
    if ctype == b"multipart/form-data":
        parser = MultiPartParser(request.headers, stream(), max_files=files,
                                 max_fields=limits.form_fields, max_part_size=limits.form_body_bytes)
    else:
        parser = FormParser(request.headers, stream(), max_fields=limits.form_fields,
                            max_part_size=limits.form_body_bytes)
    try:
        return await parser.parse()
    except MultiPartException as exc:
        if "exceeded maximum size" in exc.message:
            raise svc.PayloadTooLarge(f"form field too large ({exc.message}); at most "
                                      f"{limits.form_body_bytes:,} bytes per field") from None
        raise svc.RegistryHTTPError(f"malformed form: {exc.message}") from None
    except (ValueError, KeyError, LookupError) as exc:
        raise svc.RegistryHTTPError(f"malformed form: {type(exc).__name__}") from None


def form_text(form: Any, key: str, default: str = "") -> str:
    """A text field of a form (an uploaded file or a missing field gives ``default``)."""
    v = form.get(key)
    return v if isinstance(v, str) else default


def form_record(form: Any) -> dict[str, Any]:
    """Resource fields from a submitted form (checkbox groups -> lists; an uploaded file in
    a field stays a non-text value that validation refuses)."""
    rec: dict[str, Any] = {}
    for f in ALL_FIELDS:
        if f in MULTI_FIELDS:
            rec[f] = [v for v in form.getlist(f) if v]
        elif f in form:
            rec[f] = form.get(f)
    return rec


def client_address(request: Request) -> str:
    """The TCP peer (already replaced by ``X-Forwarded-For`` only when the server trusts the
    proxy it came from: ``aankomst serve --forwarded-allow-ips``)."""
    return request.client.host if request.client else "unknown"


# --------------------------------------------------------------------------- responses
def sec_headers(resp: Response) -> None:
    """Security headers of every page."""
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("X-Frame-Options", "DENY")


def expected_version(request: Any) -> str | None:
    """The version a write expects: ``?version=`` or the ``If-Match`` header (ETag quotes and
    ``W/`` stripped), ``None`` when neither is given.

    Example
    -------
    >>> class R: query_params = {}; headers = {"if-match": 'W/"3"'}
    >>> expected_version(R())
    '3'
    """
    return request.query_params.get("version") or (request.headers.get("if-match") or "").strip('W/"') or None


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON API response (not cached by browsers)."""
    resp = JSONResponse(data, status_code=status, headers=headers)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def raw_json(body: bytes, headers: dict[str, str] | None = None) -> Response:
    """A JSON response from already encoded bytes (read cache)."""
    return Response(body, media_type="application/json",
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", **(headers or {})})


def redirect(url: str, request: Request | None = None) -> RedirectResponse:
    """303 See Other (after a POST); with ``request``, keeping its interface language."""
    if request is not None:
        url = with_lang(url, pick_lang(request.query_params.get("lang")))
    return RedirectResponse(url, status_code=303)


def set_session_cookie(ctx: RegistryContext, request: Request, resp: Response, secret: str) -> None:
    """Set the session cookie (HttpOnly, SameSite=Strict, Secure per setting)."""
    resp.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="strict",
                    secure=ctx.secure(request), path="/", max_age=int(auth.SESSION_LIFETIME.total_seconds()))


def new_login_csrf() -> str:
    """Random token for the login form's double-submit cookie."""
    return secrets.token_urlsafe(24)


def safe_next(v: Any) -> str:
    """Only same-site relative paths under /resources or /registry (no open redirect)."""
    v = str(v or "") if isinstance(v, str) else ""
    if (v.startswith(("/resources", "/registry/")) and not v.startswith("//") and "\\" not in v and "\n" not in v
            and len(v) <= 2000):
        return v
    return "/resources"


# --------------------------------------------------------------------------- parameters
def flag(v: Any) -> bool:
    """A yes/no query or form value."""
    return str(v).lower() in ("1", "true", "yes", "on")


def _param(qp: Any, key: str, limits: Limits) -> str | None:
    v = qp.get(key)
    if v in (None, ""):
        return None
    cap = limits.query_chars if key == "q" else limits.param_chars
    if len(v) > cap:
        raise ValidationFailed([Problem(key, v, f"too long ({len(v):,} characters)", f"at most {cap:,} characters")])
    return str(v)


def _int_param(qp: Any, key: str, default: int, lo: int, hi: int, *, clamp: bool) -> int:
    raw = qp.get(key)
    if raw in (None, ""):
        return default
    if not re.fullmatch(r"\s*-?\d{1,12}\s*", raw):
        raise ValidationFailed([Problem(key, raw, "not an integer of at most 12 digits",
                                        f"an integer {lo}..{hi:,}")])
    n = int(raw)
    if clamp:
        return max(lo, min(hi, n))
    if not lo <= n <= hi:
        raise ValidationFailed([Problem(key, raw, "out of range", f"an integer {lo}..{hi:,}")])
    return n


def search_args(qp: Any, limits: Limits) -> dict[str, Any]:
    """Keyword arguments of :func:`aankomst.registry.service.search` from query parameters,
    each checked (length, number, range): a malformed parameter is a 422, never a 500."""
    args: dict[str, Any] = {}
    for k in ("q", "domain", "sphere", "eligible", "provider_type", "function", "language",
              "municipality", "near"):
        v = _param(qp, k, limits)
        if v is not None:
            args[k] = v
    if "municipality" in args:
        codes = [c.strip() for c in args["municipality"].split(",") if c.strip()]
        if len(codes) > limits.filter_codes:
            raise ValidationFailed([Problem("municipality", f"{len(codes)} codes", "too many codes",
                                            f"at most {limits.filter_codes}")])
    radius = _param(qp, "radius_m", limits)
    if radius is not None:
        try:
            args["radius_m"] = float(radius)
        except ValueError:
            raise ValidationFailed([Problem("radius_m", radius, "not a number", "metres")]) from None
        if not math.isfinite(args["radius_m"]):
            raise ValidationFailed([Problem("radius_m", radius, "not a finite number",
                                            "metres, 0 < radius_m <= 200000")])
    as_of = _param(qp, "as_of", limits)
    if as_of:
        try:
            args["as_of"] = date.fromisoformat(as_of)
        except ValueError:
            raise ValidationFailed([Problem("as_of", as_of, "not a date", "YYYY-MM-DD")]) from None
    args["include_closed"] = flag(qp.get("include_closed", ""))
    args["limit"] = _int_param(qp, "limit", 500, 1, 5000, clamp=True)
    args["offset"] = _int_param(qp, "offset", 0, 0, limits.max_offset, clamp=False)
    return args


def page_args(qp: Any, limits: Limits, default_limit: int) -> dict[str, Any]:
    """:func:`search_args` with another default page size (the HTML list)."""
    args = search_args(qp, limits)
    if "limit" not in qp:
        args["limit"] = default_limit
    return args


# --------------------------------------------------------------------------- export
def export_response(ctx: RegistryContext, fmt: str) -> Response:
    """All non-deleted resources as a spreadsheet-safe CSV or as GeoJSON."""
    from aankomst.registry.io import export_rows, to_csv, to_geojson

    if fmt not in ("csv", "geojson"):
        raise ValidationFailed([Problem("format", fmt, "unknown export format", "csv or geojson")])
    with ctx.read() as s:
        rows = export_rows(svc.all_resources(s))
    if fmt == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="resources.csv"',
                                 "X-Content-Type-Options": "nosniff"})
    return Response(json.dumps(to_geojson(rows), ensure_ascii=False),
                    media_type="application/geo+json",
                    headers={"Content-Disposition": 'attachment; filename="resources.geojson"',
                             "X-Content-Type-Options": "nosniff"})
