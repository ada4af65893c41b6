"""Indicator engine: catalogue (data), group schemes, pure indicator functions, ``compute``.

Public API (imported lazily; nothing is computed at import time)::

    from aankomst.indicators import catalogue, compute, IndicatorResult, rank, compare
    res = compute(atlas, "group_share", level="municipality", period=2015,
                  scheme="nationality", group="ETR")
    res.data   # area_code, area_name, level, layout, period, group, value, unit,
               # numerator, denominator, suppressed (+ area_name_fr, rank, population)
    res.meta   # id, labels, definition, unit, reference periods, sources, notes …

See ``docs/indicators.md`` (generated from the catalogue) and ``docs/architecture.md``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["catalogue", "compute", "IndicatorResult", "rank", "compare", "OUTPUT_COLUMNS",
           "parameters", "ids", "entry", "available_periods"]


def __getattr__(name: str) -> Any:
    if name in ("compute", "IndicatorResult", "rank", "compare", "OUTPUT_COLUMNS"):
        import importlib

        return getattr(importlib.import_module("aankomst.indicators.engine"), name)
    if name == "available_periods":
        import importlib

        return importlib.import_module("aankomst.indicators.periods").available_periods
    if name in ("catalogue", "parameters", "ids", "entry"):
        import importlib

        return getattr(importlib.import_module("aankomst.indicators.catalog"), name)
    raise AttributeError(f"module 'aankomst.indicators' has no attribute {name!r}")
