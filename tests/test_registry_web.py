"""Registry web API and pages: authentication, scopes, CSRF, injection, escaping, error hygiene,
throttling, cookies, optimistic concurrency over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

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

XSS = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
SQLI = "Robert'); DROP TABLE resources;-- ' OR '1'='1"


@pytest.fixture()
def env(registry_url, atlas):
    make_user(registry_url, "ed", "editor", ["11002"])
    make_user(registry_url, "ed2", "editor", ["11002"])
    make_user(registry_url, "root", "admin")
    app = app_for(registry_url, atlas)
    return registry_url, app


def _create(c, csrf, **over):
    r = c.post("/api/resources", json=payload(**over), headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    return r.json()


def test_unauthenticated_writes_are_401(env):
    _, app = env
    c = _client(app)
    for method, path in [("post", "/api/resources"), ("patch", "/api/resources/1"),
                         ("delete", "/api/resources/1"), ("post", "/api/resources/1/restore"),
                         ("post", "/api/resources/import"), ("post", "/api/registry/tokens")]:
        r = c.request(method.upper(), path, json=payload() if method != "delete" else None)
        assert r.status_code == 401, (path, r.text)
        assert r.json()["error"]["code"] == "unauthorized"
    r = c.post("/resources/new", data={"name": "x"})
    assert r.status_code == 401 and "<html" in r.text
    r = c.post("/api/resources", json=payload(), headers={"Authorization": "Bearer akr_forged"})
    assert r.status_code == 401
    assert c.get("/api/resources").status_code == 200  # viewer: public read


def test_editor_outside_scope_is_403(env):
    url, app = env
    c = _client(app)
    csrf = login(c, "root")
    lon5, lat5 = lonlat(152500, 210500)  # N3, municipality 11005
    other = _create(c, csrf, municipality_nis="11005", name="Elders", lon=lon5, lat=lat5)
    c2 = _client(app)
    csrf2 = login(c2, "ed")
    h = {"X-CSRF-Token": csrf2}
    assert c2.post("/api/resources", json=payload(municipality_nis="11005"), headers=h).status_code == 403
    r = c2.patch(f"/api/resources/{other['id']}", json={"name": "x", "version": 1}, headers=h)
    assert r.status_code == 403 and "11002" in r.json()["error"]["message"]
    assert c2.delete(f"/api/resources/{other['id']}", headers=h).status_code == 403
    mine = c2.post("/api/resources", json=payload(), headers=h)
    assert mine.status_code == 201
    # moving own resource out of scope is refused too
    r = c2.patch(f"/api/resources/{mine.json()['id']}", json={"municipality_nis": "11005", "version": 1}, headers=h)
    assert r.status_code == 403
    # municipality derived from the location (point in 11005) -> 403
    lon, lat = lonlat(152500, 210500)
    rec = payload(lon=lon, lat=lat)
    rec.pop("municipality_nis")
    assert c2.post("/api/resources", json=rec, headers=h).status_code == 403
    # an import row outside the scope is reported, nothing written
    lon1, lat1 = lonlat(150500, 210500)
    csv_text = ("name,domains,spheres,provider_type,formality,scale,municipality_nis,lon,lat\n"
                f"A,health,market,public,formal,municipality,11002,{lon1},{lat1}\n"
                f"B,health,market,public,formal,municipality,11005,{lon},{lat}\n")
    r = c2.post("/api/resources/import?format=csv", content=csv_text, headers=h)
    assert r.status_code == 422 and r.json()["problems"][0]["row"] == 3
    assert c.get("/api/resources").json()["total"] == 2


def test_csrf_required_for_cookie_writes(env):
    _, app = env
    c = _client(app)
    csrf = login(c, "ed")
    assert c.post("/api/resources", json=payload()).status_code == 403
    assert c.post("/api/resources", json=payload(), headers={"X-CSRF-Token": "wrong"}).status_code == 403
    r = c.post("/resources/new", data={k: v for k, v in payload().items() if not isinstance(v, list)})
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/resources/logout", data={})
    assert r.status_code == 403
    # login form: double-submit cookie required
    c3 = _client(app)
    r = c3.post("/resources/login", data={"name": "ed", "password": PASSWORD, "csrf_token": "x"})
    assert r.status_code == 403
    # with the token from the form it works, and sets a session cookie
    page = c3.get("/resources/login")
    tok = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c3.post("/resources/login", data={"name": "ed", "password": PASSWORD, "csrf_token": tok},
                follow_redirects=False)
    assert r.status_code == 303
    # the form with the session's CSRF token is accepted
    form = {k: (";".join(v) if isinstance(v, list) else v) for k, v in payload().items()}
    form["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', c3.get("/resources/new").text).group(1)
    r = c3.post("/resources/new", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/resources/")
    assert csrf


def test_bearer_token_needs_no_csrf_and_can_be_revoked(env):
    _, app = env
    c = _client(app)
    csrf = login(c, "ed")
    r = c.post("/api/registry/tokens", json={"name": "script"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    tok, tid = r.json()["token"], r.json()["id"]
    listed = c.get("/api/registry/tokens").json()["tokens"]
    assert tok not in str(listed) and listed[0]["prefix"] == tok[:10]
    bare = _client(app)
    h = {"Authorization": f"Bearer {tok}"}
    assert bare.post("/api/resources", json=payload(), headers=h).status_code == 201
    assert c.delete(f"/api/registry/tokens/{tid}", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert bare.post("/api/resources", json=payload(), headers=h).status_code == 401


def test_sql_injection_strings_stored_and_shown_literally(env):
    _, app = env
    c = _client(app)
    csrf = login(c, "ed")
    rid = _create(c, csrf, name=SQLI, description=SQLI, address="'; DELETE FROM users; --")["id"]
    got = c.get(f"/api/resources/{rid}").json()
    assert got["name"] == SQLI and got["address"] == "'; DELETE FROM users; --"
    assert c.get("/api/resources", params={"q": "' OR 1=1 --"}).json()["total"] == 0
    assert c.get("/api/resources", params={"q": "DROP TABLE"}).json()["total"] == 1
    r = c.get("/api/resources", params={"domain": "health' OR '1'='1"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_code"
    r = c.get("/api/resources", params={"municipality": "11002' OR '1'='1"})
    assert r.status_code == 200 and r.json()["total"] == 0
    page = c.get(f"/resources/{rid}").text
    assert "Robert&#39;); DROP TABLE resources;-- &#39; OR &#39;1&#39;=&#39;1" in page
    assert c.get("/api/resources").json()["total"] == 1  # table still there


def test_script_payloads_escaped_on_every_page(env):
    url, app = env
    c = _client(app)
    csrf = login(c, "ed")
    rid = _create(c, csrf, name=XSS, description=XSS, address=XSS, opening_hours=XSS, contact=XSS,
                  website=XSS, source=XSS)["id"]
    r = c.patch(f"/api/resources/{rid}", json={"description": XSS + " v2", "version": 1},
                headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    c.post("/api/registry/tokens", json={"name": XSS}, headers={"X-CSRF-Token": csrf})
    pages = ["/resources", f"/resources/{rid}", f"/resources/{rid}/edit", f"/resources/{rid}/history",
             "/resources/areas/N1", "/resources/completeness", "/resources/account", "/resources/login",
             "/resources/new", "/resources/import", f"/resources?q={XSS}", f"/resources/login?next={XSS}",
             "/resources/areas/%3Cscript%3E", f"/resources?lang=fr&q={XSS}", f"/resources/{rid}?lang={XSS}",
             "/registry/practices", f"/registry/practices?q={XSS}&ocmw={XSS}"]
    for p in pages:
        r = c.get(p)
        assert r.status_code in (200, 404), (p, r.status_code)
        assert "<script>alert" not in r.text and "<img src=x" not in r.text, p
        assert "script-src 'self'" in r.headers.get("content-security-policy", ""), p
        # only the registry's and the atlas's own script files (no inline script)
        assert not re.search(r"<script(?![^>]*src=\"/(resources/)?static/)", r.text), p
    assert "&lt;script&gt;alert" in c.get(f"/resources/{rid}").text
    # import report echoes bad values escaped
    files = {"file": ("x.csv", f"name,domains\n{XSS},{XSS}\n".encode(), "text/csv")}
    tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/resources/import").text).group(1)
    r = c.post("/resources/import", files=files, data={"csrf_token": tok})
    assert r.status_code == 422 and "<script>alert" not in r.text and "&lt;script&gt;" in r.text


def test_no_secrets_or_stack_traces(env, monkeypatch):
    url, app = env
    from aankomst.registry import service as svc

    c = _client(app)
    csrf = login(c, "ed")
    body = c.get("/api/registry/me").text + c.get("/api/resources").text
    assert "argon2" not in body and "password" not in body

    def boom(*a, **k):
        raise RuntimeError("secret-internal-detail /etc/passwd")

    monkeypatch.setattr(svc, "search", boom)
    for p in ("/api/resources?q=uncached", "/resources"):
        r = c.get(p)
        assert r.status_code == 500
        assert "secret-internal-detail" not in r.text and "Traceback" not in r.text and 'File "' not in r.text
    r = c.post("/api/resources", content=b"{not json", headers={"X-CSRF-Token": csrf,
                                                              "content-type": "application/json"})
    assert r.status_code == 422 and "Traceback" not in r.text
    # wrong user and wrong password give the same message
    a = _client(app).post("/api/registry/login", json={"name": "nobody", "password": "x" * 12})
    b = _client(app).post("/api/registry/login", json={"name": "ed", "password": "x" * 12})
    assert a.status_code == b.status_code == 401 and a.json() == b.json()
    assert PASSWORD not in a.text and url.split("@")[0] not in c.get("/resources").text


def test_login_throttling(env):
    _, app = env
    c = _client(app)
    for _ in range(5):
        assert c.post("/api/registry/login", json={"name": "ed2", "password": "wrong-password"}).status_code == 401
    r = c.post("/api/registry/login", json={"name": "ed2", "password": PASSWORD})
    assert r.status_code == 429 and r.headers.get("retry-after")
    assert c.post("/api/registry/login", json={"name": "ed", "password": PASSWORD}).status_code == 200


def test_cookie_flags(env, monkeypatch):
    url, app = env
    r = _client(app).post("/api/registry/login", json={"name": "ed", "password": PASSWORD})
    sc = r.headers["set-cookie"].lower()
    assert "httponly" in sc and "samesite=strict" in sc and "secure" not in sc
    monkeypatch.setenv("AANKOMST_REGISTRY_COOKIE_SECURE", "1")
    r = _client(app_for(url)).post("/api/registry/login", json={"name": "ed", "password": PASSWORD})
    assert "secure" in r.headers["set-cookie"].lower()


def test_two_editors_conflict_over_http(env):
    _, app = env
    a, b = _client(app), _client(app)
    ca, cb = login(a, "ed"), login(b, "ed2")
    rid = _create(a, ca)["id"]
    ra = a.patch(f"/api/resources/{rid}", json={"opening_hours": "ma-vr 9-17", "version": 1},
                 headers={"X-CSRF-Token": ca})
    rb = b.patch(f"/api/resources/{rid}", json={"contact": "03 000 00 00", "version": 1},
                 headers={"X-CSRF-Token": cb})
    assert ra.status_code == 200 and rb.status_code == 409
    cur = rb.json()["error"]["current"]
    assert cur["version"] == 2 and cur["opening_hours"] == "ma-vr 9-17"
    rb = b.patch(f"/api/resources/{rid}", json={"contact": "03 000 00 00"},
                 headers={"X-CSRF-Token": cb, "If-Match": '"2"'})
    assert rb.status_code == 200
    final = a.get(f"/api/resources/{rid}").json()
    assert final["opening_hours"] == "ma-vr 9-17" and final["contact"] == "03 000 00 00"
    assert len(a.get(f"/api/resources/{rid}/history").json()["entries"]) == 3
    # the HTML form shows a conflict page (409) and keeps the user's input
    tok = re.search(r'name="csrf_token" value="([^"]+)"', b.get(f"/resources/{rid}/edit").text).group(1)
    form = {k: (v if not isinstance(v, list) else v[0]) for k, v in payload(name="Mijn versie").items()}
    r = b.post(f"/resources/{rid}/edit", data={**form, "csrf_token": tok, "version": "1"})
    assert r.status_code == 409 and "Mijn versie" in r.text


def test_search_api_filters_and_geojson(env):
    _, app = env
    c = _client(app)
    csrf = login(c, "root")
    for name, x, dom, elig, scale in [("Zorg N1", 150500, "health", "status_all", "neighbourhood"),
                                      ("Zorg N2", 151500, "health", "belgian", "neighbourhood"),
                                      ("Taal N3", 152500, "language", "status_all", "municipality")]:
        lon, lat = lonlat(x, 210500)
        _create(c, csrf, name=name, lon=lon, lat=lat, domains=[dom], eligibility=[elig], scale=scale,
                municipality_nis="11002" if x < 152000 else "11005")
    lon, lat = lonlat(150500, 210500)
    r = c.get("/api/resources", params={"domain": "health", "eligible": "undocumented",
                                        "near": f"{lat},{lon}", "radius_m": 5000}).json()
    assert [i["name"] for i in r["items"]] == ["Zorg N1"] and r["items"][0]["distance_m"] < 1
    r = c.get("/api/resources", params={"near": f"{lat},{lon}", "radius_m": 1500}).json()
    assert [i["name"] for i in r["items"]] == ["Zorg N1", "Zorg N2"]
    gj = c.get("/api/resources", params={"format": "geojson", "sphere": "redistribution"}).json()
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 3
    assert c.get("/api/resources", params={"near": "abc"}).status_code == 422
    html = c.get("/resources", params={"domain": "language"}).text
    assert "Taal N3" in html and "Zorg N1" not in html
    prof = c.get("/api/registry/completeness/N1").json()
    st = {d["domain"]: d["status"] for d in prof["domains"]}
    assert st["health"] == "local" and st["language"] == "supra_local" and st["work"] == "none"


def test_open_redirect_refused(env):
    _, app = env
    c = _client(app)
    page = c.get("/resources/login?next=//evil.example/x")
    tok = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/resources/login", data={"name": "ed", "password": PASSWORD, "csrf_token": tok,
                                         "next": "//evil.example/x"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/resources"


def test_mounted_in_atlas_app(registry_url, atlas):
    """When the web engineer's app exists, the registry works through it too."""
    try:
        from aankomst.web.app import create_app
    except ImportError:
        pytest.skip("aankomst.web.app.create_app is not available yet")
    make_user(registry_url, "ed", "editor", ["11002"])
    app = create_app(str(atlas), registry_url=registry_url)
    c = _client(app)
    assert c.get("/resources").status_code == 200
    csrf = login(c, "ed")
    assert c.post("/api/resources", json=payload()).status_code == 403
    assert c.post("/api/resources", json=payload(), headers={"X-CSRF-Token": csrf}).status_code == 201
    assert c.get("/api/resources").json()["total"] == 1


