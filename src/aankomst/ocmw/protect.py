"""Small-number protection of OCMW crossings (measure × group × sex × age band × period).

The atlas keeps exact counts; this module decides which cells of a table that is about to be
published (dashboard, export, API) must be withheld so that **no count of 1 to threshold−1
persons is shown or can be worked out** from the other published cells (``docs/privacy.md``,
"OCMW crossings"; the threshold is :mod:`aankomst.privacy`'s). Relations an attacker knows
(:func:`relations`), each a *line* ``Σ coefficient × cell = 0``:

1. **margins** — ``T = M + F``; ``total = Σ age bands`` (every row and column of every 2-D
   marginal of the cube is such a line);
2. **nested groups** — ``total = BEL + ETR``, ``ETR = EU + non-EU``, ``BEL = Belgian``
   (``eu_status``), ``BEL = Belgian origin + Belgian foreign origin + unknown``,
   ``residence/belgian = BEL`` … (parents from ``data/ocmw/groups.csv``) and countries in their
   nationality, EU-status and nationality group;
3. **adjacent periods** — for recipients, inflow and outflow of one measure, group, sex and age
   band: ``R(P) = R(P−1) − O(P−1) + I(P)`` (exact per person by the definitions of
   :mod:`.aggregate`; per group, sex and age band only while nobody changes group between the
   periods — a person's age band, arrival cohort and nationality are those of the period), so a
   suppressed cell can be recovered from the neighbouring period.

The rule (:func:`protect`):

1. **primary**: counts ``1 … threshold−1`` are suppressed; zeros are published (an empty cell
   says nothing about a person);
2. **lines** (cheap first pass): until no line has exactly one withheld cell, such a line gets a
   second one — its published cell of least information loss (smallest positive count; a
   published total when only the total is left);
3. **interval audit against the finest cells** (:mod:`._attacker`): the attacker's model of the
   table is built from the table itself — the finest groups (every combination of the table's
   groups that can occur: nested in one nationality, EU status × group of six as real
   countries combine them; groups absent from the table are taken as empty) × finest sex ×
   finest age band, with per measure and period unknowns ``≥ 0`` for recipients, inflow and
   outflow tied by ``R(P) = R(P−1) − O(P−1) + I(P)``, ``O(P) ≤ R(P)`` and a first-period
   ``I ≤ R``; every table cell is a sum of unknowns. Every withheld cell gets its minimum and
   maximum given the published cells (linear programmes, HiGHS); while one is narrower than the
   protection level (``threshold`` persons by default), the cheapest published positive cell
   whose equality binds its minimum or maximum is withheld too (smallest count, the total of
   all groups, sexes and ages last) and the cell is solved again. Being at least ``threshold``
   wide, no withheld cell is recoverable (:func:`recoverable`) nor pinned by nonnegativity.

   When the counts do not fit the per-group chains (a person's group, age band or arrival
   cohort is that of the period, so people move between groups from one period to the next),
   the chains hold per sex only for the sum over groups: ``R(P) = I(P) + S(P)`` per finest cell
   with stayers ``S ≥ 0`` and ``Σ S(P) = Σ (R − O)(P−1)``; when even that does not fit (counts
   that do not add up), a residual group per scheme, sex and age band is added.

4. **coarser tables** when the model cannot be made (a connected part of more than
   :data:`._attacker.MAX_VARS` unknowns, or counts that fit no model): the table without its
   finest dimension is protected instead — without countries, then without age bands, sex,
   the finer group schemes, all groups (:data:`COARSER`) — and every cell left out is withheld
   (``suppression = "detail"``). Leaving out a dimension or a finer scheme bounds nothing: any
   solution of the coarser table's model splits back into the left-out cells in fixed
   proportions (the chains are linear and homogeneous per cell). So every
   published cell has passed the finest-cell audit; there is no weaker fallback. (The dashboard
   tables of the synthetic extract, 16 years × every scheme, now fit: their age bands, published
   for all groups and sexes only, are modelled exactly as one unknown per band, see
   :func:`._attacker.collapsible`, which cut the largest model from 83,160 to 13,956 unknowns
   and its protection from 38.5 s to 2.3 s: ``benchmarks/bench_ocmw_protect.py``.)

Every round withholds one more positive cell, so the rule ends; with all positive cells withheld
every withheld cell is unbounded above (the constraints are homogeneous but for the published
zeros, so scaling the true table stays feasible). All withheld cells are positive. Cells absent
from the table are unknown to the attacker's programme but their groups' existence counts
(see above).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from aankomst.ocmw import _attacker
from aankomst.privacy import DEFAULT_THRESHOLD, is_small

DIMS = ("stat", "measure", "period", "scheme", "grp", "sex", "age_band")
"""Columns identifying a cell (missing columns are taken as constant)."""

_DEFAULT = {"sex": "T", "age_band": "total", "scheme": "total", "grp": "total"}
_TOL = 1e-9

Relation = dict[int, float]


@lru_cache(maxsize=1)
def _group_parents() -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    """``(scheme, grp) -> (parent, grandparent, …)`` of ``data/ocmw/groups.csv``: a scheme
    partitions every ancestor, so ``total = Σ eu_status`` holds without ``nationality`` too."""
    from aankomst.ocmw import catalogue as K

    g = K.groups()
    up = {(s, x): (ps, pg) for s, x, ps, pg in zip(g["scheme"], g["grp"], g["parent_scheme"],
                                                    g["parent_grp"]) if ps}
    out: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
    for key in up:
        chain, k = [], up.get(key)
        while k is not None and k not in chain:
            chain.append(k)
            k = up.get(k)
        out[key] = tuple(chain)
    return out


@lru_cache(maxsize=4096)
def _country_parents(iso: str, year: int) -> tuple[tuple[str, str], ...]:
    """The groups a country lies in on 1 July of ``year``: nationality, EU status, group of six
    (not ``total``: a table may list foreign countries only, Belgians as ``nationality/BEL``)."""
    from aankomst.indicators import groups as G

    if iso == "BEL":
        return (("nationality", "BEL"), ("eu_status", "belgian"), ("nationality_group6", "belgian"))
    if iso not in set(G.countries()["iso3"]):
        return (("nationality", "ETR"),)
    when = f"{year}-07-01"
    return (("nationality", "ETR"),
            ("eu_status", G.country_group(iso, "eu_status", when)),
            ("nationality_group6", G.country_group(iso, "nationality_group6", when)))


def _keys(cells: pd.DataFrame) -> list[tuple[str, ...]]:
    cols = []
    for c in DIMS:
        if c in cells.columns:
            cols.append(cells[c].astype(str).tolist())
        else:
            cols.append([_DEFAULT.get(c, "")] * len(cells))
    return list(zip(*cols))


def _buckets(keys: list[tuple[str, ...]]) -> dict[tuple[str, ...], list[int]]:
    """Lines ``total key -> part positions`` of margins (sex, age band) and nested groups."""
    parents = _group_parents()
    buckets: dict[tuple[str, ...], list[int]] = {}
    for i, k in enumerate(keys):
        for d, total in ((5, "T"), (6, "total")):  # margins: sex (index 5) and age band (index 6)
            if k[d] != total:
                buckets.setdefault((f"m{d}", *k[:d], total, *k[d + 1:]), []).append(i)
        scheme, grp = k[3], k[4]  # nested groups: ancestor = Σ groups of one child scheme
        if scheme == "country":
            ups = _country_parents(grp, int(k[2][:4]) if k[2][:4].isdigit() else 2000)
        else:
            ups = parents.get((scheme, grp), ())
        for ps, pg in ups:
            buckets.setdefault((f"g{scheme}", *k[:3], ps, pg, *k[5:]), []).append(i)
    return buckets


def all_keys(cells: pd.DataFrame, *, virtual: bool = False) -> list[tuple[str, ...]]:
    """Cell keys (:data:`DIMS` order) of the table, then with ``virtual`` its virtual cells.

    Virtual cells: the one absent cell of an adjacent-period line whose other three cells are
    there (the outflow of a group when only its recipients and inflow are published), then
    absent totals of present parts (not of countries). Their positions follow the table's.

    Examples
    --------
    >>> all_keys(pd.DataFrame({"sex": ["M", "F"]}), virtual=True)[-1][5]
    'T'
    """
    keys = _keys(cells)
    if not virtual:
        return keys
    pos = {k: i for i, k in enumerate(keys)}

    def add(k: tuple[str, ...]) -> None:
        if k not in pos:
            pos[k] = len(keys)
            keys.append(k)

    for k in list(keys):  # R(P) − R(P−1) + O(P−1) − I(P) = 0 with one cell absent
        p, pv = k[2], _attacker.prev_period(k[2])
        if pv is None:
            continue
        quad = [("recipients", k[1], p, *k[3:]), ("recipients", k[1], pv, *k[3:]),
                ("outflow", k[1], pv, *k[3:]), ("inflow", k[1], p, *k[3:])]
        absent = [q for q in quad if q not in pos]
        if len(absent) == 1:
            add(absent[0])
    for bk in _buckets(keys):  # absent totals of present parts
        if bk[0] != "gcountry":
            add(tuple(bk[1:]))
    return keys


def relations(cells: pd.DataFrame, *, virtual: bool = False) -> list[Relation]:
    """The linear relations (lines) between the cells of a table (see the module docstring).

    Parameters
    ----------
    cells
        One row per cell with (some of) the columns :data:`DIMS`; row positions (not the index)
        identify cells.
    virtual
        Also relate totals that are absent from the table but whose parts are there (the
        outflow of all groups when only the outflow per group is published): such a total gets
        a *virtual* position ``len(cells) + k``, an unknown that is never published, so that
        chains through it (``R(P) = R(P−1) − Σ groups O(P−1) + I(P)``) are seen. Countries
        give none (a table may list some countries only).

    Returns
    -------
    list of dict
        ``{position: coefficient}`` per relation (``Σ coefficient × value = 0``), without
        duplicates.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["T", "M", "F"], "value": [7, 3, 4]})
    >>> relations(df)
    [{0: 1.0, 1: -1.0, 2: -1.0}]
    >>> relations(df.iloc[1:], virtual=True)   # T absent: virtual position 2
    [{2: 1.0, 0: -1.0, 1: -1.0}]
    """
    keys = all_keys(cells, virtual=virtual)
    pos = {k: i for i, k in enumerate(keys)}
    buckets = _buckets(keys)
    out: list[Relation] = []
    seen: set[tuple[tuple[int, float], ...]] = set()

    def add(r: Relation) -> None:
        sig = tuple(sorted(r.items()))
        if len(r) > 1 and sig not in seen:
            seen.add(sig)
            out.append(r)

    for bk, parts in buckets.items():
        tot = pos.get(tuple(bk[1:]))
        if tot is None:
            continue
        r: Relation = {tot: 1.0}
        for p in parts:
            r[p] = r.get(p, 0.0) - 1.0
        add(r)
    # adjacent periods: R(P) - R(P-1) + O(P-1) - I(P) = 0
    for i, k in enumerate(keys):
        if k[0] != "recipients":
            continue
        prev = _attacker.prev_period(k[2])
        if prev is None:
            continue
        r0 = pos.get(("recipients", k[1], prev, *k[3:]))
        o0 = pos.get(("outflow", k[1], prev, *k[3:]))
        i1 = pos.get(("inflow", *k[1:]))
        if r0 is None or o0 is None or i1 is None:
            continue
        add({i: 1.0, r0: -1.0, o0: 1.0, i1: -1.0})
    return out


def _by_cell(rels: list[Relation]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for n, r in enumerate(rels):
        for i in r:
            out.setdefault(i, []).append(n)
    return out


def _component(i: int, unknown: np.ndarray, rels: list[Relation], by_cell: dict[int, list[int]]
               ) -> tuple[list[int], list[int]]:
    """Withheld cells linked to ``i`` by relations, and those relations."""
    cells, rows, stack = {i}, set(), [i]
    while stack:
        x = stack.pop()
        for n in by_cell.get(x, []):
            if n in rows:
                continue
            rows.add(n)
            for j in rels[n]:
                if unknown[j] and j not in cells:
                    cells.add(j)
                    stack.append(j)
    return sorted(cells), sorted(rows)


def _matrix(comp: list[int], rows: list[int], rels: list[Relation]) -> np.ndarray:
    col = {j: k for k, j in enumerate(comp)}
    a = np.zeros((max(len(rows), 1), len(comp)))
    for r, n in enumerate(rows):
        for j, v in rels[n].items():
            if j in col:
                a[r, col[j]] += v
    return a


def _svd(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``u, s, vt, rank`` of ``a`` with ``vt`` square (its last rows span the null space).

    Tall matrices (many relations, fewer withheld cells) go through the eigen-decomposition of
    the Gram matrix ``aᵀa`` (``n × n``), several times faster than an SVD of ``a``; the rank
    threshold is relative (singular values above ``1e-6`` of the largest; the coefficients are
    small integers).
    """
    m, n = a.shape
    if m > n:
        lam, v = np.linalg.eigh(a.T @ a)
        order = np.argsort(lam)[::-1]
        lam, v = np.clip(lam[order], 0.0, None), v[:, order]
        s = np.sqrt(lam)
        rank = int((s > 1e-6 * max(1.0, float(s[0]))).sum())
        u = (a @ v[:, :rank]) / s[:rank]
        return u, s, v.T, rank
    u, s, vt = np.linalg.svd(a, full_matrices=True)
    rank = int((s > 1e-6 * max(1.0, float(s.max()) if len(s) else 1.0)).sum())
    return u, s, vt, rank


