"""Group schemes as data: country -> group, EU membership by date, edge cases."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aankomst.errors import UnknownCodeError
from aankomst.indicators import groups as G


@pytest.mark.parametrize(
    "code, when, expected",
    [
        ("GBR", "2020-01-31", "eu"),        # last day as a member
        ("GBR", "2020-02-01", "non_eu"),    # withdrawal in force
        ("GBR", 1972, "non_eu"),            # before the 1973 accession
        ("GBR", 1973, "eu"),
        ("HRV", "2013-06-30", "non_eu"),
        ("HRV", "2013-07-01", "eu"),
        ("HRV", 2013, "non_eu"),            # 1 January 2013
        ("ROU", "2006-12-31", "non_eu"),
        ("ROU", 2007, "eu"),
        ("BGR", 2006, "non_eu"),
        ("POL", "2004-04-30", "non_eu"),
        ("POL", "2004-05-01", "eu"),
        ("BEL", 2010, "belgian"),
        ("FRA", 1960, "eu"),
        ("ESP", 1985, "non_eu"),
        ("YUG", 1990, "non_eu"),
        ("SUN", 1990, "non_eu"),
        ("CSK", 2010, "non_eu"),
        ("DDR", 1989, "non_eu"),
        ("MAR", 2020, "non_eu"),
        ("XXX", 2020, "non_eu"),
    ],
)
def test_eu_status_by_date(code, when, expected):
    assert G.country_group(code, "eu_status", when) == expected


@pytest.mark.parametrize(
    "code, when, expected",
    [
        ("NLD", 2010, "eu14"),
        ("POL", 2010, "eu12"),
        ("ROU", 2006, "non_eu"),
        ("ROU", 2007, "eu12"),
        ("HRV", 2014, "eu2013"),
        ("GBR", 2019, "eu14"),
        ("GBR", 2021, "non_eu"),
        ("BEL", 2000, "belgian"),
    ],
)
def test_eu_wave_eu_plus_12(code, when, expected):
    assert G.country_group(code, "eu_wave", when) == expected


def test_eu12_is_the_2004_and_2007_accessions():
    members = set(G.group_members("eu_wave", "eu12", "2010-01-01"))
    assert members == {"CYP", "CZE", "EST", "HUN", "LVA", "LTU", "MLT", "POL", "SVK", "SVN",
                       "BGR", "ROU"}
    assert len(set(G.group_members("eu_wave", "eu14", 2010))) == 14
    eu = set(G.group_members("eu_status", "eu", "2020-01-31"))
    assert len(eu) == 27  # 28 members minus Belgium
    assert len(set(G.group_members("eu_status", "eu", "2020-02-01"))) == 26


@pytest.mark.parametrize(
    "code, g6, m6",
    [
        ("MAR", "north_africa", "morocco"),
        ("TUR", "west_asia", "turkey"),
        ("NLD", "west_europe", "netherlands"),
        ("DEU", "west_europe", "west_north_europe"),
        ("SWE", "west_europe", "west_north_europe"),
        ("ITA", "south_europe", "south_europe"),
        ("GRC", "south_europe", "south_europe"),
        ("POL", "east_europe", "east_europe"),
        ("YUG", "east_europe", "east_europe"),      # former Yugoslavia
        ("SUN", "east_europe", "east_europe"),      # former USSR
        ("SCG", "east_europe", "east_europe"),      # Serbia and Montenegro
        ("XKX", "east_europe", "east_europe"),      # Kosovo (user-assigned code)
        ("RUS", "east_europe", "east_europe"),
        ("COD", "subsaharan_africa", "other"),
        ("ZAR", "subsaharan_africa", "other"),      # former Zaire
        ("DZA", "north_africa", "other"),
        ("SYR", "west_asia", "other"),
        ("CHN", "other", "other"),
        ("BRA", "other", "other"),
        ("BEL", "belgian", "belgian"),
    ],
)
def test_group6_and_municipal_scheme(code, g6, m6):
    assert G.country_group(code, "nationality_group6") == g6
    assert G.country_group(code, "nationality_municipal6") == m6


def test_east_europe_is_the_thesis_list():
    thesis = {"EST", "LVA", "LTU", "POL", "CZE", "SVK", "HUN", "SVN", "BGR", "ROU", "ALB", "BLR",
              "SRB", "XKX", "MDA", "RUS", "HRV", "MKD", "BIH", "MNE", "UKR", "YUG", "SUN"}
    east = set(G.group_members("nationality_group6", "east_europe"))
    assert thesis <= east
    assert east - thesis <= {"SCG", "CSK", "DDR", "BYS"}  # only withdrawn predecessors added


def test_aliases_and_alpha2_numeric():
    assert G.normalise_country("ma") == "MAR"
    assert G.normalise_country("UK") == "GBR"
    assert G.normalise_country("EL") == "GRC"
    assert G.normalise_country("504") == "MAR"
    assert G.country_group("XK", "nationality_group6") == "east_europe"


@pytest.mark.parametrize("bad", ["ZZZ", "", "Morocco", "12345"])
def test_unknown_country_code_is_a_clear_error(bad):
    with pytest.raises(UnknownCodeError, match="country code") as exc:
        G.country_group(bad, "nationality_group6")
    assert "ISO 3166" in str(exc.value)


def test_unknown_scheme_and_group():
    with pytest.raises(UnknownCodeError, match="derived group scheme"):
        G.country_group("MAR", "continent")
    with pytest.raises(UnknownCodeError, match="group scheme"):
        G.scheme_groups("planet")
    with pytest.raises(UnknownCodeError):
        G.group_members("nationality_group6", "martians")
    with pytest.raises(UnknownCodeError, match="reference date"):
        G.country_group("MAR", "eu_status", "yesterday")


def test_every_scheme_the_readers_produce_has_labels():
    # population/measure/flow schemes of the mirror readers (docs/schema.md); country labels
    # come from countries.csv, total needs none; the register's schemes are its own
    for scheme in ("nationality", "eu_status", "birthplace", "continent", "age", "domain", "ibsa_nationality"):
        groups = G.scheme_groups(scheme)
        assert groups and all(G.group_label(scheme, g, "nl") and G.group_label(scheme, g, "en") for g in groups)
    assert G.scheme_groups("birthplace") == ["belgium", "eu", "non_eu", "unclassified", "unknown"]
    assert G.group_label("continent", "africa", "en") == "Africans"
    t = G.scheme_table()
    assert not t.duplicated(["scheme", "grp"]).any()
    assert not t.duplicated(["scheme", "order"]).any()


def test_scheme_table_has_labels_and_sources():
    t = G.scheme_table()
    assert (t["label_nl"] != "").all() and (t["label_en"] != "").all() and (t["source"] != "").all()
    assert G.scheme_groups("nationality_group6")[0] == "belgian"
    assert G.group_label("nationality_group6", "north_africa", "nl") == "Noord-Afrikanen"
    assert G.group_label("country", "MAR", "nl") == "Marokko"


countries = st.sampled_from(sorted(G.countries()["iso3"]))
dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=200, deadline=None)
@given(code=countries, when=dates)
def test_every_country_falls_in_exactly_one_group_of_every_scheme(code, when):
    for scheme in G.DERIVED_SCHEMES:
        g = G.country_group(code, scheme, when)
        assert g in G.scheme_groups(scheme)
    # consistency between the schemes
    eu = G.country_group(code, "eu_status", when)
    wave = G.country_group(code, "eu_wave", when)
    assert (eu == "non_eu") == (wave == "non_eu")
    assert (eu == "belgian") == (code == "BEL") == (G.country_group(code, "nationality") == "BEL")


@settings(max_examples=100, deadline=None)
@given(code=countries, a=dates, b=dates)
def test_membership_changes_only_at_table_dates(code, a, b):
    """Between two dates with no accession/leaving date in between, status is the same."""
    lo, hi = min(a, b), max(a, b)
    m = G.eu_membership()
    events = set()
    if code in m.index:
        events = {m.loc[code, "joined"], m.loc[code, "left"]} - {None}
    if not any(lo < e <= hi for e in events if e == e):
        assert G.eu_member(code, lo) == G.eu_member(code, hi)
