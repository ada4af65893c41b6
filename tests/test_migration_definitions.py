"""Definitions of the migration indicators (issue 10, item 5), on a hand-built atlas.

The atlas is built by ``aankomst build`` from three files in the product's own CSV formats
(``docs/formats.md``): areas with their parents, population on 1 January, and flows between
neighbourhoods (short form). Every expected number below is worked out by hand from the
tables ``AREAS``, ``POP`` and ``FLOWS``.

Geography (2025 layout): Antwerpen 11002 (neighbourhoods W01, W02, W03; a big city *and* one of
the 13 centre cities), Aalst 41002 (one neighbourhood; a centre city and one of the 13),
Brussel 21004 (W01, W02) and Anderlecht 21001 (one neighbourhood) in the Brussels Capital
Region.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.indicators import compute

#: level, code, name, parent level, parent code (all layout 2025)
AREAS = [
    ("region", "02000", "Vlaams Gewest", "", ""),
    ("region", "04000", "Brussels Hoofdstedelijk Gewest", "", ""),
    ("municipality", "11002", "Antwerpen", "region", "02000"),
    ("municipality", "41002", "Aalst", "region", "02000"),
    ("municipality", "21004", "Brussel", "region", "04000"),
    ("municipality", "21001", "Anderlecht", "region", "04000"),
    ("neighbourhood", "11002W01", "Noord", "municipality", "11002"),
    ("neighbourhood", "11002W02", "Zuid", "municipality", "11002"),
    ("neighbourhood", "11002W03", "Oost", "municipality", "11002"),
    ("neighbourhood", "41002W01", "Aalst-centrum", "municipality", "41002"),
    ("neighbourhood", "21004W01", "Vijfhoek", "municipality", "21004"),
    ("neighbourhood", "21004W02", "Laken", "municipality", "21004"),
    ("neighbourhood", "21001W01", "Kuregem", "municipality", "21001"),
]

#: neighbourhood -> (Belgians, foreign nationals) on 1 January 2020 and 2021
POP = {
    "11002W01": (800, 200), "11002W02": (1200, 300), "11002W03": (400, 100),
    "41002W01": (900, 100), "21004W01": (500, 500), "21004W02": (300, 200),
    "21001W01": (600, 400),
}

#: (year, origin, destination, nationality group, persons) between neighbourhoods
FLOWS = [
    # 2020, foreign nationals (ETR)
    (2020, "abroad:MAR", "11002W01", "ETR", 10),
    (2020, "11002W02", "11002W01", "ETR", 20),  # within Antwerpen
    (2020, "11002W03", "11002W01", "ETR", 10),  # within Antwerpen
    (2020, "abroad:MAR", "11002W02", "ETR", 10),
    (2020, "21004W01", "11002W02", "ETR", 15),  # from Brussels
    (2020, "41002W01", "11002W02", "ETR", 5),   # from another municipality
    (2020, "11002W03", "11002W02", "ETR", 20),  # within Antwerpen
    (2020, "21001W01", "21004W02", "ETR", 12),  # Anderlecht -> Brussel: 'brussels'
    (2020, "21004W01", "21004W02", "ETR", 8),   # within Brussel
    (2020, "abroad:ROU", "21004W02", "ETR", 20),
    (2020, "11002W01", "21004W02", "ETR", 10),
    (2020, "11002W01", "41002W01", "ETR", 6),   # Antwerpen -> Aalst
    (2020, "41002W01", "abroad:MAR", "ETR", 5),
    # 2020, Belgians
    (2020, "11002W01", "11002W02", "BEL", 30),
    (2020, "11002W02", "21004W01", "BEL", 10),
    (2020, "11002W03", "11002W03", "BEL", 5),   # a move inside the neighbourhood
    # 2021, foreign nationals: other yearly totals (first-entry window 2020-2021)
    (2021, "abroad:MAR", "11002W01", "ETR", 45),
    (2021, "11002W02", "11002W01", "ETR", 5),
]


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def build_definitions_atlas(data_dir: Path, db: Path) -> Path:
    """Write the three CSV files into ``data_dir`` and build the atlas ``db`` from them."""
    from aankomst.sources.build import build_atlas

    data_dir.mkdir(parents=True, exist_ok=True)
    _write(data_dir / "areas.csv",
           ["level", "layout", "code", "name_nl", "parent_level", "parent_layout", "parent_code"],
           [[lv, "2025", c, n, pl, "2025" if pl else "", pc] for lv, c, n, pl, pc in AREAS])
    pop = []
    for y in (2020, 2021):
        for code, (bel, etr) in POP.items():
            for scheme, grp, n in (("nationality", "BEL", bel), ("nationality", "ETR", etr),
                                   ("total", "total", bel + etr)):
                pop.append(["neighbourhood", "2025", code, f"{y}-01-01", scheme, grp, "T",
                            "total", n])
    _write(data_dir / "population.csv",
           ["level", "layout", "code", "ref_date", "scheme", "grp", "sex", "age_band", "count"],
           pop)
    _write(data_dir / "flows.csv",
           ["year", "level", "layout", "origin", "destination", "scheme", "grp", "count"],
           [[y, "neighbourhood", "2025", o, d, "nationality", g, n] for y, o, d, g, n in FLOWS])
    build_atlas(data_dir, db, progress=False)
    return db


@pytest.fixture(scope="module")
def atlas(tmp_path_factory: pytest.TempPathFactory):
    import aankomst

    root = tmp_path_factory.mktemp("migdef")
    db = build_definitions_atlas(root / "data", root / "atlas.duckdb")
    a = aankomst.open(str(db), read_only=True)
    yield a
    a.close()


ORIGINS = ("abroad", "same_municipality", "brussels", "other_belgium")


def values(res) -> dict[str, float]:
    return dict(zip(res.data["area_code"], res.data["value"]))


def shares(atlas, level: str, period, **kw) -> dict[str, dict[str, float]]:
    """``{area: {origin: %}}`` for the four origins."""
    out: dict[str, dict[str, float]] = {}
    for origin in ORIGINS:
        for code, v in values(compute(atlas, "first_entry_share", level=level, period=period,
                                      origin=origin, **kw)).items():
            out.setdefault(code, {})[origin] = v
    return out


# --------------------------------------------------------------------------- 1. four origins
def test_first_entry_four_origins_at_neighbourhood_level(atlas):
    s = shares(atlas, "neighbourhood", 2020)
    # Noord 2020: 10 from abroad, 20 + 10 from Zuid and Oost (same city) = 40 newcomers
    assert s["11002W01"] == pytest.approx({"abroad": 25.0, "same_municipality": 75.0,
                                           "brussels": 0.0, "other_belgium": 0.0})
    # Zuid: abroad 10, Oost 20 (same city), Brussel 15, Aalst 5 = 50
    assert s["11002W02"] == pytest.approx({"abroad": 20.0, "same_municipality": 40.0,
                                           "brussels": 30.0, "other_belgium": 10.0})
    # Laken (Brussel): abroad 20, Vijfhoek 8 (same municipality), Anderlecht 12 (Brussels
    # Capital Region, also for a Brussels destination), Antwerpen 10 = 50
    assert s["21004W02"] == pytest.approx({"abroad": 40.0, "same_municipality": 16.0,
                                           "brussels": 24.0, "other_belgium": 20.0})
    # Aalst-centrum: only 6 from Antwerpen
    assert s["41002W01"] == pytest.approx({"abroad": 0.0, "same_municipality": 0.0,
                                           "brussels": 0.0, "other_belgium": 100.0})
    for code, by_origin in s.items():
        assert set(by_origin) == set(ORIGINS), code
        assert sum(by_origin.values()) == pytest.approx(100.0), code


def test_first_entry_numerator_and_denominator(atlas):
    res = compute(atlas, "first_entry_share", level="neighbourhood", period=2020,
                  origin="same_municipality")
    d = res.data.set_index("area_code")
    assert d.loc["11002W01", "numerator"] == 30 and d.loc["11002W01", "denominator"] == 40
    assert any("same_municipality, not as other_belgium" in n for n in res.meta["notes"])
    assert "same municipality" in res.meta["definition_en"]
    assert "same_municipality" in res.meta["definition_en"]


def test_first_entry_at_municipality_level(atlas):
    s = shares(atlas, "municipality", 2020)
    # Antwerpen: abroad 10 + 10, Brussel 15, Aalst 5 = 40 (moves between its neighbourhoods are
    # not arrivals of the city)
    assert s["11002"] == pytest.approx({"abroad": 50.0, "same_municipality": 0.0,
                                        "brussels": 37.5, "other_belgium": 12.5})
    # Brussel: abroad 20, Anderlecht 12 ('brussels'), Antwerpen 10 = 42
    assert s["21004"] == pytest.approx({"abroad": 100 * 20 / 42, "same_municipality": 0.0,
                                        "brussels": 100 * 12 / 42, "other_belgium": 100 * 10 / 42})
    for by_origin in s.values():
        assert sum(by_origin.values()) == pytest.approx(100.0)
    res = compute(atlas, "first_entry_share", level="municipality", period=2020,
                  origin="same_municipality")
    assert any("same_municipality is 0 by definition at municipality level" in n
               for n in res.meta["notes"])


def test_first_entry_unknown_origin_and_average_name_the_choices(atlas):
    with pytest.raises(UnknownCodeError, match="same_municipality"):
        compute(atlas, "first_entry_share", level="neighbourhood", period=2020, origin="city")
    with pytest.raises(UnknownCodeError, match="pooled"):
        compute(atlas, "first_entry_share", level="neighbourhood", period=2020, average="mean")


# --------------------------------------------------------------------------- 2. pooled/yearly
def test_first_entry_pooled_versus_yearly_average(atlas):
    # Noord 2020: abroad 10 of 40 (25 %); 2021: abroad 45 of 50 (90 %)
    yearly = compute(atlas, "first_entry_share", level="neighbourhood", period="2020-2021")
    pooled = compute(atlas, "first_entry_share", level="neighbourhood", period="2020-2021",
                     average="pooled")
    assert values(yearly)["11002W01"] == pytest.approx((25.0 + 90.0) / 2)  # 57.5
    assert values(pooled)["11002W01"] == pytest.approx(100 * 55 / 90)      # 61.11
    d = yearly.data.set_index("area_code")
    assert d.loc["11002W01", "numerator"] == 55 and d.loc["11002W01", "denominator"] == 90
    assert any("yearly average over 2020-2021" in n for n in yearly.meta["notes"])
    assert any("pooled over 2020-2021" in n for n in pooled.meta["notes"])
    assert "yearly" in yearly.meta["definition_en"] and "pooled" in yearly.meta["definition_en"]
    # the four yearly-average shares still add up to 100 (same years for every origin)
    for average in ("yearly", "pooled"):
        s = shares(atlas, "neighbourhood", "2020-2021", average=average)
        assert sum(s["11002W01"].values()) == pytest.approx(100.0)
    same = shares(atlas, "neighbourhood", "2020-2021")["11002W01"]["same_municipality"]
    assert same == pytest.approx((75.0 + 10.0) / 2)
    # Zuid has foreign newcomers in 2020 only: its yearly mean is the 2020 share
    assert values(yearly)["11002W02"] == pytest.approx(20.0)
    assert any("only some years" in n for n in yearly.meta["notes"])


# --------------------------------------------------------------------------- 3. area types
def test_residential_mobility_counts_each_move_once_per_area_type(atlas):
    res = compute(atlas, "residential_mobility", level="area_type", period=2020)
    v = values(res)
    # grootsteden = Antwerpen (3,000 inhabitants): arrivals 10 + 10 + 15 + 5 = 40, departures
    # 10 + 6 + 10 = 26, moves inside 20 + 10 + 20 + 30 + 5 = 85 -> 151 / 3,000
    assert v["grootsteden"] == pytest.approx(100 * 151 / 3000)
    # 13 centre cities = Antwerpen + Aalst (4,000): Antwerpen -> Aalst (6) and Aalst -> Zuid (5)
    # are moves inside the type, each counted once; arrivals 10 + 10 + 15 = 35, departures
    # 10 + 5 + 10 = 25, inside 85 + 6 + 5 = 96 -> 156 / 4,000 (counting the area types of
    # both ends, as before the fix, gave far more)
    assert v["centrumsteden13"] == pytest.approx(100 * 156 / 4000)
    # 11 centre cities = Aalst (1,000): arrival 6, departures 5 + 5 -> 16 / 1,000
    assert v["centrumsteden"] == pytest.approx(1.6)
    # Brussels Capital Region (2,500): arrivals 20 + 10 + 10, departures 15, inside 12 + 8
    assert v["brussels_capital"] == pytest.approx(100 * 75 / 2500)
    assert any("counted per unit, each move once" in n for n in res.meta["notes"])
    # a type with one member equals that member
    mu = values(compute(atlas, "residential_mobility", level="municipality", period=2020))
    assert mu["11002"] == pytest.approx(v["grootsteden"])


def test_area_type_balances_and_first_entry_count_each_move_once(atlas):
    imb = values(compute(atlas, "internal_migration_balance", level="area_type", period=2020,
                         window=1, group="nationality:ETR"))
    # ETR, 13 centre cities (ETR population 700): in from Brussel 15, out to Brussel 10 and
    # nothing else (Aalst <-> Antwerpen is internal) -> +5 / 700
    assert imb["centrumsteden13"] == pytest.approx(1000 * 5 / 700)
    # big cities (600): in 15 + 5, out 10 + 6 -> +4 / 600
    assert imb["grootsteden"] == pytest.approx(1000 * 4 / 600)
    # Brussels Capital Region (1,100): in 10, out 15; Anderlecht -> Brussel is internal
    assert imb["brussels_capital"] == pytest.approx(1000 * -5 / 1100)
    bil = compute(atlas, "bilateral_balance", level="area_type", period=2020, window=1,
                  group="nationality:ETR", reference="04000", rate=False)
    assert values(bil)["centrumsteden13"] == pytest.approx(5.0)
    s = shares(atlas, "area_type", 2020)
    # 13 centre cities: abroad 20, Brussel 15 = 35 newcomers (Antwerpen -> Aalst is internal)
    assert s["centrumsteden13"] == pytest.approx({"abroad": 100 * 20 / 35, "same_municipality": 0.0,
                                                  "brussels": 100 * 15 / 35, "other_belgium": 0.0})
    # Brussels Capital Region: abroad 20, Antwerpen 10 (Anderlecht -> Brussel is internal)
    assert s["brussels_capital"] == pytest.approx({"abroad": 100 * 20 / 30, "same_municipality": 0.0,
                                                   "brussels": 0.0, "other_belgium": 100 * 10 / 30})


def test_area_types_cannot_be_the_city_of_an_area(atlas):
    from aankomst.indicators.migration import external_balance

    with pytest.raises(UnknownCodeError, match="area types overlap"):
        compute(atlas, "newcomer_concentration", level="neighbourhood", period=2020,
                city_level="area_type")
    with pytest.raises(UnknownCodeError, match="neighbourhood.*inside their city"):
        external_balance(atlas, level="municipality", period=2020, window=1)


# --------------------------------------------------------------------------- 4. base population
def test_base_population_of_group_or_total_is_stated(atlas):
    # Noord, ETR 2020: out to Brussel 10 and Aalst 6, in 0 from other municipalities -> -16
    grp = compute(atlas, "internal_migration_balance", level="neighbourhood", period=2020,
                  window=1, group="nationality:ETR")
    tot = compute(atlas, "internal_migration_balance", level="neighbourhood", period=2020,
                  window=1, group="nationality:ETR", base_population_of="total")
    assert values(grp)["11002W01"] == pytest.approx(1000 * -16 / 200)
    assert values(tot)["11002W01"] == pytest.approx(1000 * -16 / 1000)
    assert any("per 1,000 inhabitants of the group (nationality:ETR)" in n
               for n in grp.meta["notes"])
    assert any("per 1,000 inhabitants of the whole population" in n and "nationality:ETR" in n
               for n in tot.meta["notes"])
    assert "base_population_of" in grp.meta["definition_en"]
    allp = compute(atlas, "internal_migration_balance", level="neighbourhood", period=2020,
                   window=1)
    assert any("per 1,000 inhabitants (all persons)" in n for n in allp.meta["notes"])
    for ind in ("external_balance", "internal_balance", "bilateral_balance"):
        r = compute(atlas, ind, level="neighbourhood", period=2020, window=1,
                    group="nationality:ETR", base_population_of="total")
        assert any("whole population" in n for n in r.meta["notes"]), ind
    with pytest.raises(UnknownCodeError, match="'everyone'.*group, total"):
        compute(atlas, "internal_migration_balance", level="neighbourhood", period=2020,
                window=1, base_population_of="everyone")


# --------------------------------------------------------------------------- 5. internal migration
def test_internal_migration_balance_below_municipality_leaves_out_moves_in_the_city(atlas):
    imb = compute(atlas, "internal_migration_balance", level="neighbourhood", period=2020,
                  window=1, group="nationality:ETR")
    v = values(imb)
    assert v["11002W01"] == pytest.approx(1000 * -16 / 200)  # not +14: Zuid/Oost moves left out
    assert v["11002W02"] == pytest.approx(1000 * 20 / 300)   # in from Brussel 15 and Aalst 5
    assert v["11002W03"] == pytest.approx(0.0)               # only moves inside Antwerpen
    assert v["21004W02"] == pytest.approx(1000 * 22 / 200)   # Anderlecht 12 + Antwerpen 10
    assert any("moves between areas of the same municipality are not counted" in n
               for n in imb.meta["notes"])
    assert "other Belgian municipalities" in imb.meta["label_en"]
    assert "internal_balance" in imb.meta["definition_en"]
    # the moves left out are the internal balance (moves between the city's neighbourhoods)
    intl = values(compute(atlas, "internal_balance", level="neighbourhood", period=2020,
                          window=1, group="nationality:ETR"))
    assert intl["11002W01"] == pytest.approx(1000 * 30 / 200)
    assert intl["11002W03"] == pytest.approx(1000 * -30 / 100)
    # at municipality level the city's balance is the sum of its neighbourhoods' balances
    mu = values(compute(atlas, "internal_migration_balance", level="municipality", period=2020,
                        window=1, group="nationality:ETR"))
    assert mu["11002"] == pytest.approx(1000 * (-16 + 20 + 0) / 600)


def test_below_municipality_needs_the_link_to_municipalities(tmp_path: Path):
    """Neighbourhood flows without parents: moves inside a municipality cannot be told apart."""
    import aankomst
    from aankomst.sources.build import build_atlas

    data = tmp_path / "data"
    data.mkdir()
    _write(data / "areas.csv", ["level", "layout", "code", "name_nl"],
           [["neighbourhood", "2025", c, c] for c in ("N1", "N2")])
    _write(data / "population.csv",
           ["level", "layout", "code", "ref_date", "scheme", "grp", "count"],
           [["neighbourhood", "2025", c, "2020-01-01", "total", "total", 100] for c in ("N1", "N2")])
    _write(data / "flows.csv", ["year", "level", "layout", "origin", "destination", "count"],
           [[2020, "neighbourhood", "2025", "N1", "N2", 10],
            [2020, "neighbourhood", "2025", "abroad:MAR", "N2", 10]])
    build_atlas(data, tmp_path / "a.duckdb", progress=False)
    with aankomst.open(str(tmp_path / "a.duckdb"), read_only=True) as a:
        with pytest.raises(MissingInputError, match="parent municipality"):
            compute(a, "internal_migration_balance", level="neighbourhood", period=2020, window=1)
        # the share from abroad needs no hierarchy
        fe = compute(a, "first_entry_share", level="neighbourhood", period=2020, group="total")
        assert values(fe) == {"N2": pytest.approx(50.0)}
        with pytest.raises(MissingInputError, match="parent municipality"):
            compute(a, "first_entry_share", level="neighbourhood", period=2020, group="total",
                    origin="same_municipality")
