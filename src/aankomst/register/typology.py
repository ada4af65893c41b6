"""Arrival-neighbourhood typology: the rules of ``data/typology_rules.csv`` applied to the
published input indicators (:func:`~aankomst.register.features.arrival_features`).

Rule table columns: ``class, priority, combine (all|any), indicator, op (< <= > >= ==),
threshold, rationale`` (``label_nl``, ``label_en`` optional: labels come from
``data/typology_classes.csv``). Classes are tried by increasing ``priority``; the first class
whose criteria hold (all of them, or any for ``combine = any``) is the area's class; a class
with no criteria (``not_arrival``) is the fallback. Thresholds are in the units of the published
indicators (shares in %). Every area gets an explanation listing the criteria of its class with
the area's values (``first_entry_share 72.1 >= 60``), and for the fallback the first failing
criterion of each arrival class.

The typology sees only published values. A criterion whose value is withheld under the
small-cell rule can be neither true nor false: when the first class that does not fail depends
on such a value, the area is :data:`UNDECIDED` (too small to classify), so that no class
reveals anything about a withheld figure. A value that is missing altogether (the input has no
figure for the area, e.g. no register data there) fails its criterion (``n/a``).
Thresholds are data: pass ``rules=`` (a path or DataFrame) or
``overrides={"gateway.first_entry_share": 70}``.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import InputError, MissingInputError
from aankomst.indicators.result import Computed
from aankomst.paths import package_data
from aankomst.register.features import FEATURES, PERCENT_FEATURES, suppressed_flags

OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}

UNDECIDED = "too_small"
"""Class of areas whose class would depend on a value withheld under the small-cell rule."""

LEVELS: tuple[str, ...] = ("neighbourhood", "sector", "deelgemeente", "brussels_neighbourhood")
"""Levels the typology is defined for (areas inside a city)."""

TABLE_COLUMNS: tuple[str, ...] = ("area_code", "area_name", "area_name_fr", "level", "layout",
                                  "period", "class", "class_label_nl", "class_label_en",
                                  "class_label_fr", "explanation")
"""Columns of :func:`typology`; the feature values follow (as published: empty where
suppressed), in the order of :data:`~aankomst.register.features.FEATURES`."""


def class_table() -> pd.DataFrame:
    """The classes (``data/typology_classes.csv``): ``class, order, value, label_nl, label_en,
    label_fr, colour, source``; ``value`` is the numeric value of the class on maps (empty for
    too small).

    Examples
    --------
    >>> float(class_table().set_index("class").loc["gateway", "value"])
    4.0
    """
    df = pd.read_csv(package_data("typology_classes.csv"), dtype=str, keep_default_na=False)
    df["value"] = pd.to_numeric(df["value"].replace("", np.nan), errors="coerce")
    df["order"] = df["order"].astype(int)
    return df.sort_values("order").reset_index(drop=True)


def categories() -> tuple[Any, ...]:
    """The classes of the typology in map order (``data/typology_classes.csv``): value, labels
    nl/en/fr and colour, as :class:`~aankomst.indicators.spec.Category`.

    Examples
    --------
    >>> [c.value for c in categories()][:2]
    ['gateway', 'gateway_secondary']
    """
    from aankomst.indicators.spec import Category

    return tuple(Category(r["class"], r["label_nl"], r["label_en"], r["label_fr"], r["colour"],
                          int(r["order"])) for _, r in class_table().iterrows())


def _labels(rules: pd.DataFrame) -> dict[str, dict[str, str]]:
    """``class -> {nl, en, fr}``: the class table, then the rule table's own label columns (for
    classes of a custom table), then the class id."""
    out: dict[str, dict[str, str]] = {}
    ct = class_table()
    for cls, nl, en, fr in zip(ct["class"], ct["label_nl"], ct["label_en"], ct["label_fr"]):
        out[str(cls)] = {"nl": str(nl), "en": str(en), "fr": str(fr)}
    for cls, grp in rules.groupby("class", sort=False):
        if cls in out:
            continue
        first = grp.iloc[0]
        nl = str(first.get("label_nl") or cls)
        en = str(first.get("label_en") or nl)
        out[str(cls)] = {"nl": nl, "en": en, "fr": str(first.get("label_fr") or en)}
    return out


def load_rules(rules: str | Path | pd.DataFrame | None = None,
               overrides: dict[str, float] | None = None) -> pd.DataFrame:
    """Read and check the rule table (default: the packaged ``typology_rules.csv``).

    Parameters
    ----------
    rules
        A CSV path or a DataFrame.
    overrides
        ``{"class.indicator": threshold}``, e.g. ``{"gateway.first_entry_share": 70}``.

    Returns
    -------
    pandas.DataFrame
        The rules sorted by priority, ``threshold`` numeric.

    Raises
    ------
    InputError
        Missing columns, an unknown feature, operator or combine mode, an override naming no
        rule, or a share threshold given as a fraction (shares are in %: 60, not 0.6).
    """
    path = "typology_rules.csv (DataFrame)"
    if isinstance(rules, pd.DataFrame):
        df = rules.copy()
    else:
        path = str(rules or package_data("typology_rules.csv"))
        df = pd.read_csv(path, dtype={"indicator": str, "op": str}, keep_default_na=False)
    need = ["class", "priority", "combine", "indicator", "op", "threshold"]
    miss = [c for c in need if c not in df.columns]
    if miss:
        raise InputError(path, f"missing columns {miss}", row=1, column=miss[0],
                         expected=f"columns {need}")
    for i, r in df.iterrows():
        row = int(str(i)) + 2
        if r["indicator"] and r["op"] not in OPS:
            raise InputError(path, f"operator {r['op']!r} is unknown", row=row, column="op",
                             expected="one of < <= > >= ==")
        if r["combine"] not in ("all", "any"):
            raise InputError(path, f"combine {r['combine']!r} is unknown", row=row,
                             column="combine", expected="all or any")
        if r["indicator"] and r["indicator"] not in FEATURES:
            raise InputError(path, f"indicator {r['indicator']!r} is not a typology feature",
                             row=row, column="indicator", expected=f"one of {', '.join(FEATURES)}")
    df["threshold"] = pd.to_numeric(df["threshold"].replace("", np.nan), errors="coerce")
    for key, val in (overrides or {}).items():
        cls, _, ind = key.partition(".")
        m = (df["class"] == cls) & (df["indicator"] == ind)
        if not m.any():
            raise InputError(path, f"no rule {key!r} to override", column="indicator",
                             expected="class.indicator as in the rule table, e.g. "
                             "gateway.first_entry_share")
        df.loc[m, "threshold"] = float(val)
    share = df["indicator"].isin(PERCENT_FEATURES) & df["threshold"].between(0, 1,
                                                                           inclusive="neither")
    if share.any():
        r = df[share].iloc[0]
        raise InputError(path, f"threshold {r['threshold']:g} of {r['class']}.{r['indicator']} "
                         "looks like a fraction", column="threshold",
                         expected=f"a share in % (e.g. {100 * r['threshold']:g} for "
                         f"{r['threshold']:g}), as the indicator {r['indicator']} is published")
    return df.sort_values(["priority"], kind="stable").reset_index(drop=True)


def _fmt(v: float, suppressed: bool) -> str:
    """A feature value for an explanation (``suppressed (small-cell rule)``, ``n/a``)."""
    if suppressed:
        return "suppressed (small-cell rule)"
    if v is None or not np.isfinite(v):
        return "n/a"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


@dataclass
class _Criterion:
    """One rule evaluated on every area: texts, and whether it holds / is unknown."""

    texts: list[str]
    held: np.ndarray
    unknown: np.ndarray
    negated: list[str] = field(default_factory=list)


def _criterion(features: pd.DataFrame, ind: str, op: str, thr: float) -> _Criterion:
    if ind not in features:
        raise InputError("typology_rules.csv", f"the feature table has no column {ind!r}",
                         column="indicator", expected="a feature the table was computed with "
                         "(arrival_features(..., features=[...]))")
    v = pd.to_numeric(features[ind], errors="coerce").to_numpy(float)
    sup = suppressed_flags(features, ind) & np.isnan(v)
    with np.errstate(invalid="ignore"):
        held = OPS[op](v, thr) & ~np.isnan(v)
    texts = [f"{ind} {_fmt(x, s)} {op} {thr:g}" for x, s in zip(v, sup)]
    negated = [f"{ind} {_fmt(x, s)} not {op} {thr:g}" for x, s in zip(v, sup)]
    return _Criterion(texts, held, sup, negated)


def classify(features: pd.DataFrame, rules: pd.DataFrame | None = None) -> pd.DataFrame:
    """Classify every row of ``features`` (feature columns, optional ``<feature>_suppressed``).

    Returns
    -------
    pandas.DataFrame
        ``features`` with ``class``, ``class_label_nl``, ``class_label_en``, ``class_label_fr``
        and ``explanation``.

    Raises
    ------
    InputError
        A rule naming a feature that ``features`` lacks.

    Examples
    --------
    >>> f = pd.DataFrame({name: [0.0] for name in FEATURES}).assign(
    ...     population=5000.0, newcomers_foreign=400.0, newcomer_concentration=2.3,
    ...     first_entry_share=79.0, internal_balance_foreign=-12.0)
    >>> classify(f)["explanation"].iloc[0]
    'gateway: newcomer_concentration 2.3 >= 1.5; first_entry_share 79 >= 60; internal_balance_foreign -12 < 0'
    """
    rules = load_rules() if rules is None else rules
    labels = _labels(rules)
    out = features.copy().reset_index(drop=True)
    n = len(out)
    assigned: list[str | None] = [None] * n
    expl = [""] * n
    fails: list[list[str]] = [[] for _ in range(n)]
    order = sorted(((int(g["priority"].iloc[0]), str(c), g)
                    for c, g in rules.groupby("class", sort=False)), key=lambda t: t[0])
    for _prio, cls, grp in order:
        crit = grp[grp["indicator"].astype(str) != ""]
        if crit.empty:  # the fallback class
            for i in range(n):
                if assigned[i] is None:
                    assigned[i] = cls
                    why = "; ".join(fails[i]) if fails[i] else "no criteria"
                    expl[i] = f"{labels[cls]['en']}: no arrival class holds ({why})"
            continue
        cs = [_criterion(out, str(r.indicator), str(r.op), float(r.threshold))
              for r in crit.itertuples(index=False)]
        held = np.array([c.held for c in cs])
        unknown = np.array([c.unknown for c in cs])
        failed = ~held & ~unknown
        true: np.ndarray
        false: np.ndarray
        if grp["combine"].iloc[0] == "all":
            true, false = np.all(held, axis=0), np.any(failed, axis=0)
        else:
            true, false = np.any(held, axis=0), np.all(failed, axis=0)
        for i in range(n):
            if assigned[i] is not None:
                continue
            if true[i]:
                assigned[i] = cls
                expl[i] = f"{labels[cls]['en']}: " + "; ".join(
                    c.texts[i] for c in cs if c.held[i])
            elif not false[i]:  # depends on a withheld value
                assigned[i] = UNDECIDED
                withheld = "; ".join(c.texts[i] for c in cs if c.unknown[i])
                what = "" if cls == UNDECIDED else f"{cls} cannot be decided: "
                expl[i] = (f"{labels.get(UNDECIDED, {'en': UNDECIDED})['en']}: {what}{withheld} "
                           "(withheld under the small-cell rule)")
            elif grp["combine"].iloc[0] == "all":
                first = next(c.negated[i] for c in cs if not c.held[i] and not c.unknown[i])
                fails[i].append(f"{cls}: {first}")
    out["class"] = assigned
    for lang in ("nl", "en", "fr"):
        out[f"class_label_{lang}"] = [labels.get(str(c), {}).get(lang, c) for c in assigned]
    out["explanation"] = expl
    return out


def classify_areas(atlas: Any, *, level: str = "neighbourhood", period: Any = "2016-2020",
                   window: int = 5, layout: str | None = None,
                   rules: str | Path | pd.DataFrame | None = None,
                   overrides: dict[str, float] | None = None) -> Computed:
    """The typology of every area of a level, with the provenance of its inputs.

    Parameters
    ----------
    atlas
        An open atlas.
    level
        One of :data:`LEVELS` (``level@layout`` accepted).
    period, window
        Window ``'Y0-Y1'`` or its end year with ``window`` years (default 5).
    layout
        Layout of the level (default: current, or the newest one the inputs compute for).
    rules, overrides
        Rule table and threshold overrides (:func:`load_rules`).

    Returns
    -------
    Computed
        ``values`` with :data:`TABLE_COLUMNS` and the features (one row per area with a
        population figure, sorted by code); load ids, reference periods, sources and ``restricted`` of the
        input indicators.

    Raises
    ------
    MissingInputError
        When an input indicator does not compute for the window (the message names it).
    InputError
        A bad rule table or override.
    """
    from aankomst.register.features import arrival_features

    table = load_rules(rules, overrides)
    used = [f for f in table["indicator"].astype(str).unique() if f]
    feats = arrival_features(atlas, level=level, period=period, window=window, layout=layout,
                             features=used)
    res = classify(feats.values, table)
    cols = [*TABLE_COLUMNS, *(f for f in FEATURES if f in res.columns)]
    feats.values = res.loc[:, cols].sort_values("area_code").reset_index(drop=True)
    return feats


def typology(atlas: Any, *, level: str = "neighbourhood", period: Any = "2016-2020",
             window: int = 5, layout: str | None = None,
             rules: str | Path | pd.DataFrame | None = None,
             overrides: dict[str, float] | None = None) -> pd.DataFrame:
    """Typology table for ``level`` and ``period`` (:data:`TABLE_COLUMNS` and features); see
    :func:`classify_areas` for the parameters and errors."""
    return classify_areas(atlas, level=level, period=period, window=window, layout=layout,
                          rules=rules, overrides=overrides).values


@dataclass
class StoredTypology:
    """What :func:`store_typology` stored: rows, period, levels, and levels left out (why)."""

    rows: int
    period: str
    levels: list[str]
    skipped: dict[str, str]


def store_typology(atlas: Any, *, source_id: str = "register/typology",
                   levels: tuple[str, ...] | None = None, period: str | None = None,
                   window: int = 5) -> StoredTypology:
    """Compute the typology and store it as measure ``arrival_typology`` (``scheme =
    'arrival_typology'``, ``grp`` = class, value 1, ``privacy='restricted'``).

    Parameters
    ----------
    atlas
        An open, writable atlas.
    source_id
        Provenance id of the stored batch (replaced when loaded again).
    levels
        Levels to classify (default: every level of :data:`LEVELS` the flows reach). A level
        for which the typology does not offer ``period`` is left out and named in ``skipped``.
    period, window
        Window (default: the last ``window`` years with flows).

    Returns
    -------
    StoredTypology
        Rows stored, the period, the levels classified and those left out with the reason.

    Raises
    ------
    MissingInputError
        No flows in the atlas (no period to classify), or no level offers the period.
    """
    from aankomst.indicators import available_periods
    from aankomst.store.batch import LoadBatch

    y = atlas.query("SELECT max(year) AS y FROM flows")["y"].iloc[0]
    if period is None:
        if pd.isna(y):
            raise MissingInputError("arrival_typology", "flows (moves) to classify areas",
                                    fix="load a register extract: aankomst register load DIR")
        period = f"{int(y) - window + 1}-{int(y)}" if window > 1 else str(int(y))
    have = set(atlas.query("SELECT DISTINCT dest_level AS l FROM flows WHERE dest_kind = 'area'")["l"])
    todo = levels or tuple(lv for lv in LEVELS if lv in have)
    frames, done, skipped = [], [], {}
    for lv in todo:
        offered = available_periods(atlas, "arrival_typology", level=lv, window=window)
        if period not in offered:
            skipped[lv] = (f"period {period} not offered (its input indicators compute for "
                           f"{', '.join(offered) if offered else 'no window'})")
            continue
        t = typology(atlas, level=lv, period=period, window=window)
        done.append(lv)
        frames.append(pd.DataFrame({"level": lv, "layout": t["layout"], "code": t["area_code"],
                                    "measure": "arrival_typology", "period": period,
                                    "scheme": "arrival_typology", "grp": t["class"],
                                    "value": 1.0, "unit": "class"}))
    if not frames:
        raise MissingInputError("arrival_typology", f"input indicators for {period} at any of "
                                f"the levels {', '.join(todo)}", fix="; ".join(
                                    f"{k}: {v}" for k, v in skipped.items()))
    me = pd.concat(frames, ignore_index=True)
    defs = pd.DataFrame([("arrival_typology", "Type aankomstgebied", "Arrival-area type",
                          "class of the arrival typology (docs/typology.md); grp = class",
                          "class", None)],
                        columns=["measure", "label_nl", "label_en", "definition", "unit",
                                 "higher_is"])
    have_def = atlas.query(
        "SELECT measure FROM measure_defs WHERE measure = 'arrival_typology' AND load_id NOT IN "
        "(SELECT load_id FROM provenance WHERE source_id = ?)", [source_id])
    tables = {"measures": me, "measure_defs": defs.iloc[0:0] if len(have_def) else defs}
    atlas.load([LoadBatch(source_id=source_id, family="register_typology",
                          path="typology_rules.csv",
                          sha256=hashlib.sha256(me.to_csv().encode()).hexdigest(), tables=tables,
                          title=f"Arrival typology {period}", privacy="restricted",
                          rows_read=len(me))])
    return StoredTypology(len(me), period, done, skipped)
