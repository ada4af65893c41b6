"""Property-based tests (Hypothesis) of the map classes.

* every value gets exactly one class (missing values none) and lies between its class limits;
* limits are strictly increasing;
* exact natural breaks reach the brute-force optimum (all contiguous partitions enumerated);
* agreement with mapclassify ``FisherJenks`` (same breaks, or, where mapclassify's float32
  accumulation picks another partition, ours has the lower or equal float64 SSE);
* diverging classes are symmetric and respect the neutral band;
* shared breaks are identical across maps and equal to the breaks of the pooled values.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aankomst.classification import classify, classify_shared, natural_breaks
from aankomst.classification.natural_breaks import sse_of_breaks

FLOATS = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False,
                   allow_subnormal=False)
# integers give many ties (the weighted-duplicate path)
SMALL_INTS = st.integers(min_value=-6, max_value=6).map(float)
VALUES = st.one_of(st.lists(FLOATS, min_size=1, max_size=60), st.lists(SMALL_INTS, min_size=1, max_size=60))
WITH_NAN = st.lists(st.one_of(FLOATS, st.just(float("nan")), st.none()), min_size=1, max_size=60)

SET = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _brute_force(x: np.ndarray, k: int) -> tuple[float, list[tuple[float, ...]]]:
    """Minimal SSE over all contiguous partitions of sorted x into k non-empty classes, and
    the upper limits of every partition reaching it (within a relative 1e-9)."""
    s = np.sort(x)
    n = len(s)
    results = []
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = (0, *cuts, n)
        sse = 0.0
        for a, b in itertools.pairwise(bounds):
            part = s[a:b]
            sse += float(np.sum((part - part.mean()) ** 2))
        results.append((sse, tuple(float(s[b - 1]) for b in bounds[1:])))
    best = min(r[0] for r in results)
    tol = 1e-9 * (1.0 + best + float(np.sum((s - s.mean()) ** 2)))
    return best, [b for e, b in results if e <= best + tol]


@pytest.mark.parametrize("scheme", ["jenks", "quantiles", "equal", "manual:-5,0,2.5,100", "diverging:0.5"])
@SET
@given(values=WITH_NAN, k=st.sampled_from([3, 5, 7]))
def test_every_value_has_exactly_one_class(scheme: str, values: list, k: int) -> None:
    x = np.array([np.nan if v is None else v for v in values], dtype=float)
    assume(scheme.startswith(("manual", "diverging")) or np.isfinite(x).any())
    c = classify(values, scheme, k=k)
    assert c.classes.shape == x.shape
    missing = np.isnan(x)
    assert np.all(c.classes[missing] == -1)
    assert np.all((c.classes[~missing] >= 0) & (c.classes[~missing] < c.k))
    assert int(c.counts.sum()) == int((~missing).sum())
    assert c.n_missing == int(missing.sum())
    assert len(c.labels_nl) == len(c.labels_en) == len(c.palette) == c.k
    # limits strictly increasing, every value between the limits of its class
    assert np.all(np.diff(c.breaks) > 0)
    assert c.edges[0] <= c.edges[1]  # equal when the first class holds one distinct value
    tol = 1e-9 * np.maximum(1.0, np.abs(x[~missing]))
    lo = c.edges[c.classes[~missing]]
    hi = c.edges[c.classes[~missing] + 1]
    assert np.all(x[~missing] >= lo - tol)
    assert np.all(x[~missing] <= hi + tol)


@SET
@given(values=st.one_of(st.lists(FLOATS, min_size=2, max_size=9), st.lists(SMALL_INTS, min_size=2, max_size=9)),
       k=st.integers(min_value=2, max_value=5))
def test_natural_breaks_equal_brute_force_optimum(values: list, k: int) -> None:
    x = np.array(values)
    assume(len(np.unique(x)) > k)  # with <= k distinct values every value is its own class
    best, optimal_breaks = _brute_force(x, k)
    nb = natural_breaks(x, k)
    assert nb.k == k
    ours = sse_of_breaks(x, nb.breaks)
    assert ours == pytest.approx(best, rel=1e-9, abs=1e-9 * (1 + nb.sst))
    assert nb.sse == pytest.approx(ours, rel=1e-6, abs=1e-6 * (1 + nb.sst))
    if len(optimal_breaks) == 1:  # a unique optimum: the very same limits
        assert tuple(nb.breaks.tolist()) == optimal_breaks[0]
    else:
        assert tuple(nb.breaks.tolist()) in optimal_breaks


@SET
@given(values=st.lists(st.floats(min_value=0, max_value=1000, allow_subnormal=False), min_size=8, max_size=120),
       k=st.integers(min_value=2, max_value=7))
def test_agrees_with_mapclassify_fisher_jenks(values: list, k: int) -> None:
    import mapclassify

    x = np.array(values)
    assume(len(np.unique(x)) >= k + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = mapclassify.FisherJenks(x, k=k).bins
    ours = classify(x, f"jenks:{k}").breaks
    if not np.array_equal(ours, theirs):
        # mapclassify accumulates sums in float32; where it picks a different partition ours
        # must be at least as good in exact (float64) terms
        assert sse_of_breaks(x, ours) <= sse_of_breaks(x, theirs) * (1 + 1e-12) + 1e-9


@pytest.mark.parametrize("seed", range(12))
def test_identical_to_mapclassify_and_jenkspy_on_continuous_data(seed: int) -> None:
    import jenkspy
    import mapclassify

    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 800))
    k = int(rng.integers(2, 8))
    x = rng.lognormal(mean=2, sigma=1, size=n) if seed % 2 else rng.normal(30, 10, size=n)
    ours = classify(x, "jenks", k=k).breaks
    np.testing.assert_array_equal(ours, mapclassify.FisherJenks(x, k=k).bins)
    np.testing.assert_array_equal(ours, np.array(jenkspy.jenks_breaks(x, n_classes=k)[1:]))


@SET
@given(values=st.lists(st.floats(min_value=-50, max_value=50, allow_subnormal=False), min_size=1, max_size=60),
       band=st.sampled_from([0.0, 0.5, 1.0, 2.5]),
       k=st.sampled_from([3, 5, 7, 9]))
def test_diverging_symmetric_with_neutral_band(values: list, band: float, k: int) -> None:
    x = np.array(values)
    c = classify(x, f"diverging:{band}", k=k)
    m = classify(-x, f"diverging:{band}", k=k)
    s = c.neutral_class
    assert c.k == k and s == (k - 1) // 2
    # limits mirror around 0, mirrored values get mirrored classes
    np.testing.assert_allclose(c.edges, -c.edges[::-1])
    np.testing.assert_array_equal(c.edges, m.edges)
    np.testing.assert_array_equal(m.classes, 2 * s - c.classes)
    # the neutral band: |v| <= band is neutral; beyond it the side follows the sign
    inside = np.abs(x) <= band
    assert np.all(c.classes[inside] == s)
    outside = np.abs(x) > band * (1 + 1e-8) + 1e-8
    assert np.all(c.classes[outside & (x < 0)] < s)
    assert np.all(c.classes[outside & (x > 0)] > s)
    # colours: greens below, yellow neutral, reds above (palette data)
    assert c.palette[s].lower() == "#ffffbf"


@SET
@given(sets=st.lists(st.lists(FLOATS, min_size=3, max_size=40), min_size=2, max_size=4),
       scheme=st.sampled_from(["jenks:4", "quantiles:4", "equal:4", "diverging:0.5"]))
def test_shared_breaks_identical_across_maps(sets: list, scheme: str) -> None:
    maps = classify_shared(sets, scheme)
    pooled = classify(np.concatenate([np.array(s) for s in sets]), scheme)
    for c, values in zip(maps, sets):
        np.testing.assert_array_equal(c.edges, pooled.edges)
        assert c.labels_nl == pooled.labels_nl
        assert int(c.counts.sum()) == len(values)
    assert sum(c.counts for c in maps).tolist() == pooled.counts.tolist()
