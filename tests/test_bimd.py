"""BIMD recomputation: hand-computed fixtures, published figures, property tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aankomst.analysis import bimd


# ----------------------------------------------------------------------------- hand fixtures
def test_weights_are_the_published_ones():
    assert bimd.bimd_weights() == {"income": 0.20, "employment": 0.20, "education": 0.25,
                                   "housing": 0.15, "crime": 0.05, "health": 0.15}
    assert "health" not in bimd.bimd_weights(without_health=True)
    assert sum(bimd.bimd_weights(without_health=True).values()) == pytest.approx(0.85)


def test_exponential_transform_hand_values():
    # rank 1 of n is the most deprived: R = 1 -> X = -23 ln(e^(-100/23)) = 100
    x = bimd.exponential_transform([1, 2, 4], n=4)
    k = 1 - np.exp(-100 / 23)
    assert x[0] == pytest.approx(100.0)
    assert x[1] == pytest.approx(-23 * np.log(1 - 0.75 * k))
    assert x[2] == pytest.approx(-23 * np.log(1 - 0.25 * k))


def test_recompute_hand_example():
    dom = pd.DataFrame({"area_code": ["a", "b", "c"], "income": [10, 50, 0], "employment": [0, 0, 100],
                        "education": [20, 40, 0], "housing": [0, 0, 0], "crime": [100, 0, 0], "health": [0, 20, 0]})
    out = bimd.recompute(dom)
    # a: .2*10 + .25*20 + .05*100 = 2 + 5 + 5 = 12; b: 10 + 10 + 3 = 23; c: 20
    assert out["score"].tolist() == pytest.approx([12.0, 23.0, 20.0])
    assert out["rank"].tolist() == [3, 1, 2]
    nh = bimd.recompute(dom, without_health=True)
    assert nh["score"].tolist() == pytest.approx([12.0, 20.0, 20.0])
    assert nh["rank"].tolist() == [3, 1, 1]  # tie: both get the lowest rank (method "min")


def test_deciles_of_twenty_ranks():
    d = bimd.deciles_from_rank(np.arange(1, 21))
    assert d.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10]


def test_deciles_r_cut_boundaries():
    # n = 11: bounds 1 + 10k/10 = 2..10 -> rank r in decile r-1 (rank 1 and 2 in decile 1)
    assert bimd.deciles_from_rank(np.arange(1, 12)).tolist() == [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]


def test_extent_weights_formula():
    w = bimd.extent_weights()
    assert w.loc[w.percentile <= 10, "weight"].eq(1).all()
    assert w.set_index("percentile").loc[11, "weight"] == pytest.approx(0.95)
    assert w.set_index("percentile").loc[30, "weight"] == pytest.approx(0.05)
    assert w.loc[w.percentile > 30, "weight"].eq(0).all()


def test_municipal_summary_hand_example():
    # 10 sectors (ranks 1..10 nationally), two municipalities
    sec = pd.DataFrame({"area_code": [f"s{i}" for i in range(1, 11)], "municipality": ["A"] * 3 + ["B"] * 7,
                        "score": [90, 80, 70, 60, 50, 40, 30, 20, 10, 5], "rank": list(range(1, 11)),
                        "population": [100, 300, 100, 100, 100, 100, 100, 100, 100, 100]})
    m = bimd.municipal_summary(sec).set_index("area_code")
    assert m.loc["A", "score"] == pytest.approx((9000 + 24000 + 7000) / 500)   # 80
    assert m.loc["B", "score"] == pytest.approx((60 + 50 + 40 + 30 + 20 + 10 + 5) * 100 / 700)
    assert m.loc["A", "rank"] == 1 and m.loc["B", "rank"] == 2
    assert m.loc["A", "average_rank"] == pytest.approx((1 * 100 + 2 * 300 + 3 * 100) / 500)
    # n = 10: percentile groups of ranks 1..10 are 1, 12, 23, 34, 45, 56, 67, 78, 89, 100
    # weights: 1 (p1), 0.902631579 (p12), 0.381578947 (p23), 0 above
    assert m.loc["A", "extent"] == pytest.approx((100 * 1 + 300 * (0.95 - 0.9 / 19) + 100 * (0.95 - 12 * 0.9 / 19)) / 500)
    assert m.loc["B", "extent"] == 0
    assert m.loc["A", "share_population_decile1"] == pytest.approx(100 / 500)  # decile 1 = rank 1 only
    assert m.loc["A", "share_sectors_decile1"] == pytest.approx(1 / 3)


# ----------------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=200))
def test_ranks_and_deciles_valid(scores):
    r = bimd.rank_descending(scores)
    d = bimd.deciles_from_rank(r)
    assert r.min() == 1 and r.max() <= len(scores)
    assert d.min() >= 1 and d.max() <= 10
    # monotone: a higher score never gets a worse (higher) decile
    order = np.argsort(-np.asarray(scores), kind="stable")
    assert np.all(np.diff(d[order]) >= 0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100), st.integers(0, 5000)), min_size=3, max_size=40),
       st.randoms())
def test_municipal_summary_invariant_under_relabelling(rows, rnd):
    sec = pd.DataFrame({"area_code": [f"s{i}" for i in range(len(rows))],
                        "municipality": [f"m{i % 3}" for i in range(len(rows))],
                        "score": [r[0] for r in rows], "population": [r[2] for r in rows]})
    sec["rank"] = bimd.rank_descending(sec["score"])
    a = bimd.municipal_summary(sec).set_index("area_code").sort_index()
    perm = list(range(len(sec)))
    rnd.shuffle(perm)
    b = bimd.municipal_summary(sec.iloc[perm].reset_index(drop=True)).set_index("area_code").sort_index()
    pd.testing.assert_frame_equal(a, b)
    ok = a["extent"].dropna()
    assert ((ok >= 0) & (ok <= 1 + 1e-12)).all()


# ----------------------------------------------------------------------------- published figures
@pytest.fixture(scope="module")
def dep_atlas(mirror, tmp_path_factory):
    import aankomst
    from aankomst.sources.deprivation import read_directory

    db = tmp_path_factory.mktemp("bimd") / "dep.duckdb"
    a = aankomst.open(str(db))
    a.load(read_directory(mirror / "deprivation"), check_areas=False)
    yield a
    a.close()


@pytest.mark.realdata
@pytest.mark.parametrize("edition", ["2001", "2011"])
@pytest.mark.parametrize("level,without_health", [("sector", False), ("sector", True), ("municipality", False)])
def test_recomputed_equals_published(dep_atlas, edition, level, without_health):
    from aankomst.analysis.deprivation import compare_published

    c = compare_published(dep_atlas, edition, level, without_health=without_health)
    assert c["n"] == {"sector": {"2001": 18295, "2011": 18764}, "municipality": {"2001": 589, "2011": 589}}[level][edition]
    assert c["missing"] == 0
    assert c["max_abs_score_diff"] < 1e-6
    assert c["rank_mismatches"] == 0
    assert c["decile_mismatches"] == 0
    assert c["ties"] == 0  # documented: no tied overall scores in either edition


@pytest.mark.realdata
def test_exponential_transform_reproduces_published_domain_scores(mirror):
    b = pd.read_csv(mirror / "deprivation/bimd/BIMD2011_DOMAINS_STATISTICAL_SECTOR_ELLIS_WIDE.csv")
    for dom in ("income", "employment", "edu", "hous", "health"):
        x = bimd.exponential_transform(b[f"rank_{dom}_domain"], n=len(b))
        assert np.abs(x - b[f"exp_score_{dom}_domain"]).max() < 1e-9
    # crime is measured per municipality: ranks among the 589 municipalities
    x = bimd.exponential_transform(b["rank_crime_domain"], n=589)
    assert np.abs(x - b["exp_score_crime_domain"]).max() < 1e-9


@pytest.mark.realdata
def test_extent_weights_equal_published_table(mirror):
    from aankomst.sources.deprivation import read_extent_weights

    pub = read_extent_weights(mirror / "deprivation/bimd/extent_weights.csv")
    ours = bimd.extent_weights()
    assert np.abs(pub["weight"].to_numpy() - ours["weight"].to_numpy()).max() < 1e-8


@pytest.mark.realdata
def test_municipal_summaries_known_values(dep_atlas):
    from aankomst.analysis.deprivation import bimd_municipalities

    m = bimd_municipalities(dep_atlas, "2011").set_index("area_code")
    # published: Antwerpen average score 35.2049426483993, rank 78, decile 2
    assert m.loc["11002", "score"] == pytest.approx(35.2049426483993, abs=1e-9)
    assert (m.loc["11002", "rank"], m.loc["11002", "decile"]) == (78, 2)
    assert m["population"].sum() == 10944082
    assert ((m["extent"] >= 0) & (m["extent"] <= 1)).all()
    assert m.loc["21014", "rank"] == 1  # Sint-Joost-ten-Node, most deprived municipality in 2011
