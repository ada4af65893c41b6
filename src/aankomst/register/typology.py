"""Arrival-neighbourhood typology: rules from ``data/typology_rules.csv`` applied to
:func:`~aankomst.register.features.arrival_features`.

Rule table columns: ``class, priority, combine (all|any), indicator, op (< <= > >= ==),
threshold, label_nl, label_en, rationale``. Classes are tried by increasing ``priority``; the
first class whose criteria hold (all of them, or any for ``combine = any``) is the area's class;
a class with no criteria (``not_arrival``) is the fallback. Every area gets an explanation that
lists the criteria of its class with the area's values (``first_entry_share 0.72 >= 0.6``), and
for the fallback the first failing criterion of each arrival class. Values resting on a count of
1–4 persons are shown as ``suppressed`` (small-cell rule) — the class itself uses exact values.
Thresholds are data: pass ``rules=`` (a path or DataFrame) or ``overrides={"gateway.first_entry_share": 0.7}``.
"""

from __future__ import annotations

import operator
from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.errors import InputError

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


def load_rules(rules: str | Path | pd.DataFrame | None = None, overrides: dict[str, float] | None = None) -> pd.DataFrame:
    """Read and check the rule table (default: the packaged ``typology_rules.csv``)."""
    from aankomst.paths import package_data

    path = "typology_rules.csv (DataFrame)"
    if isinstance(rules, pd.DataFrame):
        df = rules.copy()
    else:
        path = str(rules or package_data("typology_rules.csv"))
        df = pd.read_csv(path, dtype={"indicator": str, "op": str}, keep_default_na=False)
    need = ["class", "priority", "combine", "indicator", "op", "threshold", "label_nl", "label_en"]
    miss = [c for c in need if c not in df.columns]
    if miss:
        raise InputError(path, f"missing columns {miss}", row=1, column=miss[0], expected=f"columns {need}")
    for i, r in df.iterrows():
        if r["indicator"] and r["op"] not in OPS:
            raise InputError(path, f"operator {r['op']!r} is unknown", row=int(i) + 2, column="op",
                             expected="one of < <= > >= ==")
        if r["combine"] not in ("all", "any"):
            raise InputError(path, f"combine {r['combine']!r} is unknown", row=int(i) + 2, column="combine",
                             expected="all or any")
    df["threshold"] = pd.to_numeric(df["threshold"].replace("", np.nan), errors="coerce")
    for key, val in (overrides or {}).items():
        cls, ind = key.split(".", 1)
        m = (df["class"] == cls) & (df["indicator"] == ind)
        if not m.any():
            raise InputError(path, f"no rule {key!r} to override", column="indicator",
                             expected="class.indicator as in the rule table")
        df.loc[m, "threshold"] = float(val)
    return df.sort_values(["priority"], kind="stable").reset_index(drop=True)


def _fmt(v: float, n: float, threshold: int) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "n/a"
    if n is not None and np.isfinite(n) and 1 <= n < threshold:
        return "suppressed (<%d)" % threshold
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def classify(features: pd.DataFrame, rules: pd.DataFrame | None = None, *, threshold: int = 5) -> pd.DataFrame:
    """Classify every row of ``features``; adds ``class``, ``class_label_nl``, ``class_label_en``,
    ``explanation`` and ``criteria`` (a list of (indicator, op, threshold, value, held))."""
    rules = load_rules() if rules is None else rules
    out = features.copy()
    classes = []
    for cls, grp in rules.groupby("class", sort=False):
        classes.append((int(grp["priority"].iloc[0]), cls, grp))
    classes.sort(key=lambda t: t[0])
    n = len(out)
    assigned = np.array([None] * n, dtype=object)
    expl = [""] * n
    fails: list[list[str]] = [[] for _ in range(n)]
    for _prio, cls, grp in classes:
        crit = grp[grp["indicator"].astype(str) != ""]
        combine = grp["combine"].iloc[0]
        if crit.empty:
            for i in range(n):
                if assigned[i] is None:
                    assigned[i] = cls
                    why = "; ".join(fails[i]) if fails[i] else "no criteria"
                    expl[i] = f"{grp['label_en'].iloc[0]}: no arrival class holds ({why})"
            continue
        held = []
        for _, r in crit.iterrows():
            ind = r["indicator"]
            if ind not in out:
                raise InputError("typology_rules.csv", f"indicator {ind!r} is not a feature", column="indicator",
                                 expected=f"one of {sorted(c for c in out.columns if not c.endswith('_n'))}")
            v = pd.to_numeric(out[ind], errors="coerce").to_numpy(float)
            with np.errstate(invalid="ignore"):
                h = OPS[r["op"]](v, r["threshold"]) & ~np.isnan(v)
            held.append((r, v, h))
        ok = np.all([h for _, _, h in held], axis=0) if combine == "all" else np.any([h for _, _, h in held], axis=0)
        for i in range(n):
            if assigned[i] is not None:
                continue
            parts = []
            for r, v, h in held:
                nn = out[f"{r['indicator']}_n"].iloc[i] if f"{r['indicator']}_n" in out else np.nan
                txt = f"{r['indicator']} {_fmt(v[i], nn, threshold)} {r['op']} {r['threshold']:g}"
                if ok[i] and (combine == "all" or h[i]):
                    parts.append(txt)
                elif not h[i] and not ok[i]:
                    parts.append(txt.replace(f" {r['op']} ", f" not {r['op']} "))
            if ok[i]:
                assigned[i] = cls
                expl[i] = f"{grp['label_en'].iloc[0]}: " + "; ".join(parts)
            elif combine == "all" and not cls.startswith("too_"):
                fails[i].append(f"{cls}: {parts[0]}" if parts else cls)
    labels = rules.drop_duplicates("class").set_index("class")
    out["class"] = assigned
    out["class_label_nl"] = out["class"].map(labels["label_nl"])
    out["class_label_en"] = out["class"].map(labels["label_en"])
    out["explanation"] = expl
    return out


