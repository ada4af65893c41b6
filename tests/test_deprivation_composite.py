"""Composite index builder: hand fixtures, validation errors, BIMD reproduction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aankomst.analysis import bimd
from aankomst.analysis.composite import composite, read_spec, validate_spec
from aankomst.errors import InputError, UnknownCodeError

VALUES = pd.DataFrame({"area_code": ["a", "b", "c", "d"], "unemp": [2.0, 4.0, 6.0, 8.0],
                       "income": [40.0, 30.0, 20.0, 10.0]})


def test_zscore_by_hand():
    spec = pd.DataFrame({"indicator": ["unemp", "income"], "weight": ["1", "1"],
                         "direction": ["higher_is_worse", "higher_is_better"]})
    out = composite(VALUES, spec, method="zscore").set_index("area_code")
    z = (np.array([2, 4, 6, 8]) - 5) / np.sqrt(5)  # population sd of 2,4,6,8 = sqrt(5)
    assert out["std_unemp"].to_numpy() == pytest.approx(z)
    assert out["std_income"].to_numpy() == pytest.approx(z)  # income reversed: same order
    assert out["score"].to_numpy() == pytest.approx(z)  # weights normalised to 0.5 each
    assert out["rank"].tolist() == [4, 3, 2, 1]


def test_rank_exp_equals_bimd_transform():
    spec = pd.DataFrame({"indicator": ["unemp"], "weight": ["1"], "direction": ["higher_is_worse"]})
    out = composite(VALUES, spec, method="rank_exp").set_index("area_code")
    assert out.loc["d", "score"] == pytest.approx(100.0)
    assert out["score"].to_numpy() == pytest.approx(bimd.exponential_transform([4, 3, 2, 1], 4))


@pytest.mark.parametrize("row,msg", [
    ({"indicator": "x", "weight": "-1", "direction": "higher_is_worse"}, "weight"),
    ({"indicator": "x", "weight": "1", "direction": "up"}, "direction"),
    ({"indicator": "x", "weight": "0", "direction": "higher_is_worse"}, "all weights are 0"),
])
def test_spec_validation(row, msg):
    with pytest.raises(InputError, match=msg):
        validate_spec(pd.DataFrame([row]))


def test_spec_file_and_unknown_component(tmp_path):
    p = tmp_path / "spec.csv"
    p.write_text("indicator,weight,direction\nunemp,2,higher_is_worse\nnope,1,higher_is_worse\n")
    spec = read_spec(p)
    with pytest.raises(UnknownCodeError, match="nope"):
        composite(VALUES, spec)
    p.write_text("indicator;weight\n")
    with pytest.raises(InputError, match="missing column"):
        read_spec(p)


@pytest.mark.realdata
def test_rank_exp_composite_reproduces_bimd_without_crime(mirror):
    b = pd.read_csv(mirror / "deprivation/bimd/BIMD2011_DOMAINS_STATISTICAL_SECTOR_ELLIS_WIDE.csv")
    cols = {"income": "exp_score_income_domain", "employment": "exp_score_employment_domain",
            "education": "exp_score_edu_domain", "housing": "exp_score_hous_domain",
            "health": "exp_score_health_domain"}
    w = bimd.bimd_weights()
    vals = pd.DataFrame({"area_code": b["CD_RES_SECTOR"], **{d: b[c] for d, c in cols.items()}})
    spec = pd.DataFrame({"indicator": list(cols), "weight": [str(w[d]) for d in cols],
                         "direction": "higher_is_worse"})
    out = composite(vals, spec, method="rank_exp", normalise=False)
    expected = b["BIMD2011_score"] - 0.05 * b["exp_score_crime_domain"]
    assert np.abs(out["score"].to_numpy() - expected.to_numpy()).max() < 1e-9
