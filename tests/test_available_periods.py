"""``aankomst.indicators.available_periods``: periods with values, derived from the store.

Exact lists on the hand-made atlas of ``test_indicators_fixture`` (worked out from its tables in
the comments), and a property on the demo atlas: every returned period gives values with
``compute``, a period not returned gives a MissingInputError or no value.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_indicators_fixture import _areas, _batch, _cw, build

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.indicators import ParameterError, available_periods, compute


@pytest.fixture(scope="module")
def atlas(tmp_path_factory: pytest.TempPathFactory):
    import aankomst

    db = build(tmp_path_factory.mktemp("periods") / "fixture.duckdb")
    a = aankomst.open(str(db), read_only=True)
    yield a
    a.close()


@pytest.fixture(scope="module")
def empty_atlas(tmp_path_factory: pytest.TempPathFactory):
    """Areas and crosswalks only: no population, flows or measures."""
    import aankomst

    db = Path(tmp_path_factory.mktemp("periods_empty")) / "empty.duckdb"
    areas = _areas([("municipality", "2025", "11002", "Antwerpen", "Anvers", 204.5),
                    ("neighbourhood", "2025", "11002W01", "Noord", None, 1.5),
                    ("region", "2025", "02000", "Vlaams Gewest", "Région flamande", 13625.0)])
    cw = _cw([("neighbourhood", "2025", "11002W01", "municipality", "2025", "11002"),
              ("municipality", "2025", "11002", "region", "2025", "02000")])
    with aankomst.open(str(db)) as a:
        a.load([_batch("test/areas", {"areas": areas, "crosswalks": cw})])
    a = aankomst.open(str(db), read_only=True)
    yield a
    a.close()


# --------------------------------------------------------------------------- hand-made atlas
NATGROUP = {"scheme": "nationality_group6", "group": "north_africa"}


@pytest.mark.parametrize("ind, level, kw, expected", [
    # nationality counts of the 2018 municipalities (2010-2012, 2015) reach the 2025 layout;
    # sector totals (2013, 2019) reach it via neighbourhoods; Brussels' counts by country (2020,
    # with BEL: a complete breakdown) give a total too
    ("population", "municipality", {}, ["2010", "2011", "2012", "2013", "2015", "2019", "2020"]),
    ("population", "region", {}, ["2010", "2011", "2012", "2013", "2015", "2019", "2020"]),
    # only the sector totals reach neighbourhoods (no crosswalk goes down from municipalities)
    ("population", "neighbourhood", {}, ["2013", "2019"]),
    ("density", "sector", {}, ["2013", "2019"]),
    # group counts by nationality: not in the sector totals (2013, 2019)
    ("foreign_nationality_share", "municipality", {}, ["2010", "2011", "2012", "2015", "2020"]),
    ("foreign_nationality_share", "neighbourhood", {}, []),
    # published shares of the Brussels monitoring (1997, 2010), only at their own level
    ("group_share", "brussels_neighbourhood", NATGROUP, ["1997", "2010"]),
    # north_africa is derived from counts by country: Brussels 2020 only
    ("group_share", "municipality", NATGROUP, ["2020"]),
    # change: end years with the base year 2010 present
    ("foreign_nationality_share_change", "municipality", {"base_year": 2010},
     ["2011", "2012", "2015", "2020"]),
    ("foreign_nationality_share_change", "municipality", {"base_year": 2013}, []),
    # without a base year: end years with an earlier share year
    ("foreign_nationality_share_change", "municipality", {}, ["2011", "2012", "2015", "2020"]),
    # balances need arrivals and departures: flows 2010-2013 (2014: arrivals by country only)
    # and the population on 1 January of every window year (2013 from the sectors)
    ("internal_migration_balance", "municipality", {}, ["2010-2012", "2011-2013"]),
    ("internal_migration_balance", "municipality", {"window": 1},
     ["2010", "2011", "2012", "2013"]),
    ("internal_migration_balance", "municipality", {"window": 1, "base": "end"},
     ["2010", "2011", "2012", "2013"]),
    ("internal_migration_balance", "municipality", {"window": 2, "base": "2015"},
     ["2010-2011", "2011-2012", "2012-2013"]),
    ("internal_migration_balance", "neighbourhood", {}, []),  # only 2013 reaches them
    ("residential_mobility", "neighbourhood", {}, ["2013"]),
    # arrivals only are enough; 2014 derives nationality ETR from the counts by country
    ("first_entry_share", "municipality", {}, ["2010", "2011", "2012", "2013", "2014"]),
    ("newcomer_concentration", "neighbourhood", {}, ["2013"]),
    ("external_balance", "neighbourhood", {"window": 1}, ["2013"]),
    # income: 2012 (2018 municipalities, residents), 2019 (sectors, population 2019)
    ("income_per_inhabitant", "municipality", {}, ["2012", "2019"]),
    # neighbourhoods: income 2019 (sectors); population on 1 January 2013 and 2019 only
    ("income_per_inhabitant", "neighbourhood", {}, ["2019"]),
    ("income_per_inhabitant", "neighbourhood", {"population_offset": -6}, ["2019"]),
    ("income_per_inhabitant", "neighbourhood", {"population_offset": 1}, []),
    ("income_per_declaration", "neighbourhood", {}, ["2019"]),
    ("income_per_declaration", "sector", {"statistic": "median"}, ["2019"]),
    ("income_per_declaration", "neighbourhood", {"statistic": "median"}, []),  # not additive
])
def test_hand_fixture_periods(atlas, ind, level, kw, expected):
    assert available_periods(atlas, ind, level=level, **kw) == expected


def test_layout_given_limits_to_that_layout(atlas):
    # the 2018 municipalities hold the nationality counts and the 2012 income
    assert available_periods(atlas, "foreign_nationality_share", level="municipality@2018") == [
        "2010", "2011", "2012", "2015"]
    assert available_periods(atlas, "population", level="municipality",
                             layout="2018") == ["2010", "2011", "2012", "2015"]


HAND_CASES = [
    ("population", "municipality", {}), ("population", "neighbourhood", {}),
    ("density", "sector", {}), ("foreign_nationality_share", "municipality", {}),
    ("group_share", "brussels_neighbourhood", NATGROUP), ("group_share", "municipality", NATGROUP),
    ("foreign_nationality_share_change", "municipality", {"base_year": 2010}),
    ("internal_migration_balance", "municipality", {}),
    ("internal_migration_balance", "municipality", {"window": 1}),
    ("residential_mobility", "neighbourhood", {}), ("first_entry_share", "municipality", {}),
    ("newcomer_concentration", "neighbourhood", {}), ("income_per_inhabitant", "municipality", {}),
    ("income_per_declaration", "sector", {"statistic": "median"}),
]


@pytest.mark.parametrize("ind, level, kw", HAND_CASES)
def test_hand_fixture_returned_periods_compute(atlas, ind, level, kw):
    """Every period returned has data (a value, or a value hidden by the small-cell rule: the
    fixture's counts are tiny); years 2005-2022 not returned have none."""
    got = available_periods(atlas, ind, level=level, **kw)
    assert got
    for p in got:
        d = compute(atlas, ind, level=level, period=p, **kw).data
        assert (d["value"].notna() | d["suppressed"]).any(), (ind, level, p)
    window = "-" in got[0]
    for y in range(2005, 2023):
        p = f"{y - 2}-{y}" if window else str(y)
        if p in got or str(kw.get("base_year")) == p:  # base = end: a change of 0, not listed
            continue
        try:
            d = compute(atlas, ind, level=level, period=p, **kw).data
        except MissingInputError:
            continue
        assert not (d["value"].notna() | d["suppressed"]).any(), (ind, level, p)


def test_empty_atlas_gives_empty_lists(empty_atlas):
    for ind, kw in [("population", {}), ("density", {}), ("foreign_nationality_share", {}),
                    ("group_share", NATGROUP), ("foreign_nationality_share_change", {}),
                    ("internal_migration_balance", {}), ("first_entry_share", {}),
                    ("bilateral_balance", {}), ("income_per_inhabitant", {}),
                    ("income_per_declaration", {})]:
        assert available_periods(empty_atlas, ind, level="municipality", **kw) == [], ind
    for ind in ("bimd_score", "atlas_difficulty_index", "share_new_residents_5y"):
        lv = "sector" if ind != "share_new_residents_5y" else "municipality"
        assert available_periods(empty_atlas, ind, level=lv) == [], ind


def test_unknown_indicator_level_group(atlas):
    with pytest.raises(UnknownCodeError):
        available_periods(atlas, "no_such_indicator", level="municipality")
    with pytest.raises(UnknownCodeError):
        available_periods(atlas, "population", level="planet")
    with pytest.raises(UnknownCodeError):  # offered at neighbourhood-like levels only
        available_periods(atlas, "external_balance", level="municipality")
    with pytest.raises(UnknownCodeError):
        available_periods(atlas, "group_share", level="municipality",
                          scheme="nationality_group6", group="atlantis")
    with pytest.raises(ParameterError):  # a misspelt parameter names the known ones
        available_periods(atlas, "internal_migration_balance", level="municipality", windw=3)
    # a reference area that is not in the atlas: nothing is offered, and compute says why
    assert available_periods(atlas, "bilateral_balance", level="municipality",
                             reference="99999") == []
    with pytest.raises(MissingInputError, match="reference area '99999'"):
        compute(atlas, "bilateral_balance", level="municipality", period="2010-2012",
                reference="99999")


def test_group_share_without_group_is_empty(atlas):
    # compute raises MissingInputError (no group given): no period has values
    assert available_periods(atlas, "group_share", level="municipality") == []


def test_inputs_of_a_declared_indicator_decide_its_periods(atlas):
    """A spec whose only input is a measure offers the periods of that measure reaching the
    level (tax_declarations: 2019 at the sectors, which reach neighbourhoods and
    municipalities); an ``External`` input offers what its function says."""
    from aankomst.indicators.availability import External, Measures
    from aankomst.indicators.registry import _SPECS
    from aankomst.indicators.spec import IndicatorSpec

    def fn(atlas, *, level, period, **kw):  # pragma: no cover - not computed here
        raise AssertionError

    specs = [IndicatorSpec("t_measure", fn, "count", ("municipality", "sector"),
                           (Measures(("tax_declarations",)),)),
             IndicatorSpec("t_external", fn, "count", ("sector",),
                           (External(lambda atlas, **kw: ["2001", "1991"]),))]
    try:
        for sp in specs:
            _SPECS[sp.id] = sp
        assert available_periods(atlas, "t_measure", level="municipality") == ["2019"]
        assert available_periods(atlas, "t_external", level="sector") == ["1991", "2001"]
    finally:
        for sp in specs:
            _SPECS.pop(sp.id, None)


# --------------------------------------------------------------------------- demo atlas
DEMO_CASES = [
    ("population", "neighbourhood", {}),
    ("foreign_nationality_share", "municipality", {}),
    ("group_share", "sector", NATGROUP),
    ("foreign_nationality_share_change", "municipality", {}),
    ("internal_migration_balance", "municipality", {}),
    ("residential_mobility", "neighbourhood", {}),
    ("first_entry_share", "municipality", {}),
    ("income_per_inhabitant", "municipality", {}),
    ("income_per_declaration", "sector", {"statistic": "median"}),
    ("share_new_residents_5y", "neighbourhood", {}),
]


@pytest.fixture(scope="module")
def demo_periods(demo_atlas):
    return {(ind, lv): available_periods(demo_atlas, ind, level=lv, **kw)
            for ind, lv, kw in DEMO_CASES}


def _kw(ind: str, kw: dict, periods: list[str]) -> dict:
    if ind.endswith("_change") and periods:
        return {**kw, "base_year": int(periods[0]) - 1}  # the first share year
    return kw


def test_demo_lists_are_sorted_and_nonempty(demo_periods):
    for key, got in demo_periods.items():
        assert got, key
        assert got == sorted(got)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(DEMO_CASES), pick=st.integers(0, 40), offset=st.integers(-3, 3))
def test_demo_property(demo_atlas, demo_periods, case, pick, offset):
    """A returned period gives >= 1 non-missing value; a period not returned (shifted year or
    window) raises MissingInputError or gives no value."""
    ind, lv, kw = case
    got = demo_periods[(ind, lv)]
    kw = _kw(ind, kw, got)
    p = got[pick % len(got)]
    d = compute(demo_atlas, ind, level=lv, period=p, **kw).data
    assert d["value"].notna().any(), (ind, lv, p)
    if "-" in p:
        y0, y1 = (int(x) for x in p.split("-"))
        q = f"{y0 + offset * 5}-{y1 + offset * 5}"
    else:
        q = str(int(p) + offset * 5)
    if q in got or str(kw.get("base_year")) == q:  # base = end: a change of 0, not listed
        return
    try:
        d = compute(demo_atlas, ind, level=lv, period=q, **kw).data
    except MissingInputError:
        return
    assert not d["value"].notna().any(), (ind, lv, q)
