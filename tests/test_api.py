"""API tests on the real indicator engine over the seeded demo atlas.

Every expected value is computed here, independently of the engine, with plain SQL over the
atlas tables (``tests/web_support.py``): stored counts and sums of sector counts along the
crosswalks. Covered: every endpoint, the one declaration behind the catalogue, periods and
groups, typed parameters (``p_NAME``), errors (one JSON shape, 404/422, no stack traces), the
small-cell rule, categorical indicators, security headers, caching (ETag/gzip, the one LRU),
and garbage parameters (Hypothesis).
"""

from __future__ import annotations

import csv
import io
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_support import by_code, client_for, error_of, population, sql, summed

pytest.importorskip("fastapi")

SUBSAHARAN = "nationality_group6:subsaharan_africa"
"""A group with small counts (1–4) in some sectors of the demo atlas on 1 January 2015."""


@pytest.fixture(scope="module")
def client(demo_atlas_path):
    with client_for(demo_atlas_path) as c:
        yield c


def values(client, **params) -> dict:
    r = client.get("/api/values", params=params)
    assert r.status_code == 200, r.text[:500]
    return r.json()


# ------------------------------------------------------------------ service & catalogue
def test_healthz(client, demo_atlas):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["areas"] == int(sql(demo_atlas, "SELECT count(*) AS n FROM areas")["n"].iloc[0])


def test_openapi_documents_the_paths_other_tools_rely_on(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/indicators", "/api/areas", "/api/values", "/api/areas/{code}/profile", "/healthz",
                 "/api/areas/{code}/series", "/api/change", "/api/export", "/api/search", "/api/levels",
                 "/api/periods", "/api/groups"):
        assert path in spec["paths"], path
    params = {p["name"] for p in spec["paths"]["/api/values"]["get"]["parameters"]}
    assert {"indicator", "level", "period", "group"} <= params
    assert "p_NAME" in spec["paths"]["/api/values"]["get"]["description"]


def test_indicators_come_from_the_one_declaration(client):
    from aankomst.indicators import get, listing

    body = client.get("/api/indicators").json()
    rows = {r["id"]: r for r in body["indicators"]}
    assert [r["id"] for r in body["indicators"]] == [r["id"] for r in listing()]
    assert {i for t in body["themes"] for i in t["indicators"]} == set(rows)
    imb = rows["internal_migration_balance"]
    assert imb["kind"] == "rate" and imb["groups"] == "optional" and imb["period_kind"] == "window"
    window = next(p for p in imb["parameters"] if p["name"] == "window")
    assert window["type"] == "int" and window["default"] == get("internal_migration_balance").param("window").default
    base_of = next(p for p in imb["parameters"] if p["name"] == "base_population_of")
    assert set(base_of["choices"]) == {"group", "total"}
    assert rows["foreign_nationality_share"]["groups"] == "fixed"
    assert rows["external_balance"]["levels"] == list(get("external_balance").levels)
    assert not any(k in rows["population"] for k in ("params", "implementation"))  # no old catalogue cells


def test_categories_of_categorical_indicators(client):
    from aankomst.paths import package_data

    with open(package_data("typology_classes.csv"), encoding="utf-8", newline="") as fh:
        table = sorted(csv.DictReader(fh), key=lambda r: int(r["order"]))
    row = next(r for r in client.get("/api/indicators").json()["indicators"] if r["id"] == "arrival_typology")
    assert row["kind"] == "categorical"
    assert [c["value"] for c in row["categories"]] == [r["class"] for r in table]
    assert [c["colour"] for c in row["categories"]] == [r["colour"] for r in table]
    assert all(not r["categories"] for r in client.get("/api/indicators").json()["indicators"]
               if r["kind"] != "categorical")


def test_levels_and_classes(client, demo_atlas):
    lv = {d["level"]: d for d in client.get("/api/levels").json()}
    n = sql(demo_atlas, "SELECT level, count(*) AS n, count(geometry) AS g FROM areas GROUP BY level").set_index("level")
    assert {k: d["areas"] for k, d in lv.items()} == {k: int(v) for k, v in n["n"].items()}
    assert lv["neighbourhood"]["with_geometry"] == int(n.loc["neighbourhood", "g"])
    cl = client.get("/api/classes").json()
    assert {"jenks", "quantiles", "diverging"} <= {s["id"] for s in cl["schemes"]}
    assert any(p["cb_safe"] for p in cl["palettes"].values())


