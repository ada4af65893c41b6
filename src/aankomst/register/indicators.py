"""Catalogue indicators of the register subsystem (``data/indicators/register.csv``).

Each follows the indicator contract: ``fn(atlas, *, level, period, group=None, scheme=None,
**params) -> DataFrame`` with ``area_code, area_name, level, layout, period, group, value, unit,
numerator, denominator``; the engine adds the small-cell rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError

COLUMNS = ["area_code", "area_name", "level", "layout", "period", "group", "value", "unit", "numerator", "denominator"]


def _layout(atlas, level: str, measure: str, layout: str | None) -> str:
    rows = atlas.query("SELECT DISTINCT layout FROM measures WHERE level = ? AND measure = ?", [level, measure])
    have = [str(x) for x in rows["layout"]]
    if not have:
        raise MissingInputError(measure, f"measure {measure!r} at level {level}",
                                fix="load a register extract: aankomst register load DIR --db FILE")
    return layout if layout in have else sorted(have)[-1]


def _names(atlas, level: str, layout: str) -> pd.Series:
    n = atlas.query("SELECT code, coalesce(name_nl, name_fr, code) AS name FROM areas WHERE level = ? AND layout = ?", [level, layout])
    return n.drop_duplicates("code").set_index("code")["name"]


def _population(atlas, level: str, layout: str, date: str) -> pd.Series:
    p = atlas.query("SELECT code, sum(count) AS n FROM population WHERE level = ? AND layout = ? AND scheme = 'total' "
                    "AND grp = 'total' AND sex = 'T' AND age_band = 'total' AND ref_date = CAST(? AS DATE) GROUP BY code",
                    [level, layout, date])
    return p.set_index("code")["n"]


def _frame(atlas, level, layout, period, num, den, value, unit, group="total") -> pd.DataFrame:
    df = pd.DataFrame({"area_code": num.index.astype(str)})
    df["area_name"] = df["area_code"].map(_names(atlas, level, layout)).fillna(df["area_code"])
    df["level"], df["layout"], df["period"], df["group"] = level, layout, str(period), group
    df["numerator"] = num.to_numpy(float)
    df["denominator"] = den.reindex(num.index).to_numpy(float) if den is not None else np.nan
    df["value"] = value(df)
    df["unit"] = unit
    return df[COLUMNS].sort_values("area_code").reset_index(drop=True)


def share_new_residents_5y(atlas: Any, *, level: str, period: Any, group: str | None = None,
                           scheme: str | None = None, layout: str | None = None, **_: Any) -> pd.DataFrame:
    """% of residents on 1 January ``period`` who did not live in the area five years earlier."""
    year = int(str(period)[:4])
    lay = _layout(atlas, level, "new_residents_5y", layout)
    m = atlas.query("SELECT code, sum(value) AS v FROM measures WHERE level = ? AND layout = ? AND measure = 'new_residents_5y' "
                    "AND period = ? GROUP BY code", [level, lay, f"{year}-01-01"]).set_index("code")["v"]
    if m.empty:
        raise MissingInputError("share_new_residents_5y", "measure new_residents_5y", years=year)
    pop = _population(atlas, level, lay, f"{year}-01-01")
    return _frame(atlas, level, lay, year, m, pop, lambda d: 100.0 * d["numerator"] / d["denominator"].replace(0, np.nan), "%")


def recent_immigrants(atlas: Any, *, level: str, period: Any, group: str | None = None,
                      scheme: str | None = None, layout: str | None = None, **_: Any) -> pd.DataFrame:
    """Non-Belgians first registered in Belgium in year ``period`` and living in the area on
    1 January of the next year (persons)."""
    year = int(str(period)[:4])
    lay = _layout(atlas, level, "recent_immigrants", layout)
    m = atlas.query("SELECT code, sum(value) AS v FROM measures WHERE level = ? AND layout = ? AND measure = 'recent_immigrants' "
                    "AND period = ? GROUP BY code", [level, lay, str(year)]).set_index("code")["v"]
    if m.empty:
        raise MissingInputError("recent_immigrants", "measure recent_immigrants", years=year)
    return _frame(atlas, level, lay, year, m, None, lambda d: d["numerator"], "persons")


def recent_immigrants_per_1000(atlas: Any, *, level: str, period: Any, group: str | None = None,
                               scheme: str | None = None, layout: str | None = None, **_: Any) -> pd.DataFrame:
    """Recent immigrants of year t per 1,000 inhabitants on 1 January t+1."""
    r = recent_immigrants(atlas, level=level, period=period, layout=layout)
    year = int(str(period)[:4])
    pop = _population(atlas, level, r["layout"].iloc[0] if len(r) else (layout or ""), f"{year + 1}-01-01")
    r["denominator"] = r["area_code"].map(pop).astype(float)
    r["value"] = 1000.0 * r["numerator"] / r["denominator"].replace(0, np.nan)
    r["unit"] = "per 1000"
    return r


def arrival_typology(atlas: Any, *, level: str, period: Any, group: str | None = None,
                     scheme: str | None = None, layout: str | None = None, **params: Any) -> pd.DataFrame:
    """Arrival typology class per area: ``group`` = class id, ``value`` = arrival intensity
    (gateway 4, gateway and secondary destination 3, secondary destination 2, transit 1, not an
    arrival area 0, too small: empty) so that maps shade arrival areas darkest; extra columns
    ``class``, ``class_label_nl/en``, ``explanation``."""
    from aankomst.register.typology import load_rules, typology

    rules = load_rules(params.get("rules"))
    t = typology(atlas, level=level, period=str(period), layout=layout, rules=rules)
    intensity = {"gateway": 4.0, "gateway_secondary": 3.0, "secondary_destination": 2.0, "transit": 1.0,
                 "not_arrival": 0.0}
    out = pd.DataFrame({"area_code": t["area_code"], "area_name": t["area_name"], "level": t["level"],
                        "layout": t["layout"], "period": t["period"], "group": t["class"],
                        "value": t["class"].map(intensity).astype(float), "unit": "class",
                        "numerator": t["newcomers_foreign"], "denominator": t["population"]})
    for c in ("class", "class_label_nl", "class_label_en", "explanation"):
        out[c] = t[c]
    return out
