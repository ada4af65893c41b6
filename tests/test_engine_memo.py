"""The engine reuses an implementation's result while the atlas is unchanged
(``aankomst.indicators.engine``): a repeated computation equals the first, a caller changing
its copy changes nothing for the next one, and a load (or a new small-cell setting) is seen at
once. Expected values come from plain SQL over the atlas, not from the engine."""

from __future__ import annotations

import pandas as pd

import aankomst
from aankomst.indicators import compute
from aankomst.store.atlas import LoadBatch


def _stored_total(atlas, code: str, year: int) -> float:
    return float(atlas.query(
        "SELECT sum(count) AS n FROM population WHERE level = 'municipality' AND code = ? AND "
        "scheme = 'total' AND grp = 'total' AND sex = 'T' AND age_band = 'total' AND ref_date = ?",
        [code, f"{year}-01-01"])["n"][0])


def test_repeated_computation_is_equal_and_independent_of_the_callers_copy(demo_atlas):
    first = compute(demo_atlas, "population", level="municipality", period=2023)
    expected = first.data.copy()
    first.data["value"] = -1.0  # a caller scribbling on its result
    first.data.drop(first.data.index, inplace=True)
    again = compute(demo_atlas, "population", level="municipality", period=2023)
    pd.testing.assert_frame_equal(again.data, expected)
    row = expected.set_index("area_code").loc["97001"]
    assert row["value"] == _stored_total(demo_atlas, "97001", 2023)


def test_a_load_and_a_new_threshold_are_seen_at_once(demo_atlas_path, writable_copy):
    db = writable_copy(demo_atlas_path)
    atlas = aankomst.open(str(db))
    try:
        before = compute(atlas, "population", level="municipality", period=2023).data.set_index("area_code")
        assert before.loc["97001", "value"] == _stored_total(atlas, "97001", 2023)
        # the demo's population file loaded again with one figure only (a source loaded before is
        # replaced): the engine must now give what SQL sees after the load
        again = LoadBatch("aankomst/demo/population", "demo", "population.csv", "2" * 64, {"population": pd.DataFrame({
            "level": ["municipality"], "layout": ["2025"], "code": ["97001"], "ref_date": ["2023-01-01"],
            "scheme": ["total"], "grp": ["total"], "sex": ["T"], "age_band": ["total"], "count": [12345]})})
        atlas.load([again], check_areas=False)
        assert _stored_total(atlas, "97001", 2023) == 12345
        after = compute(atlas, "population", level="municipality", period=2023).data.set_index("area_code")
        assert after.loc["97001", "value"] == 12345 != before.loc["97001", "value"]
        # the threshold is a setting: raising it above every count withholds every value
        atlas.con.execute("UPDATE settings SET value = '100000000' WHERE key = 'small_cell_threshold'")
        high = compute(atlas, "population", level="municipality", period=2023).data
        assert high["suppressed"].all()
    finally:
        atlas.close()
