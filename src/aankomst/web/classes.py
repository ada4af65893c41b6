"""Map classes for the web atlas: class limits and colours of a values table, as JSON.

Numeric indicators are classified by :func:`aankomst.classification.classify` (exact natural
breaks, quantiles, equal intervals, manual limits, the studies' diverging change classes);
categorical indicators (``kind == "categorical"``, e.g. the arrival typology) take their
classes, labels and colours from their declaration
(:meth:`~aankomst.indicators.spec.IndicatorSpec.category_list`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import UnknownCodeError
from aankomst.indicators.spec import IndicatorSpec


def schemes() -> list[dict[str, Any]]:
    """Classification schemes offered on the map (``data/class_schemes.csv``).

    Returns
    -------
    list of dict
        ``id, arg, label_nl, label_en, default_k, min_k, max_k, default_palette, diverging,
        method_nl, method_en, source`` per scheme.
    """
    from aankomst.classification.schemes import class_schemes

    out = []
    for sid, row in class_schemes().items():
        out.append({
            "id": sid, "arg": row.get("arg", "k"), "label_nl": row.get("label_nl", sid),
            "label_en": row.get("label_en", sid), "default_k": _int(row.get("default_k"), 5),
            "min_k": _int(row.get("min_k"), 2), "max_k": _int(row.get("max_k"), 9),
            "default_palette": row.get("default_palette", ""), "diverging": row.get("arg") == "band",
            "method_nl": row.get("method_nl", ""), "method_en": row.get("method_en", ""),
            "source": row.get("source", ""),
        })
    return out


def palettes() -> dict[str, dict[str, Any]]:
    """Palettes (id -> kind, cb_safe, labels, colours) from ``data/palettes.csv``."""
    from aankomst.classification.schemes import palettes as _pal

    return {k: {**v, "cb_safe": str(v.get("cb_safe", "")).lower() in ("true", "1")}
            for k, v in _pal().items() if v.get("kind") != "special"}


def _int(v: Any, default: int) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def map_classes(values: pd.Series, method: str, k: int, *, band: float = 0.5,
                palette: str | None = None, limits: str | None = None) -> dict[str, Any]:
    """Class limits, counts, labels and colours of the values of a map.

    Parameters
    ----------
    values
        The values of the map (one per area); missing, suppressed and non-finite values are
        left out.
    method
        Scheme id (``jenks``, ``quantiles``, ``equal``, ``manual``, ``diverging``).
    k
        Number of classes (``diverging`` uses its own number of classes around the band).
    band
        Half-width of the neutral change class (percentage points for shares).
    palette
        Palette id; default: the scheme's default palette.
    limits
        Upper class limits of the ``manual`` scheme, comma-separated (``5,10,20``).

    Returns
    -------
    dict
        ``scheme``, ``k``, ``edges`` (k+1 limits, ``null`` for an open end: class i holds
        ``edges[i] < x <= edges[i+1]``, the first class includes its lower limit), ``counts``,
        ``colours``, ``labels_nl``/``labels_en``, ``method_nl``/``method_en``, ``neutral``
        (index of the neutral class of diverging schemes), ``palette``, ``cb_safe``.

    Raises
    ------
    UnknownCodeError
        An unknown method or palette (the message lists the known ones).
    aankomst.classification.schemes.ClassificationError
        Manual classes without (valid) limits.
    """
    known = {s["id"]: s for s in schemes()}
    if method not in known:
        raise UnknownCodeError("classification method", method, known=list(known),
                               hint="GET /api/classes lists the schemes")
    pals = palettes()
    if palette is not None and palette not in pals:
        raise UnknownCodeError("palette", palette, known=list(pals),
                               hint="GET /api/classes lists the palettes")
    from aankomst.classification import classify
    from aankomst.classification.schemes import ClassificationError

    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    if method == "diverging":
        text = f"diverging:{band}"
    elif method == "manual":
        if not limits:
            raise ClassificationError("manual classes need limits, e.g. limits=5,10,20")
        text = f"manual:{limits}"
    else:
        text = f"{method}:{k}"
    out: dict[str, Any] = {"scheme": method, "k": 0, "edges": [], "counts": [], "colours": [],
                           "labels_nl": [], "labels_en": [], "method_nl": "", "method_en": "",
                           "neutral": None, "palette": palette, "notes": []}
    if v.size:
        opts: dict[str, Any] = {"palette": palette} if palette else {}
        if method == "diverging":
            opts["band"] = band
        c = classify(v, text, None, **opts)
        out = {"scheme": c.scheme, "k": int(c.k), "edges": [_finite(x) for x in c.edges],
               "counts": [int(x) for x in c.counts], "colours": list(c.palette),
               "labels_nl": list(c.labels_nl), "labels_en": list(c.labels_en),
               "method_nl": c.method_nl, "method_en": c.method_en,
               "neutral": None if c.neutral_class is None else int(c.neutral_class),
               "palette": c.palette_id, "notes": list(getattr(c, "notes", []) or [])}
    pal = out.get("palette") or palette
    out["cb_safe"] = bool(pals.get(pal, {}).get("cb_safe")) if pal else None
    out["method_label_nl"] = known[method].get("label_nl")
    out["method_label_en"] = known[method].get("label_en")
    return out


def category_classes(spec: IndicatorSpec, data: pd.DataFrame) -> dict[str, Any]:
    """The classes of a categorical indicator: its declared categories in map order.

    Parameters
    ----------
    spec
        The indicator's declaration (``kind == "categorical"``).
    data
        Its values table, with the category of each area in column ``class`` (suppressed
        rows are not counted).

    Returns
    -------
    dict
        ``scheme: "categories"``, ``k``, ``categories`` (the category values, e.g.
        ``gateway``), ``colours``, ``labels_nl/en/fr``, ``counts``, ``edges: []``.
    """
    cats = spec.category_list()
    shown = data
    if "suppressed" in data.columns:
        shown = data[~data["suppressed"].astype(bool)]
    got = shown["class"].astype(str).value_counts() if "class" in shown.columns else pd.Series(dtype=int)
    return {
        "scheme": "categories", "k": len(cats), "edges": [],
        "categories": [c.value for c in cats], "colours": [c.colour for c in cats],
        "labels_nl": [c.label_nl for c in cats], "labels_en": [c.label_en for c in cats],
        "labels_fr": [c.label_fr for c in cats],
        "counts": [int(got.get(c.value, 0)) for c in cats],
        "method_nl": "categorieën van de indicator", "method_en": "categories of the indicator",
        "neutral": None, "palette": None, "cb_safe": None,
        "method_label_nl": "categorieën", "method_label_en": "categories", "notes": [],
    }


def _finite(x: Any) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def transitions_table() -> list[dict[str, str]]:
    """The transitions of a categorical change map (``data/category_transitions.csv``):
    ``transition`` (entered, left, stayed, other), ``colour`` and label templates nl/fr/en
    with ``{class}`` for the class label, in legend order.

    Example
    -------
    >>> [r["transition"] for r in transitions_table()]
    ['entered', 'left', 'stayed', 'other']
    """
    import csv

    from aankomst.paths import package_data

    with open(package_data("category_transitions.csv"), encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return sorted(rows, key=lambda r: int(r["order"]))


def category_transitions(spec: IndicatorSpec, a: pd.DataFrame, b: pd.DataFrame,
                         focus: str | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Change of a categorical indicator between two periods, as transitions for one class.

    Every area with a class at both periods is *entered* (in ``focus`` at the second period,
    not at the first: "became gateway"), *left* ("no longer gateway"), *stayed* ("stayed
    gateway") or *other* (in another class at both periods). An area suppressed at either
    period is suppressed; an area without a class at either period has no transition.

    Parameters
    ----------
    spec
        The indicator's declaration (``kind == "categorical"``).
    a, b
        Its values tables (column ``class``) at the first and the second period.
    focus
        The class followed (a category value); default: the first declared category.

    Returns
    -------
    (data, classes)
        ``data``: ``area_code, area_name, level, layout, class`` (the transition),
        ``class_from``, ``class_to``, ``value`` (empty), ``suppressed``; ``classes`` as
        :func:`category_classes` (``scheme: "transitions"``, ``focus``, ``focus_options``).

    Raises
    ------
    UnknownCodeError
        ``focus`` is not a category of the indicator.

    Example
    -------
    >>> data, cls = category_transitions(get("arrival_typology"), a, b, "gateway")  # doctest: +SKIP
    >>> cls["labels_en"][:2]  # doctest: +SKIP
    ['became gateway', 'no longer gateway']
    """
    cats = spec.category_list()
    values = [c.value for c in cats]
    focus = focus or (values[0] if values else "")
    if focus not in values:
        raise UnknownCodeError(f"class of indicator {spec.id!r}", focus, known=values)
    cat = cats[values.index(focus)]
    m = a[["area_code", "area_name", "level", "layout", "class", "suppressed"]].merge(
        b[["area_code", "class", "suppressed"]], on="area_code", how="outer", suffixes=("_from", "_to"))
    sup = m["suppressed_from"].fillna(False).astype(bool) | m["suppressed_to"].fillna(False).astype(bool)
    f, t = m["class_from"], m["class_to"]
    known = f.notna() & t.notna() & ~sup
    trans = np.select([known & (f != focus) & (t == focus), known & (f == focus) & (t != focus),
                       known & (f == focus) & (t == focus), known],
                      ["entered", "left", "stayed", "other"], default="")
    out = pd.DataFrame({"area_code": m["area_code"].astype(str), "area_name": m["area_name"],
                        "level": m["level"], "layout": m["layout"]})
    out["class"] = pd.Series(trans, index=m.index).replace("", None)
    out["class_from"] = f.where(~sup)
    out["class_to"] = t.where(~sup)
    out["value"] = np.nan
    out["suppressed"] = sup
    rows = transitions_table()
    fill = {lang: getattr(cat, f"label_{lang}") or cat.label_en or cat.value for lang in ("nl", "fr", "en")}
    counts = out.loc[~out["suppressed"], "class"].value_counts()
    classes = {
        "scheme": "transitions", "k": len(rows), "edges": [],
        "categories": [r["transition"] for r in rows], "colours": [r["colour"] for r in rows],
        **{f"labels_{lang}": [r[f"label_{lang}"].format(**{"class": fill[lang]}) for r in rows]
           for lang in ("nl", "fr", "en")},
        "counts": [int(counts.get(r["transition"], 0)) for r in rows],
        "focus": focus,
        "focus_options": [{"value": c.value, "label_nl": c.label_nl, "label_en": c.label_en,
                           "label_fr": c.label_fr} for c in cats],
        "method_nl": "overgangen tussen twee perioden", "method_en": "transitions between two periods",
        "method_fr": "transitions entre deux périodes",
        "neutral": None, "palette": None, "cb_safe": None,
        "method_label_nl": "overgangen", "method_label_en": "transitions", "notes": [],
    }
    return out, classes
