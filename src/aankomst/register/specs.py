"""Declarations of the register indicators (plug-in of :mod:`aankomst.register`).

Registered by :func:`aankomst.plugins.install`; texts in
``aankomst/data/indicators/register.csv``. The measures are the aggregates that
``aankomst register load`` writes at every level its sectors map onto whole (restricted:
person-level origin), read where stored. The residential-mobility ratio and the arrival
typology are derived from published indicators; their inputs
(:class:`~aankomst.register.features.DerivedInputs`) are the exact calls they make, so the
periods offered are those where every input computes.
"""

from __future__ import annotations

from aankomst.indicators.availability import Measures
from aankomst.indicators.spec import Category, IndicatorSpec, Param
from aankomst.register import indicators as R
from aankomst.register.features import TYPOLOGY_INPUTS, DerivedInputs, ratio_calls, typology_calls
from aankomst.register.typology import LEVELS as TYPOLOGY_LEVELS

LEVELS = ("municipality", "deelgemeente", "neighbourhood", "sector", "brussels_neighbourhood",
          "arrondissement", "province", "region")
"""Levels of the register measures (where ``register load`` stores them)."""

RATIO_LEVELS = ("municipality", "deelgemeente", "neighbourhood", "sector",
                "brussels_neighbourhood")
"""Levels of the residential-mobility ratio (areas with a city: municipality or region)."""


def typology_categories() -> tuple[Category, ...]:
    """Classes of the arrival typology, from ``data/typology_classes.csv``."""
    from aankomst.register.typology import categories

    return categories()


SPECS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("share_new_residents_5y", R.share_new_residents_5y, "share", LEVELS,
                  (Measures(("new_residents_5y",), exact=True),)),
    IndicatorSpec("recent_immigrants", R.recent_immigrants, "count", LEVELS,
                  (Measures(("recent_immigrants",), exact=True),), period="year",
                  value_is_count=True),
    IndicatorSpec("recent_immigrants_per_1000", R.recent_immigrants_per_1000, "rate", LEVELS,
                  (Measures(("recent_immigrants",), exact=True),), period="year"),
    IndicatorSpec("residential_mobility_ratio", R.residential_mobility_ratio, "ratio",
                  RATIO_LEVELS,
                  (DerivedInputs(("residential_mobility",), calls=ratio_calls),),
                  params=(Param("window", "int", 1, minimum=1, maximum=50), Param("base", "str", "mean"),
                          Param("city_level", "level")),
                  period="window"),
    IndicatorSpec("arrival_typology", R.arrival_typology, "categorical", TYPOLOGY_LEVELS,
                  (DerivedInputs(TYPOLOGY_INPUTS, calls=typology_calls),),
                  params=(Param("window", "int", 5, minimum=1, maximum=50),),
                  period="window", categories=typology_categories),
)
"""The register indicators."""
