"""Store access for indicators: levels, periods, crosswalk chains, counts, flows, measures.

Every indicator is computed from **counts** summed along crosswalks (``count × weight``, where
the weight is the share of the from-unit in the to-unit) from the finest level that has the
data, never from means of rates. A chain of crosswalks (e.g. municipality 2018 -> municipality
2025 -> region) is composed by multiplying weights and summing over intermediate units.

Source choice: for one reference date and scheme, each loaded file (``load_id``) at each
``(level, layout)`` is a candidate. Per target area exactly one candidate is used (no double
counts), ranked by: fewer crosswalk steps (counts published for the unit itself beat sums of
finer units, which may miss residents without a known sector), then coverage (number of target
areas the file reaches: a file covering all municipalities beats a partial one for the same
units), then counts stored in the asked scheme before counts derived from country counts, then
the finer level, then the latest load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

import numpy as np
import pandas as pd

from aankomst.errors import UnknownCodeError
from aankomst.indicators.result import VALUE_COLUMNS, Computed
from aankomst.privacy import threshold
from aankomst.store.hierarchy import FINENESS, LEVEL_ALIASES, Hierarchy, Node, resolve_level
from aankomst.store.schema import CURRENT_LAYOUT, LEVELS

__all__ = ["BRUSSELS_REGION", "CURRENT_LAYOUT", "FINENESS", "LEVELS", "LEVEL_ALIASES", "Node",
           "Store", "Trace", "group_key", "parse_date", "parse_window", "parse_year",
           "period_label", "resolve_level", "result_frame", "small_cells", "split_group",
           "threshold"]

BRUSSELS_REGION = "04000"


def small_cells(df: pd.DataFrame, cols: Iterable[str], thr: int) -> np.ndarray:
    """Rows where any count in ``cols`` is small (``1 <= c < thr``, :func:`aankomst.privacy.is_small`)."""
    from aankomst.privacy import is_small

    m = np.zeros(len(df), dtype=bool)
    for c in cols:
        m |= is_small(df[c], thr)
    return m


# --------------------------------------------------------------------------- tracking
@dataclass
class Trace:
    """What an indicator computation used: files (load ids), dates, and split crosswalks."""

    load_ids: set[int] = field(default_factory=set)
    periods: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    split: bool = False
    drop_codes: set[str] = field(default_factory=set)

    def add_period(self, p: str) -> None:
        if p not in self.periods:
            self.periods.append(p)

    def result(self, values: pd.DataFrame) -> Computed:
        """The values with what this trace recorded, as a :class:`Computed` result."""
        return Computed(values, load_ids=set(self.load_ids), periods=list(self.periods),
                        notes=list(self.notes), split=self.split)


# --------------------------------------------------------------------------- levels & periods
YEARS = range(1800, 2201)
"""Years a period may name (a typo such as ``0000`` or ``20150`` is refused, not computed)."""


def parse_year(period: Any, what: str = "period") -> int:
    """Year of a period given as ``2012``, ``'2012'`` or ``'2012-01-01'``."""
    s = str(period).strip()
    m = re.fullmatch(r"(\d{4})(-\d{2}-\d{2})?", s)
    if not m or int(m.group(1)) not in YEARS:
        raise UnknownCodeError(what, period, hint="give a year (2012) or a date (2012-01-01), "
                               "1800-2200")
    return int(m.group(1))


def parse_date(period: Any) -> date:
    """Reference date: a year means 1 January of that year."""
    s = str(period).strip()
    if re.fullmatch(r"\d{4}", s):
        return date(parse_year(s), 1, 1)
    try:
        got = date.fromisoformat(s[:10])
        if got.year not in YEARS:
            raise ValueError
        return got
    except ValueError:
        raise UnknownCodeError(
            "reference date", period, hint="give a year (= 1 January) or YYYY-MM-DD"
        ) from None


def parse_window(period: Any, window: int | None) -> tuple[int, int]:
    """Years ``(first, last)`` of a window: ``'2010-2012'`` or an end year with ``window`` years."""
    s = str(period).strip()
    m = re.fullmatch(r"(\d{4})\s*[-–/]\s*(\d{4})", s)
    if m:
        y0, y1 = parse_year(m.group(1), "window"), parse_year(m.group(2), "window")
        if y1 < y0 or y1 - y0 >= 50:
            raise UnknownCodeError("window", period, hint="the first year must not be after the "
                                   "last, and a window spans at most 50 years")
        return y0, y1
    y1 = parse_year(s)
    n = int(window or 1)
    if n < 1:
        raise UnknownCodeError("window length", window, hint="give a number of years >= 1")
    return y1 - n + 1, y1


def period_label(y0: int, y1: int) -> str:
    return str(y0) if y0 == y1 else f"{y0}-{y1}"


# --------------------------------------------------------------------------- crosswalk chains
class Store(Hierarchy):
    """The atlas hierarchy (:class:`~aankomst.store.hierarchy.Hierarchy`) plus re-expression of
    counts along it, for one computation."""

    def apply_map(
        self, df: pd.DataFrame, src: Node, dst: Node, keys: list[str], value_cols: list[str],
        trace: Trace | None = None,
    ) -> pd.DataFrame | None:
        """Re-express counts ``df[code, *keys, *value_cols]`` from ``src`` on ``dst`` (sum of
        ``value × weight``). Returns ``None`` when no crosswalk chain links the two."""
        if src == dst:
            return df.groupby(["code", *keys], as_index=False)[value_cols].sum()
        m = self.code_map(src, dst)
        if m is None:
            return None
        j = df.merge(m, on="code", how="inner")
        if j.empty:
            return j.drop(columns=["to_code", "weight", "split"]).iloc[0:0]
        if trace is not None and bool(j["split"].any()):
            trace.split = True
            trace.notes.append(
                f"some {src[0]} units of layout {src[1]} are split over {dst[0]} units of layout "
                f"{dst[1]}: their counts were shared out by crosswalk weight"
            )
        for c in value_cols:
            j[c] = j[c] * j["weight"]
        j = j.drop(columns=["code"]).rename(columns={"to_code": "code"})
        return j.groupby(["code", *keys], as_index=False)[value_cols].sum()


# --------------------------------------------------------------------------- result frames
def result_frame(
    s: Store, target: Node, df: pd.DataFrame, *, period: str, group: str, unit: str,
    trace: Trace, suppressed: np.ndarray | None = None,
) -> Computed:
    """An indicator's :class:`Computed` result from ``df[code, value, numerator, denominator]``.

    Areas are ordered by code; names come from the hierarchy (Dutch, French for
    ``area_name_fr``). ``suppressed`` (aligned with the rows of ``df``) flags rows the
    implementation withholds itself, e.g. balances built on small flow counts.
    """
    df = df.copy()
    for c in ("numerator", "denominator"):
        if c not in df.columns:
            df[c] = np.nan
    if suppressed is not None:
        df["_suppressed"] = np.asarray(suppressed, dtype=bool)
    if trace.drop_codes:
        df = df[~df["code"].isin(trace.drop_codes)]
    df = df.sort_values("code").reset_index(drop=True)
    names = s.names(target, df["code"])
    out = pd.DataFrame(
        {
            "area_code": df["code"].astype(str).to_numpy(),
            "area_name": names["area_name"].to_numpy(),
            "level": target[0],
            "layout": target[1],
            "period": str(period),
            "group": group,
            "value": pd.to_numeric(df["value"], errors="coerce").astype(float).to_numpy(),
            "unit": unit,
            "numerator": pd.to_numeric(df["numerator"], errors="coerce").astype(float).to_numpy(),
            "denominator": pd.to_numeric(df["denominator"], errors="coerce").astype(float).to_numpy(),
            "area_name_fr": names["area_name_fr"].to_numpy(),
        }
    )[VALUE_COLUMNS]
    if suppressed is not None:
        out["suppressed"] = df["_suppressed"].to_numpy(dtype=bool)
    return trace.result(out)


def group_key(scheme: str | None, grp: str | None) -> str:
    """The ``group`` column value: ``'total'`` or ``'<scheme>:<grp>'``."""
    if scheme in (None, "total") or grp in (None, "total"):
        return "total"
    return f"{scheme}:{grp}"


def split_group(group: str | None, scheme: str | None) -> tuple[str | None, str | None]:
    """Accept ``group='north_africa', scheme='nationality_group6'`` or ``group='nationality_group6:north_africa'``."""
    if group and ":" in str(group):
        sch, grp = str(group).split(":", 1)
        return sch, grp
    if group and not scheme:
        if group in ("BEL", "ETR"):
            return "nationality", group
        if group == "total":
            return None, None
        from aankomst.indicators import groups as G

        hits = [sc for sc in G.schemes() if group in G.scheme_groups(sc)]
        if len(hits) == 1:
            return hits[0], group
        raise UnknownCodeError("group without scheme", group,
                               known=G.schemes(), hint="give the scheme too (--scheme S)")
    return scheme, group
