"""Declarations of the core indicators: population, shares, migration and income.

One :class:`~aankomst.indicators.spec.IndicatorSpec` per indicator; the texts are the rows of
``aankomst/data/indicators/core.csv`` with the same id.
"""

from __future__ import annotations

from aankomst.indicators import income as I
from aankomst.indicators import migration as M
from aankomst.indicators import population as P
from aankomst.indicators.availability import (
    AnyOf,
    Change,
    Flows,
    Measures,
    Population,
    Share,
    When,
)
from aankomst.indicators.spec import IndicatorSpec, Param

SUB_MUNICIPAL = ("deelgemeente", "neighbourhood", "sector", "brussels_neighbourhood")
ALL_LEVELS = ("country", "region", "province", "arrondissement", "municipality", "deelgemeente",
              "neighbourhood", "sector", "brussels_neighbourhood", "area_type")
FOREIGN = ("nationality", "ETR")

BASE_YEAR = Param("base_year", "year")
BASE = Param("base", "str", "mean")
BASE_OF = Param("base_population_of", "choice", "group", choices=("group", "total"))
CITY_LEVEL = Param("city_level", "level", "municipality")


def _window(default: int) -> Param:
    return Param("window", "int", default, minimum=1, maximum=50)


SPECS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("population", P.population, "count", ALL_LEVELS, (Population(),),
                  groups="optional", value_is_count=True),
    IndicatorSpec("density", P.density, "ratio", ALL_LEVELS, (Population(sizes=True),),
                  groups="optional"),
    IndicatorSpec("foreign_nationality_share", P.foreign_nationality_share, "share", ALL_LEVELS,
                  (Share(),), groups="fixed", extra={"group": FOREIGN}),
    IndicatorSpec("foreign_nationality_share_change", P.foreign_nationality_share_change,
                  "difference", ALL_LEVELS, (Change(),), params=(BASE_YEAR,), groups="fixed",
                  extra={"group": FOREIGN}),
    IndicatorSpec("group_share", P.group_share, "share", ALL_LEVELS, (Share(),),
                  groups="optional", extra={"group_required": True}),
    IndicatorSpec("group_share_change", P.group_share_change, "difference", ALL_LEVELS,
                  (Change(),), params=(BASE_YEAR,), groups="optional",
                  extra={"group_required": True}),
    IndicatorSpec("internal_migration_balance", M.internal_migration_balance, "rate",
                  ALL_LEVELS, (Flows("both", "base", municipality_link="always"),),
                  params=(_window(3), BASE, BASE_OF), groups="optional", period="window"),
    IndicatorSpec("bilateral_balance", M.bilateral_balance, "rate", ALL_LEVELS,
                  (Flows("od", "base", reference=True),),
                  params=(Param("reference", "code", "04000"), Param("reference_level", "level"),
                          _window(3), BASE, Param("rate", "bool", True), BASE_OF),
                  groups="optional", period="window"),
    IndicatorSpec("external_balance", M.external_balance, "rate", SUB_MUNICIPAL,
                  (Flows("both", "base", city=True),),
                  params=(_window(3), BASE, CITY_LEVEL, BASE_OF), groups="optional",
                  period="window"),
    IndicatorSpec("internal_balance", M.internal_balance, "rate", SUB_MUNICIPAL,
                  (Flows("both", "base", city=True),),
                  params=(_window(3), BASE, CITY_LEVEL, BASE_OF), groups="optional",
                  period="window"),
    IndicatorSpec("residential_mobility", M.residential_mobility, "rate", ALL_LEVELS,
                  (Flows("both", "base"),), params=(_window(1), BASE),
                  groups="optional", period="window"),
    IndicatorSpec("first_entry_share", M.first_entry_share, "share", ALL_LEVELS,
                  (Flows("arrivals", None, default_group=FOREIGN,
                         municipality_link="unless_abroad"),),
                  params=(Param("origin", "choice", "abroad",
                                choices=("abroad", "brussels", "other_belgium",
                                         "same_municipality")),
                          _window(1),
                          Param("average", "choice", "yearly", choices=("yearly", "pooled"))),
                  groups="optional", period="window"),
    IndicatorSpec("newcomer_concentration", M.newcomer_concentration, "ratio", SUB_MUNICIPAL,
                  (Flows("arrivals", "end_total", city=True),),
                  params=(_window(1),
                          Param("newcomers", "choice", "outside_city",
                                choices=("outside_city", "abroad")), CITY_LEVEL),
                  groups="optional", period="window"),
    IndicatorSpec("income_per_inhabitant", I.income_per_inhabitant, "amount", ALL_LEVELS,
                  (Measures(("total_net_taxable_income",)),
                   AnyOf((Measures(("residents_income_statistics",)), Population(total=True)))),
                  params=(Param("population_offset", "int", 0, minimum=-20, maximum=20),), period="year"),
    IndicatorSpec("income_per_declaration", I.income_per_declaration, "amount", ALL_LEVELS,
                  (When("statistic", "median",
                        Measures(("median_taxable_income_declaration",), exact=True),
                        Measures(("total_net_taxable_income",))),
                   When("statistic", "median", Measures(("median_taxable_income_declaration",),
                                                        exact=True),
                        Measures(("tax_declarations", "tax_declarations_nonzero")))),
                  params=(Param("statistic", "choice", "mean", choices=("mean", "median")),),
                  period="year"),
)
"""The core indicators, in catalogue order."""
