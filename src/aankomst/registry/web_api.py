"""JSON API routes of the registry (see :mod:`aankomst.registry.web`).

Every write authenticates from the headers first (401/403 before any body byte is read),
then reads a bounded body (413) and does its work in a worker thread, so the event loop keeps
serving other requests; password checks and imports also wait for a CPU slot
(:meth:`~aankomst.registry.http.RegistryContext.cpu`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aankomst.registry import auth
from aankomst.registry import service as svc
from aankomst.registry.http import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    RegistryContext,
    client_address,
    expected_version,
    export_response,
    flag,
    json_response,
    raw_json,
    read_body,
    read_json,
    search_args,
    set_session_cookie,
)
from aankomst.registry.maps import area_profile, areas_geojson
from aankomst.registry.validate import Problem, ValidationFailed, taxonomy


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def login_fields(data: dict[str, Any], max_password: int) -> tuple[str, str]:
    """``name`` and ``password`` of a login body: texts (422 otherwise), the password at most
    ``max_password`` characters (refused before any hashing)."""
    probs = [Problem(k, None, f"expected a text, got {type(data.get(k)).__name__}", "a text")
             for k in ("name", "password") if not isinstance(data.get(k, ""), str)]
    if probs:
        raise ValidationFailed(probs)
    name, password = str(data.get("name", "")), str(data.get("password", ""))
    if len(password) > max_password:
        raise ValidationFailed([Problem("password", None, f"longer than {max_password} characters",
                                        f"at most {max_password} characters")])
    return name, password


def add_routes(r: APIRouter, ctx: RegistryContext, bind: Callable[[Request], None]) -> None:
    """Register the API routes on ``r``."""
    lim = ctx.limits

    @r.get("/api/resources")
    def list_resources(request: Request) -> Response:
        """Search resources: ``domain, sphere, eligible, provider_type, function, language,
        municipality, q, near=LAT,LON, radius_m, as_of, include_closed, limit, offset,
        format=json|geojson``; ``include_deleted=1`` adds deleted resources an editor may see."""
        bind(request)
        args = search_args(request.query_params, lim)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            scope: tuple[str, ...] | None = None
            if flag(request.query_params.get("include_deleted", "")) and user is not None \
                    and user.role in ("editor", "admin"):
                args["include_deleted"] = True
                if user.role != "admin":
                    scope = tuple(user.scope_codes)
                    args["deleted_in"] = scope
            key = ("list", str(request.url.query), bool(args.get("include_deleted")), scope, ctx.fingerprint(s))
            body = ctx.cached(key)
            if body is None:
                hits, total = svc.search(s, **args)
                items = []
                for res, dist in hits:
                    d = svc.to_dict(res)
                    if dist is not None:
                        d["distance_m"] = round(dist, 1)
                    items.append(d)
                if request.query_params.get("format") == "geojson":
                    from aankomst.registry.io import to_geojson

                    payload = to_geojson(items)
                    payload["total"] = total
                else:
                    payload = {"total": total, "count": len(items), "offset": args["offset"], "items": items}
                body = _dumps(payload)
                ctx.remember(key, body)
        return raw_json(body)

    @r.post("/api/resources")
    async def create(request: Request) -> Response:
        bind(request)
        await ctx.require_login(request, csrf_header=True)
        data = await read_json(request, lim)

        def work() -> dict[str, Any]:
            with ctx.write() as s, s.begin():
                user = ctx.writer(request, s)
                return svc.to_dict(svc.create_resource(s, user, data, atlas_path=ctx.atlas_path))

        out = await ctx.run(work)
        return json_response(out, 201, headers={"Location": f"/api/resources/{out['id']}",
                                                "ETag": f'"{out["version"]}"'})

    @r.get("/api/resources/{rid:int}")
    def get_one(request: Request, rid: int) -> Response:
        """One resource; a deleted one only for editors of its scope and admins (else 404)."""
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            key = ("one", rid, ctx.fingerprint(s))
            hit = ctx.cached(key)
            if hit is None:
                res = svc.get_resource(s, rid, include_deleted=True)
                out = svc.to_dict(res)
                hit = (_dumps(out), out["version"], out["deleted"], res.municipality_nis)
                ctx.remember(key, hit)
            body, version, deleted, nis = hit
            if deleted and not svc.can_edit(user, nis):
                raise svc.NotFound(f"no resource with id {rid}")
        return raw_json(body, headers={"ETag": f'"{version}"'})

    @r.patch("/api/resources/{rid:int}")
    async def patch(request: Request, rid: int) -> Response:
        bind(request)
        await ctx.require_login(request, csrf_header=True)
        data = await read_json(request, lim)
        version = data.pop("version", None)
        if version is None and request.headers.get("if-match"):
            version = request.headers["if-match"].strip('W/"')

        def work() -> dict[str, Any]:
            with ctx.write() as s, s.begin():
                user = ctx.writer(request, s)
                return svc.to_dict(svc.update_resource(s, user, rid, data, version, atlas_path=ctx.atlas_path))

        out = await ctx.run(work)
        return json_response(out, headers={"ETag": f'"{out["version"]}"'})

    @r.delete("/api/resources/{rid:int}")
    def delete(request: Request, rid: int) -> Response:
        bind(request)
        version = expected_version(request)
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s)
            out = svc.to_dict(svc.delete_resource(s, user, rid, version))
        return json_response(out)

    @r.post("/api/resources/{rid:int}/restore")
    def restore(request: Request, rid: int) -> Response:
        bind(request)
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s)
            out = svc.to_dict(svc.restore_resource(s, user, rid))
        return json_response(out)

    @r.get("/api/resources/{rid:int}/history")
    def hist(request: Request, rid: int) -> Response:
        """Audit trail; of a deleted resource only for editors of its scope and admins; account
        names only for them too (everyone else sees roles)."""
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            return json_response({"resource_id": rid, "entries": svc.history(s, rid, viewer=user)})

    @r.get("/api/resources/export")
    def export(request: Request) -> Response:
        bind(request)
        return export_response(ctx, str(request.query_params.get("format", "csv"))[:40])

    @r.post("/api/resources/import")
    async def import_(request: Request) -> Response:
        """Body: the CSV or GeoJSON file. ``?format=csv|geojson&dry_run=1``. 422 + report
        when anything is wrong (nothing written). Authentication is checked before the body
        is read; the body is limited to ``limits.import_bytes``."""
        from aankomst.registry.io import import_records, read_records

        bind(request)
        await ctx.require_login(request, csrf_header=True)
        raw = await read_body(request, lim.import_bytes)
        fmt = request.query_params.get("format") or None
        name = str(request.query_params.get("name", "upload"))[:200]
        dry = flag(request.query_params.get("dry_run", ""))

        def work() -> dict[str, Any]:
            with ctx.read() as s:
                user = ctx.writer(request, s)
                s.expunge_all()
            records = read_records(raw, fmt=fmt, name=name, max_rows=lim.import_rows)
            return import_records(ctx.write, records, user=user, atlas_path=ctx.atlas_path,
                                  dry_run=dry, file=name)

        report = await ctx.cpu("import", work)
        return json_response(report, 200 if report["ok"] else 422)

    # ------------------------------------------------------------------ accounts
    @r.post("/api/registry/login")
    async def login(request: Request) -> Response:
        bind(request)
        data = await read_json(request, lim, lim.login_body_bytes)
        name, password = login_fields(data, lim.password_chars)
        client = client_address(request)
        await ctx.run(auth.check_throttle, ctx.read, name, client)  # 429 without queueing
        info, secret, csrf = await ctx.cpu("login", auth.login, ctx.read, ctx.write, name, password,
                                           client, queue=lim.login_queue)
        resp = json_response({**info, "csrf_token": csrf})
        set_session_cookie(ctx, request, resp, secret)
        resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return resp

    @r.post("/api/registry/logout")
    def logout(request: Request) -> Response:
        bind(request)
        with ctx.write() as s, s.begin():
            ctx.writer(request, s)
            auth.end_session(s, request.cookies.get(SESSION_COOKIE))
        resp = json_response({"ok": True})
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    @r.get("/api/registry/me")
    def me(request: Request) -> Response:
        bind(request)
        with ctx.read() as s:
            who = ctx.identify(request, s)
            if who is None:
                raise svc.Unauthorized("not logged in")
            u, ws = who
            return json_response({"user": u.name, "role": u.role, "scope": u.scope_codes,
                                  "csrf_token": ws.csrf_token if ws else None})

    @r.get("/api/registry/tokens")
    def tokens(request: Request) -> Response:
        bind(request)
        with ctx.read() as s:
            who = ctx.identify(request, s)
            if who is None:
                raise svc.Unauthorized("log in to list your tokens")
            rows = auth.user_tokens(s, who[0].id)
            return json_response({"tokens": [{"id": t.id, "name": t.name, "prefix": t.prefix,
                                              "created_at": t.created_at.isoformat(),
                                              "revoked": t.revoked_at is not None} for t in rows]})

    @r.post("/api/registry/tokens")
    async def new_token(request: Request) -> Response:
        bind(request)
        await ctx.require_login(request, csrf_header=True)
        data = await read_json(request, lim)
        label = data.get("name", "token")
        if not isinstance(label, str):
            raise ValidationFailed([Problem("name", label, f"expected a text, got {type(label).__name__}",
                                            "a label for the token")])

        def work() -> dict[str, Any]:
            with ctx.write() as s, s.begin():
                user = ctx.writer(request, s)
                t, secret = auth.create_token(s, user, label)
                return {"id": t.id, "name": t.name, "token": secret,
                        "note": "shown once; store it safely (only a hash is kept)"}

        return json_response(await ctx.run(work), 201)

    @r.delete("/api/registry/tokens/{tid:int}")
    def revoke(request: Request, tid: int) -> Response:
        bind(request)
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s)
            auth.revoke_token(s, user, tid)
        return json_response({"ok": True})

    # ------------------------------------------------------------------ reference & analyses
    @r.get("/api/registry/taxonomy")
    def tax(request: Request) -> Response:
        bind(request)
        return json_response({v: list(terms.values()) for v, terms in taxonomy().items()})

    @r.get("/api/registry/completeness/{code}")
    def completeness(request: Request, code: str) -> Response:
        bind(request)
        level = str(request.query_params.get("level", "neighbourhood"))[:60]
        return json_response(area_profile(ctx, code, level))

    @r.get("/api/registry/areas.geojson")
    def areas(request: Request) -> Response:
        bind(request)
        qp = request.query_params
        return json_response(areas_geojson(ctx, qp.get("municipality") or None, qp.get("bbox") or None))
