"""The map page in Debian chromium (Playwright): first view, categorical maps with their
explanation and change view, place names drawn from the atlas with the shipped glyphs, the
optional base map; on the demo and (``realdata``) on the real mirror.

The screenshots of the README (``atlas_typology.png``, ``atlas_typology_change.png``,
``atlas_landing.png``) are written to ``test-artifacts/``, and to ``docs/img/`` with
``AANKOMST_UPDATE_DOCS_IMG=1`` (so that a test run leaves the checkout clean).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_browser import (  # noqa: F401 - the fixtures browser and demo_server are used by name
    Server,
    browser,
    change_and_wait,
    demo_server,
    open_page,
    real_problems,
    wait_ready,
)
from test_web_map import make_mbtiles
from web_support import sql

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS_IMG = Path(__file__).resolve().parents[1] / (
    "docs/img" if os.environ.get("AANKOMST_UPDATE_DOCS_IMG") == "1" else "test-artifacts")

COLOURED = """() => {
  const a = window.__aankomst, drawn = a.layer.features.map(f => String(f.id));
  const cls = a.result.classes;
  const n = drawn.filter(c => { const v = a.values.get(c); if (!v || v.suppressed) return false;
    return cls.categories ? cls.categories.includes(v.class) : v.value !== null; }).length;
  return [n, drawn.length];
}"""

CLICK_CLASS = """(cls) => {
  const a = window.__aankomst, m = a.map;
  let best = null;
  for (const f of a.layer.features) {
    const v = a.values.get(String(f.id));
    if (!v || v.class !== cls) continue;
    const rings = f.geometry.coordinates.map(p => p[0]);
    const r = rings.reduce((p, q) => q.length > p.length ? q : p);
    let sx = 0, sy = 0; for (const c of r) { sx += c[0]; sy += c[1]; }
    const pt = m.project([sx / r.length, sy / r.length]);
    const hit = m.queryRenderedFeatures(pt, { layers: ['areas-fill'] });
    const rect = m.getCanvas().getBoundingClientRect();
    const top = document.elementFromPoint(rect.left + pt.x, rect.top + pt.y);  // not under the legend
    if (hit.length && String(hit[0].id) === String(f.id) && top === m.getCanvas()) { best = [String(f.id), pt.x, pt.y]; break; }
  }
  return best;
}"""


def legend_rows(page) -> list[tuple[str, int]]:
    return page.eval_on_selector_all(
        "#legend-classes li[data-class]",
        "els => els.map(e => [e.querySelector('.lim').textContent, Number(e.querySelector('.cnt').textContent)])")


def rendered(page, layer: str) -> list[str]:
    return page.evaluate(f"""() => window.__aankomst.map.queryRenderedFeatures({{ layers: ['{layer}'] }})
        .map(f => f.properties.name_nl)""")


def whole(page, box) -> None:
    """Show every area of the layer (for the screenshots), the mouse off the map."""
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.evaluate("""() => new Promise((done) => { const a = window.__aankomst, b = a.layer.bbox;
      a.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 30, duration: 0 }); a.map.once('idle', done); })""")


def test_typology_classes_explanation_and_change_on_demo(browser, demo_server):  # noqa: F811
    view = "4.45,51.19,10.8"  # Havenstad, with its arrival neighbourhood Havenstad-Noord
    page = open_page(browser, demo_server.url + f"/?level=neighbourhood&ind=arrival_typology&view={view}")
    rows = legend_rows(page)
    named = [(lab, n) for lab, n in rows if n > 0]
    assert len(named) >= 3 and all(lab.strip() for lab, _ in named), rows
    assert ["aankomstwijk (toegangspoort)", sum(1 for v in page.evaluate(
        "[...window.__aankomst.values.values()].map(v => v.class)") if v == "gateway")] in rows
    # municipality names are drawn on the map (glyphs from /static/glyphs)
    assert rendered(page, "mun-labels")
    # click a gateway neighbourhood: its class and the rule that held, with the values
    code, x, y = page.evaluate(CLICK_CLASS, "gateway")
    box = page.query_selector("#map").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#tooltip:not([hidden])")
    assert "gateway: newcomer_concentration" in page.inner_text("#tooltip")
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#area-class .explanation", timeout=300_000)
    text = page.inner_text("#area-class")
    assert "aankomstwijk (toegangspoort)" in text and "gateway: newcomer_concentration" in text
    assert f"area={code}" in page.url
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    whole(page, box)
    page.screenshot(path=str(DOCS_IMG / "atlas_typology.png"))

    # the change view of a categorical indicator: transitions with their own legend
    page.evaluate("document.body.dataset.ready = 'pending'")
    page.check("input[name=mode][value=change]")
    wait_ready(page)
    assert page.is_visible("#focus") and page.input_value("#focus") == "gateway"
    change_and_wait(page, "#from", "2010-2014")
    change_and_wait(page, "#to", "2018-2022")
    rows = legend_rows(page)
    assert [lab for lab, _ in rows] == ["werd aankomstwijk (toegangspoort)", "niet langer aankomstwijk (toegangspoort)",
                                        "bleef aankomstwijk (toegangspoort)", "bleef een andere klasse"]
    n, drawn = page.evaluate(COLOURED)
    assert sum(c for _, c in rows) == n and n > 0.9 * drawn
    assert rows[0][1] + rows[2][1] > 0
    assert "mode=change" in page.url and page.query_selector("#status.error") is None
    whole(page, box)
    page.screenshot(path=str(DOCS_IMG / "atlas_typology_change.png"))
    change_and_wait(page, "#focus", "not_arrival")
    assert legend_rows(page)[0][0] == "werd geen aankomstgebied"
    assert real_problems(page) == []
    page.close()


def test_landing_view_and_neighbourhood_names_on_demo(browser, demo_server):  # noqa: F811
    page = open_page(browser, demo_server.url + "/")
    landing = page.evaluate("window.__aankomst.landing")
    assert page.input_value("#level") == landing["level"] and page.input_value("#indicator") == landing["indicator"]
    n, drawn = page.evaluate(COLOURED)
    assert n == landing["coloured"] and n >= 0.9 * drawn
    # neighbourhood names only when zoomed in
    change_and_wait(page, "#level", "neighbourhood")
    page.evaluate("window.__aankomst.map.jumpTo({ center: [4.262, 51.012], zoom: 8 })")
    page.wait_for_function("window.__aankomst.map.loaded()")
    assert rendered(page, "fine-labels") == []
    page.evaluate("window.__aankomst.map.jumpTo({ center: [4.262, 51.012], zoom: 12.5 })")
    page.wait_for_function("window.__aankomst.map.loaded() && window.__aankomst.map.queryRenderedFeatures("
                           "{ layers: ['fine-labels'] }).length > 0", timeout=60_000)
    # French names in French
    page.click("button[data-lang=fr]")
    page.wait_for_function("window.__aankomst.map.getLayoutProperty('mun-labels', 'text-field')[1][1] === 'name_fr'")
    assert real_problems(page) == []
    page.close()


def test_basemap_from_local_mbtiles(browser, demo_atlas_path, tmp_path):  # noqa: F811
    mb = tmp_path / "base.mbtiles"
    make_mbtiles(mb)
    server = Server(demo_atlas_path, basemap=str(mb))
    try:
        page = open_page(browser, server.url + "/?level=municipality&ind=population&view=4.3,51.0,0.5")
        assert page.evaluate("window.__aankomst.basemap.kind") == "raster"
        assert page.evaluate("window.__aankomst.map.getLayer('basemap').type") == "raster"
        page.wait_for_function("window.__aankomst.map.isSourceLoaded('basemap')", timeout=60_000)
        assert real_problems(page) == []
        page.close()
    finally:
        server.stop()


# --------------------------------------------------------------------------- real mirror
@pytest.mark.realdata
def test_landing_and_brussels_north_africans_on_real_data(browser, real_atlas_path, real_atlas):  # noqa: F811
    server = Server(real_atlas_path)
    try:
        page = open_page(browser, server.url + "/")
        n, drawn = page.evaluate(COLOURED)
        assert drawn >= 2700 and n >= 0.9 * drawn, (n, drawn)
        assert rendered(page, "mun-labels")
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / "atlas_landing.png"))

        # North Africans in the Brussels monitoring neighbourhoods in 2010, through the controls
        stored = sql(real_atlas, "SELECT DISTINCT code FROM measures WHERE level = 'brussels_neighbourhood' "
                                 "AND measure = 'nationality_share' AND grp = 'north_africa' AND period = '2010' "
                                 "AND value IS NOT NULL")
        change_and_wait(page, "#level", "brussels_neighbourhood")
        change_and_wait(page, "#indicator", "group_share")
        page.wait_for_function("[...document.querySelectorAll('#gscheme option')].some(o => o.value === 'ibsa_nationality')")
        change_and_wait(page, "#gscheme", "ibsa_nationality")
        change_and_wait(page, "#group", "north_africa")
        change_and_wait(page, "#period", "2010")
        coloured = page.evaluate("""() => { const a = window.__aankomst;
          return a.layer.features.map(f => String(f.id)).filter(c => { const v = a.values.get(c);
            return v && !v.suppressed && v.value !== null; }); }""")
        assert len(stored) >= 55 and set(stored["code"]) <= set(coloured)
        assert page.query_selector("#status.error") is None
        assert real_problems(page) == []
        page.close()
    finally:
        server.stop()
