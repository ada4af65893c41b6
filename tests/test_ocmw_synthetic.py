"""Synthetic OCMW extract linked to a synthetic register, end to end (docs/ocmw.md §5): generate
(seeded, identical files for one seed), load with the register link, origin breakdown with
"Belgians of foreign origin", dashboard, web route (/ocmw/{code}, its JSON API and CSV export),
the neighbourhood counts of the dashboard's map (protected with the municipal total), the
dashboard cache (a new load is seen) and the CLI; and, on the mirror, the calibration to the
published 2010 table."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import aankomst


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from aankomst.ocmw.generate import generate
    from aankomst.ocmw.load import load
    from aankomst.register.generate import generate as generate_register
    from aankomst.register.load import load_register

    d = tmp_path_factory.mktemp("ocmw_synth")
    reg, ext, db = d / "register", d / "extract", d / "atlas.duckdb"
    generate_register(reg, persons=6000, seed=4)
    atlas = aankomst.open(str(db))
    load_register(reg, atlas, typology=False)
    generate(ext, register=reg, seed=5)
    res = load(ext, atlas, register=reg)
    assert res.family == "ocmw_extract" and res.rows > 0
    atlas.close()
    return {"register": reg, "extract": ext, "db": db, "dir": d}


def _busiest(db: Path, rank: int = 0) -> str:
    """The OCMW with the most leefloon recipients in a year (``rank`` 1: the second one)."""
    a = aankomst.open(str(db), read_only=True)
    codes = a.con.execute("SELECT code FROM measures WHERE level = 'municipality' AND measure = "
                          "'ocmw_recipients:leefloon:T:total' AND scheme = 'total' GROUP BY code "
                          "ORDER BY max(value) DESC, code").fetchall()
    a.close()
    return str(codes[rank][0])


def test_same_seed_same_files(synthetic: dict[str, Path], tmp_path: Path) -> None:
    from aankomst.ocmw.generate import generate

    generate(tmp_path / "again", register=synthetic["register"], seed=5)
    for name in ("clients.parquet", "episodes.parquet", "labour.parquet"):
        a = hashlib.sha256((synthetic["extract"] / name).read_bytes()).hexdigest()
        b = hashlib.sha256((tmp_path / "again" / name).read_bytes()).hexdigest()
        assert a == b, name


def test_extract_is_plausible(synthetic: dict[str, Path]) -> None:
    ep = pd.read_parquet(synthetic["extract"] / "episodes.parquet")
    assert {"leefloon", "article_60", "gpmi"} <= set(ep["measure"])
    lee = ep[ep["measure"] == "leefloon"].dropna(subset=["end_date"])
    months = (pd.to_datetime(lee["end_date"]) - pd.to_datetime(lee["start_date"])).dt.days / 30.44
    assert 3 < months.median() < 24
    assert ep["end_date"].isna().any()                       # censored at the end of the extract
    man = json.loads((synthetic["extract"] / "manifest.json").read_text())
    assert man["extract_end"] == "2021-01-01" and man["seed"] == 5


def test_origin_breakdown_has_belgians_of_foreign_origin(synthetic: dict[str, Path]) -> None:
    from aankomst.indicators import compute
    from aankomst.ocmw.specs import install

    install()
    a = aankomst.open(str(synthetic["db"]), read_only=True)
    got = a.con.execute("SELECT grp, sum(value) FROM measures WHERE measure = 'ocmw_recipients:leefloon:T:total' "
                        "AND level = 'municipality' AND scheme = 'ocmw_origin' GROUP BY grp").fetchall()
    by = dict(got)
    assert by.get("belgian_foreign_origin", 0) > 0 and by.get("belgian_origin", 0) > 0
    assert "belgian_unknown_origin" not in by or by["belgian_unknown_origin"] == 0
    res = compute(a, "ocmw_recipients", level="municipality@synthetic", period=2015,
                  group="ocmw_origin:belgian_foreign_origin")
    assert res.meta["restricted"] and res.data["value"].notna().any()
    a.close()


def test_dashboard_web_route_and_exports(synthetic: dict[str, Path]) -> None:
    from fastapi.testclient import TestClient

    from aankomst.web.app import create_app
    from aankomst.web.ocmw_routes import make_router

    code = _busiest(synthetic["db"])
    app = create_app(str(synthetic["db"]))
    app.include_router(make_router())
    c = TestClient(app)
    r = c.get(f"/ocmw/{code}?lang=fr")
    assert r.status_code == 200 and "Belges d&#39;origine étrangère" in r.text or "origine étrangère" in r.text
    assert "content-security-policy" in r.headers and "style=" not in r.text
    assert not re.findall(r"<script(?![^>]*\bsrc=)", r.text)        # no inline script
    assert c.get("/ocmw/static/ocmw.css").status_code == 200
    j = c.get(f"/api/ocmw/{code}?lang=en").json()
    assert j["area"]["code"] == code and j["latest"] == "2020" and j["restricted"] is True
    labels = {g["label"] for g in j["by_group"]}
    assert "Belgians of foreign origin" in labels
    for g in j["by_group"]:  # nothing between 1 and 4 is shown
        assert g["value"] is None or g["value"] == 0 or g["value"] >= 5
    csv = c.get(f"/api/ocmw/{code}/export.csv")
    assert csv.status_code == 200 and csv.text.startswith('"area_code"')
    bad = c.get("/api/ocmw/99999")
    assert bad.status_code == 404 and bad.json()["error"]["code"].startswith("unknown")
    assert c.get("/ocmw/abc").status_code == 422


def _client(db: Path):
    from fastapi.testclient import TestClient

    from aankomst.web.app import create_app

    return TestClient(create_app(str(db)))


def test_neighbourhood_counts_are_the_engines_published_cells(synthetic: dict[str, Path]) -> None:
    """The map's counts per sector (the synthetic atlas has no neighbourhoods) are exactly what
    the indicator engine publishes at that level (``/api/values``): one protection, so the map
    and the API cannot give away by difference what the other withholds; no count 1–4, the
    published ones exact, the small ones withheld."""
    from aankomst.privacy import threshold

    code = _busiest(synthetic["db"], 1)
    c = _client(synthetic["db"])
    j = c.get(f"/api/ocmw/{code}?lang=fr").json()
    nb = j["neighbourhoods"]
    assert nb["kind"] == "counts" and nb["level"] == "sector" and nb["unit"] == "persons"
    assert not nb["map"]                                          # no geometry in the synthetic atlas
    a = aankomst.open(str(synthetic["db"]), read_only=True)
    try:
        thr = threshold(a)
        exact = dict(a.con.execute(
            "SELECT m.code, m.value FROM measures m JOIN crosswalks x ON x.from_level = 'sector' AND "
            "x.from_layout = m.layout AND x.from_code = m.code AND x.to_level = 'municipality' "
            "WHERE m.level = 'sector' AND m.measure = 'ocmw_recipients:leefloon:T:total' AND m.scheme = 'total' "
            "AND m.period = ? AND x.to_code = ?", [nb["period"], code]).fetchall())
    finally:
        a.close()
    api = c.get("/api/values", params={"indicator": "ocmw_recipients", "level": "sector", "layout": nb["layout"],
                                       "period": nb["period"], "p_measure": "leefloon"})
    assert api.status_code == 200, api.text
    by_api = {str(r["area_code"]): r for r in api.json()["data"]}
    assert {x["code"] for x in nb["areas"]} >= set(exact)
    assert any(x["code"] in by_api for x in nb["areas"])
    for x in nb["areas"]:
        r = by_api.get(x["code"], {"suppressed": False, "value": None})  # a sector without a figure
        assert x["suppressed"] == bool(r["suppressed"]), (x, r)
        assert x["value"] == (None if r["suppressed"] or r["value"] is None else r["value"]), (x, r)
        assert x["value"] is None or x["value"] == 0 or x["value"] >= thr, x    # never 1–4
        assert x["value"] is None or x["value"] == exact.get(x["code"], 0.0)    # published = exact
        if 1 <= exact.get(x["code"], 0.0) < thr:
            assert x["suppressed"], x
    assert any(1 <= v < thr for v in exact.values())                # the test exercises the rule
    # the CSV export carries the same cells, withheld ones empty
    rows = list(csv.DictReader(io.StringIO(c.get(f"/api/ocmw/{code}/export.csv").text)))
    sub = {r["area_code"]: r for r in rows if r["level"] == "sector"}
    assert set(sub) == {x["code"] for x in nb["areas"]}
    for x in nb["areas"]:
        assert (sub[x["code"]]["value"] == "") == (x["value"] is None)
    html = c.get(f"/ocmw/{code}?lang=fr").text
    assert "Carte par quartier" in html and "secret statistique" in html
    assert "pas de limites pour ces zones" in html                   # no geometry: the table


def test_dashboard_cache_sees_a_new_load(synthetic: dict[str, Path], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Page, JSON and CSV of one OCMW share one computation; loading OCMW data again (a new
    atlas version) is seen at once."""
    from aankomst.ocmw import dashboard as D
    from aankomst.ocmw.generate import generate
    from aankomst.ocmw.load import load
    from aankomst.store.hierarchy import atlas_version

    calls: list[str] = []
    real = D._compute_core

    def counted(atlas, code, *args):  # type: ignore[no-untyped-def]
        calls.append(code)
        return real(atlas, code, *args)

    monkeypatch.setattr(D, "_compute_core", counted)
    D.clear_cache()
    db = tmp_path / "atlas.duckdb"
    shutil.copy(synthetic["db"], db)
    code = _busiest(db, 1)
    a = aankomst.open(str(db))
    try:
        first = D.dashboard(a, code, lang="nl")
        D.dashboard(a, code, lang="fr")
        D.export_table(D.dashboard(a, code, lang="en"))
        assert calls == [code]                                  # one computation, three languages
        before = atlas_version(a)
        ext = tmp_path / "extract"
        generate(ext, register=synthetic["register"], seed=6)
        load(ext, a, register=synthetic["register"], months=False)
        assert atlas_version(a) != before
        again = D.dashboard(a, code, lang="nl")
        assert calls == [code, code]                            # the new load is seen
        D.clear_cache()
        fresh = D.dashboard(a, code, lang="nl")
        assert again["neighbourhoods"] == fresh["neighbourhoods"]
        assert again["key_figures"] == fresh["key_figures"]
        assert (first["neighbourhoods"], first["trend"]) != (again["neighbourhoods"], again["trend"])
    finally:
        a.close()
        D.clear_cache()