# ------------------------------------------------------------------ the offer: periods and groups
def test_periods_are_the_years_with_counts(client, demo_atlas):
    r = client.get("/api/periods", params={"indicator": "population", "level": "municipality"}).json()
    years = sql(demo_atlas, "SELECT DISTINCT year(ref_date) AS y FROM population WHERE level = 'municipality' "
                            "AND scheme = 'total' ORDER BY 1")["y"]
    assert r["periods"] == [str(y) for y in years]
    assert r["latest"] == r["periods"][-1] and r["latest_layout"] == "2025" and r["period_kind"] == "date"
    assert "verified" not in r


def test_periods_of_windows_follow_the_window_parameter(client, demo_atlas):
    flows = sql(demo_atlas, "SELECT min(year) AS a, max(year) AS b FROM flows")
    first, last = int(flows["a"].iloc[0]), int(flows["b"].iloc[0])
    three = client.get("/api/periods", params={"indicator": "internal_migration_balance", "level": "municipality",
                                               "p_window": "3"}).json()
    assert three["params"] == {"window": 3} and three["periods"]
    for p in three["periods"]:
        y0, y1 = map(int, p.split("-"))
        assert y1 - y0 == 2 and first <= y0 and y1 <= last
    one = client.get("/api/periods", params={"indicator": "internal_migration_balance", "level": "municipality",
                                             "p_window": "1"}).json()
    assert all("-" not in p for p in one["periods"]) and len(one["periods"]) > len(three["periods"])


def test_periods_of_a_group_and_groups_on_offer(client):
    from aankomst.indicators import groups as G

    r = client.get("/api/periods", params={"indicator": "group_share", "level": "municipality"}).json()
    assert r["periods"] == []  # the group share needs a group
    r = client.get("/api/periods", params={"indicator": "group_share", "level": "municipality",
                                           "group": "nationality:ETR"}).json()
    assert r["periods"] and r["group"] == "nationality:ETR"
    g = client.get("/api/groups", params={"indicator": "group_share", "level": "municipality"}).json()
    assert g["use"] == "optional" and g["total"] is False
    schemes = {s["scheme"]: s["groups"] for s in g["schemes"]}
    assert {x["group"] for x in schemes["nationality"]} == {"BEL", "ETR"}
    assert set(G.scheme_groups("nationality_group6")) >= {x["group"] for x in schemes["nationality_group6"]}
    etr = next(x for x in schemes["nationality"] if x["group"] == "ETR")
    assert (etr["label_nl"], etr["label_en"]) == ("Vreemdelingen", "Foreign nationals")
    g = client.get("/api/groups", params={"indicator": "income_per_inhabitant", "level": "municipality"}).json()
    assert g == {"indicator": "income_per_inhabitant", "level": "municipality", "use": "none", "total": True,
                 "schemes": []}
    every = client.get("/api/groups").json()["schemes"]
    assert {"nationality", "nationality_group6"} <= {s["scheme"] for s in every}
    error_of(client.get("/api/groups", params={"indicator": "population"}), 422, "invalid_parameter")


# ------------------------------------------------------------------ geometry
def test_areas_geojson_in_wgs84(client, demo_atlas):
    import shapely
    from pyproj import Transformer

    r = client.get("/api/areas", params={"level": "municipality"})
    assert r.status_code == 200
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 20
    f = next(f for f in fc["features"] if f["id"] == "96001")
    assert f["properties"]["name"] == "Hoofdstad / Capitale" and f["properties"]["name_fr"] == "Capitale"
    # the stored Lambert 72 geometry's bounds, transformed independently
    wkb = sql(demo_atlas, "SELECT geometry FROM areas WHERE level = 'municipality' AND code = '96001'")["geometry"].iloc[0]
    x0, y0, x1, y1 = shapely.from_wkb(bytes(wkb)).bounds
    tr = Transformer.from_crs(31370, 4326, always_xy=True)
    (lo0, la0), (lo1, la1) = tr.transform(x0, y0), tr.transform(x1, y1)
    g = shapely.geometry.shape(f["geometry"])
    assert g.bounds == pytest.approx((lo0, la0, lo1, la1), abs=2e-3)  # 100 m simplification, 1e-4° grid
    w, s, e, n = fc["bbox"]
    assert w <= g.bounds[0] + 1e-3 and e >= g.bounds[2] - 1e-3 and s <= g.bounds[1] + 1e-3
    assert n >= g.bounds[3] - 1e-3
    assert fc["aankomst"]["crs"] == "EPSG:4326"


