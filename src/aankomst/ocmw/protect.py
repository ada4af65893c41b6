"""Small-number protection of OCMW crossings (measure × group × sex × age band × period).

The atlas keeps exact counts; this module decides which cells of a table that is about to be
published (dashboard, export, API) must be withheld so that **no count of 1 to threshold−1
persons is shown or can be worked out** from the other published cells (``docs/ocmw.md`` §6,
the section for ``docs/privacy.md``). Relations an attacker knows:

1. **margins** — ``T = M + F``; ``total = Σ age bands``;
2. **nested groups** — ``total = BEL + ETR``, ``ETR = EU + non-EU``, ``BEL = Belgian``
   (``eu_status``), ``BEL = Belgian origin + Belgian foreign origin + unknown`` … (from
   ``data/ocmw/groups.csv``);
3. **adjacent periods** — for recipients, inflow and outflow of one measure, group, sex and age
   band: ``R(P) = R(P−1) − O(P−1) + I(P)`` (the definitions of :mod:`.aggregate` make this exact
   per person), so a suppressed cell can be recovered from the neighbouring period.

The rule: primary suppression of counts ``1 … threshold−1``; then, while a relation has exactly
one suppressed cell, its smallest positive published cell is suppressed too; then an exact audit
(:func:`recoverable`: a suppressed cell is recoverable when its unit vector lies in the row space
of the relations restricted to the suppressed cells) suppresses further cells until none is
recoverable. Zeros are published (an empty cell says nothing about a person) and parts missing
from the table count as known zeros.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from aankomst.privacy import DEFAULT_THRESHOLD, is_small

DIMS = ("stat", "measure", "period", "scheme", "grp", "sex", "age_band")
"""Columns identifying a cell (missing columns are taken as constant)."""

Relation = dict[int, float]


def _prev_period(p: str) -> str | None:
    if len(p) == 4 and p.isdigit():
        return str(int(p) - 1)
    if len(p) == 7:
        y, m = int(p[:4]), int(p[5:])
        return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"
    return None


def relations(cells: pd.DataFrame) -> list[Relation]:
    """The linear relations between the cells of a table (see the module docstring).

    Parameters
    ----------
    cells
        One row per cell with (some of) the columns :data:`DIMS` and ``value``.

    Returns
    -------
    list of dict
        ``{row position: coefficient}`` per relation (``Σ coefficient × value = 0``).

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["T", "M", "F"], "value": [7, 3, 4]})
    >>> relations(df)
    [{0: 1.0, 1: -1.0, 2: -1.0}]
    """
    from aankomst.ocmw import catalogue as K

    df = cells.reset_index(drop=True).copy()
    for c in DIMS:
        if c not in df.columns:
            df[c] = {"sex": "T", "age_band": "total", "scheme": "total", "grp": "total"}.get(c, "")
        df[c] = df[c].astype(str)
    pos = {tuple(r): i for i, r in enumerate(df[list(DIMS)].itertuples(index=False))}
    out: list[Relation] = []

    def margin(dim: str, total: str, parts_of: Any) -> None:
        others = [c for c in DIMS if c != dim]
        for _, g in df.groupby(others, sort=False):
            tot = g.index[(g[dim] == total).to_numpy()]
            parts = g.index[g[dim].map(parts_of).to_numpy(dtype=bool)]
            if len(tot) and len(parts):
                r: Relation = {int(tot[0]): 1.0}
                for p in parts:
                    r[int(p)] = r.get(int(p), 0.0) - 1.0
                out.append(r)

    margin("sex", "T", lambda x: x in ("M", "F"))
    margin("age_band", "total", lambda x: x != "total")
    # nested groups: parent = Σ children of one child scheme
    g = K.groups()
    kids = g[g["parent_scheme"] != ""]
    others = [c for c in DIMS if c not in ("scheme", "grp")]
    key = df[others].astype(str).agg("\x1f".join, axis=1)
    lookup = {(k, s, x): i for i, (k, s, x) in enumerate(zip(key, df["scheme"], df["grp"]))}
    for (ps, pg, sch), part in kids.groupby(["parent_scheme", "parent_grp", "scheme"]):
        members = set(part["grp"])
        sub = df[(df["scheme"] == sch) & df["grp"].isin(members)]
        for k, rows in sub.groupby(key[sub.index]):
            par = lookup.get((k, ps, pg))
            if par is None:
                continue
            r = {int(par): 1.0}
            for i in rows.index:
                r[int(i)] = -1.0
            out.append(r)
    # adjacent periods: R(P) - R(P-1) + O(P-1) - I(P) = 0
    if {"recipients", "inflow", "outflow"} <= set(df["stat"]):
        for i, row in df[df["stat"] == "recipients"].iterrows():
            prev = _prev_period(row["period"])
            if prev is None:
                continue
            base = tuple(row[c] for c in DIMS)

            def at(stat: str, period: str, base: tuple[str, ...] = base) -> int | None:
                k = list(base)
                k[0], k[2] = stat, period
                return pos.get(tuple(k))

            r0, o0, i1 = at("recipients", prev), at("outflow", prev), at("inflow", row["period"])
            if None in (r0, o0, i1):
                continue
            out.append({int(i): 1.0, int(r0): -1.0, int(o0): 1.0, int(i1): -1.0})  # type: ignore[arg-type]
    return out


def _components(n: int, rels: list[Relation], sup: np.ndarray) -> list[np.ndarray]:
    """Groups of suppressed cells linked by relations (union-find)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in rels:
        s = [i for i in r if sup[i]]
        for a, b in itertools.pairwise(s):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
    comps: dict[int, list[int]] = {}
    for i in np.flatnonzero(sup):
        comps.setdefault(find(int(i)), []).append(int(i))
    return [np.array(v) for v in comps.values()]


