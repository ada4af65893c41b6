"""The calibrated synthetic register reproduces its targets (real sector file and 2009–2015
municipal foreign shares from the mirror)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def calib(mirror):
    from aankomst.register.geography import calibration_geography

    return calibration_geography(mirror)


@pytest.fixture(scope="module")
def fit(calib, tmp_path_factory):
    from aankomst.register.calibration import fit_report
    from aankomst.register.generate import generate

    out = tmp_path_factory.mktemp("cal") / "reg"
    generate(out, persons=150_000, seed=7, geography=calib[0], calibration=calib[1])
    return fit_report(out)


def test_geography_is_flanders_and_brussels(calib):
    geo, foreign = calib
    assert len(geo) == 9738                                # 2019 sectors with residents (no ZZZZ rows)
    assert int(geo["target"].sum()) == 7_797_611           # the published Flanders + Brussels total
    assert set(geo["region"]) == {"02000", "04000"}
    assert sorted(foreign["year"].unique()) == list(range(2009, 2016))
    assert foreign["mun"].nunique() == 327                 # 308 Flemish + 19 Brussels pre-2019 municipalities
    assert set(geo.loc[geo["municipality"].isin(["23044", "41011", "23105"]), "suburb_of"]) == {"04000"}


def test_fit_to_sector_and_municipal_populations(fit):
    s, m = fit["sectors"], fit["municipalities"]
    assert s["simulated_total"] == pytest.approx(s["target_total"], rel=0.06)
    assert m["pearson_r"] > 0.97
    assert m["median_ape"] < 0.12
    assert s["pearson_r"] > 0.85


def test_fit_to_foreign_shares_2009_2015(fit):
    f = fit["foreign_share"]
    assert f["pearson_r"] > 0.85
    assert f["mae_pp"] < 3.5
    for y, v in f["years"].items():
        assert v["simulated_share"] == pytest.approx(v["target_share"], abs=0.015), y