def test_cli_generate_load_dashboard(synthetic: dict[str, Path], tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from aankomst.cli.ocmw import register

    app = typer.Typer()
    register(app)
    run = CliRunner()
    code = _busiest(synthetic["db"])
    out = run.invoke(app, ["ocmw", "dashboard", code, "--db", str(synthetic["db"]), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["area"]["code"] == code
    html = tmp_path / "d.html"
    out = run.invoke(app, ["ocmw", "dashboard", code, "--db", str(synthetic["db"]), "--out", str(html)])
    assert out.exit_code == 0 and "<style>" in html.read_text()
    out = run.invoke(app, ["ocmw", "dashboard", "99999", "--db", str(synthetic["db"])])
    assert out.exit_code == 2 and "unknown OCMW" in out.output
    out = run.invoke(app, ["ocmw", "generate", "--out", str(tmp_path / "g"), "--register",
                           str(synthetic["register"]), "--seed", "1"])
    assert out.exit_code == 0 and "clients" in out.output
    db = tmp_path / "copy.duckdb"
    db.write_bytes(Path(synthetic["db"]).read_bytes())
    out = run.invoke(app, ["ocmw", "load", str(tmp_path / "g"), "--db", str(db), "--register",
                           str(synthetic["register"]), "--no-months"])
    assert out.exit_code == 0 and "ocmw_extract" in out.output, out.output


@pytest.mark.realdata
@pytest.mark.slow
def test_calibration_to_the_published_2010_table(mirror: Path, tmp_path: Path) -> None:
    from aankomst.ocmw.generate import generate, targets_2010
    from aankomst.register.generate import generate as generate_register

    reg = tmp_path / "register"
    generate_register(reg, persons=150000, seed=3, calibrate_from=mirror)
    r = generate(tmp_path / "extract", register=reg, seed=1)
    fit = r.fit.set_index(["ocmw", "group"])
    assert (fit["target"] == fit["generated"]).all()
    flemish = set(targets_2010().query("region == 'VLA'")["nis_code"])
    assert flemish <= set(fit.index.get_level_values(0))
    # shares of the generated Antwerp recipients equal the published ones within rounding
    a = fit.loc["11002"]["generated"]
    tot = a.sum()
    for g, pct in (("belgian", 62.1), ("non_eu", 30.9), ("eu", 7.0)):
        assert abs(100 * a[g] / tot - pct) <= 100 * 0.5 / tot + 0.051 * 3
