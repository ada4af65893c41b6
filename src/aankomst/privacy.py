"""Small-cell protection for every published figure (see ``docs/privacy.md``).

The rule (defaults in the atlas ``settings`` table):

* a published **count** ``c`` with ``1 <= c < threshold`` is suppressed (``0`` is published:
  an empty cell discloses nothing about a person);
* a published **rate/share** is suppressed when its numerator or its denominator count is a
  suppressed count (``1 <= n < threshold``);
* in tables with margins, complementary suppression makes sure no suppressed cell can be
  recovered by subtraction (:func:`suppress_table`, extended by the register engineer).

Suppressed cells have ``value`` (and numerator/denominator) set to missing and
``suppressed = True``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_THRESHOLD = 5


def is_small(counts: pd.Series | np.ndarray, threshold: int = DEFAULT_THRESHOLD) -> np.ndarray:
    """Boolean mask of counts in ``1 .. threshold-1`` (missing counts are not small)."""
    c = pd.to_numeric(pd.Series(counts), errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return (c >= 1) & (c < threshold)


def protect_indicator(
    df: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD, *, value_is_count: bool = False
) -> pd.DataFrame:
    """Apply primary suppression to an indicator result.

    Parameters
    ----------
    df
        Indicator rows with ``value`` and optionally ``numerator`` / ``denominator`` (counts).
    threshold
        Smallest publishable positive count (default 5: counts 1–4 are suppressed).
    value_is_count
        ``True`` when ``value`` itself is a count of persons (unit ``persons``).

    Returns
    -------
    pandas.DataFrame
        A copy with a boolean ``suppressed`` column; suppressed rows have ``value``,
        ``numerator`` and ``denominator`` set to NaN.
    """
    out = df.copy()
    mask = np.zeros(len(out), dtype=bool)
    for col in ("numerator", "denominator"):
        if col in out.columns:
            mask |= is_small(out[col], threshold)
    if value_is_count and "value" in out.columns:
        mask |= is_small(out["value"], threshold)
    prior = out["suppressed"].to_numpy(dtype=bool) if "suppressed" in out.columns else False
    mask = mask | prior
    for col in ("value", "numerator", "denominator"):
        if col in out.columns:
            out[col] = out[col].astype(float)
            out.loc[mask, col] = np.nan
    out["suppressed"] = mask
    return out
