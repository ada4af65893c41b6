"""End-to-end in Debian chromium (Playwright, headless; MapLibre with SwiftShader's software
WebGL): log in, add a resource by clicking the map, find it by filter, see it in the
neighbourhood's completeness profile."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from test_registry_support import PASSWORD, build_fixture_atlas, lonlat, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path):
    import uvicorn

    from aankomst.registry.db import init_db

    atlas = build_fixture_atlas(tmp_path / "atlas.duckdb")
    url = f"sqlite:///{tmp_path / 'reg.sqlite'}"
    init_db(url)
    make_user(url, "ed", "editor", ["11002"])
    try:  # through the atlas web app when it exists (its CSP, its error handlers)
        from aankomst.web.app import create_app

        app = create_app(str(atlas), registry_url=url)
    except ImportError:
        from test_registry_support import app_for

        app = app_for(url, atlas)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    th.join(10)


def test_login_add_on_map_filter_and_profile(server, chromium_path, tmp_path):
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium_path, headless=True, args=ARGS)
        try:
            page = ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(server + "/resources/login")
            page.fill("#login-name", "ed")
            page.fill("#login-password", PASSWORD)
            page.click("#login-submit")
            page.wait_for_url(server + "/resources")
            page.click("#nav-new")
            page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
            page.fill("#e-name", "Taalcafé De Oever")
            page.check("#e-domains input[value='language']")
            page.check("#e-spheres input[value='reciprocity']")
            page.check("#e-eligibility input[value='status_all']")
            page.select_option("#f-provider_type", "self_organisation")
            page.select_option("#f-formality", "semi_formal")
            page.select_option("#f-scale", "neighbourhood")
            # click in the middle of neighbourhood N2 on the map
            lon, lat = lonlat(151500, 210500)
            xy = page.evaluate(f"() => window.__aankomst.map.project([{lon}, {lat}])")
            page.locator("#map canvas").click(position={"x": xy["x"], "y": xy["y"]})
            assert page.input_value("#e-lat") != "" and page.input_value("#e-lon") != ""
            page.click("#e-submit")
            page.wait_for_selector("#resource-name")
            assert page.text_content("#resource-name") == "Taalcafé De Oever"
            assert "N2" in page.text_content("#profile-link")
            # find it by filter
            page.goto(server + "/resources")
            page.select_option("#f-domain", "language")
            page.select_option("#f-eligible", "undocumented")
            page.click("#filter-submit")
            page.wait_for_selector("#results")
            assert "domain=language" in page.url
            names = page.locator("#results tr.result a").all_text_contents()
            assert names == ["Taalcafé De Oever"]
            page.select_option("#f-domain", "health")
            page.click("#filter-submit")
            page.wait_for_selector("#results")
            assert page.locator("#results tr.result").count() == 0
            # completeness profile of the neighbourhood
            page.goto(server + "/resources/areas/N2")
            row = page.locator("#profile tr[data-domain='language']")
            assert row.get_attribute("data-status") == "local"
            assert page.locator("#profile tr[data-domain='health']").get_attribute("data-status") == "none"
            assert "1 van 11" in page.text_content("#completeness-summary")
        finally:
            ctx.close()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
