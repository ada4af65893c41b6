"""Two areas side by side in the profile: ``GET /api/areas/{code}/profile?compare=CODE`` and the
profile page's "compare with…" search (``/area/{level}/{code}?compare=CODE``) in Debian chromium.
"""

from __future__ import annotations

import pytest
from web_support import client_for, error_of, summed


@pytest.fixture(scope="module")
def client(demo_atlas_path):
    with client_for(demo_atlas_path) as c:
        yield c


def test_compare_two_neighbourhoods_of_one_city(client, demo_atlas):
    p = client.get("/api/areas/97001W01/profile", params={"compare": "97001W02",
                                                           "indicators": "foreign_nationality_share,population"}).json()
    assert p["area"]["code"] == "97001W01" and p["compare"]["area"]["code"] == "97001W02"
    assert p["compare"]["area"]["level"] == "neighbourhood"  # the first area's level by default
    first = {c["column"]: c["code"] for c in p["columns"]}
    second = {c["column"]: c["code"] for c in p["compare"]["columns"]}
    assert first["municipality"] == second["municipality"] == "97001"  # the same comparison columns
    assert set(first) == set(second) == {"area", "municipality", "region"}
    share = next(r for r in p["compare"]["indicators"] if r["id"] == "foreign_nationality_share")
    y = int(share["period"])
    etr = summed(demo_atlas, "sector", "neighbourhood", y, "nationality", "ETR")["97001W02"]
    total = summed(demo_atlas, "sector", "neighbourhood", y)["97001W02"]
    assert share["values"]["area"]["value"] == pytest.approx(100 * etr / total)
    assert "compare" not in p["compare"]


def test_compare_two_municipalities_and_levels(client):
    p = client.get("/api/areas/98001/profile", params={"compare": "99001"}).json()  # Aalstrode vs Liedevelde
    assert p["area"]["name"] == "Aalstrode" and p["compare"]["area"]["name"] == "Liedevelde"
    assert [c["column"] for c in p["columns"]][0] == "area"
    assert {r["id"] for r in p["indicators"]} & {r["id"] for r in p["compare"]["indicators"]}
    # another level, given explicitly
    q = client.get("/api/areas/97001W01/profile", params={"compare": "97001", "compare_level": "municipality",
                                                           "indicators": "population"}).json()
    assert q["compare"]["area"]["level"] == "municipality"
    # a code that exists only at another level: its own level
    r = client.get("/api/areas/97001W01/profile", params={"compare": "98001", "indicators": "population"}).json()
    assert r["compare"]["area"]["level"] == "municipality"


def test_compare_errors(client):
    e = error_of(client.get("/api/areas/97001W01/profile", params={"compare": "99999"}), 404, "unknown_area")
    assert "99999" in e["message"]
    error_of(client.get("/api/areas/97001W01/profile", params={"compare": "a b"}), 422, "invalid_parameter")


# ------------------------------------------------------------------ browser
@pytest.mark.browser
@pytest.mark.slow
def test_compare_in_the_profile_page(chromium_path, demo_atlas_path):
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM_ARGS, FAILED, READY, Server

    server = Server(demo_atlas_path)
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1300, "height": 900})
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(server.url + "/area/municipality/98001?ind=population")
            page.wait_for_selector(f"{READY}, {FAILED}", state="attached", timeout=300_000)
            assert page.query_selector(FAILED) is None, page.inner_text("#panel-body")
            page.evaluate("document.body.dataset.ready = 'pending'")
            page.fill("#compare-search", "Liedevel")
            page.wait_for_selector("#compare-results li[data-code='99001']", timeout=60_000)
            page.click("#compare-results li[data-code='99001']")
            page.wait_for_selector(READY, state="attached", timeout=300_000)
            assert "compare=99001" in page.url
            heads = page.eval_on_selector_all("#compare thead th[data-column=area]", "els => els.map(e => e.dataset.code)")
            assert heads == ["98001", "99001"]
            assert "Aalstrode" in page.inner_text("#profile-name") and "Liedevelde" in page.inner_text("#profile-name")
            n = page.eval_on_selector_all("#compare tbody tr", "els => els.length")
            cells = page.eval_on_selector_all("#compare tbody tr:first-child td", "els => els.length")
            assert n >= 3 and cells >= 3
            # the address keeps the comparison
            page.goto(page.url)
            page.wait_for_selector(READY, state="attached", timeout=300_000)
            assert page.eval_on_selector_all("#compare thead th[data-column=area]", "els => els.length") == 2
            page.click("#compare-clear")
            page.wait_for_selector(READY, state="attached", timeout=300_000)
            assert "compare=" not in page.url
            assert page.eval_on_selector_all("#compare thead th[data-column=area]", "els => els.length") == 1
            assert problems == []
            b.close()
    finally:
        server.stop()
