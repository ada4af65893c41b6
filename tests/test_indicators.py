"""Indicators against hand-computed values on the tiny atlas of ``test_indicators_fixture``.

Every expected number is worked out in the comment next to it from the counts in the fixture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.indicators import compare, compute, rank
from aankomst.indicators.engine import OUTPUT_COLUMNS
from test_indicators_fixture import build


@pytest.fixture(scope="module")
def atlas(tmp_path_factory: pytest.TempPathFactory):
    import aankomst

    db = build(tmp_path_factory.mktemp("ind") / "fixture.duckdb")
    a = aankomst.open(str(db), read_only=True)
    yield a
    a.close()


def values(res, col: str = "value") -> dict[str, float]:
    d = res.data if hasattr(res, "data") else res.values  # IndicatorResult or Computed
    return dict(zip(d["area_code"], d[col]))


def test_result_columns_and_meta(atlas):
    res = compute(atlas, "foreign_nationality_share", level="municipality", period=2015)
    assert list(res.data.columns[: len(OUTPUT_COLUMNS)]) == OUTPUT_COLUMNS
    m = res.meta
    assert m["id"] == "foreign_nationality_share" and m["unit"] == "%"
    assert m["label_nl"] and m["label_en"] and m["definition_en"] and m["denominator"]
    assert m["reference_periods"] == ["2015-01-01"]
    assert [s["source_id"] for s in m["sources"]] == ["test/population"]
    assert set(res.data["level"]) == {"municipality"} and set(res.data["layout"]) == {"2025"}


def test_foreign_share_on_2025_layout_sums_counts(atlas):
    # 2015 counts on the 2018 layout; Deinze 2025 = Deinze (48 BEL, 3 ETR) + Nevele (40, 3):
    # 6 / 94 = 6.383 %, publishable although each part (3) is a small cell.
    res = compute(atlas, "foreign_nationality_share", level="municipality", period=2015)
    v = values(res)
    assert v["11002"] == pytest.approx(100 * 300 / 1060)
    assert v["21004"] == pytest.approx(100 * 350 / 640)
    assert v["23044"] == pytest.approx(100 * 20 / 110)
    assert v["44083"] == pytest.approx(100 * 6 / 94)
    assert values(res, "numerator")["44083"] == 6 and values(res, "denominator")["44083"] == 94
    assert not res.data["suppressed"].any()


def test_region_share_is_ratio_of_sums_not_mean_of_rates(atlas):
    # Flanders 2015: ETR 300+20+3+3 = 326, total 1060+110+51+43 = 1264 -> 25.791 %
    res = compute(atlas, "foreign_nationality_share", level="region", period=2015)
    v = values(res)
    assert v["02000"] == pytest.approx(100 * 326 / 1264)
    muni = compute(atlas, "foreign_nationality_share", level="municipality", period=2015)
    flemish = muni.data[muni.data["area_code"].isin(["11002", "23044", "44083"])]["value"]
    assert abs(flemish.mean() - v["02000"]) > 1  # the mean of rates would be wrong


def test_share_change_in_pp_and_base_small_cells(atlas):
    # Antwerpen 2010: 200/1000 = 20 %; 2015: 300/1060 = 28.302 % -> +8.302 pp
    # Liedekerke 2010: 5/100 = 5 %; 2015: 20/110 = 18.18 % -> +13.18 pp
    res = compute(atlas, "group_share_change", level="municipality", period=2015, base_year=2010,
                  group="nationality:ETR")
    v = values(res)
    assert v["11002"] == pytest.approx(100 * 300 / 1060 - 20.0)
    assert v["23044"] == pytest.approx(100 * 20 / 110 - 5.0)
    assert res.data.set_index("area_code").loc["44083", "suppressed"]  # 2010: 2+1 = 3 ETR
    assert np.isnan(v["44083"])
    assert res.meta["unit"] == "pp" and res.meta["reference_periods"] == ["2010-01-01", "2015-01-01"]
    alias = compute(atlas, "foreign_nationality_share_change", level="municipality", period=2015,
                    base_year=2010)
    assert values(alias)["11002"] == pytest.approx(v["11002"])


def test_group_schemes_derived_from_country_counts(atlas):
    # Brussel 2020 by country: BEL 100, MAR 30, NLD 10, ROU 8, GBR 6, HRV 4, TUR 12, XXX 2 = 172
    g6 = compute(atlas, "group_share", level="municipality", period=2020,
                 group="nationality_group6:north_africa")
    assert values(g6)["21004"] == pytest.approx(100 * 30 / 172)
    # EU on 2020-01-01: NLD + ROU + GBR (still a member) + HRV = 28
    eu = compute(atlas, "group_share", level="municipality", period=2020, scheme="eu_status", group="eu")
    assert values(eu, "numerator")["21004"] == 28
    eu12 = compute(atlas, "population", level="municipality", period=2020, scheme="eu_wave", group="eu12")
    assert values(eu12)["21004"] == 8  # Romania
    etr = compute(atlas, "foreign_nationality_share", level="municipality", period=2020)
    assert values(etr, "numerator")["21004"] == 72


def test_area_types_aggregate_members(atlas):
    res = compute(atlas, "foreign_nationality_share", level="area_type", period=2015)
    v = values(res)
    assert v["grootsteden"] == pytest.approx(100 * 300 / 1060)  # only Antwerpen in the fixture
    assert v["brussels_capital"] == pytest.approx(100 * 350 / 640)
    cmp = compare(atlas, "foreign_nationality_share", "11002", level="municipality", period=2015)
    roles = dict(zip(cmp["area_code"], cmp["role"]))
    assert roles == {"11002": "area", "02000": "region", "centrumsteden13": "area_type",
                     "grootsteden": "area_type"}
    cmp = compare(atlas, "population", "11002W01", level="neighbourhood", period=2013)
    assert dict(zip(cmp["role"], cmp["value"]))["municipality"] == 350


def test_population_and_density_from_sectors(atlas):
    pop = compute(atlas, "population", level="neighbourhood", period=2013)
    assert values(pop) == {"11002W01": 150, "11002W02": 200}  # 100+50, 200
    muni = compute(atlas, "population", level="municipality", period=2013)
    assert values(muni) == {"11002": 350}
    dens = compute(atlas, "density", level="neighbourhood", period=2013)
    assert values(dens) == {"11002W01": pytest.approx(150 / 1.5), "11002W02": pytest.approx(200 / 4.0)}


def test_population_small_count_suppressed(atlas):
    res = compute(atlas, "population", level="municipality@2018", period=2015, group="nationality:ETR")
    d = res.data.set_index("area_code")
    assert d.loc["44011", "suppressed"] and np.isnan(d.loc["44011", "value"])  # 3 persons
    assert not d.loc["11002", "suppressed"] and d.loc["11002", "value"] == 300


def test_internal_migration_balance_window_and_sign(atlas):
    # Liedekerke 2010-2012, all persons: in 10+5 (2010) + 12 (2011) + 16 (2012) = 43,
    # out 3 + 3 + 2 = 8 -> 35 / 3 years / mean pop (100+102+104)/3 = 102 -> 114.379 per 1,000
    # Antwerpen: in 10 + 3 = 13, out 5 + 20 = 25 -> -12 / 3 / 1020 * 1000 = -3.922
    res = compute(atlas, "internal_migration_balance", level="municipality", period=2012)
    v = values(res)
    assert v["23044"] == pytest.approx(35 / 3 / 102 * 1000)
    assert v["11002"] == pytest.approx(-12 / 3 / 1020 * 1000)
    assert v["21004"] == pytest.approx(-33 / 3 / 610 * 1000)
    assert res.data["period"].iloc[0] == "2010-2012"
    same = compute(atlas, "internal_migration_balance", level="municipality", period="2010-2012")
    assert values(same) == pytest.approx(v)
    # base = start: population on 1 January 2010 (100)
    start = compute(atlas, "internal_migration_balance", level="municipality", period=2012, base="start")
    assert values(start)["23044"] == pytest.approx(35 / 3 / 100 * 1000)
    # window 1 (2012 only): Liedekerke in 16, out 2 -> 14 / 104; 2 moves out is a small cell
    from aankomst.indicators.migration import internal_migration_balance

    one = internal_migration_balance(atlas, level="municipality", period=2012, window=1)
    assert values(one)["23044"] == pytest.approx(14 / 104 * 1000)
    pub = compute(atlas, "internal_migration_balance", level="municipality", period=2012, window=1)
    assert pub.data.set_index("area_code").loc["23044", "suppressed"]


def test_internal_migration_balance_by_group_and_suppression(atlas):
    from aankomst.indicators.migration import internal_migration_balance

    # Liedekerke ETR: in 6+8+10 = 24, out 1+2 = 3 -> 21 / 3 / mean ETR pop (5+8+11)/3 = 8
    raw = internal_migration_balance(atlas, level="municipality", period=2012, group="ETR",
                                     scheme="nationality")
    assert values(raw)["23044"] == pytest.approx(21 / 3 / 8 * 1000)
    res = compute(atlas, "internal_migration_balance", level="municipality", period=2012,
                  group="nationality:ETR")
    d = res.data.set_index("area_code")
    assert d.loc["23044", "suppressed"]  # 3 moves out: a small cell
    assert not d.loc["11002", "suppressed"]


def test_region_balance_excludes_moves_inside_the_region(atlas):
    # Flanders: moves Antwerpen <-> Liedekerke are internal to the region.
    # in: Brussel -> Liedekerke 38 + 'belgium' -> Antwerpen 10 = 48; out: 5 + 20 = 25
    # mean pop (1193 + 1215 + 1237) / 3 = 1215
    res = compute(atlas, "internal_migration_balance", level="region", period=2012)
    assert values(res)["02000"] == pytest.approx(23 / 3 / 1215 * 1000)


def test_bilateral_balance_sign_from_area_side(atlas):
    # Liedekerke with the Brussels Capital Region: in 10+12+16 = 38, out 3+0+2 = 5
    res = compute(atlas, "bilateral_balance", level="municipality", period=2012, reference="04000")
    v = values(res)
    assert v["23044"] == pytest.approx(33 / 3 / 102 * 1000)
    assert v["11002"] == 0
    persons = compute(atlas, "bilateral_balance", level="municipality", period=2012,
                      reference="04000", rate=False)
    assert values(persons)["23044"] == pytest.approx(11.0)
    # seen from Brussel the same moves with Liedekerke count negative
    bx = compute(atlas, "bilateral_balance", level="municipality", period=2012, reference="23044",
                 rate=False)
    assert values(bx)["21004"] == pytest.approx(-11.0)


def test_first_entry_share(atlas):
    # Liedekerke ETR arrivals 2010-2012 (pooled over the window): from Brussel 24, from
    # abroad 5 -> 17.24 % / 82.76 %
    a = compute(atlas, "first_entry_share", level="municipality", period="2010-2012",
                average="pooled")
    b = compute(atlas, "first_entry_share", level="municipality", period="2010-2012",
                origin="brussels", average="pooled")
    o = compute(atlas, "first_entry_share", level="municipality", period="2010-2012",
                origin="other_belgium", average="pooled")
    assert values(a)["23044"] == pytest.approx(100 * 5 / 29)
    assert values(b)["23044"] == pytest.approx(100 * 24 / 29)
    assert values(o)["23044"] == pytest.approx(0.0)
    # Antwerpen ETR: abroad 30, 'elsewhere in Belgium' (no municipality) 10 -> 75 % from
    # abroad; the Brussels / other split is unknown, so Antwerpen is left out of those two
    assert values(a)["11002"] == pytest.approx(75.0)
    assert "11002" not in values(o) and "11002" not in values(b)
    assert any("cannot be split" in n for n in o.meta["notes"])
    with pytest.raises(UnknownCodeError):
        compute(atlas, "first_entry_share", level="municipality", period=2012, origin="mars")


def test_external_and_internal_balance_inside_city(atlas):
    # 2013 sector flows, Antwerpen: W01 (150 inh.) ext in 20 (abroad), int out 7 (to W02);
    # W02 (200 inh.) ext in 10 ('belgium'), int in 7, ext out 6 (Liedekerke) + 4 (abroad)
    ext = compute(atlas, "external_balance", level="neighbourhood", period=2013, window=1)
    intl = compute(atlas, "internal_balance", level="neighbourhood", period=2013, window=1)
    assert values(ext) == {"11002W01": pytest.approx(20 / 150 * 1000), "11002W02": pytest.approx(0.0)}
    assert values(intl) == {"11002W01": pytest.approx(-7 / 150 * 1000),
                            "11002W02": pytest.approx(7 / 200 * 1000)}


def test_residential_mobility(atlas):
    # W01: arrivals 20, departures 7, within 5 (A00 -> A01) -> 32 / 150 = 21.33 %
    # Liedekerke 2010: arrivals 10 + 3 + 5, departures 3 -> 21 / 100
    nb = compute(atlas, "residential_mobility", level="neighbourhood", period=2013)
    assert values(nb)["11002W01"] == pytest.approx(100 * 32 / 150)
    assert values(nb)["11002W02"] == pytest.approx(100 * 27 / 200)
    mu = compute(atlas, "residential_mobility", level="municipality", period=2010)
    assert values(mu)["23044"] == pytest.approx(21.0)


def test_newcomer_concentration(atlas):
    # newcomers from outside the city: W01 20, W02 10 (city 30); population 150 / 200 (350)
    res = compute(atlas, "newcomer_concentration", level="neighbourhood", period=2013)
    v = values(res)
    assert v["11002W01"] == pytest.approx((20 / 30) / (150 / 350))
    assert v["11002W02"] == pytest.approx((10 / 30) / (200 / 350))
    abroad = compute(atlas, "newcomer_concentration", level="neighbourhood", period=2013,
                     newcomers="abroad")
    assert values(abroad)["11002W01"] == pytest.approx((20 / 20) / (150 / 350))


def test_income(atlas):
    # W01 = A00 + A01: 1,600,000 EUR / 150 inhabitants; 80 declarations
    inh = compute(atlas, "income_per_inhabitant", level="neighbourhood", period=2019)
    assert values(inh) == {"11002W01": pytest.approx(1_600_000 / 150),
                           "11002W02": pytest.approx(2_000_000 / 200)}
    dec = compute(atlas, "income_per_declaration", level="municipality", period=2019)
    assert values(dec)["11002"] == pytest.approx(3_600_000 / 180)
    # municipal file (2018 layout): Deinze 2025 = (500,000 + 410,000) / (52 + 41) residents
    mun = compute(atlas, "income_per_inhabitant", level="municipality", period=2012)
    assert values(mun)["44083"] == pytest.approx(910_000 / 93)
    med = compute(atlas, "income_per_declaration", level="sector", period=2019, statistic="median")
    assert values(med) == {"11002A00-": 15000}
    with pytest.raises(MissingInputError, match="median_taxable_income_declaration"):
        compute(atlas, "income_per_declaration", level="neighbourhood", period=2019, statistic="median")


def test_published_shares_for_brussels_neighbourhoods(atlas):
    res = compute(atlas, "group_share", level="brussels_neighbourhood", period=2010,
                  group="nationality_group6:north_africa")
    assert values(res) == {"1": 10.0, "2": 20.0}
    assert any("published" in n for n in res.meta["notes"])
    ch = compute(atlas, "group_share_change", level="brussels_neighbourhood", period=2010,
                 base_year=1997, group="nationality_group6:north_africa")
    assert values(ch) == {"1": pytest.approx(2.0), "2": pytest.approx(-5.0)}


def test_ranking_with_min_population(atlas):
    res = compute(atlas, "foreign_nationality_share", level="municipality", period=2015,
                  min_population=100)
    assert list(res.data["area_code"]) == ["21004", "11002", "23044"]  # Deinze (94) left out
    assert list(res.data["rank"]) == [1, 2, 3]
    assert any("Deinze" in n for n in res.meta["notes"])
    top = rank(res, min_population=200, top=1)
    assert list(top["area_code"]) == ["21004"]


def test_within_filter(atlas):
    res = compute(atlas, "population", level="neighbourhood", period=2013, within="11002")
    assert set(res.data["area_code"]) == {"11002W01", "11002W02"}
    res = compute(atlas, "foreign_nationality_share", level="municipality", period=2015, within="02000")
    assert set(res.data["area_code"]) == {"11002", "23044", "44083"}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(indicator_id="internal_migration_balance", level="municipality", period=2009),
         r"migration flows reaching level municipality \(layout 2025\) for \[2007, 2008, 2009\]"),
        (dict(indicator_id="foreign_nationality_share", level="municipality", period=2016),
         r"nationality.*2016-01-01"),
        (dict(indicator_id="group_share", level="municipality", period=2015,
              group="nationality_group6:north_africa"), r"country.*2015-01-01"),
        (dict(indicator_id="residential_mobility", level="neighbourhood", period=2011),
         r"migration flows reaching level neighbourhood.* for \[2011\]"),
        (dict(indicator_id="residential_mobility", level="neighbourhood", period=2013,
              base="2012"), r"population counts for the base population.*2012-01-01"),
        (dict(indicator_id="group_share_change", level="municipality", period=2012,
              group="nationality:ETR", base_year=2015), r"end date after the base year"),
    ],
)
def test_missing_inputs_are_named(atlas, kwargs, match):
    with pytest.raises(MissingInputError, match=match):
        compute(atlas, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(indicator_id="no_such_indicator", level="municipality", period=2015),
        dict(indicator_id="population", level="planet", period=2015),
        dict(indicator_id="group_share", level="municipality", period=2020,
             group="nationality_group6:martians"),
        dict(indicator_id="external_balance", level="region", period=2013),
    ],
)
def test_unknown_codes(atlas, kwargs):
    with pytest.raises(UnknownCodeError):
        compute(atlas, **kwargs)


def test_split_units_share_counts_by_weight(tmp_path: Path):
    """A unit split over two new units (weights 0.25 / 0.75) shares its counts; flagged."""
    import aankomst
    from test_indicators_fixture import _areas, _batch, _cw, _pop

    cw = _cw([("municipality", "2018", "X", "municipality", "2025", "A"),
              ("municipality", "2018", "X", "municipality", "2025", "B")])
    cw["weight"] = [0.25, 0.75]
    cw["split"] = True
    areas = _areas([("municipality", "2025", "A", "A", None, 1.0),
                    ("municipality", "2025", "B", "B", None, 1.0),
                    ("municipality", "2018", "X", "X", None, 2.0)])
    pop = pd.DataFrame([_pop("municipality", "2018", "X", 2015, "total", "total", 400)])
    with aankomst.open(str(tmp_path / "s.duckdb")) as a:
        a.load([_batch("a", {"areas": areas, "crosswalks": cw}), _batch("p", {"population": pop})])
        res = compute(a, "population", level="municipality", period=2015)
    assert values(res) == {"A": 100, "B": 300}
    assert res.meta["split_units"] and res.meta["notes"]


def test_flow_groups_derived_from_country_flows(atlas):
    # 2014 arrivals in Liedekerke by country: ROU 6 and MAR 5 from abroad, MAR 7 from Brussel
    ne = compute(atlas, "first_entry_share", level="municipality", period=2014,
                 group="nationality_group6:north_africa")
    assert values(ne)["23044"] == pytest.approx(100 * 5 / 12)
    eu = compute(atlas, "first_entry_share", level="municipality", period=2014,
                 scheme="eu_status", group="eu")
    assert values(eu)["23044"] == pytest.approx(100.0)
    tot = compute(atlas, "first_entry_share", level="municipality", period=2014, group="total")
    assert values(tot)["23044"] == pytest.approx(100 * 11 / 18)


def test_flows_pre_aggregated_at_several_levels_are_not_double_counted(atlas):
    # 2013 moves are stored per sector and again per neighbourhood in one file.
    # Antwerpen 2013: in from 'belgium' 10, out to Liedekerke 6 -> 4 / 350 inhabitants
    res = compute(atlas, "internal_migration_balance", level="municipality", period=2013,
                  window=1)
    assert values(res)["11002"] == pytest.approx(4 / 350 * 1000)
    mob = compute(atlas, "residential_mobility", level="municipality", period=2013)
    # arrivals 20 + 10, departures 6 + 4, within 7 + 5 -> 52 / 350
    assert values(mob)["11002"] == pytest.approx(100 * 52 / 350)
    # a window across the years with sector flows (2013) and municipal flows (2012)
    two = compute(atlas, "internal_migration_balance", level="municipality", period="2012-2013")
    assert values(two)["11002"] == pytest.approx((0 + 4) / 2 / ((1040 + 350) / 2) * 1000)


def test_total_is_not_derived_from_an_incomplete_breakdown(tmp_path: Path):
    """Only foreign nationals counted (no Belgians, no total): no share, a clear error."""
    import aankomst
    from test_indicators_fixture import _areas, _batch, _pop

    areas = _areas([("municipality", "2025", "A", "A", None, 1.0)])
    pop = pd.DataFrame([_pop("municipality", "2025", "A", 1997, "nationality", "ETR", 40)])
    with aankomst.open(str(tmp_path / "s.duckdb")) as a:
        a.load([_batch("a", {"areas": areas}), _batch("p", {"population": pop})])
        with pytest.raises(MissingInputError, match="complete breakdown"):
            compute(a, "foreign_nationality_share", level="municipality", period=1997)
        assert values(compute(a, "population", level="municipality", period=1997,
                              group="nationality:ETR")) == {"A": 40}


def test_groups_are_not_derived_from_a_partial_country_list(tmp_path: Path):
    """Counts for a few nationalities only (as in the 2007 Brussels table) cannot give group
    totals: the area is left out and the error says why."""
    import aankomst
    from test_indicators_fixture import _areas, _batch, _pop

    areas = _areas([("municipality", "2025", "A", "A", None, 1.0),
                    ("municipality", "2025", "B", "B", None, 1.0)])
    rows = [_pop("municipality", "2025", "A", 2007, "total", "total", 100),
            _pop("municipality", "2025", "A", 2007, "country", "BEL", 60),
            _pop("municipality", "2025", "A", 2007, "country", "MAR", 30),   # 10 persons missing
            _pop("municipality", "2025", "B", 2007, "total", "total", 50),
            _pop("municipality", "2025", "B", 2007, "country", "BEL", 40),
            _pop("municipality", "2025", "B", 2007, "country", "DZA", 10)]   # complete
    with aankomst.open(str(tmp_path / "s.duckdb")) as a:
        a.load([_batch("a", {"areas": areas}), _batch("p", {"population": pd.DataFrame(rows)})])
        res = compute(a, "group_share", level="municipality", period=2007,
                      group="nationality_group6:north_africa")
        assert values(res) == {"B": pytest.approx(20.0)}
        assert any("partial list" in n for n in res.meta["notes"])
        # the stored country itself is fine
        assert values(compute(a, "group_share", level="municipality", period=2007,
                              group="country:MAR"))["A"] == pytest.approx(30.0)
        rows = rows[:3]
    with aankomst.open(str(tmp_path / "t.duckdb")) as a:
        a.load([_batch("a", {"areas": areas}), _batch("p", {"population": pd.DataFrame(rows)})])
        with pytest.raises(MissingInputError, match="do not add up"):
            compute(a, "group_share", level="municipality", period=2007,
                    group="nationality_group6:north_africa")


def test_older_layout_used_when_no_data_reaches_the_current_one(tmp_path: Path):
    import aankomst
    from test_indicators_fixture import _areas, _batch, _pop

    areas = _areas([("municipality", "2025", "A", "A", None, 1.0),
                    ("municipality", "2018", "X", "X", None, 1.0)])
    pop = pd.DataFrame([_pop("municipality", "2018", "X", 2015, "total", "total", 70)])
    with aankomst.open(str(tmp_path / "s.duckdb")) as a:
        a.load([_batch("a", {"areas": areas}), _batch("p", {"population": pop})])
        res = compute(a, "population", level="municipality", period=2015)
        assert values(res) == {"X": 70} and res.meta["layout"] == "2018"
        assert set(res.data["layout"]) == {"2018"}
        assert "layout 2018 used" in res.meta["notes"][0]
        with pytest.raises(MissingInputError, match="layout 2025"):
            compute(a, "population", level="municipality", period=2015, layout="2025")


def test_share_takes_numerator_and_denominator_from_one_source(tmp_path: Path):
    """A municipal total (file 1) and sector counts by nationality (file 2) for one date: the
    share uses the sectors' own total, not a mix of the two files."""
    import aankomst
    from test_indicators_fixture import _areas, _batch, _cw, _pop

    areas = _areas([("municipality", "2025", "M", "M", None, 1.0),
                    ("sector", "2025", "S1", "S1", None, 1.0),
                    ("sector", "2025", "S2", "S2", None, 1.0)])
    cw = _cw([("sector", "2025", "S1", "municipality", "2025", "M"),
              ("sector", "2025", "S2", "municipality", "2025", "M")])
    muni = pd.DataFrame([_pop("municipality", "2025", "M", 2007, "total", "total", 1000)])
    sect = pd.DataFrame([_pop("sector", "2025", "S1", 2007, "nationality", "BEL", 500),
                         _pop("sector", "2025", "S1", 2007, "nationality", "ETR", 100),
                         _pop("sector", "2025", "S2", 2007, "nationality", "BEL", 350),
                         _pop("sector", "2025", "S2", 2007, "nationality", "ETR", 50)])
    with aankomst.open(str(tmp_path / "s.duckdb")) as a:
        a.load([_batch("a", {"areas": areas, "crosswalks": cw}),
                _batch("m", {"population": muni}), _batch("s", {"population": sect})])
        res = compute(a, "foreign_nationality_share", level="municipality", period=2007)
        assert values(res) == {"M": pytest.approx(100 * 150 / 1000)}
        assert values(res, "denominator") == {"M": 1000}  # 500+100+350+50 = 1000 as well
        sect.loc[0, "count"] = 400  # now the sectors sum to 900
    with aankomst.open(str(tmp_path / "t.duckdb")) as a:
        a.load([_batch("a", {"areas": areas, "crosswalks": cw}),
                _batch("m", {"population": muni}), _batch("s", {"population": sect})])
        res = compute(a, "foreign_nationality_share", level="municipality", period=2007)
        assert values(res, "denominator") == {"M": 900}
        assert values(compute(a, "population", level="municipality", period=2007)) == {"M": 1000}


