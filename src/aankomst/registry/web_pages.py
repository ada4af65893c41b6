"""HTML pages of the registry (Jinja2 templates, autoescaped; JS/CSS from ``static/``).

Form posts authenticate from the session cookie first (401 before the body is read), then
read a bounded form (413) and check its CSRF token; database work, validation and rendering
run in worker threads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aankomst.errors import InputError
from aankomst.registry import auth
from aankomst.registry import service as svc
from aankomst.registry.http import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    RegistryContext,
    client_address,
    export_response,
    form_record,
    form_text,
    new_login_csrf,
    page_args,
    read_form,
    redirect,
    safe_next,
    set_session_cookie,
)
from aankomst.registry.maps import area_profile, completeness_frame, neighbourhood_of, ocmw_namer
from aankomst.registry.practices import (
    domain_terms,
    practice_dict,
    practice_domains_of,
    practices_for_resource_domains,
)
from aankomst.registry.validate import Problem, ValidationFailed, taxonomy


def add_routes(r: APIRouter, ctx: RegistryContext, bind: Callable[[Request], None]) -> None:
    """Register the HTML pages on ``r``."""
    lim = ctx.limits

    async def posted_form(request: Request, *, files: int = 0, limit: int | None = None) -> Any:
        """Check the session cookie (401), then read the bounded form."""
        await ctx.require_login(request, csrf_header=False)
        return await read_form(request, lim, limit, files=files)

    @r.get("/resources", include_in_schema=False)
    def list_page(request: Request) -> Response:
        bind(request)
        qp = request.query_params
        filters = {k: str(qp.get(k, ""))[:lim.param_chars] for k in (
            "q", "domain", "sphere", "eligible", "provider_type", "language", "municipality", "near", "radius_m")}
        args = page_args(qp, lim, 100)  # one page of the HTML list
        with ctx.read() as s:
            ctx.viewer(request, s)
            hits, total = svc.search(s, **args)
            items = [(svc.to_dict(x), d) for x, d in hits]
        keep = {k: v for k, v in qp.items() if k not in ("offset", "limit") and v}
        nxt = (f"/resources?{urlencode({**keep, 'offset': args['offset'] + args['limit']})}"
               if args["offset"] + args["limit"] < total else None)
        prev = (f"/resources?{urlencode({**keep, 'offset': max(0, args['offset'] - args['limit'])})}"
                if args["offset"] > 0 else None)
        geo = {k: v for k, v in filters.items() if v}
        geo_query = urlencode({**geo, "format": "geojson", "limit": "5000"})
        return ctx.page(request, "list.html", {"items": items, "total": total, "f": filters,
                                               "geo_query": geo_query,
                                               "first": args["offset"] + 1 if items else 0,
                                               "last": args["offset"] + len(items),
                                               "next_url": nxt, "prev_url": prev})

    def login_form(request: Request, status: int = 200, message: str | None = None,
                   next_url: Any = None, code: str | None = None) -> Response:
        token = new_login_csrf()
        ctxd: dict[str, Any] = {"login_csrf": token, "next": safe_next(next_url)}
        if message:
            ctxd["message"] = message
            ctxd["message_code"] = code
        resp = ctx.page(request, "login.html", ctxd, status=status)
        resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=ctx.secure(request), path="/")
        return resp

    @r.get("/resources/login", include_in_schema=False)
    def login_page(request: Request) -> Response:
        bind(request)
        with ctx.read() as s:
            ctx.viewer(request, s)
        return login_form(request, next_url=request.query_params.get("next"))

    @r.post("/resources/login", include_in_schema=False)
    async def login_post(request: Request) -> Response:
        bind(request)
        form = await read_form(request, lim, lim.login_body_bytes)
        if not auth.csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), form_text(form, "csrf_token")):
            raise svc.Forbidden("missing or wrong CSRF token; reload the login page and try again")
        password = form_text(form, "password")
        if len(password) > lim.password_chars:
            raise ValidationFailed([Problem("password", None, f"longer than {lim.password_chars} characters",
                                            f"at most {lim.password_chars} characters")])
        name, client = form_text(form, "name"), client_address(request)
        try:
            await ctx.run(auth.check_throttle, ctx.read, name, client)  # 429 without queueing
            _, secret, _ = await ctx.cpu("login", auth.login, ctx.read, ctx.write, name, password, client,
                                         queue=lim.login_queue)
        except (svc.Unauthorized, svc.TooManyAttempts) as exc:
            request.state.who = None
            status, message = exc.status, str(exc)
            return await ctx.run(login_form, request, status, message, form_text(form, "next"), exc.code)
        resp = redirect(safe_next(form_text(form, "next")), request)
        set_session_cookie(ctx, request, resp, secret)
        resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return resp

    @r.post("/resources/logout", include_in_schema=False)
    async def logout_post(request: Request) -> Response:
        bind(request)
        form = await posted_form(request)

        def work() -> Response:
            with ctx.write() as s, s.begin():
                ctx.writer(request, s, form_text(form, "csrf_token"))
                auth.end_session(s, request.cookies.get(SESSION_COOKIE))
            resp = redirect("/resources", request)
            resp.delete_cookie(SESSION_COOKIE, path="/")
            return resp

        return await ctx.run(work)

    @r.get("/resources/new", include_in_schema=False)
    def new_page(request: Request) -> Response:
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
        if user is None:
            return redirect("/resources/login?next=/resources/new", request)
        return ctx.page(request, "form.html", {"rec": {}, "problems": [], "action": "/resources/new"})

    @r.post("/resources/new", include_in_schema=False)
    async def new_post(request: Request) -> Response:
        bind(request)
        form = await posted_form(request)
        rec = form_record(form)

        def work() -> Response:
            try:
                with ctx.write() as s, s.begin():
                    user = ctx.writer(request, s, form_text(form, "csrf_token"))
                    rid = svc.create_resource(s, user, rec, atlas_path=ctx.atlas_path).id
            except ValidationFailed as exc:
                return ctx.page(request, "form.html", {"rec": _shown(rec), "problems": exc.problems,
                                                       "action": "/resources/new"}, status=422)
            return redirect(f"/resources/{rid}", request)

        return await ctx.run(work)

    @r.get("/resources/import", include_in_schema=False)
    def import_page(request: Request) -> Response:
        bind(request)
        with ctx.read() as s:
            if ctx.viewer(request, s) is None:
                return redirect("/resources/login?next=/resources/import", request)
        return ctx.page(request, "import.html", {"report": None})

    @r.post("/resources/import", include_in_schema=False)
    async def import_post(request: Request) -> Response:
        from aankomst.registry.io import import_records, read_records

        bind(request)
        form = await posted_form(request, files=1, limit=lim.import_bytes + 64_000)
        up = form.get("file")
        if up is None or isinstance(up, str) or not hasattr(up, "read"):
            raise ValidationFailed([Problem("file", None, "no file uploaded", "a CSV or GeoJSON file")])
        raw = await up.read()
        name = str(up.filename or "upload")[:200]
        await form.close()
        fmt = "geojson" if name.lower().endswith((".geojson", ".json")) else None
        dry = form_text(form, "dry_run") == "1"
        token = form_text(form, "csrf_token")

        def work() -> Response:
            with ctx.read() as s:
                user = ctx.writer(request, s, token)
                s.expunge_all()
            try:
                records = read_records(raw, fmt=fmt, name=name, max_rows=lim.import_rows)
                report = import_records(ctx.write, records, user=user, atlas_path=ctx.atlas_path,
                                        dry_run=dry, file=name)
            except InputError as exc:
                report = {"ok": False, "file": name, "rows": 0, "created": 0, "updated": 0, "written": False,
                          "problems": [{"row": p.row, "column": p.column, "value": None, "message": p.message,
                                        "expected": p.expected} for p in exc.problems]}
            return ctx.page(request, "import.html", {"report": report}, status=200 if report["ok"] else 422)

        return await ctx.cpu("import", work)

    @r.get("/resources/export.csv", include_in_schema=False)
    def export_csv(request: Request) -> Response:
        bind(request)
        return export_response(ctx, "csv")

    @r.get("/resources/export.geojson", include_in_schema=False)
    def export_geojson(request: Request) -> Response:
        bind(request)
        return export_response(ctx, "geojson")

    @r.get("/resources/account", include_in_schema=False)
    def account(request: Request) -> Response:
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            if user is None:
                return redirect("/resources/login?next=/resources/account", request)
            toks = auth.user_tokens(s, user.id)
        return ctx.page(request, "account.html", {"tokens": toks, "new_token": None})

    @r.post("/resources/account/tokens", include_in_schema=False)
    async def account_token(request: Request) -> Response:
        bind(request)
        form = await posted_form(request)

        def work() -> Response:
            with ctx.write() as s, s.begin():
                user = ctx.writer(request, s, form_text(form, "csrf_token"))
                _, secret = auth.create_token(s, user, form_text(form, "name") or "token")
                toks = auth.user_tokens(s, user.id)
            return ctx.page(request, "account.html", {"tokens": toks, "new_token": secret})

        return await ctx.run(work)

    @r.get("/resources/areas/{code}", include_in_schema=False)
    def profile_page(request: Request, code: str) -> Response:
        bind(request)
        with ctx.read() as s:
            ctx.viewer(request, s)
        level = str(request.query_params.get("level", "neighbourhood"))[:60]
        return ctx.page(request, "profile.html", {"p": area_profile(ctx, code, level)})

    @r.get("/resources/completeness", include_in_schema=False)
    def completeness_page(request: Request) -> Response:
        from aankomst.registry.analysis import profile_summary

        bind(request)
        with ctx.read() as s:
            ctx.viewer(request, s)
        table, aset = completeness_frame(ctx, "neighbourhood")
        summ = profile_summary(table, len(taxonomy()["domain"]))
        names = dict(zip(aset.codes, aset.names, strict=True))
        summ["name"] = summ["area_code"].map(names)
        summ = summ.sort_values(["local", "area_code"]).head(500)
        return ctx.page(request, "completeness.html", {"rows": summ.to_dict("records")})

    @r.get("/resources/{rid:int}", include_in_schema=False)
    def detail(request: Request, rid: int) -> Response:
        """A resource; a deleted one only for editors of its scope and admins (else 404)."""
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            res = svc.get_resource(s, rid, include_deleted=True)
            if res.deleted_at is not None and not svc.may_see_deleted(user, res):
                raise svc.NotFound(f"no resource with id {rid}")
            d = svc.to_dict(res)
            may_edit = svc.can_edit(user, res.municipality_nis)
            related = practices_for_resource_domains(s, d["domains"], limit=20)
            practices = [practice_dict(p) for p in related]
        nb = neighbourhood_of(ctx, d["lon"], d["lat"])
        return ctx.page(request, "detail.html", {
            "r": d, "may_edit": may_edit, "nb": nb, "practices": practices,
            "practice_domains": practice_domains_of(d["domains"]), "pdomains": domain_terms(),
            "ocmw_name": ocmw_namer(ctx)})

    @r.get("/resources/{rid:int}/edit", include_in_schema=False)
    def edit_page(request: Request, rid: int) -> Response:
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            if user is None:
                return redirect(f"/resources/login?next=/resources/{rid}/edit", request)
            d = svc.to_dict(svc.get_resource(s, rid))
        return ctx.page(request, "form.html", {"rec": d, "problems": [], "action": f"/resources/{rid}/edit",
                                               "rid": rid, "version": d["version"]})

    @r.post("/resources/{rid:int}/edit", include_in_schema=False)
    async def edit_post(request: Request, rid: int) -> Response:
        bind(request)
        form = await posted_form(request)
        rec = form_record(form)
        version = form_text(form, "version")

        def work() -> Response:
            page = {"rec": _shown(rec), "problems": [], "rid": rid, "action": f"/resources/{rid}/edit",
                    "version": version}
            try:
                with ctx.write() as s, s.begin():
                    user = ctx.writer(request, s, form_text(form, "csrf_token"))
                    svc.update_resource(s, user, rid, rec, version, atlas_path=ctx.atlas_path)
            except ValidationFailed as exc:
                return ctx.page(request, "form.html", {**page, "problems": exc.problems}, status=422)
            except svc.Conflict as exc:
                current = exc.details.get("current") or {}
                return ctx.page(request, "form.html", {
                    **page, "conflict": current or {"message": str(exc)}, "conflict_message": str(exc),
                    "version": current.get("version", version)}, status=409)
            return redirect(f"/resources/{rid}", request)

        return await ctx.run(work)

    @r.post("/resources/{rid:int}/delete", include_in_schema=False)
    async def delete_post(request: Request, rid: int) -> Response:
        bind(request)
        form = await posted_form(request)

        def work() -> Response:
            with ctx.write() as s, s.begin():
                user = ctx.writer(request, s, form_text(form, "csrf_token"))
                svc.delete_resource(s, user, rid, form_text(form, "version") or None)
            return redirect(f"/resources/{rid}", request)

        return await ctx.run(work)

    @r.post("/resources/{rid:int}/restore", include_in_schema=False)
    async def restore_post(request: Request, rid: int) -> Response:
        bind(request)
        form = await posted_form(request)

        def work() -> Response:
            with ctx.write() as s, s.begin():
                user = ctx.writer(request, s, form_text(form, "csrf_token"))
                svc.restore_resource(s, user, rid)
            return redirect(f"/resources/{rid}", request)

        return await ctx.run(work)

    @r.get("/resources/{rid:int}/history", include_in_schema=False)
    def history_page(request: Request, rid: int) -> Response:
        """Audit trail; of a deleted resource only for editors of its scope and admins;
        account names only for them (others see roles)."""
        from aankomst.registry.models import Resource

        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            entries = svc.history(s, rid, viewer=user)
            res = s.get(Resource, rid)
            name = res.name if res is not None else str(rid)
        return ctx.page(request, "history.html", {"entries": entries, "rid": rid, "name": name,
                                                  "back_url": f"/resources/{rid}"})


def _shown(rec: dict[str, Any]) -> dict[str, Any]:
    """A submitted record as the form re-shows it (texts only: an uploaded file or other
    non-text value in a field is dropped)."""
    return {k: v for k, v in rec.items() if isinstance(v, (str, list))}