def test_areas_zoom_buckets_quantise(client):
    lo = client.get("/api/areas", params={"level": "neighbourhood", "zoom": 6}).json()
    hi = client.get("/api/areas", params={"level": "neighbourhood", "zoom": 14}).json()
    assert lo["aankomst"]["zoom"] == 7 and hi["aankomst"]["zoom"] == 13
    c_lo = lo["features"][0]["geometry"]["coordinates"][0][0]
    c_hi = hi["features"][0]["geometry"]["coordinates"][0][0]
    while isinstance(c_lo[0], list):
        c_lo, c_hi = c_lo[0], c_hi[0]
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
    error_of(client.get("/api/areas", params={"level": "galaxy"}), 422, "invalid_parameter")
    e = error_of(client.get("/api/areas", params={"level": "deelgemeente"}), 404, "unknown_level")
    assert "municipality" in e["message"]  # names the levels that exist


def test_areas_compact_form_decodes_to_the_geojson(client):
    gj = client.get("/api/areas", params={"level": "municipality", "zoom": 13}).json()
    c = client.get("/api/areas", params={"level": "municipality", "zoom": 13, "format": "compact"}).json()
    assert c["type"] == "AankomstAreas" and c["grid"] == 1e-5 and len(c["features"]) == 20
    for f, cf in zip(gj["features"], c["features"]):
        assert cf["code"] == f["id"] and cf["name"] == f["properties"]["name"]
        ring = cf["g"][0][0]
        outer = f["geometry"]["coordinates"][0] if f["geometry"]["type"] == "Polygon" else f["geometry"]["coordinates"][0][0]
        xs, ys = np.cumsum(ring[0::2]) * c["grid"], np.cumsum(ring[1::2]) * c["grid"]
        assert np.allclose(np.c_[xs, ys], outer, atol=1e-9)


# ------------------------------------------------------------------ values: the real engine vs SQL
def test_population_is_the_sum_of_sector_counts(client, demo_atlas):
    body = values(client, indicator="population", level="municipality", period="2015")
    rows = by_code(body)
    expected = summed(demo_atlas, "sector", "municipality", 2015)
    assert expected.equals(population(demo_atlas, "municipality", 2015).reindex(expected.index))  # demo is consistent
    assert len(rows) == len(expected) == 20
    for code, n in expected.items():
        assert rows[code]["value"] == pytest.approx(n) and rows[code]["suppressed"] is False
    assert body["kind"] == "count" and body["meta"]["unit"] == "persons" and body["period"] == "2015"
    cls = body["classes"]
    assert sum(cls["counts"]) == 20 and len(cls["colours"]) == cls["k"] == len(cls["edges"]) - 1


@pytest.mark.parametrize("level", ["municipality", "neighbourhood", "region"])
def test_foreign_share_is_a_ratio_of_summed_counts(client, demo_atlas, level):
    rows = by_code(values(client, indicator="foreign_nationality_share", level=level, period="2015"))
    etr = summed(demo_atlas, "sector", level, 2015, "nationality", "ETR")
    total = summed(demo_atlas, "sector", level, 2015)
    assert set(rows) == set(total.index)
    for code in total.index:
        r = rows[code]
        assert r["value"] == pytest.approx(100 * etr[code] / total[code])
        assert (r["numerator"], r["denominator"]) == (pytest.approx(etr[code]), pytest.approx(total[code]))
        assert r["unit"] == "%" and r["period"].startswith("2015")


def test_values_default_period_is_the_latest_on_offer(client, demo_atlas):
    body = values(client, indicator="foreign_nationality_share", level="region")
    latest = int(sql(demo_atlas, "SELECT max(year(ref_date)) AS y FROM population")["y"].iloc[0])
    assert body["period"] == str(latest)
    total = summed(demo_atlas, "sector", "region", latest)
    etr = summed(demo_atlas, "sector", "region", latest, "nationality", "ETR")
    assert by_code(body)["09000"]["value"] == pytest.approx(100 * etr["09000"] / total["09000"])


