"""Area reports from the atlas built on the offline mirror (``../shared/data``).

* Aalst (41002): the PDF downloaded from the web route ``/api/areas/41002/report.pdf``, turned
  into text by ``pdftotext``, holds the area's name and every key figure of the web profile
  ``/api/areas/41002/profile`` (same server), in the report's notation; the HTML variant of the
  same route renders in Debian chromium under the server's Content-Security-Policy.
* A statistical sector with 1–4 inhabitants: its population appears as "—" with the small-cell
  footnote, never as a number.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_report import pdf_text
from web_support import client_for

from aankomst.web.report_text import NO_VALUE, TemplateFolder

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
pytest.importorskip("fastapi")

ROUTE = "/api/areas/{code}/report.pdf"


def with_reports(app):
    """The application with the report router (unless the integrator already included it)."""
    from aankomst.web.report_routes import router

    if not any(getattr(r, "path", "") == ROUTE for r in app.routes):
        app.include_router(router)
    return app


@pytest.fixture(scope="module")
def client(real_atlas_path):
    with client_for(real_atlas_path) as c:
        with_reports(c.app)
        yield c


@pytest.fixture(scope="module")
def aalst_pdf(client, chromium_path):
    pytest.importorskip("playwright.sync_api")
    r = client.get("/api/areas/41002/report.pdf", params={"lang": "nl"})
    assert r.status_code == 200, r.text[:500]
    return r


def expected_texts(profile: dict, lang: str = "nl") -> list[tuple[str, str, str]]:
    """``(indicator, column, text)`` of every figure of the profile, in the report notation."""
    f = TemplateFolder()
    out = []
    for row in profile["indicators"]:
        for col, v in row["values"].items():
            if v is None or (v.get("value") is None and not v.get("suppressed")):
                continue
            text = NO_VALUE if v.get("suppressed") else f.number(v["value"], row["unit"], lang)
            out.append((row["id"], col, text))
    return out


def test_aalst_pdf_from_the_route_holds_every_profile_figure(client, aalst_pdf, tmp_path):
    assert aalst_pdf.headers["content-type"] == "application/pdf"
    assert 'attachment; filename="aankomst_rapport_41002_nl.pdf"' == aalst_pdf.headers["content-disposition"]
    text = pdf_text(aalst_pdf.content, tmp_path)
    profile = client.get("/api/areas/41002/profile").json()
    assert profile["area"]["name"] == "Aalst" and "Aalst" in text
    figures = expected_texts(profile)
    assert len(figures) >= 10, figures  # Aalst, its area type and region, several indicators
    missing = [f for f in figures if f[2] not in text]
    assert not missing, missing
    # independent of the report's formatter: income per inhabitant 2019 in Dutch notation
    inc = next(r for r in profile["indicators"] if r["id"] == "income_per_inhabitant")["values"]["area"]["value"]
    assert f"{round(inc):,}".replace(",", ".") in text
    for phrase in ("13 centrumsteden", "Vlaams Gewest", "Kerncijfers", "Regel voor kleine aantallen",
                   "Herkomst van de gegevens", "Statbel", "referentiedatum"):
        assert phrase in text, phrase


def test_aalst_pdf_is_a4_with_embedded_fonts(aalst_pdf, tmp_path):
    import subprocess

    p = tmp_path / "aalst.pdf"
    p.write_bytes(aalst_pdf.content)
    info = subprocess.run(["pdfinfo", str(p)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info and int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 3
    fonts = subprocess.run(["pdffonts", str(p)], capture_output=True, text=True, check=True).stdout
    assert all(line.split()[-5] == "yes" for line in fonts.strip().splitlines()[2:]), fonts


def test_report_html_route_in_french_links_its_stylesheet(client):
    r = client.get("/api/areas/41002/report.html", params={"lang": "fr"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="fr">' in html and "Chiffres clés" in html and "Région flamande" in html
    assert "Revenu net imposable par habitant" in html  # French label from the report's own table
    assert "<style" not in html and " style=" not in html and "<script" not in html
    assert '/api/reports/report.css' in html and "/api/areas/41002/report.pdf?lang=fr" in html
    css = client.get("/api/reports/report.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/api/areas/99999/report.html").status_code == 404
    bad = client.get("/api/areas/41002/report.pdf", params={"lang": "de"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_parameter"


def test_small_count_is_suppressed_in_the_report(real_atlas, chromium_path, tmp_path):
    pytest.importorskip("playwright.sync_api")
    from aankomst.web.report import ReportContext

    hit = real_atlas.query(
        "SELECT code, count FROM population WHERE level = 'sector' AND layout = '2019' AND scheme = 'total' "
        "AND grp = 'total' AND sex = 'T' AND age_band = 'total' AND ref_date = DATE '2019-01-01' "
        "AND count BETWEEN 1 AND 4 AND code NOT LIKE '%ZZZZ' ORDER BY code LIMIT 1")
    assert len(hit) == 1
    code = str(hit["code"].iloc[0])
    brand = tmp_path / "brand"
    brand.mkdir()
    (brand / "report.json").write_text(json.dumps({"indicators": ["population"], "sub_maps": [], "series": []}))
    ctx = ReportContext(real_atlas, template_dir=brand)
    data = ctx.collect(code, "sector@2019", "nl")
    row = next(r for r in data["rows"] if r["id"] == "population")
    assert row["cells"][0] == {"text": NO_VALUE, "kind": "suppressed"}
    assert [c["key"] for c in data["columns"]][:2] == ["area", "municipality"]
    assert row["cells"][1]["kind"] == "value"  # the municipality's population is published
    html = ctx.build(code, "sector@2019", "nl", "html")
    cells = re.search(r'<tr id="row-population">(.*?)</tr>', html, re.DOTALL).group(1)
    first = re.findall(r'<td class="num (\w+)">(.*?)</td>', cells, re.DOTALL)[0]
    assert first == ("suppressed", NO_VALUE + "<sup>*</sup>")
    text = pdf_text(ctx.build(code, "sector@2019", "nl", "pdf"), tmp_path)
    assert NO_VALUE in text and "afgeschermd volgens de regel voor kleine aantallen" in text


@pytest.mark.browser
def test_report_page_renders_in_chromium_and_downloads_the_pdf(real_atlas_path, chromium_path, monkeypatch,
                                                                 tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_browser import CHROMIUM_ARGS, Server

    import aankomst.web.app as web_app

    plain = web_app.create_app
    monkeypatch.setattr(web_app, "create_app", lambda db, **kw: with_reports(plain(db, **kw)))
    server = Server(Path(real_atlas_path))
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(accept_downloads=True)
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(f"{server.url}/api/areas/41002/report.html?lang=nl", timeout=600_000)
            assert page.inner_text("h1").startswith("Aalst")
            colour = page.eval_on_selector("h1", "e => getComputedStyle(e).color")
            assert colour == "rgb(31, 95, 139)", colour  # the linked stylesheet applies (CSP-safe)
            widths = page.eval_on_selector_all("figure.map img", "els => els.map(e => e.naturalWidth)")
            assert widths and all(w > 0 for w in widths)
            assert page.locator("#key-figures tbody tr").count() >= 3
            with page.expect_download(timeout=600_000) as dl:
                page.click(".download a")
            path = tmp_path / dl.value.suggested_filename
            dl.value.save_as(path)
            assert path.name == "aankomst_rapport_41002_nl.pdf" and path.read_bytes()[:5] == b"%PDF-"
            art = Path(__file__).resolve().parents[1] / "test-artifacts"
            art.mkdir(exist_ok=True)
            page.screenshot(path=str(art / "report_aalst.png"), full_page=False)
            browser.close()
        assert not [m for m in problems if "Content Security Policy" in m], problems
    finally:
        server.stop()
