"""Class schemes and palettes as data (``data/class_schemes.csv``, ``data/palettes.csv``).

A class-scheme string, as on the command line (``--classes``), is ``NAME[:ARGS]``:

* ``jenks:5`` — exact natural breaks (Fisher–Jenks optimum), 5 classes;
* ``quantiles:5`` — quantiles; ``equal:5`` — equal intervals;
* ``manual:0,5,10`` — fixed upper class limits; an open class ``> 10`` is always added so that
  maps with the same limits have the same legend;
* ``diverging:0.5`` — change classes with a neutral band −0.5…+0.5 (yellow), decreases green,
  increases red, symmetric limits; ``diverging:0.5:2,5`` also fixes the outer limits
  (classes ≤ −5, −5…−2, −2…−0.5, neutral, 0.5…2, 2…5, > 5).

Aliases (``natural_breaks``, ``quantile``, ``equal_interval``, ``user``, ``change`` …) are
listed in the CSV.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from aankomst.errors import AankomstError, UnknownCodeError
from aankomst.paths import package_data


class ClassificationError(AankomstError, ValueError):
    """A class scheme, its arguments or the values to classify are not usable.

    A :class:`ValueError` too, so callers that catch bad values in general also catch it.

    Examples
    --------
    >>> try:
    ...     parse_scheme("jenks:five")
    ... except ValueError as exc:
    ...     print(type(exc).__name__, "-", exc)
    ClassificationError - class scheme 'jenks:five': number of classes 'five' is not a whole number (expected e.g. jenks:5)
    """


@dataclass(frozen=True)
class SchemeSpec:
    """A parsed class-scheme string (see :func:`parse_scheme`).

    Attributes
    ----------
    id
        Scheme id: ``jenks``, ``quantiles``, ``equal``, ``manual`` or ``diverging``.
    k
        Number of classes given in the string (``jenks:5``), else ``None``.
    breaks
        Manual upper class limits, in the unit of the values to classify.
    band
        Diverging schemes: half-width of the neutral band (unit of the values, e.g.
        percentage points), else ``None``.
    outer
        Diverging schemes: outer class limits above the band (mirrored for decreases).
    text
        The string as given.
    extra
        Further options (unused by the built-in schemes).
    """

    id: str
    k: int | None = None
    breaks: tuple[float, ...] = ()
    band: float | None = None
    outer: tuple[float, ...] = ()
    text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=1)
def class_schemes() -> dict[str, dict[str, str]]:
    """The class-scheme table, keyed by id (rows of ``data/class_schemes.csv``).

    Returns
    -------
    dict of str to dict
        Scheme id -> CSV row as strings: ``aliases`` (``|``-separated), ``arg`` (``k``,
        ``breaks`` or ``band``), ``default_k``, ``min_k``, ``max_k``, ``default_palette``,
        labels, method sentences (format strings) and ``source``. Cached: do not modify.

    Examples
    --------
    >>> sorted(class_schemes())
    ['diverging', 'equal', 'jenks', 'manual', 'quantiles']
    >>> row = class_schemes()["jenks"]
    >>> row["default_k"], row["min_k"], row["max_k"], row["default_palette"]
    ('5', '2', '12', 'seq_ylorrd')
    """
    with open(package_data("class_schemes.csv"), encoding="utf-8", newline="") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def palettes() -> dict[str, dict[str, str]]:
    """The palette table, keyed by id (rows of ``data/palettes.csv``).

    Returns
    -------
    dict of str to dict
        Palette id -> CSV row as strings: ``kind`` (``sequential``, ``diverging`` …),
        ``cb_safe``, ``colours`` (hex, ``;``-separated; diverging: ``low|neutral|high``),
        labels and ``source``. Cached: do not modify.

    Examples
    --------
    >>> p = palettes()["seq_ylorrd"]
    >>> p["kind"], p["colours"].split(";")[:2]
    ('sequential', ['#ffffcc', '#ffeda0'])
    """
    with open(package_data("palettes.csv"), encoding="utf-8", newline="") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


def _scheme_id(name: str) -> str:
    name = name.strip().lower()
    table = class_schemes()
    if name in table:
        return name
    for sid, row in table.items():
        if name in row["aliases"].split("|"):
            return sid
    raise UnknownCodeError(
        "class scheme", name, known=list(table),
        hint="write e.g. jenks:5, quantiles:5, equal:5, manual:0,5,10 or diverging:0.5",
    )


def _numbers(text: str, what: str, scheme: str) -> tuple[float, ...]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(float(part))
        except ValueError:
            raise ClassificationError(
                f"class scheme {scheme!r}: {what} {part!r} is not a number "
                "(use a dot for decimals and commas between limits, e.g. manual:0,2.5,10)"
            ) from None
    return tuple(out)


def parse_scheme(text: str) -> SchemeSpec:
    """Parse a class-scheme string such as ``jenks:5`` or ``diverging:0.5:2,5``.

    Parameters
    ----------
    text
        ``NAME[:ARGS]`` as on the command line (``--classes``); the name may be an alias from
        ``data/class_schemes.csv`` (case-insensitive). Numbers use a decimal point; limits are
        separated by commas.

    Returns
    -------
    SchemeSpec
        The scheme id and its arguments; arguments the string leaves out stay empty (``k``
        then comes from :func:`~aankomst.classification.classify`'s ``k`` or the default;
        a bare ``diverging`` gets the band 0.5).

    Raises
    ------
    UnknownCodeError
        For an unknown scheme name.
    ClassificationError
        For malformed arguments (the message shows the expected form).

    Examples
    --------
    >>> parse_scheme("jenks:5")
    SchemeSpec(id='jenks', k=5, breaks=(), band=None, outer=(), text='jenks:5', extra={})
    >>> parse_scheme("Natural_Breaks").id
    'jenks'
    >>> parse_scheme("manual:0,2.5,10").breaks
    (0.0, 2.5, 10.0)
    >>> s = parse_scheme("diverging:0.5:2,5")
    >>> s.band, s.outer
    (0.5, (2.0, 5.0))
    >>> parse_scheme("kmeans:5")
    Traceback (most recent call last):
    ...
    aankomst.errors.UnknownCodeError: unknown class scheme 'kmeans'; known: jenks, quantiles, equal, manual, diverging. ...
    """
    if not isinstance(text, str) or not text.strip():
        raise ClassificationError(f"empty class scheme {text!r}; use e.g. jenks:5")
    name, _, rest = text.strip().partition(":")
    sid = _scheme_id(name)
    arg = class_schemes()[sid]["arg"]
    if arg == "k":
        if not rest.strip():
            return SchemeSpec(sid, text=text)
        try:
            k = int(rest)
        except ValueError:
            raise ClassificationError(
                f"class scheme {text!r}: number of classes {rest!r} is not a whole number "
                f"(expected e.g. {sid}:5)"
            ) from None
        return SchemeSpec(sid, k=k, text=text)
    if arg == "breaks":
        b = _numbers(rest, "class limit", text)
        if not b and ":" not in text:  # bare 'manual': limits come as classify(..., breaks=[...])
            return SchemeSpec(sid, text=text)
        if not b:
            raise ClassificationError(
                f"class scheme {text!r} gives no class limits (expected e.g. manual:0,5,10)"
            )
        return SchemeSpec(sid, breaks=b, text=text)
    # diverging: band[:outer limits]
    band_text, _, outer_text = rest.partition(":")
    band = _numbers(band_text, "neutral band", text) if band_text.strip() else (0.5,)
    if len(band) != 1:
        raise ClassificationError(
            f"class scheme {text!r}: give one half-width for the neutral band, e.g. diverging:0.5"
        )
    outer = _numbers(outer_text, "outer class limit", text) if outer_text.strip() else ()
    return SchemeSpec(sid, band=band[0], outer=outer, text=text)


def _hex_to_rgb(h: str) -> tuple[float, float, float]:
    h = h.lstrip("#")
    return tuple(int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def _rgb_to_hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in rgb)


def ramp(anchors: list[str], n: int) -> list[str]:
    """``n`` colours evenly spread along the anchor colours (linear in sRGB).

    When ``n`` equals the number of anchors the anchors themselves are used.

    Parameters
    ----------
    anchors
        Hex colours (``#rrggbb``), at least one, in ramp order.
    n
        Number of colours wanted (``<= 0`` gives none; 1 gives the middle anchor).

    Returns
    -------
    list of str
        ``n`` hex colours from the first anchor to the last.

    Examples
    --------
    >>> ramp(["#000000", "#ffffff"], 3)
    ['#000000', '#808080', '#ffffff']
    >>> ramp(["#000000", "#ff0000", "#ffffff"], 1)
    ['#ff0000']
    """
    if n <= 0:
        return []
    if n == 1:
        return [anchors[len(anchors) // 2]]
    if n == len(anchors):
        return list(anchors)
    rgb = [_hex_to_rgb(a) for a in anchors]
    out = []
    for i in range(n):
        t = i * (len(anchors) - 1) / (n - 1)
        lo = int(t)
        hi = min(lo + 1, len(anchors) - 1)
        f = t - lo
        out.append(_rgb_to_hex(tuple(rgb[lo][c] * (1 - f) + rgb[hi][c] * f for c in range(3))))  # type: ignore[arg-type]
    return out


def palette_colours(palette: str, k: int, *, neutral: int | None = None) -> list[str]:
    """Colours (hex) for ``k`` classes from a palette of ``data/palettes.csv``.

    Parameters
    ----------
    palette
        Palette id, e.g. ``seq_ylorrd`` or ``div_change_cb``.
    k
        Number of classes.
    neutral
        For diverging palettes: index of the neutral class (default ``k // 2``); classes below
        it get the decrease colours (darkest first), classes above it the increase colours.
        Ignored for sequential palettes.

    Returns
    -------
    list of str
        ``k`` hex colours, lowest class first.

    Raises
    ------
    UnknownCodeError
        For a palette id that is not in ``data/palettes.csv``.

    Examples
    --------
    >>> palette_colours("seq_ylorrd", 3)
    ['#ffffcc', '#fd8d3c', '#800026']
    >>> palette_colours("div_change_cb", 5)
    ['#01665e', '#c7eae5', '#ffffbf', '#fddbc7', '#b2182b']
    """
    table = palettes()
    if palette not in table:
        raise UnknownCodeError("palette", palette, known=list(table))
    row = table[palette]
    if row["kind"] == "diverging":
        low, mid, high = (part.split(";") for part in row["colours"].split("|"))
        if neutral is None:
            neutral = k // 2
        n_low, n_high = neutral, k - neutral - 1
        # decrease side dark -> light towards the neutral class; increase side light -> dark
        lows = ramp(low, n_low)
        highs = ramp(high, n_high)
        return [*lows, mid[0], *highs]
    anchors = row["colours"].split(";")
    return ramp(anchors, k)


def special_colours() -> dict[str, str]:
    """Fill colours for areas without data and suppressed areas, and symbol colours.

    Returns
    -------
    dict of str to str
        Hex colours keyed ``missing``, ``suppressed``, ``hatch`` (hatching of suppressed
        areas) and ``circle`` (proportional circles), from the ``special`` palette row.

    Examples
    --------
    >>> special_colours()["missing"]
    '#d9d9d9'
    """
    c = palettes()["special"]["colours"].split(";")
    return {"missing": c[0], "suppressed": c[1], "hatch": c[2], "circle": c[3]}