def test_small_cell_rule_on_rates(client, demo_atlas):
    """Sectors with 1–4 persons of the group: value, numerator, denominator hidden."""
    body = values(client, indicator="group_share", level="sector", period="2015", group=SUBSAHARAN)
    rows = by_code(body)
    n = population(demo_atlas, "sector", 2015, "nationality_group6", "subsaharan_africa")
    small = set(n[(n >= 1) & (n <= 4)].index)
    assert small and {c for c, r in rows.items() if r["suppressed"]} == small
    for code in small:
        r = rows[code]
        assert r["value"] is None and r["numerator"] is None and r["denominator"] is None
    assert body["n_suppressed"] == len(small)
    total = population(demo_atlas, "sector", 2015)
    big = next(c for c in n.index if n[c] >= 5)
    assert rows[big]["value"] == pytest.approx(100 * n[big] / total[big])


def test_small_cell_rule_on_counts(client, demo_atlas):
    """The group's count itself is a count of persons (the declaration says so): 1–4 hidden, 0 shown."""
    rows = by_code(values(client, indicator="population", level="sector", period="2015", group=SUBSAHARAN))
    n = population(demo_atlas, "sector", 2015, "nationality_group6", "subsaharan_africa")
    for code, k in n.items():
        if 1 <= k <= 4:
            assert rows[code]["suppressed"] is True and rows[code]["value"] is None
        else:
            assert rows[code]["suppressed"] is False and rows[code]["value"] == pytest.approx(k)
    assert any(k == 0 for k in n)


