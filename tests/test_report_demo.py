"""Area reports from the seeded demo atlas: a neighbourhood's report with its arrival typology
and explanation (PDF, text checked with ``pdftotext``), a municipality report from the CLI,
and a batch of reports (two worker processes, one chromium each) with its index page.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from test_report import cli, pdf_text

pytestmark = [pytest.mark.slow]
pytest.importorskip("jinja2")


@pytest.fixture(scope="module")
def havenstad_noord(demo_atlas_path):
    """The collected report of the demo gateway neighbourhood Havenstad-Noord (97001W01)."""
    from aankomst.web.report import ReportContext

    with ReportContext.open(demo_atlas_path) as ctx:
        yield ctx, ctx.collect("97001W01", "neighbourhood", "nl")


def test_demo_neighbourhood_report_has_its_typology_and_explanation(havenstad_noord, chromium_path, tmp_path):
    pytest.importorskip("playwright.sync_api")
    from aankomst.web.report import render_html
    from aankomst.web.report_pdf import PdfRenderer

    ctx, data = havenstad_noord
    profile = data["profile"]
    typ = next(c for c in profile["classification"] if c["id"] == "arrival_typology")
    area = typ["values"]["area"]
    assert area["class"] == "gateway" and typ["explanation"]
    shown = next(c for c in data["classification"] if c["id"] == "arrival_typology")
    assert shown["class_label"] == area["class_label_nl"] and shown["explanation"] == typ["explanation"]
    assert [c["key"] for c in data["columns"]][:2] == ["area", "municipality"]  # beside its municipality
    with PdfRenderer(chromium_path) as r:
        pdf = r.pdf(render_html(data, ctx.folder), footer="Havenstad-Noord")
        assert r.blocked == []  # nothing but data: URIs in the report
    text = pdf_text(pdf, tmp_path)
    for phrase in ("Havenstad-Noord", "Havenstad-Nord", "Aankomsttypologie", area["class_label_nl"],
                   " ".join(typ["explanation"].split()), "Havenstad", "Laagland"):
        assert phrase in text, phrase
    for row in profile["indicators"]:  # every figure of the profile, as in the Aalst test
        for v in row["values"].values():
            if v and v.get("value") is not None and not v.get("suppressed"):
                assert ctx.folder.number(v["value"], row["unit"], "nl") in text, (row["id"], v)
    assert data["maps"]["locator"] and data["maps"]["sub"]
    assert data["maps"]["sub"][0]["indicator"] == "arrival_typology"  # the typology map of the city
    assert all(m["uri"].startswith("data:image/") for m in [data["maps"]["locator"], *data["maps"]["sub"]])
    assert data["series"] and data["series"][0]["svg"].startswith("<svg")


def test_demo_reports_in_english_and_french(havenstad_noord):
    from aankomst.web.report import render_html

    ctx, _ = havenstad_noord
    fr = ctx.collect("97001W01", "neighbourhood", "fr")
    html = unescape(render_html(fr, ctx.folder))  # autoescape writes ' as &#39;
    assert fr["area"]["name"] == "Havenstad-Nord" and "Typologie d'arrivée" in html
    assert "quartier d'arrivée (porte d'entrée)" in html  # the class label in French
    assert "Part de nationalité étrangère" in html
    en = render_html(ctx.collect("97001W01", "neighbourhood", "en"), ctx.folder)
    assert "Key figures" in en and "gateway" in en and "Foreign-nationality share" in en


def quick_brand(tmp_path):
    brand = tmp_path / "brand"
    brand.mkdir()
    (brand / "report.json").write_text(json.dumps({
        "indicators": ["population", "foreign_nationality_share"], "sub_maps": ["foreign_nationality_share"],
        "series": ["population"], "max_sub_maps": 1}))
    (brand / "strings.csv").write_text("key,nl,fr,en\nintro,Rapport van de provincie Dendergouw over {area}.,,\n",
                                       encoding="utf-8")
    return brand


def test_cli_single_report_html_with_branding(demo_atlas_path, tmp_path):
    from typer.testing import CliRunner

    out = tmp_path / "aalstrode.html"
    r = CliRunner().invoke(cli(), ["report", "98001", "--db", str(demo_atlas_path), "--format", "html",
                                   "--out", str(out), "--template-dir", str(quick_brand(tmp_path))])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert "Rapport van de provincie Dendergouw over Aalstrode." in html
    assert "<h1>Aalstrode" in html and 'id="row-population"' in html and 'id="row-density"' not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


@pytest.mark.browser
def test_cli_batch_within_an_arrondissement(demo_atlas_path, chromium_path, tmp_path):
    pytest.importorskip("playwright.sync_api")
    from typer.testing import CliRunner

    out = tmp_path / "reports"
    r = CliRunner().invoke(cli(), ["report", "--all", "--level", "municipality", "--within", "98000",
                                   "--db", str(demo_atlas_path), "--out", str(out), "--workers", "2",
                                   "--template-dir", str(quick_brand(tmp_path))])
    assert r.exit_code == 0, r.output
    pdfs = sorted(p.name for p in out.glob("*.pdf"))
    assert pdfs == [f"aankomst_rapport_{c}_nl.pdf" for c in ("98001", "98002", "98003")]
    assert all((out / p).read_bytes()[:5] == b"%PDF-" for p in pdfs)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{p}"' in index for p in pdfs) and "Aalstrode" in index and "Ommegem" in index
    assert "Arrondissement Aalstrode" in index
