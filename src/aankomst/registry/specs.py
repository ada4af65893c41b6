"""Declarations of the arrival-infrastructure indicators (plug-in of :mod:`aankomst.registry`).

Registered by :func:`aankomst.plugins.install`; texts in
``aankomst/data/indicators/registry.csv``. Their input is a registry database outside the atlas
(``registry_url`` or ``$AANKOMST_REGISTRY_URL``), or registry snapshots stored in the atlas as
measures (the demo does this).
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from aankomst.indicators.availability import External
from aankomst.indicators.spec import IndicatorSpec, Param
from aankomst.registry import indicators as R

LEVELS = ("neighbourhood", "municipality", "deelgemeente", "brussels_neighbourhood")
URL = Param("registry_url", "str")
LOCAL = Param("local_radius_m", "float", 1000.0, minimum=0, maximum=100_000)
DOMAIN = Param("domain", "str")


def _periods(indicator: str, needs_domain: bool = False) -> External:
    """The current year when a registry is configured, else the periods of the snapshots of
    this indicator stored in the atlas; nothing without the ``domain`` an indicator needs."""

    def fn(atlas: Any, *, level: str, layout: str, params: dict[str, Any]) -> list[str]:
        if needs_domain and not params.get("domain"):
            return []
        if params.get("registry_url") or os.environ.get("AANKOMST_REGISTRY_URL"):
            return [str(date.today().year)]
        rows = atlas.con.execute(
            "SELECT max(period) FROM measures WHERE measure = ? AND level = ? AND layout = ?",
            [indicator, level, layout]).fetchall()
        return [str(rows[0][0])[:4]] if rows and rows[0][0] is not None else []

    return External(fn, "registry of local resources (registry_url) or its snapshots in the atlas")


def _spec(ind: str, fn: Any, kind: Any, params: tuple[Param, ...],
          needs_domain: bool = False) -> IndicatorSpec:
    return IndicatorSpec(ind, fn, kind, LEVELS, (_periods(ind, needs_domain),),
                         params=(*params, URL), period="year", memo=False)


SPECS: tuple[IndicatorSpec, ...] = (
    _spec("registry_nearest_m", R.nearest_distance, "distance", (DOMAIN, LOCAL), True),
    _spec("registry_count_within", R.count_within, "count",
          (DOMAIN, Param("radius_m", "float", 1000.0, minimum=0, maximum=100_000), LOCAL)),
    _spec("registry_domains_local", R.domains_local, "count", (LOCAL,)),
    _spec("registry_completeness_pct", R.completeness_pct, "share", (LOCAL,)),
    _spec("registry_domains_supralocal_only", R.domains_supralocal_only, "count", (LOCAL,)),
    _spec("registry_domains_missing", R.domains_missing, "count", (LOCAL,)),
    _spec("registry_coverage", R.coverage, "index", (DOMAIN, LOCAL), True),
)
"""The arrival-infrastructure indicators."""
