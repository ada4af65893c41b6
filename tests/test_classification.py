"""Hand-computed and published fixtures for :mod:`aankomst.classification`."""

from __future__ import annotations

import numpy as np
import pytest

from aankomst.classification import (
    ClassificationError,
    class_schemes,
    classify,
    classify_shared,
    natural_breaks,
    palettes,
    parse_scheme,
)
from aankomst.classification.schemes import palette_colours
from aankomst.errors import AankomstError, UnknownCodeError


def test_jenks_hand_computed() -> None:
    # three obvious groups: {1,2,3} {10,11,12} {30}; SSE = 2 + 2 + 0
    c = classify([12, 1, 30, 2, 11, 3, 10], "jenks:3")
    assert c.breaks.tolist() == [3.0, 12.0, 30.0]
    assert c.edges.tolist() == [1.0, 3.0, 12.0, 30.0]
    assert c.classes.tolist() == [1, 0, 2, 0, 1, 0, 1]
    assert c.counts.tolist() == [3, 3, 1]
    assert c.sse == pytest.approx(4.0)
    assert c.labels_nl == ["1 – 3", "3 – 12", "12 – 30"]


def test_jenks_published_mapclassify_example() -> None:
    """The mapclassify documentation's FisherJenks example (California data)."""
    import mapclassify

    cal = mapclassify.load_example()
    c = classify(cal, "jenks:5")
    assert c.breaks.tolist() == [75.29, 192.05, 370.5, 722.85, 4111.45]
    assert c.counts.tolist() == [49, 3, 4, 1, 1]


def test_duplicates_are_weighted_points() -> None:
    # 1 x 100 times and 5 x 1 time and 6 x 1 time: duplicates must not break the optimum
    x = np.array([1.0] * 100 + [5.0, 6.0, 20.0])
    nb = natural_breaks(x, 3)
    assert nb.breaks.tolist() == [1.0, 6.0, 20.0]
    assert nb.sse == pytest.approx(0.5)


def test_fewer_distinct_values_than_classes() -> None:
    c = classify([2, 2, 7, 7, 7], "jenks:5")
    assert c.k == 2 and c.breaks.tolist() == [2.0, 7.0]
    assert c.counts.tolist() == [2, 3]
    assert "2 classes instead of 5" in c.notes[0]
    assert c.labels_en == ["2", "2 – 7"]


def test_missing_values_get_no_class() -> None:
    c = classify([1.0, None, np.nan, 3.0, float("inf"), 10.0], "equal:3")
    assert c.classes.tolist() == [0, -1, -1, 0, -1, 2]
    assert c.n_missing == 3
    assert c.counts.tolist() == [2, 0, 1]
    assert c.colours(missing="#eeeeee")[1] == "#eeeeee"


def test_equal_interval_hand_computed_and_mapclassify() -> None:
    import mapclassify

    c = classify([0, 1, 4, 5, 9, 10], "equal:5")
    assert c.breaks.tolist() == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert c.classes.tolist() == [0, 0, 1, 2, 4, 4]
    rng = np.random.default_rng(3)
    x = rng.gamma(2, 3, 500)
    np.testing.assert_allclose(classify(x, "equal:6").breaks, mapclassify.EqualInterval(x, 6).bins)


def test_quantiles_hand_computed_and_mapclassify() -> None:
    import mapclassify

    c = classify([1, 2, 3, 4, 5, 6, 7, 8], "quantiles:4")
    assert c.breaks.tolist() == [2.75, 4.5, 6.25, 8.0]
    assert c.counts.tolist() == [2, 2, 2, 2]
    rng = np.random.default_rng(4)
    x = rng.normal(size=999)
    np.testing.assert_allclose(classify(x, "quantiles:5").breaks, mapclassify.Quantiles(x, 5).bins)
    # ties collapse limits
    t = classify([0, 0, 0, 0, 0, 0, 1, 2], "quantiles:4")
    assert t.breaks.tolist() == [0.0, 0.25, 2.0] and "ties" in t.notes[0]  # q25 = q50 = 0


def test_manual_breaks_open_last_class() -> None:
    c = classify([-1, 0, 3, 5, 7.5, 12], "manual:0,5,10")
    assert c.k == 4
    assert c.classes.tolist() == [0, 0, 1, 1, 2, 3]
    assert c.labels_nl == ["≤ 0", "0 – 5", "5 – 10", "> 10"]
    assert c.counts.tolist() == [2, 2, 1, 1]
    # floating noise on a limit counts as the limit
    assert classify([5.000000000001], "manual:0,5,10").classes.tolist() == [1]
    assert "0; 5; 10" in c.method_nl and "0, 5, 10" in c.method_en


def test_diverging_default_band_and_colours() -> None:
    x = [-7.0, -3.0, -1.0, -0.5, 0.0, 0.2, 0.5, 0.5000000000001, 0.51, 1.5, 4.0, 9.0]
    c = classify(x, "diverging:0.5:2,5")
    assert c.k == 7 and c.neutral_class == 3
    assert c.edges[1:-1].tolist() == [-5.0, -2.0, -0.5, 0.5, 2.0, 5.0]
    assert c.classes.tolist() == [0, 1, 2, 3, 3, 3, 3, 3, 4, 4, 5, 6]
    assert c.labels_nl == ["< −5,0", "−5,0 – −2,0", "−2,0 – −0,5", "−0,5 – 0,5",
                           "0,5 – 2,0", "2,0 – 5,0", "> 5,0"]
    # green decreases (darkest = strongest decrease), yellow neutral, red increases
    r, g, b = (int(c.palette[0][i : i + 2], 16) for i in (1, 3, 5))
    assert g > r
    r, g, b = (int(c.palette[-1][i : i + 2], 16) for i in (1, 3, 5))
    assert r > g and r > b
    assert c.palette[3] == "#ffffbf"
    assert "-0.5 to +0.5" in c.method_en and "-0,5 tot +0,5" in c.method_nl