def _fixed(a: np.ndarray) -> np.ndarray:
    """Columns of ``a`` whose unit vector lies in its row space (fixed by ``a x = b``)."""
    if not a.any():
        return np.zeros(a.shape[1], dtype=bool)
    _, _, vt, rank = _svd(a)
    null = vt[rank:]
    if null.shape[0] == 0:
        return np.ones(a.shape[1], dtype=bool)
    return np.linalg.norm(null, axis=0) < 1e-7


def recoverable(suppressed: np.ndarray, rels: list[Relation]) -> np.ndarray:
    """Withheld cells whose value follows from the published cells and the relations.

    A withheld cell ``i`` is recoverable when every solution of the relations (published cells
    fixed) gives it the same value: ``e_i`` lies in the row space of the relations restricted to
    the withheld cells, i.e. the null space has a zero in row ``i``. Computed per connected
    component of withheld cells (dense SVD).

    Parameters
    ----------
    suppressed
        Boolean mask of the withheld (unknown) cells.
    rels
        The relations (:func:`relations`).

    Returns
    -------
    numpy.ndarray
        Sorted positions of recoverable cells.

    Examples
    --------
    >>> rel = [{0: 1.0, 1: -1.0, 2: -1.0}]            # total = a + b
    >>> recoverable(np.array([False, True, False]), rel).tolist()
    [1]
    >>> recoverable(np.array([False, True, True]), rel).tolist()
    []
    """
    sup = np.asarray(suppressed, dtype=bool)
    by_cell = _by_cell(rels)
    done = np.zeros(len(sup), dtype=bool)
    out: list[int] = []
    for i in np.flatnonzero(sup):
        if done[i]:
            continue
        comp, rows = _component(int(i), sup, rels, by_cell)
        done[comp] = True
        if not rows:
            continue
        fixed = _fixed(_matrix(comp, rows, rels))
        out.extend(j for j, f in zip(comp, fixed) if f)
    return np.array(sorted(out), dtype=int)


