"""Neighbourhoods in difficulty: classification, city tables with denominators, change between
editions, rings, arrivals (hand-computed fixtures; real-data checks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aankomst.analysis import change, difficulty
from aankomst.analysis.arrival import arrival_in_difficulty, share_in_difficulty
from aankomst.sources.base import LoadBatch


def test_classify_operators():
    v = np.array([1, 2, 3, np.nan, 10])
    assert difficulty.classify(v, "le", 2).tolist() == [True, True, False, False, False]
    assert difficulty.classify(v, "gt", 2).tolist() == [False, False, True, False, True]
    assert difficulty.classify(v, "top_share", 0.25).tolist() == [False, False, False, False, True]
    # ties at the cut-off are all included
    assert difficulty.classify([5, 5, 1, 0], "top_share", 0.25).tolist() == [True, True, False, False]
    from aankomst.errors import UnknownCodeError

    with pytest.raises(UnknownCodeError):
        difficulty.classify(v, "between", 1)


def test_transition_status():
    st_ = change.transition_status([True, True, False, False], [True, False, True, False])
    assert st_.tolist() == ["stayed", "left", "entered", "never"]


def test_assign_ring():
    rings = change.ring_definitions("gent")
    r = change.assign_ring([0.2, 1.5, 3.49, 3.5, 12, np.nan], rings)
    assert r.tolist() == ["centre", "adjacent", "adjacent", "periphery", "periphery", "unlocated"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=100), st.floats(0.01, 1))
def test_top_share_marks_at_least_the_share(values, share):
    m = difficulty.classify(values, "top_share", share)
    assert m.sum() >= int(np.ceil(share * len(values)))
    if m.any() and (~m).any():
        assert np.min(np.asarray(values)[m]) > np.max(np.asarray(values)[~m])


# ----------------------------------------------------------------------------- tiny hand atlas
SECTORS = {  # code: (decile 2001, decile 2011, pop 2001, pop 2011)
    "44021A00-": (1, 1, 1000, 1100),   # Gent, stayed
    "44021A01-": (1, 3, 500, 600),     # Gent, left
    "44021B00-": (4, 1, 800, 900),     # Gent, entered
    "44021B01-": (6, 7, 700, 700),     # Gent, never
    "44012A00-": (9, 1, 400, 400),     # De Pinte (Gent urban region), entered
}


@pytest.fixture()
def hand_atlas(tmp_path):
    import aankomst

    a = aankomst.open(str(tmp_path / "hand.duckdb"))
    meas, pop = [], []
    for code, (d1, d2, p1, p2) in SECTORS.items():
        for ed, d, p in (("2001", d1, p1), ("2011", d2, p2)):
            meas.append(("sector", ed, code, "bimd_decile", ed, "total", "total", float(d), "decile"))
            pop.append(("sector", ed, code, pd.Timestamp(f"{ed}-01-01").date(), "total", "total", "T", "total", p))
    m = pd.DataFrame(meas, columns=["level", "layout", "code", "measure", "period", "scheme", "grp", "value", "unit"])
    p = pd.DataFrame(pop, columns=["level", "layout", "code", "ref_date", "scheme", "grp", "sex", "age_band", "count"])
    flows = pd.DataFrame({
        "year": [2012, 2012, 2012, 2013], "origin_kind": "abroad", "origin_level": None, "origin_layout": None,
        "origin_code": "MAR", "dest_kind": "area", "dest_level": "sector", "dest_layout": "2011",
        "dest_code": ["44021A00-", "44021B01-", "44021B00-", "44021B01-"], "scheme": "nationality", "grp": "ETR",
        "count": [30, 10, 3, 2]})
    a.load([LoadBatch("t/hand", "test", "hand", "0", {"measures": m, "population": p, "flows": flows})], check_areas=False)
    yield a
    a.close()


def test_city_table_hand(hand_atlas):
    t = difficulty.city_table(hand_atlas, ["bimd2011_d1"], ["gent"]).iloc[0]
    assert t["residents"] == 1100 + 900
    assert t["city_population"] == 1100 + 600 + 900 + 700
    assert t["share_city"] == pytest.approx(2000 / 3300)
    assert t["urban_region_population"] == 3300 + 400
    assert t["residents_urban_region"] == 2400
    assert t["share_urban_region"] == pytest.approx(2400 / 3700)
    assert t["city_residents_over_region"] == pytest.approx(2000 / 3700)


def test_transitions_hand(hand_atlas):
    tr = change.transitions(hand_atlas, "bimd2001_d1", "bimd2011_d1", city="gent").set_index("area_code")
    assert tr.loc["44021A00-", "status"] == "stayed"
    assert tr.loc["44021A01-", "status"] == "left"
    assert tr.loc["44021B00-", "status"] == "entered"
    assert tr.loc["44021B01-", "status"] == "never"
    assert "44012A00-" not in tr.index
    s = change.transition_summary(tr.reset_index()).set_index("status")
    assert s.loc["entered", "population_after"] == 900


def test_arrival_share_hand(hand_atlas):
    core = share_in_difficulty(
        pd.DataFrame({"year": [1, 1], "dest_code": ["x", "y"], "city": "c", "scheme": "s", "grp": "g", "count": [3, 7]}),
        pd.DataFrame({"area_code": ["x", "y"], "in_difficulty": [True, False]}))
    assert core["share"].iloc[0] == pytest.approx(0.3)
    t = arrival_in_difficulty(hand_atlas, "bimd2011_d1").set_index("year")
    # 2012: 30 + 3 of 43 arrivals into sectors in difficulty; 2013: 2 arrivals (small cell -> suppressed)
    assert t.loc[2012, "value"] == pytest.approx(100 * 33 / 43)
    assert t.loc[2012, "numerator"] == 33 and t.loc[2012, "denominator"] == 43
    assert bool(t.loc[2013, "suppressed"]) and np.isnan(t.loc[2013, "value"])


def test_unknown_rule_and_city(hand_atlas):
    from aankomst.errors import UnknownCodeError

    with pytest.raises(UnknownCodeError, match="bimd2011_d1"):
        difficulty.rule("nope")
    with pytest.raises(UnknownCodeError, match="antwerpen"):
        difficulty.city_table(hand_atlas, ["bimd2011_d1"], ["atlantis"])


# ----------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def dep_atlas(mirror, tmp_path_factory):
    import aankomst
    from aankomst.sources.deprivation import read_directory

    db = tmp_path_factory.mktemp("diff") / "dep.duckdb"
    a = aankomst.open(str(db))
    a.load(read_directory(mirror / "deprivation"), check_areas=False)
    yield a
    a.close()


@pytest.mark.realdata
def test_decile1_is_ten_percent_of_sectors(dep_atlas):
    s = difficulty.sectors_in_difficulty(dep_atlas, "bimd2011_d1")
    assert int(s["in_difficulty"].sum()) == 1877  # deciles of 18,764 ranks: ranks 1..1877 (R cut)
    assert s["population"].notna().all()


@pytest.mark.realdata
def test_city_tables_real(dep_atlas):
    t = difficulty.city_table(dep_atlas, ["bimd2011_d1", "atlas2010_gt05"]).set_index(["city", "rule"])
    assert set(t.index.get_level_values(0)) == {"antwerpen", "gent", "brussel", "leuven", "aalst", "oostende",
                                                 "roeselare", "kortrijk"}
    # city populations of the BIMD 2011 sector file
    assert t.loc[("gent", "bimd2011_d1"), "city_population"] == 247440
    assert t.loc[("brussel", "bimd2011_d1"), "city_population"] == 1118573
    assert (t["share_city"].between(0, 1)).all() and (t["share_urban_region"].between(0, 1)).all()
    assert (t["residents"] <= t["residents_urban_region"]).all()


@pytest.mark.realdata
@pytest.mark.slow
def test_rings_partition_the_city(dep_atlas, mirror):
    rt = change.ring_table(dep_atlas, "antwerpen", mirror=mirror)
    assert "unlocated" not in set(rt["ring"])
    for rid, ed in (("bimd2001_d1", "2001"), ("bimd2011_d1", "2011")):
        sub = rt[rt["rule"] == rid]
        city = difficulty.city_table(dep_atlas, [rid], ["antwerpen"]).iloc[0]
        assert sub["population"].sum() == city["city_population"]
        assert sub["residents"].sum() == city["residents"]
        assert sub["share_of_city_deprived"].sum() == pytest.approx(1.0)


def test_cli_difficulty_change_and_missing_flows(hand_atlas, tmp_path):
    import io

    from typer.testing import CliRunner

    from aankomst.cli import make_app

    path = hand_atlas.path
    hand_atlas.con.execute("DELETE FROM flows")
    hand_atlas.close()
    app = make_app()
    r = CliRunner().invoke(app, ["difficulty", "--rule", "bimd2011_d1", "--city", "gent", "--db", path])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(io.StringIO(r.stdout))
    assert df["residents"].iloc[0] == 2000 and df["city_population"].iloc[0] == 3300
    out = tmp_path / "c.json"
    r = CliRunner().invoke(app, ["difficulty-change", "--city", "gent", "--db", path, "--format", "json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    import json

    payload = json.loads(out.read_text())
    assert "relative within an edition" in payload["meta"]["caution"]
    assert {d["status"] for d in payload["data"]} == {"stayed", "left", "entered", "never"}
    r = CliRunner().invoke(app, ["arrival-difficulty", "--rule", "bimd2011_d1", "--db", path])
    assert r.exit_code == 2 and "flows" in r.output
    import aankomst

    hand_atlas.con = aankomst.open(path).con


def test_cli_tables_apply_small_cell_rule(hand_atlas):
    from aankomst.cli.deprivation import _protect

    t = pd.DataFrame({"city": ["x", "y"], "residents": [3.0, 120.0], "city_population": [500.0, 900.0],
                      "share_city": [3 / 500, 120 / 900]})
    p = _protect(t, hand_atlas)
    assert p["suppressed"].tolist() == [True, False]
    assert np.isnan(p.loc[0, "residents"]) and np.isnan(p.loc[0, "share_city"])
    assert p.loc[1, "residents"] == 120


@pytest.mark.realdata
@pytest.mark.slow
def test_real_neighbourhood_transitions(real_atlas):
    tr = change.neighbourhood_transitions(real_atlas, city="antwerpen")
    s = change.transition_summary(tr).set_index("status")
    assert set(s.index) <= {"entered", "left", "stayed", "never"}
    assert s["areas"].sum() == len(tr) and len(tr) >= 50   # Antwerpen has ~60 ggw7 neighbourhoods
    assert s.loc["stayed", "population_after"] > 100_000