def recoverable(suppressed: np.ndarray, rels: list[Relation]) -> np.ndarray:
    """Suppressed cells whose value follows from the published cells and the relations.

    A suppressed cell ``i`` is recoverable when every solution of the relations restricted to
    the suppressed cells fixes it: ``e_i`` lies in their row space, i.e. the null space has a
    zero in row ``i``. Computed per connected component (dense SVD).

    Examples
    --------
    >>> rel = [{0: 1.0, 1: -1.0, 2: -1.0}]            # total = a + b
    >>> recoverable(np.array([False, True, False]), rel).tolist()
    [1]
    >>> recoverable(np.array([False, True, True]), rel).tolist()
    []
    """
    sup = np.asarray(suppressed, dtype=bool)
    out: list[int] = []
    touching = [r for r in rels if any(sup[i] for i in r)]
    for comp in _components(len(sup), touching, sup):
        col = {int(j): k for k, j in enumerate(comp)}
        rows = []
        for r in touching:
            v = np.zeros(len(comp))
            hit = False
            for i, c in r.items():
                if i in col:
                    v[col[i]] += c
                    hit = True
            if hit:
                rows.append(v)
        if not rows:
            continue
        a = np.array(rows)
        _, s, vt = np.linalg.svd(a, full_matrices=True)
        rank = int((s > 1e-9 * max(1.0, s.max() if len(s) else 1.0)).sum())
        null = vt[rank:].T  # columns span the null space
        if null.shape[1] == 0:
            out.extend(int(j) for j in comp)
            continue
        norms = np.linalg.norm(null, axis=1)
        out.extend(int(j) for j, nv in zip(comp, norms) if nv < 1e-9)
    return np.array(sorted(out), dtype=int)


def protect(cells: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD, *, value: str = "value",
            audit: bool = True, protect_cols: Iterable[str] = ()) -> pd.DataFrame:
    """Primary and complementary suppression of an OCMW table (all relations of :func:`relations`).

    Parameters
    ----------
    cells
        One row per cell: :data:`DIMS` columns (some may be absent) and a count column.
    threshold
        Smallest publishable positive count (counts ``1 … threshold−1`` are withheld).
    value
        Name of the count column.
    audit
        Run the exact recoverability audit (default).
    protect_cols
        Further columns blanked where a cell is suppressed (e.g. rates built on it).

    Returns
    -------
    pandas.DataFrame
        A copy with ``suppressed`` (bool), ``suppression`` (``primary``/``complementary``/``""``)
        and the count set to NaN where suppressed.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["T", "M", "F"], "value": [9, 3, 6]})
    >>> protect(df)[["sex", "suppressed"]].values.tolist()
    [['T', False], ['M', True], ['F', True]]
    """
    out = cells.reset_index(drop=True).copy()
    c = pd.to_numeric(out[value], errors="coerce").to_numpy(dtype=float)
    sup = is_small(c, threshold) & ~np.isnan(c)
    kind = np.where(sup, "primary", "").astype(object)
    rels = relations(out)
    cval = np.nan_to_num(c, nan=0.0)

    def complement(r: Relation) -> int | None:
        free = [i for i in r if not sup[i] and cval[i] > 0]
        if not free:
            free = [i for i in r if not sup[i]]
        if not free:
            return None
        return int(min(free, key=lambda i: (cval[i], i)))

    changed = True
    while changed:
        changed = False
        for r in rels:
            if sum(bool(sup[i]) for i in r) == 1:
                j = complement(r)
                if j is not None:
                    sup[j] = True
                    kind[j] = "complementary"
                    changed = True
    if audit:
        by_cell: dict[int, list[Relation]] = {}
        for r in rels:
            for i in r:
                by_cell.setdefault(i, []).append(r)
        for _ in range(len(out) + 1):
            rec = recoverable(sup, rels)
            if not len(rec):
                break
            added = False
            for i in rec:  # one complement per recoverable cell, then audit again
                cand = [j for j in (complement(r) for r in by_cell.get(int(i), [])) if j is not None]
                if cand:
                    j = min(cand, key=lambda k: (cval[k], k))
                    sup[j] = True
                    kind[j] = "complementary"
                    added = True
            if not added:
                break
    out["suppressed"] = sup
    out["suppression"] = kind
    out[value] = out[value].astype(float)
    out.loc[sup, value] = np.nan
    for col in protect_cols:
        if col in out.columns:
            out[col] = out[col].astype(float)
            out.loc[sup, col] = np.nan
    return out
