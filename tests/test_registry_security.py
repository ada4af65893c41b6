"""Registry hardening (issue 14; docs/security.md): scopes follow geometry, bounded requests,
authentication before the body, every malformed input a 4xx in the one JSON error shape,
strict JSON types, login (same work for every failure, X-Forwarded-For only from trusted
proxies), deleted means hidden, serving without an atlas, no import cycle (issue 10).

Every probe is an HTTP request (TestClient, raw ASGI or a real uvicorn server), reproducible
with curl."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import socket
import statistics
import subprocess
import time
from pathlib import Path

import pytest
from test_registry_support import (
    PASSWORD,
    _registry_templates,
    app_for,
    atlas,
    login,
    lonlat,
    make_user,
    payload,
    registry_url,
)
from test_registry_support import client as _client

ROOT = Path(__file__).resolve().parents[1]
REG = ROOT / "src" / "aankomst" / "registry"
N1 = lonlat(150500, 210500)  # municipality 11002
N2 = lonlat(151500, 210500)  # municipality 11002
N3 = lonlat(152500, 210500)  # municipality 11005
N4 = lonlat(170500, 210500)  # municipality 11005
__all__ = ["_registry_templates", "atlas", "registry_url"]  # fixtures used through pytest


@pytest.fixture()
def env(registry_url, atlas):
    make_user(registry_url, "anna.editor", "editor", ["11002"])
    make_user(registry_url, "ed5", "editor", ["11005"])
    make_user(registry_url, "both", "editor", ["11002", "11005"])
    make_user(registry_url, "root", "admin")
    return registry_url, app_for(registry_url, atlas)


def _session(app, name):
    c = _client(app)
    return c, {"X-CSRF-Token": login(c, name)}


def _at(point, **over):
    lon, lat = point
    return {**payload(lon=lon, lat=lat), **over}


def _token(url, name):
    from sqlalchemy import select

    from aankomst.registry.auth import create_token
    from aankomst.registry.db import session_factory
    from aankomst.registry.models import User

    with session_factory(url, write=True)() as s, s.begin():
        return create_token(s, s.scalar(select(User).where(User.name == name)), "test")[1]


def _error_shape(r, status=None):
    """The project's one JSON error shape, with the HTTP status in it."""
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert {"status", "code", "message", "detail"} <= set(err), err
    assert err["status"] == r.status_code and isinstance(err["message"], str) and err["message"]
    assert "Traceback" not in r.text
    if status is not None:
        assert r.status_code == status, r.text
    return err


def _names_both_codes(r, status):
    """A refusal in the error shape whose message names both municipalities."""
    err = _error_shape(r, status)
    assert "11005" in err["message"] and "11002" in err["message"], err["message"]
    return err


def _form(rec, csrf):
    data = {k: v for k, v in rec.items() if not isinstance(v, list)}
    data.update({k: v for k, v in rec.items() if isinstance(v, list)})
    data["csrf_token"] = csrf
    return data


def _page_csrf(c, path="/resources/new"):
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text).group(1)


# ----------------------------------------------------------------------------- 2. geometry
def test_editor_cannot_create_at_a_point_outside_scope(env):
    _, app = env
    c, h = _session(app, "anna.editor")
    _names_both_codes(c.post("/api/resources", json=_at(N3, municipality_nis="11002"), headers=h), 403)
    # the form as well
    r = c.post("/resources/new", data=_form(_at(N3, municipality_nis="11002"), _page_csrf(c)))
    assert r.status_code == 403 and "11005" in r.text
    assert c.get("/api/resources").json()["total"] == 0


def test_declared_code_must_agree_with_the_point(env):
    _, app = env
    c, h = _session(app, "root")
    err = _names_both_codes(c.post("/api/resources", json=_at(N1, municipality_nis="11005"), headers=h), 422)
    assert err["problems"][0]["column"] == "municipality_nis"
    rec = _at(N3)
    rec.pop("municipality_nis")
    got = c.post("/api/resources", json=rec, headers=h).json()
    assert got["municipality_nis"] == "11005"