def test_small_cell_rule_in_exports_and_series(client, demo_atlas):
    n = population(demo_atlas, "sector", 2015, "nationality_group6", "subsaharan_africa")
    code = min(c for c in n.index if 1 <= n[c] <= 4)
    text = client.get("/api/export", params={"indicator": "population", "level": "sector", "period": "2015",
                                             "group": SUBSAHARAN}).text
    rows = {r["area_code"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows[code]["value"] == "" and rows[code]["suppressed"] == "True"
    s = client.get(f"/api/areas/{code}/series", params={"indicator": "population", "group": SUBSAHARAN}).json()
    area = s["series"][0]
    assert area["column"] == "area"
    assert area["values"][s["periods"].index("2015")] == {"value": None, "suppressed": True}


def test_change_between_two_dates(client, demo_atlas):
    body = client.get("/api/change", params={"indicator": "foreign_nationality_share", "level": "municipality",
                                             "from": "2015", "to": "2020"}).json()
    rows = by_code(body)
    share = {y: 100 * summed(demo_atlas, "sector", "municipality", y, "nationality", "ETR")
             / summed(demo_atlas, "sector", "municipality", y) for y in (2015, 2020)}
    for code, r in rows.items():
        assert r["value"] == pytest.approx(share[2020][code] - share[2015][code])  # percentage points
        assert r["value_from"] == pytest.approx(share[2015][code])
    assert body["meta"]["change"]["unit"] == "percentage points"
    cls = body["classes"]
    assert cls["scheme"] == "diverging" and cls["neutral"] is not None
    error_of(client.get("/api/change", params={"indicator": "foreign_nationality_share", "level": "municipality",
                                               "from": "2019"}), 422, "invalid_parameter")


def test_change_hides_both_dates_of_a_suppressed_area(client, demo_atlas):
    n = population(demo_atlas, "sector", 2015, "nationality_group6", "subsaharan_africa")
    code = min(c for c in n.index if 1 <= n[c] <= 4)
    body = client.get("/api/change", params={"indicator": "group_share", "level": "sector", "from": "2015",
                                             "to": "2020", "group": SUBSAHARAN}).json()
    r = by_code(body)[code]
    assert r["suppressed"] is True and r["value"] is None and r["value_to"] is None and r["value_from"] is None


def test_categorical_indicator_takes_its_declared_classes(client):
    """The arrival typology at neighbourhood level: window periods, categories and colours."""
    per = client.get("/api/periods", params={"indicator": "arrival_typology", "level": "neighbourhood"}).json()
    assert "2016-2020" in per["periods"] and per["period_kind"] == "window"
    body = values(client, indicator="arrival_typology", level="neighbourhood", period="2016-2020", form="columns")
    cls = body["classes"]
    assert body["kind"] == "categorical" and cls["scheme"] == "categories"
    assert cls["categories"][0] == "gateway" and len(cls["colours"]) == cls["k"] == len(cls["categories"])
    cols = body["data"]["columns"]
    assert cols == ["area_code", "value", "suppressed", "class", "explanation"]
    got = [dict(zip(cols, r)) for r in body["data"]["data"]]
    shown = [r["class"] for r in got if not r["suppressed"]]
    assert cls["counts"] == [shown.count(c) for c in cls["categories"]]
    assert set(shown) <= set(cls["categories"]) and len(got) == 75
    ch = client.get("/api/change", params={"indicator": "arrival_typology", "level": "neighbourhood",
                                           "from": "2015-2019", "to": "2016-2020"}).json()
    assert ch["kind"] == "transitions" and ch["classes"]["categories"] == ["entered", "left", "stayed", "other"]


# ------------------------------------------------------------------ parameters and errors
def test_indicator_parameters_are_checked_by_the_declaration(client):
    q = {"indicator": "internal_migration_balance", "level": "municipality"}
    e = error_of(client.get("/api/values", params={**q, "p_windw": "3"}), 422, "invalid_parameter")
    assert "windw" in e["message"] and "window" in e["message"] and "window" in e["detail"]["known"]
    for bad in ("abc", "0", "2.5", "100000000", "99999999999999999999999"):
        e = error_of(client.get("/api/values", params={**q, "p_window": bad}), 422, "invalid_parameter")
        assert bad in e["message"]
    e = error_of(client.get("/api/values", params={**q, "p_base_population_of": "nobody"}), 422, "invalid_parameter")
    assert "group" in e["detail"]["known"]
    for name in ("registry_url", "layout"):  # set by the server / its own query parameter
        error_of(client.get("/api/values", params={**q, f"p_{name}": "x"}), 422, "invalid_parameter")
    error_of(client.get("/api/values", params={**q, "p_bad name": "x"}), 422, "invalid_parameter")
    error_of(client.get("/api/periods", params={**q, "p_windw": "3"}), 422, "invalid_parameter")
    error_of(client.get("/api/export", params={**q, "p_windw": "3"}), 422, "invalid_parameter")
    body = values(client, **q, p_window="1", period="2015")
    assert body["params"] == {"window": 1} and body["meta"]["parameters"]["window"] == 1


def test_values_errors(client):
    e = error_of(client.get("/api/values", params={"indicator": "nope", "level": "municipality"}), 404,
                 "unknown_indicator")
    assert "foreign_nationality_share" in e["message"]
    error_of(client.get("/api/values", params={"level": "municipality"}), 422, "invalid_parameter")
    error_of(client.get("/api/values", params={"indicator": "population", "level": "municipality",
                                               "period": "2019; DROP TABLE areas"}), 422, "invalid_parameter")
    e = error_of(client.get("/api/values", params={"indicator": "population", "level": "municipality",
                                                   "period": "1999"}), 404, "not_available")
    assert "1999" in e["message"]
    e = error_of(client.get("/api/values", params={"indicator": "external_balance", "level": "municipality"}),
                 404, "unknown_level")
    assert "neighbourhood" in e["message"]  # the levels this indicator has
    error_of(client.get("/api/values", params={"indicator": "population", "level": "municipality", "k": 40}),
             422, "invalid_parameter")
    error_of(client.get("/api/values", params={"indicator": "population", "level": "municipality",
                                               "classes": "astrology"}), 404, "unknown_classification_method")
    error_of(client.get("/api/values", params={"indicator": "population", "level": "municipality",
                                               "group": "nationality:NOPE"}), 404, "unknown_group")
    error_of(client.get("/api/values", params={"indicator": "population", "level": "municipality",
                                               "form": "xml"}), 422, "invalid_parameter")


# ------------------------------------------------------------------ areas: search, profile, series
def test_search_nl_fr_and_injection(client):
    assert [r["code"] for r in client.get("/api/search", params={"q": "Capitale"}).json()["results"]][:1] == ["96001"]
    hits = client.get("/api/search", params={"q": "Havenstad-Nord"}).json()["results"]
    assert "97001W01" in [r["code"] for r in hits]
    r = client.get("/api/search", params={"q": "'; DROP TABLE areas; --"})
    assert r.status_code == 200 and r.json()["results"] == []
    assert client.get("/api/search", params={"q": "%"}).json()["results"] == []  # LIKE wildcards escaped
    assert client.get("/healthz").json()["areas"] == 443
    error_of(client.get("/api/search", params={"q": "x" * 200}), 422, "invalid_parameter")


def test_profile_with_comparison_columns(client, demo_atlas):
    p = client.get("/api/areas/97001W01/profile",
                   params={"indicators": "foreign_nationality_share,population"}).json()
    assert p["area"]["name"] == "Havenstad-Noord / Havenstad-Nord" and p["area"]["level"] == "neighbourhood"
    assert {c["column"]: c["code"] for c in p["columns"]} == {"area": "97001W01", "municipality": "97001",
                                                               "region": "09000"}
    share = next(r for r in p["indicators"] if r["id"] == "foreign_nationality_share")
    y = int(share["period"])
    for column, level, code in (("area", "neighbourhood", "97001W01"), ("municipality", "municipality", "97001"),
                                ("region", "region", "09000")):
        etr = summed(demo_atlas, "sector", level, y, "nationality", "ETR")[code]
        total = summed(demo_atlas, "sector", level, y)[code]
        assert share["values"][column]["value"] == pytest.approx(100 * etr / total)
    titles = set(sql(demo_atlas, "SELECT title FROM provenance")["title"])
    assert p["provenance"] and {s["title"] for s in p["provenance"]} <= titles


def test_profile_lists_categorical_indicators_with_their_explanation(client):
    p = client.get("/api/areas/97001W01/profile", params={"indicators": "arrival_typology"}).json()
    assert p["indicators"] == [] and [c["id"] for c in p["classification"]] == ["arrival_typology"]
    area = p["classification"][0]["values"]["area"]
    assert area["class"] == "gateway" and area["class_label_en"] == "gateway"  # Havenstad-Noord (docs/demo.md)
    assert "newcomer_concentration" in p["classification"][0]["explanation"]


def test_profile_errors(client):
    e = error_of(client.get("/api/areas/99999/profile"), 404, "unknown_area")
    assert "99999" in e["message"]
    error_of(client.get("/api/areas/97001/profile", params={"level": "nowhere"}), 422)
    error_of(client.get("/api/areas/a%20b%3B/profile"), 422, "invalid_parameter")
    error_of(client.get("/api/areas/97001/series", params={"indicator": "nope"}), 404, "unknown_indicator")


def test_series(client, demo_atlas):
    s = client.get("/api/areas/97001/series", params={"indicator": "population"}).json()
    years = [str(y) for y in sql(demo_atlas, "SELECT DISTINCT year(ref_date) AS y FROM population ORDER BY 1")["y"]]
    assert s["periods"] == years
    area = s["series"][0]
    expected = [population(demo_atlas, "municipality", int(y))["97001"] for y in years]
    assert [v["value"] for v in area["values"]] == pytest.approx(expected)
    assert [x["column"] for x in s["series"]] == ["area", "region"]


# ------------------------------------------------------------------ exports
def test_export_csv(client, demo_atlas):
    r = client.get("/api/export", params={"indicator": "population", "level": "municipality", "period": "2015"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="aankomst_population_municipality_2015.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 20
    assert {"indicator", "definition", "source", "unit", "suppressed", "area_name"} <= set(rows[0])
    expected = population(demo_atlas, "municipality", 2015)
    assert float(next(x for x in rows if x["area_code"] == "97001")["value"]) == pytest.approx(expected["97001"])


def test_export_change_and_geojson(client, demo_atlas):
    r = client.get("/api/export", params={"indicator": "population", "level": "municipality",
                                          "from": "2015", "to": "2020", "format": "geojson"})
    fc = r.json()
    props = {f["id"]: f["properties"] for f in fc["features"]}
    diff = population(demo_atlas, "municipality", 2020) - population(demo_atlas, "municipality", 2015)
    assert props["97001"]["value"] == pytest.approx(diff["97001"])
    assert fc["aankomst"]["period"] == "2015_2020" and len(props) == 20
    error_of(client.get("/api/export", params={"indicator": "population", "level": "municipality", "from": "2015"}),
             422, "invalid_parameter")


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

    for path in ("/", "/area/municipality/97001"):
        html = client.get(path).text
        for m in re.finditer(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL):
            assert "src=" in m.group(1) and m.group(2).strip() == ""
        assert "<style" not in html and " style=" not in html
        assert "http://" not in html and "https://" not in html  # no CDN
    assert client.get("/static/vendor/maplibre-gl-csp.js").status_code == 200


def test_no_stack_trace_on_a_bug(client, monkeypatch):
    from aankomst.web import service

    def broken(*a, **k):
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(service, "compute", broken)
    r = client.get("/api/values", params={"indicator": "density", "level": "province", "period": "2012"})
    error_of(r, 500, "internal_error")
    assert "secret" not in r.text and "RuntimeError" not in r.text


def test_unknown_path_and_method(client):
    error_of(client.get("/api/nothing"), 404, "not_found")
    error_of(client.post("/api/indicators"), 405, "method_not_allowed")


def test_concurrent_requests_are_consistent(client, demo_atlas):
    share = {y: 100 * summed(demo_atlas, "sector", "municipality", y, "nationality", "ETR")["97001"]
             / summed(demo_atlas, "sector", "municipality", y)["97001"] for y in (2016, 2017)}

    def get(i):
        y = 2016 + i % 2
        r = client.get("/api/values", params={"indicator": "foreign_nationality_share", "level": "municipality",
                                              "period": str(y), "k": 3})
        return y, r.status_code, by_code(r.json())["97001"]["value"]

    with ThreadPoolExecutor(8) as ex:
        out = list(ex.map(get, range(40)))
    assert all(s == 200 for _, s, _ in out)
    assert all(v == pytest.approx(share[y]) for y, _, v in out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["indicator", "level", "period", "group", "scheme", "classes", "k", "band", "zoom", "q",
                            "p_window", "p_min_population", "layout", "form", "limits"]),
       value=st.text(max_size=40))
def test_garbage_parameters_never_crash(client, key, value):
    base = {"indicator": "foreign_nationality_share", "level": "municipality", "period": "2015"}
    for path in ("/api/values", "/api/areas", "/api/search", "/api/periods"):
        r = client.get(path, params={**base, "q": "a", key: value})
        assert r.status_code in (200, 404, 422), (path, key, value, r.text)
        if r.status_code != 200:
            error_of(r, r.status_code)


def test_gzip_body_matches(client):
    r = client.get("/api/values", params={"indicator": "population", "level": "municipality", "period": "2015"},
                   headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip"
    assert r.json()["indicator"] == "population"  # httpx decodes; the body is valid after gunzip


def test_values_compact_form_and_suppression(client, demo_atlas):
    body = values(client, indicator="group_share", level="sector", period="2015", group=SUBSAHARAN, form="columns")
    assert body["form"] == "columns"
    cols = body["data"]["columns"]
    assert cols == ["area_code", "value", "suppressed"]
    rows = {r[0]: dict(zip(cols, r)) for r in body["data"]["data"]}
    n = population(demo_atlas, "sector", 2015, "nationality_group6", "subsaharan_africa")
    code = min(c for c in n.index if 1 <= n[c] <= 4)
    assert rows[code] == {"area_code": code, "value": None, "suppressed": True}


# ------------------------------------------------------------------ the one cache, warm-up and stop
def test_one_cache_scoped_to_the_atlas_file(client, demo_atlas_path):
    from aankomst.web.fastpath import cache_key
    from aankomst.web.state import atlas_identity

    svc = client.app.state.service
    ident = atlas_identity(str(demo_atlas_path))
    assert svc.cache.scope == ident and ident[0] == str(demo_atlas_path.resolve())
    assert ident[1] == demo_atlas_path.stat().st_size
    q = {"indicator": "population", "level": "province", "period": "2013"}
    body = values(client, **q)
    key = cache_key("/api/values", "&".join(f"{k}={v}" for k, v in q.items()))
    assert json.loads(svc.cache.get(key).body) == body  # the answer, in the one cache
    assert ((ident, key)) in svc.cache._data


def test_warm_up_in_the_background_and_clean_stop(demo_atlas_path):
    """``warm=True`` computes the latest values in the background; stopping waits for it."""
    import time

    with client_for(demo_atlas_path, warm=True) as c:
        svc = c.app.state.service
        t0 = time.time()
        while svc.cache.get(("periods", "population", "municipality", None, None, ())) is None:
            assert time.time() - t0 < 120, "the warm-up computed nothing"
            time.sleep(0.2)
        assert c.get("/api/values", params={"indicator": "population", "level": "municipality"}).status_code == 200
    assert svc.stopping.is_set() and svc.busy.wait_idle(0)
