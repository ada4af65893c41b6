"""Indicator engine: declared indicators (specs), availability, ``compute``.

Public API (nothing is computed at import time)::

    from aankomst.indicators import compute, available_periods, available_groups, get, specs
    res = compute(atlas, "group_share", level="municipality", period=2015,
                  scheme="nationality", group="ETR")
    res.data   # OUTPUT_COLUMNS: area_code, area_name, level, layout, period, group, value,
               # unit, numerator, denominator, suppressed (+ area_name_fr, rank, population)
    res.meta   # id, kind, labels, definition, unit, reference periods, sources, restricted …

Every indicator is declared once (:class:`~aankomst.indicators.spec.IndicatorSpec`, registered
in :mod:`aankomst.indicators.registry`; the plug-ins of the register, deprivation and registry
subsystems by :func:`aankomst.plugins.install`). See ``docs/indicators.md`` (generated) and
``docs/architecture.md``.
"""

from __future__ import annotations

from aankomst.indicators.availability import available_groups, available_periods
from aankomst.indicators.catalog import catalogue, entry, listing, parameters
from aankomst.indicators.engine import compare, compute, rank
from aankomst.indicators.registry import get, ids, specs
from aankomst.indicators.result import OUTPUT_COLUMNS, Computed, IndicatorResult
from aankomst.indicators.spec import IndicatorSpec, Param, ParameterError

__all__ = [
           "OUTPUT_COLUMNS",
           "Computed",
           "IndicatorResult",
           "IndicatorSpec",
           "Param",
           "ParameterError",
           "available_groups",
           "available_periods",
           "catalogue",
           "compare",
           "compute",
           "entry",
           "get",
           "ids",
           "listing",
           "parameters",
           "rank",
           "specs",
]
