"""``aankomst indicators`` and ``aankomst indicator`` on the hand-made fixture atlas."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from test_indicators_fixture import build


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("cli") / "fixture.duckdb")


@pytest.fixture(scope="module")
def app():
    from aankomst.cli import make_app

    return make_app()


def run(app, args):
    r = CliRunner().invoke(app, args)
    return r


def test_indicators_json_lists_stable_ids_with_parameters(app):
    r = run(app, ["indicators", "--format", "json"])
    assert r.exit_code == 0, r.output
    recs = json.loads(r.stdout)
    ids = {x["id"] for x in recs}
    assert {"population", "internal_migration_balance", "newcomer_concentration"} <= ids
    assert all("parameters" in x for x in recs)


def test_indicators_table_and_markdown(app):
    r = run(app, ["indicators"])
    assert r.exit_code == 0 and "foreign_nationality_share" in r.stdout
    r = run(app, ["indicators", "--format", "markdown"])
    assert r.exit_code == 0 and r.stdout.startswith("# Indicators")


def test_indicator_csv_columns_and_sidecar(app, db, tmp_path):
    out = tmp_path / "share.csv"
    r = run(app, ["indicator", "foreign_nationality_share", "--db", str(db), "--level", "region",
                  "--year", "2015", "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, dtype={"area_code": str})
    for col in ("area_code", "area_name", "level", "period", "group", "value", "unit", "suppressed"):
        assert col in df.columns
    row = df.set_index("area_code").loc["02000"]
    assert row["value"] == pytest.approx(100 * 326 / 1264)
    meta = json.loads(Path(str(out) + ".meta.json").read_text())
    assert meta["id"] == "foreign_nationality_share" and meta["definition_en"]
    assert meta["reference_periods"] == ["2015-01-01"] and meta["sources"]


def test_indicator_csv_header_option(app, db):
    r = run(app, ["indicator", "internal_migration_balance", "--db", str(db), "--level",
                  "municipality", "--year", "2012", "--window", "3", "--csv-meta", "header"])
    assert r.exit_code == 0, r.output
    assert "# definition_en:" in r.stdout and "# unit: per 1,000" in r.stdout
    df = pd.read_csv(io.StringIO(r.stdout), comment="#", dtype={"area_code": str})
    v = dict(zip(df["area_code"], df["value"]))
    assert v["23044"] == pytest.approx(35 / 3 / 102 * 1000)


def test_indicator_json_and_parquet_carry_meta(app, db, tmp_path):
    r = run(app, ["indicator", "group_share", "--db", str(db), "--level", "municipality",
                  "--year", "2020", "--scheme", "nationality_group6", "--group", "north_africa",
                  "--format", "json"])
    assert r.exit_code == 0, r.output
    payload = json.loads(r.stdout)
    assert payload["meta"]["group"] == "nationality_group6:north_africa"
    assert payload["data"][0]["value"] == pytest.approx(100 * 30 / 172)
    out = tmp_path / "x.parquet"
    r = run(app, ["indicator", "bilateral_balance", "--db", str(db), "--level", "municipality",
                  "--year", "2012", "--reference", "04000", "--format", "parquet", "--out", str(out)])
    assert r.exit_code == 0, r.output
    import pyarrow.parquet as pq

    t = pq.read_table(out)
    meta = json.loads(t.schema.metadata[b"aankomst"])
    assert meta["id"] == "bilateral_balance" and "reference area 04000" in " ".join(meta["notes"])
    df = t.to_pandas()
    assert dict(zip(df["area_code"], df["value"]))["23044"] == pytest.approx(33 / 3 / 102 * 1000)


def test_indicator_min_population_param_and_compare(app, db):
    r = run(app, ["indicator", "foreign_nationality_share", "--db", str(db), "--level",
                  "municipality", "--year", "2015", "--min-population", "100"])
    df = pd.read_csv(io.StringIO(r.stdout), dtype={"area_code": str})
    assert list(df["area_code"]) == ["21004", "11002", "23044"] and list(df["rank"]) == [1, 2, 3]
    r = run(app, ["indicator", "first_entry_share", "--db", str(db), "--level", "municipality",
                  "--year", "2010-2012", "--param", "origin=brussels", "--param", "average=pooled"])
    df = pd.read_csv(io.StringIO(r.stdout), dtype={"area_code": str})
    assert dict(zip(df["area_code"], df["value"]))["23044"] == pytest.approx(100 * 24 / 29)
    r = run(app, ["indicator", "foreign_nationality_share", "--db", str(db), "--level",
                  "municipality", "--year", "2015", "--compare", "11002"])
    df = pd.read_csv(io.StringIO(r.stdout), dtype={"area_code": str})
    assert set(df["role"]) == {"area", "region", "area_type"}


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--level", "municipality", "--year", "2016"], "2016-01-01"),
        (["--level", "planet", "--year", "2015"], "unknown level"),
    ],
)
def test_indicator_errors_exit_2_with_one_message(app, db, args, needle):
    r = run(app, ["indicator", "foreign_nationality_share", "--db", str(db), *args])
    assert r.exit_code == 2
    assert needle in " ".join(r.output.split())


def test_indicator_missing_db(app, tmp_path):
    r = run(app, ["indicator", "population", "--db", str(tmp_path / "none.duckdb"), "--level",
                  "region", "--year", "2015"])
    assert r.exit_code == 2 and "does not exist" in " ".join(r.output.split())
