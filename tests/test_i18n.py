"""Nederlands, Français, English: the interface strings (``web/static/i18n.json``), the API's error
messages in the request's language (``data/web_errors.csv``), and the map and profile pages with
``?lang=fr`` in Debian chromium.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from web_support import client_for, error_of

from aankomst.paths import package_data

I18N = Path(__file__).resolve().parents[1] / "src" / "aankomst" / "web" / "static" / "i18n.json"


def flat(d: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def test_every_key_in_every_language():
    d = json.loads(I18N.read_text(encoding="utf-8"))
    assert list(d)[:1] == ["nl"] and set(d) == {"nl", "fr", "en"}
    keys = {lang: flat(d[lang]) for lang in d}
    for lang in ("fr", "en"):
        assert set(keys[lang]) == set(keys["nl"]), (lang, set(keys["nl"]) ^ set(keys[lang]))
    for lang, table in keys.items():
        empty = [k for k, v in table.items() if not isinstance(v, str) or not v.strip()]
        assert not empty, (lang, empty)
    # French is French: the words that differ between the languages differ
    assert keys["fr"]["municipality"] == "Commune" and keys["fr"]["levels.neighbourhood"] == "Quartier"
    same_word = {"level", "report_pdf"}  # "Niveau", "Rapport (PDF)": the same word in both languages
    same = [k for k in keys["nl"] if keys["fr"][k] == keys["nl"][k] and keys["nl"][k] != keys["en"][k]
            and k not in same_word]
    assert not same, same  # a Dutch text left in the French block


def test_error_texts_table():
    with open(package_data("web_errors.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and set(rows[0]) == {"code", "nl", "fr", "en"}
    for r in rows:
        assert all(r[k].strip() for k in ("nl", "fr", "en")), r


def test_api_errors_in_the_request_language(demo_atlas_path):
    with client_for(demo_atlas_path) as c:
        en = error_of(c.get("/api/areas/99999/profile"), 404, "unknown_area")
        fr = error_of(c.get("/api/areas/99999/profile", headers={"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}),
                      404, "unknown_area")
        nl = error_of(c.get("/api/areas/99999/profile", params={"lang": "nl"},
                            headers={"Accept-Language": "fr"}), 404, "unknown_area")
        assert "unknown" in en["message"] and "Zone inconnue" in fr["message"] and "Onbekend gebied" in nl["message"]
        assert "99999" in fr["message"] and "99999" in nl["message"]
        assert fr["detail"] == en["detail"]  # the structured detail does not change
        e = error_of(c.get("/api/values", params={"indicator": "population", "level": "municipality",
                                                  "period": "1850", "lang": "fr"}))
        assert e["message"] and "Traceback" not in e["message"]
        e = error_of(c.get("/no/such/path", params={"lang": "fr"}), 404, "not_found")
        assert e["message"].startswith("Aucun chemin")
        e = error_of(c.get("/api/values", params={"indicator": "population", "level": "municipality",
                                                  "k": "99", "lang": "nl"}), 422, "invalid_parameter")
        assert e["message"].startswith("Ongeldige parameter 'k'")


# ------------------------------------------------------------------ browser
@pytest.mark.browser
@pytest.mark.slow
def test_french_map_and_profile_pages(chromium_path, demo_atlas_path):
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM_ARGS, FAILED, READY, Server

    d = json.loads(I18N.read_text(encoding="utf-8"))
    nl, fr = flat(d["nl"]), flat(d["fr"])
    server = Server(demo_atlas_path)
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1400, "height": 900}, locale="fr-BE")
            for url in ("/?lang=fr&level=municipality&ind=population", "/area/neighbourhood/97001W01?lang=fr"):
                page.goto(server.url + url)
                page.wait_for_selector(f"{READY}, {FAILED}", state="attached", timeout=300_000)
                assert page.query_selector(FAILED) is None
                assert page.get_attribute("html", "lang") == "fr"
                texts = page.eval_on_selector_all("[data-i18n]", "els => els.map(e => [e.dataset.i18n, e.textContent])")
                assert texts
                for key, text in texts:
                    assert text == fr[key], (url, key, text)
                    assert nl[key] == fr[key] or text != nl[key], (url, key, text)
                assert page.query_selector("button[data-lang=fr].active") is not None
            # the profile in French: its headings, the level and the French name of the area first
            assert page.inner_text("#profile-name").startswith("Havenstad-Nord")
            heads = page.eval_on_selector_all("#compare thead .col-kind", "els => els.map(e => e.textContent)")
            assert heads[:2] == ["Zone", "Commune"]
            body = page.inner_text("#panel-body")
            assert "Profil de la zone" in body and "Origine des chiffres" in body and "Gebiedsprofiel" not in body
            # numbers in the French (Belgian) format: a space (U+202F) as thousands separator
            nums = page.eval_on_selector_all("#compare td.num", "els => els.map(e => e.textContent)")
            assert any("\u202f" in n or "\u00a0" in n for n in nums), nums
            # the map page's language switch goes to French from Dutch
            page.goto(server.url + "/?level=municipality&ind=population")
            page.wait_for_selector(READY, state="attached", timeout=300_000)
            page.click("button[data-lang=fr]")
            page.wait_for_selector("html[lang=fr]", state="attached")
            assert page.inner_text("[data-i18n=indicator]") == "Indicateur"
            assert "lang=fr" in page.url
            b.close()
    finally:
        server.stop()