def typology(atlas, *, level: str = "neighbourhood", period: str = "2016-2020", layout: str | None = None,
             rules: str | Path | pd.DataFrame | None = None, overrides: dict[str, float] | None = None) -> pd.DataFrame:
    """Typology table for ``level`` and ``period``: ``area_code, area_name, level, layout, period,
    class, class_label_nl, class_label_en, explanation`` and the feature values."""
    from aankomst.register.features import arrival_features

    thr = int(atlas.setting("small_cell_threshold", "5") or 5)
    feats = arrival_features(atlas, level=level, period=period, layout=layout)
    res = classify(feats, load_rules(rules, overrides), threshold=thr)
    names = atlas.query("SELECT code, coalesce(name_nl, name_fr, code) AS area_name FROM areas WHERE level = ? AND layout = ?",
                        [level, res["layout"].iloc[0] if len(res) else ""])
    res = res.rename(columns={"code": "area_code"})
    res.insert(1, "area_name", res["area_code"].map(names.set_index("code")["area_name"]).fillna(res["area_code"]))
    keep = ["area_code", "area_name", "level", "layout", "period", "class", "class_label_nl", "class_label_en",
            "explanation", "population", "newcomers_foreign", "newcomer_concentration", "first_entry_share",
            "external_balance_foreign", "external_balance_belgian", "internal_balance_foreign",
            "internal_balance_belgian", "residential_mobility", "residential_mobility_ratio", "share_new_residents_5y"]
    out = res[[c for c in keep if c in res.columns]].copy()
    # small-cell rule on the published feature values
    for col in ("newcomer_concentration", "first_entry_share", "share_new_residents_5y", "residential_mobility_ratio",
                "newcomers_foreign", "population"):
        ncol = f"{col}_n"
        if ncol in res:
            nn = pd.to_numeric(res[ncol], errors="coerce")
            out.loc[(nn >= 1) & (nn < thr), col] = np.nan
    return out.sort_values("area_code").reset_index(drop=True)


def store_typology(atlas, *, source_id: str = "register/typology", levels: tuple[str, ...] | None = None,
                   period: str | None = None) -> int:
    """Compute the typology for every level with flows (sub-municipal and municipal) over the last
    five simulated years and store it as measure ``arrival_typology`` (``scheme = 'arrival_typology'``,
    ``grp`` = class, value 1) with ``privacy='restricted'``. Returns the number of rows stored."""
    from aankomst.sources.base import LoadBatch

    have = atlas.query("SELECT DISTINCT dest_level AS l FROM flows WHERE dest_kind = 'area'")["l"].tolist()
    levels = levels or tuple(lv for lv in ("sector", "neighbourhood", "municipality", "brussels_neighbourhood") if lv in have)
    if period is None:
        y = atlas.query("SELECT max(year) AS y FROM flows")["y"].iloc[0]
        period = f"{int(y) - 4}-{int(y)}"
    rows = []
    for lv in levels:
        t = typology(atlas, level=lv, period=period)
        rows.append(pd.DataFrame({"level": lv, "layout": t["layout"], "code": t["area_code"], "measure": "arrival_typology",
                                  "period": period, "scheme": "arrival_typology", "grp": t["class"], "value": 1.0,
                                  "unit": "class"}))
    if not rows:
        return 0
    me = pd.concat(rows, ignore_index=True)
    import hashlib

    defs = pd.DataFrame([("arrival_typology", "Type aankomstgebied", "Arrival-area type",
                          "class of the arrival typology (docs/typology.md); grp = class", "class", None)],
                        columns=["measure", "label_nl", "label_en", "definition", "unit", "higher_is"])
    have_def = atlas.query("SELECT measure FROM measure_defs WHERE measure = 'arrival_typology' AND load_id NOT IN "
                           "(SELECT load_id FROM provenance WHERE source_id = ?)", [source_id])
    tables = {"measures": me, "measure_defs": defs.iloc[0:0] if len(have_def) else defs}
    atlas.load([LoadBatch(source_id=source_id, family="register_typology", path="typology_rules.csv",
                          sha256=hashlib.sha256(me.to_csv().encode()).hexdigest(), tables=tables,
                          title=f"Arrival typology {period}", privacy="restricted", rows_read=len(me))])
    return len(me)
