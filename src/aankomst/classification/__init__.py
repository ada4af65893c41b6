"""Map classes: ``classify(values, scheme, k, ...)`` with exact natural breaks, quantiles, equal
intervals, manual limits and diverging change classes; ``classify_shared`` for comparable maps.

See ``docs/classification.md``. Class schemes and palettes are data
(``data/class_schemes.csv``, ``data/palettes.csv``).

Examples
--------
>>> from aankomst.classification import classify, classify_shared
>>> c = classify([4.1, 7.9, 12.5, 30.2, 31.0], "quantiles:2")
>>> c.breaks.tolist(), c.counts.tolist()
([12.5, 31.0], [3, 2])
>>> c.labels("nl")  # decimals follow the spacing of the limits
['4 – 12', '12 – 31']
>>> classify([4.1, 7.9, 12.5, 30.2, 31.0], "quantiles:2", decimals=1).labels("nl")
['4,1 – 12,5', '12,5 – 31,0']
>>> [s.counts.tolist() for s in classify_shared([[1, 2], [9, 10]], "equal:2")]
[[2, 0], [0, 2]]
"""

from __future__ import annotations

from aankomst.classification.core import Classification, classify, classify_shared
from aankomst.classification.natural_breaks import NaturalBreaks, natural_breaks
from aankomst.classification.schemes import (
    ClassificationError,
    class_schemes,
    palette_colours,
    palettes,
    parse_scheme,
)

__all__ = [
    "Classification",
    "ClassificationError",
    "NaturalBreaks",
    "class_schemes",
    "classify",
    "classify_shared",
    "natural_breaks",
    "palette_colours",
    "palettes",
    "parse_scheme",
]
