"""Small-cell protection for every published figure (see ``docs/privacy.md``).

The rule (defaults in the atlas ``settings`` table):

* a published **count** ``c`` with ``1 <= c < threshold`` is suppressed (``0`` is published:
  an empty cell discloses nothing about a person);
* a published **rate/share** is suppressed when its numerator or its denominator count is a
  suppressed count (``1 <= n < threshold``);
* in tables with margins, complementary suppression makes sure no suppressed cell can be
  recovered by subtraction (:func:`suppress_table`, extended by the register engineer);
* for areas nesting in parent areas, :func:`suppress_hierarchy` (used by
  ``indicators.compute`` for restricted sources) does the same per parent area.

Suppressed cells have ``value`` (and numerator/denominator) set to missing and
``suppressed = True``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

DEFAULT_THRESHOLD = 5


def threshold(atlas: Any) -> int:
    """The small-cell threshold of an atlas (``settings.small_cell_threshold``; default 5).

    The one place the setting is read: counts ``1 … threshold-1`` are suppressed.

    Examples
    --------
    >>> class Demo:
    ...     def setting(self, key, default=None):
    ...         return {"small_cell_threshold": "10"}.get(key, default)
    >>> threshold(Demo())
    10
    """
    value = atlas.setting("small_cell_threshold", str(DEFAULT_THRESHOLD))
    try:
        out = int(value or DEFAULT_THRESHOLD)
    except (TypeError, ValueError):
        raise ValueError(f"atlas setting small_cell_threshold = {value!r} is not a whole number; "
                         "set it with: aankomst sql --db FILE \"UPDATE settings SET value = '5' "
                         "WHERE key = 'small_cell_threshold'\"") from None
    if out < 1:
        raise ValueError(f"atlas setting small_cell_threshold = {out} must be at least 1")
    return out


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


# ---------------------------------------------------------------------------- tables with margins
def _equations(df: pd.DataFrame, dims: dict[str, str | dict[str, str]]) -> list[tuple[int, np.ndarray]]:
    """Linear relations ``total = sum(parts)`` implied by the margin categories of ``dims``.

    For each dimension ``col`` with total label ``t`` (or a ``{part: total}`` mapping for grouped
    totals), rows that agree on every other column form one relation: the row with the total
    value equals the sum of the rows with its part values. Returns (total row position, part
    row positions) pairs.
    """
    eqs: list[tuple[int, np.ndarray]] = []
    cols = list(df.columns)
    pos = range(len(df))
    for col, spec in dims.items():
        others = [c for c in cols if c != col and c not in ("count", "value", "suppressed", "_pos")]
        vals = df[col].astype(object)
        if isinstance(spec, dict):
            parent = vals.map(spec)
        else:  # one total label: every other row's parent is that total
            parent = pd.Series(spec, index=df.index, dtype=object)
            parent[(vals == spec).to_numpy()] = None
        key_self = df[others].astype(str).agg("\x1f".join, axis=1) if others else pd.Series("", index=df.index)
        lookup = dict(zip(zip(key_self, vals), pos))
        groups: dict[int, list[int]] = {}
        for i, (k, par) in enumerate(zip(key_self, parent)):
            if par is None or (isinstance(par, float) and np.isnan(par)):
                continue
            t = lookup.get((k, par))
            if t is not None:
                groups.setdefault(t, []).append(i)
        eqs.extend((t, np.array(p)) for t, p in groups.items())
    return eqs


def suppress_table(
    df: pd.DataFrame,
    dims: dict[str, str | dict[str, str]],
    threshold: int = DEFAULT_THRESHOLD,
    *,
    value: str = "count",
    audit: bool | None = None,
) -> pd.DataFrame:
    """Primary and complementary suppression of a count table with margins.

    Rule (``docs/privacy.md``): every count ``1 <= c < threshold`` is suppressed (primary).
    Then, for every margin relation ``total = sum(parts)`` in which exactly one cell is
    suppressed, a second cell of that relation is suppressed (complementary): the smallest
    positive published part, or the total when no part qualifies; repeated until no relation
    has exactly one suppressed cell. With ``audit`` (default for tables up to 3,000 rows) an
    exact linear-algebra check then makes sure no suppressed cell is determined by the
    published cells and all relations together, suppressing further cells until none is.

    Parameters
    ----------
    df
        Long table: one row per cell, a ``value`` column with counts, dimension columns.
    dims
        Dimension column -> its total label (e.g. ``{"sex": "T", "age_band": "total"}``) or a
        mapping ``{part value: total value}`` for grouped margins (e.g. ``{"nationality/BEL":
        "total/total", "nationality/ETR": "total/total"}`` or sector -> municipality codes).

    Returns
    -------
    pandas.DataFrame
        A copy with ``suppressed`` (bool), ``suppression`` (``primary``/``complementary``/``""``)
        and ``value`` set to NaN where suppressed.
    """
    out = df.reset_index(drop=True).copy()
    c = pd.to_numeric(out[value], errors="coerce").to_numpy(dtype=float)
    sup = is_small(c, threshold)
    kind = np.where(sup, "primary", "").astype(object)
    eqs = _equations(out, dims)
    changed = True
    while changed:
        changed = False
        for t, parts in eqs:
            cells = np.concatenate([[t], parts])
            n_sup = int(sup[cells].sum())
            if n_sup != 1:
                continue
            cand = parts[(~sup[parts]) & (c[parts] > 0)]
            pick = cand[np.argmin(c[cand])] if len(cand) else (t if not sup[t] else None)
            if pick is None:
                cand = parts[~sup[parts]]
                if not len(cand):
                    continue
                pick = cand[0]
            sup[pick] = True
            kind[pick] = "complementary"
            changed = True
    if audit is None:
        audit = len(out) <= 3000
    if audit:
        while True:
            rec = recoverable_cells(c, sup, eqs)
            if not len(rec):
                break
            i = rec[0]
            for t, parts in eqs:
                cells = np.concatenate([[t], parts])
                if i in cells:
                    cand = cells[(~sup[cells]) & (c[cells] > 0)]
                    if len(cand):
                        j = cand[np.argmin(c[cand])]
                        sup[j] = True
                        kind[j] = "complementary"
                        break
            else:  # pragma: no cover - a recoverable cell always sits in a relation
                break
    out["suppressed"] = sup
    out["suppression"] = kind
    out[value] = out[value].astype(float)
    out.loc[sup, value] = np.nan
    return out


def recoverable_cells(counts: np.ndarray, suppressed: np.ndarray, equations: list[tuple[int, np.ndarray]]) -> np.ndarray:
    """Suppressed cells whose value follows exactly from the published cells and the relations.

    A suppressed cell ``i`` is recoverable when the unit vector ``e_i`` lies in the row space of
    the relations restricted to the suppressed cells (then a combination of relations isolates
    it). Dense linear algebra: meant for audits of tables up to a few thousand cells.
    """
    s_idx = np.flatnonzero(suppressed)
    if not len(s_idx) or not equations:
        return np.zeros(0, dtype=int)
    col: dict[int, int] = {int(j): k for k, j in enumerate(s_idx)}
    rows = []
    for t, parts in equations:
        r = np.zeros(len(s_idx))
        touched = False
        if t in col:
            r[col[t]] = 1.0
            touched = True
        for p in parts:
            if p in col:
                r[col[p]] -= 1.0
                touched = True
        if touched:
            rows.append(r)
    if not rows:
        return np.zeros(0, dtype=int)
    A = np.array(rows)
    rank = np.linalg.matrix_rank(A)
    out = []
    for k, j in enumerate(s_idx):
        e = np.zeros((1, len(s_idx)))
        e[0, k] = 1.0
        if np.linalg.matrix_rank(np.vstack([A, e])) == rank:
            out.append(j)
    return np.array(out, dtype=int)


# ---------------------------------------------------------------------------- area hierarchies
def suppress_hierarchy(
    df: pd.DataFrame,
    *,
    parent: str = "parent",
    count: str = "count",
    code: str = "area_code",
    keys: tuple[str, ...] | list[str] = (),
    parent_suppressed: str | None = "parent_suppressed",
    threshold: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Complementary suppression of sibling areas that nest (whole) in a parent area.

    Rule (``docs/privacy.md``): within each group of rows with the same ``parent`` (and the same
    ``keys``, e.g. group and period), when exactly one row is suppressed and the parent's own
    figure is published, the sibling with the smallest positive ``count`` is suppressed too
    (ties: lowest ``code``), repeated until the group has 0 or at least 2 suppressed rows. Then
    ``parent total - published siblings`` no longer isolates a suppressed count. When the
    parent itself is suppressed (e.g. as a complement at its own level) and no row of its group
    is, the smallest positive row is suppressed, so that the parent is not the sum of published
    rows.

    Parameters
    ----------
    df
        One row per area: ``code``, ``parent`` (missing: the area nests in no parent and is left
        alone), ``count`` (the exact, unsuppressed count of persons behind the row), a boolean
        ``suppressed`` (primary suppression, e.g. from :func:`protect_indicator`) and, optionally,
        a boolean ``parent_suppressed`` column (default: the parent total, the group sum of
        ``count``, is suppressed when it lies in ``1 .. threshold-1``).
    threshold
        Smallest publishable positive count (default 5).

    Returns
    -------
    pandas.DataFrame
        A copy (index reset) with ``suppressed`` updated and ``suppression`` set to
        ``primary`` / ``complementary`` / ``""``. Values are not blanked: pass the rows through
        :func:`protect_indicator` (which honours a prior ``suppressed`` column) to do that.
    """
    out = df.reset_index(drop=True).copy()
    sup = out["suppressed"].to_numpy(dtype=bool).copy()
    kind = np.where(sup, "primary", "").astype(object)
    c = pd.to_numeric(out[count], errors="coerce").to_numpy(dtype=float)
    codes = out[code].astype(str).to_numpy()
    gkeys = [parent, *keys]
    if parent_suppressed and parent_suppressed in out.columns:
        psup = out[parent_suppressed].fillna(False).to_numpy(dtype=bool)
    else:
        total = out.groupby(gkeys, dropna=True, sort=False)[count].transform(
            lambda x: pd.to_numeric(x, errors="coerce").sum()
        )
        psup = is_small(total.reindex(out.index), threshold)
    for _, idx in sorted(out.groupby(gkeys, dropna=True, sort=True).indices.items(),
                         key=lambda kv: str(kv[0])):
        idx = np.asarray(idx)
        if psup[idx].any():
            # no published total to subtract from; but a suppressed parent must not be the sum
            # of its published children either
            need = 1 if not sup[idx].any() else 0
        else:
            need = 1 if int(sup[idx].sum()) == 1 else 0
        while need:
            free = idx[~sup[idx] & ~np.isnan(c[idx])]
            cand = free[c[free] > 0]
            if not len(cand):
                cand = free
            if not len(cand):
                break
            pick = cand[np.lexsort((codes[cand], c[cand]))[0]]
            sup[pick] = True
            kind[pick] = "complementary"
            need = 0
    out["suppressed"] = sup
    out["suppression"] = kind
    return out
