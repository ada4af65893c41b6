"""Area reports without a big atlas: texts in three languages, the small-cell rule in the
rendered report, template folders (branding), charts, errors naming the bad value, the CLI's
argument checks and the offline PDF printer (Debian chromium).

The reports of real areas are tested in ``test_report_realdata.py`` (Aalst, from the mirror)
and ``test_report_demo.py`` (a demo neighbourhood with its arrival typology, batches).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from markupsafe import Markup

from aankomst.errors import AankomstError, UnknownCodeError
from aankomst.web.report import cell, notes_of, render_html, report_filename, resolve_area
from aankomst.web.report_charts import Line, line_chart
from aankomst.web.report_text import NO_VALUE, PACKAGED, TemplateFolder

pytest.importorskip("jinja2")


def fake_report(folder: TemplateFolder, lang: str = "nl", **over) -> dict:
    """A complete report data dict (the shape of aankomst.web.report.collect), by hand."""
    ctx = SimpleNamespace(folder=folder)
    cols = [{"key": "area", "code": "11002A", "level": "neighbourhood", "layout": "2025",
             "name": "Wijk <A&B>", "heading": "Wijk"},
            {"key": "municipality", "code": "11002", "level": "municipality", "layout": "2025",
             "name": "Antwerpen", "heading": "Gemeente"}]
    rows = [{"id": "population", "label": "Bevolking", "unit": "personen", "period": "1 januari 2019",
             "earlier": False, "denominator": "", "sources": [1],
             "cells": [cell(ctx, {"value": 3.0, "suppressed": True}, "persons", lang),
                       cell(ctx, {"value": 529247.0, "suppressed": False}, "persons", lang)]},
            {"id": "foreign_nationality_share", "label": "Aandeel vreemde nationaliteit", "unit": "%",
             "period": "1 januari 2019", "earlier": True, "denominator": "12.345", "sources": [1],
             "cells": [cell(ctx, None, "%", lang), cell(ctx, {"value": 21.04, "suppressed": False}, "%", lang)]}]
    data = {
        "lang": lang, "title": folder.text("report_title", lang), "generated": "2 december 2026",
        "logo": folder.data_uri("logo.svg"), "intro": folder.text("intro", lang, area="Wijk <A&B>"),
        "area": {"code": "11002A", "level": "neighbourhood", "layout": "2025", "name": "Wijk <A&B>",
                 "other_names": [], "level_label": "wijk", "surface": "1,2 km²"},
        "columns": cols, "rows": rows, "notes": notes_of(rows),
        "difficulty": {"rows": [], "table": None, "notes": notes_of([])}, "classification": [],
        "maps": {"locator": None, "sub": []}, "series": [], "definitions": [],
        "small_cell": {"threshold": 5, "t": 4, "restricted": True},
        "provenance": [{"n": 1, "source_id": "x", "publisher": "Statbel", "title": "Population",
                        "reference_date": "2019-01-01", "licence": "open", "url": "https://example.org/x"}],
        "atlas": {"file": "atlas.duckdb", "built": "1 december 2026", "n": 3, "text": "De atlas …"},
        "unavailable": [], "profile": {},
    }
    data.update(over)
    return data


# ------------------------------------------------------------------ texts
def test_numbers_dates_and_labels_in_three_languages():
    f = TemplateFolder()
    assert f.number(6653062.0, "persons", "nl") == "6.653.062"
    assert f.number(6653062.0, "persons", "en") == "6,653,062"
    assert f.number(6653062.0, "persons", "fr") == "6\u00a0653\u00a0062"
    assert f.number(7.8231, "%", "nl") == "7,8" and f.number(7.8231, "%", "en") == "7.8"
    assert f.number(-3.01, "per 1,000 inhabitants per year", "en") == "\u22123.0"
    assert f.period("2021-01-01", "nl") == "1 januari 2021"
    assert f.period("2010-01-01/2023-01-01", "en") == "1 January 2010 \u2013 1 January 2023"
    assert f.period("2020-2022", "fr") == "2020\u20132022"
    from aankomst.indicators import listing

    item = next(r for r in listing("records") if r["id"] == "income_per_inhabitant")
    assert f.label(item, "fr") == item["label_fr"] and "revenu" in item["label_fr"].lower()  # from the catalogue
    assert f.label(item, "en") == item["label_en"]
    assert f.label({k: v for k, v in item.items() if k != "label_fr"}, "fr") == item["label_en"]  # fallback
    with pytest.raises(AankomstError, match="strings.csv"):
        f.text("no_such_string", "nl")
    with pytest.raises(AankomstError, match="nl, fr, en"):
        from aankomst.web.report_text import check_lang
        check_lang("de")


def test_every_ui_string_and_french_label_is_complete():
    f = TemplateFolder()
    for key, row in f.strings.items():
        assert row.get("nl") and row.get("fr"), key
        assert row.get("en") or key == "definition_in_english", key
    from aankomst.indicators import listing

    for rec in listing("records"):
        assert rec.get("label_fr") and rec.get("definition_fr"), f"no French label or definition for {rec['id']}"
        assert f.label(rec, "fr") == rec["label_fr"]


# ------------------------------------------------------------------ small-cell rule
def test_a_suppressed_figure_is_a_dash_never_a_number():
    ctx = SimpleNamespace(folder=TemplateFolder())
    for lang in ("nl", "fr", "en"):
        assert cell(ctx, {"value": 3.0, "suppressed": True}, "persons", lang) == {"text": NO_VALUE, "kind": "suppressed"}
        assert cell(ctx, {"value": None, "suppressed": True}, "%", lang)["text"] == NO_VALUE
    assert cell(ctx, None, "%", "nl") == {"text": "n.b.", "kind": "missing"}
    assert cell(ctx, {"value": 12.5, "suppressed": False}, "%", "en") == {"text": "12.5", "kind": "value"}


def test_rendered_report_shows_suppressed_with_footnote_and_escapes_names():
    folder = TemplateFolder()
    html = render_html(fake_report(folder), folder)
    row = re.search(r'<tr id="row-population">(.*?)</tr>', html, re.DOTALL).group(1)
    cells = re.findall(r'<td class="num (\w+)">(.*?)</td>', row, re.DOTALL)
    assert cells[0] == ("suppressed", "\u2014<sup>*</sup>")
    assert cells[1] == ("value", "529.247")
    assert "afgeschermd volgens de regel voor kleine aantallen" in html
    assert "tellingen van 1 tot 4 personen" in html
    assert "<sup>†</sup> laatste periode met een cijfer" in html
    assert "Wijk &lt;A&amp;B&gt;" in html and "<A&B>" not in html  # autoescaped
    assert "<style>" in html and "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing loaded from anywhere
    served = render_html(fake_report(folder), folder, css_href="/api/reports/report.css", pdf_href="/x.pdf")
    assert "<style" not in served and " style=" not in served  # the web atlas CSP forbids inline styles
    assert '<link rel="stylesheet" href="/api/reports/report.css">' in served


# ------------------------------------------------------------------ branding
def test_template_folder_overrides_file_by_file(tmp_path):
    (tmp_path / "strings.csv").write_text("key,nl,fr,en\nintro,Welkom in {area} — Provincie Oost-Vlaanderen,"
                                          "Bienvenue,Welcome to {area}\n", encoding="utf-8")
    (tmp_path / "report.css").write_text(":root { --accent: #aa0000; }\n", encoding="utf-8")
    (tmp_path / "report.json").write_text(json.dumps({"max_sub_maps": 1, "logo": "brand.png"}), encoding="utf-8")
    (tmp_path / "brand.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    folder = TemplateFolder(tmp_path)
    assert folder.text("intro", "nl", area="Aalst") == "Welkom in Aalst — Provincie Oost-Vlaanderen"
    assert folder.text("report_title", "nl") == "Gebiedsrapport"  # rows not overridden stay
    assert folder.settings["max_sub_maps"] == 1 and folder.settings["series"]  # merged by key
    assert folder.data_uri("brand.png").startswith("data:image/png;base64,")
    data = fake_report(folder, intro=folder.text("intro", "nl", area="Aalst"), logo=folder.data_uri("brand.png"))
    html = render_html(data, folder)
    assert "--accent: #aa0000" in html and "Welkom in Aalst" in html and "data:image/png;base64," in html
    (tmp_path / "report.html").write_text("<p>{{ r.area.name }} {{ t('report_title') }}</p>", encoding="utf-8")
    assert render_html(data, TemplateFolder(tmp_path)) == "<p>Wijk &lt;A&amp;B&gt; Gebiedsrapport</p>"
    with pytest.raises(AankomstError, match="does not exist"):
        TemplateFolder(tmp_path / "missing")
    (tmp_path / "report.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(AankomstError, match="not valid JSON"):
        _ = TemplateFolder(tmp_path).settings


def test_packaged_templates_are_data_files():
    names = {p.name for p in PACKAGED.iterdir()}
    assert {"report.html", "index.html", "report.css", "strings.csv", "report.json",
            "logo.svg"} <= names


# ------------------------------------------------------------------ charts
def test_chart_is_plain_svg_with_gaps_and_escaped_labels():
    svg = line_chart(["2019", "2020", "2021", "2023"],
                     [Line("Aalst <x>", [1.0, None, 3.0, 4.0]), Line("Vlaams Gewest", [2.0, 2.5, 3.0, 3.5])],
                     y_label="%", fmt=lambda v: f"{v:g}", colours=["#111111", "#222222"], title="T")
    assert isinstance(svg, Markup) and svg.startswith("<svg")
    assert "Aalst &lt;x&gt;" in svg and " style=" not in svg and "<script" not in svg
    assert svg.count("<polyline") == 2  # Aalst: one segment of 2 points after the gap, region one line
    xs = [float(x) for x in re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle"', svg)]
    assert xs[3] - xs[2] == pytest.approx(2 * (xs[2] - xs[1]))  # 2023 placed by its year


# ------------------------------------------------------------------ errors
def test_unknown_area_lists_close_matches(demo_atlas):
    with pytest.raises(UnknownCodeError) as e:
        resolve_area(demo_atlas, "97001W1", "neighbourhood")
    msg = str(e.value)
    assert "'97001W1'" in msg and "97001W01 Havenstad-Noord" in msg and "aankomst sql" in msg
    with pytest.raises(UnknownCodeError, match="known: .*Havenstad"):
        resolve_area(demo_atlas, "Havenstadt")
    with pytest.raises(UnknownCodeError, match="unknown level 'gemeentee'"):
        resolve_area(demo_atlas, "97001", "gemeentee")
    assert resolve_area(demo_atlas, "97001")["name"] == "Havenstad"
    assert report_filename("11002/A", "fr", "pdf") == "aankomst_rapport_11002_A_fr.pdf"


def cli():
    import typer

    from aankomst.cli.report import register

    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps 'report' a sub-command
        pass

    return app


def test_cli_argument_errors(tmp_path, demo_atlas_path):
    from typer.testing import CliRunner

    def run(app, args):
        res = CliRunner().invoke(app, args)
        res.text = " ".join(res.output.split())  # Rich wraps long messages
        return res

    r = run(cli(), ["report", "--db", str(demo_atlas_path)])
    assert r.exit_code == 2 and "give an area CODE, or --all" in r.text
    r = run(cli(), ["report", "--all", "--db", str(demo_atlas_path)])
    assert r.exit_code == 2 and "--all needs --level" in r.text
    r = run(cli(), ["report", "97001", "--db", str(demo_atlas_path), "--lang", "de"])
    assert r.exit_code == 2 and "use nl, fr or en" in r.text
    r = run(cli(), ["report", "97001", "--db", str(tmp_path / "none.duckdb")])
    assert r.exit_code == 2 and "does not exist" in r.text
    r = run(cli(), ["report", "9700l", "--db", str(demo_atlas_path), "--format", "html", "--out", str(tmp_path / "x.html")])
    assert r.exit_code == 2 and "unknown area '9700l'" in r.text and "97001" in r.text
    r = run(cli(), ["report", "--all", "--level", "municipality", "--within", "97001W01", "--db",
                    str(demo_atlas_path), "--out", str(tmp_path / "d")])
    assert r.exit_code == 2 and "no municipality areas lie inside '97001W01'" in r.text


# ------------------------------------------------------------------ the PDF printer
@pytest.mark.browser
def test_pdf_is_a4_offline_with_embedded_fonts(chromium_path, tmp_path):
    pytest.importorskip("playwright.sync_api")
    if not shutil.which("pdfinfo"):
        pytest.skip("poppler-utils (pdfinfo, pdftotext) missing: apt-get install poppler-utils")
    from aankomst.web.report_pdf import PdfRenderer

    html = ('<html><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head><body>'
            '<h1>Aalst</h1><img src="https://example.org/tracker.png">'
            '<img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=">'
            "</body></html>")
    with PdfRenderer(chromium_path) as r:
        pdf = r.pdf(html, footer="Aalst <test>")
        blocked = list(r.blocked)
    assert pdf[:5] == b"%PDF-"
    assert sorted(blocked) == ["http://127.0.0.1:9/x.css", "https://example.org/tracker.png"]
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+59\d\.\d+ x 84\d\.\d+ pts \(A4\)", info), info
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = fonts.strip().splitlines()[2:]
    assert rows and all(line.split()[-5] == "yes" for line in rows), fonts  # 'emb' column
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Aalst" in text and "Aalst <test>" in text  # the footer, escaped into chromium's template


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """``pdftotext`` of PDF bytes, whitespace collapsed to single spaces."""
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) missing: apt-get install poppler-utils")
    p = tmp_path / "report.pdf"
    p.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())