def test_diverging_automatic_outer_limits_are_nice_and_symmetric() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(0, 4, 400)
    c = classify(x, "diverging:0.5", k=5)
    side = c.edges[3:-1]
    assert side[0] == 0.5 and len(side) == 2
    assert side[1] in {1, 2, 2.5, 5, 10}
    np.testing.assert_allclose(c.edges, -c.edges[::-1])


def test_shared_breaks_hand_computed() -> None:
    a, b = [1, 2, 3], [10, 11, 12, 30]
    ca, cb = classify_shared([a, b], "jenks:3")
    assert ca.breaks.tolist() == cb.breaks.tolist() == [3.0, 12.0, 30.0]
    assert ca.counts.tolist() == [3, 0, 0] and cb.counts.tolist() == [0, 3, 1]


@pytest.mark.parametrize(
    "text, match",
    [
        ("jenks:x", "not a whole number"),
        ("manual:", "no class limits"),
        ("manual:0,a", "'a' is not a number"),
        ("diverging:0.5,1", "one half-width"),
        ("", "empty class scheme"),
    ],
)
def test_bad_scheme_strings_name_the_fix(text: str, match: str) -> None:
    with pytest.raises(ClassificationError, match=match):
        parse_scheme(text)


def test_unknown_scheme_lists_known_ones() -> None:
    with pytest.raises(UnknownCodeError, match="known: jenks, quantiles, equal, manual, diverging"):
        classify([1, 2, 3], "kmeans:3")


@pytest.mark.parametrize(
    "scheme, k, match",
    [
        ("manual:5,0", None, "increase strictly"),
        ("diverging:0.5", 4, "odd number"),
        ("diverging:0.5:0.3", None, "above the band"),
        ("diverging:-1", None, ">= 0"),
        ("jenks:1", None, "between 2 and 12"),
        ("jenks:5", None, "no values to classify"),
    ],
)
def test_bad_arguments(scheme: str, k: int | None, match: str) -> None:
    values = [1.0, 2.0] if "no values" not in match else [np.nan, None]
    with pytest.raises(AankomstError, match=match):
        classify(values, scheme, k=k)


def test_aliases_and_option_overrides() -> None:
    assert parse_scheme("natural_breaks:4").id == "jenks"
    assert parse_scheme("equal_interval").id == "equal"
    c = classify([1, 2, 3, 4], "manual", breaks=[2])
    assert c.labels_en == ["≤ 2", "> 2"]
    d = classify([-3, 0, 3], "diverging", band=1.0, outer=[2.0])
    assert d.edges[1:-1].tolist() == [-2.0, -1.0, 1.0, 2.0]


def test_scheme_and_palette_tables_are_complete_data() -> None:
    schemes = class_schemes()
    assert set(schemes) == {"jenks", "quantiles", "equal", "manual", "diverging"}
    for row in schemes.values():
        assert row["label_nl"] and row["label_en"] and row["source"]
        assert row["default_palette"] in palettes()
    pals = palettes()
    for row in pals.values():
        assert row["cb_safe"] in {"true", "false"} and row["source"]
    # the default palettes of every scheme are colour-blind safe
    assert all(pals[r["default_palette"]]["cb_safe"] == "true" for r in schemes.values())
    assert len(palette_colours("seq_ylorrd", 5)) == 5
    assert palette_colours("seq_ylorrd", 9)[0] == "#ffffcc"
    with pytest.raises(UnknownCodeError):
        palette_colours("rainbow", 5)


def test_as_dict_is_json_ready() -> None:
    import json

    d = classify([-3.0, 0.1, 4.0, None], "diverging:0.5:2").as_dict("en")
    assert d["edges"] == [None, -2.0, -0.5, 0.5, 2.0, None]
    assert d["counts"] == [1, 0, 1, 0, 1] and d["n_missing"] == 1
    assert d["labels"][0] == "< −2.0" and d["neutral_class"] == 2
    json.dumps(d)


def test_pure_python_fallback_equals_compiled_kernel() -> None:
    """Without numba the same kernel runs as plain Python; both must give the same optimum."""
    import importlib

    nbmod = importlib.import_module("aankomst.classification.natural_breaks")

    if not nbmod.HAS_NUMBA:
        pytest.skip("numba not installed: the kernel already runs as Python")
    rng = np.random.default_rng(11)
    u, w = np.unique(np.round(rng.gamma(2, 5, 300), 1), return_counts=True)
    c, w = u - u.mean(), w.astype(float)
    py_starts, py_sse = nbmod._solve.py_func(c, w, 4)
    jit_starts, jit_sse = nbmod._solve(c, w, 4)
    assert py_starts.tolist() == jit_starts.tolist()
    assert py_sse == pytest.approx(jit_sse)