def _finest_audit(model: _attacker.Model, sup: np.ndarray, missing: np.ndarray, c: np.ndarray, n: int,
                  level: float, withhold: Callable[[int], None], lines: Callable[[Iterable[int]], None],
                  by_cell: dict[int, list[int]], keys: list[tuple[str, ...]]) -> None:
    """Steps 3–4 against the attacker's finest model (:mod:`._attacker`): while a withheld cell's
    interval is narrower than ``level``, withhold the cheapest published positive cell whose
    equality binds its minimum or maximum (else one sharing unknowns with it), then the lines."""
    top = np.array([k[3] == "total" and k[5] == "T" and k[6] == "total" for k in keys], dtype=bool)

    def cost(j: int) -> tuple[bool, float, int]:  # smallest count, totals of everything last
        return (bool(top[j]), float(c[j]), j)

    added, _ = _attacker.widen(model, sup[:n] & ~missing[:n], c[:n], level, cost)
    for j in added:
        withhold(j)


COARSER: tuple[tuple[str, Callable[[tuple[str, ...]], bool]], ...] = (
    ("country", lambda k: k[3] != "country"),
    ("age band", lambda k: k[3] != "country" and k[6] == "total"),
    ("sex", lambda k: k[3] != "country" and k[6] == "total" and k[5] == "T"),
    ("group", lambda k: k[3] in ("total", "nationality", "eu_status") and k[6] == "total" and k[5] == "T"),
    ("all groups", lambda k: k[3] == "total" and k[6] == "total" and k[5] == "T"),
)
"""Ever coarser parts of a table tried, in order, when the attacker's model of the whole table
cannot be made (too large, or counts that fit no model): cells outside the part are withheld
as ``detail``. Leaving out whole dimensions is safe: any solution of the part's model splits
back into the left-out cells in proportion, so they bound nothing the part does not."""


