"""Synthetic OCMW extract linked to a synthetic register, end to end (docs/ocmw.md §5): generate
(seeded, identical files for one seed), load with the register link, origin breakdown with
"Belgians of foreign origin", dashboard, web route (/ocmw/{code}, its JSON API and CSV export)
and the CLI; and, on the mirror, the calibration to the published 2010 table."""

from __future__ import annotations

import hashlib
import json
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


def _busiest(db: Path) -> str:
    a = aankomst.open(str(db), read_only=True)
    code = a.con.execute("SELECT code FROM measures WHERE level = 'municipality' AND measure = "
                         "'ocmw_recipients:leefloon:T:total' AND scheme = 'total' ORDER BY value DESC LIMIT 1"
                         ).fetchall()[0][0]
    a.close()
    return str(code)


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
    assert "content-security-policy" in r.headers and "<script" not in r.text and "style=" not in r.text
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
