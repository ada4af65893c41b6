"""The attacker's model of an OCMW table: finest cells, stock–flow chains and LP intervals.

Used by :func:`aankomst.ocmw.protect.protect`. An attacker who knows how the cells of a table
are built works with the *finest cells*: every combination of the table's groups that can occur
(one group per scheme present, nested in the same nationality; EU status and group of six as
real countries combine them), × finest sex × finest age band. Per finest cell, measure and
period there are unknowns ``≥ 0``: recipients ``R``, inflow ``I`` and outflow ``O`` (when the
table has flows of the measure) tied along consecutive periods by
``R(P) = R(P−1) − O(P−1) + I(P)`` with ``O(P) ≤ R(P)`` and, in the first period,
``I ≤ R``; any other statistic (spells, exits …) is one unknown ``≥ 0``. Every table cell is a
sum of unknowns (:class:`Model`). A withheld cell's feasible values given the published cells
form an interval (linear programme, HiGHS); :func:`widen` withholds more until none is narrower than the
protection level.

Groups of a scheme that are absent from the table are taken as empty (the attacker's strongest
reading). When the table's own counts do not fit that reading (a scheme published in part, or
estimates that do not add up), :func:`build` adds a residual group per scheme, sex and age band;
when even that does not fit it returns ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

try:  # HiGHS as SciPy bundles it: one model per programme, objectives changed in place (warm start)
    from scipy.optimize._highspy import _core as _highs  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - SciPy without its HiGHS bindings: linprog per programme
    _highs = None

FLOW = ("recipients", "inflow", "outflow")
REST = "_rest"
MAX_VARS = 30_000
"""Largest connected part of a model :func:`build` accepts (unknowns linked by table cells and
constraints); tables with a larger one get ``None``."""
MAX_TOTAL = 400_000
"""Largest model :func:`build` makes at all (unknowns)."""
_TOL = 1e-6
_CACHE = 64


def prev_period(p: str) -> str | None:
    """The period before ``p`` (``YYYY`` or ``YYYY-MM``); ``None`` for another format."""
    if len(p) == 4 and p.isdigit():
        return str(int(p) - 1)
    if len(p) == 7 and p[:4].isdigit() and p[4] == "-" and p[5:].isdigit():
        y, m = int(p[:4]), int(p[5:])
        return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"
    return None


def _chains(periods: set[str]) -> list[list[str]]:
    """Runs of consecutive periods covering ``periods`` (gaps filled: the stock–flow identity
    holds through a period the table leaves out); periods of no known format stand alone."""
    out: list[list[str]] = []
    fmt: dict[int, list[str]] = {}
    for p in periods:
        if prev_period(p) is None:
            out.append([p])
        else:
            fmt.setdefault(len(p), []).append(p)
    for ps in fmt.values():
        lo, hi = min(ps), max(ps)
        run, p = [hi], hi
        while p != lo and len(run) <= 10 * len(ps) + 24:
            q = prev_period(p)
            if q is None:
                break
            run.append(q)
            p = q
        if run[-1] != lo:  # too sparse to fill: one chain per period
            out.extend([x] for x in sorted(ps))
        else:
            out.append(run[::-1])
    return out


@lru_cache(maxsize=1)
def _catalogue_up() -> dict[tuple[str, str], dict[str, str]]:
    """``(scheme, grp) -> {scheme: group}`` it implies (itself and its ancestors, not total)."""
    from aankomst.ocmw import catalogue as K

    g = K.groups()
    up = {(s, x): (ps, pg) for s, x, ps, pg in zip(g["scheme"], g["grp"], g["parent_scheme"],
                                                    g["parent_grp"]) if ps}
    out: dict[tuple[str, str], dict[str, str]] = {}
    for key in up:
        imp = {key[0]: key[1]}
        k = up.get(key)
        while k is not None and k[0] != "total" and k[0] not in imp:
            imp[k[0]] = k[1]
            k = up.get(k)
        out[key] = imp
    return out


@lru_cache(maxsize=64)
def _country_facts(years: tuple[int, ...]) -> tuple[dict[str, dict[str, str]], frozenset[tuple[str, str]]]:
    """Per country the groups it implies over ``years`` (EU status only when constant), and the
    (EU status, group of six) pairs that occur among foreign countries in those years."""
    from aankomst.indicators import groups as G

    table = G.countries()
    facts: dict[str, dict[str, str]] = {}
    pairs: set[tuple[str, str]] = set()
    for iso, g6 in zip(table["iso3"], table["group6"]):
        eus = {G.country_group(iso, "eu_status", f"{y}-07-01") for y in years}
        imp = {"country": iso, "nationality": "BEL" if iso == "BEL" else "ETR",
               "nationality_group6": str(g6)}
        if len(eus) == 1:
            imp["eu_status"] = eus.pop()
        facts[iso] = imp
        if iso != "BEL":
            pairs.update((e, str(g6)) for e in {G.country_group(iso, "eu_status", f"{y}-07-01")
                                               for y in years})
    return facts, frozenset(pairs)


def _implied(scheme: str, grp: str, countries: dict[str, dict[str, str]]) -> dict[str, str]:
    if grp == REST:
        return {scheme: REST}
    if scheme == "country":
        return countries.get(grp, {"country": grp})
    return _catalogue_up().get((scheme, grp), {scheme: grp})


def leaves(groups: dict[str, list[str]], years: tuple[int, ...]) -> list[dict[str, str]]:
    """Combinations of one group per scheme that can occur (nested consistently).

    Parameters
    ----------
    groups
        Scheme → its groups (``total`` left out); :data:`REST` is a group implying nothing.
    years
        Years of the table (EU membership of countries).

    Returns
    -------
    list of dict
        One ``{scheme: group}`` per finest group (also the schemes a group implies).

    Examples
    --------
    >>> [x["eu_status"] for x in leaves({"nationality": ["BEL", "ETR"],
    ...                                   "eu_status": ["belgian", "eu", "non_eu"]}, (2010,))]
    ['belgian', 'eu', 'non_eu']
    """
    countries, pairs = _country_facts(years)
    order = sorted(groups, key=lambda s: (s == "country", s))
    out: list[dict[str, str]] = []

    def fits(a: dict[str, str]) -> bool:
        e, g = a.get("eu_status"), a.get("nationality_group6")
        if e in (None, REST, "belgian") or g in (None, REST, "belgian"):
            return True
        return (e, g) in pairs

    def walk(k: int, a: dict[str, str]) -> None:
        if k == len(order):
            out.append(a)
            return
        for g in groups[order[k]]:
            imp = _implied(order[k], g, countries)
            if order[k] in a and a[order[k]] != g:
                continue
            if any(s in a and a[s] != v for s, v in imp.items()):
                continue
            b = {**a, **imp, order[k]: g}
            if fits(b):
                walk(k + 1, b)

    walk(0, {})
    return out


@dataclass
class Model:
    """Finest unknowns of a table: ``cells`` (table cells × unknowns, 0/1) are sums of them;
    ``eq`` rows hold as ``= 0`` (stock–flow chains) and ``ub`` rows as ``≤ 0`` (flows at most
    recipients); unknowns ``≥ 0``. ``comp`` is the connected component of every table cell."""

    cells: sp.csr_matrix
    eq: sp.csr_matrix
    ub: sp.csr_matrix
    comp: np.ndarray
    var_comp: np.ndarray
    eq_comp: np.ndarray
    ub_comp: np.ndarray
    solutions: dict[int, list[np.ndarray]] = field(default_factory=dict)


def collapsible(keys: list[tuple[str, ...]]) -> bool:
    """Whether age bands occur only as recipients of all groups and sexes (the dashboard's
    one-way age table): then, in the stayers model, the finest cells need no age band."""
    return any(k[6] != "total" for k in keys) and all(
        k[6] == "total" or (k[0] == "recipients" and k[3] == "total" and k[5] == "T") for k in keys)


def _make(keys: list[tuple[str, ...]], rest: bool, movers: bool = False, collapse: bool = False
          ) -> Model | None:
    """The model of ``keys``: per-cell chains (``movers`` False) or the stayers model, with a
    residual group per scheme, sex and age band (``rest``).

    ``collapse`` (only where :func:`collapsible`): finest cells without age band, and per
    measure and period one unknown per age band with ``Σ bands = Σ finest recipients``. In the
    stayers model this is exact: any solution splits back into finest cells × age bands (per
    period a transportation table with margins finest recipients × band recipients, inflow,
    stayers and outflow split in proportion), and summing over bands maps every finest solution
    onto one of it, so both give every table cell the same feasible values. For the per-cell
    chains it is a relaxation (used only to prove them infeasible quickly)."""
    years = tuple(sorted({int(k[2][:4]) for k in keys if k[2][:4].isdigit()})) or (2000,)
    schemes: dict[str, list[str]] = {}
    for k in keys:
        if k[3] != "total" and k[4] not in schemes.setdefault(k[3], []):
            schemes[k[3]].append(k[4])
    for s, grps in schemes.items():
        if (rest or s == "country") and REST not in grps:
            grps.append(REST)
    fin = leaves(schemes, years)
    sexes = sorted({k[5] for k in keys} - {"T"})
    if set(sexes) & {"M", "F"}:
        sexes = sorted(set(sexes) | {"M", "F"})
    bands = sorted({k[6] for k in keys} - {"total"})
    if rest and sexes:
        sexes.append(REST)
    if rest and bands:
        bands.append(REST)
    age_bands: list[str] = []
    if collapse:
        age_bands, bands = bands, []
    sexes, bands = sexes or ["T"], bands or ["total"]
    nl, ns, nb = len(fin), len(sexes), len(bands)
    nf = nl * ns * nb
    if nf == 0:
        return None
    # unknowns: one block of nf per (stat, measure, period)
    measures: dict[str, dict[str, set[str]]] = {}
    for k in keys:
        measures.setdefault(k[1], {}).setdefault(k[0], set()).add(k[2])
    block: dict[tuple[str, str, str], int] = {}
    eq_rows: list[tuple[int, int, int, int]] = []  # R(P), R(P-1), O(P-1), I(P) blocks
    ub_rows: list[tuple[int, int]] = []  # flow block, recipients block
    stay_rows: list[tuple[int, int, int, int, int]] = []  # R(P), I(P), stayers, R(P-1), O(P-1)

    def new(key: tuple[str, str, str]) -> int:
        if key not in block:
            block[key] = len(block)
        return block[key]

    for m, stats in measures.items():
        flows = bool(stats.keys() & {"inflow", "outflow"})
        for st, ps in stats.items():
            if st not in FLOW:
                for p in ps:
                    new((st, m, p))
        if not stats.keys() & set(FLOW):
            continue
        allp = set().union(*(ps for st, ps in stats.items() if st in FLOW))
        for run in _chains(allp):
            for n, p in enumerate(run):
                r = new(("recipients", m, p))
                if not flows:
                    continue
                i, o = new(("inflow", m, p)), new(("outflow", m, p))
                ub_rows.append((o, r))
                if n == 0:
                    ub_rows.append((i, r))
                elif movers:  # R(P) = I(P) + stayers; stayers of one sex = Σ (R − O)(P−1)
                    q = run[n - 1]
                    stay_rows.append((r, i, new(("_stay", m, p)), block[("recipients", m, q)],
                                      block[("outflow", m, q)]))
                else:
                    q = run[n - 1]
                    eq_rows.append((r, block[("recipients", m, q)], block[("outflow", m, q)], i))
    nvar = len(block) * nf
    age_at: dict[tuple[str, str], int] = {}  # (measure, period) -> first age-band unknown
    for k in keys:
        if age_bands and k[6] != "total" and (k[1], k[2]) not in age_at:
            age_at[(k[1], k[2])] = nvar + len(age_at) * len(age_bands)
    ntot = nvar + len(age_at) * len(age_bands)
    if ntot > MAX_TOTAL:
        return None
    # membership of table cells in finest cells
    lidx: dict[tuple[str, str], list[int]] = {}
    for n, a in enumerate(fin):
        for s, g in a.items():
            lidx.setdefault((s, g), []).append(n)
    all_l = np.arange(nl)
    rows, cols = [], []
    for i, k in enumerate(keys):
        if k[6] != "total" and age_bands:
            cols.append(np.array([age_at[(k[1], k[2])] + age_bands.index(k[6])]))
            rows.append(np.array([i]))
            continue
        ls = all_l if k[3] == "total" else np.array(lidx.get((k[3], k[4]), []), dtype=int)
        ss = np.arange(ns) if k[5] == "T" else np.array([sexes.index(k[5])] if k[5] in sexes else [], dtype=int)
        bs = np.arange(nb) if k[6] == "total" else np.array([bands.index(k[6])] if k[6] in bands else [], dtype=int)
        f = ((ls[:, None, None] * ns + ss[None, :, None]) * nb + bs[None, None, :]).ravel()
        cols.append(block[(k[0], k[1], k[2])] * nf + f)
        rows.append(np.full(len(f), i))
    r_, c_ = np.concatenate(rows), np.concatenate(cols)
    cells = sp.csr_matrix((np.ones(len(r_)), (r_, c_)), shape=(len(keys), ntot))
    base = np.arange(nf)
    er, ec, ev = [], [], []
    for n, (r, r0, o0, i1) in enumerate(eq_rows):
        for b, v in ((r, 1.0), (r0, -1.0), (o0, 1.0), (i1, -1.0)):
            er.append(n * nf + base)
            ec.append(b * nf + base)
            ev.append(np.full(nf, v))
    ur, uc, uv = [], [], []
    for n, (fl, r) in enumerate(ub_rows):
        for b, v in ((fl, 1.0), (r, -1.0)):
            ur.append(n * nf + base)
            uc.append(b * nf + base)
            uv.append(np.full(nf, v))

    def mat(r: list[np.ndarray], c: list[np.ndarray], v: list[np.ndarray], n: int) -> sp.csr_matrix:
        if not r:
            return sp.csr_matrix((0, ntot))
        return sp.csr_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(n * nf, ntot))

    nrow = len(eq_rows) * nf
    sex_of = (np.arange(nf) // nb) % ns
    for r, i, st_, r0, o0 in stay_rows:
        for b, v in ((r, 1.0), (i, -1.0), (st_, -1.0)):
            er.append(nrow + base)
            ec.append(b * nf + base)
            ev.append(np.full(nf, v))
        nrow += nf
        for b, v in ((st_, 1.0), (r0, -1.0), (o0, 1.0)):
            er.append(nrow + sex_of)
            ec.append(b * nf + base)
            ev.append(np.full(nf, v))
        nrow += ns
    for (m, p), a0 in age_at.items():  # Σ age bands = Σ finest recipients
        er.append(np.full(len(age_bands) + nf, nrow))
        ec.append(np.concatenate([a0 + np.arange(len(age_bands)), block[("recipients", m, p)] * nf + base]))
        ev.append(np.concatenate([np.ones(len(age_bands)), -np.ones(nf)]))
        nrow += 1
    eq = (sp.csr_matrix((np.concatenate(ev), (np.concatenate(er), np.concatenate(ec))), shape=(nrow, ntot))
          if er else sp.csr_matrix((0, ntot)))
    ub = mat(ur, uc, uv, len(ub_rows))
    # components: unknowns linked by a table cell or a constraint
    links = sp.vstack([cells, eq, ub]).tocsr()
    links.data[:] = 1.0
    graph = sp.bmat([[None, links], [links.T, None]], format="csr")  # rows and unknowns as nodes
    _, labels = connected_components(graph, directed=False)
    var_comp = labels[links.shape[0]:]
    if np.bincount(var_comp).max() > MAX_VARS:
        return None

    def first(m: sp.csr_matrix) -> np.ndarray:
        out = np.full(m.shape[0], -1)
        nz = np.diff(m.indptr) > 0
        out[nz] = var_comp[m.indices[m.indptr[:-1][nz]]]
        return out

    return Model(cells, eq, ub, first(cells), var_comp, first(eq), first(ub))


class _Programme:
    """``min cost · x`` subject to ``lower ≤ A x ≤ upper``, ``x ≥ 0`` for many costs (HiGHS,
    simplex from the previous basis; ``scipy.optimize.linprog`` without SciPy's bindings)."""

    def __init__(self, a: sp.csr_matrix, lower: np.ndarray, upper: np.ndarray) -> None:
        self.n = a.shape[1]
        self.a, self.lower, self.upper = a, lower, upper
        self.h = None
        if _highs is None:
            return
        csc = a.tocsc()
        lp = _highs.HighsLp()
        lp.num_col_, lp.num_row_ = self.n, a.shape[0]
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = self.n, a.shape[0]
        lp.a_matrix_.format_ = _highs.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
        lp.a_matrix_.index_ = csc.indices.astype(np.int32)
        lp.a_matrix_.value_ = csc.data.astype(float)
        inf = _highs.kHighsInf
        lp.col_cost_ = np.zeros(self.n)
        lp.col_lower_ = np.zeros(self.n)
        lp.col_upper_ = np.full(self.n, inf)
        lp.row_lower_ = np.where(np.isfinite(lower), lower, -inf)
        lp.row_upper_ = np.where(np.isfinite(upper), upper, inf)
        self.h = _highs._Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("presolve", "off")
        self.h.setOptionValue("simplex_strategy", 4)  # primal: a new cost keeps the basis feasible
        self.h.passModel(lp)
        self.idx = np.arange(self.n, dtype=np.int32)

    def free(self, row: int) -> None:
        """Drop row ``row`` (a cell no longer published): bounds ``−∞ … ∞``."""
        self.lower[row], self.upper[row] = -np.inf, np.inf
        if self.h is not None:
            self.h.changeRowBounds(int(row), -_highs.kHighsInf, _highs.kHighsInf)

    def solve(self, cost: np.ndarray) -> tuple[str, np.ndarray | None, np.ndarray | None]:
        """``(status, x, row duals)``; status ``optimal``, ``unbounded`` or ``failed``."""
        if self.h is None:
            eq = self.lower == self.upper
            ub = ~eq & np.isfinite(self.upper)
            kw: dict[str, object] = {"bounds": (0, None), "method": "highs"}
            if eq.any():
                kw["A_eq"], kw["b_eq"] = self.a[np.flatnonzero(eq)], self.lower[eq]
            if ub.any():
                kw["A_ub"], kw["b_ub"] = self.a[np.flatnonzero(ub)], self.upper[ub]
            res = linprog(cost, **kw)  # type: ignore[arg-type]
            if res.status == 0:
                duals = np.zeros(len(self.lower))
                duals[eq] = res.eqlin.marginals
                return "optimal", res.x, duals
            return ("unbounded" if res.status == 3 else "failed"), None, None
        self.h.changeColsCost(self.n, self.idx, np.asarray(cost, dtype=float))
        self.h.run()
        st = self.h.getModelStatus()
        if st == _highs.HighsModelStatus.kOptimal:
            sol = self.h.getSolution()
            return "optimal", np.array(sol.col_value), np.array(sol.row_dual)
        if st in (_highs.HighsModelStatus.kUnbounded, _highs.HighsModelStatus.kUnboundedOrInfeasible):
            return "unbounded", None, None
        return "failed", None, None


def _lp(model: Model, comp: int, pub: np.ndarray, values: np.ndarray
        ) -> tuple[np.ndarray, dict[str, object], np.ndarray]:
    """Columns of component ``comp``, linprog keywords for it (published cells fixed) and the
    positions of the published cells (order of their equality rows after the chain rows)."""
    vc = np.flatnonzero(model.var_comp == comp)
    p = np.flatnonzero(pub & (model.comp == comp))
    eq = model.eq[np.flatnonzero(model.eq_comp == comp)][:, vc]
    ub = model.ub[np.flatnonzero(model.ub_comp == comp)][:, vc]
    a_eq = sp.vstack([eq, model.cells[p][:, vc]]).tocsc()
    b_eq = np.concatenate([np.zeros(eq.shape[0]), values[p]])
    kw: dict[str, object] = {"A_eq": a_eq, "b_eq": b_eq, "bounds": (0, None), "method": "highs"}
    if ub.shape[0]:
        kw["A_ub"], kw["b_ub"] = ub.tocsc(), np.zeros(ub.shape[0])
    return vc, kw, p


def build(keys: list[tuple[str, ...]], values: np.ndarray) -> Model | None:
    """The attacker's model of a table whose counts (``values``, NaN unknown) it must fit.

    Parameters
    ----------
    keys
        Cell keys ``(stat, measure, period, scheme, grp, sex, age_band)``.
    values
        The true counts (NaN where missing).

    Returns
    -------
    Model or None
        ``None`` when the table is too large (:data:`MAX_VARS`) or its counts fit no model.
    """
    known = ~np.isnan(values)
    coll = collapsible(keys)
    for rest, movers in ((False, False), (False, True), (True, True)):
        if coll and not movers:  # the per-cell chains summed over age bands fail: so do they
            relaxed = _make(keys, rest, movers, collapse=True)
            if relaxed is None or not _fits(relaxed, known, values):
                continue
        model = _make(keys, rest, movers, collapse=coll and movers)
        if model is None:
            return None
        if _fits(model, known, values):
            return model
    return None


def _fits(model: Model, known: np.ndarray, values: np.ndarray) -> bool:
    """Whether the known ``values`` are a feasible point of ``model`` (its components' feasible
    solutions are kept in ``model.solutions``)."""
    if (known & (model.comp < 0) & (np.nan_to_num(values) != 0)).any():
        return False
    for comp in np.unique(model.comp[known & (model.comp >= 0)]):
        vc, kw, _ = _lp(model, int(comp), known, values)
        kw["method"] = "highs-ipm"  # proves infeasibility of the large chain models 4× faster
        res = linprog(np.zeros(len(vc)), **kw)  # type: ignore[arg-type]
        if res.status != 0:
            return False
        model.solutions.setdefault(int(comp), []).append(res.x)
    return True


def _widen_part(model: Model, comp: int, withheld: np.ndarray, values: np.ndarray, known: np.ndarray,
                level: float, cost: Callable[[int], tuple[float, ...]], added: list[int], left: list[int]
                ) -> None:
    """:func:`widen` on one component (appends to ``added`` and ``left``)."""
    cells = np.flatnonzero(model.comp == comp)
    vc = np.flatnonzero(model.var_comp == comp)
    eq = model.eq[np.flatnonzero(model.eq_comp == comp)][:, vc]
    ub = model.ub[np.flatnonzero(model.ub_comp == comp)][:, vc]
    rows = model.cells[cells][:, vc].tocsr()
    pub = known[cells] & ~withheld[cells]
    v = np.nan_to_num(values[cells])
    fix = np.where(pub, v, np.nan)
    a = sp.vstack([eq, rows, ub]).tocsr()
    ne = eq.shape[0]
    lower = np.concatenate([np.zeros(ne), np.where(pub, fix, -np.inf), np.full(ub.shape[0], -np.inf)])
    upper = np.concatenate([np.zeros(ne), np.where(pub, fix, np.inf), np.zeros(ub.shape[0])])
    prog = _Programme(a, lower, upper)
    lo, hi = v.astype(float).copy(), v.astype(float).copy()
    sols = model.solutions.get(comp, [])

    def seen(x: np.ndarray) -> None:
        val = rows @ x
        np.minimum(lo, val, out=lo)
        np.maximum(hi, val, out=hi)

    for x in sols:
        seen(x)
    sup = withheld[cells].copy()

    def narrow() -> np.ndarray:
        return np.flatnonzero(sup & (hi - lo < level - _TOL))

    rng = np.random.default_rng(len(cells))
    for n in range(8):  # all withheld cells together: down, up, then mixed directions
        op = narrow()
        if len(op) < 2:
            break
        sign = (np.ones(len(op)) if n == 0 else -np.ones(len(op)) if n == 1
                else rng.choice([-1.0, 1.0], len(op)))
        status, sol, _ = prog.solve(np.asarray(rows[op].T @ sign).ravel())
        if status == "optimal" and sol is not None:
            seen(sol)
            if n > 1 and len(narrow()) == len(op):
                break
    queue = list(narrow())
    while queue:
        k = int(queue.pop(0))
        while hi[k] - lo[k] < level - _TOL:
            binding: set[int] = set()
            unbounded = False
            for sign_ in (1.0, -1.0):
                if hi[k] - lo[k] >= level - _TOL:
                    break
                status, sol, duals = prog.solve(sign_ * rows[k].toarray().ravel())
                if status == "optimal" and sol is not None and duals is not None:
                    seen(sol)
                    d = duals[ne:ne + len(cells)]
                    binding.update(int(j) for j in np.flatnonzero(np.abs(d) > 1e-9))
                elif status == "unbounded" and sign_ < 0:
                    unbounded = True
            if unbounded or hi[k] - lo[k] >= level - _TOL:
                break
            positive = pub & (v > 0)
            cand = [j for j in binding if positive[j]]
            if not cand:
                near = neighbours(model, int(cells[k]), np.isin(np.arange(len(model.comp)), cells[positive]))
                cand = [int(np.searchsorted(cells, j)) for j in near]
            if not cand:
                cand = np.flatnonzero(positive).tolist()
            if not cand:
                left.append(int(cells[k]))
                break
            j = min(cand, key=lambda i: cost(int(cells[i])))
            pub[j] = False
            sup[j] = True
            prog.free(ne + j)
            added.append(int(cells[j]))
            if hi[j] - lo[j] < level - _TOL:
                queue.append(j)


def widen(model: Model, withheld: np.ndarray, values: np.ndarray, level: float,
          cost: Callable[[int], tuple[float, ...]]) -> tuple[list[int], list[int]]:
    """Cells to withhold besides ``withheld`` so that every withheld cell's feasible interval is
    at least ``level`` wide.

    Per component one programme (unknowns ``≥ 0``, the model's equalities and inequalities, a
    row per table cell: fixed at its count while published, free once withheld), solved by the
    simplex from the previous basis. Feasible solutions seen widen every cell's interval without
    solving (first with objectives over all withheld cells together); the feasible set only
    grows as cells are withheld, so a cell once wide stays wide. A withheld cell still narrower
    than ``level`` after its minimum and maximum gets the cheapest (``cost``) published positive
    cell whose equality binds one of them withheld (else one sharing unknowns or a constraint
    with it, else any of the component), and is solved again; released cells join the queue.

    Parameters
    ----------
    model
        :func:`build`'s model.
    withheld
        Boolean mask of the withheld cells (missing counts are neither withheld nor published).
    values
        True counts (NaN where missing); the true table is a feasible solution.
    level
        Required width ``upper − lower`` (persons).
    cost
        Sort key of a cell as a candidate (cheapest first).

    Returns
    -------
    tuple of list
        The cells to withhold as well (in the order chosen), and the withheld cells still
        narrower (none unless the programme fails numerically).
    """
    added: list[int] = []
    left: list[int] = []
    known = ~np.isnan(values)
    for comp in np.unique(model.comp[withheld & (model.comp >= 0)]):
        _widen_part(model, int(comp), withheld, values, known, level, cost, added, left)
    return added, left


def neighbours(model: Model, cell: int, candidates: np.ndarray) -> np.ndarray:
    """Cells of ``candidates`` (mask) sharing an unknown with ``cell`` or with a constraint
    through its unknowns."""
    v = model.cells[cell]
    near = np.zeros(model.cells.shape[1], dtype=bool)
    near[v.indices] = True
    for m in (model.eq, model.ub):
        hit: np.ndarray = (np.flatnonzero(np.asarray(m[:, v.indices].sum(axis=1)).ravel() != 0)
                           if m.shape[0] else np.zeros(0, dtype=int))
        if len(hit):
            near[m[hit].indices] = True
    share = np.asarray(model.cells[:, near].sum(axis=1)).ravel() > 0
    return np.flatnonzero(share & candidates)


__all__ = ["MAX_VARS", "Model", "build", "leaves", "neighbours", "widen"]
