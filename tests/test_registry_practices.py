"""Exchange of practices over HTTP (issue 12 item 5), on SQLite and on PostgreSQL: the API with
the registry's accounts, scopes, CSRF, optimistic concurrency and audit log; search filters;
CSV/JSON export; the pages (list with filters, detail, form) in nl/fr/en; practices of the same
domain on a resource's page; error messages in the three languages."""

from __future__ import annotations

import csv
import io
import re

import pytest
from test_registry_support import (
    _registry_templates,  # noqa: F401  (fixture)
    app_for,
    atlas,  # noqa: F401  (fixture)
    login,
    make_user,
    payload,
    registry_url,  # noqa: F401  (fixture)
)
from test_registry_support import client as _client

GOOD = {"title": "Nederlands op de werkvloer", "ocmw_code": "11002", "domain": "language",
        "approach": "Dutch lessons during article 60 jobs, with a job coach", "results": "70 % pass A2",
        "target_groups": ["article_60_workers", "newcomers"],
        "links": [{"url": "https://example.be/taal", "label": "Verslag"}],
        "contact_email": "taal@ocmw.example.be", "published_on": "2026-03-01"}
XSS = '<script>alert("x")</script>'


@pytest.fixture()
def env(registry_url, atlas):  # noqa: F811
    make_user(registry_url, "ed", "editor", ["11002"])
    make_user(registry_url, "viewer", "viewer")
    make_user(registry_url, "root", "admin")
    return registry_url, app_for(registry_url, atlas)


def _post(c, csrf, **over):
    r = c.post("/registry/api/practices", json={**GOOD, **over}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    return r.json()


def test_api_create_search_update_delete_with_scopes_and_audit(env):
    _, app = env
    c = _client(app)
    csrf = login(c, "ed")
    h = {"X-CSRF-Token": csrf}
    # anonymous and viewers may read, not write; editors only for their OCMWs
    assert _client(app).post("/registry/api/practices", json=GOOD).status_code == 401
    v = _client(app)
    vh = {"X-CSRF-Token": login(v, "viewer")}
    assert v.post("/registry/api/practices", json=GOOD, headers=vh).status_code == 403
    r = c.post("/registry/api/practices", json={**GOOD, "ocmw_code": "44021"}, headers=h)
    assert r.status_code == 403 and "11002" in r.json()["error"]["message"]
    assert c.post("/registry/api/practices", json=GOOD).status_code == 403  # cookie without CSRF token
    p = _post(c, csrf)
    assert p["version"] == 1 and p["target_groups"] == ["article_60_workers", "newcomers"]
    root = _client(app)
    rh = {"X-CSRF-Token": login(root, "root")}
    other = root.post("/registry/api/practices", headers=rh, json={
        **GOOD, "title": "Roma-brugfiguren", "ocmw_code": "44021", "domain": "participation",
        "target_groups": ["roma", "families"], "links": [], "approach": "Bridge workers from the community"}).json()
    pub = _client(app)
    # search: OCMW, domain, target group, text
    assert [x["id"] for x in pub.get("/registry/api/practices?ocmw=11002").json()["items"]] == [p["id"]]
    assert pub.get("/registry/api/practices?ocmw=11002,44021").json()["total"] == 2
    assert pub.get("/registry/api/practices?target=roma").json()["items"][0]["title"] == "Roma-brugfiguren"
    assert pub.get("/registry/api/practices?domain=language").json()["total"] == 1
    assert pub.get("/registry/api/practices?q=JOB%20COACH").json()["total"] == 1
    assert pub.get("/registry/api/practices?q=100%25").json()["total"] == 0  # % is literal
    bad = pub.get("/registry/api/practices?domain=space&target=martians&ocmw=12")
    assert bad.status_code == 422
    assert {x["column"] for x in bad.json()["error"]["problems"]} == {"domain", "target", "ocmw"}
    # the editor may not change the other OCMW's practice; PUT needs the version read
    assert c.put(f"/registry/api/practices/{other['id']}", json={**GOOD, "version": 1}, headers=h).status_code == 403
    r = c.put(f"/registry/api/practices/{p['id']}", json={**GOOD, "title": "Taal op de werkvloer", "version": 1},
              headers=h)
    assert r.status_code == 200 and r.json()["version"] == 2 and r.headers["etag"] == '"2"'
    stale = c.put(f"/registry/api/practices/{p['id']}", json={**GOOD, "version": 1}, headers=h)
    assert stale.status_code == 409 and stale.json()["error"]["current"]["title"] == "Taal op de werkvloer"
    moved = c.put(f"/registry/api/practices/{p['id']}", json={**GOOD, "ocmw_code": "44021", "version": 2}, headers=h)
    assert moved.status_code == 403  # moving out of the scope
    invalid = c.put(f"/registry/api/practices/{p['id']}", json={**GOOD, "links": "javascript:alert(1)", "version": 2},
                    headers=h)
    assert invalid.status_code == 422 and invalid.json()["error"]["problems"][0]["column"] == "links"
    # audit: who changed what (names for the editor of the OCMW, roles for the public)
    hist = c.get(f"/registry/api/practices/{p['id']}/history").json()["entries"]
    assert [(e["action"], e["user"]) for e in hist] == [("create", "ed"), ("update", "ed")]
    assert hist[1]["changed"] == ["title"]
    assert [e["user"] for e in pub.get(f"/registry/api/practices/{p['id']}/history").json()["entries"]] == [None, None]
    # soft delete
    assert c.delete(f"/registry/api/practices/{p['id']}?version=1", headers=h).status_code == 409
    assert c.delete(f"/registry/api/practices/{p['id']}?version=2", headers=h).status_code == 200
    assert pub.get(f"/registry/api/practices/{p['id']}").status_code == 404
    assert pub.get(f"/registry/api/practices/{p['id']}/history").status_code == 404
    assert [e["action"] for e in c.get(f"/registry/api/practices/{p['id']}/history").json()["entries"]][-1] == "delete"
    assert pub.get("/registry/api/practices").json()["total"] == 1


def test_exports_are_spreadsheet_safe(env):
    _, app = env
    c = _client(app)
    csrf = login(c, "ed")
    _post(c, csrf, title="=HYPERLINK(\"http://evil\")", target_groups=["roma"])
    _post(c, csrf, title="Second", domain="housing", links=[])
    r = _client(app).get("/registry/practices/export.csv?domain=language")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 1 and rows[0]["target_groups"] == "roma"
    assert not rows[0]["title"].startswith("=")  # neutralised for spreadsheets
    assert rows[0]["links"] == "https://example.be/taal"
    j = _client(app).get("/registry/practices/export.json").json()
    assert sorted(x["title"] for x in j["items"])[1] == "Second"
    assert _client(app).get("/registry/api/practices?format=csv").text.count("\n") == 3


def test_pages_list_detail_form_in_three_languages(env):
    _, app = env
    c = _client(app)
    csrf = login(c, "ed")
    p = _post(c, csrf, title=XSS)
    pub = _client(app)
    fr = pub.get("/registry/practices?ocmw=11002&lang=fr")
    assert fr.status_code == 200 and '<html lang="fr">' in fr.text
    assert "Pratiques des CPAS" in fr.text and "Langue" in fr.text and "Travailleurs article 60" in fr.text
    assert "Praktijken van OCMW" not in fr.text and "&lt;script&gt;" in fr.text and XSS not in fr.text
    assert f'href="/registry/practices/{p["id"]}?lang=fr"' in fr.text
    assert 'href="/ocmw/11002?lang=fr"' in fr.text  # to the OCMW's dashboard
    nl = pub.get("/registry/practices?domain=language")
    assert "Praktijken van OCMW" in nl.text and "Artikel 60-werknemers" in nl.text
    assert pub.get("/registry/practices?domain=housing").text.count('class="practice"') == 0
    d = pub.get(f"/registry/practices/{p['id']}?lang=en")
    assert d.status_code == 200 and "Article 60 workers" in d.text and "Approach" in d.text
    assert 'href="https://example.be/taal"' in d.text and "edit-link" not in d.text
    # the editor's form: create through the page (CSRF from the session), errors re-shown
    page = c.get("/registry/practices/new?lang=fr")
    assert page.status_code == 200 and "Nouvelle pratique" in page.text
    tok = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": tok, "title": "Onthaal", "ocmw_code": "11002", "domain": "reception",
            "approach": "Een onthaalbalie", "target_groups": ["newcomers"], "links": "https://a.example\nnot a url"}
    bad = c.post("/registry/practices/new?lang=fr", data=form)
    assert bad.status_code == 422 and "Certains champs ne sont pas valides." in bad.text and "not a url" in bad.text
    ok = c.post("/registry/practices/new?lang=fr", data={**form, "links": "https://a.example"}, follow_redirects=False)
    assert ok.status_code == 303 and re.fullmatch(r"/registry/practices/\d+\?lang=fr", ok.headers["location"])
    assert "Onthaal" in c.get(ok.headers["location"]).text
    assert pub.get("/registry/practices/new", follow_redirects=False).status_code == 303  # log in first


