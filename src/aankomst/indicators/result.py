"""The indicator result: one column list and two types.

* :data:`OUTPUT_COLUMNS` — the columns of every published indicator table (CLI, API, exports,
  maps, reports import this list; nothing else spells it out).
* :class:`Computed` — what every indicator implementation returns (core, register,
  deprivation, registry): the values plus their provenance (load ids of the files used,
  reference periods, notes, split crosswalks, whether restricted data was used).
* :class:`IndicatorResult` — what :func:`aankomst.indicators.compute` publishes: the values
  after the small-cell rule, with their metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

OUTPUT_COLUMNS: list[str] = ["area_code", "area_name", "level", "layout", "period", "group",
                             "value", "unit", "numerator", "denominator", "suppressed"]
"""Columns every published indicator table has, in this order (more may follow: ``area_name_fr``,
``rank``, ``population``, and the class columns of categorical indicators)."""

VALUE_COLUMNS: list[str] = [c for c in OUTPUT_COLUMNS if c != "suppressed"] + ["area_name_fr"]
"""Columns an implementation fills (:class:`Computed` ``values``); the engine adds
``suppressed``."""


@dataclass
class Computed:
    """An implementation's values and their provenance.

    Attributes
    ----------
    values
        One row per area: :data:`VALUE_COLUMNS` (a ``suppressed`` column may be present when the
        implementation suppressed rows itself, e.g. small flow counts behind a balance), plus any
        indicator-specific columns (``class``, ``explanation`` …).
    load_ids
        ``provenance.load_id`` of every file the values were computed from.
    periods
        Reference periods actually used (dates or windows), in order of use.
    notes
        Remarks for the reader (fallbacks, split units, definitions chosen).
    split
        Whether counts were shared out over split crosswalk units.
    restricted
        ``True`` when person-level (restricted) data was used; ``None``: decided from the
        ``privacy`` of the files in ``load_ids``.
    sources
        Sources outside the atlas's ``provenance`` (e.g. the registry database), each a dict
        with at least ``source_id``, ``title``, ``reference_date`` and ``privacy``.

    Examples
    --------
    >>> import pandas as pd
    >>> c = Computed(pd.DataFrame({"area_code": ["1"], "value": [2.0]}), load_ids={3},
    ...              periods=["2015-01-01"])
    >>> sorted(c.load_ids), c.periods
    ([3], ['2015-01-01'])
    """

    values: pd.DataFrame
    load_ids: set[int] = field(default_factory=set)
    periods: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    split: bool = False
    restricted: bool | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.values, pd.DataFrame):
            raise TypeError(f"Computed.values must be a pandas DataFrame, not {type(self.values)}")
        self.load_ids = {int(x) for x in self.load_ids}
        self.periods = list(dict.fromkeys(str(p) for p in self.periods))
        self.notes = list(dict.fromkeys(str(n) for n in self.notes))

    def copy(self) -> Computed:
        """An independent copy (values, load ids, periods, notes and sources copied)."""
        return Computed(self.values.copy(), set(self.load_ids), list(self.periods), list(self.notes),
                        self.split, self.restricted, [dict(x) for x in self.sources])


@dataclass
class IndicatorResult:
    """An indicator's published rows and their metadata.

    Attributes
    ----------
    data
        DataFrame with :data:`OUTPUT_COLUMNS` (+ ``area_name_fr``; ``rank`` and ``population``
        when a ranking was asked; class columns for categorical indicators). ``value`` is empty
        where ``suppressed`` is true.
    meta
        id, labels, definition, kind, unit, numerator/denominator text, level, layout, period,
        reference periods, group, parameters, sources (from ``provenance``), ``restricted``,
        notes, class hint, categories, small-cell threshold and number of suppressed rows.
    """

    data: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"IndicatorResult({self.meta.get('id')!r}, {len(self.data)} rows)"
