"""Adapters between the web API and the indicator engine, classification and privacy.

The web atlas codes against the contracts of ``docs/architecture.md``:
``aankomst.indicators.catalogue()``, ``aankomst.indicators.compute(atlas, id, level=,
period=, group=, scheme=, **params) -> IndicatorResult(data, meta)`` and
``aankomst.classification.classify(values, scheme, k)``. Where the engine cannot tell the
periods of an indicator (``available_periods`` returns ``None``), :func:`candidate_periods`
lists those of its input tables. Every table that leaves
the server passes :func:`protect` (the small-cell rule), whatever the engine did before.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import AankomstError, UnknownCodeError

CONTRACT_COLUMNS = ("area_code", "area_name", "level", "layout", "period", "group", "value", "unit",
                    "numerator", "denominator", "suppressed")

COUNT_UNITS = {"persons", "person", "count", "personen", "inhabitants", "inwoners", "households"}
"""Units whose value is itself a count of persons (small-cell rule on the value)."""

class EngineUnavailable(AankomstError):
    """A subsystem the web atlas needs (e.g. the indicator engine) is not installed (HTTP 503)."""


# --------------------------------------------------------------------------- catalogue
def catalogue() -> pd.DataFrame:
    """The indicator catalogue (one row per indicator), missing cells as empty text."""
    from aankomst.indicators import catalogue as _cat

    cat = _cat()
    if not isinstance(cat, pd.DataFrame):
        cat = pd.DataFrame(cat)
    return cat.fillna("")


def split_list(text: Any) -> list[str]:
    """Split a catalogue list cell (``a;b``, ``a,b``, ``a|b`` or ``a b``) into items."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    if isinstance(text, (list, tuple)):
        return [str(t) for t in text]
    s = str(text)
    for sep in ("|", ",", " "):
        s = s.replace(sep, ";")
    return [t.strip() for t in s.split(";") if t.strip()]


def indicator_row(cat: pd.DataFrame, ind: str) -> dict[str, Any]:
    """The catalogue row of ``ind`` or :class:`UnknownCodeError` listing the known ids."""
    rows = cat[cat["id"] == ind]
    if rows.empty:
        raise UnknownCodeError(
            "indicator", ind, known=sorted(cat["id"].tolist()),
            hint="GET /api/indicators lists the catalogue",
        )
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in rows.iloc[0].to_dict().items()}


