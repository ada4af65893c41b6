"""Population counts, flows and measures re-expressed on a target level (see ``_store``)."""

from __future__ import annotations

from collections import OrderedDict

from datetime import date
from typing import Any

import pandas as pd

from aankomst.errors import MissingInputError
from aankomst.indicators import groups as G
from aankomst.indicators._store import FINENESS, Node, Store, Trace
from aankomst.store.hierarchy import atlas_version

COMPLETE_SCHEMES = ("nationality", "country")
"""Schemes whose groups add up to the total population (a total can be derived from them)."""


def _complete_countries(s: Store, df: pd.DataFrame, params: list[Any],
                        trace: Trace | None) -> pd.DataFrame:
    """Keep areas whose counts by country add up to their total population (same file, level
    and date): groups derived from a partial country list (e.g. only the largest nationalities)
    would be too small. Areas without a total in the same file are kept, with a note."""
    load_id, level, layout, ref = params[:4]
    tot = s.q(
        "SELECT code, scheme, grp, sum(count)::DOUBLE AS n FROM population WHERE load_id = ? AND "
        "level = ? AND layout = ? AND ref_date = ? AND scheme IN ('total', 'nationality') "
        "AND sex = 'T' AND age_band = 'total' GROUP BY ALL",
        [load_id, level, layout, ref],
    )
    t = tot[tot["scheme"] == "total"].groupby("code")["n"].sum()
    nat = tot[tot["scheme"] == "nationality"].pivot_table(index="code", columns="grp", values="n")
    if {"BEL", "ETR"} <= set(nat.columns):
        t = t.combine_first((nat["BEL"] + nat["ETR"]).dropna())
    sums = df.groupby("code")["count"].sum()
    known = sums.index.intersection(t.index)
    bad = set(known[(sums[known] - t[known]).abs() > 0.5])
    if trace is not None:
        if bad:
            trace.notes.append(f"{len(bad)} area(s) left out: their counts by country do not add "
                               "up to their population (a partial list of nationalities)")
        if len(sums.index.difference(t.index)):
            trace.notes.append("counts by country without a total in the same file: "
                               "completeness not verified")
    return df[~df["code"].isin(bad)]


def _units_per_target(s: Store, codes: pd.Series, src: Node, target: Node) -> pd.DataFrame:
    """Number of source units of a file contributing to each target unit."""
    codes = pd.Series(pd.unique(codes.astype(str)), name="code")
    if src == target:
        return pd.DataFrame({"code": codes, "_units": 1})
    m = s.code_map(src, target)
    if m is None:  # callers ask only after apply_map found a chain of crosswalks
        raise MissingInputError("population counts", f"crosswalks from {src[0]}@{src[1]} to {target[0]}@{target[1]}")
    sub = m[m["code"].isin(codes)]
    out = sub.groupby("to_code")["code"].nunique().rename("_units").reset_index()
    return out.rename(columns={"to_code": "code"})


def _candidates(s: Store, ref: date, schemes: list[str]) -> pd.DataFrame:
    """Files (load, level, layout, scheme) with counts on ``ref``, with whether each holds sex
    totals (``has_t``) and age totals (``has_total``): one query for every candidate."""
    return s.q(
        "SELECT load_id, level, layout, scheme, count(DISTINCT code) AS n, "
        "bool_or(sex = 'T') AS has_t, bool_or(age_band = 'total') AS has_total FROM population "
        "WHERE ref_date = ? AND scheme IN (SELECT unnest(?)) GROUP BY ALL ORDER BY ALL",
        [ref, schemes],
    )


def _marginal_condition(has_t: bool, has_total: bool) -> str:
    """SQL condition selecting sex/age totals (or all bands when a file has no total rows)."""
    cond = (["sex = 'T'"] if has_t else []) + (["age_band = 'total'"] if has_total else [])
    return (" AND " + " AND ".join(cond)) if cond else ""


_MEMO: OrderedDict[tuple[Any, ...], tuple[pd.DataFrame, set[int], bool, list[str]]] = OrderedDict()
_MEMO_SIZE = 128


