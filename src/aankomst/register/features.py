"""Arrival features per area from the atlas ``flows``, ``population`` and ``measures`` tables.

One function, :func:`arrival_features`, computes for every area of a level over a window of
years ``y0..y1`` (all counts summed over the window, rates per year):

=============================  ==========================================================================
``population``                 mean total population on 1 January of ``y0 .. y1+1``
``newcomers_foreign``          foreign-nationality (``nationality/ETR``) moves into the area from outside it (known origin)
``newcomer_concentration``     (area's share of the foreign newcomers arriving in its parent from outside the
                               parent) / (area's share of the parent's population)
``first_entry_share``          of the foreign newcomers (known origin), the share arriving directly from abroad
``external_balance_foreign``   foreign moves in from outside the parent minus out to outside it (incl. abroad), per 1,000 inhabitants per year
``external_balance_belgian``   the same for Belgians
``internal_balance_foreign``   foreign moves in from other areas of the same parent minus out to them, per 1,000 per year
``internal_balance_belgian``   the same for Belgians
``residential_mobility``       (arrivals + departures + moves inside the area) / population, per year
``residential_mobility_ratio`` residential mobility / that of the parent (sum of its areas)
``share_new_residents_5y``     residents on 1 January y1+1 not living in the area five years earlier / population
=============================  ==========================================================================

The *parent* of a sub-municipal area is its municipality; of a municipality, arrondissement or
province the region; of a region the country. The ``*_n`` columns keep the smallest count each
rate rests on, so that explanations can apply the small-cell rule.

When the indicator engine (:mod:`aankomst.indicators`) provides ``first_entry_share``,
``newcomer_concentration`` and ``residential_mobility``, :func:`arrival_features` uses its values
for those columns (``use_engine=True``), so the typology and the published indicators agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError, UnknownCodeError

PARENT = {"sector": "municipality", "neighbourhood": "municipality", "deelgemeente": "municipality",
          "brussels_neighbourhood": "municipality", "municipality": "region", "arrondissement": "region",
          "province": "region", "region": "country", "country": "country"}


def parse_period(period: str | int) -> tuple[int, int]:
    """``'2012'`` -> (2012, 2012); ``'2010-2014'`` -> (2010, 2014)."""
    text = str(period).strip()
    try:
        if "-" in text:
            a, b = text.split("-", 1)
            y0, y1 = int(a), int(b)
        else:
            y0 = y1 = int(text)
    except ValueError:
        raise UnknownCodeError("period", period, hint="use a year (2014) or a window (2010-2014)") from None
    if y1 < y0:
        raise UnknownCodeError("period", period, hint="the window must run forward, e.g. 2010-2014")
    return y0, y1


def flow_layout(atlas, level: str, layout: str | None = None) -> str:
    """The layout of ``level`` that the flows table uses (``layout`` when given and present)."""
    rows = atlas.query("SELECT DISTINCT dest_layout AS l FROM flows WHERE dest_level = ? AND dest_kind = 'area'", [level])
    have = [str(x) for x in rows["l"]]
    if not have:
        levels = atlas.query("SELECT DISTINCT dest_level AS l FROM flows WHERE dest_kind = 'area'")["l"].dropna().tolist()
        raise UnknownCodeError("level", level, known=sorted(map(str, levels)),
                               hint="no flows at this level: load a register extract (aankomst register load)")
    if layout and layout in have:
        return layout
    from aankomst.store.schema import CURRENT_LAYOUT

    return CURRENT_LAYOUT.get(level) if CURRENT_LAYOUT.get(level) in have else sorted(have)[-1]


def parent_map(atlas, level: str, layout: str) -> pd.DataFrame:
    """``code -> parent`` for the areas of ``level``/``layout`` (whole crosswalk links, or via sectors)."""
    plevel = PARENT.get(level, "region")
    if plevel == level:
        codes = atlas.query("SELECT DISTINCT dest_code AS code FROM flows WHERE dest_level = ? AND dest_layout = ?", [level, layout])
        return codes.assign(parent="BE")
    direct = atlas.query(
        "SELECT from_code AS code, min(to_code) AS parent FROM crosswalks WHERE from_level = ? AND from_layout = ? "
        "AND to_level = ? AND weight >= 0.999 GROUP BY from_code HAVING count(DISTINCT to_layout) >= 1", [level, layout, plevel])
    if len(direct):
        return direct
    via = atlas.query(
        "SELECT a.to_code AS code, min(b.to_code) AS parent FROM crosswalks a JOIN crosswalks b "
        "ON a.from_level = 'sector' AND b.from_level = 'sector' AND a.from_code = b.from_code AND a.from_layout = b.from_layout "
        "WHERE a.to_level = ? AND a.to_layout = ? AND b.to_level = ? AND a.weight >= 0.999 AND b.weight >= 0.999 "
        "GROUP BY a.to_code", [level, layout, plevel])
    if via.empty:
        raise MissingInputError("arrival features", f"a crosswalk from {level} ({layout}) to {plevel}",
                                fix="build the atlas with the crosswalk workbooks or load an extract with geography.parquet")
    return via


def arrival_features(atlas, *, level: str, period: str | int, layout: str | None = None,
                     use_engine: bool = True) -> pd.DataFrame:
    """Arrival features per area (see the module docstring). One row per area with population."""
    y0, y1 = parse_period(period)
    layout = flow_layout(atlas, level, layout)
    pm = parent_map(atlas, level, layout)
    con = atlas.con
    con.register("_pm", pm)
    try:
        fl = con.execute("""
            WITH f AS (
              SELECT f.*, po.parent AS op, pd.parent AS dp FROM flows f
              LEFT JOIN _pm po ON f.origin_kind = 'area' AND po.code = f.origin_code
              LEFT JOIN _pm pd ON f.dest_kind = 'area' AND pd.code = f.dest_code
              WHERE f.year BETWEEN ? AND ? AND f.scheme = 'nationality'
                AND ((f.dest_level = ? AND f.dest_layout = ?) OR (f.origin_level = ? AND f.origin_layout = ?)))
            SELECT code, grp, sum(in_all) AS in_all, sum(in_known) AS in_known, sum(in_city) AS in_city, sum(in_abroad) AS in_abroad, sum(in_ext) AS in_ext,
                   sum(in_int) AS in_int, sum(out_all) AS out_all, sum(out_ext) AS out_ext,
                   sum(out_int) AS out_int, sum(within) AS within
            FROM (
              SELECT dest_code AS code, grp,
                     CASE WHEN origin_kind <> 'area' OR origin_code <> dest_code THEN count ELSE 0 END AS in_all,
                     CASE WHEN origin_kind <> 'unknown' AND (origin_kind <> 'area' OR origin_code <> dest_code) THEN count ELSE 0 END AS in_known,
                     CASE WHEN origin_kind <> 'unknown' AND (origin_kind <> 'area' OR op IS DISTINCT FROM dp) THEN count ELSE 0 END AS in_city,
                     CASE WHEN origin_kind = 'abroad' THEN count ELSE 0 END AS in_abroad,
                     CASE WHEN origin_kind <> 'area' OR op IS DISTINCT FROM dp THEN count ELSE 0 END AS in_ext,
                     CASE WHEN origin_kind = 'area' AND op = dp AND origin_code <> dest_code THEN count ELSE 0 END AS in_int,
                     0 AS out_all, 0 AS out_ext, 0 AS out_int,
                     CASE WHEN origin_kind = 'area' AND origin_code = dest_code THEN count ELSE 0 END AS within
              FROM f WHERE dest_kind = 'area' AND dest_level = ? AND dest_layout = ?
              UNION ALL
              SELECT origin_code, grp, 0, 0, 0, 0, 0, 0,
                     CASE WHEN dest_kind <> 'area' OR origin_code <> dest_code THEN count ELSE 0 END,
                     CASE WHEN dest_kind <> 'area' OR op IS DISTINCT FROM dp THEN count ELSE 0 END,
                     CASE WHEN dest_kind = 'area' AND op = dp AND origin_code <> dest_code THEN count ELSE 0 END, 0
              FROM f WHERE origin_kind = 'area' AND origin_level = ? AND origin_layout = ?)
            GROUP BY code, grp""", [y0, y1, level, layout, level, layout, level, layout, level, layout]).df()
    finally:
        con.unregister("_pm")
    pop = atlas.query(
        "SELECT code, avg(count) AS population FROM population WHERE level = ? AND layout = ? AND scheme = 'total' "
        "AND grp = 'total' AND sex = 'T' AND age_band = 'total' AND year(ref_date) BETWEEN ? AND ? GROUP BY code",
        [level, layout, y0, y1 + 1])
    if pop.empty:
        raise MissingInputError("arrival features", f"population at {level} ({layout})", years=f"{y0}-{y1 + 1}")
    end = atlas.query(
        "SELECT p.code, p.count AS pop_end, m.value AS new5 FROM population p LEFT JOIN measures m ON m.level = p.level "
        "AND m.layout = p.layout AND m.code = p.code AND m.measure = 'new_residents_5y' AND m.period = CAST(p.ref_date AS VARCHAR) "
        "WHERE p.level = ? AND p.layout = ? AND p.scheme = 'total' AND p.grp = 'total' AND p.sex = 'T' "
        "AND p.age_band = 'total' AND year(p.ref_date) = ?", [level, layout, y1 + 1])
    nyears = y1 - y0 + 1
    w = fl.pivot_table(index="code", columns="grp", values=[c for c in fl.columns if c not in ("code", "grp")],
                       aggfunc="sum", fill_value=0)
    w.columns = [f"{a}_{b}" for a, b in w.columns]
    df = pop.set_index("code").join(w, how="left").fillna(0).join(end.set_index("code"), how="left")
    df = df.join(pm.set_index("code"), how="left")
    for g in ("ETR", "BEL"):
        for c in ("in_all", "in_known", "in_city", "in_abroad", "in_ext", "in_int", "out_all", "out_ext", "out_int", "within"):
            if f"{c}_{g}" not in df:
                df[f"{c}_{g}"] = 0.0
    P = df["population"].replace(0, np.nan)
    df["newcomers_foreign"] = df["in_known_ETR"]
    par_new = df.groupby("parent")["in_city_ETR"].transform("sum")
    par_pop = df.groupby("parent")["population"].transform("sum")
    df["newcomer_concentration"] = (df["in_city_ETR"] / par_new.replace(0, np.nan)) / (P / par_pop)
    df["first_entry_share"] = df["in_abroad_ETR"] / df["newcomers_foreign"].replace(0, np.nan)
    for g, name in (("ETR", "foreign"), ("BEL", "belgian")):
        df[f"external_balance_{name}"] = (df[f"in_ext_{g}"] - df[f"out_ext_{g}"]) / P * 1000 / nyears
        df[f"internal_balance_{name}"] = (df[f"in_int_{g}"] - df[f"out_int_{g}"]) / P * 1000 / nyears
    moves = sum(df[f"{c}_{g}"] for c in ("in_all", "out_all", "within") for g in ("ETR", "BEL"))
    df["residential_mobility"] = moves / P / nyears
    par_rm = moves.groupby(df["parent"]).transform("sum") / par_pop / nyears
    df["residential_mobility_ratio"] = df["residential_mobility"] / par_rm.replace(0, np.nan)
    df["share_new_residents_5y"] = df["new5"] / df["pop_end"].replace(0, np.nan)
    # smallest count each rate rests on (for the small-cell rule in explanations)
    df["newcomer_concentration_n"] = df["in_city_ETR"]
    df["first_entry_share_n"] = np.minimum(df["in_abroad_ETR"].where(df["in_abroad_ETR"] > 0, np.inf), df["newcomers_foreign"])
    df["residential_mobility_ratio_n"] = moves
    df["share_new_residents_5y_n"] = df["new5"]
    for g, name in (("ETR", "foreign"), ("BEL", "belgian")):
        for kind, cols in (("external", ("in_ext", "out_ext")), ("internal", ("in_int", "out_int"))):
            a, b = df[f"{cols[0]}_{g}"], df[f"{cols[1]}_{g}"]
            df[f"{kind}_balance_{name}_n"] = np.minimum(a.where(a > 0, np.inf), b.where(b > 0, np.inf))
    df["population_n"] = df["population"]
    df["newcomers_foreign_n"] = df["newcomers_foreign"]
    if use_engine:
        _engine_values(atlas, df, level, f"{y0}-{y1}" if y0 != y1 else str(y0), layout)
    df = df.reset_index().rename(columns={"index": "code"})
    df.insert(1, "level", level)
    df.insert(2, "layout", layout)
    df.insert(3, "period", f"{y0}-{y1}" if y0 != y1 else str(y0))
    return df


def _engine_values(atlas, df: pd.DataFrame, level: str, period: str, layout: str) -> None:
    """Replace features by the indicator engine's values when the engine provides them."""
    try:
        from aankomst.indicators import compute  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - engine not (yet) available: keep the SQL features
        return
    for ind, col, kwargs in (("first_entry_share", "first_entry_share", {}),
                             ("newcomer_concentration", "newcomer_concentration", {"group": "nationality:ETR"})):
        try:
            res = compute(atlas, ind, level=level, period=period, layout=layout, **kwargs)
            data = getattr(res, "data", res)
            if "layout" in data and (data["layout"].astype(str) != layout).all():
                continue
            vals = pd.to_numeric(data.set_index("area_code")["value"], errors="coerce")
            unit = str(data["unit"].iloc[0]) if "unit" in data and len(data) else ""
            if unit in ("%", "percent"):
                vals = vals / 100.0
            got = vals.reindex(df.index)
            if got.notna().sum() >= 0.5 * df[col].notna().sum():
                df[col] = got.where(got.notna(), df[col])
                df.attrs.setdefault("engine", []).append(ind)
        except Exception:  # noqa: BLE001 - engine unfinished or different semantics: keep ours
            continue
