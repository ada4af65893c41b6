"""Routes of the exchange of practices between OCMWs (:mod:`aankomst.registry.practices`).

JSON API (the registry's one error shape, accounts, CSRF and audit as for resources):

``GET  /registry/api/practices``            search: ``ocmw`` (code or codes, comma-separated),
                                             ``domain``, ``target``, ``q``, ``limit``, ``offset``,
                                             ``format=json|csv``
``POST /registry/api/practices``            create (editors for the OCMWs of their scope, admins)
``GET|PUT|DELETE /registry/api/practices/{id}``  read, replace (``version`` or ``If-Match``),
                                             soft-delete
``GET  /registry/api/practices/{id}/history``    audit trail
``GET  /registry/api/practices/vocabulary``  domains and target groups with nl/fr/en labels

Pages: ``/registry/practices`` (list, filters ``?ocmw=CODE&domain=…&target=…&q=…``, CSV/JSON
export), ``/registry/practices/{id}``, ``/registry/practices/new`` and ``…/{id}/edit`` (editors),
``…/{id}/history``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aankomst.registry import practices as pr
from aankomst.registry import service as svc
from aankomst.registry.http import (
    RegistryContext,
    expected_version,
    form_text,
    json_response,
    read_form,
    read_json,
    redirect,
)
from aankomst.registry.maps import ocmw_namer
from aankomst.registry.validate import Problem, ValidationFailed

FILTERS: tuple[str, ...] = ("ocmw", "domain", "target", "q")
"""Query parameters of the practice search."""


def practice_filters(qp: Any, max_chars: int, *, strict: bool) -> dict[str, str]:
    """The search filters of a query string, checked (length; with ``strict`` also known domain,
    target group and five-digit OCMW codes: 422 otherwise).

    Examples
    --------
    >>> practice_filters({"domain": "language", "ocmw": "11002"}, 200, strict=True)
    {'ocmw': '11002', 'domain': 'language'}
    """
    out: dict[str, str] = {}
    probs: list[Problem] = []
    for k in FILTERS:
        v = str(qp.get(k) or "").strip()
        if not v:
            continue
        if len(v) > max_chars:
            probs.append(Problem(k, v, f"too long ({len(v):,} characters)", f"at most {max_chars} characters"))
            continue
        out[k] = v
    if strict:
        if "domain" in out and out["domain"] not in pr.domain_terms():
            probs.append(Problem("domain", out["domain"], "unknown domain", ", ".join(pr.domain_terms())))
        if "target" in out and out["target"] not in pr.target_terms():
            probs.append(Problem("target", out["target"], "unknown target group", ", ".join(pr.target_terms())))
        codes = [c.strip() for c in out.get("ocmw", "").split(",") if c.strip()]
        if any(not (c.isdigit() and len(c) == 5) for c in codes):
            probs.append(Problem("ocmw", out["ocmw"], "not five-digit NIS codes", "e.g. 11002 or 11002,44021"))
    if probs:
        raise ValidationFailed(probs)
    return out


def _query(f: dict[str, str]) -> dict[str, Any]:
    return {"ocmw": f.get("ocmw"), "domain": f.get("domain"), "target": f.get("target"), "text": f.get("q")}


def _int(qp: Any, key: str, default: int, hi: int) -> int:
    raw = str(qp.get(key) or "")
    if not raw:
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise ValidationFailed([Problem(key, raw, "not a non-negative integer", f"0..{hi:,}")])
    return min(int(raw), hi)


def form_practice(form: Any) -> dict[str, Any]:
    """Practice fields of a submitted form (target groups from checkboxes, links one per line).

    Examples
    --------
    >>> form_practice(request_form)["target_groups"]  # doctest: +SKIP
    ['roma']
    """
    rec: dict[str, Any] = {k: form_text(form, k) for k in (
        "title", "ocmw_code", "domain", "approach", "results", "contact_name", "contact_email",
        "published_on")}
    rec["target_groups"] = [v for v in form.getlist("target_groups") if isinstance(v, str) and v]
    rec["links"] = form_text(form, "links")
    return rec


def _version(request: Request, data: dict[str, Any]) -> Any:
    v = data.pop("version", None)
    if v is None and request.headers.get("if-match"):
        v = request.headers["if-match"].strip('W/"')
    return v


def add_routes(r: APIRouter, ctx: RegistryContext, bind: Callable[[Request], None]) -> None:
    """Register the practice API and pages on ``r``."""
    lim = ctx.limits

    # ------------------------------------------------------------------ API
    @r.get("/registry/api/practices/vocabulary")
    def vocabulary(request: Request) -> Response:
        """Domains (with the resource domains they belong to) and target groups."""
        bind(request)
        return json_response({"domains": pr.domain_terms(), "target_groups": pr.target_terms()})

    @r.get("/registry/api/practices")
    def api_list(request: Request) -> Response:
        """Search practices (see the module docstring); ``format=csv`` gives the CSV export."""
        bind(request)
        qp = request.query_params
        f = practice_filters(qp, lim.param_chars, strict=True)
        limit, offset = _int(qp, "limit", 500, 5000), _int(qp, "offset", 0, lim.max_offset)
        fmt = str(qp.get("format") or "json")[:20]
        if fmt not in ("json", "csv"):
            raise ValidationFailed([Problem("format", fmt, "unknown format", "json or csv")])
        with ctx.read() as s:
            ctx.viewer(request, s)
            found = pr.list_practices(s, **_query(f), limit=limit, offset=offset)
            if fmt == "csv":
                return _csv(pr.export_csv(found))
            total = pr.count_practices(s, **_query(f))
            items = [pr.practice_dict(p) for p in found]
        return json_response({"total": total, "count": len(items), "offset": offset, "items": items})

    @r.post("/registry/api/practices")
    async def api_create(request: Request) -> Response:
        bind(request)
        await ctx.require_login(request, csrf_header=True)
        data = await read_json(request, lim)

        def work() -> dict[str, Any]:
            with ctx.write() as s, s.begin():
                user = ctx.writer(request, s)
                return pr.practice_dict(pr.create_practice(s, user, data))

        out = await ctx.run(work)
        return json_response(out, 201, headers={"Location": f"/registry/api/practices/{out['id']}",
                                                "ETag": f'"{out["version"]}"'})

    @r.get("/registry/api/practices/{pid:int}")
    def api_one(request: Request, pid: int) -> Response:
        bind(request)
        with ctx.read() as s:
            ctx.viewer(request, s)
            out = pr.practice_dict(pr.get_practice(s, pid))
        return json_response(out, headers={"ETag": f'"{out["version"]}"'})

    @r.put("/registry/api/practices/{pid:int}")
    async def api_put(request: Request, pid: int) -> Response:
        bind(request)
        await ctx.require_login(request, csrf_header=True)
        data = await read_json(request, lim)
        version = _version(request, data)

        def work() -> dict[str, Any]:
            with ctx.write() as s, s.begin():
                user = ctx.writer(request, s)
                return pr.practice_dict(pr.update_practice(s, user, pid, data, version))

        out = await ctx.run(work)
        return json_response(out, headers={"ETag": f'"{out["version"]}"'})

    @r.delete("/registry/api/practices/{pid:int}")
    def api_delete(request: Request, pid: int) -> Response:
        bind(request)
        version = expected_version(request)
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s)
            out = pr.practice_dict(pr.delete_practice(s, user, pid, version))
        return json_response(out)

    @r.get("/registry/api/practices/{pid:int}/history")
    def api_history(request: Request, pid: int) -> Response:
        bind(request)
        with ctx.read() as s:
            _, entries = _history(s, ctx.viewer(request, s), pid)
        return json_response({"practice_id": pid, "entries": entries})

    # ------------------------------------------------------------------ pages
    @r.get("/registry/practices", include_in_schema=False)
    def list_page(request: Request) -> Response:
        bind(request)
        qp = request.query_params
        f = practice_filters(qp, lim.param_chars, strict=False)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            found = [pr.practice_dict(p) for p in pr.list_practices(s, **_query(f), limit=500)]
        may_add = user is not None and user.role in ("editor", "admin")
        q = urlencode(f)
        return ctx.page(request, "practices.html", {
            "items": found, "f": f, "domains": pr.domain_terms(), "targets": pr.target_terms(),
            "ocmw_name": ocmw_namer(ctx), "may_add": may_add,
            "export_csv": "/registry/practices/export.csv" + (f"?{q}" if q else ""),
            "export_json": "/registry/practices/export.json" + (f"?{q}" if q else "")})

    @r.get("/registry/practices/export.csv", include_in_schema=False)
    def export_csv(request: Request) -> Response:
        bind(request)
        f = practice_filters(request.query_params, lim.param_chars, strict=True)
        with ctx.read() as s:
            return _csv(pr.export_csv(pr.list_practices(s, **_query(f))))

    @r.get("/registry/practices/export.json", include_in_schema=False)
    def export_json(request: Request) -> Response:
        bind(request)
        f = practice_filters(request.query_params, lim.param_chars, strict=True)
        with ctx.read() as s:
            items = [pr.practice_dict(p) for p in pr.list_practices(s, **_query(f))]
        return Response(json.dumps({"items": items}, ensure_ascii=False), media_type="application/json",
                        headers={"Content-Disposition": 'attachment; filename="practices.json"',
                                 "X-Content-Type-Options": "nosniff"})

    def form_page(request: Request, rec: dict[str, Any], *, pid: int | None = None, version: Any = None,
                  problems: list[Any] | None = None, status: int = 200, conflict: str | None = None) -> Response:
        action = f"/registry/practices/{pid}/edit" if pid else "/registry/practices/new"
        return ctx.page(request, "practice_form.html", {
            "rec": rec, "pid": pid, "version": version, "problems": problems or [], "action": action,
            "domains": pr.domain_terms(), "targets": pr.target_terms(), "conflict_message": conflict},
            status=status)

    def shown(rec: dict[str, Any]) -> dict[str, Any]:
        links = rec.get("links") or ""
        if isinstance(links, list):
            links = "\n".join(str(x.get("url", "")) for x in links if isinstance(x, dict))
        return {**rec, "links": links}

    @r.get("/registry/practices/new", include_in_schema=False)
    def new_page(request: Request) -> Response:
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
        if user is None:
            return redirect("/resources/login?next=/registry/practices/new", request)
        code = str(request.query_params.get("ocmw") or (user.scope_codes[0] if user.scope_codes else ""))[:5]
        return form_page(request, {"ocmw_code": code, "target_groups": [], "links": ""})

    @r.post("/registry/practices/new", include_in_schema=False)
    async def new_post(request: Request) -> Response:
        bind(request)
        await ctx.require_login(request, csrf_header=False)
        form = await read_form(request, lim)
        rec = form_practice(form)

        def work() -> Response:
            try:
                with ctx.write() as s, s.begin():
                    user = ctx.writer(request, s, form_text(form, "csrf_token"))
                    pid = pr.create_practice(s, user, rec).id
            except ValidationFailed as exc:
                return form_page(request, rec, problems=exc.problems, status=422)
            return redirect(f"/registry/practices/{pid}", request)

        return await ctx.run(work)

    @r.get("/registry/practices/{pid:int}", include_in_schema=False)
    def detail(request: Request, pid: int) -> Response:
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            d = pr.practice_dict(pr.get_practice(s, pid))
        return ctx.page(request, "practice.html", {
            "p": d, "may_edit": svc.can_edit(user, d["ocmw_code"]), "domains": pr.domain_terms(),
            "targets": pr.target_terms(), "ocmw_name": ocmw_namer(ctx)})

    @r.get("/registry/practices/{pid:int}/edit", include_in_schema=False)
    def edit_page(request: Request, pid: int) -> Response:
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            if user is None:
                return redirect(f"/resources/login?next=/registry/practices/{pid}/edit", request)
            d = pr.practice_dict(pr.get_practice(s, pid))
        return form_page(request, shown(d), pid=pid, version=d["version"])

    @r.post("/registry/practices/{pid:int}/edit", include_in_schema=False)
    async def edit_post(request: Request, pid: int) -> Response:
        bind(request)
        await ctx.require_login(request, csrf_header=False)
        form = await read_form(request, lim)
        rec = form_practice(form)
        version = form_text(form, "version")

        def work() -> Response:
            try:
                with ctx.write() as s, s.begin():
                    user = ctx.writer(request, s, form_text(form, "csrf_token"))
                    pr.update_practice(s, user, pid, rec, version)
            except ValidationFailed as exc:
                return form_page(request, rec, pid=pid, version=version, problems=exc.problems, status=422)
            except svc.Conflict as exc:
                cur = exc.details.get("current") or {}
                return form_page(request, rec, pid=pid, version=cur.get("version", version), status=409,
                                 conflict=str(exc))
            return redirect(f"/registry/practices/{pid}", request)

        return await ctx.run(work)

    @r.post("/registry/practices/{pid:int}/delete", include_in_schema=False)
    async def delete_post(request: Request, pid: int) -> Response:
        bind(request)
        await ctx.require_login(request, csrf_header=False)
        form = await read_form(request, lim)

        def work() -> Response:
            with ctx.write() as s, s.begin():
                user = ctx.writer(request, s, form_text(form, "csrf_token"))
                pr.delete_practice(s, user, pid, form_text(form, "version") or None)
            return redirect("/registry/practices", request)

        return await ctx.run(work)

    @r.get("/registry/practices/{pid:int}/history", include_in_schema=False)
    def history_page(request: Request, pid: int) -> Response:
        bind(request)
        with ctx.read() as s:
            title, entries = _history(s, ctx.viewer(request, s), pid)
        return ctx.page(request, "history.html", {"entries": entries, "name": title,
                                                  "back_url": f"/registry/practices/{pid}"})


def _history(s: Any, user: Any, pid: int) -> tuple[str, list[dict[str, Any]]]:
    """(title, audit entries) of a practice; a deleted one only for editors of its OCMW and
    admins (404 otherwise), account names only for them too."""
    p = pr.get_practice(s, pid, include_deleted=True)
    may = svc.can_edit(user, p.ocmw_code)
    if p.deleted_at is not None and not may:
        raise svc.NotFound(f"no practice with id {pid}")
    return p.title, pr.practice_history(s, pid, privileged=may)


def _csv(text: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="practices.csv"',
                             "X-Content-Type-Options": "nosniff"})
