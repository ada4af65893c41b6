"""HTML pages of the registry (Jinja2 templates, autoescaped; JS/CSS from ``static/``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aankomst.registry import auth
from aankomst.registry import service as svc
from aankomst.registry.validate import ValidationFailed, taxonomy

_PROFILE_LOCK = threading.Lock()


def _fingerprint(ctx: Any) -> tuple:
    from sqlalchemy import func, select

    from aankomst.registry.models import Resource

    with ctx.read() as s:
        n, last = s.execute(select(func.count(Resource.id), func.max(Resource.updated_at))).one()
    return (n, str(last), date.today().isoformat())


def completeness_frame(ctx: Any, level: str = "neighbourhood") -> tuple[Any, Any]:
    """(table, area_set) for all areas, cached until the registry changes."""
    from aankomst.registry.analysis import area_completeness

    if not ctx.atlas_path:
        raise svc.NotFound("no atlas is attached to this registry; start the server with --db ATLAS")
    key = (level, _fingerprint(ctx))
    with _PROFILE_LOCK:
        hit = ctx._profile_cache.get(key)
        if hit is not None:
            return hit
    out = area_completeness(ctx.atlas_path, ctx.url, level=level)
    with _PROFILE_LOCK:
        ctx._profile_cache.clear()
        ctx._profile_cache[key] = out
    return out


def area_profile(ctx: Any, code: str, level: str = "neighbourhood") -> dict[str, Any]:
    """Completeness profile of one area: per domain status, nearest resource, counts, gaps."""
    import math

    table, s = completeness_frame(ctx, level)
    sub = table[table["area_code"] == code]
    if sub.empty:
        raise svc.NotFound(f"no {level} with code {code!r} in the atlas")
    i = list(s.codes).index(code)
    dom = taxonomy()["domain"]
    rows = []
    for rec in sub.to_dict("records"):
        rows.append({
            "domain": rec["domain"], "label_nl": dom[rec["domain"]]["label_nl"],
            "label_en": dom[rec["domain"]]["label_en"], "status": rec["status"],
            "nearest_m": None if not math.isfinite(rec["nearest_m"]) else round(float(rec["nearest_m"])),
            "nearest_id": None if rec["nearest_id"] is None or rec["nearest_id"] is _NA() else int(rec["nearest_id"]),
            "nearest_name": rec["nearest_name"],
            "inside": bool(rec["inside"]),
            "counts": {k[6:]: int(v) for k, v in rec.items() if k.startswith("count_")},
        })
    local = [r["domain"] for r in rows if r["status"] == "local"]
    return {
        "level": level, "code": code, "name": s.names[i], "centre_basis": s.basis[i],
        "domains": rows, "local": len(local), "n_domains": len(rows),
        "completeness_pct": round(100.0 * len(local) / max(1, len(rows)), 1),
        "supra_local_only": [r["domain"] for r in rows if r["status"] == "supra_local"],
        "missing": [r["domain"] for r in rows if r["status"] == "none"],
    }


def _NA() -> Any:
    import pandas as pd

    return pd.NA


def areas_geojson(ctx: Any, municipality: str | None = None, bbox: str | None = None) -> dict[str, Any]:
    """Neighbourhood polygons (WGS84, simplified to 25 m) for the pages' map."""
    import numpy as np
    import shapely

    from aankomst.registry.areas import area_set, to_4326

    if not ctx.atlas_path:
        return {"type": "FeatureCollection", "features": []}
    s = area_set(ctx.atlas_path, "neighbourhood")
    sel: list[int] = list(range(len(s)))
    if municipality:
        try:
            m = area_set(ctx.atlas_path, "municipality")
            codes = list(m.codes)
            if str(municipality) in codes:
                poly = m.geoms[codes.index(str(municipality))]
                pts = shapely.points(s.centres[:, 0], s.centres[:, 1])
                sel = [int(i) for i in np.flatnonzero(shapely.contains(poly, pts))]
            else:
                sel = []
        except Exception:  # noqa: BLE001 - no municipality geometry: fall back to code prefix
            sel = [i for i in sel if str(s.codes[i]).startswith(str(municipality)[:5])]
    elif bbox:
        try:
            x0, y0, x1, y1 = (float(v) for v in str(bbox).split(","))
        except ValueError:
            raise ValidationFailed([svc.Problem("bbox", bbox, "not 4 numbers", "minlon,minlat,maxlon,maxlat")]) from None
        from aankomst.registry.areas import to_31370

        (ax, bx), (ay, by) = to_31370([x0, x1], [y0, y1])
        sel = [i for i in sel if ax <= s.centres[i, 0] <= bx and ay <= s.centres[i, 1] <= by][:600]
    elif len(s) > 400:
        sel = []
    # one vectorised simplify + projection for all selected polygons (not one call per polygon)
    geoms = shapely.transform(shapely.simplify(s.geoms[np.asarray(sel, dtype=int)], 25.0),
                              lambda xy: _proj(xy, to_4326))
    feats = [{"type": "Feature", "id": s.codes[i],
              "properties": {"code": s.codes[i], "name": s.names[i]},
              "geometry": shapely.geometry.mapping(g)} for i, g in zip(sel, geoms, strict=True)]
    return {"type": "FeatureCollection", "features": feats}


