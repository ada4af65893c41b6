"""The registry pages are the atlas's front end (issue 11 items 4–5), in Debian chromium
(Playwright, headless; MapLibre draws with SwiftShader's software WebGL):

* the search page uses the atlas's map component — a MapLibre canvas, ``window.__aankomst.map``
  — with the resources drawn as a layer of it, and the atlas's stylesheet and header;
* ``?lang=fr`` gives a French page: known French strings, no Dutch-only label (every Dutch label
  of the strings table and of the taxonomies that differs from the French one is absent);
* every label is printed once (no "nl / en" pairs): the filter labels are exactly the French
  strings, and no English-only label appears either.
"""

from __future__ import annotations

import csv
import re
import socket
import threading
import time

import pytest
from test_registry_support import build_fixture_atlas, lonlat, make_user, payload

from aankomst.paths import package_data

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--use-gl=angle", "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader"]
DATA = ("Nederlands op de werkvloer", "Taalcoach op de werkvloer", "Zorg ongeacht verblijfsstatus", "Buurt N",
        "Gemeente 1")
"""Texts of the test's records and of the fixture atlas's area names (data, in Dutch)."""
VOCABS = ("domains", "spheres", "provider_types", "formality", "scales", "eligibility", "functions",
          "languages", "practice_domains", "practice_target_groups")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from aankomst.registry.db import init_db, session_factory
    from aankomst.registry.practices import add_practice
    from aankomst.registry.service import create_resource
    from aankomst.web.app import create_app

    tmp = tmp_path_factory.mktemp("regfront")
    atlas = build_fixture_atlas(tmp / "atlas.duckdb")
    url = f"sqlite:///{tmp / 'reg.sqlite'}"
    init_db(url)
    make_user(url, "root", "admin")
    from aankomst.registry.models import User

    with session_factory(url, write=True)() as s, s.begin():
        root = s.query(User).filter_by(name="root").one()
        for i, (x, dom) in enumerate([(150500, "health"), (151500, "language"), (152500, "housing")]):
            lon, lat = lonlat(x, 210500)
            create_resource(s, root, payload(name=f"Voorziening {i + 1}", domains=[dom], lon=lon, lat=lat,
                                             municipality_nis="11002" if x < 152000 else "11005"))
        add_practice(s, {"title": "Nederlands op de werkvloer", "ocmw_code": "11002", "domain": "language",
                         "approach": "Taalcoach op de werkvloer", "target_groups": "article_60_workers"},
                     actor="test")
    app = create_app(str(atlas), registry_url=url)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    th.join(30)


@pytest.fixture(scope="module")
def browser(chromium_path, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium")), executable_path=chromium_path, headless=True,
            args=ARGS, viewport={"width": 1300, "height": 850}, locale="en-GB")
        yield ctx
        ctx.close()


def _open(browser, url: str):
    page = browser.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.goto(url)
    return page


