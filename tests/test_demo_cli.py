"""``aankomst demo`` through Typer's CliRunner: builds a working atlas offline; same seed = same
tables as the session's demo atlas; ``--serve`` hands the atlas to the web server."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

BASE = ("aankomst/demo/areas", "aankomst/demo/population", "aankomst/demo/flows", "aankomst/demo/measures")
COLUMNS = {
    "areas": "level, layout, code, name_nl, name_fr, name_en, area_km2, geometry",
    "crosswalks": "from_level, from_layout, from_code, to_level, to_layout, to_code, weight, split",
    "population": "level, layout, code, ref_date, scheme, grp, sex, age_band, count",
    "flows": "year, origin_kind, origin_level, origin_code, dest_kind, dest_level, dest_code, scheme, grp, count",
    "measures": "level, layout, code, measure, period, scheme, grp, value, unit",
}


def _fingerprints(atlas) -> dict[str, tuple]:
    """Row count and an order-independent hash sum of each base-demo table."""
    ids = ", ".join(f"'{s}'" for s in BASE)
    out = {}
    for table, cols in COLUMNS.items():
        df = atlas.query(
            f"SELECT count(*) AS n, sum(hash({cols})::HUGEINT)::VARCHAR AS h FROM {table} "
            f"WHERE load_id IN (SELECT load_id FROM provenance WHERE source_id IN ({ids}))"
        )
        out[table] = (int(df["n"][0]), df["h"][0])
    return out


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory):
    from aankomst.cli import make_app

    db = tmp_path_factory.mktemp("cli") / "demo.duckdb"
    # --no-extensions --no-profiles keep this second build short; the session's demo atlas runs
    # the extensions and writes the profile table (tests/test_profile_table.py)
    result = CliRunner().invoke(make_app(), ["demo", "--db", str(db), "--seed", "42", "--no-serve",
                                             "--no-progress", "--no-extensions", "--no-profiles"])
    return db, result


def test_demo_command_builds_a_working_atlas(cli_run):
    import aankomst

    db, result = cli_run
    assert result.exit_code == 0, result.output
    assert db.exists()
    out = result.output
    assert "Open next" in out and f"aankomst serve --db {db}" in out
    assert "97001W01" in out and "99001" in out  # the main areas are named with their codes
    with aankomst.open(str(db), read_only=True) as atlas:
        n = atlas.query("SELECT level, count(*) AS n FROM areas GROUP BY level").set_index("level")["n"]
        assert n["municipality"] == 20 and n["neighbourhood"] == 75 and n["sector"] > 200
        pop = atlas.query("SELECT sum(count) AS p FROM population WHERE level = 'country' AND scheme = 'total' "
                          "AND sex = 'T' AND age_band = 'total' AND ref_date = DATE '2023-01-01'")["p"][0]
        assert 1_000_000 < pop < 3_000_000


def test_same_seed_gives_identical_tables(cli_run, demo_atlas):
    import aankomst

    db, result = cli_run
    assert result.exit_code == 0, result.output
    with aankomst.open(str(db), read_only=True) as atlas:
        mine = _fingerprints(atlas)
    theirs = _fingerprints(demo_atlas)
    assert mine == theirs
    assert all(n > 0 for n, _ in mine.values())


def test_serve_option_starts_the_web_server_with_the_atlas(tmp_path, monkeypatch):
    import aankomst.demo
    from aankomst.cli import make_app
    from aankomst.demo.build import KEY_AREAS, DemoReport

    calls = []

    def fake_build(db, *, seed, progress):
        Path(db).touch()
        return DemoReport(Path(db), seed, [2010, 2023], {"areas": 1}, dict(KEY_AREAS), seconds=0.1)

    def fake_serve(db, host, port, **kw):
        calls.append((db, host, port))

    import aankomst.web.app as web_app
    monkeypatch.setattr(aankomst.demo, "build_demo", fake_build)
    monkeypatch.setattr(web_app, "serve", fake_serve)
    db = tmp_path / "d.duckdb"
    result = CliRunner().invoke(make_app(), ["demo", "--db", str(db), "--serve", "--port", "8765",
                                             "--no-progress"])
    assert result.exit_code == 0, result.output
    assert calls == [(str(db), "127.0.0.1", 8765)]


def test_demo_command_reports_a_failing_extension_cleanly(tmp_path, monkeypatch):
    import aankomst.demo
    from aankomst.cli import make_app
    from aankomst.errors import AankomstError

    def failing(db, *, seed, progress):
        raise AankomstError("demo extension x.extend failed: ValueError: boom")

    monkeypatch.setattr(aankomst.demo, "build_demo", failing)
    result = CliRunner().invoke(make_app(), ["demo", "--db", str(tmp_path / "e.duckdb"), "--no-progress"])
    assert result.exit_code == 2
    assert "boom" in result.output