def test_editor_cannot_move_a_resource_out_of_scope(env):
    _, app = env
    c, h = _session(app, "anna.editor")
    rid = c.post("/api/resources", json=_at(N1), headers=h).json()["id"]
    lon3, lat3 = N3
    for body in ({"lon": lon3, "lat": lat3}, {"lon": lon3, "lat": lat3, "municipality_nis": "11005"},
                 {"lon": lon3, "lat": lat3, "municipality_nis": "11002"}, {"municipality_nis": "11005"}):
        _names_both_codes(c.patch(f"/api/resources/{rid}", json={**body, "version": 1}, headers=h), 403)
    # the edit form
    form = _form(_at(N3, name="Verhuisd"), _page_csrf(c, f"/resources/{rid}/edit"))
    form["version"] = "1"
    r = c.post(f"/resources/{rid}/edit", data=form)
    assert r.status_code == 403 and "11005" in r.text
    # an import update row
    csv_text = f"id,version,lon,lat\n{rid},1,{lon3},{lat3}\n"
    r = c.post("/api/resources/import?format=csv", content=csv_text, headers=h)
    assert r.status_code == 422 and not r.json().get("written"), r.text
    assert "11005" in r.json()["problems"][0]["message"]
    # import create rows: point outside the scope, code inside it
    lon4, lat4 = N4
    csv_text = ("name,domains,spheres,provider_type,formality,scale,municipality_nis,lon,lat\n"
                f"Elders,health,market,public,formal,municipality,11002,{lon4},{lat4}\n")
    r = c.post("/api/resources/import?format=csv", content=csv_text, headers=h)
    assert r.status_code == 422 and r.json()["problems"][0]["row"] == 2
    assert "11005" in r.json()["problems"][0]["message"]
    after = c.get(f"/api/resources/{rid}").json()
    assert (after["version"], after["municipality_nis"], after["lon"]) == (1, "11002", N1[0])


def test_a_move_inside_the_scope_takes_the_new_municipality(env):
    _, app = env
    c, h = _session(app, "both")
    rid = c.post("/api/resources", json=_at(N2), headers=h).json()["id"]
    lon, lat = N3
    r = c.patch(f"/api/resources/{rid}", json={"lon": lon, "lat": lat, "version": 1}, headers=h)
    assert r.status_code == 200 and r.json()["municipality_nis"] == "11005"


def test_registry_boundary_copy_serves_without_atlas(registry_url, atlas):
    from aankomst.registry.areas import load_boundaries

    make_user(registry_url, "anna.editor", "editor", ["11002"])
    make_user(registry_url, "root", "admin")
    bare = app_for(registry_url)  # no atlas, no boundaries yet: editors cannot place resources
    c, h = _session(bare, "anna.editor")
    err = _error_shape(c.post("/api/resources", json=_at(N1), headers=h), 403)
    assert "boundaries" in err["message"]
    a, ha = _session(bare, "root")
    assert a.post("/api/resources", json=_at(N1), headers=ha).status_code == 201  # admins can
    from typer.testing import CliRunner

    from aankomst.cli import make_app

    r = CliRunner().invoke(make_app(), ["registry", "boundaries", "--db", str(atlas), "--url", registry_url])
    assert r.exit_code == 0 and "copied 2 municipality boundaries" in r.stdout, r.stdout
    assert load_boundaries(registry_url, atlas) == 2  # replacing the copy is idempotent
    assert c.post("/api/resources", json=_at(N1), headers=h).status_code == 201
    _names_both_codes(c.post("/api/resources", json=_at(N3, municipality_nis="11002"), headers=h), 403)
    err = _names_both_codes(a.post("/api/resources", json=_at(N3, municipality_nis="11002"), headers=ha), 422)
    assert "the registry's municipality boundaries" in err["message"]


# ----------------------------------------------------------------------------- 3. bounded requests
def _asgi(app, method, path, headers, chunks, chunk_size=1_000_000, query=b""):
    """Call the app with a body of ``chunks`` chunks; returns (status, body, chunks consumed)."""
    consumed = 0
    sent = {"status": None, "body": b""}

    async def receive():
        nonlocal consumed
        if consumed < chunks:
            consumed += 1
            return {"type": "http.request", "body": b"x" * chunk_size, "more_body": consumed < chunks}
        await asyncio.sleep(3600)  # the app must not wait for more

    async def send(msg):
        if msg["type"] == "http.response.start":
            sent["status"] = msg["status"]
        elif msg["type"] == "http.response.body":
            sent["body"] += msg.get("body", b"")

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
             "root_path": "", "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
             "headers": [(b"host", b"testserver"), *headers]}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 60))
    return sent["status"], sent["body"], consumed