def _coarser(cells: pd.DataFrame, keys: list[tuple[str, ...]], threshold: int, value: str,
             protect_cols: Iterable[str], level: float | None) -> pd.DataFrame:
    """:func:`protect` of the first part in :data:`COARSER` smaller than the table (coarser
    still when it gets no model either); every other cell withheld as ``detail`` (all of them
    when no part is left)."""
    base = cells.reset_index(drop=True)
    out = base.copy()
    out["suppressed"] = True
    out["suppression"] = "detail"
    done = np.zeros(len(out), dtype=bool)
    for _, keep in COARSER:
        mask = np.array([keep(k) for k in keys], dtype=bool)
        if mask.all() or not mask.any():
            continue
        got = protect(base[mask], threshold, value=value, protect_cols=protect_cols, level=level)
        for col in ("suppressed", "suppression", value, *protect_cols):
            if col in got.columns:
                out.loc[mask, col] = got[col].to_numpy()
        done = mask
        break
    for col in (value, *protect_cols):
        if col in out.columns:
            out[col] = out[col].astype(float)
            out.loc[~done, col] = np.nan
    out["suppressed"] = out["suppressed"].astype(bool)
    return out


def protect(cells: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD, *, value: str = "value",
            protect_cols: Iterable[str] = (), level: float | None = None) -> pd.DataFrame:
    """Primary and complementary suppression of an OCMW table (module docstring: the rule).

    Parameters
    ----------
    cells
        One row per cell: :data:`DIMS` columns (some may be absent) and a count column
        (persons). Missing counts are treated as unknown (never published, never picked).
    threshold
        Smallest publishable positive count (counts ``1 … threshold−1`` are withheld); pass
        :func:`aankomst.privacy.threshold` of the atlas.
    value
        Name of the count column.
    protect_cols
        Further columns blanked where a cell is suppressed (e.g. rates built on it).
    level
        Protection level: smallest width ``upper − lower`` (persons) of a withheld cell's
        feasible interval; ``None`` is ``threshold``.

    Returns
    -------
    pandas.DataFrame
        A copy (index reset) with ``suppressed`` (bool), ``suppression``
        (``primary``/``complementary``/``detail``/``""``) and the count set to NaN where
        suppressed. No published count lies in ``1 … threshold−1``, and every suppressed
        count's feasible interval for an attacker modelling the finest cells is at least
        ``level`` wide; ``detail`` cells are left out of a table too large to model (module
        docstring, rule 4).

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["T", "M", "F"], "value": [9, 3, 6]})
    >>> protect(df)[["sex", "suppressed"]].values.tolist()
    [['T', False], ['M', True], ['F', True]]
    """
    out = cells.reset_index(drop=True).copy()
    n = len(out)
    rels = relations(out, virtual=True)
    by_cell = _by_cell(rels)
    size = max([n, *(max(r) + 1 for r in rels)])  # virtual totals after the table's cells
    c = np.full(size, np.nan)
    c[:n] = pd.to_numeric(out[value], errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(c)
    sup = is_small(c, threshold) & ~missing
    kind = np.where(sup, "primary", "").astype(object)

    def unknown() -> np.ndarray:
        return sup | missing

    def cost(j: int) -> tuple[float, int]:
        return (float(c[j]), j)

    def withhold(j: int) -> None:
        sup[j] = True
        kind[j] = "complementary"

    def lines(todo: Iterable[int]) -> None:
        """Step 2: until no line among (and around) ``todo`` has exactly one withheld cell."""
        heap = [(0, n) for n in todo]
        heapq.heapify(heap)
        while heap:
            _, n = heapq.heappop(heap)
            r = rels[n]
            unk = unknown()
            lone = [i for i in r if unk[i]]
            if len(lone) != 1 or not sup[lone[0]]:  # a lone missing or virtual cell hides nothing
                continue
            free = [j for j in r if not unk[j] and c[j] > 0]
            if not free:  # an all-zero line besides a missing cell: nothing to protect
                continue
            j = min(free, key=cost)
            withhold(j)
            for m in by_cell.get(j, []):
                heapq.heappush(heap, (0, m))

    lines(range(len(rels)))
    lvl = float(threshold if level is None else level)
    keys = _keys(out)
    model = _attacker.build(keys, c[:n]) if n else None
    if model is None and n:
        return _coarser(cells, keys, threshold, value, protect_cols, level)
    if model is not None:
        _finest_audit(model, sup, missing, c, n, lvl, withhold, lines, by_cell, keys)
    sup, kind = sup[:n], kind[:n]
    out["suppressed"] = sup
    out["suppression"] = kind
    out[value] = out[value].astype(float)
    out.loc[sup, value] = np.nan
    for col in protect_cols:
        if col in out.columns:
            out[col] = out[col].astype(float)
            out.loc[sup, col] = np.nan
    return out
