"""Implementations of the OCMW indicators (declared in :mod:`aankomst.ocmw.specs`, texts in
``data/indicators/ocmw.csv``).

Every figure is read from the OCMW measures (``ocmw_<stat>:<measure>:<sex>:<age_band>``, see
:mod:`aankomst.ocmw.catalogue`) where stored, or summed from finer areas along the atlas
crosswalks — **only where every finer area of the coarser one has a figure from the same
file** (the published 2010 table covers 30 OCMWs: it gives no figure for Flanders). Each
implementation returns a :class:`~aankomst.indicators.result.Computed` with the load ids it
read, the reference periods and ``restricted=True`` when a person-level extract was used, so
that :func:`aankomst.indicators.compute` publishes it under the small-cell rule with
complementary suppression. Estimated group counts of the published table are used only where no
exact count exists, and the result says so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.indicators._store import Node, Store, Trace, group_key, resolve_level, split_group
from aankomst.indicators.result import Computed

_FIX = ("load OCMW figures: aankomst ocmw load leefloon_ocmw_2010.csv|COUNTS.csv|EXTRACT/ --db FILE "
        "(docs/ocmw.md)")


def _group(group: str | None, scheme: str | None) -> tuple[str, str]:
    sch, grp = split_group(group, scheme)
    if sch in (None, "total") or grp in (None, "total"):
        return "total", "total"
    return str(sch), str(grp)


def stored(atlas: Any, name: str, scheme: str, grp: str) -> pd.DataFrame:
    """Every stored row of one figure: ``load_id, level, layout, code, period, value``."""
    return atlas.con.execute(
        "SELECT load_id, level, layout, code, period, value FROM measures WHERE measure = ? AND "
        "scheme = ? AND grp = ? AND value IS NOT NULL", [name, scheme, grp]).df()


def _load_codes(s: Store, load_id: int, node: Node) -> set[str]:
    """Codes of ``node`` that a load holds figures for (the OCMWs of an extract or table)."""
    cache: dict[tuple[int, Node], set[str]] = s.__dict__.setdefault("_ocmw_codes", {})
    key = (int(load_id), node)
    if key not in cache:
        rows = s.atlas.con.execute("SELECT DISTINCT code FROM measures WHERE load_id = ? AND level = ? "
                                   "AND layout = ?", [int(load_id), node[0], node[1]]).fetchall()
        cache[key] = {str(r[0]) for r in rows}
    return cache[key]


def complete_sums(s: Store, rows: pd.DataFrame, target: Node, *, additive: bool = True
                  ) -> pd.DataFrame:
    """Values on ``target`` from stored rows: as stored at the target, or summed (× crosswalk
    weight) over finer units where **every** unit of the target area is covered by the same load
    (an area the load covers without a row for the figure counts 0: extracts store no zero
    rows for rare groups). One candidate per target area and period: fewest crosswalk steps,
    then the latest load.

    Returns
    -------
    pandas.DataFrame
        ``code, period, value, load_id, split`` (split: shared out over a split unit).
    """
    frames = []
    for (lid, lv, ly), part in rows.groupby(["load_id", "level", "layout"], sort=False):
        src: Node = (str(lv), str(ly))
        if additive:
            codes = sorted(_load_codes(s, int(lid), src))
            grid = pd.MultiIndex.from_product([codes, sorted(part["period"].unique())],
                                              names=["code", "period"]).to_frame(index=False)
            part = grid.merge(part[["code", "period", "value"]], on=["code", "period"], how="left")
            part["value"] = part["value"].fillna(0.0)
        if src == target:
            frames.append(part.assign(load_id=int(lid), _steps=0, split=False)[
                ["code", "period", "value", "load_id", "_steps", "split"]])
            continue
        if not additive:
            continue
        m = s.code_map(src, target)
        if m is None or m.empty:
            continue
        need = m.groupby("to_code")["code"].nunique().rename("_need")
        have = m[m["code"].isin(set(codes))].groupby("to_code")["code"].nunique().rename("_have")
        ok = need.to_frame().join(have, how="inner")
        ok = set(ok.index[ok["_have"] == ok["_need"]])
        j = part.merge(m[m["to_code"].isin(ok)], on="code")
        if j.empty:
            continue
        j["value"] = j["value"] * j["weight"]
        g = j.groupby(["to_code", "period"]).agg(value=("value", "sum"), split=("split", "max")).reset_index()
        steps = len(s.path(src, target) or []) - 1
        frames.append(pd.DataFrame({"code": g["to_code"], "period": g["period"], "value": g["value"],
                                    "load_id": int(lid), "_steps": steps, "split": g["split"].astype(bool)}))
    if not frames:
        return pd.DataFrame({"code": [], "period": [], "value": [], "load_id": [], "split": []})
    allf = pd.concat(frames, ignore_index=True)
    allf = allf.sort_values(["code", "period", "_steps", "load_id"], ascending=[True, True, True, False])
    return allf.drop_duplicates(["code", "period"]).drop(columns="_steps").reset_index(drop=True)


def figure(atlas: Any, target: Node, stat: str, measure: str, period: str, scheme: str, grp: str,
           *, sex: str = "T", age_band: str = "total", indicator: str, trace: Trace,
           estimates: bool = False, required: bool = True) -> pd.DataFrame:
    """``code, value`` of one stored statistic on the target for one period.

    With ``estimates``, areas without an exact count get the published-table estimate
    (``recipients_est``) and the trace notes it.

    Raises
    ------
    MissingInputError
        When nothing reaches the target for the period (``required``).
    """
    from aankomst.ocmw import catalogue as K

    s = Store(atlas)
    add = K.STATS[stat].additive
    rows = stored(atlas, K.measure_key(stat, measure, sex, age_band), scheme, grp)
    got = complete_sums(s, rows[rows["period"] == str(period)], target, additive=add)
    if estimates and stat == "recipients":
        est = stored(atlas, K.measure_key("recipients_est", measure, sex, age_band), scheme, grp)
        e = complete_sums(s, est[est["period"] == str(period)], target)
        e = e[~e["code"].isin(got["code"])]
        if len(e):
            trace.notes.append(
                f"{len(e)} area(s): recipients of group {scheme}:{grp} are ESTIMATES (published total "
                "× published share, shares rounded to 0.1 %)")
            got = pd.concat([got, e], ignore_index=True)
    if got.empty:
        if required:
            raise MissingInputError(indicator, f"OCMW figure {K.measure_key(stat, measure, sex, age_band)} "
                                    f"(group {scheme}:{grp}) for {target[0]} (layout {target[1]})",
                                    years=str(period), fix=_FIX)
        return pd.DataFrame({"code": [], "value": []})
    trace.load_ids |= {int(x) for x in got["load_id"]}
    trace.add_period(str(period))
    if got["split"].any():
        trace.split = True
        trace.notes.append("some areas are split by the crosswalks: their counts were shared out")
    return got[["code", "value"]]


def _restricted(atlas: Any, load_ids: set[int]) -> bool:
    if not load_ids:
        return False
    rows = atlas.con.execute("SELECT count(*) FROM provenance WHERE load_id IN (SELECT unnest(?)) AND "
                             "privacy = 'restricted'", [sorted(load_ids)]).fetchall()
    return bool(rows[0][0])


def _result(atlas: Any, s: Store, target: Node, df: pd.DataFrame, *, period: str, group: str,
            unit: str, trace: Trace) -> Computed:
    from aankomst.indicators._store import result_frame

    res = result_frame(s, target, df, period=period, group=group, unit=unit, trace=trace)
    res.restricted = _restricted(atlas, res.load_ids)
    return res


def _period(period: Any) -> str:
    p = str(period).strip()
    if len(p) == 10 and p.endswith("-01-01"):
        return p[:4]
    import re

    if not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", p):
        raise UnknownCodeError("period of an OCMW indicator", period,
                               hint="give a year (2010) or a month (2010-05)")
    return p


# ----------------------------------------------------------------------------- counts
def _count(stat: str, indicator: str, atlas: Any, level: str, period: Any, group: str | None,
           scheme: str | None, measure: str, sex: str, age_band: str, layout: str | None) -> Computed:
    s, target, tr = Store(atlas), resolve_level(level, layout), Trace()
    p = _period(period)
    sch, grp = _group(group, scheme)
    v = figure(atlas, target, stat, measure, p, sch, grp, sex=sex, age_band=age_band, indicator=indicator,
               trace=tr, estimates=True)
    df = v.assign(numerator=v["value"], denominator=np.nan)
    unit = "persons" if stat in ("recipients", "inflow", "outflow") else "spells"
    return _result(atlas, s, target, df, period=p, group=group_key(sch, grp), unit=unit, trace=tr)


def recipients(atlas: Any, *, level: str, period: Any, group: str | None = None,
               scheme: str | None = None, measure: str = "leefloon", sex: str = "T",
               age_band: str = "total", layout: str | None = None, **_: Any) -> Computed:
    """Recipients of an OCMW measure: persons with at least one day of it in the period.

    Parameters
    ----------
    atlas
        An atlas with OCMW figures (``aankomst ocmw load``).
    level, layout
        Level (``municipality`` = the OCMW; coarser levels where every OCMW has a figure;
        neighbourhoods and sectors from the addresses of an extract).
    period
        Year ``2010`` or month ``2010-05``.
    group, scheme
        Population group (``nationality:ETR``, ``eu_status:non_eu``, ``ocmw_origin:
        belgian_foreign_origin``, ``arrival_cohort:0-1`` …); default all recipients.
    measure, sex, age_band
        Measure id (``data/ocmw/measures.csv``), ``T``/``M``/``F``, age band or ``total``.

    Returns
    -------
    Computed
        Unit persons; value = numerator. Counts of groups from the published 2010 table are
        estimates (noted).

    Raises
    ------
    MissingInputError
        No figure for the measure, group and period reaches the level.

    Examples
    --------
    >>> from aankomst.indicators import compute
    >>> res = compute(atlas, "ocmw_recipients", level="municipality@2018", period=2010)  # doctest: +SKIP
    >>> int(res.data.set_index("area_code").loc["11002", "value"])  # doctest: +SKIP
    8303
    """
    return _count("recipients", "ocmw_recipients", atlas, level, period, group, scheme, measure, sex,
                  age_band, layout)


def inflow(atlas: Any, *, level: str, period: Any, group: str | None = None, scheme: str | None = None,
           measure: str = "leefloon", sex: str = "T", age_band: str = "total", layout: str | None = None,
           **_: Any) -> Computed:
    """Inflow: recipients of the period who did not receive the measure on the day before it
    started (persons). Parameters as :func:`recipients`.

    Raises
    ------
    MissingInputError
        No inflow figure (from an extract or a counts file) reaches the level.
    """
    return _count("inflow", "ocmw_inflow", atlas, level, period, group, scheme, measure, sex, age_band, layout)


def outflow(atlas: Any, *, level: str, period: Any, group: str | None = None, scheme: str | None = None,
            measure: str = "leefloon", sex: str = "T", age_band: str = "total", layout: str | None = None,
            **_: Any) -> Computed:
    """Outflow: recipients of the period who no longer receive the measure on the first day after
    it (persons). Parameters as :func:`recipients`.

    Raises
    ------
    MissingInputError
        No outflow figure reaches the level.
    """
    return _count("outflow", "ocmw_outflow", atlas, level, period, group, scheme, measure, sex, age_band,
                  layout)


# ----------------------------------------------------------------------------- shares and rates
def recipient_share(atlas: Any, *, level: str, period: Any, group: str | None = None,
                    scheme: str | None = None, measure: str = "leefloon", layout: str | None = None,
                    **_: Any) -> Computed:
    """Share of a group in the recipients of a measure (%): exact counts where known, else the
    share as published (2010 table).

    Raises
    ------
    MissingInputError
        Neither counts nor published shares of the group reach the level.

    Examples
    --------
    >>> compute(atlas, "ocmw_recipient_share", level="municipality@2018", period=2010,
    ...         group="eu_status:non_eu").data.set_index("area_code").loc["11002", "value"]  # doctest: +SKIP
    30.9
    """
    ind = "ocmw_recipient_share"
    s, target, tr = Store(atlas), resolve_level(level, layout), Trace()
    p = _period(period)
    sch, grp = _group(group, scheme)
    if (sch, grp) == ("total", "total"):
        raise UnknownCodeError(f"group for indicator {ind!r}", group or "total",
                               hint="give a group, e.g. --group eu_status:non_eu")
    num = figure(atlas, target, "recipients", measure, p, sch, grp, indicator=ind, trace=tr, required=False)
    den = figure(atlas, target, "recipients", measure, p, "total", "total", indicator=ind, trace=tr,
                 required=False)
    df = num.rename(columns={"value": "numerator"}).merge(den.rename(columns={"value": "denominator"}),
                                                          on="code")
    df["value"] = 100.0 * df["numerator"] / df["denominator"].where(df["denominator"] > 0)
    pub = figure(atlas, target, "share", measure, p, sch, grp, indicator=ind, trace=Trace(), required=False)
    pub = pub[~pub["code"].isin(df["code"])]
    if len(pub):
        t2 = Trace()
        figure(atlas, target, "share", measure, p, sch, grp, indicator=ind, trace=t2)
        tr.load_ids |= t2.load_ids
        tr.add_period(p)
        den2 = figure(atlas, target, "recipients", measure, p, "total", "total", indicator=ind, trace=tr,
                      required=False)
        pub = pub.merge(den2.rename(columns={"value": "denominator"}), on="code", how="left")
        pub["numerator"] = pub["value"] * pub["denominator"] / 100.0
        tr.notes.append(f"{len(pub)} area(s): the share is the published one (rounded to 0.1 %); its "
                        "numerator is an estimate")
        df = pd.concat([df, pub[["code", "value", "numerator", "denominator"]]], ignore_index=True)
    if df.empty:
        raise MissingInputError(ind, f"OCMW recipients of group {sch}:{grp} and in all, or a published "
                                f"share, for {target[0]} (layout {target[1]})", years=p, fix=_FIX)
    return _result(atlas, s, target, df, period=p, group=group_key(sch, grp), unit="%", trace=tr)


def _denominator(s: Store, target: Node, year: int, sch: str, grp: str, ind: str, tr: Trace) -> pd.DataFrame:
    """Residents of the group on 1 January ``year`` (``code, count``); origin groups from the
    register's four-criteria counts (Belgians of foreign origin = foreign origin − foreign
    nationals)."""
    from aankomst.indicators import _counts as C

    d = date(year, 1, 1)
    if sch == "ocmw_origin":
        if grp == "foreign_nationality":
            return C.group_population(s, target, d, "nationality", "ETR", indicator=ind, trace=tr)
        if grp == "belgian_origin":
            return C.group_population(s, target, d, "origin_4crit", "belgian", indicator=ind, trace=tr)
        if grp == "belgian_foreign_origin":
            f = C.group_population(s, target, d, "origin_4crit", "foreign", indicator=ind, trace=tr)
            e = C.group_population(s, target, d, "nationality", "ETR", indicator=ind, trace=tr)
            j = f.merge(e, on="code", suffixes=("", "_etr"))
            tr.notes.append("residents of group Belgians of foreign origin = residents of foreign origin "
                            "(four criteria, register) − residents of foreign nationality")
            return pd.DataFrame({"code": j["code"], "count": (j["count"] - j["count_etr"]).clip(lower=0)})
        raise MissingInputError(ind, f"residents of group {sch}:{grp}", years=str(year),
                                fix="no population count exists for this group")
    if sch in ("residence", "arrival_cohort"):
        raise MissingInputError(ind, f"residents of group {sch}:{grp}", years=str(year),
                                fix="rates exist for total, nationality, eu_status, nationality_group6 and "
                                    "ocmw_origin groups")
    return C.group_population(s, target, d, None if sch == "total" else sch,
                              None if sch == "total" else grp, indicator=ind, trace=tr)


def recipients_per_1000(atlas: Any, *, level: str, period: Any, group: str | None = None,
                        scheme: str | None = None, measure: str = "leefloon", layout: str | None = None,
                        **_: Any) -> Computed:
    """Recipients per 1,000 residents of the same group on 1 January of the year.

    Belgians and foreigners: Statbel population by nationality (``nationality:BEL|ETR``);
    origin groups (``ocmw_origin:…``) from the register's four-criteria counts when a register
    is loaded. Groups of the published 2010 table are estimated counts (noted).

    Raises
    ------
    MissingInputError
        No recipients or no residents of the group for the year at the level.

    Examples
    --------
    >>> compute(atlas, "ocmw_recipients_per_1000", level="municipality@2018", period=2010,
    ...         group="nationality:BEL").data.set_index("area_code").loc["11002", "value"]  # doctest: +SKIP
    12.76...
    """
    ind = "ocmw_recipients_per_1000"
    s, target, tr = Store(atlas), resolve_level(level, layout), Trace()
    p = _period(period)
    if len(p) != 4:
        raise MissingInputError(ind, "a calendar year (rates are per year)", years=p,
                                fix="ask a year such as 2010")
    sch, grp = _group(group, scheme)
    num = figure(atlas, target, "recipients", measure, p, sch, grp, indicator=ind, trace=tr, estimates=True)
    den = _denominator(s, target, int(p), sch, grp, ind, tr)
    df = num.rename(columns={"value": "numerator"}).merge(
        den.rename(columns={"count": "denominator"}), on="code")
    df["value"] = 1000.0 * df["numerator"] / df["denominator"].where(df["denominator"] > 0)
    return _result(atlas, s, target, df, period=p, group=group_key(sch, grp), unit="per 1000", trace=tr)


# ----------------------------------------------------------------------------- trajectories
def _ratio(ind: str, num_stat: str, den_stat: str, atlas: Any, level: str, period: Any,
           group: str | None, scheme: str | None, measure: str, layout: str | None) -> Computed:
    s, target, tr = Store(atlas), resolve_level(level, layout), Trace()
    p = _period(period)
    sch, grp = _group(group, scheme)
    num = figure(atlas, target, num_stat, measure, p, sch, grp, indicator=ind, trace=tr)
    den = figure(atlas, target, den_stat, measure, p, sch, grp, indicator=ind, trace=tr)
    df = num.rename(columns={"value": "numerator"}).merge(den.rename(columns={"value": "denominator"}),
                                                          on="code")
    df["value"] = 100.0 * df["numerator"] / df["denominator"].where(df["denominator"] > 0)
    return _result(atlas, s, target, df, period=p, group=group_key(sch, grp), unit="%", trace=tr)


def exit_12m(atlas: Any, *, level: str, period: Any, group: str | None = None, scheme: str | None = None,
             measure: str = "leefloon", layout: str | None = None, **_: Any) -> Computed:
    """Share (%) of the spells started in year ``period`` that ended within 12 months, among the
    spells whose first 12 months lie before the end of the extract (no censoring bias).

    Raises
    ------
    MissingInputError
        No spell figures (person-level extract) for the year at the level.
    """
    return _ratio("ocmw_exit_12m", "exits12", "spells_obs12", atlas, level, period, group, scheme, measure,
                  layout)


def exit_24m(atlas: Any, *, level: str, period: Any, group: str | None = None, scheme: str | None = None,
             measure: str = "leefloon", layout: str | None = None, **_: Any) -> Computed:
    """As :func:`exit_12m`, within 24 months.

    Raises
    ------
    MissingInputError
        No spell figures for the year at the level.
    """
    return _ratio("ocmw_exit_24m", "exits24", "spells_obs24", atlas, level, period, group, scheme, measure,
                  layout)


def activation_regular_work(atlas: Any, *, level: str, period: Any, group: str | None = None,
                            scheme: str | None = None, measure: str = "article_60",
                            layout: str | None = None, **_: Any) -> Computed:
    """Share (%) of the article-60 (or 61) contracts ended in year ``period`` that were followed
    by regular work within 12 months (contracts whose following 12 months lie before the end of
    the extract).

    Raises
    ------
    MissingInputError
        No activation figures for the year at the level.
    """
    return _ratio("ocmw_activation_regular_work", "work12", "contracts_obs12", atlas, level, period, group,
                  scheme, measure, layout)


def median_duration(atlas: Any, *, level: str, period: Any, group: str | None = None,
                    scheme: str | None = None, measure: str = "leefloon", layout: str | None = None,
                    **_: Any) -> Computed:
    """Kaplan–Meier median duration (months) of the spells started in year ``period``, censored
    at the end of the extract. Stored where computed (OCMW and region); not additive.

    Raises
    ------
    MissingInputError
        No median (not computed at the level, fewer spells than the small-cell threshold, or more
        than half of the spells still running).
    """
    ind = "ocmw_median_duration"
    s, target, tr = Store(atlas), resolve_level(level, layout), Trace()
    p = _period(period)
    sch, grp = _group(group, scheme)
    med = figure(atlas, target, "duration_median", measure, p, sch, grp, indicator=ind, trace=tr)
    sp = figure(atlas, target, "spells", measure, p, sch, grp, indicator=ind, trace=tr, required=False)
    df = med.merge(sp.rename(columns={"value": "denominator"}), on="code", how="left")
    df["numerator"] = np.nan
    return _result(atlas, s, target, df, period=p, group=group_key(sch, grp), unit="months", trace=tr)
