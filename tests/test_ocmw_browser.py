"""The OCMW dashboard in Debian chromium (Playwright) on the real atlas (``aankomst build`` reads
the published 2010 leefloon table):

* ``/ocmw/11002?lang=fr`` renders in French without error text, with its neighbourhood map: the
  neighbourhoods of Antwerpen outlined and the sentence that no neighbourhood figures are loaded
  (the 2010 table is municipal);
* a Brussels OCMW of the table renders its map coloured by the IBSA share of residents on an OCMW
  income per monitoring neighbourhood, with a legend of class limits.

Screenshots go to ``test-artifacts/`` (``docs/img/`` with ``AANKOMST_UPDATE_DOCS_IMG=1``, so
that a test run leaves the checkout clean)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from test_browser import Server, browser  # noqa: F401 - fixtures of the browser tests

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.realdata]
IMG_DIR = Path(__file__).resolve().parents[1] / (
    "docs/img" if os.environ.get("AANKOMST_UPDATE_DOCS_IMG") == "1" else "test-artifacts")
READY = "#nb-map[data-ready]"


@pytest.fixture(scope="module")
def real_server(real_atlas_path):
    s = Server(real_atlas_path)
    yield s
    s.stop()


def _open(browser, url: str):  # noqa: F811
    # tall enough for the whole dashboard: a full-page screenshot then needs no resize, which
    # MapLibre would follow only after the shot
    page = browser.new_page()
    page.set_viewport_size({"width": 1400, "height": 2200})
    page.problems = []  # console errors, page errors, CSP violations
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    resp = page.goto(url)
    assert resp is not None and resp.status == 200
    page.wait_for_load_state("load")
    page.wait_for_selector(READY, timeout=60_000)
    assert page.get_attribute("#nb-map", "data-ready") == "1", page.get_attribute("#nb-map", "data-error")
    return page


def _painted(page) -> int:
    """Distinct colours on the map canvas (a blank canvas has one or two)."""
    return page.evaluate("""() => {
      const c = document.querySelector('#nb-map canvas');
      const g = document.createElement('canvas'); g.width = 64; g.height = 48;
      const x = g.getContext('2d'); x.drawImage(c, 0, 0, 64, 48);
      const d = x.getImageData(0, 0, 64, 48).data, seen = new Set();
      for (let i = 0; i < d.length; i += 4) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
      return seen.size; }""")


def test_dashboard_in_french(browser, real_server) -> None:  # noqa: F811
    page = _open(browser, real_server.url + "/ocmw/11002?lang=fr")
    text = page.inner_text("body")
    assert page.get_attribute("html", "lang") == "fr"
    assert "Anvers" in text and "8\u202f303" in text and "62,1" in text
    assert "Échange de pratiques" not in text          # no registry mounted: no link
    for bad in ("Traceback", "Internal Server Error", "Error", "None", "nan"):
        assert bad not in text, bad
    # the map: Antwerpen's neighbourhoods outlined, and why there are no figures on it
    assert page.locator("#nb-map canvas.maplibregl-canvas").count() == 1
    assert int(page.get_attribute("#nb-map", "data-features") or 0) > 40
    assert "Carte par quartier" in text
    assert "Aucun chiffre par quartier n'est chargé pour ce CPAS" in text
    assert "aankomst ocmw load EXTRACT" in text
    assert page.locator("#nb-legend").count() == 0     # nothing to explain in a legend
    assert _painted(page) > 2
    assert not page.problems, page.problems
    IMG_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG_DIR / "ocmw_dashboard_fr.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("code", ["21004"])  # Bruxelles/Brussel, in the published 2010 table
def test_brussels_dashboard_map_of_ibsa_shares(browser, real_server, code: str) -> None:  # noqa: F811
    page = _open(browser, real_server.url + f"/ocmw/{code}?lang=fr")
    text = page.inner_text("body")
    assert "Carte par quartier (2023)" in text and "IBSA" in text
    assert "Aucun chiffre par quartier" not in text
    n = int(page.get_attribute("#nb-map", "data-features") or 0)
    assert n >= 10
    legend = page.inner_text("#nb-legend")
    assert "Légende (%)" in legend
    # class limits with a decimal comma, and the class counts add up to the areas drawn
    limits = re.findall(r"(\d+,\d) – (\d+,\d)\s*\((\d+)\)", legend)
    assert len(limits) >= 3, legend
    lo = [float(a.replace(",", ".")) for a, _, _ in limits]
    assert lo == sorted(lo) and 0 <= lo[0] < 30
    assert sum(int(k) for _, _, k in limits) == n
    assert _painted(page) > len(limits)                  # the classes' colours are on the canvas
    # a published share of a neighbourhood is in the table under the map
    page.locator("#neighbourhoods details.nb-table").evaluate("d => { d.open = true; }")
    assert re.search(r"Anneessens\s+\d+,\d", page.inner_text("#neighbourhoods table"))
    assert not page.problems, page.problems
    IMG_DIR.mkdir(parents=True, exist_ok=True)
    page.locator("#neighbourhoods").screenshot(path=str(IMG_DIR / f"ocmw_map_{code}_fr.png"))
    page.close()
