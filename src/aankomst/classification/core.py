"""One interface for map classes: :func:`classify` and :func:`classify_shared`.

Conventions
-----------
* ``breaks`` are the **upper limits** of the classes, ascending (``mapclassify`` ``bins``); a
  value ``v`` is in class ``i`` when ``edges[i] < v <= edges[i+1]`` (class 0 includes its lower
  limit). ``edges`` has ``k + 1`` entries; open ends are ``-inf`` / ``+inf``.
* Missing values (NaN, None, ±inf) get class ``-1`` and are counted in ``n_missing``.
* Diverging classes are symmetric around 0: ``v`` and ``-v`` get mirrored classes, and the
  neutral class is the closed band ``[-band, +band]``.
* Manual and diverging limits are compared with a relative tolerance of 1e-9, so that a
  change computed as 0.5000000000001 percentage points still counts as 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aankomst.classification.natural_breaks import natural_breaks
from aankomst.classification.schemes import (
    ClassificationError,
    SchemeSpec,
    class_schemes,
    palette_colours,
    parse_scheme,
)

_TOL = 1e-9


@dataclass
class Classification:
    """Classes of a set of values, with everything a legend needs.

    Attributes
    ----------
    scheme
        Class-scheme id (``jenks``, ``quantiles``, ``equal``, ``manual``, ``diverging``).
    k
        Number of classes.
    breaks
        Upper limit of each class (length ``k``; the last may be ``inf`` for open classes).
    edges
        ``k + 1`` class limits: lower limit of class 0, then the upper limits.
    classes
        Class index per input value (``-1`` = no class: missing value).
    counts
        Number of values per class (length ``k``).
    labels_nl, labels_en
        Class labels (``"2,5 – 7,1"`` / ``"2.5 – 7.1"``; open classes ``"≤ 0"``, ``"> 10"``).
    method_nl, method_en
        One sentence naming the class method and its parameters, for the map.
    palette
        Fill colour per class (hex), from ``data/palettes.csv``.
    palette_id
        The palette used.
    neutral_class
        Index of the neutral class (diverging schemes) or ``None``.
    n_missing
        Number of values without class.
    sse, sst
        Within-class and total sums of squared deviations (the goodness of variance fit is
        ``1 - sse / sst``).
    notes
        Remarks, e.g. fewer classes than asked because of few distinct values.

    Limits (``breaks``, ``edges``) and ``sse``/``sst`` are in the unit of the classified values
    (squared for the sums of squares), e.g. % or percentage points.

    Examples
    --------
    >>> c = classify([1, 2, 3, 10, 11, 12, 30], "jenks:3")
    >>> c.scheme, c.k, c.palette_id
    ('jenks', 3, 'seq_ylorrd')
    >>> c.edges
    array([ 1.,  3., 12., 30.])
    >>> c.palette
    ['#ffffcc', '#fd8d3c', '#800026']
    """

    scheme: str
    k: int
    breaks: np.ndarray
    edges: np.ndarray
    classes: np.ndarray
    counts: np.ndarray
    labels_nl: list[str]
    labels_en: list[str]
    method_nl: str
    method_en: str
    palette: list[str]
    palette_id: str
    neutral_class: int | None = None
    n_missing: int = 0
    sse: float = float("nan")
    sst: float = float("nan")
    notes: list[str] = field(default_factory=list)

    @property
    def gvf(self) -> float:
        """Goodness of variance fit ``1 - SSE/SST`` (1 = classes explain all variation).

        Returns
        -------
        float
            Between 0 and 1 (dimensionless); NaN when the values do not vary (``sst`` is 0 or
            unknown).

        Examples
        --------
        >>> round(classify([1, 2, 3, 10, 11, 12, 30], "jenks:3").gvf, 4)
        0.9933
        """
        return 1.0 - self.sse / self.sst if self.sst and self.sst > 0 else float("nan")

    def labels(self, lang: str = "nl") -> list[str]:
        """Class labels in ``nl`` or ``en``.

        Parameters
        ----------
        lang
            ``"nl"`` (decimal comma, the default) or ``"en"`` (decimal point); any other value
            gives the Dutch labels.

        Returns
        -------
        list of str
            One label per class, lowest class first.

        Examples
        --------
        >>> c = classify([0.25, 2.0, 2.75], "manual:1.5,2.5")
        >>> c.labels("nl"), c.labels("en")
        (['≤ 1,5', '1,5 – 2,5', '> 2,5'], ['≤ 1.5', '1.5 – 2.5', '> 2.5'])
        """
        return self.labels_en if lang == "en" else self.labels_nl

    def method(self, lang: str = "nl") -> str:
        """Method sentence in ``nl`` or ``en``.

        Parameters
        ----------
        lang
            ``"nl"`` (default) or ``"en"``.

        Returns
        -------
        str
            The class method and its parameters, as printed under a map.

        Examples
        --------
        >>> classify([1, 2, 3, 4], "quantiles:2").method("en")
        'Quantiles: 2 classes with (about) equally many areas'
        """
        return self.method_en if lang == "en" else self.method_nl

    def legend(self, lang: str = "nl") -> list[dict[str, Any]]:
        """Legend rows: class, label, lower, upper, count, colour.

        Parameters
        ----------
        lang
            Language of the labels, ``"nl"`` (default) or ``"en"``.

        Returns
        -------
        list of dict
            One dict per class: ``class`` (index), ``label``, ``lower`` and ``upper`` (class
            limits in the unit of the values; ``-inf``/``inf`` for open classes), ``count``
            (number of values) and ``colour`` (hex).

        Examples
        --------
        >>> classify([1, 2, 3], "equal:2").legend("en")[0]
        {'class': 0, 'label': '1 – 2', 'lower': 1.0, 'upper': 2.0, 'count': 2, 'colour': '#ffffcc'}
        """
        return [
            {
                "class": i,
                "label": self.labels(lang)[i],
                "lower": float(self.edges[i]),
                "upper": float(self.edges[i + 1]),
                "count": int(self.counts[i]),
                "colour": self.palette[i],
            }
            for i in range(self.k)
        ]

    def as_dict(self, lang: str = "nl") -> dict[str, Any]:
        """JSON-ready summary (open limits as ``None``), e.g. for the web API's legends.

        Parameters
        ----------
        lang
            Language of the labels and the method sentence, ``"nl"`` (default) or ``"en"``.

        Returns
        -------
        dict
            ``scheme, k, edges, breaks, counts, labels, method, palette, palette_id,
            neutral_class, n_missing, gvf, notes`` as plain Python values (limits in the unit
            of the values; infinite limits and an undefined ``gvf`` as ``None``).

        Examples
        --------
        >>> d = classify([3, 12, 25], "manual:5,10,20").as_dict("en")
        >>> d["edges"], d["counts"]
        ([None, 5.0, 10.0, 20.0, None], [1, 0, 1, 1])
        """

        def num(v: float) -> float | None:
            return float(v) if np.isfinite(v) else None

        return {
            "scheme": self.scheme, "k": self.k,
            "edges": [num(v) for v in self.edges], "breaks": [num(v) for v in self.breaks],
            "counts": [int(c) for c in self.counts], "labels": self.labels(lang),
            "method": self.method(lang), "palette": list(self.palette),
            "palette_id": self.palette_id, "neutral_class": self.neutral_class,
            "n_missing": self.n_missing, "gvf": num(self.gvf) if self.gvf == self.gvf else None,
            "notes": list(self.notes),
        }

    def colours(self, missing: str = "#d9d9d9") -> list[str]:
        """Fill colour per input value (``missing`` for values without class).

        Parameters
        ----------
        missing
            Hex colour for values without class (missing values).

        Returns
        -------
        list of str
            One hex colour per classified value, in the input order.

        Examples
        --------
        >>> classify([1, None, 3], "equal:2").colours()
        ['#ffffcc', '#d9d9d9', '#800026']
        """
        return [self.palette[c] if c >= 0 else missing for c in self.classes]


# ----------------------------------------------------------------------------- helpers
def as_values(values: Any) -> np.ndarray:
    """Values as float64 (None, pandas NA and non-numbers become NaN; ±inf becomes NaN).

    Parameters
    ----------
    values
        Numbers in any array-like (list, tuple, numpy array, pandas Series), possibly with
        ``None``, ``pd.NA`` or text.

    Returns
    -------
    numpy.ndarray
        A new one-dimensional float64 array (the input is never modified); every value that is
        not a finite number is NaN.

    Examples
    --------
    >>> as_values([1, None, "x", float("inf"), 2.5])
    array([1. , nan, nan, nan, 2.5])
    """
    try:
        x = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        import pandas as pd

        x = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(
            dtype=np.float64
        )
    x = x.copy()
    x[~np.isfinite(x)] = np.nan
    return x


def _decimals(edges: np.ndarray) -> int:
    fin = np.unique(edges[np.isfinite(edges)])
    if fin.size == 0:
        return 0
    if np.all(np.abs(fin - np.round(fin)) < 1e-9):
        return 0
    gaps = np.diff(fin)
    gaps = gaps[gaps > 0]
    gap = float(gaps.min()) if gaps.size else float(abs(fin[0])) or 1.0
    d = 0
    while d < 4 and gap * 10**d < 5:
        d += 1
    return d


def format_number(x: float, decimals: int, lang: str) -> str:
    """Number with fixed decimals; Dutch: decimal comma and dot thousands separator.

    Parameters
    ----------
    x
        The number.
    decimals
        Number of decimals (>= 0).
    lang
        ``"nl"`` (``12.345,7``) or anything else for English (``12,345.7``).

    Returns
    -------
    str
        The formatted number; negative numbers with a true minus sign (U+2212), and no
        ``-0`` when the number rounds to zero.

    Examples
    --------
    >>> format_number(12345.678, 1, "nl"), format_number(12345.678, 1, "en")
    ('12.345,7', '12,345.7')
    >>> format_number(-2.5, 1, "en"), format_number(-0.04, 1, "en")
    ('−2.5', '0.0')
    """
    if x == 0:
        x = 0.0  # no "-0"
    s = f"{x:,.{decimals}f}"
    if s.startswith("-") and float(s.replace(",", "")) == 0:
        s = s[1:]
    if lang == "nl":
        s = s.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return s.replace("-", "\u2212")


def _labels(edges: np.ndarray, decimals: int, lang: str, neutral: int | None) -> list[str]:
    out = []
    k = len(edges) - 1
    for i in range(k):
        lo, hi = edges[i], edges[i + 1]
        f = lambda v: format_number(float(v), decimals, lang)
        if np.isinf(lo) and np.isinf(hi):
            out.append("alle waarden" if lang == "nl" else "all values")
        elif np.isinf(lo):
            out.append(f"< {f(hi)}" if neutral is not None else f"\u2264 {f(hi)}")
        elif np.isinf(hi):
            out.append(f"> {f(lo)}")
        elif lo == hi:
            out.append(f(lo))
        else:
            out.append(f"{f(lo)} \u2013 {f(hi)}")
    return out


def _assign(x: np.ndarray, breaks: np.ndarray, tol: float = 0.0) -> np.ndarray:
    cls = np.full(x.shape, -1, dtype=np.int64)
    ok = ~np.isnan(x)
    b = breaks.astype(np.float64)
    if tol:
        b = b + tol * np.maximum(1.0, np.abs(np.where(np.isfinite(b), b, 0.0)))
    idx = np.searchsorted(b, x[ok], side="left")
    cls[ok] = np.minimum(idx, len(b) - 1)
    return cls


def _nice(v: float) -> float:
    """Round a positive number to the nearest (in ratio) of 1, 2, 2.5 or 5 times a power of ten."""
    if v <= 0:
        return v
    p = 10 ** math.floor(math.log10(v))
    cands = [m * p for m in (1, 2, 2.5, 5, 10)]
    return min(cands, key=lambda c: abs(math.log(c / v)))


def _diverging_outer(x: np.ndarray, band: float, s: int) -> tuple[float, ...]:
    """Symmetric outer limits for ``s`` classes per side (nice numbers from |values|)."""
    if s <= 1:
        return ()
    a = np.abs(x[~np.isnan(x)])
    a = a[a > band * (1 + _TOL)]
    out: list[float] = []
    last = band
    for j in range(1, s):
        if a.size >= s:
            cand = _nice(float(np.quantile(a, j / s)))
        else:
            cand = 0.0
        if not cand > last * (1 + 1e-9) or cand <= 0:
            cand = _nice(max(last, 1e-12) * 2) if last > 0 else 1.0
            while cand <= last:
                cand = _nice(cand * 2)
        out.append(cand)
        last = cand
    return tuple(out)


def _method_text(sid: str, lang: str, **fmt: Any) -> str:
    row = class_schemes()[sid]
    return row[f"method_{lang}"].format(**fmt)


# ----------------------------------------------------------------------------- main API
def _breaks_for(x: np.ndarray, spec: SchemeSpec, k: int) -> dict[str, Any]:
    """Class limits for the values ``x`` (NaN allowed) under ``spec``."""
    fin = x[~np.isnan(x)]
    sid = spec.id
    notes: list[str] = []
    if sid == "manual":
        b = np.asarray(spec.breaks, dtype=np.float64)
        if b.size == 0:
            raise ClassificationError(
                "manual classes need class limits: manual:0,5,10 or classify(..., breaks=[0, 5, 10])"
            )
        if np.any(np.diff(b) <= 0):
            raise ClassificationError(
                f"manual class limits {list(spec.breaks)} must increase strictly "
                "(e.g. manual:0,5,10)"
            )
        edges = np.concatenate([[-np.inf], b, [np.inf]])
        return {"edges": edges, "notes": notes, "tol": _TOL}
    if sid == "diverging":
        band = float(spec.band if spec.band is not None else 0.5)
        if band < 0:
            raise ClassificationError(f"neutral band {band} must be >= 0 (e.g. diverging:0.5)")
        if spec.outer:
            outer = tuple(float(o) for o in spec.outer)
            if any(o <= 0 for o in outer) or np.any(np.diff([band, *outer]) <= 0):
                raise ClassificationError(
                    f"outer limits {list(outer)} must be positive, above the band {band} and "
                    "increase strictly (they are mirrored for decreases), e.g. diverging:0.5:2,5"
                )
        else:
            if k < 3 or k % 2 == 0:
                raise ClassificationError(
                    f"diverging classes need an odd number of classes >= 3, got {k} "
                    "(neutral class plus as many decrease as increase classes)"
                )
            outer = _diverging_outer(x, band, (k - 1) // 2)
        side = np.array([band, *outer])
        edges = np.concatenate([[-np.inf], -side[::-1], side, [np.inf]])
        return {"edges": edges, "notes": notes, "band": band, "side": side}
    if fin.size == 0:
        raise ClassificationError(
            f"no values to classify with {sid} (all missing or suppressed); use manual or "
            "diverging limits to draw an empty map"
        )
    if sid == "jenks":
        nb = natural_breaks(fin, k)
        if nb.k < k:
            notes.append(f"only {nb.k} distinct values: {nb.k} classes instead of {k}")
        edges = np.concatenate([[nb.minimum], nb.breaks])
        return {"edges": edges, "notes": notes, "sse": nb.sse, "sst": nb.sst}
    if sid == "quantiles":
        q = np.quantile(fin, np.arange(1, k + 1) / k)
        q[-1] = fin.max()
        b = np.unique(q)
        if b.size < k:
            notes.append(f"ties in the values: {b.size} distinct quantile limits instead of {k}")
        return {"edges": np.concatenate([[fin.min()], b]), "notes": notes}
    if sid == "equal":
        lo, hi = float(fin.min()), float(fin.max())
        if hi == lo:
            notes.append("all values are equal: 1 class")
            return {"edges": np.array([lo, hi]), "notes": notes}
        b = lo + (hi - lo) * np.arange(1, k + 1) / k
        b[-1] = hi
        return {"edges": np.concatenate([[lo], b]), "notes": notes}
    raise ClassificationError(f"class scheme {sid!r} has no implementation")  # pragma: no cover


def _resolve(scheme: str | SchemeSpec, k: int | None, opts: dict[str, Any]) -> tuple[SchemeSpec, int]:
    spec = scheme if isinstance(scheme, SchemeSpec) else parse_scheme(str(scheme))
    row = class_schemes()[spec.id]
    if "breaks" in opts and opts["breaks"] is not None:
        spec = SchemeSpec(spec.id, k=spec.k, breaks=tuple(float(b) for b in opts.pop("breaks")),
                          band=spec.band, outer=spec.outer, text=spec.text)
    if "band" in opts and opts["band"] is not None:
        spec = SchemeSpec(spec.id, k=spec.k, breaks=spec.breaks, band=float(opts.pop("band")),
                          outer=spec.outer, text=spec.text)
    if "outer" in opts and opts["outer"] is not None:
        spec = SchemeSpec(spec.id, k=spec.k, breaks=spec.breaks, band=spec.band,
                          outer=tuple(float(o) for o in opts.pop("outer")), text=spec.text)
    kk = spec.k if spec.k is not None else k
    if kk is None:
        kk = int(row["default_k"]) if row["default_k"] else 5
    kk = int(kk)
    if spec.id in ("jenks", "quantiles", "equal"):
        lo, hi = int(row["min_k"]), int(row["max_k"])
        if not lo <= kk <= hi:
            raise ClassificationError(
                f"{spec.id} with {kk} classes: choose between {lo} and {hi} classes "
                f"(e.g. {spec.id}:5)"
            )
    return spec, kk


def _finish(x: np.ndarray, spec: SchemeSpec, kk: int, lim: dict[str, Any], opts: dict[str, Any]) -> Classification:
    edges = np.asarray(lim["edges"], dtype=np.float64)
    k = len(edges) - 1
    breaks = edges[1:]
    neutral = None
    if spec.id == "diverging":
        side = lim["side"]
        s = len(side)
        neutral = s
        cls = np.full(x.shape, -1, dtype=np.int64)
        ok = ~np.isnan(x)
        a = np.abs(x[ok])
        tol_side = side * (1 + _TOL) + _TOL
        j = np.searchsorted(tol_side, a, side="left")  # 0 = neutral, 1..s = outward
        sign = np.sign(x[ok])
        cls[ok] = np.where(j == 0, s, np.where(sign < 0, s - j, s + j))
    else:
        cls = _assign(x, breaks, lim.get("tol", 0.0))
    counts = np.bincount(cls[cls >= 0], minlength=k)[:k]
    dec = opts.get("decimals")
    dec = _decimals(edges) if dec is None else int(dec)
    row = class_schemes()[spec.id]
    palette_id = opts.get("palette") or row["default_palette"]
    colours = palette_colours(palette_id, k, neutral=neutral)
    fmt_nl: dict[str, int | str] = {"k": k}
    fmt_en: dict[str, int | str] = {"k": k}
    if spec.id == "manual":
        fmt_nl["breaks"] = "; ".join(format_number(b, dec, "nl") for b in spec.breaks)
        fmt_en["breaks"] = ", ".join(format_number(b, dec, "en") for b in spec.breaks)
    if spec.id == "diverging":
        fmt_nl["band"] = format_number(lim["band"], max(dec, 1), "nl")
        fmt_en["band"] = format_number(lim["band"], max(dec, 1), "en")
        fmt_nl["breaks"] = "; ".join(format_number(b, dec, "nl") for b in lim["side"])
        fmt_en["breaks"] = ", ".join(format_number(b, dec, "en") for b in lim["side"])
    sse = lim.get("sse")
    fin = x[~np.isnan(x)]
    sst = float(np.sum((fin - fin.mean()) ** 2)) if fin.size else float("nan")
    if sse is None and fin.size:
        sse = 0.0
        for q in range(k):
            v = x[cls == q]
            if v.size:
                sse += float(np.sum((v - v.mean()) ** 2))
    return Classification(
        scheme=spec.id,
        k=k,
        breaks=breaks,
        edges=edges,
        classes=cls,
        counts=counts.astype(np.int64),
        labels_nl=_labels(edges, dec, "nl", neutral),
        labels_en=_labels(edges, dec, "en", neutral),
        method_nl=_method_text(spec.id, "nl", **fmt_nl),
        method_en=_method_text(spec.id, "en", **fmt_en),
        palette=colours,
        palette_id=palette_id,
        neutral_class=neutral,
        n_missing=int(np.isnan(x).sum()),
        sse=float(sse) if sse is not None else float("nan"),
        sst=sst,
        notes=list(lim["notes"]),
    )


def classify(values: Any, scheme: str | SchemeSpec = "jenks", k: int | None = None, **opts: Any) -> Classification:
    """Put values in map classes.

    Class limits are in the unit of the values (e.g. % for a share, percentage points for a
    change of a share); a value ``v`` is in class ``i`` when ``edges[i] < v <= edges[i + 1]``
    (the first class includes its lower limit).

    Parameters
    ----------
    values
        Numbers (list, numpy array, pandas Series); missing values (None, NaN, ±inf,
        non-numbers) get class ``-1`` and are counted in ``n_missing``.
    scheme
        Class-scheme string as on the command line: ``jenks:5``, ``quantiles:5``, ``equal:5``,
        ``manual:0,5,10``, ``diverging:0.5`` or ``diverging:0.5:2,5`` (see
        :mod:`aankomst.classification.schemes`), just the name (``jenks``), or a parsed
        :class:`~aankomst.classification.schemes.SchemeSpec`.
    k
        Number of classes when the scheme string does not give it (default from
        ``data/class_schemes.csv``: 5, diverging 7). Jenks, quantiles and equal intervals take
        2 to 12 classes; diverging classes an odd number >= 3. Ignored by ``manual`` (one class
        per limit plus an open top class) and by ``diverging`` with outer limits.
    **opts
        ``breaks=[...]`` (manual upper limits, in the unit of the values), ``band=0.5``
        (half-width of the neutral band, in the unit of the values, e.g. percentage points),
        ``outer=[2, 5]`` (diverging outer limits, same unit), ``palette="seq_ylgnbu"`` (id in
        ``data/palettes.csv``; default the scheme's palette), ``decimals=1`` (decimals of the
        labels; default from the spacing of the limits).

    Returns
    -------
    Classification
        Limits, class per value, counts, labels nl/en, method text and palette. ``k`` may be
        smaller than asked when there are fewer distinct values (see ``notes``).

    Raises
    ------
    ClassificationError
        A number of classes outside the scheme's range, an even number of diverging classes,
        manual limits that are missing or do not increase, outer limits inside the band, a
        negative band, or (jenks, quantiles, equal) no value to classify at all.
    UnknownCodeError
        An unknown scheme name or palette id (the message lists the known ones).

    See Also
    --------
    classify_shared : the same limits for several maps.
    aankomst.classification.natural_breaks.natural_breaks : the exact Fisher–Jenks optimum.

    Examples
    --------
    Natural breaks (Jenks) in three classes. ``breaks`` are the upper limits of the classes,
    ``classes`` the class of each value and ``counts`` the number of values per class:

    >>> c = classify([1, 2, 3, 10, 11, 12, 30], "jenks:3")
    >>> c.k
    3
    >>> c.breaks
    array([ 3., 12., 30.])
    >>> c.classes.tolist(), c.counts.tolist()
    ([0, 0, 0, 1, 1, 1, 2], [3, 3, 1])
    >>> c.labels_en
    ['1 – 3', '3 – 12', '12 – 30']
    >>> c.method_en
    'Natural breaks (Jenks): exact Fisher optimum, minimal within-class sum of squares; 3 classes'

    Missing values get class ``-1``; ``k`` may also come as an argument:

    >>> q = classify([0.5, 1.5, None, 2.5, float("nan"), 4.0], "quantiles", k=2)
    >>> q.breaks.tolist(), q.classes.tolist(), q.n_missing
    ([2.0, 4.0], [0, 0, -1, 1, -1, 1], 2)

    Manual limits add an open top class, so maps with the same limits share one legend; Dutch
    labels use a decimal comma:

    >>> m = classify([3, 12, 25], "manual:5,10,20")
    >>> m.k, m.classes.tolist(), m.labels_nl
    (4, [0, 2, 3], ['≤ 5', '5 – 10', '10 – 20', '> 20'])
    >>> classify([3, 12, 25], "manual", breaks=[5, 10, 20]).breaks
    array([ 5., 10., 20., inf])

    Change classes around 0 (e.g. percentage points): a neutral band −0.5…+0.5 and mirrored
    outer limits 2 and 5:

    >>> d = classify([-3.2, -0.4, 0.0, 0.3, 1.2, 6.8], "diverging:0.5:2,5")
    >>> d.k, d.neutral_class, d.classes.tolist()
    (7, 3, [1, 3, 3, 3, 4, 6])
    >>> d.labels_en
    ['< −5.0', '−5.0 – −2.0', '−2.0 – −0.5', '−0.5 – 0.5', '0.5 – 2.0', '2.0 – 5.0', '> 5.0']

    Unusable arguments raise an error that shows the expected form:

    >>> classify([1, 2, 3], "jenks:1")
    Traceback (most recent call last):
    ...
    aankomst.classification.schemes.ClassificationError: jenks with 1 classes: choose between 2 and 12 classes (e.g. jenks:5)
    """
    opts = dict(opts)
    spec, kk = _resolve(scheme, k, opts)
    x = as_values(values)
    return _finish(x, spec, kk, _breaks_for(x, spec, kk), opts)


def classify_shared(
    value_sets: Sequence[Any], scheme: str | SchemeSpec = "jenks", k: int | None = None, **opts: Any
) -> list[Classification]:
    """Classify several sets of values (maps) with the **same** class limits.

    The limits are computed once from all values pooled (e.g. the same indicator in 2009 and
    2015), so the maps can be compared class by class; counts and class indices are per set.

    Parameters
    ----------
    value_sets
        One array-like of numbers per map (all in the same unit).
    scheme, k, **opts
        As for :func:`classify`.

    Returns
    -------
    list of Classification
        One per set, in order, with identical ``breaks``, ``labels`` and ``palette``; ``classes``,
        ``counts``, ``n_missing`` and the sums of squares are those of the set. Empty when
        ``value_sets`` is empty.

    Raises
    ------
    ClassificationError, UnknownCodeError
        As for :func:`classify` (the pooled values are classified).

    Examples
    --------
    >>> a, b = classify_shared([[1, 2, 3], [8, 9, 10]], "equal:3")
    >>> a.breaks.tolist() == b.breaks.tolist() == [4.0, 7.0, 10.0]
    True
    >>> a.counts.tolist(), b.counts.tolist()
    ([3, 0, 0], [0, 0, 3])
    >>> a.notes
    ['class limits shared by 2 maps']
    """
    opts = dict(opts)
    spec, kk = _resolve(scheme, k, opts)
    xs = [as_values(v) for v in value_sets]
    if not xs:
        return []
    pooled = np.concatenate(xs)
    lim = _breaks_for(pooled, spec, kk)
    out = []
    for x in xs:
        c = _finish(x, spec, kk, lim, opts)
        c.notes.append(f"class limits shared by {len(xs)} maps" )
        out.append(c)
    return out