def test_one_file_per_area_and_arrivals_only_files(tmp_path: Path):
    """File A: in/out totals of M1 (2010, 2011). File B (census-like): arrivals only, of M1 and
    M2, 2010. Balances of M1 come from A only; M2 has no balance (no departures)."""
    import aankomst
    from test_indicators_fixture import _areas, _batch, _pop

    areas = _areas([("municipality", "2025", "M1", "M1", None, 1.0),
                    ("municipality", "2025", "M2", "M2", None, 1.0)])
    pop = pd.DataFrame([_pop("municipality", "2025", m, y, "total", "total", n)
                        for y in (2010, 2011) for m, n in (("M1", 1000), ("M2", 500))])

    def fl(y, ok, oc, dk, dc, n):
        return {"year": y, "origin_kind": ok, "origin_level": "municipality" if oc else None,
                "origin_layout": "2025" if oc else None, "origin_code": oc, "dest_kind": dk,
                "dest_level": "municipality" if dc else None, "dest_layout": "2025" if dc else None,
                "dest_code": dc, "scheme": "total", "grp": "total", "count": n}

    fa = pd.DataFrame([fl(y, "belgium", None, "area", "M1", 100) for y in (2010, 2011)]
                      + [fl(y, "area", "M1", "belgium", None, 80) for y in (2010, 2011)])
    fb = pd.DataFrame([fl(2010, "belgium", None, "area", "M1", 999),
                       fl(2010, "belgium", None, "area", "M2", 50),
                       fl(2010, "abroad", None, "area", "M2", 50)])
    with aankomst.open(str(tmp_path / "s.duckdb")) as a:
        a.load([_batch("a", {"areas": areas}), _batch("p", {"population": pop}),
                _batch("fa", {"flows": fa}), _batch("fb", {"flows": fb})])
        res = compute(a, "internal_migration_balance", level="municipality", period=2010, window=1)
        assert values(res) == {"M1": pytest.approx(20.0)}  # (100 - 80) / 1000 inhabitants
        assert any("arrivals only" in n for n in res.meta["notes"])
        two = compute(a, "internal_migration_balance", level="municipality", period="2010-2011")
        assert values(two) == {"M1": pytest.approx(20.0)}
        fe = compute(a, "first_entry_share", level="municipality", period=2010, group="total")
        assert values(fe) == {"M1": 0.0, "M2": pytest.approx(50.0)}


def test_change_without_base_year_starts_at_the_first_share_year(atlas):
    """The default base year is the first year with the share at the level — the same rule
    as the periods offered by ``available_periods``."""
    from aankomst.indicators import available_periods

    first = available_periods(atlas, "group_share", level="municipality", group="nationality:ETR")[0]
    a = compute(atlas, "group_share_change", level="municipality", period=2015,
                group="nationality:ETR")
    b = compute(atlas, "group_share_change", level="municipality", period=2015,
                group="nationality:ETR", base_year=first)
    assert any(f"base year {first}" in n for n in a.meta["notes"])
    assert values(a) == pytest.approx(values(b), nan_ok=True)
    assert first not in available_periods(atlas, "group_share_change", level="municipality",
                                          group="nationality:ETR")