def _proj(xy: Any, fn: Any) -> Any:
    import numpy as np

    lon, lat = fn(xy[:, 0], xy[:, 1])
    return np.column_stack([np.round(lon, 6), np.round(lat, 6)])


def neighbourhood_of(ctx: Any, lon: float, lat: float) -> tuple[str, str] | None:
    """(code, name) of the neighbourhood containing a point, if an atlas is attached."""
    if not ctx.atlas_path:
        return None
    from aankomst.registry.areas import area_set, to_31370

    try:
        s = area_set(ctx.atlas_path, "neighbourhood")
    except Exception:  # noqa: BLE001 - no neighbourhood geometry
        return None
    x, y = to_31370([lon], [lat])
    code = s.locate(x, y)[0]
    if code is None:
        return None
    return code, s.names[list(s.codes).index(code)]


def add_routes(r: APIRouter, ctx: Any, bind: Callable[[Request], None]) -> None:
    """Register the HTML pages on ``r``."""
    from aankomst.registry.web import (
        LOGIN_CSRF_COOKIE,
        SESSION_COOKIE,
        _search_args,
        form_record,
        new_login_csrf,
        redirect,
        set_session_cookie,
    )

    @r.get("/resources", include_in_schema=False)
    def list_page(request: Request) -> Response:
        bind(request)
        qp = request.query_params
        filters = {k: qp.get(k, "") for k in ("q", "domain", "sphere", "eligible", "provider_type",
                                              "language", "municipality", "near", "radius_m")}
        args = _search_args(qp)
        if "limit" not in qp:
            args["limit"] = 100  # one page of the HTML list
        with ctx.read() as s:
            ctx.viewer(request, s)
            hits, total = svc.search(s, **args)
            items = [(svc.to_dict(x), d) for x, d in hits]
        from urllib.parse import urlencode

        keep = {k: v for k, v in qp.items() if k not in ("offset", "limit") and v}
        nxt = (f"/resources?{urlencode({**keep, 'offset': args['offset'] + args['limit']})}"
               if args["offset"] + args["limit"] < total else None)
        prev = (f"/resources?{urlencode({**keep, 'offset': max(0, args['offset'] - args['limit'])})}"
                if args["offset"] > 0 else None)
        return ctx.page(request, "list.html", {"items": items, "total": total, "f": filters,
                                               "first": args["offset"] + 1 if items else 0,
                                               "last": args["offset"] + len(items),
                                               "next_url": nxt, "prev_url": prev})

    @r.get("/resources/login", include_in_schema=False)
    def login_page(request: Request) -> Response:
        bind(request)
        with ctx.read() as s:
            ctx.viewer(request, s)
        token = new_login_csrf()
        resp = ctx.page(request, "login.html", {"login_csrf": token, "next": _safe_next(request.query_params.get("next"))})
        resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=ctx.secure(request), path="/")
        return resp

    @r.post("/resources/login", include_in_schema=False)
    async def login_post(request: Request) -> Response:
        bind(request)
        form = await request.form()
        if not auth.csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf_token")):
            raise svc.Forbidden("missing or wrong CSRF token; reload the login page and try again")
        client = request.client.host if request.client else "unknown"
        try:
            with ctx.write() as s, s.begin():
                user = auth.authenticate(s, str(form.get("name", "")), str(form.get("password", "")), client)
                secret, _ = auth.create_session(s, user)
        except (svc.Unauthorized, svc.TooManyAttempts) as exc:
            token = new_login_csrf()
            request.state.who = None
            resp = ctx.page(request, "login.html", {"login_csrf": token, "message": str(exc),
                                                    "next": _safe_next(form.get("next"))},
                            status=exc.status)
            resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                            secure=ctx.secure(request), path="/")
            return resp
        resp = redirect(_safe_next(form.get("next")))
        set_session_cookie(ctx, request, resp, secret)
        resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return resp

    @r.post("/resources/logout", include_in_schema=False)
    async def logout_post(request: Request) -> Response:
        bind(request)
        form = await request.form()
        with ctx.write() as s, s.begin():
            ctx.writer(request, s, form.get("csrf_token") or "")
            auth.end_session(s, request.cookies.get(SESSION_COOKIE))
        resp = redirect("/resources")
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    @r.get("/resources/new", include_in_schema=False)
    def new_page(request: Request) -> Response:
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
        if user is None:
            return redirect("/resources/login?next=/resources/new")
        return ctx.page(request, "form.html", {"rec": {}, "problems": [], "action": "/resources/new"})

    @r.post("/resources/new", include_in_schema=False)
    async def new_post(request: Request) -> Response:
        bind(request)
        form = await request.form()
        rec = form_record(form)
        try:
            with ctx.write() as s, s.begin():
                user = ctx.writer(request, s, form.get("csrf_token") or "")
                res = svc.create_resource(s, user, rec, atlas_path=ctx.atlas_path)
                rid = res.id
        except ValidationFailed as exc:
            return ctx.page(request, "form.html", {"rec": rec, "problems": exc.problems,
                                                   "action": "/resources/new"}, status=422)
        return redirect(f"/resources/{rid}")

    @r.get("/resources/import", include_in_schema=False)
    def import_page(request: Request) -> Response:
        bind(request)
        with ctx.read() as s:
            if ctx.viewer(request, s) is None:
                return redirect("/resources/login?next=/resources/import")
        return ctx.page(request, "import.html", {"report": None})

    @r.post("/resources/import", include_in_schema=False)
    async def import_post(request: Request) -> Response:
        from aankomst.errors import InputError
        from aankomst.registry.io import import_records, read_records

        bind(request)
        form = await request.form()
        with ctx.read() as s:
            user = ctx.writer(request, s, form.get("csrf_token") or "")
            s.expunge_all()
        up = form.get("file")
        if up is None or not hasattr(up, "read"):
            raise ValidationFailed([svc.Problem("file", None, "no file uploaded", "a CSV or GeoJSON file")])
        raw = await up.read()
        name = (up.filename or "upload")[:200]
        fmt = "geojson" if name.lower().endswith((".geojson", ".json")) else None
        try:
            records = read_records(raw, fmt=fmt, name=name)
            report = import_records(ctx.write, records, user=user, atlas_path=ctx.atlas_path,
                                    dry_run=form.get("dry_run") == "1", file=name)
        except InputError as exc:
            report = {"ok": False, "file": name, "rows": 0, "created": 0, "updated": 0, "written": False,
                      "problems": [{"row": p.row, "column": p.column, "value": None, "message": p.message,
                                    "expected": p.expected} for p in exc.problems]}
        return ctx.page(request, "import.html", {"report": report}, status=200 if report["ok"] else 422)

    @r.get("/resources/export.csv", include_in_schema=False)
    def export_csv(request: Request) -> Response:
        from aankomst.registry.web_api import _export

        bind(request)
        return _export(ctx, "csv")

    @r.get("/resources/export.geojson", include_in_schema=False)
    def export_geojson(request: Request) -> Response:
        from aankomst.registry.web_api import _export

        bind(request)
        return _export(ctx, "geojson")

    @r.get("/resources/account", include_in_schema=False)
    def account(request: Request) -> Response:
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            if user is None:
                return redirect("/resources/login?next=/resources/account")
            toks = auth.user_tokens(s, user.id)
        return ctx.page(request, "account.html", {"tokens": toks, "new_token": None})

    @r.post("/resources/account/tokens", include_in_schema=False)
    async def account_token(request: Request) -> Response:
        bind(request)
        form = await request.form()
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s, form.get("csrf_token") or "")
            _, secret = auth.create_token(s, user, str(form.get("name") or "token"))
            toks = auth.user_tokens(s, user.id)
        return ctx.page(request, "account.html", {"tokens": toks, "new_token": secret})

    @r.get("/resources/areas/{code}", include_in_schema=False)
    def profile_page(request: Request, code: str) -> Response:
        bind(request)
        with ctx.read() as s:
            ctx.viewer(request, s)
        level = request.query_params.get("level", "neighbourhood")
        return ctx.page(request, "profile.html", {"p": area_profile(ctx, code, level)})

    @r.get("/resources/completeness", include_in_schema=False)
    def completeness_page(request: Request) -> Response:
        from aankomst.registry.analysis import profile_summary

        bind(request)
        with ctx.read() as s:
            ctx.viewer(request, s)
        table, aset = completeness_frame(ctx, "neighbourhood")
        summ = profile_summary(table, len(taxonomy()["domain"]))
        names = dict(zip(aset.codes, aset.names))
        summ["name"] = summ["area_code"].map(names)
        summ = summ.sort_values(["local", "area_code"]).head(500)
        return ctx.page(request, "completeness.html", {"rows": summ.to_dict("records")})

    @r.get("/resources/{rid:int}", include_in_schema=False)
    def detail(request: Request, rid: int) -> Response:
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            res = svc.get_resource(s, rid, include_deleted=user is not None)
            d = svc.to_dict(res)
            may_edit = svc.can_edit(user, res.municipality_nis)
        nb = neighbourhood_of(ctx, d["lon"], d["lat"])
        return ctx.page(request, "detail.html", {"r": d, "may_edit": may_edit, "nb": nb})

    @r.get("/resources/{rid:int}/edit", include_in_schema=False)
    def edit_page(request: Request, rid: int) -> Response:
        bind(request)
        with ctx.read() as s:
            user = ctx.viewer(request, s)
            if user is None:
                return redirect(f"/resources/login?next=/resources/{rid}/edit")
            d = svc.to_dict(svc.get_resource(s, rid))
        return ctx.page(request, "form.html", {"rec": d, "problems": [], "action": f"/resources/{rid}/edit",
                                               "rid": rid, "version": d["version"]})

    @r.post("/resources/{rid:int}/edit", include_in_schema=False)
    async def edit_post(request: Request, rid: int) -> Response:
        bind(request)
        form = await request.form()
        rec = form_record(form)
        try:
            with ctx.write() as s, s.begin():
                user = ctx.writer(request, s, form.get("csrf_token") or "")
                svc.update_resource(s, user, rid, rec, form.get("version"), atlas_path=ctx.atlas_path)
        except ValidationFailed as exc:
            return ctx.page(request, "form.html", {"rec": rec, "problems": exc.problems, "rid": rid,
                                                   "action": f"/resources/{rid}/edit",
                                                   "version": form.get("version")}, status=422)
        except svc.Conflict as exc:
            return ctx.page(request, "form.html", {"rec": rec, "problems": [], "rid": rid,
                                                   "action": f"/resources/{rid}/edit",
                                                   "conflict": exc.details.get("current") or {"message": str(exc)},
                                                   "conflict_message": str(exc),
                                                   "version": (exc.details.get("current") or {}).get("version", form.get("version"))},
                            status=409)
        return redirect(f"/resources/{rid}")

    @r.post("/resources/{rid:int}/delete", include_in_schema=False)
    async def delete_post(request: Request, rid: int) -> Response:
        bind(request)
        form = await request.form()
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s, form.get("csrf_token") or "")
            svc.delete_resource(s, user, rid, form.get("version") or None)
        return redirect(f"/resources/{rid}")

    @r.post("/resources/{rid:int}/restore", include_in_schema=False)
    async def restore_post(request: Request, rid: int) -> Response:
        bind(request)
        form = await request.form()
        with ctx.write() as s, s.begin():
            user = ctx.writer(request, s, form.get("csrf_token") or "")
            svc.restore_resource(s, user, rid)
        return redirect(f"/resources/{rid}")

    @r.get("/resources/{rid:int}/history", include_in_schema=False)
    def history_page(request: Request, rid: int) -> Response:
        from aankomst.registry.models import Resource

        bind(request)
        with ctx.read() as s:
            ctx.viewer(request, s)
            entries = svc.history(s, rid)
            res = s.get(Resource, rid)
            name = res.name if res is not None else str(rid)
        return ctx.page(request, "history.html", {"entries": entries, "rid": rid, "name": name})


def _safe_next(v: Any) -> str:
    """Only same-site relative paths under /resources (no open redirect)."""
    v = str(v or "")
    if v.startswith("/resources") and not v.startswith("//") and "\\" not in v and "\n" not in v:
        return v
    return "/resources"
