"""The build, fetch, sql and sources commands (Typer runner) on generated files."""

from __future__ import annotations

from pathlib import Path

import pytest
from _foundation_data import good_dir
from typer.testing import CliRunner

from aankomst.cli import make_app

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("cli")
    data = good_dir(root / "data")
    (data / "mystery.bin").write_bytes(b"\x00")
    db = root / "atlas.duckdb"
    res = runner.invoke(make_app(), ["build", "--data", str(data), "--db", str(db), "--quiet",
                                     "--skip-unknown"])
    return data, db, res


def test_unknown_file_is_an_error_without_skip_unknown(tmp_path):
    data = good_dir(tmp_path / "data")
    (data / "mystery.bin").write_bytes(b"\x00")
    db = tmp_path / "atlas.duckdb"
    res = runner.invoke(make_app(), ["build", "--data", str(data), "--db", str(db), "--quiet"])
    assert res.exit_code != 0
    assert "mystery.bin" in res.output
    if db.exists():  # nothing was loaded
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        assert "population" not in tables or con.execute(
            "SELECT count(*) FROM population").fetchall()[0][0] == 0
        con.close()


def test_build_prints_summary(built):
    data, db, res = built
    assert res.exit_code == 0, res.output
    assert "user/population.csv" in res.output and "statbel/TF_SOC_POP_STRUCT_2012" in res.output
    assert "mystery.bin" in res.output  # unknown files are listed
    assert "README.md" in res.output  # documentation is listed
    assert db.exists()


def test_build_bad_data_exits_2(tmp_path: Path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "population.csv").write_text("level,layout,code,ref_date,scheme,grp,count\nmunicipality,2025,1,2024-01-01,total,total,-1\n")
    res = runner.invoke(make_app(), ["build", "--data", str(d), "--db", str(tmp_path / "x.duckdb"), "--quiet"])
    assert res.exit_code == 2
    assert "population.csv, row 2, column 'count'" in res.output


def test_sql_read_only(built):
    _, db, _ = built
    res = runner.invoke(make_app(), ["sql", "--db", str(db), "--format", "csv",
                                     "SELECT CAST(sum(count) AS BIGINT) AS n FROM population WHERE level = 'sector' AND ref_date = DATE '2024-01-01'"])
    assert res.exit_code == 0, res.output
    assert res.output.strip().splitlines() == ["n", "200"]
    res = runner.invoke(make_app(), ["sql", "--db", str(db), "DELETE FROM population"])
    assert res.exit_code == 2 and "SQL error" in res.output


def test_sources_table(built):
    _, db, _ = built
    res = runner.invoke(make_app(), ["sources", "--db", str(db), "--format", "csv"])
    assert res.exit_code == 0
    assert "statbel/TF_SOC_POP_STRUCT_2012" in res.output and "sha256" in res.output.splitlines()[0]
    res = runner.invoke(make_app(), ["sources", "--list", "--format", "csv"])
    assert "statbel_pop_struct" in res.output and "user_population" in res.output


def test_fetch_offline_fails_fast(tmp_path: Path):
    table = tmp_path / "sources.csv"
    # nothing listens on 127.0.0.1:9: the connection attempt fails at once, before any download
    table.write_text("path,family,title,publisher,url,page,licence,reference_date\n"
                     "statbel/x.zip,statbel_pop_struct,x,Statbel,http://127.0.0.1:9/x.zip,,,\n")
    res = runner.invoke(make_app(), ["fetch", "--to", str(tmp_path / "out"), "--sources", str(table), "--timeout", "1"])
    assert res.exit_code == 2
    assert "cannot reach 127.0.0.1:9" in res.output and "--mirror" in res.output
    assert not (tmp_path / "out" / "statbel" / "x.zip").exists()


def test_fetch_mirror_copies(tmp_path: Path, built):
    data, _, _ = built
    table = tmp_path / "sources.csv"
    table.write_text("path,family,title,publisher,url,page,licence,reference_date\n"
                     "population.csv,user_population,p,me,http://example.invalid/p.csv,,,\n"
                     "statbel/missing.zip,statbel_pop_struct,x,Statbel,http://example.invalid/x.zip,,,\n")
    out = tmp_path / "out"
    res = runner.invoke(make_app(), ["fetch", "--to", str(out), "--mirror", str(data), "--sources", str(table)])
    assert (out / "population.csv").read_bytes() == (data / "population.csv").read_bytes()
    assert res.exit_code == 1 and "statbel/missing.zip" in res.output


def test_builtin_sources_table_covers_every_family():
    from aankomst.sources.catalogue import recognisers
    from aankomst.sources.meta import sources_table

    t = sources_table()
    assert t["url"].str.startswith("http").sum() > 60
    fams = {r.family for r in recognisers() if not r.family.startswith("user_")}
    official = {"boundaries", "sector_basis", "area_definitions", "statbel_sectors", "statbel_pop_struct", "crosswalks",
                "statbel_fisc_sectors", "statbel_income_munty", "brussels_monitor", "brussels_migration"}
    assert official <= fams and official <= set(t["family"])