def test_read_cache_sees_every_change(env):
    _, app = env
    c = _client(app)
    csrf = login(c, "ed")
    h = {"X-CSRF-Token": csrf}
    rid = _create(c, csrf, name="Oud")["id"]
    assert c.get("/api/resources?domain=health").json()["total"] == 1
    assert c.get(f"/api/resources/{rid}").json()["name"] == "Oud"
    assert c.patch(f"/api/resources/{rid}", json={"name": "Nieuw", "domains": ["work"], "version": 1},
                   headers=h).status_code == 200
    assert c.get("/api/resources?domain=health").json()["total"] == 0
    assert c.get(f"/api/resources/{rid}").json()["name"] == "Nieuw"
    assert c.delete(f"/api/resources/{rid}", headers=h).status_code == 200
    assert c.get("/api/resources?domain=work").json()["total"] == 0
    assert _client(app).get(f"/api/resources/{rid}").status_code == 404


def test_json_api_refuses_cross_site_simple_posts(env):
    """A cross-site HTML form can send text/plain without a CORS preflight: refused."""
    _, app = env
    c = _client(app)
    r = c.post("/api/registry/login", content=f'{{"name": "ed", "password": "{PASSWORD}"}}',
               headers={"content-type": "text/plain"})
    assert r.status_code == 422 and "set-cookie" not in r.headers


def test_app_from_env(registry_url, monkeypatch):
    from aankomst.errors import AankomstError
    from aankomst.registry.web import app_from_env

    monkeypatch.delenv("AANKOMST_REGISTRY_URL", raising=False)
    with pytest.raises(AankomstError, match="AANKOMST_REGISTRY_URL"):
        app_from_env()
    monkeypatch.setenv("AANKOMST_REGISTRY_URL", registry_url)
    assert _client(app_from_env()).get("/api/resources").json()["total"] == 0
