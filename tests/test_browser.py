"""The web atlas in a real browser: Debian chromium driven by Playwright (headless, no GPU:
MapLibre draws with SwiftShader's software WebGL).

On the demo atlas and on the real mirror: open the map, switch indicator and level, click an
area and read its panel, switch to the change view, search an area by its French name, open
the profile page and export CSV (a real download). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
    # software WebGL for MapLibre (no GPU here)
    "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]
READY = 'body[data-ready="1"]'
FAILED = 'body[data-ready="error"]'


class Server:
    """uvicorn on 127.0.0.1 on a free port, in a background thread."""

    def __init__(self, db: Path, **app_kw) -> None:
        import uvicorn

        from aankomst.web.app import create_app

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.server = uvicorn.Server(uvicorn.Config(create_app(str(db), **app_kw), host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        t0 = time.time()
        while not self.server.started:
            if time.time() - t0 > 60:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(180)  # the app's shutdown waits for computations still in flight


@pytest.fixture(scope="module")
def browser(chromium_path, tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api")
    user_dir = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(user_dir), executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 860}, accept_downloads=True, locale="nl-BE")
        yield ctx
        ctx.close()


def open_page(browser, url: str):
    page = browser.new_page()
    page.problems = []  # console errors, page errors, CSP violations
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.goto(url)
    wait_ready(page)
    return page


def wait_ready(page, timeout: float = 180_000) -> None:
    page.wait_for_selector(f"{READY}, {FAILED}", state="attached", timeout=timeout)
    if page.query_selector(FAILED):
        raise AssertionError(f"the atlas reported an error: {page.inner_text('#status')}")


def change_and_wait(page, selector: str, value: str) -> None:
    page.evaluate("document.body.dataset.ready = 'pending'")
    page.select_option(selector, value)
    wait_ready(page)


def legend_counts(page) -> list[int]:
    return [int(x) for x in page.eval_on_selector_all("#legend-classes li[data-class] .cnt", "els => els.map(e => e.textContent)")]


def click_area_with_value(page) -> str:
    """Click the centre of the largest drawn area that has a (non-suppressed) value."""
    code, x, y = page.evaluate("""() => {
      const a = window.__aankomst, m = a.map;
      let best = null;
      for (const f of a.layer.features) {
        const v = a.values.get(String(f.id));
        if (!v || v.value === null || v.suppressed) continue;
        const rings = f.geometry.type === 'Polygon' ? [f.geometry.coordinates[0]] : f.geometry.coordinates.map(p => p[0]);
        const r = rings.reduce((p, q) => q.length > p.length ? q : p);
        let sx = 0, sy = 0; for (const c of r) { sx += c[0]; sy += c[1]; }
        const c = [sx / r.length, sy / r.length];
        const hit = m.queryRenderedFeatures(m.project(c), { layers: ['areas-fill'] });
        if (!hit.length || String(hit[0].id) !== String(f.id)) continue;
        if (!best || r.length > best[3]) best = [String(f.id), m.project(c).x, m.project(c).y, r.length];
      }
      return best.slice(0, 3);
    }""")
    box = page.query_selector("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#compare", timeout=300_000)
    page.wait_for_selector("#series-chart svg, #series-chart p", timeout=120_000)
    return code


def nl_number(text: str) -> float:
    """Parse a number as the Dutch interface shows it (``1.234,5 %``)."""
    return float(text.replace("%", "").replace("\u202f", "").replace(".", "").replace(",", ".").strip())


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def export_csv(page, name: str) -> list[dict[str, str]]:
    with page.expect_download(timeout=120_000) as d:
        page.click("#export-csv")
    path = ARTIFACTS / name
    ARTIFACTS.mkdir(exist_ok=True)
    d.value.save_as(str(path))
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def real_problems(page) -> list[str]:
    return [p for p in page.problems if "GPU stall" not in p and "favicon" not in p]


# ------------------------------------------------------------------ demo atlas
@pytest.fixture(scope="module")
def demo_server(demo_atlas_path):
    s = Server(demo_atlas_path)
    yield s
    s.stop()


def test_atlas_on_demo(browser, demo_server):
    page = open_page(browser, demo_server.url + "/?level=municipality&ind=population")
    assert page.input_value("#level") == "municipality"
    n_areas = len(page.evaluate("window.__aankomst.layer.features.map(f => f.id)"))
    assert n_areas == 20
    counts = legend_counts(page)
    assert sum(counts) > 0
    assert "Bevolking" in page.inner_text("#map-title")
    assert page.inner_text("#map-source").strip() not in ("", "–")   # source always visible
    shot(page, "atlas_demo_municipality.png")

    # switch indicator and level
    change_and_wait(page, "#indicator", "foreign_nationality_share")
    assert "nationaliteit" in page.inner_text("#map-title").lower()
    assert "ind=foreign_nationality_share" in page.url            # stable URL
    change_and_wait(page, "#level", "neighbourhood")
    assert len(page.evaluate("window.__aankomst.layer.features.map(f => f.id)")) == 75
    assert page.inner_text("#map-unit").strip() == "%"

    # click an area and read the panel: area, municipality, region columns
    code = click_area_with_value(page)
    heads = page.eval_on_selector_all("#compare thead .col-kind", "els => els.map(e => e.textContent)")
    assert heads[:3] == ["Gebied", "Gemeente", "Gewest"]
    row = page.query_selector("#compare tr[data-indicator='foreign_nationality_share']")
    cells = [c.inner_text() for c in row.query_selector_all("td")]
    expected = page.evaluate(f"window.__aankomst.values.get('{code}').value")
    assert nl_number(cells[0]) == pytest.approx(expected, abs=0.06)  # shown with 1-2 decimals
    assert f"area={code}" in page.url
    shot(page, "atlas_demo_panel.png")

    # export CSV of the current view
    rows = export_csv(page, "atlas_demo_neighbourhood.csv")
    assert len(rows) >= 75 and {"area_code", "value", "suppressed", "definition", "source"} <= set(rows[0])
    by = {r["area_code"]: r for r in rows}
    assert float(by[code]["value"]) == pytest.approx(expected)

    # PNG of the map (canvas with preserveDrawingBuffer, legend and source drawn in)
    with page.expect_download(timeout=60_000) as d:
        page.click("#export-png")
    png = ARTIFACTS / "atlas_demo_export.png"
    d.value.save_as(str(png))
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000

    # change view between two dates: diverging classes with a neutral class
    page.evaluate("document.body.dataset.ready = 'pending'")
    page.check("input[name=mode][value=change]")
    wait_ready(page)
    assert page.input_value("#classes") == "diverging"
    assert "mode=change" in page.url
    assert page.evaluate("window.__aankomst.result.classes.neutral") is not None
    shot(page, "atlas_demo_change.png")

    # English interface
    page.click("button[data-lang=en]")
    page.wait_for_selector("html[lang=en]", state="attached")
    assert page.inner_text("[data-i18n=level]") == "Level"
    assert "lang=en" in page.url
    assert real_problems(page) == []
    page.close()


def test_profile_page_and_search_on_demo(browser, demo_server):
    page = browser.new_page()
    page.problems = []
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.goto(demo_server.url + "/area/neighbourhood/97001W01?ind=foreign_nationality_share")
    page.wait_for_selector(f"{READY}, {FAILED}", state="attached", timeout=300_000)
    assert "Havenstad-Noord" in page.inner_text("#profile-name")
    assert page.query_selector("#series-chart svg path") is not None   # time-series chart drawn
    assert page.query_selector("#provenance li") is not None
    shot(page, "atlas_demo_profile_page.png")
    page.close()

    page = open_page(browser, demo_server.url + "/?level=municipality&ind=population")
    page.fill("#search", "Havenstad-Nord")  # French name of Havenstad-Noord
    page.wait_for_selector("#search-results li", timeout=30_000)
    assert "Havenstad-Noord" in page.inner_text("#search-results")
    page.evaluate("document.body.dataset.ready = 'pending'")
    page.click("#search-results li[data-code='97001W01']")
    wait_ready(page)
    page.wait_for_selector("#profile-name", timeout=300_000)
    assert page.input_value("#level") == "neighbourhood"
    assert "Havenstad-Noord" in page.inner_text("#profile-name")
    page.close()


# ------------------------------------------------------------------ real mirror
@pytest.mark.realdata
def test_atlas_on_real_mirror(browser, real_atlas_path):
    server = Server(real_atlas_path)
    try:
        page = open_page(browser, server.url + "/?level=municipality&ind=population")
        assert len(page.evaluate("window.__aankomst.layer.features.map(f => f.id)")) >= 300
        shot(page, "atlas_real_municipality.png")
        change_and_wait(page, "#level", "neighbourhood")
        n = len(page.evaluate("window.__aankomst.layer.features.map(f => f.id)"))
        assert n >= 2700  # ggw7 neighbourhoods (2,767 current; 2,730 in the 2024 layout)
        assert sum(legend_counts(page)) > 2000
        change_and_wait(page, "#indicator", "density")
        assert "dichtheid" in page.inner_text("#map-title").lower()
        code = click_area_with_value(page)
        assert page.inner_text("#profile-name")
        heads = page.eval_on_selector_all("#compare thead .col-kind", "els => els.map(e => e.textContent)")
        assert "Gemeente" in heads and "Gewest" in heads
        shot(page, "atlas_real_neighbourhood_panel.png")
        rows = export_csv(page, "atlas_real_neighbourhood_density.csv")
        assert len(rows) >= 2700 and code in {r["area_code"] for r in rows}
        # Brussels: French names
        page.fill("#search", "Saint-Gilles")
        page.wait_for_selector("#search-results li", timeout=30_000)
        assert "Sint-Gillis / Saint-Gilles" in page.inner_text("#search-results")
        assert real_problems(page) == []
        page.close()
    finally:
        server.stop()
