"""Small-cell protection of tables with margins: primary + complementary suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aankomst.privacy import _equations, protect_indicator, recoverable_cells, suppress_table


def _two_way(cells: np.ndarray) -> pd.DataFrame:
    """Long table of an r x c count table with row, column and grand totals ('T')."""
    r, c = cells.shape
    rows = [(f"r{i}", f"c{j}", int(cells[i, j])) for i in range(r) for j in range(c)]
    rows += [(f"r{i}", "T", int(cells[i].sum())) for i in range(r)]
    rows += [("T", f"c{j}", int(cells[:, j].sum())) for j in range(c)]
    rows += [("T", "T", int(cells.sum()))]
    return pd.DataFrame(rows, columns=["row", "col", "count"])


def test_hand_example():
    # one small cell (3) in a 2x3 table: it and a complement in its row and column must go
    t = _two_way(np.array([[3, 10, 12], [20, 30, 40]]))
    out = suppress_table(t, {"row": "T", "col": "T"}, threshold=5)
    cell = out.set_index(["row", "col"])
    assert cell.loc[("r0", "c0"), "suppression"] == "primary"
    assert cell["suppressed"].sum() >= 4  # a 2x2 rectangle at least
    assert not len(recoverable_cells(t["count"].to_numpy(float), out["suppressed"].to_numpy(), _equations(t, {"row": "T", "col": "T"})))
    # zero is published
    t0 = _two_way(np.array([[0, 10], [20, 30]]))
    assert not suppress_table(t0, {"row": "T", "col": "T"})["suppressed"].any()


def test_grouped_margins_scheme_and_area_hierarchy():
    # sectors s1,s2 in municipality m; groups BEL/ETR add to total: two grouped dimensions
    rows = []
    data = {"s1": (40, 2), "s2": (50, 9)}
    for s, (b, e) in data.items():
        rows += [(s, "nationality/BEL", b), (s, "nationality/ETR", e), (s, "total/total", b + e)]
    rows += [("m", "nationality/BEL", 90), ("m", "nationality/ETR", 11), ("m", "total/total", 101)]
    t = pd.DataFrame(rows, columns=["area", "sg", "count"])
    dims = {"area": {"s1": "m", "s2": "m"}, "sg": {"nationality/BEL": "total/total", "nationality/ETR": "total/total"}}
    out = suppress_table(t, dims, threshold=5)
    s = out.set_index(["area", "sg"])["suppressed"]
    assert s[("s1", "nationality/ETR")]
    assert not len(recoverable_cells(t["count"].to_numpy(float), out["suppressed"].to_numpy(), _equations(t, dims)))
    assert out.loc[out["suppressed"], "count"].isna().all()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4).flatmap(lambda r: st.integers(2, 4).flatmap(
    lambda c: st.lists(st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8, 12, 30]), min_size=r * c, max_size=r * c).map(
        lambda v: np.array(v).reshape(r, c)))),
    st.integers(3, 6))
def test_property_no_small_cell_published_and_none_recoverable(cells, threshold):
    t = _two_way(cells)
    dims = {"row": "T", "col": "T"}
    out = suppress_table(t, dims, threshold=threshold)
    pub = out.loc[~out["suppressed"], "count"]
    assert not ((pub >= 1) & (pub < threshold)).any()          # no published small cell
    rec = recoverable_cells(t["count"].to_numpy(float), out["suppressed"].to_numpy(), _equations(t, dims))
    assert len(rec) == 0                                         # nothing follows from the margins
    # primary suppressions are exactly the small cells
    small = (t["count"] >= 1) & (t["count"] < threshold)
    assert (out["suppression"] == "primary").to_numpy().tolist() == small.to_numpy().tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 15), min_size=2, max_size=6))
def test_property_one_way_table(parts):
    t = pd.DataFrame({"g": [f"g{i}" for i in range(len(parts))] + ["total"], "count": parts + [sum(parts)]})
    out = suppress_table(t, {"g": "total"}, threshold=5)
    sup = out["suppressed"].to_numpy()
    assert sup.sum() != 1  # a lone suppressed cell would be total minus the others
    assert not len(recoverable_cells(t["count"].to_numpy(float), sup, _equations(t, {"g": "total"})))


def test_protect_indicator_unchanged_contract():
    df = pd.DataFrame({"value": [0.5, 0.2, 0.1], "numerator": [10, 3, 0], "denominator": [20, 15, 4]})
    out = protect_indicator(df)
    assert out["suppressed"].tolist() == [False, True, True]
    assert out["value"].isna().tolist() == [False, True, True]
