"""JSON API routes of the registry (see :mod:`aankomst.registry.web`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aankomst.registry import auth
from aankomst.registry import service as svc
from aankomst.registry.validate import Problem, ValidationFailed, taxonomy


async def _json_body(request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":  # also blocks cross-site "simple" form posts (no preflight)
        raise ValidationFailed([Problem("content-type", ctype or None, "JSON body expected",
                                        "Content-Type: application/json")])
    raw = await request.body()
    if len(raw) > 1_000_000:
        raise ValidationFailed([Problem("body", None, "request body too large", "at most 1 MB")])
    try:
        data = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationFailed([Problem("body", None, "not valid JSON", "a JSON object")]) from None
    if not isinstance(data, dict):
        raise ValidationFailed([Problem("body", None, "not a JSON object", "a JSON object")])
    return data


def add_routes(r: APIRouter, ctx: Any, bind: Callable[[Request], None]) -> None:
    """Register the API routes on ``r``."""
    from aankomst.registry.web import (
        LOGIN_CSRF_COOKIE,
        SESSION_COOKIE,
        _json,
        _search_args,
        set_session_cookie,
    )

    @r.get("/api/resources")
    def list_resources(request: Request) -> Response:
        """Search resources: ``domain, sphere, eligible, provider_type, function, language,
        municipality, q, near=LAT,LON, radius_m, as_of, include_closed, limit, offset,
        format=json|geojson``."""
        bind(request)
        args = _search_args(request.query_params)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            if _bool_q(request, "include_deleted") and user is not None and user.role in ("editor", "admin"):
                args["include_deleted"] = True
            key = ("list", str(request.url.query), bool(args.get("include_deleted")), ctx.fingerprint(s))
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
                body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                ctx.remember(key, body)
        return _raw_json(body)

    @r.post("/api/resources")
    async def create(request: Request) -> Response:
        bind(request)
        data = await _json_body(request)
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s)
            res = svc.create_resource(s, user, data, atlas_path=ctx.atlas_path)
            out = svc.to_dict(res)
        return _json(out, 201, headers={"Location": f"/api/resources/{out['id']}", "ETag": f'"{out["version"]}"'})

    @r.get("/api/resources/{rid:int}")
    def get_one(request: Request, rid: int) -> Response:
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            incl = user is not None and user.role != "viewer"
            key = ("one", rid, incl, ctx.fingerprint(s))
            hit = ctx.cached(key)
            if hit is None:
                out = svc.to_dict(svc.get_resource(s, rid, include_deleted=incl))
                hit = json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                ctx.remember(key, hit)
                version = out["version"]
            else:
                version = json.loads(hit)["version"]
        return _raw_json(hit, headers={"ETag": f'"{version}"'})

    @r.patch("/api/resources/{rid:int}")
    async def patch(request: Request, rid: int) -> Response:
        bind(request)
        data = await _json_body(request)
        version = data.pop("version", None)
        if version is None and request.headers.get("if-match"):
            version = request.headers["if-match"].strip('W/"')
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s)
            res = svc.update_resource(s, user, rid, data, version, atlas_path=ctx.atlas_path)
            out = svc.to_dict(res)
        return _json(out, headers={"ETag": f'"{out["version"]}"'})

    @r.delete("/api/resources/{rid:int}")
    def delete(request: Request, rid: int) -> Response:
        bind(request)
        version = request.query_params.get("version") or (request.headers.get("if-match") or "").strip('W/"') or None
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s)
            out = svc.to_dict(svc.delete_resource(s, user, rid, version))
        return _json(out)

    @r.post("/api/resources/{rid:int}/restore")
    def restore(request: Request, rid: int) -> Response:
        bind(request)
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s)
            out = svc.to_dict(svc.restore_resource(s, user, rid))
        return _json(out)

    @r.get("/api/resources/{rid:int}/history")
    def hist(request: Request, rid: int) -> Response:
        bind(request)
        with ctx.read() as s:
            return _json({"resource_id": rid, "entries": svc.history(s, rid)})

    @r.get("/api/resources/export")
    def export(request: Request) -> Response:
        bind(request)
        return _export(ctx, request.query_params.get("format", "csv"))

    @r.post("/api/resources/import")
    async def import_(request: Request) -> Response:
        """Body: the CSV or GeoJSON file. ``?format=csv|geojson&dry_run=1``. 422 + report
        when anything is wrong (nothing written)."""
        from aankomst.registry.io import import_records, read_records

        bind(request)
        raw = await request.body()
        with ctx.read() as s:
            user = ctx.writer(request, s)
            s.expunge_all()
        fmt = request.query_params.get("format") or None
        records = read_records(raw, fmt=fmt, name=request.query_params.get("name", "upload"))
        report = import_records(ctx.write, records, user=user, atlas_path=ctx.atlas_path,
                                dry_run=_bool_q(request, "dry_run"),
                                file=request.query_params.get("name", "upload"))
        return _json(report, 200 if report["ok"] else 422)

    # ------------------------------------------------------------------ accounts
    @r.post("/api/registry/login")
    async def login(request: Request) -> Response:
        bind(request)
        data = await _json_body(request)
        client = request.client.host if request.client else "unknown"
        with ctx.write() as s, s.begin():
            user = auth.authenticate(s, str(data.get("name", "")), str(data.get("password", "")), client)
            secret, csrf = auth.create_session(s, user)
            body = {"user": user.name, "role": user.role, "scope": user.scope_codes, "csrf_token": csrf}
        resp = _json(body)
        set_session_cookie(ctx, request, resp, secret)
        resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return resp

    @r.post("/api/registry/logout")
    def logout(request: Request) -> Response:
        bind(request)
        with ctx.write() as s, s.begin():
            ctx.writer(request, s)
            auth.end_session(s, request.cookies.get(SESSION_COOKIE))
        resp = _json({"ok": True})
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
            return _json({"user": u.name, "role": u.role, "scope": u.scope_codes,
                          "csrf_token": ws.csrf_token if ws else None})

    @r.get("/api/registry/tokens")
    def tokens(request: Request) -> Response:
        bind(request)
        with ctx.read() as s:
            who = ctx.identify(request, s)
            if who is None:
                raise svc.Unauthorized("log in to list your tokens")
            rows = auth.user_tokens(s, who[0].id)
            return _json({"tokens": [{"id": t.id, "name": t.name, "prefix": t.prefix,
                                      "created_at": t.created_at.isoformat(),
                                      "revoked": t.revoked_at is not None} for t in rows]})

    @r.post("/api/registry/tokens")
    async def new_token(request: Request) -> Response:
        bind(request)
        data = await _json_body(request)
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s)
            t, secret = auth.create_token(s, user, str(data.get("name", "token")))
            out = {"id": t.id, "name": t.name, "token": secret,
                   "note": "shown once; store it safely (only a hash is kept)"}
        return _json(out, 201)

    @r.delete("/api/registry/tokens/{tid:int}")
    def revoke(request: Request, tid: int) -> Response:
        bind(request)
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s)
            auth.revoke_token(s, user, tid)
        return _json({"ok": True})

    # ------------------------------------------------------------------ reference & analyses
    @r.get("/api/registry/taxonomy")
    def tax(request: Request) -> Response:
        bind(request)
        return _json({v: list(terms.values()) for v, terms in taxonomy().items()})

    @r.get("/api/registry/completeness/{code}")
    def completeness(request: Request, code: str) -> Response:
        from aankomst.registry.web_pages import area_profile

        bind(request)
        level = request.query_params.get("level", "neighbourhood")
        return _json(area_profile(ctx, code, level))

    @r.get("/api/registry/areas.geojson")
    def areas(request: Request) -> Response:
        from aankomst.registry.web_pages import areas_geojson

        bind(request)
        return _json(areas_geojson(ctx, request.query_params.get("municipality"),
                                   request.query_params.get("bbox")))


def _raw_json(body: bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(body, media_type="application/json",
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", **(headers or {})})


def _bool_q(request: Request, key: str) -> bool:
    return str(request.query_params.get(key, "")).lower() in ("1", "true", "yes", "on")


def _export(ctx: Any, fmt: str) -> Response:
    from aankomst.registry.io import export_rows, to_csv, to_geojson

    with ctx.read() as s:
        rows = export_rows(svc.all_resources(s))
    if fmt == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="resources.csv"'})
    if fmt == "geojson":
        return Response(json.dumps(to_geojson(rows), ensure_ascii=False),
                        media_type="application/geo+json",
                        headers={"Content-Disposition": 'attachment; filename="resources.geojson"'})
    raise ValidationFailed([Problem("format", fmt, "unknown export format", "csv or geojson")])
