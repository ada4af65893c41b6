"""Re-expressing counts on another layout along crosswalks (hand-computed fixtures and a
property test), and the hierarchy checks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aankomst
from aankomst.errors import AankomstError
from aankomst.sources.base import LoadBatch
from aankomst.sources.derived import derive_links
from aankomst.store.layouts import hierarchy_report, reexpress


def _cw(rows, fl="municipality", fy="2018", tl="municipality", ty="2025"):
    return pd.DataFrame({"from_level": fl, "from_layout": fy, "from_code": [r[0] for r in rows], "to_level": tl, "to_layout": ty,
                         "to_code": [r[1] for r in rows], "weight": [r[2] for r in rows],
                         "weight_basis": ["whole" if r[2] == 1 else "area" for r in rows], "split": [r[2] < 1 for r in rows]})


def _pop(codes, counts, layout="2018"):
    n = len(codes)
    return pd.DataFrame({"level": "municipality", "layout": layout, "code": codes, "ref_date": [pd.Timestamp("2012-01-01").date()] * n,
                         "scheme": "total", "grp": "total", "sex": "T", "age_band": "total", "count": counts})


@pytest.fixture()
def atlas(tmp_path: Path):
    a = aankomst.open(str(tmp_path / "l.duckdb"))
    # a1, a2 merge into b1; a3 is split 25/75 over b2/b3; a4 has no link
    cw = _cw([("a1", "b1", 1.0), ("a2", "b1", 1.0), ("a3", "b2", 0.25), ("a3", "b3", 0.75)])
    cw2 = _cw([("b1", "R", 1.0), ("b2", "R", 1.0), ("b3", "S", 1.0)], fy="2025", tl="region")
    a.load([LoadBatch("t/cw", "t", "cw", "0", {"crosswalks": pd.concat([cw, cw2])}),
            LoadBatch("t/pop", "t", "p", "0", {"population": _pop(["a1", "a2", "a3", "a4"], [10, 5, 8, 2])})])
    yield a
    a.close()


def test_merge_split_and_unmapped(atlas):
    r = reexpress(atlas, from_level="municipality", from_layout="2018", to_level="municipality", to_layout="2025")
    got = {row.code: (row.count, bool(row.split), row.n_from) for row in r.data.itertuples()}
    assert got == {"b1": (15.0, False, 2), "b2": (2.0, True, 1), "b3": (6.0, True, 1)}
    assert r.unmapped[["code", "count"]].values.tolist() == [["a4", 2]]
    assert r.path == [("municipality", "2018"), ("municipality", "2025")]


def test_chained_path_composes_weights(atlas):
    r = reexpress(atlas, from_level="municipality", from_layout="2018", to_level="region", to_layout="2025")
    got = {row.code: (row.count, bool(row.split)) for row in r.data.itertuples()}
    # R = a1 + a2 + 0.25 * a3 = 17 (split because of a3); S = 0.75 * a3 = 6
    assert got == {"R": (17.0, True), "S": (6.0, True)}
    assert len(r.path) == 3


def test_whole_links_give_integer_counts(atlas):
    r = reexpress(atlas, from_level="municipality", from_layout="2018", to_level="municipality", to_layout="2025",
                  frame=pd.DataFrame({"code": ["a1", "a2"], "ref_date": ["2012-01-01"] * 2, "scheme": "total", "grp": "total",
                                      "sex": "T", "age_band": "total", "count": [3, 4]}))
    assert r.data["count"].tolist() == [7] and str(r.data["count"].dtype) == "int64"


def test_no_path_is_an_error(atlas):
    with pytest.raises(AankomstError, match="no crosswalk path"):
        reexpress(atlas, from_level="sector", from_layout="2019", to_level="municipality", to_layout="2025")


def test_filter_on_unknown_column_is_an_error(atlas):
    from aankomst.errors import UnknownCodeError

    with pytest.raises(UnknownCodeError):
        reexpress(atlas, from_level="municipality", from_layout="2018", to_level="municipality", to_layout="2025",
                  where={"colour": "red"})


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from([f"m{i}" for i in range(12)]),
                       st.tuples(st.sampled_from(["n1", "n2", "n3", None]), st.integers(0, 10_000)), min_size=1))
def test_whole_mappings_preserve_totals(tmp_path_factory, units):
    a = aankomst.open(str(tmp_path_factory.mktemp("h") / "h.duckdb"))
    try:
        links = [(k, v[0], 1.0) for k, v in units.items() if v[0] is not None]
        a.load([LoadBatch("t/cw", "t", "cw", "0", {"crosswalks": _cw(links or [("zz", "n1", 1.0)])})])
        frame = pd.DataFrame({"code": list(units), "ref_date": "2012-01-01", "scheme": "total", "grp": "total", "sex": "T",
                              "age_band": "total", "count": [v[1] for v in units.values()]})
        r = reexpress(a, from_level="municipality", from_layout="2018", to_level="municipality", to_layout="2025", frame=frame)
        assert r.data["count"].sum() + r.unmapped["count"].sum() == frame["count"].sum()
        assert set(r.unmapped["code"]) == {k for k, v in units.items() if v[0] is None}
        assert not r.data["split"].any()
    finally:
        a.close()


def test_hierarchy_report_and_derived_links(tmp_path: Path):
    from _foundation_data import areas_csv

    from aankomst.sources.own_formats import read_areas_csv

    a = aankomst.open(str(tmp_path / "h.duckdb"))
    try:
        b = read_areas_csv(areas_csv(tmp_path / "areas.csv"))
        a.load(b)
        h = hierarchy_report(a)
        assert h["sector2025_municipality"] == {"units": 4, "with_one": 4, "with_none": 0, "with_several": 0}
        assert h["sector2025_neighbourhood"]["with_none"] == 4  # no neighbourhoods in this fixture: reported
    finally:
        a.close()


def test_derive_links_same_code_only():
    from aankomst.sources._util import frame

    areas = frame("areas", {"level": "sector", "layout": "2025", "code": ["21001A00-", "21001A9X-"]})
    cw = frame("crosswalks", {"from_level": "sector", "from_layout": "2019", "from_code": ["21001A00-"],
                              "to_level": "brussels_neighbourhood", "to_layout": "monitor", "to_code": ["55"]})
    out = derive_links([LoadBatch("x", "t", "x", "0", {"areas": areas, "crosswalks": cw})])
    t = out.tables["crosswalks"]
    assert t[["from_layout", "from_code", "to_code", "weight_basis"]].values.tolist() == [["2025", "21001A00-", "55", "same_code"]]
