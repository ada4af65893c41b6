"""Trajectory figures of a person-level OCMW extract on hand-built episodes (docs/ocmw.md §4):
recipients, inflow and outflow with the adjacent-period identity, spells joined across short
gaps, exits within 12/24 months among observable spells, censoring at the end of the extract,
the Kaplan–Meier median and article-60 outcomes; then the indicators on top of them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import aankomst
from aankomst.ocmw.load import load
from aankomst.ocmw.specs import install
from aankomst.store.batch import LoadBatch

EPISODES = [
    # id, person, ocmw, measure, start, end (first day without), end reason
    (1, 1, "11002", "leefloon", "2019-03-01", "2019-09-01", "work"),            # P1: 6 months, ended
    (2, 2, "11002", "leefloon", "2019-01-01", "", ""),                           # P2: running (censored)
    (3, 3, "11002", "leefloon", "2019-06-01", "2019-06-20", "other"),            # P3: two episodes,
    (4, 3, "11002", "leefloon", "2019-07-10", "2020-01-15", "other_income"),     #     gap 20 days = 1 spell
    (5, 4, "11002", "leefloon", "2020-05-01", "2020-08-01", "household"),        # P4: 2020, not observable 12m
    (6, 5, "11002", "article_60", "2018-01-01", "2019-06-30", "end_of_contract"),  # P5: work after 7 months
    (7, 6, "11002", "article_60", "2018-03-01", "2019-03-01", "end_of_contract"),  # P6: no regular work
    (8, 7, "11002", "article_60", "2019-06-01", "2020-06-01", "end_of_contract"),  # P7: ends 2020: censored
]
LABOUR = [(5, "regular_work", "2020-02-01", ""), (6, "unemployment_benefit", "2019-03-01", ""),
          (7, "regular_work", "2020-07-01", "")]


@pytest.fixture()
def atlas(tmp_path: Path):
    a = aankomst.open(str(tmp_path / "a.duckdb"))
    a.con.execute("UPDATE settings SET value = '1' WHERE key = 'small_cell_threshold'")  # exact values
    areas = pd.DataFrame({"level": ["municipality", "municipality", "region"], "layout": ["2018", "2018", "2025"],
                          "code": ["11002", "11007", "02000"], "name_nl": ["Antwerpen", "Borsbeek", "Vlaanderen"],
                          "name_fr": None, "name_en": None, "area_km2": None, "geometry": None})
    xw = pd.DataFrame({"from_level": "municipality", "from_layout": "2018", "from_code": ["11002", "11007"],
                       "to_level": "region", "to_layout": "2025", "to_code": "02000", "weight": 1.0,
                       "weight_basis": "whole", "split": False})
    a.load([LoadBatch("test/areas", "test", "areas", "0" * 64, {"areas": areas, "crosswalks": xw})])
    root = tmp_path / "extract"
    root.mkdir()
    ids = sorted({e[1] for e in EPISODES})
    pd.DataFrame({"person_id": ids, "sex": ["F", "M"] * 3 + ["F"], "birth_date": "1985-01-01",
                  "nationality": ["BEL", "MAR", "BEL", "POL", "BEL", "TUR", "BEL"]}).to_csv(root / "clients.csv",
                                                                                        index=False)
    pd.DataFrame(EPISODES, columns=["episode_id", "person_id", "ocmw", "measure", "start_date", "end_date",
                                    "end_reason"]).to_csv(root / "episodes.csv", index=False)
    pd.DataFrame(LABOUR, columns=["person_id", "status", "valid_from", "valid_to"]).to_csv(root / "labour.csv",
                                                                                         index=False)
    (root / "manifest.json").write_text(json.dumps({"extract_end": "2021-01-01", "ocmws": ["11002", "11007"]}))
    res = load(root, a)
    assert res.family == "ocmw_extract" and res.periods == ["2018", "2019", "2020"]
    yield a
    a.close()


def _v(atlas, stat: str, period: str, measure: str = "leefloon", scheme: str = "total", grp: str = "total"):
    got = atlas.con.execute("SELECT value FROM measures WHERE level = 'municipality' AND code = '11002' AND "
                            "measure = ? AND period = ? AND scheme = ? AND grp = ?",
                            [f"ocmw_{stat}:{measure}:T:total", period, scheme, grp]).fetchall()
    return got[0][0] if got else None


def test_recipients_flows_and_the_adjacent_period_identity(atlas) -> None:
    assert (_v(atlas, "recipients", "2019"), _v(atlas, "inflow", "2019"), _v(atlas, "outflow", "2019")) == (3, 3, 1)
    assert (_v(atlas, "recipients", "2020"), _v(atlas, "inflow", "2020"), _v(atlas, "outflow", "2020")) == (3, 1, 2)
    # R(2020) = R(2019) - O(2019) + I(2020)
    assert _v(atlas, "recipients", "2020") == _v(atlas, "recipients", "2019") - _v(atlas, "outflow", "2019") \
        + _v(atlas, "inflow", "2020")
    assert _v(atlas, "recipients", "2019", scheme="nationality", grp="ETR") == 1  # person 2 (MAR)
    assert _v(atlas, "recipients", "2019-07") == 3 and _v(atlas, "recipients", "2019-02") == 1
    assert _v(atlas, "recipients", "2019", scheme="eu_status", grp="eu") == 0    # completed with a zero


def test_spells_exits_and_censoring(atlas) -> None:
    assert _v(atlas, "spells", "2019") == 3                        # P3's two episodes are one spell
    assert (_v(atlas, "spells_obs12", "2019"), _v(atlas, "exits12", "2019")) == (3, 2)   # P1, P3
    assert (_v(atlas, "spells_obs24", "2019"), _v(atlas, "exits24", "2019")) == (1, 0)   # only P2 observable
    assert (_v(atlas, "spells", "2020"), _v(atlas, "spells_obs12", "2020") or 0) == (1, 0)  # P4 censored
    # Kaplan-Meier: months 7 (P1), 8 (P3) ended, 25 (P2) censored -> S(7) = 2/3, S(8) = 1/3
    assert _v(atlas, "duration_median", "2019") == 8


def test_article_60_followed_by_regular_work(atlas) -> None:
    assert (_v(atlas, "contracts_obs12", "2019", "article_60"), _v(atlas, "work12", "2019", "article_60")) == (2, 1)
    assert _v(atlas, "contracts_obs12", "2020", "article_60") is None  # ends 2020-06: 12 months not observable


def test_indicators_on_the_extract(atlas) -> None:
    from aankomst.indicators import available_periods, compute

    install()
    r = compute(atlas, "ocmw_exit_12m", level="municipality@2018", period=2019).data.set_index("area_code")
    assert r.loc["11002", "value"] == pytest.approx(200 / 3)
    r = compute(atlas, "ocmw_activation_regular_work", level="municipality@2018", period=2019).data
    assert r.set_index("area_code").loc["11002", "value"] == 50.0
    reg = compute(atlas, "ocmw_recipients", level="region", period=2019)
    assert reg.data.set_index("area_code").loc["02000", "value"] == 3   # Borsbeek covered with 0
    assert reg.meta["restricted"] is True
    assert "2019" in available_periods(atlas, "ocmw_recipients", level="region")
    assert available_periods(atlas, "ocmw_exit_12m", level="municipality@2018") == ["2019"]
    from aankomst.errors import MissingInputError

    with pytest.raises(MissingInputError):
        compute(atlas, "ocmw_exit_12m", level="municipality@2018", period=2016)
