"""Link to arrival: the share of newcomers who settle in neighbourhoods in difficulty.

Definition: for a city (municipality of the destination sector) and a year, the **share of
arrivals from abroad** (flows with ``origin_kind = 'abroad'``) whose destination sector is in
difficulty under a rule (:mod:`aankomst.analysis.difficulty`), by group (flow ``scheme`` /
``grp``; ``total/total`` for everyone). Numerator = arrivals into sectors in difficulty,
denominator = all arrivals from abroad into the city's sectors with a value of the rule's
measure. Counts obey the small-cell rule (:mod:`aankomst.privacy`).

Flows exist in the demo, the synthetic register and user data (own flow CSV); the real mirror
has none (the function then raises :class:`~aankomst.errors.MissingInputError`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aankomst.analysis._store import sector_municipality
from aankomst.analysis.difficulty import rule as get_rule
from aankomst.analysis.difficulty import sectors_in_difficulty
from aankomst.errors import MissingInputError
from aankomst.privacy import threshold as small_cell_threshold


def share_in_difficulty(flows: pd.DataFrame, in_difficulty: pd.DataFrame) -> pd.DataFrame:
    """Pure core: ``flows`` (``year, dest_code, city, scheme, grp, count``) and
    ``in_difficulty`` (``area_code, in_difficulty``) -> ``city, year, scheme, group, arrivals,
    arrivals_in_difficulty, share`` (0–1). Destinations without a classification are left out
    (counted in ``attrs['unclassified']``)."""
    f = flows.merge(in_difficulty[["area_code", "in_difficulty"]], left_on="dest_code", right_on="area_code", how="left")
    unclassified = float(f.loc[f["in_difficulty"].isna(), "count"].sum())
    f = f.dropna(subset=["in_difficulty"])
    f["in"] = np.where(f["in_difficulty"].astype(bool), f["count"], 0)
    g = f.groupby(["city", "year", "scheme", "grp"]).agg(arrivals=("count", "sum"), arrivals_in_difficulty=("in", "sum"))
    g = g.reset_index().rename(columns={"grp": "group"})
    g["share"] = g["arrivals_in_difficulty"] / g["arrivals"].replace(0, np.nan)
    g.attrs["unclassified"] = unclassified
    return g


def arrival_in_difficulty(atlas: Any, rule_id: str, *, level: str | None = None) -> pd.DataFrame:
    """Share of arrivals from abroad settling in sectors in difficulty, per city, year and group.

    Returns the :func:`share_in_difficulty` table with ``value`` (share in %), ``numerator``,
    ``denominator`` and ``suppressed`` (small-cell rule).
    """
    from aankomst.privacy import protect_indicator

    r = get_rule(rule_id)
    lay = str(r["layout"])
    lv = level or "sector"
    flows = atlas.query(
        "SELECT year, dest_code, scheme, grp, sum(count) AS count FROM flows WHERE origin_kind = 'abroad' "
        "AND dest_kind = 'area' AND dest_level = ? AND dest_layout = ? GROUP BY ALL", [lv, lay])
    if not len(flows):
        raise MissingInputError("arrival_in_difficulty", f"flows from abroad into {lv} areas of layout {lay}",
                                fix="load flows (own flow CSV, synthetic register) or use the demo atlas")
    sec = sectors_in_difficulty(atlas, rule_id)
    mun = sector_municipality(atlas, lay, flows["dest_code"].drop_duplicates())
    flows = flows.merge(mun.rename(columns={"area_code": "dest_code", "municipality": "city"}), on="dest_code", how="left")
    out = share_in_difficulty(flows, sec)
    threshold = small_cell_threshold(atlas)
    prot = protect_indicator(out.assign(value=out["share"] * 100, numerator=out["arrivals_in_difficulty"],
                                        denominator=out["arrivals"]), threshold)
    prot["rule"] = rule_id
    prot["unit"] = "%"
    return prot.drop(columns=["share"])