def test_anonymous_100mb_upload_refused_before_reading_the_body(env):
    url, app = env
    chunked = [(b"content-type", b"text/csv"), (b"transfer-encoding", b"chunked")]
    status, body, consumed = _asgi(app, "POST", "/api/resources/import", chunked, 100, query=b"format=csv")
    assert status == 401 and consumed == 0 and json.loads(body)["error"]["code"] == "unauthorized"
    status, _, consumed = _asgi(app, "POST", "/resources/import",
                                [(b"content-type", b"multipart/form-data; boundary=x"),
                                 (b"content-length", b"100000000")], 100)
    assert status == 401 and consumed == 0
    tok = [(b"authorization", b"Bearer " + _token(url, "anna.editor").encode())]
    status, body, consumed = _asgi(app, "POST", "/api/resources/import",
                                   tok + [(b"content-type", b"text/csv"), (b"content-length", b"100000000")],
                                   100, query=b"format=csv")
    assert status == 413 and consumed == 0 and json.loads(body)["error"]["code"] == "too_large"
    status, _, consumed = _asgi(app, "POST", "/api/resources/import", tok + chunked, 100, query=b"format=csv")
    assert status == 413 and consumed <= 21  # stopped at the 20 MB limit, not at 100 MB


def test_body_limits_are_configurable(registry_url, atlas):
    from fastapi import FastAPI

    from aankomst.registry.limits import Limits
    from aankomst.registry.web import make_router

    make_user(registry_url, "anna.editor", "editor", ["11002"])
    app = FastAPI()
    app.include_router(make_router(registry_url, str(atlas), limits=Limits(json_body_bytes=2000, import_rows=2)))
    c, h = _session(app, "anna.editor")
    err = _error_shape(c.post("/api/resources", json=_at(N1, description="x" * 3000), headers=h), 413)
    assert "2,000" in err["message"]
    rows = "\n".join(["name,domains"] + ["a,health"] * 3)
    err = _error_shape(c.post("/api/resources/import?format=csv", content=rows, headers=h), 422)
    assert "3 rows; at most 2" in err["message"]
    assert Limits.from_env({"AANKOMST_REGISTRY_LIMIT_IMPORT_ROWS": "7"}).import_rows == 7
    from aankomst.errors import AankomstError

    with pytest.raises(AankomstError, match="AANKOMST_REGISTRY_LIMIT_JSON_DEPTH"):
        Limits.from_env({"AANKOMST_REGISTRY_LIMIT_JSON_DEPTH": "-1"})


def test_duplicate_check_of_codes_is_linear(env):
    from aankomst.registry.validate import clean_record, split_multi

    t = time.perf_counter()
    assert split_multi(";".join(f"c{i}" for i in range(30_000)))[-1] == "c29999"
    assert time.perf_counter() - t < 1.0
    _, probs = clean_record({"domains": [f"d{i}" for i in range(30_000)]}, partial=True)
    assert "too many values (30000)" in probs[0].message
    _, app = env
    c, h = _session(app, "anna.editor")
    t = time.perf_counter()
    r = c.post("/api/resources", json=_at(N1, domains=";".join(["health"] * 30_000)), headers=h)
    assert r.status_code == 422 and time.perf_counter() - t < 2.0


def _slow_verify(monkeypatch, seconds):
    from aankomst.registry import auth

    real = auth.verify_password

    def slow(hashed, password):
        time.sleep(seconds)
        return real(hashed, password)

    monkeypatch.setattr(auth, "verify_password", slow)


async def _timed(client, method, path, **kw):
    t = time.perf_counter()
    r = await client.request(method, path, **kw)
    return r, time.perf_counter() - t


