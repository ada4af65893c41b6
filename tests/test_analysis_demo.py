"""The deprivation/segregation/clusters extension of the demo (aankomst.analysis.demo)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def demo_files(demo_atlas_path: Path) -> Path:
    d = demo_atlas_path.parent / f"{demo_atlas_path.stem}_files"
    assert d.is_dir(), f"demo extensions wrote nothing to {d}"
    return d


def test_income_hot_spots_are_made_from_summed_sector_income(demo_atlas, demo_files: Path) -> None:
    res = pd.read_csv(demo_files / "income_clusters.csv", dtype={"area_code": str})
    assert set(res["gi_class"]) <= {"hot", "cold", "ns", "no neighbours", "no value"}
    assert res["gi_q"].dropna().between(0, 1).all()
    # the clustered value of a neighbourhood = sum of its sectors' income / sum of declarations
    code = "97001W01"
    sums = demo_atlas.query(
        "SELECT m.measure, sum(m.value) AS v FROM measures m JOIN crosswalks c ON c.from_level = 'sector' "
        "AND c.from_layout = m.layout AND c.from_code = m.code AND c.to_level = 'neighbourhood' AND c.to_code = ? "
        "WHERE m.level = 'sector' AND m.period = (SELECT max(period) FROM measures WHERE measure = 'tax_declarations' "
        "AND level = 'sector') AND m.measure IN ('total_net_taxable_income', 'tax_declarations') GROUP BY m.measure",
        [code],
    ).set_index("measure")["v"]
    expected = sums["total_net_taxable_income"] / sums["tax_declarations"]
    got = float(res.loc[res["area_code"] == code, "value"].iloc[0])
    assert got == pytest.approx(expected, rel=1e-9)


def test_other_demo_outputs_exist_with_their_columns(demo_files: Path) -> None:
    seg = pd.read_csv(demo_files / "segregation_neighbourhoods.csv")
    d = seg[seg["index"] == "dissimilarity"]["value"]
    assert len(d) and d.between(0, 1).all()
    arr = pd.read_csv(demo_files / "arrivals_in_difficulty.csv")
    shown = arr.dropna(subset=["numerator", "denominator"])  # suppressed rows are empty
    assert len(shown) and (shown["numerator"] <= shown["denominator"]).all()
