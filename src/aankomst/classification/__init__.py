"""Map classes: ``classify(values, scheme, k, ...)`` with exact natural breaks, quantiles, equal
intervals, manual limits and diverging change classes; ``classify_shared`` for comparable maps.

See ``docs/classification.md``. Class schemes and palettes are data
(``data/class_schemes.csv``, ``data/palettes.csv``).
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
