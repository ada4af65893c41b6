"""The profile table (aankomst.web.profile_table): written by `aankomst demo` and `aankomst build`,
equal to the profile computed on the fly, stale after another load, untouched by a failed load.

The reference is :func:`aankomst.web.profile.build_profile_live` (the indicator engine per area,
the path the web atlas used before the table); the table is built once per level, vectorised.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest

import aankomst
from aankomst.errors import InputError
from aankomst.store.batch import LoadBatch
from aankomst.web import profile_table
from aankomst.web.profile import build_profile, build_profile_live
from aankomst.web.service import Service


def same(a: dict, b: dict) -> bool:
    strip = lambda p: json.dumps({k: v for k, v in p.items() if k != "computed"}, sort_keys=True, default=str)  # noqa: E731
    return strip(a) == strip(b)


def sample(atlas, nodes: list[tuple[str, str]], n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    out = []
    for lv, ly in nodes:
        codes = sorted(atlas.query("SELECT code FROM areas WHERE level = ? AND layout = ?", [lv, ly])["code"])
        out += [(lv, ly, c) for c in rng.sample(codes, min(n, len(codes)))]
    return out


# ------------------------------------------------------------------ demo
def test_demo_builds_a_fresh_table(demo_atlas):
    assert profile_table.status(demo_atlas) == "fresh"
    n = demo_atlas.query("SELECT count(DISTINCT level || layout || code) AS n FROM profile_columns")["n"].iloc[0]
    assert n > 0
    levels = set(demo_atlas.query("SELECT DISTINCT level FROM profile_latest")["level"])
    assert {"neighbourhood", "municipality", "sector", "region"} <= levels


def test_demo_table_equals_the_computation_on_the_fly(demo_atlas, demo_atlas_path):
    svc = Service(str(demo_atlas_path))
    nodes = profile_table.default_nodes(demo_atlas)
    for lv, ly, code in sample(demo_atlas, nodes, 3):
        from_table = build_profile(demo_atlas, svc, code, lv, None, None, ly)
        assert from_table["computed"] == "table"
        live = build_profile_live(demo_atlas, svc, code, lv, None, None, ly)
        assert live["computed"] == "live"
        assert same(from_table, live), (lv, code)


def test_newest_period_without_a_value_falls_back_to_an_earlier_one(demo_atlas, demo_atlas_path):
    """An area without a figure in the newest period shows the newest period that has one."""
    svc = Service(str(demo_atlas_path))
    rows = demo_atlas.query("SELECT level, layout, code, indicator, period FROM profile_earlier")
    latest = demo_atlas.query("SELECT indicator, level, layout, period FROM profile_latest")
    assert len(rows), "the demo has areas without a figure in some newest period"
    r = rows.iloc[0]
    p = build_profile(demo_atlas, svc, r["code"], r["level"], [r["indicator"]], None, r["layout"])
    item = (p["indicators"] + p["classification"])[0]
    newest = latest[(latest["indicator"] == r["indicator"]) & (latest["level"] == r["level"])
                    & (latest["layout"] == r["layout"])]["period"].iloc[0]
    assert item["earlier"] is True and item["period"] == r["period"] and item["latest_period"] == newest
    assert item["period"] != newest
    v = item["values"]["area"]
    assert v is not None and (v["value"] is not None or v["suppressed"])


# ------------------------------------------------------------------ stale and failed loads
def test_stale_after_a_load_and_unchanged_by_a_failed_one(demo_atlas_path, writable_copy):
    db = writable_copy(demo_atlas_path)
    atlas = aankomst.open(str(db))
    try:
        before = atlas.query("SELECT * FROM profile_values ORDER BY ALL")
        version = atlas.query("SELECT value FROM profile_state WHERE key = 'version'")["value"].iloc[0]
        bad = LoadBatch("test/bad", "test", "bad.csv", "0" * 64, {"population": pd.DataFrame({
            "level": ["municipality"], "layout": ["2025"], "code": ["97001"], "ref_date": ["2030-01-01"],
            "scheme": ["total"], "grp": ["total"], "sex": ["T"], "age_band": ["total"], "count": [-3]})})
        with pytest.raises(InputError):
            atlas.load([bad], after=profile_table.refresh)
        # a hook that fails after writing part of the table: data and table roll back together

        def half_then_fail(a):
            profile_table.build_table(a, nodes=[("region", "2025")], own_transaction=False)
            raise RuntimeError("stop")

        good = LoadBatch("test/good", "test", "good.csv", "1" * 64, {"population": pd.DataFrame({
            "level": ["municipality"], "layout": ["2025"], "code": ["97001"], "ref_date": ["2030-01-01"],
            "scheme": ["total"], "grp": ["total"], "sex": ["T"], "age_band": ["total"], "count": [1000]})})
        with pytest.raises(RuntimeError):
            atlas.load([good], after=half_then_fail)
        assert profile_table.status(atlas) == "fresh"
        assert atlas.query("SELECT value FROM profile_state WHERE key = 'version'")["value"].iloc[0] == version
        pd.testing.assert_frame_equal(atlas.query("SELECT * FROM profile_values ORDER BY ALL"), before)
        # a load without the hook: the table is stale and is not read
        atlas.load([good])
        assert profile_table.status(atlas) == "stale"
    finally:
        atlas.close()
    ro = aankomst.open(str(db), read_only=True)
    try:
        p = build_profile(ro, Service(str(db)), "97001", "municipality", ["population"], None)
        assert p["computed"] == "live"
        assert p["indicators"][0]["period"] == "2030"  # the new load is seen
    finally:
        ro.close()


def test_cli_build_writes_the_table_in_the_load_transaction(tmp_path: Path):
    from typer.testing import CliRunner

    from aankomst.cli import make_app

    d = tmp_path / "data"
    d.mkdir()
    (d / "population.csv").write_text("level;layout;code;ref_date;scheme;grp;count\r\n"
                                      "municipality;2025;11002;2024-01-01;total;total;530000\r\n", encoding="utf-8")
    db = tmp_path / "atlas.duckdb"
    r = CliRunner(env={"COLUMNS": "250"}).invoke(make_app(), ["build", "--data", str(d), "--db", str(db), "--quiet"])
    assert r.exit_code == 0, r.output
    assert "profile table:" in r.output
    with aankomst.open(str(db), read_only=True) as atlas:
        assert profile_table.status(atlas) == "fresh"


# ------------------------------------------------------------------ real atlas
@pytest.mark.realdata
def test_real_table_equals_the_computation_on_the_fly(real_atlas_path, writable_copy):
    db = writable_copy(real_atlas_path)
    # municipalities only: every neighbourhood layout of the mirror takes minutes (bench_profile.py
    # measures the whole table); the comparison columns still reach province, region and area type
    nodes = [("municipality", "2025")]
    with aankomst.open(str(db)) as atlas:
        report = profile_table.build_table(atlas, nodes=nodes)
        assert report.areas == sum(len(atlas.query("SELECT code FROM areas WHERE level = ? AND layout = ?", n))
                                   for n in nodes)
    atlas = aankomst.open(str(db), read_only=True)
    try:
        assert profile_table.status(atlas) == "fresh"
        svc = Service(str(db))
        picks = sample(atlas, nodes, 4, seed=11) + [("municipality", "2025", "41002"), ("municipality", "2025", "23044")]
        for lv, ly, code in picks:
            from_table = build_profile(atlas, svc, code, lv, None, None, ly)
            assert from_table["computed"] == "table"
            assert same(from_table, build_profile_live(atlas, svc, code, lv, None, None, ly)), (lv, ly, code)
        # Aalst: population has a newest period (Brussels only) without a figure for Aalst; the
        # profile shows the newest period that has one instead of dropping the indicator
        aalst = build_profile(atlas, svc, "41002", "municipality", ["population"], None)
        row = aalst["indicators"][0]
        assert row["values"]["area"]["value"] > 80_000
        assert row["earlier"] == (row["period"] != row["latest_period"])
    finally:
        atlas.close()
