"""Spatial clusters: FDR by hand, Gi* by hand, seeded permutations, islands, a planted hot spot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aankomst.analysis import clusters as cl


def test_benjamini_hochberg_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.20])
    # sorted .01 .03 .04 .20 -> p*m/k = .04 .06 .0533 .20 -> cumulative min from the top: .04 .0533 .0533 .20
    q = cl.benjamini_hochberg(p)
    assert q.tolist() == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])
    assert np.isnan(cl.benjamini_hochberg([np.nan, 0.5])[0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=50))
def test_bh_properties(p):
    q = cl.benjamini_hochberg(p)
    assert np.all(q >= np.asarray(p) - 1e-12) and np.all(q <= 1)
    order = np.argsort(p)
    assert np.all(np.diff(q[order]) >= -1e-12)


def _grid(n: int = 6, *, island: bool = False):
    import geopandas as gpd
    from shapely.geometry import box

    rows = []
    for i in range(n):
        for j in range(n):
            hot = i < 3 and j < 3
            rows.append((f"{i}{j}", 100.0 if hot else 10.0 + (i * 7 + j * 3) % 5, box(i, j, i + 1, j + 1)))
    if island:
        rows.append(("far", 50.0, box(100, 100, 101, 101)))
    df = pd.DataFrame(rows, columns=["area_code", "v", "geometry"])
    return gpd.GeoDataFrame(df, geometry="geometry", crs=31370)


def test_gi_star_z_by_hand():
    # path a-b-c, values 1, 2, 6: n=3, mean 3, S = sqrt((1+4+36)/3 - 9) = sqrt(41/3 - 9)
    y = np.array([1.0, 2.0, 6.0])
    nbs = [np.array([1]), np.array([0, 2]), np.array([1])]
    S = np.sqrt(41 / 3 - 9)
    z_a = (1 + 2 - 3 * 2) / (S * np.sqrt((3 * 2 - 4) / 2))
    z = cl.gi_star_z(y, nbs)
    assert z[0] == pytest.approx(z_a)
    assert np.isnan(z[1])  # W_b = n: the star covers the whole map, no variance
    assert z[2] > 0


def test_planted_hot_spot_found_and_reproducible():
    g = _grid()
    a = cl.local_clusters(g, "v", permutations=999, seed=7)
    b = cl.local_clusters(g, "v", permutations=999, seed=7)
    pd.testing.assert_frame_equal(a, b)
    hot = set(a.loc[a["gi_class"] == "hot", "area_code"])
    assert hot and hot <= {f"{i}{j}" for i in range(3) for j in range(3)}
    assert "11" in hot  # the centre of the planted block
    assert set(a.loc[a["lisa_class"] == "HH", "area_code"]) <= {f"{i}{j}" for i in range(3) for j in range(3)}
    assert (a["lisa_q"] >= a["lisa_p"] - 1e-12).all()


def test_lisa_statistic_matches_esda():
    import esda
    from libpysal.weights import Queen

    g = _grid()
    res = cl.local_clusters(g, "v", permutations=99, seed=1)
    w = Queen.from_dataframe(g, use_index=False)
    w.transform = "r"
    ref = esda.Moran_Local(g["v"].to_numpy(), w, permutations=0)
    assert np.allclose(res["lisa_I"].to_numpy(), ref.Is)


def test_island_and_missing_are_reported_not_fatal():
    g = _grid(island=True)
    g.loc[0, "v"] = np.nan
    r = cl.local_clusters(g, "v", permutations=99, seed=3)
    assert r.set_index("area_code").loc["far", "gi_class"] == "island"
    assert r.set_index("area_code").loc["00", "gi_class"] == "missing"
    assert r.attrs["islands"] == 1 and r.attrs["missing"] == 1
    tiny = cl.local_clusters(_grid(2).iloc[:2], "v", permutations=9)
    assert set(tiny["gi_class"]) == {"too_few_areas"}


def test_cluster_map_written(tmp_path):
    g = _grid(island=True)
    r = cl.local_clusters(g, "v", permutations=99, seed=3)
    out = cl.cluster_map(g, r, str(tmp_path / "m.png"), title="t", source="test")
    assert (tmp_path / "m.png").stat().st_size > 1000 and out.endswith("m.png")


def test_relabelling_does_not_change_statistics():
    g = _grid()
    r1 = cl.local_clusters(g, "v", permutations=9, seed=1).set_index("area_code")
    g2 = g.iloc[::-1].reset_index(drop=True)
    r2 = cl.local_clusters(g2, "v", permutations=9, seed=1).set_index("area_code").loc[r1.index]
    assert np.allclose(r1["lisa_I"], r2["lisa_I"]) and np.allclose(r1["gi_z"], r2["gi_z"])
    assert (r1["n_neighbours"] == r2["n_neighbours"]).all()


@pytest.mark.realdata
@pytest.mark.slow
def test_real_income_hot_spots_2019(real_atlas):
    g = cl.income_by_neighbourhood(real_atlas, year="2019")
    r = cl.local_clusters(g, "mean_income", permutations=999, seed=12345)
    names = dict(zip(g["area_code"], g["name"].astype(str)))
    hot = {names[c] for c in r.loc[r["gi_class"] == "hot", "area_code"]}
    cold = {names[c] for c in r.loc[r["gi_class"] == "cold", "area_code"]}
    assert any("Tervuren" in n for n in hot)          # the green belt south-east of Brussels
    assert any("Kuregem" in n for n in cold)          # Brussels' arrival belt
    assert r.attrs["islands"] >= 0 and (r["gi_q"].dropna() >= r["gi_p"].dropna()).all()
