"""The OCMW dashboard in Debian chromium (Playwright): ``/ocmw/11002?lang=fr`` on the real atlas
(``aankomst build`` reads the published 2010 leefloon table) renders in French without error
text; the screenshot is saved to ``docs/img/ocmw_dashboard_fr.png``."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import Server, browser  # noqa: F401 - fixtures of the browser tests

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.realdata]
IMG = Path(__file__).resolve().parents[1] / "docs" / "img" / "ocmw_dashboard_fr.png"


@pytest.fixture(scope="module")
def real_server(real_atlas_path):
    s = Server(real_atlas_path)
    yield s
    s.stop()


def test_dashboard_in_french(browser, real_server) -> None:  # noqa: F811
    page = browser.new_page()
    problems: list[str] = []  # console errors, page errors, CSP violations
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    resp = page.goto(real_server.url + "/ocmw/11002?lang=fr")
    assert resp is not None and resp.status == 200
    page.wait_for_load_state("load")
    text = page.inner_text("body")
    assert page.get_attribute("html", "lang") == "fr"
    assert "Anvers" in text and "8\u202f303" in text and "62,1" in text
    assert "Échange de pratiques" not in text          # no registry mounted: no link
    for bad in ("Traceback", "Internal Server Error", "Error", "None", "nan"):
        assert bad not in text, bad
    assert not problems, problems
    IMG.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG), full_page=True)
    page.close()
