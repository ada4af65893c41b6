"""Composite (synthetic) index builder, documented like the BIMD.

A user defines an index as a table of components (CSV, one row per component)::

    indicator,weight,direction,source
    bimd_income_score,0.5,higher_is_worse,measure
    income_per_declaration,0.5,higher_is_better,measure

* ``indicator``: a measure id in the atlas ``measures`` table (``source=measure``) or an
  indicator id of the catalogue (``source=indicator``, computed by ``aankomst.indicators``).
* ``weight``: relative weight (re-normalised to sum 1 unless ``normalise=False``).
* ``direction``: ``higher_is_worse`` (more deprivation) or ``higher_is_better``.

Standardisation methods:

``zscore``
    ``z = (x − mean) / sd`` over the areas (population sd, ddof=0), sign flipped for
    ``higher_is_better``; index = Σ wᵢ·zᵢ (mean 0, higher = more deprived).
``rank_exp``
    as the BIMD: rank each component (1 = most deprived), exponentially transform to 0–100
    (:func:`aankomst.analysis.bimd.exponential_transform`); index = Σ wᵢ·Xᵢ.

The result is ranked (1 = most deprived) and cut into deciles exactly as the BIMD.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aankomst.analysis import bimd
from aankomst.errors import InputError, UnknownCodeError

METHODS = ("zscore", "rank_exp")
DIRECTIONS = ("higher_is_worse", "higher_is_better")


def read_spec(path: str | Path) -> pd.DataFrame:
    """Read and validate a component table (see module docstring)."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise InputError(str(path), f"cannot read the component table: {exc}",
                         expected="CSV with columns indicator, weight, direction[, source]") from exc
    return validate_spec(df, str(path))


def validate_spec(df: pd.DataFrame, file: str = "<spec>") -> pd.DataFrame:
    """Check columns, weights (numbers ≥ 0, not all 0) and directions; return a clean copy."""
    need = ["indicator", "weight", "direction"]
    miss = [c for c in need if c not in df.columns]
    if miss:
        raise InputError(file, f"missing column(s) {miss}", row=1, column=miss[0],
                         expected="columns indicator, weight, direction[, source]")
    out = df.copy()
    if "source" not in out.columns:
        out["source"] = "measure"
    out["source"] = out["source"].replace("", "measure")
    for i, r in enumerate(out.itertuples(index=False), start=2):
        try:
            w = float(r.weight)
        except ValueError:
            w = -1.0
        if not np.isfinite(w) or w < 0:
            raise InputError(file, f"weight {r.weight!r} is not a number ≥ 0", row=i, column="weight",
                             expected="a non-negative number")
        if r.direction not in DIRECTIONS:
            raise InputError(file, f"direction {r.direction!r} is not known", row=i, column="direction",
                             expected=" or ".join(DIRECTIONS))
        if r.source not in ("measure", "indicator"):
            raise InputError(file, f"source {r.source!r} is not known", row=i, column="source",
                             expected="measure or indicator")
    out["weight"] = out["weight"].astype(float)
    if out["weight"].sum() <= 0:
        raise InputError(file, "all weights are 0", column="weight", expected="at least one positive weight")
    if out["indicator"].duplicated().any():
        dup = out.loc[out["indicator"].duplicated(), "indicator"].iloc[0]
        raise InputError(file, f"indicator {dup!r} listed twice", column="indicator", expected="each once")
    return out


def composite(values: pd.DataFrame, spec: pd.DataFrame, *, method: str = "zscore",
              normalise: bool = True) -> pd.DataFrame:
    """Build a composite index.

    Parameters
    ----------
    values
        ``area_code`` + one column per component indicator (raw values). Areas with a missing
        component are dropped (and counted in ``attrs['dropped']``).
    spec
        Validated component table (:func:`validate_spec`).
    method
        ``zscore`` or ``rank_exp``.
    normalise
        Rescale weights to sum 1.

    Returns
    -------
    pandas.DataFrame
        ``area_code, score, rank, decile`` plus the standardised component columns ``std_<id>``.
    """
    if method not in METHODS:
        raise UnknownCodeError("standardisation method", method, known=list(METHODS))
    spec = validate_spec(spec)
    ids = list(spec["indicator"])
    miss = [i for i in ids if i not in values.columns]
    if miss:
        raise UnknownCodeError("component", miss[0], known=[c for c in values.columns if c != "area_code"])
    v = values[["area_code", *ids]].copy()
    before = len(v)
    v = v.dropna(subset=ids).reset_index(drop=True)
    if len(v) < 2:
        raise InputError("<values>", f"only {len(v)} area(s) with every component", expected="at least 2 areas")
    w = spec["weight"].to_numpy(float)
    if normalise:
        w = w / w.sum()
    score = np.zeros(len(v))
    out = pd.DataFrame({"area_code": v["area_code"].astype(str)})
    for (ind, direction), wi in zip(spec[["indicator", "direction"]].itertuples(index=False), w):
        x = v[ind].to_numpy(float)
        sign = 1.0 if direction == "higher_is_worse" else -1.0
        if method == "zscore":
            sd = x.std()
            std = np.zeros_like(x) if sd == 0 else sign * (x - x.mean()) / sd
        else:
            r = bimd.rank_descending(sign * x, ties="average")
            std = bimd.exponential_transform(r, len(x))
        out[f"std_{ind}"] = std
        score += wi * std
    out["score"] = score
    out["rank"] = bimd.rank_descending(score)
    out["decile"] = bimd.deciles_from_rank(out["rank"])
    out.attrs["dropped"] = before - len(v)
    cols = ["area_code", "score", "rank", "decile", *[c for c in out.columns if c.startswith("std_")]]
    return out[cols]


def component_values(atlas: Any, spec: pd.DataFrame, *, level: str, layout: str, period: str) -> pd.DataFrame:
    """Fetch the components of ``spec`` for one level/layout/period from an atlas."""
    from aankomst.analysis._store import measure_wide

    spec = validate_spec(spec)
    out: pd.DataFrame | None = None
    meas = spec.loc[spec["source"] == "measure", "indicator"].tolist()
    if meas:
        out = measure_wide(atlas, meas, level=level, layout=layout, period=period, what="composite")
    for ind in spec.loc[spec["source"] == "indicator", "indicator"]:
        from aankomst.indicators import compute

        data = compute(atlas, ind, level=level, period=period).data
        col = data[["area_code", "value"]].rename(columns={"value": ind})
        out = col if out is None else out.merge(col, on="area_code", how="outer")
    assert out is not None
    return out
