"""Belgian Index of Multiple Deprivation (BIMD): recomputation and municipal summaries.

Method (Otavova et al. 2023, the authors' published R code, checked against their files):

* Each domain score is the **exponential transformation** of the domain rank:
  ``X = -23 · ln(1 − R · (1 − e^(−100/23)))`` with ``R = (n + 1 − rank) / n`` (rank 1 = most
  deprived), so scores run from ≈0 (least deprived) to 100 (most deprived). The crime domain
  is measured per municipality (n = 589, every sector gets its municipality's value).
* Overall score = Σ weightᵈ · Xᵈ with the weights in ``data/bimd_weights.csv``
  (0.20 income, 0.20 employment, 0.25 education, 0.15 housing, 0.05 crime, 0.15 health).
  The variant *without health* drops the health term **without rescaling** (weights sum 0.85).
* Rank by descending score (1 = most deprived). Ties (none occur in the published overall
  scores) share the lowest rank (``method="min"``).
* Deciles of the rank: R's ``cut(rank, quantile(rank, 0:10/10), include.lowest=TRUE)``, i.e.
  decile = 1 + #{k ∈ 1..9 : rank > 1 + (n − 1)·k/10}. This reproduces every published decile.
* Municipal summaries: population-weighted average score (Σ pop·score / Σ pop over the
  municipality's sectors), its rank and decile over the 589 municipalities; population-
  weighted **average rank**; **extent** = Σ pop·w(percentile) / Σ pop with the extent
  weights (1 for the most deprived 10 %, linearly down to 0.05 at the 30th percentile, 0 above);
  the share of the population and of sectors in the most deprived national decile.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

EXP_CONSTANT = 23.0
"""Constant of the exponential transformation (the English IMD's 23)."""


def bimd_weights(without_health: bool = False) -> dict[str, float]:
    """Domain weights from ``data/bimd_weights.csv`` (domain id -> weight, unitless)."""
    from aankomst.paths import package_data

    df = pd.read_csv(package_data("bimd_weights.csv"))
    col = "weight_without_health" if without_health else "weight"
    return {str(d): float(w) for d, w in zip(df["domain"], df[col]) if float(w) != 0.0}


def exponential_transform(rank: np.ndarray | pd.Series, n: int | None = None) -> np.ndarray:
    """Exponentially transformed score of a rank (1 = most deprived) among ``n`` units.

    Returns values in (0, 100]; the most deprived unit gets 100.
    """
    r = np.asarray(rank, dtype=float)
    n = int(n if n is not None else np.nanmax(r))
    if n < 1:
        raise ValueError("n must be ≥ 1")
    R = (n + 1 - r) / n
    return -EXP_CONSTANT * np.log(1 - R * (1 - np.exp(-100 / EXP_CONSTANT)))


def rank_descending(scores: pd.Series | np.ndarray, *, ties: str = "min") -> np.ndarray:
    """Rank scores from the highest (rank 1 = most deprived) down. ``ties``: pandas method."""
    s = pd.Series(np.asarray(scores, dtype=float))
    if s.isna().any():
        raise ValueError("scores contain missing values; drop them before ranking")
    return s.rank(ascending=False, method=ties).to_numpy().astype(int)


def quantile_groups(rank: np.ndarray | pd.Series, k: int = 10, n: int | None = None) -> np.ndarray:
    """Quantile group (1..k) of ranks 1..n, as R ``cut(rank, quantile(rank, 0:k/k), include.lowest)``.

    Group 1 holds the lowest ranks (the most deprived); ``k=10`` gives deciles, ``k=100``
    percentiles.
    """
    r = np.asarray(rank, dtype=float)
    n = int(n if n is not None else len(r))
    if n < 1:
        return np.zeros(0, dtype=int)
    bounds = 1 + (n - 1) * np.arange(1, k) / k
    return (1 + (r[:, None] > bounds[None, :]).sum(axis=1)).astype(int)


def deciles_from_rank(rank: np.ndarray | pd.Series, n: int | None = None) -> np.ndarray:
    """Decile 1..10 of ranks (1 = most deprived 10 %), see :func:`quantile_groups`."""
    return quantile_groups(rank, 10, n)


def overall_score(domains: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Weighted sum of domain scores.

    Parameters
    ----------
    domains
        One column per domain id (``income``, …) with the exponentially transformed scores.
    weights
        Domain id -> weight; every weighted domain must be a column.
    """
    missing = [d for d in weights if d not in domains.columns]
    if missing:
        raise KeyError(f"domain score column(s) {missing} missing; have {list(domains.columns)}")
    out = sum(float(w) * domains[d].astype(float) for d, w in weights.items())
    return pd.Series(out, index=domains.index, name="score")


def recompute(domains: pd.DataFrame, *, without_health: bool = False,
              weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Recompute the overall BIMD from domain scores.

    Parameters
    ----------
    domains
        Columns ``area_code`` and one per domain (scores 0–100).
    without_health, weights
        The published weights (with or without health) unless ``weights`` is given.

    Returns
    -------
    pandas.DataFrame
        ``area_code, score, rank, decile`` (rank 1 and decile 1 = most deprived).
    """
    w = dict(weights) if weights is not None else bimd_weights(without_health)
    score = overall_score(domains, w)
    rank = rank_descending(score)
    return pd.DataFrame({"area_code": domains["area_code"].to_numpy(), "score": score.to_numpy(),
                         "rank": rank, "decile": deciles_from_rank(rank)})


def extent_weights(n: int = 100) -> pd.DataFrame:
    """Extent weight per national percentile (1 = most deprived 1 %).

    1 for percentiles 1–10, then linearly from 0.95 (11th) to 0.05 (30th), 0 above: the
    published ``extent_weights.csv``.
    """
    p = np.arange(1, n + 1)
    w = np.where(p <= 10, 1.0, np.where(p <= 30, 0.95 - (p - 11) * 0.9 / 19, 0.0))
    return pd.DataFrame({"percentile": p, "weight": w})


def municipal_summary(sectors: pd.DataFrame, *, weights_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Municipal summaries of a sector index.

    Parameters
    ----------
    sectors
        Columns ``area_code`` (sector), ``municipality``, ``score``, ``rank`` (national, 1 = most
        deprived), ``population`` (persons). All sectors of the nation must be present: ranks and
        percentiles are national.
    weights_table
        Extent weights (``percentile``, ``weight``); default :func:`extent_weights`.

    Returns
    -------
    pandas.DataFrame
        ``area_code`` (municipality), ``population``, ``n_sectors``, ``score`` (population-
        weighted average score), ``rank`` and ``decile`` of that score among municipalities,
        ``average_rank`` (population-weighted mean sector rank), ``extent`` (0–1),
        ``share_population_decile1`` and ``share_sectors_decile1`` (0–1).
    """
    need = {"area_code", "municipality", "score", "rank", "population"}
    if missing := need - set(sectors.columns):
        raise KeyError(f"columns {sorted(missing)} missing")
    s = sectors.copy()
    n = len(s)
    wt = extent_weights() if weights_table is None else weights_table
    wmap = dict(zip(wt["percentile"].astype(int), wt["weight"].astype(float)))
    s["pct"] = quantile_groups(s["rank"].to_numpy(), 100, n)
    s["ext_w"] = s["pct"].map(wmap).astype(float)
    s["d1"] = deciles_from_rank(s["rank"].to_numpy(), n) == 1
    pop = s["population"].astype(float)
    s["p_score"] = pop * s["score"]
    s["p_rank"] = pop * s["rank"]
    s["p_ext"] = pop * s["ext_w"]
    s["p_d1"] = pop * s["d1"]
    g = s.groupby("municipality", sort=True).agg(
        population=("population", "sum"), n_sectors=("area_code", "size"), p_score=("p_score", "sum"),
        p_rank=("p_rank", "sum"), p_ext=("p_ext", "sum"), p_d1=("p_d1", "sum"), d1=("d1", "mean"))
    P = g["population"].astype(float).replace(0, np.nan)
    out = pd.DataFrame({
        "area_code": g.index.astype(str), "population": g["population"].to_numpy(),
        "n_sectors": g["n_sectors"].to_numpy(), "score": (g["p_score"] / P).to_numpy(),
    })
    out["rank"] = rank_descending(out["score"].fillna(-np.inf))
    out["decile"] = deciles_from_rank(out["rank"])
    out["average_rank"] = (g["p_rank"] / P).to_numpy()
    out["extent"] = (g["p_ext"] / P).to_numpy()
    out["share_population_decile1"] = (g["p_d1"] / P).to_numpy()
    out["share_sectors_decile1"] = g["d1"].to_numpy()
    return out
