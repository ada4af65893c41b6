"""Segregation indices: hand-computed fixtures, store series, property tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aankomst.analysis import segregation as seg
from aankomst.sources.base import LoadBatch

# 2 groups x 3 areas: group g = 10, 20, 70 of 100 residents each; others 90, 80, 30.
G = np.array([10, 20, 70])
T = np.array([100, 100, 100])


def test_dissimilarity_by_hand():
    # D = 1/2 (|10/100 - 90/200| + |20/100 - 80/200| + |70/100 - 30/200|) = 1/2 (.35 + .2 + .55) = .55
    assert seg.single_group(G, T)["dissimilarity"] == pytest.approx(0.55)


def test_isolation_exposure_by_hand():
    r = seg.single_group(G, T)
    # isolation = sum (x_i/X)(x_i/t_i) = .1*.1 + .2*.2 + .7*.7 = .54; exposure = 1 - .54
    assert r["isolation"] == pytest.approx(0.54)
    assert r["exposure"] == pytest.approx(0.46)


def test_entropy_by_hand():
    def e(p):
        return -sum(q * math.log(q) for q in (p, 1 - p) if q > 0)
    E = e(1 / 3)
    H = sum(100 * (E - e(p)) for p in (0.1, 0.2, 0.7)) / (300 * E)
    assert seg.single_group(G, T)["entropy"] == pytest.approx(H)
    assert H == pytest.approx(0.2478, abs=1e-4)


def test_multigroup_two_groups_equals_single():
    tab = pd.DataFrame({"g": G, "o": T - G})
    m = seg.multigroup(tab, ["g", "o"])
    assert m["multi_dissimilarity"] == pytest.approx(0.55)
    assert m["multi_information"] == pytest.approx(seg.single_group(G, T)["entropy"])


def test_even_and_complete_segregation():
    assert seg.single_group([5, 5, 5], [10, 10, 10])["dissimilarity"] == pytest.approx(0.0)
    r = seg.single_group([10, 0, 0], [10, 10, 10])
    assert r["dissimilarity"] == pytest.approx(1.0) and r["isolation"] == pytest.approx(1.0)


def test_degenerate_inputs():
    assert math.isnan(seg.single_group([0, 0], [10, 10])["dissimilarity"])
    with pytest.raises(ValueError):
        seg.single_group([11, 0], [10, 10])


def test_indices_long_form_adds_residual_group():
    long = pd.DataFrame({"area_code": ["a", "b", "c"], "period": 2000, "group": "g", "count": G, "total": T})
    out = seg.indices(long)
    d = out[(out["group"] == "g") & (out["index"] == "dissimilarity")]["value"].iloc[0]
    assert d == pytest.approx(0.55)
    md = out[(out["group"] == "all") & (out["index"] == "multi_dissimilarity")]["value"].iloc[0]
    assert md == pytest.approx(0.55)  # g vs the residual "other"


counts = st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=2, max_size=30)


@settings(max_examples=60, deadline=None)
@given(counts)
def test_indices_in_valid_ranges(rows):
    x = np.array([r[0] for r in rows], float)
    t = x + np.array([r[1] for r in rows], float)
    r = seg.single_group(x, t)
    for k in ("dissimilarity", "isolation", "exposure", "entropy"):
        if not math.isnan(r[k]):
            assert -1e-9 <= r[k] <= 1 + 1e-9
    if not math.isnan(r["isolation"]):
        assert r["isolation"] + r["exposure"] == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(counts, st.randoms())
def test_invariant_under_relabelling(rows, rnd):
    x = np.array([r[0] for r in rows], float)
    t = x + np.array([r[1] for r in rows], float)
    perm = list(range(len(x)))
    rnd.shuffle(perm)
    a, b = seg.single_group(x, t), seg.single_group(x[perm], t[perm])
    for k in a:
        assert (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == pytest.approx(b[k], abs=1e-12)


# ----------------------------------------------------------------------------- store series
@pytest.fixture()
def monitor_atlas(tmp_path):
    import aankomst

    a = aankomst.open(str(tmp_path / "m.duckdb"))
    pop = pd.DataFrame({"level": "brussels_neighbourhood", "layout": "monitor", "code": ["1", "2", "3"],
                        "ref_date": pd.Timestamp("2005-01-01").date(), "scheme": "total", "grp": "total",
                        "sex": "T", "age_band": "total", "count": [100, 100, 100]})
    etr = pop.assign(scheme="nationality", grp="ETR", count=[10, 20, 70])
    meas = pd.concat([pd.DataFrame({"level": "brussels_neighbourhood", "layout": "monitor", "code": ["1", "2", "3"],
                                    "measure": "nationality_share", "period": per, "scheme": "ibsa_nationality",
                                    "grp": "TUR", "value": [10.0, 20.0, 70.0], "unit": "%"}) for per in ("1997", "2005")])
    a.load([LoadBatch("t/m", "t", "m", "0", {"population": pd.concat([pop, etr]), "measures": meas})], check_areas=False)
    yield a
    a.close()


def test_brussels_series_with_imputed_early_population(monitor_atlas):
    t = seg.segregation_table(monitor_atlas, scheme="ibsa_nationality", level="brussels_neighbourhood",
                              years=range(1997, 2006))
    d = t[(t["group"] == "TUR") & (t["index"] == "dissimilarity")].set_index("period")
    assert d.loc[1997, "value"] == pytest.approx(0.55) and d.loc[2005, "value"] == pytest.approx(0.55)
    assert bool(d.loc[1997, "population_imputed"]) and not bool(d.loc[2005, "population_imputed"])
    n = seg.segregation_table(monitor_atlas, scheme="nationality", level="brussels_neighbourhood")
    dn = n[(n["group"] == "ETR") & (n["index"] == "dissimilarity")]["value"].iloc[0]
    assert dn == pytest.approx(0.55)


def test_unknown_scheme_and_group(monitor_atlas):
    from aankomst.errors import UnknownCodeError

    with pytest.raises(UnknownCodeError):
        seg.segregation_table(monitor_atlas, scheme="religion", level="brussels_neighbourhood")
    with pytest.raises(UnknownCodeError, match="TUR"):
        seg.segregation_table(monitor_atlas, scheme="ibsa_nationality", level="brussels_neighbourhood", groups=["XYZ"])


def test_cli_segregation(monitor_atlas, tmp_path):
    import io

    from typer.testing import CliRunner

    from aankomst.cli import make_app

    path = monitor_atlas.path
    monitor_atlas.close()
    r = CliRunner().invoke(make_app(), ["segregation", "--scheme", "ibsa_nationality", "--area", "04000",
                                        "--level", "brussels_neighbourhood", "--years", "1997-2005",
                                        "--db", path, "--format", "csv"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(io.StringIO(r.stdout))
    assert {"period", "group", "index", "value"} <= set(df.columns)
    assert sorted(df["period"].unique()) == [1997, 2005]
    import aankomst

    monitor_atlas.con = aankomst.open(path).con  # reopen so the fixture can close


@pytest.mark.realdata
@pytest.mark.slow
def test_real_brussels_neighbourhood_series(real_atlas):
    t = seg.segregation_table(real_atlas, scheme="ibsa_nationality", level="brussels_neighbourhood",
                              years=range(1997, 2026))
    d = t[t["index"] == "dissimilarity"]
    assert d["period"].min() == 1997 and d["period"].max() == 2025
    assert d["value"].dropna().between(0, 1).all()
    # population totals are published from 2005: earlier years are flagged as imputed
    assert d.loc[d["period"] < 2005, "population_imputed"].all()
    assert not d.loc[d["period"] >= 2005, "population_imputed"].any()
    # North Africans were markedly more segregated in 1997 than in 2025 (D 0.54 -> 0.27)
    na = d[d["group"] == "north_africa"].set_index("period")["value"]
    assert na.loc[1997] > na.loc[2025] + 0.15


def test_missing_group_is_not_zero():
    long = pd.DataFrame({"area_code": ["a", "b", "c", "a", "b"], "period": 2000, "group": ["g", "g", "g", "h", "h"],
                         "count": [10, 20, 70, 50, 10], "total": [100, 100, 100, 100, 100]})
    out = seg.indices(long).set_index(["group", "index"])
    # h is known in a and b only: D = 1/2(|50/60 - 50/140| + |10/60 - 90/140|)
    d_h = 0.5 * (abs(50 / 60 - 50 / 140) + abs(10 / 60 - 90 / 140))
    assert out.loc[("h", "dissimilarity"), "value"] == pytest.approx(d_h)
    assert out.loc[("h", "dissimilarity"), "n_areas"] == 2
    assert out.loc[("all", "multi_dissimilarity"), "n_areas"] == 2
