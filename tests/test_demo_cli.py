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


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_option_starts_the_web_server_with_the_atlas(tmp_path):
    """``aankomst demo --serve`` builds the atlas, then serves *that* atlas over HTTP (a real
    process on a free loopback port, stopped after the check)."""
    import json
    import shutil
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    exe = shutil.which("aankomst", path=str(Path(sys.executable).parent))
    assert exe, "the aankomst console script is installed beside the test interpreter"
    port = _free_port()
    db = tmp_path / "served.duckdb"
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([exe, "demo", "--db", str(db), "--serve", "--port", str(port), "--no-progress",
                             "--no-extensions", "--no-profiles"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/areas?level=municipality",
                                            timeout=30) as r:
                    body = json.load(r)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(1)
        log.flush()
        assert body is not None, (tmp_path / "serve.log").read_text()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    out = (tmp_path / "serve.log").read_text()
    assert db.exists() and f"Serving http://127.0.0.1:{port}/" in out
    codes = {f["properties"]["code"] for f in body["features"]}
    assert len(codes) == 20 and "97001" in codes  # Demoland's 20 municipalities, Havenstad among them


def test_demo_command_refuses_an_atlas_with_other_data_cleanly(tmp_path, mirror):
    """An atlas holding real data is never overwritten by the demo: exit code 2, the reason and
    the fix on the console, the atlas unchanged."""
    import aankomst
    from aankomst.cli import make_app
    from aankomst.sources.build import build_atlas

    data = tmp_path / "data" / "social_assistance"
    data.mkdir(parents=True)
    for f in (mirror / "social_assistance").iterdir():
        (data / f.name).symlink_to(f)
    db = tmp_path / "real.duckdb"
    build_atlas(data.parent, db, progress=False)
    with aankomst.open(str(db), read_only=True) as atlas:
        before = atlas.query("SELECT source_id, load_id FROM provenance ORDER BY load_id").to_dict("records")
    result = CliRunner().invoke(make_app(), ["demo", "--db", str(db), "--no-progress", "--no-extensions",
                                             "--no-profiles"])
    assert result.exit_code == 2, result.output
    assert "non-demo source" in result.output and "choose another --db" in result.output
    with aankomst.open(str(db), read_only=True) as atlas:
        after = atlas.query("SELECT source_id, load_id FROM provenance ORDER BY load_id").to_dict("records")
    assert after == before and any(r["source_id"].startswith("social_assistance/") for r in before)