def _labels(lang: str) -> dict[str, str]:
    """Every interface label in ``lang``: the strings table and the taxonomies (key -> text)."""
    out: dict[str, str] = {}
    with open(package_data("registry/ui_strings.csv"), encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out[f"ui:{row['key']}"] = row[lang]
    for v in VOCABS:
        with open(package_data(f"registry/{v}.csv"), encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                out[f"{v}:{row['code']}"] = row[f"label_{lang}"]
    return out


def _absent(text: str, label: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(label) + r"(?!\w)", text) is None


def test_search_page_uses_the_atlas_map_component(server, browser):
    page = _open(browser, server + "/resources")
    try:
        page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
        assert page.locator("#map canvas.maplibregl-canvas").count() == 1
        info = page.evaluate("""() => {
            const m = window.__aankomst && window.__aankomst.map;
            if (!m) return null;
            const layer = m.getLayer('resources');
            return { isMap: typeof m.getStyle === 'function' && typeof m.queryRenderedFeatures === 'function',
                     layer: layer && layer.type, source: layer && layer.source,
                     drawn: m.queryRenderedFeatures({ layers: ['resources'] }).map((f) => f.properties.name).sort(),
                     areas: m.querySourceFeatures('areas').length,
                     background: m.getLayer('background') && m.getLayer('background').type };
        }""")
        assert info is not None and info["isMap"]
        assert info["layer"] == "circle" and info["source"] == "resources" and info["background"] == "background"
        assert info["drawn"] == ["Voorziening 1", "Voorziening 2", "Voorziening 3"]
        assert info["areas"] >= 4
        # the atlas's layout and styles: its stylesheet, header, controls column and language switch
        assert page.locator("link[href='/static/app.css']").count() == 1
        assert page.locator("header.top .lang a[data-lang]").count() == 3
        assert page.locator("main.layout aside.controls #filter-form").count() == 1
        # a filter beside the map redraws the layer with the matching resources only
        page.select_option("#f-domain", "language")
        page.click("#filter-submit")
        page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
        drawn = page.evaluate("() => window.__aankomst.map.queryRenderedFeatures({ layers: ['resources'] })"
                              ".map((f) => f.properties.name)")
        assert drawn == ["Voorziening 2"] and "domain=language" in page.url
        assert not [p for p in page.problems if "Content Security Policy" in p or "Refused" in p], page.problems
    finally:
        page.close()


def test_french_registry_pages_print_each_label_once(server, browser):
    nl, fr, en = _labels("nl"), _labels("fr"), _labels("en")
    for path, known in [
        ("/resources?lang=fr", ["Ressources locales pour les primo-arrivants", "Rechercher", "Domaine",
                                "Accessible à", "Santé", "Pratiques", "Exporter"]),
        ("/resources/2?lang=fr", ["Pratiques des CPAS dans ce domaine", "Langue", "Heures d'ouverture",
                                  "Nederlands op de werkvloer"]),
        ("/registry/practices?lang=fr", ["Pratiques des CPAS", "Public cible", "Travailleurs article 60"]),
        ("/resources/login?lang=fr", ["Nom d'utilisateur", "Mot de passe"]),
        ("/resources/999?lang=fr", ["Erreur 404", "Introuvable."]),
    ]:
        page = _open(browser, server + path)
        try:
            if path.startswith(("/resources/2", "/resources?")):
                page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
            assert page.evaluate("document.documentElement.lang") == "fr", path
            text = page.evaluate("document.body.innerText")
            for k in known:
                assert k in text, (path, k)
            # records and area names are data (Dutch here), not labels; the French labels
            # themselves go too (an English label may be a word of one: "Public cible")
            for d in (*DATA, *sorted(set(fr.values()), key=len, reverse=True)):
                text = text.replace(d, "")
            dutch = [nl[k] for k in nl if nl[k] not in (fr[k], en[k]) and "{" not in nl[k] and not _absent(text, nl[k])]
            assert dutch == [], (path, dutch)
            english = [en[k] for k in en if en[k] not in (fr[k], nl[k]) and "{" not in en[k] and not _absent(text, en[k])]
            assert english == [], (path, english)
            # the internal links keep the language
            hrefs = page.evaluate("[...document.querySelectorAll('main a[href^=\"/resources/\"], "
                                  "main a[href^=\"/registry/\"]')].map((a) => a.getAttribute('href'))")
            assert all("lang=fr" in h or h.endswith((".csv", ".json", ".geojson")) or "export" in h for h in hrefs), hrefs
        finally:
            page.close()
    # each filter label once, exactly the French string (no "Domaine / Domain")
    page = _open(browser, server + "/resources?lang=fr")
    try:
        shown = page.locator("#filter-form label > span").all_text_contents()
        assert shown == [fr[f"ui:{k}"] for k in ("f_q", "f_domain", "f_sphere", "f_eligible", "f_provider",
                                                "f_language", "f_municipality", "f_near", "f_radius")]
        options = page.locator("#f-domain option").all_text_contents()
        assert options[0] == fr["ui:any"] and "Santé" in options and all("/" not in o for o in options)
        # the switch leads to the same page in Dutch
        page.click("header .lang a[data-lang='nl']")
        page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
        assert page.evaluate("document.documentElement.lang") == "nl" and "lang=" not in page.url
        assert "Lokale voorzieningen voor nieuwkomers" in page.evaluate("document.body.innerText")
    finally:
        page.close()


def test_pick_location_on_the_map_in_the_form(server, browser):
    """An editor sets a resource's location by clicking the (MapLibre) map of the form."""
    from test_registry_support import PASSWORD

    page = _open(browser, server + "/resources/login?lang=fr")
    try:
        page.fill("#login-name", "root")
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r".*/resources\?lang=fr$"))
        page.click("#nav-new")
        page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
        lon, lat = lonlat(151500, 210500)  # the middle of neighbourhood N2
        xy = page.evaluate(f"() => window.__aankomst.map.project([{lon}, {lat}])")
        page.locator("#map canvas").click(position={"x": xy["x"], "y": xy["y"]})
        assert abs(float(page.input_value("#e-lon")) - lon) < 0.001
        assert abs(float(page.input_value("#e-lat")) - lat) < 0.001
        assert page.get_attribute("#map", "data-picked") == "1"
    finally:
        page.close()
