"""Migration flows re-expressed on a target level (see ``_store`` for the crosswalk rules).

A flow row has an origin and a destination of kind ``area`` (a code at some level/layout),
``abroad`` (code = country), ``belgium`` (elsewhere in Belgium, unspecified) or ``unknown``.
:func:`flow_table` maps area codes to the target level (``o_code``/``d_code``; ``None`` for an
area outside every target unit, e.g. a Walloon municipality when the target is Flemish
neighbourhoods) and, optionally, to further levels (e.g. the city of a neighbourhood, the
reference area of a bilateral balance) as ``o_<name>``/``d_<name>``.

Overlapping target units (area types: a municipality can belong to several, e.g. Antwerpen to
the big cities and to the 13 centre cities) are handled **per unit**: for each target unit a
move is an arrival (destination inside, origin outside), a departure (origin inside,
destination outside) or a move within the unit (both ends inside), and it is counted once per
unit. A move between two municipalities of the same area type is internal to that type. (The
cross product of the origin's and the destination's units, right for a partition, would count
such a move two or three times.) Rows then carry only the unit's own end: the other end's code
is ``None`` ("outside this unit"), its kind and raw code are kept.

Group schemes of flows: stored scheme first; else derived from flows by country of
nationality (EU membership on 1 July of the flow's year); the total is stored ``total`` or the
sum of the nationality or country breakdown.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError
from aankomst.indicators import groups as G
from aankomst.indicators._store import FINENESS, Node, Store, Trace
from aankomst.store.hierarchy import atlas_version

_COLS = ["year", "origin_kind", "origin_level", "origin_layout", "origin_code",
         "dest_kind", "dest_level", "dest_layout", "dest_code", "grp", "count", "load_id"]


_NODE_SQL = ("CASE WHEN origin_kind = 'area' THEN origin_level ELSE dest_level END",
             "CASE WHEN origin_kind = 'area' THEN origin_layout ELSE dest_layout END")


def _fetch(s: Store, y0: int, y1: int, scheme: str, target: Node) -> pd.DataFrame:
    """Flows of one scheme; per loaded file and year only its finest (level, layout) that
    reaches the target is used (files often hold the same moves pre-aggregated at several
    levels: summing them all would count every move several times)."""
    cands = s.q(
        f"SELECT load_id, year, {_NODE_SQL[0]} AS lv, {_NODE_SQL[1]} AS ly, count(*) AS n "
        "FROM flows WHERE year BETWEEN ? AND ? AND scheme = ? "
        "AND (origin_kind = 'area' OR dest_kind = 'area') GROUP BY ALL",
        [y0, y1, scheme],
    )
    frames = []
    for (load_id, year), part in cands.groupby(["load_id", "year"]):
        part = part.assign(fine=[FINENESS.get(str(lv), 0) for lv in part["lv"]])
        for row in part.sort_values(["fine", "n"], ascending=False).itertuples(index=False):
            node = (str(row.lv), str(row.ly))
            if node != target and s.code_map(node, target) is None:
                continue
            frames.append(s.q(
                "SELECT year, origin_kind, origin_level, origin_layout, origin_code, dest_kind, "
                "dest_level, dest_layout, dest_code, grp, sum(count)::DOUBLE AS count, load_id "
                "FROM flows WHERE load_id = ? AND year = ? AND scheme = ? AND ("
                "(origin_kind = 'area' AND origin_level = ? AND origin_layout = ?) OR "
                "(dest_kind = 'area' AND dest_level = ? AND dest_layout = ?)) GROUP BY ALL",
                [int(load_id), int(year), scheme, *node, *node],
            ))
            break
    if not frames:
        return pd.DataFrame(columns=_COLS)
    return pd.concat(frames, ignore_index=True)


def _raw_flows(s: Store, y0: int, y1: int, scheme: str | None, grp: str | None,
               target: Node) -> pd.DataFrame:
    """Flows of one group (or all persons) with ``grp`` set to the asked group."""
    total = scheme in (None, "total") or grp in (None, "total")
    if total:
        for sch in ("total", "nationality", "country"):
            df = _fetch(s, y0, y1, sch, target)
            if not df.empty:
                df["grp"] = "total"
                return df
        return pd.DataFrame(columns=_COLS)
    df = _fetch(s, y0, y1, str(scheme), target)
    if df.empty and scheme in G.DERIVED_SCHEMES:
        df = _fetch(s, y0, y1, "country", target)
        if not df.empty:
            mapped = []
            for y, part in df.groupby("year"):
                part = part.copy()
                part["grp"] = G.map_countries(part["grp"], scheme, date(int(y), 7, 1)).to_numpy()
                mapped.append(part)
            df = pd.concat(mapped, ignore_index=True)
    if not df.empty and scheme in G.schemes() and grp not in G.scheme_groups(scheme):
        from aankomst.errors import UnknownCodeError

        raise UnknownCodeError(f"group of scheme {scheme!r}", grp, known=G.scheme_groups(scheme))
    return df[df["grp"] == grp] if not df.empty else df


def _map_side(s: Store, df: pd.DataFrame, side: str, node: Node, out: str, weighted: bool,
              trace: Trace | None) -> pd.DataFrame:
    """Add column ``out`` (code on ``node``) for the ``side`` ('origin'/'dest') of area flows."""
    kind, lv, ly, code = (f"{side}_kind", f"{side}_level", f"{side}_layout", f"{side}_code")
    pieces = []
    df = df.reset_index(drop=True)
    is_area = df[kind] == "area"
    rest = df[~is_area].copy()
    rest[out] = None
    pieces.append(rest)
    for (level, layout), part in df[is_area].groupby([lv, ly], dropna=False):
        src = (str(level), str(layout))
        if src == node:
            part = part.copy()
            part[out] = part[code]
            pieces.append(part)
            continue
        m = s.code_map(src, node)
        if m is None or len(m) == 0:
            part = part.copy()
            part[out] = None
            pieces.append(part)
            continue
        if weighted:
            j = part.merge(m.rename(columns={"code": code, "to_code": out}), on=code, how="left")
            w = j["weight"].fillna(1.0)
            if trace is not None and bool(j["split"].fillna(False).any()):
                trace.split = True
                trace.notes.append(f"flows of split {src[0]} units (layout {src[1]}) were shared "
                                   "out by crosswalk weight")
            j["count"] = j["count"] * w
            pieces.append(j.drop(columns=["weight", "split"]))
        else:
            pm = m.sort_values("weight", ascending=False).drop_duplicates("code")
            j = part.merge(pm[["code", "to_code"]].rename(columns={"code": code, "to_code": out}),
                           on=code, how="left")
            pieces.append(j)
    res = pd.concat(pieces, ignore_index=True)
    res[out] = res[out].astype(object).where(res[out].notna(), None)
    return res


_OVERLAP_TOL = 1e-6


def _overlapping(s: Store, df: pd.DataFrame, target: Node) -> bool:
    """Whether some flow end belongs to several ``target`` units at once (its crosswalk weights
    to the target sum to more than 1, as for a municipality in two area types)."""
    for side in ("origin", "dest"):
        area = df[df[f"{side}_kind"] == "area"]
        nodes = area[[f"{side}_level", f"{side}_layout"]].drop_duplicates()
        for level, layout in nodes.itertuples(index=False):
            src = (str(level), str(layout))
            if src == target:
                continue
            m = s.code_map(src, target)
            if m is None or m.empty:
                continue
            if bool((m.groupby("code")["weight"].sum() > 1 + _OVERLAP_TOL).any()):
                return True
    return False


def _memberships(s: Store, df: pd.DataFrame, side: str, target: Node,
                 trace: Trace | None) -> pd.DataFrame:
    """``_row, unit, w``: the target units the ``side`` end of each area flow lies in, with the
    share ``w`` (0–1, crosswalk weight) of the end in the unit."""
    kind, lv, ly, code = (f"{side}_kind", f"{side}_level", f"{side}_layout", f"{side}_code")
    pieces = []
    for (level, layout), part in df[df[kind] == "area"].groupby([lv, ly], dropna=False):
        src = (str(level), str(layout))
        if src == target:
            pieces.append(pd.DataFrame({"_row": part["_row"].to_numpy(),
                                        "unit": part[code].to_numpy(), "w": 1.0}))
            continue
        m = s.code_map(src, target)
        if m is None or len(m) == 0:
            continue
        j = part[["_row", code]].merge(m.rename(columns={"code": code}), on=code, how="inner")
        if trace is not None and bool(j["split"].fillna(False).any()):
            trace.split = True
            trace.notes.append(f"flows of split {src[0]} units (layout {src[1]}) were shared "
                               "out by crosswalk weight")
        pieces.append(pd.DataFrame({"_row": j["_row"].to_numpy(), "unit": j["to_code"].to_numpy(),
                                    "w": j["weight"].astype(float).to_numpy()}))
    if not pieces:
        return pd.DataFrame({"_row": pd.Series(dtype="int64"), "unit": pd.Series(dtype=object),
                             "w": pd.Series(dtype=float)})
    return pd.concat(pieces, ignore_index=True).groupby(["_row", "unit"], as_index=False)["w"].sum()


def _per_unit(s: Store, df: pd.DataFrame, target: Node, trace: Trace | None) -> pd.DataFrame:
    """Flows re-expressed on overlapping target units, each move counted once per unit.

    For each flow row and each unit ``T`` it touches (``w_o``, ``w_d``: shares of the origin
    and the destination in ``T``) up to three rows are made: within ``T`` (``o_code = d_code =
    T``, count × w_o × w_d), departure from ``T`` (``o_code = T``, ``d_code = None``, count ×
    w_o × (1 − w_d)) and arrival in ``T`` (``o_code = None``, ``d_code = T``, count × (1 − w_o)
    × w_d). Rows touching no unit are kept once with both codes ``None``.
    """
    df = df.reset_index(drop=True)
    df["_row"] = np.arange(len(df))
    o = _memberships(s, df, "origin", target, trace).rename(columns={"w": "w_o"})
    d = _memberships(s, df, "dest", target, trace).rename(columns={"w": "w_d"})
    j = o.merge(d, on=["_row", "unit"], how="outer").fillna({"w_o": 0.0, "w_d": 0.0})
    w_o, w_d = j["w_o"].clip(0.0, 1.0), j["w_d"].clip(0.0, 1.0)
    none = pd.Series([None] * len(j), index=j.index, dtype=object)
    parts = pd.concat([
        pd.DataFrame({"_row": j["_row"], "o_code": j["unit"], "d_code": j["unit"],
                      "_f": w_o * w_d}),
        pd.DataFrame({"_row": j["_row"], "o_code": j["unit"], "d_code": none,
                      "_f": w_o * (1.0 - w_d)}),
        pd.DataFrame({"_row": j["_row"], "o_code": none, "d_code": j["unit"],
                      "_f": (1.0 - w_o) * w_d}),
    ], ignore_index=True)
    parts = parts[parts["_f"] > 1e-12]
    rest = df[~df["_row"].isin(set(j["_row"]))][["_row"]].assign(o_code=None, d_code=None, _f=1.0)
    parts = pd.concat([parts, rest], ignore_index=True)
    res = df.merge(parts, on="_row", how="inner")
    res["count"] = res["count"] * res["_f"]
    for c in ("o_code", "d_code"):
        res[c] = res[c].astype(object).where(res[c].notna(), None)
    if trace is not None:
        trace.notes.append(f"{target[0]} units overlap (a municipality can belong to several): "
                           "flows are counted per unit, each move once; a move between two "
                           "members of the same unit is a move within it")
    return res.drop(columns=["_row", "_f"]).reset_index(drop=True)


def _one_file_per_area(df: pd.DataFrame, trace: Trace | None, need: str = "both") -> pd.DataFrame:
    """When several files hold flows of the same year for the same target area (e.g. a city's
    own in/out totals and a national origin-destination table), the arrivals and departures of
    that area are taken from one file only: one with both directions, the finest, then the
    largest. The other files' rows keep their other end (their code on this side is blanked:
    "elsewhere"). Areas whose file has one direction only (``need='both'``) or does not cover
    every year of the window are recorded in ``trace.drop_codes``."""
    if df.empty:
        return df
    fine = np.maximum(
        df["origin_level"].map(FINENESS).astype(float).fillna(-9).to_numpy(),
        df["dest_level"].map(FINENESS).astype(float).fillna(-9).to_numpy())
    rank = (df.assign(_fine=fine, _o=df["origin_kind"] == "area", _d=df["dest_kind"] == "area")
            .groupby(["year", "load_id"])
            .agg(fine=("_fine", "max"), n=("count", "size"), o=("_o", "any"), d=("_d", "any"))
            .reset_index())
    rank["both"] = rank["o"] & rank["d"]  # files with arrivals and departures first
    rank = rank.sort_values(["both", "fine", "n", "load_id"], ascending=False).reset_index(drop=True)
    touched = pd.concat([df[["year", "load_id", "o_code"]].rename(columns={"o_code": "code"}),
                         df[["year", "load_id", "d_code"]].rename(columns={"d_code": "code"})])
    touched = touched.dropna().drop_duplicates()
    touched = touched.merge(rank[["year", "load_id"]].reset_index(names="_order"),
                            on=["year", "load_id"])
    owner = (touched.sort_values("_order").drop_duplicates(["year", "code"])
             .set_index(["year", "code"])["load_id"])
    changed = False
    for side in ("o_code", "d_code"):
        keys = pd.MultiIndex.from_arrays([df["year"], df[side]])
        own = owner.reindex(keys).to_numpy()
        lose = df[side].notna().to_numpy() & (own != df["load_id"].to_numpy())
        if lose.any():
            changed = True
            df.loc[lose, side] = None
    if changed and trace is not None:
        trace.notes.append("several files hold flows for the same areas and years: each area's "
                           "arrivals and departures come from one file (the finest)")
    # files with arrivals only (e.g. census 'residence one year before') cannot give balances
    if need == "both":
        has_dep = set(df.loc[df["origin_kind"] == "area", "load_id"])
        has_arr = set(df.loc[df["dest_kind"] == "area", "load_id"])
        one_way = (set(df["load_id"]) - has_dep) | (set(df["load_id"]) - has_arr)
        if one_way:
            lost = set(owner[owner.isin(one_way)].index.get_level_values("code"))
            if trace is not None and lost:
                trace.drop_codes |= lost
                trace.notes.append(f"{len(lost)} area(s) left out: their flow file has arrivals "
                                   "only (or departures only), no balance can be made")
    # an area whose file(s) do not cover every year of the window gets no value
    # (a year is covered when one of the files owning the area in some year holds that year)
    present = df[["year", "load_id"]].drop_duplicates()
    n_years = present["year"].nunique()
    loads = owner.reset_index()[["code", "load_id"]].drop_duplicates()
    covered = loads.merge(present, on="load_id")[["code", "year"]].drop_duplicates()
    per_code = covered.groupby("code")["year"].size()
    bad = set(per_code.index[per_code < n_years])
    if bad and trace is not None:
        trace.drop_codes |= bad
        trace.notes.append(f"{len(bad)} area(s) left out: their flow files do not cover every "
                           "year of the window")
    return df


def flow_table(
    s: Store, target: Node, y0: int, y1: int, scheme: str | None = None, grp: str | None = None, *,
    indicator: str, trace: Trace | None = None, extra: dict[str, Node] | None = None,
    need_area_origins: bool = False, need: str = "both",
) -> pd.DataFrame:
    """Flows of years ``y0..y1`` with origin/destination codes on ``target`` (and ``extra``).

    Parameters
    ----------
    s, target
        Store and target ``(level, layout)``.
    y0, y1
        First and last calendar year of the flows.
    scheme, grp
        Group of the movers (both ``None``: all persons).
    indicator
        Indicator id (for errors).
    trace
        The computation's trace (files, periods, notes, areas to leave out).
    extra
        Further nodes to map both ends to, as columns ``o_<name>`` / ``d_<name>`` (e.g. the
        region of the origin, the city of an area).
    need_area_origins
        Require origin-destination flows (both ends areas).
    need
        ``both``: an area needs arrivals and departures from its file; ``arrivals``: arrivals
        are enough.

    Columns: ``year, o_kind, d_kind, o_code, d_code, o_raw, d_raw, o_country, count`` (persons,
    shared out by crosswalk weight) plus ``o_<name>, d_<name>`` for each extra node (mapped from
    the raw codes, largest weight wins). ``o_code``/``d_code`` is ``None`` for an end outside
    every target unit; on overlapping target units (area types) each row carries one unit's
    view of a move (see the module docstring), so a move is counted once per unit.

    Raises
    ------
    MissingInputError
        When no flows of the group exist for some year of the window, naming the years.

    Answers (and refusals) are memoised per atlas version
    (:func:`~aankomst.store.hierarchy.atlas_version`): the balances, mobility, first-entry and
    concentration of one window read and map the flows once.
    """
    key = (atlas_version(s.atlas), target, y0, y1, scheme, grp,
           tuple(sorted((extra or {}).items())), need_area_origins, need)
    hit = _MEMO.get(key)
    if hit is None:
        seen = Trace()
        try:
            hit = (_flow_table(s, target, y0, y1, scheme, grp, indicator=indicator, trace=seen,
                               extra=extra, need_area_origins=need_area_origins, need=need), seen)
        except MissingInputError as exc:
            hit = (exc, seen)
        _MEMO[key] = hit
        if len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    else:
        _MEMO.move_to_end(key)
    got, seen = hit
    if isinstance(got, MissingInputError):
        raise MissingInputError(indicator, got.missing, years=got.years, fix=got.fix)
    if trace is not None:
        trace.load_ids |= seen.load_ids
        for p in seen.periods:
            trace.add_period(p)
        trace.notes += seen.notes
        trace.split = trace.split or seen.split
        trace.drop_codes |= seen.drop_codes
    return got.copy()


_MEMO: OrderedDict[tuple[Any, ...], tuple[Any, Trace]] = OrderedDict()
_MEMO_SIZE = 64


def _flow_table(
    s: Store, target: Node, y0: int, y1: int, scheme: str | None, grp: str | None, *,
    indicator: str, trace: Trace, extra: dict[str, Node] | None, need_area_origins: bool,
    need: str,
) -> pd.DataFrame:
    """:func:`flow_table` without the memo."""
    df = _raw_flows(s, y0, y1, scheme, grp, target)
    years_have = {int(y) for y in df["year"].unique()} if not df.empty else set()
    missing = [y for y in range(y0, y1 + 1) if y not in years_have]
    what = "migration flows" + ("" if scheme in (None, "total") else f" of group {scheme}/{grp}")
    what += f" reaching level {target[0]} (layout {target[1]})"
    if missing:
        raise MissingInputError(indicator, what, years=missing,
                                fix="load flow files (own CSV flow format or register extract)")
    if need_area_origins:
        has = ((df["origin_kind"] == "area") & (df["dest_kind"] == "area")).any()
        if not has:
            raise MissingInputError(
                indicator, what + " with both origin and destination areas (origin-destination "
                "flows; totals in/out per area are not enough)", years=list(range(y0, y1 + 1)))
    if trace is not None:
        trace.load_ids |= {int(x) for x in df["load_id"].unique()}
        trace.add_period(f"{y0}" if y0 == y1 else f"{y0}-{y1}")
    df["o_raw"] = df["origin_code"]
    df["d_raw"] = df["dest_code"]
    df["o_country"] = np.where(df["origin_kind"] == "abroad", df["origin_code"], None)
    if _overlapping(s, df, target):
        df = _per_unit(s, df, target, trace)
    else:
        df = _map_side(s, df, "origin", target, "o_code", True, trace)
        df = _map_side(s, df, "dest", target, "d_code", True, trace)
    sub = Trace()
    df = _one_file_per_area(df, sub, need)
    if trace is not None:
        trace.notes += sub.notes
        trace.drop_codes |= sub.drop_codes
    codes = set(df["o_code"].dropna()) | set(df["d_code"].dropna())
    if codes and not (codes - sub.drop_codes):
        raise MissingInputError(
            indicator, what + (" with both arrivals and departures of each area"
                               if need == "both" else "") + " for every year of the window",
            years=list(range(y0, y1 + 1)), fix="; ".join(sub.notes))
    for name, node in (extra or {}).items():
        df = _map_side(s, df, "origin", node, f"o_{name}", False, None)
        df = _map_side(s, df, "dest", node, f"d_{name}", False, None)
    df = df.rename(columns={"origin_kind": "o_kind", "dest_kind": "d_kind"})
    keep = ["year", "o_kind", "d_kind", "o_code", "d_code", "o_raw", "d_raw", "o_country", "count"]
    keep += [c for name in (extra or {}) for c in (f"o_{name}", f"d_{name}")]
    return df[keep]