def test_failed_logins_do_not_delay_other_requests(registry_url, monkeypatch):
    """12 anonymous wrong logins (each a slow password check) while /healthz is asked: the
    health check answers at once (before: 1.75 s, the checks ran on the event loop)."""
    import httpx

    from aankomst.web.app import create_app

    _slow_verify(monkeypatch, 0.3)
    app = create_app(None, registry_url=registry_url)

    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as cl:
            logins = [asyncio.create_task(_timed(cl, "POST", "/api/registry/login",
                                                 json={"name": f"u{i}", "password": "wrong password"}))
                      for i in range(12)]
            await asyncio.sleep(0.05)
            health = await _timed(cl, "GET", "/healthz")
            done = await asyncio.gather(*logins)
            return health, done

    (health, h_time), done = asyncio.run(main())
    assert health.status_code == 200
    assert [r.status_code for r, _ in done] == [401] * 12
    assert max(t for _, t in done) > 1.0  # the password checks really took time …
    assert h_time < 0.5, h_time  # … and did not hold up the health check


def test_login_queue_is_bounded(registry_url, monkeypatch):
    import httpx
    from fastapi import FastAPI

    from aankomst.registry.limits import Limits
    from aankomst.registry.web import make_router

    _slow_verify(monkeypatch, 0.3)
    app = FastAPI()
    app.include_router(make_router(registry_url, limits=Limits(login_workers=1, login_queue=2)))

    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as cl:
            return await asyncio.gather(*[cl.post("/api/registry/login", json={"name": f"u{i}", "password": "x" * 12})
                                          for i in range(6)])

    got = asyncio.run(main())
    codes = sorted(r.status_code for r in got)
    assert codes.count(503) >= 1 and codes.count(401) >= 2, codes
    busy = next(r for r in got if r.status_code == 503)
    assert busy.headers["retry-after"] and busy.json()["error"]["code"] == "busy"


# ----------------------------------------------------------------------------- 4. malformed input
BAD_GET = [
    ("/api/resources/123456789012345678901", 404),
    ("/api/resources/123456789012345678901/history", 404),
    ("/api/resources/2147483648", 404),
    ("/api/resources?offset=123456789012345678901", 422),
    ("/api/resources?limit=123456789012345678901", 422),
    ("/api/resources?offset=-1", 422),
    ("/api/resources?q=" + "a" * 50_001, 422),
    ("/api/resources?near=51.2,4.4&radius_m=nan", 422),
    ("/api/resources?near=51.2,4.4&radius_m=inf", 422),
    ("/api/resources?radius_m=-inf", 422),
    ("/api/resources?near=nan,nan", 422),
    ("/api/resources?as_of=20240101999", 422),
    ("/api/resources?municipality=" + ",".join(["11002"] * 500), 422),
    ("/api/resources?domain=" + "x" * 3000, 422),
    ("/api/registry/areas.geojson?bbox=nan,nan,nan,nan", 422),
    ("/api/registry/areas.geojson?municipality=%3Cscript%3E", 422),
    ("/api/resources/export?format=xlsx", 422),
]


@pytest.mark.parametrize("path,status", BAD_GET)
def test_malformed_query_is_a_4xx(env, path, status):
    _, app = env
    _error_shape(_client(app).get(path), status)


def _raw(c, path, body, h, method="POST"):
    return c.request(method, path, content=body, headers={**h, "content-type": "application/json"})


