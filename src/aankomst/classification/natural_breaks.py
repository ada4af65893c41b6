"""Exact natural breaks (Fisher–Jenks optimum) in O(k·m·log m).

The problem: split the sorted values into ``k`` contiguous classes so that the **within-class
sum of squared deviations** from the class means (SSE) is minimal. This is the optimum that
Fisher (1958) and Jenks' "natural breaks" compute, and that ``mapclassify.FisherJenks`` and
``jenkspy`` find with an O(k·n²) dynamic programme.

Method (as in Ckmeans.1d.dp, Wang & Song 2011; Song & Zhong 2020):

1. drop missing values, sort, and collapse equal values to ``m`` weighted points (an optimal
   partition never needs to split equal values: every point sits with its nearest class mean);
2. centre the values on their weighted mean and build prefix sums of ``w``, ``w·x`` and
   ``w·x²`` so that the SSE of any run of points costs O(1);
3. dynamic programme over the number of classes; for one level the optimal start of the last
   class is monotone in the end point, so each level is solved by divide and conquer in
   O(m·log m) instead of O(m²); the last level needs one cell only.

The kernel is compiled with numba (``cache=True``: compiled once per machine, then loaded from
the cache in a few hundred milliseconds). Without numba the same code runs as plain Python
(correct, slow for large ``m``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

try:  # numba is a core dependency; the fallback keeps the module importable without it
    from numba import njit as _njit

    def _jit(fn):  # type: ignore[no-untyped-def]
        return _njit(cache=True, nogil=True)(fn)

    HAS_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    HAS_NUMBA = False

    def _jit(fn):  # type: ignore[no-untyped-def]
        return fn


@_jit
def _cost(W, S1, S2, j, i):  # type: ignore[no-untyped-def]
    """SSE of points j..i (inclusive, 0-based) from prefix sums (index shift of 1)."""
    w = W[i + 1] - W[j]
    s1 = S1[i + 1] - S1[j]
    c = (S2[i + 1] - S2[j]) - s1 * s1 / w
    return max(0.0, c)


@_jit
def _solve(x, w, k):  # type: ignore[no-untyped-def]
    """DP core. ``x`` sorted unique centred values, ``w`` weights, ``k`` <= len(x).

    Returns (starts, sse): ``starts[q]`` = index of the first point of class q.
    """
    m = x.shape[0]
    W = np.zeros(m + 1)
    S1 = np.zeros(m + 1)
    S2 = np.zeros(m + 1)
    for i in range(m):
        W[i + 1] = W[i] + w[i]
        S1[i + 1] = S1[i] + w[i] * x[i]
        S2[i + 1] = S2[i] + w[i] * x[i] * x[i]
    prev = np.empty(m)
    cur = np.empty(m)
    for i in range(m):
        prev[i] = _cost(W, S1, S2, 0, i)
    J = np.zeros((k, m), dtype=np.int64)  # J[q, i] = start of class q when it ends at i
    # explicit stack for divide and conquer: (lo, hi, optlo, opthi)
    stack = np.empty((4 * 64 + 8, 4), dtype=np.int64)
    for q in range(1, k):
        for i in range(m):
            cur[i] = np.inf
        if q == k - 1:  # the last level needs only the cell ending at m-1
            lo0 = m - 1
        else:
            lo0 = q
        hi0 = m - 1
        sp = 0
        stack[sp, 0] = lo0
        stack[sp, 1] = hi0
        stack[sp, 2] = q
        stack[sp, 3] = hi0
        sp += 1
        while sp > 0:
            sp -= 1
            lo = stack[sp, 0]
            hi = stack[sp, 1]
            optlo = stack[sp, 2]
            opthi = stack[sp, 3]
            if lo > hi:
                continue
            mid = (lo + hi) // 2
            jlo = max(q, optlo)
            jhi = min(mid, opthi)
            best = np.inf
            bestj = jlo
            for j in range(jlo, jhi + 1):
                v = prev[j - 1] + _cost(W, S1, S2, j, mid)
                if v < best:
                    best = v
                    bestj = j
            cur[mid] = best
            J[q, mid] = bestj
            # right half first on the stack so the left half is processed first
            stack[sp, 0] = mid + 1
            stack[sp, 1] = hi
            stack[sp, 2] = bestj
            stack[sp, 3] = opthi
            sp += 1
            stack[sp, 0] = lo
            stack[sp, 1] = mid - 1
            stack[sp, 2] = optlo
            stack[sp, 3] = bestj
            sp += 1
        for i in range(m):
            prev[i] = cur[i]
    starts = np.zeros(k, dtype=np.int64)
    i = m - 1
    for q in range(k - 1, 0, -1):
        j = J[q, i]
        starts[q] = j
        i = j - 1
    return starts, prev[m - 1]


@dataclass(frozen=True)
class NaturalBreaks:
    """Result of :func:`natural_breaks`.

    Attributes
    ----------
    breaks
        Upper bound of each class (the largest value in it), ascending; ``breaks[-1]`` is the
        maximum. Same convention as ``mapclassify.FisherJenks.bins``.
    minimum
        The smallest value (lower bound of the first class).
    sse
        Within-class sum of squared deviations of the optimum (units of the values, squared).
    sst
        Total sum of squared deviations (for the goodness of variance fit ``1 - sse/sst``).
    k
        Number of classes actually formed (smaller than asked when there are fewer distinct
        values than classes).

    Examples
    --------
    >>> nb = natural_breaks([1, 2, 3, 10, 11, 12, 30], 3)
    >>> nb.breaks, nb.minimum, nb.k
    (array([ 3., 12., 30.]), 1.0, 3)
    >>> round(nb.sse, 6), round(nb.sst, 4)
    (4.0, 598.8571)
    """

    breaks: np.ndarray
    minimum: float
    sse: float
    sst: float
    k: int

    @property
    def gvf(self) -> float:
        """Goodness of variance fit, ``1 - SSE/SST`` (1 = perfect).

        Returns
        -------
        float
            Between 0 and 1 (dimensionless); 1 when the values do not vary.

        Examples
        --------
        >>> round(natural_breaks([1, 2, 3, 10, 11, 12, 30], 3).gvf, 4)
        0.9933
        """
        return 1.0 - self.sse / self.sst if self.sst > 0 else 1.0


def natural_breaks(values: np.ndarray, k: int) -> NaturalBreaks:
    """Exact natural breaks (minimal within-class sum of squares) of ``values`` in ``k`` classes.

    Parameters
    ----------
    values
        Numbers (any array-like); NaN and ±inf are ignored.
    k
        Number of classes (>= 1). When the values have fewer than ``k`` distinct values, each
        distinct value becomes a class.

    Returns
    -------
    NaturalBreaks
        Upper class bounds and minimum (in the unit of the values), SSE of the optimum and
        total SS (the unit squared), and the number of classes formed.

    Raises
    ------
    ValueError
        When ``k < 1`` or there is no finite value.

    See Also
    --------
    aankomst.classification.classify : map classes with labels and colours (``jenks``).

    Examples
    --------
    The same optimum as ``mapclassify.FisherJenks(y, k=3).bins``:

    >>> natural_breaks([1, 2, 3, 10, 11, 12, 30], 3).breaks
    array([ 3., 12., 30.])

    Missing values are ignored; with fewer distinct values than classes each value is a class:

    >>> nb = natural_breaks([1, 1, 2, float("nan")], 5)
    >>> nb.breaks, nb.k, nb.sse
    (array([1., 2.]), 2, 0.0)
    >>> natural_breaks([float("nan")], 2)
    Traceback (most recent call last):
    ...
    ValueError: no finite values to classify
    """
    if int(k) < 1:
        raise ValueError(f"number of classes must be at least 1, got {k}")
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise ValueError("no finite values to classify")
    u, w = np.unique(x, return_counts=True)  # sorted distinct values with multiplicities
    w = w.astype(np.float64)
    mean = float(np.dot(u, w) / w.sum())
    c = u - mean
    sst = float(np.dot(w, c * c))
    m = u.size
    kk = min(int(k), m)
    if kk == m:  # every distinct value its own class
        return NaturalBreaks(u.copy(), float(u[0]), 0.0, sst, kk)
    starts, sse = _solve(c, w, kk)
    ends = np.append(starts[1:] - 1, m - 1)
    return NaturalBreaks(u[ends], float(u[0]), max(float(sse), 0.0), sst, kk)


def sse_of_breaks(values: np.ndarray, breaks: np.ndarray) -> float:
    """Within-class sum of squares of ``values`` classed by upper bounds ``breaks`` (float64).

    Used to compare partitions from different tools on equal terms.

    Parameters
    ----------
    values
        Numbers; NaN and ±inf are ignored.
    breaks
        Ascending upper class bounds (as :attr:`NaturalBreaks.breaks` or
        ``mapclassify`` ``bins``); values above the last bound count in the last class.

    Returns
    -------
    float
        Sum over the classes of the squared deviations from the class mean (unit of the values,
        squared).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1, 2, 3, 10, 11, 12, 30])
    >>> sse_of_breaks(y, np.array([3, 12, 30]))
    4.0
    >>> sse_of_breaks(y, np.array([10, 30])) > 4.0
    True
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    idx = np.searchsorted(np.asarray(breaks, dtype=np.float64), x, side="left")
    idx = np.minimum(idx, len(breaks) - 1)
    total = 0.0
    for q in np.unique(idx):
        v = x[idx == q]
        total += float(np.sum((v - v.mean()) ** 2))
    return total


def warm_up() -> None:
    """Compile (or load from the numba cache) the kernel; call once before timing.

    Returns
    -------
    None
        Only the side effect counts: later calls of :func:`natural_breaks` run compiled code.
    """
    natural_breaks(np.arange(16, dtype=np.float64), 3)
