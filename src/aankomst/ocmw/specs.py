"""Declarations of the OCMW indicators (plug-in of :mod:`aankomst.ocmw`).

Registered by :func:`install` (to be called from :func:`aankomst.plugins.install`); texts in
``aankomst/data/indicators/ocmw.csv``. The periods on offer come from :class:`OcmwFigures`,
which asks the stored OCMW figures with the same rule the implementations use (stored at the
level, or summed from finer areas where every finer area has a figure), so that what is offered
computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aankomst.errors import MissingInputError
from aankomst.indicators.availability import Input
from aankomst.indicators.spec import IndicatorSpec, Param
from aankomst.ocmw import indicators as O

LEVELS = ("country", "region", "province", "arrondissement", "municipality", "area_type",
          "deelgemeente", "neighbourhood", "sector", "brussels_neighbourhood")
"""Levels of the OCMW counts (municipality = the OCMW; others where the figures reach)."""
OCMW_LEVELS = ("region", "province", "arrondissement", "municipality", "area_type")
"""Levels of the trajectory indicators (no addresses needed)."""


def _measure_param(default: str = "leefloon") -> Param:
    from aankomst.ocmw.catalogue import measure_ids

    return Param("measure", "choice", default, choices=tuple(measure_ids()))


def _sex_age() -> tuple[Param, Param]:
    from aankomst.ocmw.catalogue import SEXES, age_band_ids

    return (Param("sex", "choice", "T", choices=SEXES),
            Param("age_band", "choice", "total", choices=("total", *age_band_ids())))


@dataclass(frozen=True)
class OcmwFigures(Input):
    """Periods of stored OCMW statistics reaching a level (all ``stats`` needed).

    Attributes
    ----------
    stats
        Statistics that must all be present (``recipients``, ``exits12`` …).
    estimates
        Published-table estimates count for ``recipients``.
    share
        The published share counts as well (``ocmw_recipient_share``).
    rate
        Years only, and residents of the group must exist on 1 January.
    exact
        Read only where stored at the level (non-additive medians).
    """

    stats: tuple[str, ...]
    estimates: bool = False
    share: bool = False
    rate: bool = False
    exact: bool = False
    positive: tuple[str, ...] = ()

    def periods(self, c: Any, t: Any, sch: str | None, grp: str | None,
                params: dict[str, Any]) -> set[str] | None:
        from aankomst.ocmw import catalogue as K
        from aankomst.ocmw.indicators import complete_sums, stored

        scheme, group = (sch or "total", grp or "total") if sch not in (None, "total") and grp not in (
            None, "total") else ("total", "total")
        measure = str(params.get("measure") or "leefloon")
        sex, age = str(params.get("sex") or "T"), str(params.get("age_band") or "total")

        def have(stat: str, sc: str, gr: str) -> set[str]:
            def make() -> set[str]:
                name = K.measure_key(stat, measure, sex, age)  # the rows once, whatever the target
                rows = c.memo(("ocmw_stored", name, sc, gr), lambda: stored(c.s.atlas, name, sc, gr))
                if rows.empty:
                    return set()
                got = complete_sums(c.s, rows, t, additive=K.STATS[stat].additive and not self.exact)
                if stat in self.positive:  # a denominator: some area must have a positive one
                    got = got[got["value"] > 0]
                return set(got["period"].astype(str))
            out: set[str] = c.memo(("ocmw", stat, measure, sex, age, sc, gr, t, self.exact,
                                    stat in self.positive), make)
            return out

        out: set[str] | None = None
        for st in self.stats:
            got = have(st, scheme, group)
            if st == "recipients" and self.estimates:
                got = got | have("recipients_est", scheme, group)
            out = got if out is None else out & got
        res = out or set()
        if self.share:
            res = (res & have("recipients", "total", "total")) | (have("share", scheme, group)
                                                                  & have("recipients", "total", "total"))
        if self.rate:
            res = {p for p in res if len(p) == 4 and _has_residents(c, t, scheme, group, int(p))}
        return res

    def describe(self) -> str:
        return "OCMW figures " + ", ".join(self.stats) + (" + residents of the group" if self.rate else "")


def _has_residents(c: Any, t: Any, sch: str, grp: str, year: int) -> bool:
    from aankomst.indicators._store import Trace
    from aankomst.ocmw.indicators import _denominator

    def make() -> bool:
        try:
            d = _denominator(c.s, t, year, sch, grp, "offer", Trace())
        except MissingInputError:
            return False
        return bool(len(d))

    got: bool = c.memo(("ocmw_residents", t, sch, grp, year), make)
    return got


@lru_cache(maxsize=1)
def _specs() -> tuple[IndicatorSpec, ...]:
    sex, age = _sex_age()
    m = _measure_param()
    return (
        IndicatorSpec("ocmw_recipients", O.recipients, "count", LEVELS,
                      (OcmwFigures(("recipients",), estimates=True),), params=(m, sex, age),
                      groups="optional", period="year", value_is_count=True),
        IndicatorSpec("ocmw_recipient_share", O.recipient_share, "share", LEVELS,
                      (OcmwFigures(("recipients",), share=True),), params=(m,), groups="optional",
                      period="year", extra={"group_required": True}),
        IndicatorSpec("ocmw_recipients_per_1000", O.recipients_per_1000, "rate", LEVELS,
                      (OcmwFigures(("recipients",), estimates=True, rate=True),), params=(m,),
                      groups="optional", period="year"),
        IndicatorSpec("ocmw_inflow", O.inflow, "count", LEVELS, (OcmwFigures(("inflow",)),),
                      params=(m, sex, age), groups="optional", period="year", value_is_count=True),
        IndicatorSpec("ocmw_outflow", O.outflow, "count", LEVELS, (OcmwFigures(("outflow",)),),
                      params=(m, sex, age), groups="optional", period="year", value_is_count=True),
        IndicatorSpec("ocmw_median_duration", O.median_duration, "amount", OCMW_LEVELS,
                      (OcmwFigures(("duration_median",), exact=True),), params=(m,), groups="optional",
                      period="year"),
        IndicatorSpec("ocmw_exit_12m", O.exit_12m, "share", OCMW_LEVELS,
                      (OcmwFigures(("exits12", "spells_obs12"), positive=("spells_obs12",)),), params=(m,), groups="optional",
                      period="year"),
        IndicatorSpec("ocmw_exit_24m", O.exit_24m, "share", OCMW_LEVELS,
                      (OcmwFigures(("exits24", "spells_obs24"), positive=("spells_obs24",)),), params=(m,), groups="optional",
                      period="year"),
        IndicatorSpec("ocmw_activation_regular_work", O.activation_regular_work, "share", OCMW_LEVELS,
                      (OcmwFigures(("work12", "contracts_obs12"), positive=("contracts_obs12",)),), params=(_measure_param("article_60"),),
                      groups="optional", period="year"),
    )


def specs() -> tuple[IndicatorSpec, ...]:
    """The OCMW indicator specs (built on call: no work at import time).

    Examples
    --------
    >>> [s.id for s in specs()][:2]
    ['ocmw_recipients', 'ocmw_recipient_share']
    """
    return _specs()


def install() -> None:
    """Register the OCMW indicators (idempotent); the integrator calls this from
    :func:`aankomst.plugins.install`.

    Examples
    --------
    >>> install()
    >>> from aankomst.indicators.registry import get
    >>> get("ocmw_recipients").kind
    'count'
    """
    from aankomst.indicators.registry import register

    register(specs(), plugin="ocmw")


def __getattr__(name: str) -> Any:
    """``SPECS`` is built on first access (its parameter choices are read from the data tables)."""
    if name == "SPECS":
        return specs()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