def population_counts(
    s: Store,
    target: Node,
    ref: date,
    scheme: str = "total",
    *,
    indicator: str,
    trace: Trace | None = None,
    required: bool = True,
    prefer: set[int] | None = None,
) -> pd.DataFrame:
    """Counts ``code, grp, count`` of ``scheme`` on the target level/layout at date ``ref``.

    ``prefer``: load ids to use first wherever they reach an area (e.g. the file of a share's
    numerator for its denominator, so that both come from one source).

    ``scheme='total'`` gives one group ``total`` (stored, or the sum of a complete scheme).
    Schemes in :data:`aankomst.indicators.groups.DERIVED_SCHEMES` are derived from counts by
    country when the atlas does not store them directly (EU schemes use EU membership on
    ``ref``).

    Answers are memoised per atlas version (:func:`~aankomst.store.hierarchy.atlas_version`),
    so the stocks, shares and changes of one view read each file once.

    Raises
    ------
    MissingInputError
        When no stored counts reach the target level (``required``), naming scheme and date.
    """
    key = (atlas_version(s.atlas), target, ref, scheme, tuple(sorted(prefer or ())), required)
    hit = _MEMO.get(key)
    if hit is None:
        hit = _population_counts(s, target, ref, scheme, indicator=indicator, required=required,
                                 prefer=prefer)
        _MEMO[key] = hit
        if len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    else:
        _MEMO.move_to_end(key)
    out, load_ids, split, notes = hit
    if trace is not None:
        trace.notes += notes
        if len(out):
            trace.load_ids |= load_ids
            trace.add_period(ref.isoformat())
            trace.split = trace.split or split
    return out.copy()


def _population_counts(
    s: Store, target: Node, ref: date, scheme: str, *, indicator: str, required: bool,
    prefer: set[int] | None,
) -> tuple[pd.DataFrame, set[int], bool, list[str]]:
    """:func:`population_counts` without the memo: ``(counts, load ids, split, notes)``."""
    checks = Trace()  # notes of the completeness checks, kept with the memoised answer
    sources: list[tuple[str, str]] = [(scheme, "direct")]
    if scheme == "total":
        sources += [(c, "sum") for c in COMPLETE_SCHEMES]
    elif scheme in G.DERIVED_SCHEMES:
        sources.append(("country", "derive"))
    cands = _candidates(s, ref, [x[0] for x in sources])
    how = dict(sources)
    frames = []
    incomplete = False
    # candidates in the order of the choice below (preferred file, then fewest crosswalk steps):
    # once the candidates of one such class cover every area of the target, no later class can
    # win an area, so they are not read at all
    order: list[tuple[tuple[int, int], Any]] = []
    for row in cands.itertuples(index=False):
        src: Node = (row.level, row.layout)
        chain = [src] if src == target else s.path(src, target)
        if chain is None:
            continue  # no crosswalk chain from this file's level to the target (e.g. coarser)
        order.append(((0 if prefer and int(row.load_id) in prefer else 1, len(chain) - 1), row))
    order.sort(key=lambda x: x[0])
    want = s.codes(target)
    covered: set[str] = set()
    for n, ((pref, steps), row) in enumerate(order):
        if n and (pref, steps) != order[n - 1][0] and want <= covered:
            break
        src = (row.level, row.layout)
        where = "load_id = ? AND level = ? AND layout = ? AND ref_date = ? AND scheme = ?"
        params = [int(row.load_id), row.level, row.layout, ref, row.scheme]
        flt = _marginal_condition(bool(row.has_t), bool(row.has_total))
        df = s.q(
            f"SELECT code, grp, sum(count)::DOUBLE AS count FROM population WHERE {where}{flt} "
            "GROUP BY code, grp",
            params,
        )
        mode = how[row.scheme]
        if mode == "sum":
            # a total from a breakdown only where the breakdown is complete (has Belgians too)
            complete = set(df.loc[df["grp"] == "BEL", "code"])
            df = df[df["code"].isin(complete)].assign(grp="total")
            if df.empty:
                continue
        elif mode == "derive":
            n0 = df["code"].nunique()
            df = _complete_countries(s, df, params, checks)
            if df["code"].nunique() < n0:
                incomplete = True
            if df.empty:
                continue
            df["grp"] = G.map_countries(df["grp"], scheme, ref).to_numpy()
        sub = Trace()
        mapped = s.apply_map(df, src, target, ["grp"], ["count"], sub)
        if mapped is None or mapped.empty:
            continue
        mapped = mapped.merge(_units_per_target(s, df["code"], src, target), on="code", how="left")
        mapped["_cov"] = int(mapped["_units"].sum() if src == target else df["code"].nunique())
        mapped["_derived"] = 0 if mode == "direct" else 1
        mapped["_steps"] = steps
        mapped["_fine"] = -FINENESS.get(row.level, 0)
        mapped["_load"] = int(row.load_id)
        mapped["_pref"] = pref
        mapped["_cand"] = f"{int(row.load_id)}|{row.scheme}|{row.level}|{row.layout}"
        mapped["_split"] = sub.split
        mapped["_notes"] = "\n".join(sub.notes)
        frames.append(mapped)
        covered |= set(mapped["code"].astype(str))
    if not frames:
        if required:
            what = f"population counts (scheme {scheme!r}"
            if scheme in G.DERIVED_SCHEMES:
                what += ", or counts by country ('country' scheme) to derive it"
            if scheme == "total":
                what += ", or a complete breakdown by nationality or country"
            what += f") reaching level {target[0]} (layout {target[1]})"
            if incomplete:
                what += ("; counts by country exist but do not add up to the population (a "
                         "partial list of nationalities cannot give group totals)")
            raise MissingInputError(
                indicator, what, years=[ref.isoformat()],
                fix="load a population file for that date (aankomst build) or ask another year/level",
            )
        return pd.DataFrame({"code": [], "grp": [], "count": []}), set(), False, checks.notes
    allf = pd.concat(frames, ignore_index=True)
    best = (
        allf.drop_duplicates(["code", "_cand"])
        .sort_values(["_pref", "_steps", "_units", "_cov", "_derived", "_fine", "_load", "_cand"],
                     ascending=[True, True, False, False, True, True, False, True])
        .drop_duplicates("code")[["code", "_cand"]]
    )
    out = allf.merge(best, on=["code", "_cand"])
    load_ids = {int(x) for x in out["_load"].unique()}
    split = bool(out["_split"].any())
    notes = checks.notes + ([str(n) for n in out["_notes"].unique() if n] if split else [])
    out = out.groupby(["code", "grp"], as_index=False)["count"].sum()
    return out, load_ids, split, notes