# --------------------------------------------------------------------------- compute
def compute(atlas: Any, ind: str, *, level: str, period: str, group: str | None = None,
            scheme: str | None = None, params: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Compute an indicator through the engine and re-apply the small-cell rule.

    Returns
    -------
    (data, meta)
        ``data`` with the contract columns plus ``suppressed``; ``meta`` as a plain dict.
    """
    from aankomst.indicators import compute as _compute

    kwargs: dict[str, Any] = dict(params or {})
    if group:
        kwargs["group"] = group
    if scheme:
        kwargs["scheme"] = scheme
    res = _compute(atlas, ind, level=level, period=period, **kwargs)
    data = getattr(res, "data", None)
    meta = getattr(res, "meta", None)
    if data is None and isinstance(res, tuple):
        data, meta = res
    meta = as_dict(meta)
    data = protect(atlas, pd.DataFrame(data), unit=str(meta.get("unit") or _first(data, "unit")))
    return data, meta


def as_dict(meta: Any) -> dict[str, Any]:
    """A plain dict from the engine's meta (dict, dataclass or simple object)."""
    import dataclasses

    if meta is None:
        return {}
    if isinstance(meta, dict):
        return dict(meta)
    if dataclasses.is_dataclass(meta):
        return dataclasses.asdict(meta)
    return dict(vars(meta))


def _first(df: Any, col: str) -> str:
    try:
        return str(df[col].iloc[0]) if len(df) else ""
    except Exception:  # noqa: BLE001
        return ""


def threshold(atlas: Any) -> int:
    """The small-cell threshold of the atlas (``settings``; default 5)."""
    from aankomst.privacy import DEFAULT_THRESHOLD

    try:
        return int(atlas.setting("small_cell_threshold", str(DEFAULT_THRESHOLD)))
    except Exception:  # noqa: BLE001 - an atlas without settings uses the default
        return DEFAULT_THRESHOLD


def protect(atlas: Any, df: pd.DataFrame, *, unit: str = "") -> pd.DataFrame:
    """Apply :func:`aankomst.privacy.protect_indicator` (idempotent) to a table leaving the API."""
    from aankomst.privacy import protect_indicator

    if df.empty:
        out = df.copy()
        out["suppressed"] = pd.Series(dtype=bool)
        return out
    # Extra columns: only text passes (labels, explanations); numbers could be counts.
    keep = [c for c in df.columns if c in CONTRACT_COLUMNS or not pd.api.types.is_numeric_dtype(df[c])]
    df = df[keep]
    values = df["value"] if "value" in df.columns else None
    textual = values is not None and not pd.api.types.is_numeric_dtype(values) and \
        pd.to_numeric(values.dropna(), errors="coerce").isna().any()
    if textual:  # a class label: protect on numerator/denominator, keep the label otherwise
        out = protect_indicator(df.drop(columns=["value"]), threshold(atlas))
        out["value"] = values.where(~out["suppressed"].to_numpy(), None)
        return out[list(df.columns) + (["suppressed"] if "suppressed" not in df.columns else [])]
    if values is not None:
        df = df.assign(value=pd.to_numeric(values, errors="coerce"))
    return protect_indicator(df, threshold(atlas), value_is_count=unit.strip().lower() in COUNT_UNITS)


def available_periods(atlas: Any, ind: str, level: str) -> list[str] | None:
    """Periods the engine says an indicator has at a level, or ``None`` if it cannot tell."""
    import aankomst.indicators as mod  # looked up per call (tests stand in their own engine)

    try:
        res = mod.available_periods(atlas, ind, level=level)
    except (AankomstError, TypeError):
        return None
    return [str(p) for p in res] if res is not None else None


def candidate_periods(atlas: Any, inputs: str = "") -> list[str]:
    """Years/periods present in the tables an indicator reads (catalogue ``inputs``), newest last.

    ``population`` -> years of ``population.ref_date``; ``flows`` -> flow years; ``measures(a, b)``
    -> periods of those measures (all measure periods when no names are given). Without a
    recognisable input every year or period of the atlas is a candidate.
    """
    import re

    text = str(inputs or "").lower()
    parts: list[str] = []
    params: list[Any] = []
    if "population" in text:
        parts.append("SELECT DISTINCT strftime(ref_date, '%Y') AS p FROM population")
    if "flows" in text:
        parts.append("SELECT DISTINCT CAST(year AS VARCHAR) AS p FROM flows")
    for m in re.finditer(r"measures(?:\(([^)]*)\))?", text):
        names = [n.strip() for n in (m.group(1) or "").split(",") if re.fullmatch(r"[a-z0-9_]+", n.strip())]
        if names:
            parts.append("SELECT DISTINCT period AS p FROM measures WHERE measure IN (" + ",".join("?" * len(names)) + ")")
            params += names
        else:
            parts.append("SELECT DISTINCT period AS p FROM measures")
    if not parts:
        parts = ["SELECT DISTINCT strftime(ref_date, '%Y') AS p FROM population",
                 "SELECT DISTINCT period AS p FROM measures",
                 "SELECT DISTINCT CAST(year AS VARCHAR) AS p FROM flows"]
    rows = atlas.query(" UNION ".join(parts), params)
    return sorted({str(p) for p in rows["p"].dropna()}, key=lambda p: (p[:4], p))


# --------------------------------------------------------------------------- classification
def schemes() -> list[dict[str, Any]]:
    """Classification schemes offered in the map (``data/class_schemes.csv`` of the engine)."""
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
    """Palettes (id -> kind, cb_safe, labels, colours) from the engine's ``data/palettes.csv``."""
    from aankomst.classification.schemes import palettes as _pal

    rows = _pal()
    return {k: {**v, "cb_safe": str(v.get("cb_safe", "")).lower() in ("true", "1")} for k, v in rows.items()
            if v.get("kind") != "special"}


def _int(v: Any, default: int) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def classify(values: pd.Series, scheme: str, k: int, *, band: float = 0.5, palette: str | None = None,
             limits: list[float] | None = None) -> dict[str, Any]:
    """Class limits, counts, labels and colours for ``values`` (missing/suppressed values are left out).

    Uses :func:`aankomst.classification.classify` (exact natural breaks, quantiles, equal
    intervals, manual limits, diverging change classes).

    Parameters
    ----------
    values
        The values of the map (one per area).
    scheme
        Scheme id (``jenks``, ``quantiles``, ``equal``, ``manual``, ``diverging``).
    k
        Number of classes (``diverging`` uses its own number of classes around the band).
    band
        Half-width of the neutral change class (percentage points for shares).
    palette
        Palette id; default: the scheme's default palette.
    limits
        Upper class limits of the ``manual`` scheme.

    Returns
    -------
    dict
        ``scheme``, ``k``, ``edges`` (k+1 limits, ``null`` for an open end: class i holds
        ``edges[i] < x <= edges[i+1]``, the first class includes its lower limit), ``counts``,
        ``colours``, ``labels_nl``/``labels_en``, ``method_nl``/``method_en``, ``neutral``
        (index of the neutral class of diverging schemes), ``palette``.
    """
    v = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    diverging = scheme in ("diverging", "change", "div")
    empty = {"scheme": scheme, "k": 0, "edges": [], "counts": [], "colours": [], "labels_nl": [],
             "labels_en": [], "method_nl": "", "method_en": "", "neutral": None, "palette": palette}
    if v.size == 0:
        return empty
    from aankomst.classification import classify as _classify

    opts: dict[str, Any] = {}
    if palette:
        opts["palette"] = palette
    if diverging:
        opts["band"] = band
        text = f"diverging:{band}"
    elif scheme == "manual":
        if not limits:
            raise AankomstError("manual classes need limits, e.g. limits=5,10,20")
        text = "manual:" + ",".join(repr(float(x)) for x in limits)
    else:
        text = f"{scheme}:{k}"
    c = _classify(v, text, None, **opts)
    return {
        "scheme": c.scheme, "k": int(c.k), "edges": [_finite(x) for x in c.edges],
        "counts": [int(x) for x in c.counts], "colours": list(c.palette),
        "labels_nl": list(c.labels_nl), "labels_en": list(c.labels_en),
        "method_nl": c.method_nl, "method_en": c.method_en,
        "neutral": None if c.neutral_class is None else int(c.neutral_class),
        "palette": c.palette_id, "notes": list(getattr(c, "notes", []) or []),
    }


def _finite(x: Any) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None