def test_resource_page_lists_practices_of_its_domain(env):
    _, app = env
    c = _client(app)
    csrf = login(c, "ed")
    _post(c, csrf)  # domain language
    _post(c, csrf, title="Schuldhulp in de eigen taal", domain="debt", links=[])
    rid = c.post("/api/resources", json=payload(domains=["language"]), headers={"X-CSRF-Token": csrf}).json()["id"]
    rid2 = c.post("/api/resources", json=payload(domains=["social_services"]),
                  headers={"X-CSRF-Token": csrf}).json()["id"]
    rid3 = c.post("/api/resources", json=payload(domains=["religion"]), headers={"X-CSRF-Token": csrf}).json()["id"]
    page = _client(app).get(f"/resources/{rid}?lang=fr").text
    assert "Pratiques des CPAS dans ce domaine" in page and "Nederlands op de werkvloer" in page
    assert "Gemeente 11002 (11002)" in page  # OCMW named from the atlas
    assert "Schuldhulp" in _client(app).get(f"/resources/{rid2}").text  # social services -> debt, income
    assert "domain-practices" not in _client(app).get(f"/resources/{rid3}").text  # no mapped domain


def test_error_messages_in_three_languages_one_shape(env):
    _, app = env
    pub = _client(app)
    for lang, text in (("nl", "Niet gevonden."), ("fr", "Introuvable."), ("en", "no practice with id 999")):
        r = pub.get(f"/registry/api/practices/999?lang={lang}")
        body = r.json()
        assert r.status_code == 404 and set(body) == {"error"}
        assert set(body["error"]) == {"status", "code", "message", "detail"}
        assert body["error"]["code"] == "not_found" and text in body["error"]["message"]
    page = pub.get("/registry/practices/999?lang=fr")
    assert page.status_code == 404 and "Erreur 404" in page.text and "Introuvable." in page.text
    assert "Fout 404" in pub.get("/resources/999").text
    r = pub.post("/registry/api/practices?lang=fr", json=GOOD)
    assert r.status_code == 401 and r.json()["error"]["message"].startswith("Connectez-vous")