def group_population(
    s: Store, target: Node, ref: date, scheme: str | None, grp: str | None, *,
    indicator: str, trace: Trace | None = None, prefer: set[int] | None = None,
) -> pd.DataFrame:
    """``code, count`` of one group (``scheme``/``grp``; both None = total population)."""
    if scheme in (None, "total") or grp in (None, "total"):
        df = population_counts(s, target, ref, "total", indicator=indicator, trace=trace,
                               prefer=prefer)
        return df.groupby("code", as_index=False)["count"].sum()
    df = population_counts(s, target, ref, scheme, indicator=indicator, trace=trace, prefer=prefer)
    if scheme in G.schemes() and grp not in G.scheme_groups(scheme):
        from aankomst.errors import UnknownCodeError

        raise UnknownCodeError(f"group of scheme {scheme!r}", grp, known=G.scheme_groups(scheme))
    # areas with data for the scheme but no row for this group have zero persons of it
    allc = pd.DataFrame({"code": sorted(df["code"].unique())})
    sub = df[df["grp"] == grp].groupby("code", as_index=False)["count"].sum()
    return allc.merge(sub, on="code", how="left").fillna({"count": 0.0})


# --------------------------------------------------------------------------- measures
def measure_values(
    s: Store, target: Node, measure: str, period: str, *, scheme: str = "total", grp: str = "total",
    indicator: str, trace: Trace | None = None, aggregate: bool = False, required: bool = True,
) -> pd.DataFrame:
    """``code, value, unit`` of a measure on the target level.

    Non-additive measures (``aggregate=False``: medians, published shares) are only returned
    where stored at the target level/layout; additive ones (totals, counts) are summed along
    crosswalks from the finest level.
    """
    cands = s.q(
        "SELECT load_id, level, layout, any_value(unit) AS unit, count(DISTINCT code) AS n "
        "FROM measures WHERE measure = ? AND period = ? AND scheme = ? AND grp = ? GROUP BY ALL",
        [measure, str(period), scheme, grp],
    )
    frames = []
    for row in cands.itertuples(index=False):
        src: Node = (row.level, row.layout)
        if src != target and not aggregate:
            continue
        df = s.q(
            "SELECT code, avg(value) AS value FROM measures WHERE load_id = ? AND level = ? AND "
            "layout = ? AND measure = ? AND period = ? AND scheme = ? AND grp = ? "
            "AND value IS NOT NULL GROUP BY code",
            [int(row.load_id), row.level, row.layout, measure, str(period), scheme, grp],
        )
        mapped = s.apply_map(df, src, target, [], ["value"], trace)
        if mapped is None or mapped.empty:
            continue
        mapped["unit"] = row.unit
        mapped["_cov"] = mapped["code"].nunique()
        mapped["_steps"] = len(s.path(src, target) or []) - 1
        mapped["_load"] = int(row.load_id)
        mapped["_cand"] = f"{int(row.load_id)}|{row.level}|{row.layout}"
        frames.append(mapped)
    if not frames:
        if required:
            raise MissingInputError(
                indicator,
                f"measure {measure!r} (scheme {scheme!r}, group {grp!r}) at level {target[0]} "
                f"(layout {target[1]})" + ("" if aggregate else ", stored at that level (not additive)"),
                years=[str(period)],
            )
        return pd.DataFrame({"code": [], "value": [], "unit": []})
    allf = pd.concat(frames, ignore_index=True)
    best = (
        allf.drop_duplicates(["code", "_cand"])
        .sort_values(["_steps", "_cov", "_load", "_cand"], ascending=[True, False, False, True])
        .drop_duplicates("code")[["code", "_cand"]]
    )
    out = allf.merge(best, on=["code", "_cand"])
    if trace is not None:
        trace.load_ids |= set(int(x) for x in out["_load"].unique())
        trace.add_period(str(period))
    return out[["code", "value", "unit"]]
