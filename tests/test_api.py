"""API tests on a tiny hand-made atlas with a hand-computed stand-in engine (tests/web_support.py).

Every endpoint, its errors (one JSON shape, 404/422, no stack traces), the small-cell rule,
security headers, caching (ETag/gzip) and parameter validation (Hypothesis).
"""

from __future__ import annotations

import csv
import io
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import web_support as ws
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient

    import aankomst.indicators as ind
    from aankomst.web.app import create_app

    db = ws.build_tiny_atlas(tmp_path_factory.mktemp("web") / "tiny.duckdb")
    mp = pytest.MonkeyPatch()
    mp.setattr(ind, "compute", ws.fake_compute, raising=False)
    mp.setattr(ind, "catalogue", ws.fake_catalogue, raising=False)
    mp.setattr(ind, "available_periods", ws.fake_periods, raising=False)
    app = create_app(str(db))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    mp.undo()


def err(r, status: int, code: str | None = None) -> dict:
    """Check the one error shape and return the error object."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    e = body["error"]
    assert set(e) == {"status", "code", "message", "detail"}
    assert e["status"] == status
    if code:
        assert e["code"] == code, e
    assert "Traceback" not in r.text
    return e


def by_code(body: dict) -> dict:
    return {r["area_code"]: r for r in body["data"]}


# ------------------------------------------------------------------ service & catalogue
def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["areas"] == 9


def test_openapi_documents_the_paths_other_tools_rely_on(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/indicators", "/api/areas", "/api/values", "/api/areas/{code}/profile", "/healthz",
                 "/api/areas/{code}/series", "/api/change", "/api/export", "/api/search", "/api/levels"):
        assert path in spec["paths"], path
    params = {p["name"] for p in spec["paths"]["/api/values"]["get"]["parameters"]}
    assert {"indicator", "level", "period", "group"} <= params


def test_indicators_grouped_by_theme(client):
    body = client.get("/api/indicators").json()
    assert {r["id"] for r in body["indicators"]} == {"share_foreign", "population"}
    assert body["themes"] == [{"theme": "population", "indicators": ["share_foreign", "population"]}]
    row = next(r for r in body["indicators"] if r["id"] == "share_foreign")
    assert row["levels"] == ["region", "municipality"]
    assert row["definition_en"] == "ETR / total × 100"


def test_levels_and_classes(client):
    lv = {d["level"]: d for d in client.get("/api/levels").json()}
    assert lv["municipality"]["areas"] == 4 and lv["neighbourhood"]["with_geometry"] == 4
    cl = client.get("/api/classes").json()
    ids = {s["id"] for s in cl["schemes"]}
    assert {"jenks", "quantiles", "diverging"} <= ids
    assert any(p["cb_safe"] for p in cl["palettes"].values())


def test_periods(client):
    r = client.get("/api/periods", params={"indicator": "share_foreign", "level": "municipality"})
    assert r.json()["periods"] == ["2019", "2020"] and r.json()["latest"] == "2020"


# ------------------------------------------------------------------ geometry
def test_areas_geojson_in_wgs84(client):
    r = client.get("/api/areas", params={"level": "municipality"})
    assert r.status_code == 200
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 4
    f = next(f for f in fc["features"] if f["id"] == "91004")
    assert f["properties"]["name"] == "Brussel / Bruxelles"
    assert f["properties"]["name_fr"] == "Bruxelles"
    xs = [c[0] for c in f["geometry"]["coordinates"][0]]
    ys = [c[1] for c in f["geometry"]["coordinates"][0]]
    # Lambert 72 (150000..160000, 170000..180000) lies near 4.37-4.51 E, 50.84-50.93 N
    assert 4.3 < min(xs) < max(xs) < 4.6 and 50.8 < min(ys) < max(ys) < 51.0
    w, s, e, n = fc["bbox"]
    assert w < min(xs) + 1e-3 and e > max(xs) - 1e-3 and s < min(ys) + 1e-3 and n > max(ys) - 1e-3
    assert fc["aankomst"]["crs"] == "EPSG:4326"


def test_areas_zoom_buckets_quantise(client):
    lo = client.get("/api/areas", params={"level": "neighbourhood", "zoom": 6}).json()
    hi = client.get("/api/areas", params={"level": "neighbourhood", "zoom": 14}).json()
    assert lo["aankomst"]["zoom"] == 7 and hi["aankomst"]["zoom"] == 13
    c_lo = lo["features"][0]["geometry"]["coordinates"][0][0]
    c_hi = hi["features"][0]["geometry"]["coordinates"][0][0]
    assert all(abs(v * 1e4 - round(v * 1e4)) < 1e-6 for v in c_lo)  # 1e-4 degree grid
    assert all(abs(v * 1e5 - round(v * 1e5)) < 1e-6 for v in c_hi)


def test_gzip_and_etag(client):
    r = client.get("/api/areas", params={"level": "municipality"}, headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    etag = r.headers["etag"]
    r2 = client.get("/api/areas", params={"level": "municipality"}, headers={"If-None-Match": etag})
    assert r2.status_code == 304
    r3 = client.get("/api/areas", params={"level": "municipality"}, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in r3.headers
    assert json.loads(r3.content)["type"] == "FeatureCollection"


def test_unknown_level_errors(client):
    err(client.get("/api/areas", params={"level": "galaxy"}), 422, "invalid_parameter")
    e = err(client.get("/api/areas", params={"level": "sector"}), 404, "unknown_level")
    assert "municipality" in e["message"]  # names the levels that exist


# ------------------------------------------------------------------ values and the small-cell rule
def test_values_hand_computed(client):
    body = client.get("/api/values", params={"indicator": "share_foreign", "level": "municipality",
                                             "period": "2020"}).json()
    rows = by_code(body)
    assert rows["91001"]["value"] == pytest.approx(22.0)
    assert rows["91004"]["value"] == pytest.approx(38.0)
    assert rows["91002"]["value"] == pytest.approx(5.0)
    assert rows["91003"]["value"] is None and rows["91003"]["suppressed"] is False
    assert body["meta"]["unit"] == "%" and body["meta"]["definition_nl"] == "ETR / totaal × 100"
    assert body["period"] == "2020"
    cls = body["classes"]
    assert sum(cls["counts"]) == 3 and len(cls["colours"]) == cls["k"] == len(cls["edges"]) - 1


def test_values_default_period_is_latest(client):
    body = client.get("/api/values", params={"indicator": "share_foreign", "level": "region"}).json()
    assert body["period"] == "2020"
    # region = sums of counts: (242 + 26 + 0 + 760) / (1100 + 520 + 0 + 2000)
    assert by_code(body)["09000"]["value"] == pytest.approx(1028 / 3620 * 100)


def test_small_cell_rule_on_rates(client):
    """2019: 91002 has 3 foreign nationals (numerator 1..4): value, numerator, denominator hidden."""
    body = client.get("/api/values", params={"indicator": "share_foreign", "level": "municipality",
                                             "period": "2019"}).json()
    r = by_code(body)["91002"]
    assert r["suppressed"] is True
    assert r["value"] is None and r["numerator"] is None and r["denominator"] is None
    assert body["n_suppressed"] == 1
    assert "3" not in json.dumps(r)


def test_small_cell_rule_on_counts(client):
    """The stand-in engine returns an unprotected count of 3: the API must suppress it."""
    body = client.get("/api/values", params={"indicator": "population", "level": "municipality",
                                             "period": "2019", "group": "ETR"}).json()
    rows = by_code(body)
    assert rows["91002"]["suppressed"] is True and rows["91002"]["value"] is None
    assert rows["91001"]["value"] == 200 and rows["91003"]["value"] == 0  # 0 is publishable


def test_small_cell_rule_in_exports_and_series(client):
    text = client.get("/api/export", params={"indicator": "population", "level": "municipality",
                                             "period": "2019", "group": "ETR"}).text
    rows = {r["area_code"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["91002"]["value"] == "" and rows["91002"]["suppressed"] == "True"
    s = client.get("/api/areas/91002/series", params={"indicator": "share_foreign"}).json()
    area = s["series"][0]
    assert area["column"] == "area" and area["values"][0] == {"value": None, "suppressed": True}
    assert area["values"][1]["value"] == pytest.approx(5.0)


def test_values_errors(client):
    e = err(client.get("/api/values", params={"indicator": "nope", "level": "municipality"}), 404, "unknown_indicator")
    assert "share_foreign" in e["message"]
    err(client.get("/api/values", params={"level": "municipality"}), 422, "invalid_parameter")
    err(client.get("/api/values", params={"indicator": "share_foreign", "level": "municipality",
                                          "period": "2019; DROP TABLE areas"}), 422, "invalid_parameter")
    e = err(client.get("/api/values", params={"indicator": "share_foreign", "level": "municipality",
                                              "period": "1999"}), 404, "not_available")
    assert "1999" in e["message"]
    e = err(client.get("/api/values", params={"indicator": "share_foreign", "level": "neighbourhood"}), 404)
    assert "municipality" in e["message"]  # the levels this indicator has
    err(client.get("/api/values", params={"indicator": "share_foreign", "level": "municipality", "k": 40}),
        422, "invalid_parameter")
    err(client.get("/api/values", params={"indicator": "share_foreign", "level": "municipality",
                                          "classes": "astrology"}), 404, "unknown_classification_method")
    err(client.get("/api/values", params={"indicator": "share_foreign", "level": "municipality",
                                          "p_bad name": "x"}), 422)


def test_change_between_two_dates(client):
    body = client.get("/api/change", params={"indicator": "share_foreign", "level": "municipality",
                                             "from": "2019", "to": "2020"}).json()
    rows = by_code(body)
    assert rows["91001"]["value"] == pytest.approx(2.0)        # 22 - 20 percentage points
    assert rows["91004"]["value"] == pytest.approx(3.0)        # 38 - 35
    assert rows["91002"]["suppressed"] is True and rows["91002"]["value"] is None
    assert rows["91002"]["value_to"] is None                   # no back door through the other period
    assert body["meta"]["change"]["unit"] == "percentage points"
    cls = body["classes"]
    assert cls["scheme"] == "diverging" and cls["neutral"] is not None
    err(client.get("/api/change", params={"indicator": "share_foreign", "level": "municipality", "from": "2019"}),
        422, "invalid_parameter")


# ------------------------------------------------------------------ areas: search, profile, series
def test_search_nl_fr_and_injection(client):
    assert [r["code"] for r in client.get("/api/search", params={"q": "brux"}).json()["results"]] == ["91004"]
    assert [r["code"] for r in client.get("/api/search", params={"q": "Brussel"}).json()["results"]] == ["91004"]
    r = client.get("/api/search", params={"q": "'; DROP TABLE areas; --"})
    assert r.status_code == 200 and r.json()["results"] == []
    assert client.get("/api/search", params={"q": "%"}).json()["results"] == []  # LIKE wildcards escaped
    assert client.get("/healthz").json()["areas"] == 9
    err(client.get("/api/search", params={"q": "x" * 200}), 422, "invalid_parameter")


def test_profile_with_comparison_columns(client):
    p = client.get("/api/areas/91004/profile").json()
    assert p["area"]["name"] == "Brussel / Bruxelles" and p["area"]["level"] == "municipality"
    assert [c["column"] for c in p["columns"]] == ["area", "region"]
    share = next(r for r in p["indicators"] if r["id"] == "share_foreign")
    assert share["period"] == "2020"
    assert share["values"]["area"]["value"] == pytest.approx(38.0)
    assert share["values"]["region"]["value"] == pytest.approx(1028 / 3620 * 100)
    assert p["provenance"] == [{"title": "Test population", "publisher": "tests"}]


def test_profile_of_a_neighbourhood_finds_its_municipality(client):
    p = client.get("/api/areas/91001W02/profile").json()
    cols = {c["column"]: c["code"] for c in p["columns"]}
    assert cols == {"area": "91001W02", "municipality": "91001", "region": "09000"}


def test_profile_errors(client):
    e = err(client.get("/api/areas/99999/profile"), 404, "unknown_area")
    assert "99999" in e["message"]
    err(client.get("/api/areas/91001/profile", params={"level": "nowhere"}), 422)
    err(client.get("/api/areas/a%20b%3B/profile"), 422, "invalid_parameter")
    err(client.get("/api/areas/91001/series", params={"indicator": "nope"}), 404, "unknown_indicator")


def test_series(client):
    s = client.get("/api/areas/91001/series", params={"indicator": "share_foreign"}).json()
    assert s["periods"] == ["2019", "2020"]
    area = s["series"][0]
    assert [v["value"] for v in area["values"]] == [pytest.approx(20.0), pytest.approx(22.0)]
    assert s["series"][1]["column"] == "region"


# ------------------------------------------------------------------ exports
def test_export_csv(client):
    r = client.get("/api/export", params={"indicator": "share_foreign", "level": "municipality", "period": "2020"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="aankomst_share_foreign_municipality_2020.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 4
    assert {"definition", "source", "unit", "suppressed"} <= set(rows[0])
    assert float(next(x for x in rows if x["area_code"] == "91001")["value"]) == pytest.approx(22.0)


def test_export_change_and_geojson(client):
    r = client.get("/api/export", params={"indicator": "share_foreign", "level": "municipality",
                                          "from": "2019", "to": "2020", "format": "geojson"})
    fc = r.json()
    props = {f["id"]: f["properties"] for f in fc["features"]}
    assert props["91001"]["value"] == pytest.approx(2.0)
    assert props["91002"]["suppressed"] is True and props["91002"]["value"] is None
    assert fc["aankomst"]["period"] == "2019_2020"


# ------------------------------------------------------------------ security
def test_security_headers_everywhere(client):
    for path in ("/", "/api/indicators", "/api/nope", "/static/app.css"):
        h = client.get(path).headers
        csp = h["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp and "http" not in csp
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"


def test_pages_have_no_inline_scripts_or_styles(client):
    import re

    for path in ("/", "/area/municipality/91001"):
        html = client.get(path).text
        for m in re.finditer(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL):
            assert "src=" in m.group(1) and m.group(2).strip() == ""
        assert "<style" not in html and " style=" not in html
        assert "http://" not in html and "https://" not in html  # no CDN
    assert client.get("/static/vendor/maplibre-gl-csp.js").status_code == 200


def test_no_stack_trace_on_a_bug(client, monkeypatch):
    import aankomst.indicators as ind

    def broken(*a, **k):
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(ind, "compute", broken)
    r = client.get("/api/values", params={"indicator": "share_foreign", "level": "municipality", "period": "2020",
                                          "group": "not_cached_yet"})
    err(r, 500, "internal_error")
    assert "secret" not in r.text and "RuntimeError" not in r.text


def test_unknown_path_and_method(client):
    err(client.get("/api/nothing"), 404, "not_found")
    err(client.post("/api/indicators"), 405, "method_not_allowed")


def test_concurrent_requests_are_consistent(client):
    def get(i):
        r = client.get("/api/values", params={"indicator": "share_foreign", "level": "municipality",
                                              "period": "2020" if i % 2 else "2019", "k": 3})
        return r.status_code, by_code(r.json())["91001"]["value"]

    with ThreadPoolExecutor(8) as ex:
        out = list(ex.map(get, range(40)))
    assert all(s == 200 for s, _ in out)
    assert {round(v, 6) for _, v in out} == {20.0, 22.0}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["indicator", "level", "period", "group", "scheme", "classes", "k", "band", "zoom", "q"]),
       value=st.text(max_size=40))
def test_garbage_parameters_never_crash(client, key, value):
    base = {"indicator": "share_foreign", "level": "municipality", "period": "2020"}
    for path in ("/api/values", "/api/areas", "/api/search"):
        r = client.get(path, params={**base, "q": "a", key: value})
        assert r.status_code in (200, 404, 422), (path, key, value, r.text)
        if r.status_code != 200:
            err(r, r.status_code)


def test_gzip_body_matches(client):
    r = client.get("/api/values", params={"indicator": "share_foreign", "level": "municipality", "period": "2020"},
                   headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip"
    assert r.json()["indicator"] == "share_foreign"  # httpx decodes; the body is valid after gunzip


def test_values_compact_form_and_suppression(client):
    body = client.get("/api/values", params={"indicator": "share_foreign", "level": "municipality",
                                             "period": "2019", "form": "columns"}).json()
    assert body["form"] == "columns"
    cols = body["data"]["columns"]
    assert cols == ["area_code", "value", "suppressed"]
    rows = {r[0]: dict(zip(cols, r)) for r in body["data"]["data"]}
    assert rows["91001"]["value"] == pytest.approx(20.0)
    assert rows["91002"] == {"area_code": "91002", "value": None, "suppressed": True}
    err(client.get("/api/values", params={"indicator": "share_foreign", "level": "municipality", "form": "xml"}),
        422, "invalid_parameter")


def test_areas_compact_form_decodes_to_the_geojson(client):
    gj = client.get("/api/areas", params={"level": "municipality", "zoom": 13}).json()
    c = client.get("/api/areas", params={"level": "municipality", "zoom": 13, "format": "compact"}).json()
    assert c["type"] == "AankomstAreas" and c["grid"] == 1e-5 and len(c["features"]) == 4
    for f, cf in zip(gj["features"], c["features"]):
        assert cf["code"] == f["id"] and cf["name"] == f["properties"]["name"]
        ring = cf["g"][0][0]
        xs, ys = np.cumsum(ring[0::2]) * c["grid"], np.cumsum(ring[1::2]) * c["grid"]
        assert np.allclose(np.c_[xs, ys], f["geometry"]["coordinates"][0], atol=1e-9)


def test_warm_up_in_the_background_and_clean_stop(client):
    """``warm=True`` computes the latest values in the background; stopping waits for it."""
    from fastapi.testclient import TestClient

    from aankomst.web.app import create_app

    app = create_app(client.app.state.atlas_path, warm=True)
    svc = app.state.service
    with TestClient(app) as c:
        svc.background.submit(lambda: None).result(timeout=60)  # the warm-up task has finished
        assert svc.misc.get(("latest", "share_foreign", "municipality")) == "2020"
        assert c.get("/api/values", params={"indicator": "share_foreign", "level": "municipality"}).json()["period"] == "2020"
    assert svc.stopping.is_set() and svc.busy.wait_idle(0)