def test_malformed_json_bodies_are_4xx(env):
    _, app = env
    c, h = _session(app, "anna.editor")
    rid = c.post("/api/resources", json=_at(N1), headers=h).json()["id"]
    cases = [
        (b"[" * 100_000, 422, "nested too deeply"),
        (json.dumps({"name": [[[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]]}).encode(), 422, "nested too deeply"),
        (b'{"name": "\\ud800x"}', 422, "lone surrogate"),
        (b'{"name": "x", "lon": NaN, "lat": 51.2}', 422, "NaN"),
        (b'{"name": "x", "lon": Infinity}', 422, "Infinity"),
        (b'{"name": "x", "lon": 1e400}', 422, "out of range"),
        (b'{"lon": ' + b"9" * 5000 + b"}", 422, "not valid JSON"),
        (b'{"name": "x"', 422, "not valid JSON"),
        (b"\xff\xfe\xfa", 422, "JSON"),
        (b"[1, 2]", 422, "not a JSON object"),
        (json.dumps({"languages": ["nl"] * 1000}).encode(), 422, "array too long"),
    ]
    for body, status, words in cases:
        err = _error_shape(_raw(c, "/api/resources", body, h), status)
        assert words in err["message"], (body[:40], err["message"])
        err = _error_shape(_raw(c, f"/api/resources/{rid}", body, h, "PATCH"), status)
    r = c.post("/api/registry/login", content=b'{"name": "ann\\udc00", "password": "x"}',
               headers={"content-type": "application/json"})
    assert "lone surrogate" in _error_shape(r, 422)["message"]
    r = c.post("/api/registry/login", content=b"[" * 100_000, headers={"content-type": "application/json"})
    _error_shape(r, 413)
    r = c.post("/api/registry/login", json={"name": ["ed"], "password": "x"})
    assert "expected a text" in _error_shape(r, 422)["message"]
    assert c.get(f"/api/resources/{rid}").json()["version"] == 1


@pytest.mark.parametrize("field,value", [
    ("name", ["Wijkhuis"]), ("name", {"nl": "Wijkhuis"}), ("name", True), ("name", 12),
    ("description", ["a", "b"]), ("provider_type", ["public"]), ("domains", [1, 2]),
    ("domains", {"health": True}), ("lon", True), ("lon", "nan"), ("lat", [51.2]),
    ("valid_from", 20240101), ("municipality_nis", 11002.0), ("municipality_nis", True),
])
def test_strict_json_types(env, field, value):
    _, app = env
    c, h = _session(app, "root")
    err = _error_shape(c.post("/api/resources", json=_at(N1, **{field: value}), headers=h), 422)
    assert any(p["column"] == field for p in err["problems"]), err
    assert c.get("/api/resources").json()["total"] == 0


def test_version_must_be_a_whole_number(env):
    _, app = env
    c, h = _session(app, "anna.editor")
    rid = c.post("/api/resources", json=_at(N1), headers=h).json()["id"]
    for v in (1.9, 1.0, True, "1.9", [1], "01234567890", 0, -1):
        err = _error_shape(c.patch(f"/api/resources/{rid}", json={"name": "nieuw", "version": v}, headers=h), 422)
        assert err["problems"][0]["column"] == "version", v
    _error_shape(c.delete(f"/api/resources/{rid}?version=abc", headers=h), 422)
    got = c.get(f"/api/resources/{rid}").json()
    assert got["version"] == 1 and got["name"] != "nieuw"
    assert c.patch(f"/api/resources/{rid}", json={"name": "nieuw", "version": 1}, headers=h).status_code == 200


def test_malformed_forms_are_4xx(env):
    _, app = env
    c, _ = _session(app, "anna.editor")
    tok = _page_csrf(c)
    r = c.post("/resources/import", content=b"--x\r\n", headers={"content-type": "multipart/form-data"})
    assert r.status_code == 400 and "boundary" in r.text
    big = "x" * 1_100_000
    r = c.post("/resources/new", files={"name": (None, big)}, data={"csrf_token": tok})
    assert r.status_code == 413 and "Traceback" not in r.text
    r = c.post("/resources/new", data={"name": big, "csrf_token": tok})
    assert r.status_code == 413
    r = c.post("/resources/new", data=_form(_at(N1, lon="nan"), tok))
    assert r.status_code == 422 and "finite" in r.text
    r = c.post("/resources/new", data=_form(_at(N1), tok), files={"name": ("a.txt", b"x", "text/plain")})
    assert r.status_code == 400 and "files" in r.text  # no file fields in this form
    r = c.post("/resources/import", files={"file": ("a.csv", b"name\nx\n", "text/csv"),
                                           "other": ("b.csv", b"name\ny\n", "text/csv")}, data={"csrf_token": tok})
    assert r.status_code == 400  # one file only
    r = c.post("/api/resources", json=_at(N1), headers={"X-CSRF-Token": "t\u00e9st".encode("latin-1")})
    _error_shape(r, 403)


@pytest.mark.parametrize("doc", [
    {"type": "FeatureCollection", "features": [1]},
    {"type": "FeatureCollection", "features": "abc"},
    {"type": "FeatureCollection", "features": [{"geometry": "x"}]},
    {"type": "FeatureCollection", "features": [{"geometry": {"type": "Point", "coordinates": "ab"}}]},
    {"type": "FeatureCollection", "features": [{"geometry": {"type": "Point", "coordinates": [4.4, 51.2]},
                                                "properties": ["name"]}]},
    {"type": "FeatureCollection", "features": [{"geometry": {"type": "Point", "coordinates": [[4.4], {}]},
                                                "properties": {"name": "x"}}]},
    {"type": "FeatureCollection", "features": [{"geometry": {"type": "Point", "coordinates": [4.4, 51.2]},
                                                "properties": {"name": {"nl": "x"}}, "id": 1.5}]},
    ["not", "a", "collection"],
])
def test_malformed_geojson_imports_are_4xx(env, doc):
    _, app = env
    c, h = _session(app, "anna.editor")
    r = c.post("/api/resources/import?format=geojson", content=json.dumps(doc), headers=h)
    assert r.status_code == 422, r.text
    body = r.json()
    assert ("error" in body and body["error"]["status"] == 422) or body["ok"] is False
    files = {"file": ("x.geojson", json.dumps(doc).encode(), "application/geo+json")}
    r = c.post("/resources/import", files=files, data={"csrf_token": _page_csrf(c, "/resources/import")})
    assert r.status_code == 422 and "Traceback" not in r.text


def test_malformed_import_files_are_4xx(env):
    _, app = env
    c, h = _session(app, "anna.editor")
    for body in (b"name,domains\nA\x00,health\n", b"name\n" + b'"' + b"x" * 200_000 + b'"\n',
                 b'{"type": "FeatureCollection", "features": [NaN]}', b"[" * 50_000,
                 (b'{"type": "FeatureCollection", "features": [{"geometry": {"type": "Point", '
                  b'"coordinates": [4.4, 51.2]}, "properties": {"name": "\\ud800"}}]}')):
        r = c.post("/api/resources/import", content=body, headers=h)
        assert r.status_code == 422, (body[:30], r.text)
        if "error" in r.json():
            _error_shape(r, 422)
        else:
            assert r.json()["ok"] is False and r.json()["problems"]


# ----------------------------------------------------------------------------- 5. login
def test_every_failed_login_does_one_password_check(env, monkeypatch):
    url, app = env
    from sqlalchemy import update

    from aankomst.registry import auth
    from aankomst.registry.db import session_factory
    from aankomst.registry.models import User

    make_user(url, "gone", "editor", ["11002"])
    make_user(url, "broken", "editor", ["11002"])
    with session_factory(url, write=True)() as s, s.begin():
        s.execute(update(User).where(User.name == "gone").values(active=False))
        s.execute(update(User).where(User.name == "broken").values(password_hash="not-a-hash"))
    calls = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    answers = []
    for name, password in [("nobody", "x" * 12), ("gone", PASSWORD), ("gone", "x" * 12),
                           ("broken", PASSWORD), ("anna.editor", "x" * 12)]:
        calls.clear()
        r = _client(app).post("/api/registry/login", json={"name": name, "password": password})
        assert r.status_code == 401 and len(calls) == 1, (name, calls)
        answers.append(r.json())
    assert all(a == answers[0] for a in answers)
    c3 = _client(app)
    tok = _page_csrf(c3, "/resources/login")
    calls.clear()
    r = c3.post("/resources/login", data={"name": "gone", "password": PASSWORD, "csrf_token": tok})
    assert r.status_code == 401 and len(calls) == 1


def test_deactivated_account_costs_as_much_time_as_a_wrong_password(registry_url, monkeypatch):
    """With the production argon2 parameters: a deactivated account must not answer in
    6 ms while others take ~130 ms."""
    from sqlalchemy import update

    from aankomst.registry import auth
    from aankomst.registry.db import session_factory
    from aankomst.registry.models import User

    monkeypatch.delenv("AANKOMST_REGISTRY_ARGON2", raising=False)
    monkeypatch.setattr(auth, "_HASHER", None)
    monkeypatch.setattr(auth, "_DUMMY", None)
    make_user(registry_url, "active1", "editor", ["11002"])
    make_user(registry_url, "gone1", "editor", ["11002"])
    with session_factory(registry_url, write=True)() as s, s.begin():
        s.execute(update(User).where(User.name == "gone1").values(active=False))
    app = app_for(registry_url)
    times: dict[str, list[float]] = {"active1": [], "gone1": [], "nobody": []}
    for _ in range(3):
        for name, spent in times.items():
            t = time.perf_counter()
            r = _client(app).post("/api/registry/login", json={"name": name, "password": "wrong password!"})
            spent.append(time.perf_counter() - t)
            assert r.status_code == 401
    med = {k: statistics.median(v) for k, v in times.items()}
    assert med["gone1"] > 0.5 * med["active1"] and med["nobody"] > 0.5 * med["active1"], med
    monkeypatch.setattr(auth, "_HASHER", None)
    monkeypatch.setattr(auth, "_DUMMY", None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(url, *extra):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "AANKOMST_REGISTRY_ARGON2": "1,8192,1"}
    p = subprocess.Popen([str(ROOT / ".venv" / "bin" / "aankomst"), "serve", "--registry", url,
                          "--port", str(port), *extra], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    import httpx

    deadline = time.monotonic() + 60
    while True:
        assert p.poll() is None, p.stderr.read().decode()[-2000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return p, f"http://127.0.0.1:{port}"
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)


def _stop(p):
    p.terminate()
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()


@pytest.mark.parametrize("trusted", [False, True])
def test_forwarded_for_is_trusted_only_from_configured_proxies(registry_url, trusted):
    """Rotating X-Forwarded-For from loopback must not dodge the per-address lock (20
    failures), unless the operator named the proxy with --forwarded-allow-ips. Also serves
    the registry without an atlas (no --db)."""
    import httpx

    from aankomst.registry import auth

    p, base = _serve(registry_url, *(["--forwarded-allow-ips", "127.0.0.1"] if trusted else []))
    try:
        codes = []
        with httpx.Client(base_url=base, timeout=30) as cl:
            assert cl.get("/resources").status_code == 200
            for i in range(auth.MAX_FAILURES_PER_CLIENT + 2):
                r = cl.post("/api/registry/login", json={"name": f"user{i}", "password": "wrong password"},
                            headers={"X-Forwarded-For": f"203.0.113.{i + 1}"})
                codes.append(r.status_code)
    finally:
        _stop(p)
    if trusted:
        assert codes == [401] * len(codes)
    else:
        assert codes[:auth.MAX_FAILURES_PER_CLIENT] == [401] * auth.MAX_FAILURES_PER_CLIENT
        assert codes[auth.MAX_FAILURES_PER_CLIENT:] == [429, 429]


# ----------------------------------------------------------------------------- 6. deleted = hidden
def test_deleted_resource_is_hidden_outside_its_scope(env):
    _, app = env
    c, h = _session(app, "anna.editor")
    rid = c.post("/api/resources", json=_at(N1, name="Verdwenen"), headers=h).json()["id"]
    assert c.delete(f"/api/resources/{rid}", headers=h).status_code == 200
    public = _client(app)
    other, _ = _session(app, "ed5")
    root, _ = _session(app, "root")
    for who in (public, other):
        for p in (f"/api/resources/{rid}", f"/api/resources/{rid}/history"):
            _error_shape(who.get(p), 404)
        for p in (f"/resources/{rid}", f"/resources/{rid}/history"):
            r = who.get(p)
            assert r.status_code == 404 and "Verdwenen" not in r.text
        assert who.get("/api/resources?include_deleted=1").json()["total"] == 0
    for who in (c, root):
        assert who.get(f"/api/resources/{rid}").json()["deleted"] is True
        assert [e["action"] for e in who.get(f"/api/resources/{rid}/history").json()["entries"]] == ["create", "delete"]
        assert who.get(f"/resources/{rid}").status_code == 200
        assert who.get("/api/resources?include_deleted=1").json()["total"] == 1


def test_public_history_shows_roles_not_account_names(env):
    url, app = env
    c, h = _session(app, "anna.editor")
    rid = c.post("/api/resources", json=_at(N1), headers=h).json()["id"]
    c.patch(f"/api/resources/{rid}", json={"name": "Nieuw", "version": 1}, headers=h)
    from aankomst.registry.db import session_factory
    from aankomst.registry.io import import_records, read_records

    lon, lat = N2
    rep = import_records(session_factory(url, write=True), read_records(
        f"name,domains,spheres,provider_type,formality,scale,municipality_nis,lon,lat\nB,health,market,"
        f"public,formal,municipality,11002,{lon},{lat}\n".encode(), fmt="csv"), actor="ops-team")
    assert rep["ok"], rep
    for who in (_client(app), _session(app, "ed5")[0]):
        entries = who.get(f"/api/resources/{rid}/history").json()["entries"]
        assert [(e["user"], e["role"]) for e in entries] == [(None, "editor"), (None, "editor")]
        page = who.get(f"/resources/{rid}/history?lang=en").text  # roles in the page's language
        assert "anna.editor" not in page and "editor" in page
        assert "redacteur" in who.get(f"/resources/{rid}/history").text
        assert [e["role"] for e in who.get(f"/api/resources/{rid + 1}/history").json()["entries"]] == ["system"]
        assert "ops-team" not in who.get(f"/resources/{rid + 1}/history").text
    for who in (c, _session(app, "root")[0]):
        entries = who.get(f"/api/resources/{rid}/history").json()["entries"]
        assert [e["user"] for e in entries] == ["anna.editor", "anna.editor"]
        assert "anna.editor" in who.get(f"/resources/{rid}/history").text


# ----------------------------------------------------------------------------- 7. without an atlas
def test_serve_registry_without_atlas(registry_url, atlas):
    from aankomst.registry.areas import load_boundaries
    from aankomst.web.app import create_app

    make_user(registry_url, "anna.editor", "editor", ["11002"])
    load_boundaries(registry_url, atlas)
    app = create_app(None, registry_url=registry_url)
    c = _client(app)
    assert c.get("/healthz").json()["atlas"] is False
    for p in ("/resources", "/resources/login", "/registry"):
        assert c.get(p).status_code == 200, p
    gj = c.get("/api/registry/areas.geojson").json()
    assert sorted(f["properties"]["code"] for f in gj["features"]) == ["11002", "11005"]
    gj = c.get("/api/registry/areas.geojson?municipality=11002").json()
    assert [f["id"] for f in gj["features"]] == ["11002"]
    h = {"X-CSRF-Token": login(c, "anna.editor")}
    rid = c.post("/api/resources", json=_at(N1), headers=h).json()["id"]
    assert c.get(f"/resources/{rid}").status_code == 200 and c.get("/resources/new").status_code == 200
    _names_both_codes(c.post("/api/resources", json=_at(N3, municipality_nis="11002"), headers=h), 403)
    err = _error_shape(c.get("/api/registry/completeness/N1"), 404)
    assert "--db" in err["message"]


# ----------------------------------------------------------------------------- 8. module structure
def _registry_imports(path: Path) -> set[str]:
    mods = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aankomst.registry"):
            mods.add(node.module)
            mods.update(f"{node.module}.{a.name}" for a in node.names)
    return {m.split(".")[2] for m in mods if m.count(".") >= 2}


def test_route_modules_do_not_import_each_other():
    names = ["web", "web_api", "web_pages", "http", "maps"]
    graph = {n: _registry_imports(REG / f"{n}.py") & set(names) - {n} for n in names}
    assert not graph["web_api"] & {"web", "web_pages"}, graph
    assert not graph["web_pages"] & {"web", "web_api"}, graph
    assert not graph["http"] and graph["maps"] <= set(), graph

    def reach(a, seen):
        for b in graph[a]:
            if b not in seen:
                seen.add(b)
                reach(b, seen)
        return seen

    assert all(n not in reach(n, set()) for n in names), graph


def test_no_first_party_optional_imports():
    src = ROOT / "src" / "aankomst"
    for p in sorted(REG.rglob("*.py")) + [src / "csvsafe.py", src / "cli" / "web.py", src / "cli" / "registry.py"]:
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Try) and any(
                    isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                    for h in node.handlers):
                assert False, f"{p.name}:{node.lineno}: try/except ImportError"
