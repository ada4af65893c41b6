"""Declarations of the deprivation indicators (plug-in of :mod:`aankomst.analysis`).

Registered by :func:`aankomst.plugins.install`; texts in
``aankomst/data/indicators/deprivation.csv``.
"""

from __future__ import annotations

from typing import Any

from aankomst.analysis import indicators as D
from aankomst.indicators.availability import External
from aankomst.indicators.spec import IndicatorSpec, Param

WITHOUT_HEALTH = Param("without_health", "bool", False)


def _editions(measures: dict[str, str]) -> External:
    """Periods (editions) of the measure each level reads, wherever it is stored."""

    def fn(atlas: Any, *, level: str, layout: str, params: dict[str, Any]) -> list[str]:
        m = measures.get(level)
        if m is None:
            return []
        if params.get("without_health") and "_score" in m:
            m = m.replace("bimd_", "bimd_nohealth_").replace("nohealth_mun_", "mun_nohealth_")
        rows = atlas.con.execute("SELECT DISTINCT period FROM measures WHERE measure = ?",
                                 [m]).fetchall()
        return sorted(str(r[0])[:4] for r in rows)

    return External(fn, "measures " + ", ".join(sorted(set(measures.values()))))


def _difficulty_periods(atlas: Any, *, level: str, layout: str, params: dict[str, Any]
                        ) -> list[str]:
    from aankomst.analysis.difficulty import rule as get_rule

    rules = [params["rule"]] if params.get("rule") else list(D.DEFAULT_RULE.values())
    out = []
    for rid in rules:
        r = get_rule(rid)
        n = atlas.con.execute("SELECT count(*) FROM measures WHERE measure = ? AND period = ?",
                              [str(r["measure"]), str(r["period"])]).fetchall()[0][0]
        if n:
            out.append(str(r["period"]))
    return out


_SCORE = {"sector": "bimd_score", "municipality": "bimd_mun_score", "neighbourhood": "bimd_score"}
_RANK = {"sector": "bimd_rank", "municipality": "bimd_mun_rank"}
_DECILE = {"sector": "bimd_decile", "municipality": "bimd_mun_decile"}

SPECS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("bimd_score", D.bimd_score, "index", ("sector", "municipality", "neighbourhood"),
                  (_editions(_SCORE),), params=(WITHOUT_HEALTH,), period="edition"),
    IndicatorSpec("bimd_rank", D.bimd_rank, "index", ("sector", "municipality"),
                  (_editions(_RANK),), params=(WITHOUT_HEALTH,), period="edition"),
    IndicatorSpec("bimd_decile", D.bimd_decile, "index", ("sector", "municipality"),
                  (_editions(_DECILE),), params=(WITHOUT_HEALTH,), period="edition"),
    IndicatorSpec("bimd_extent", D.bimd_extent, "share", ("municipality",),
                  (_editions({"municipality": "bimd_score"}),), period="edition"),
    IndicatorSpec("atlas_difficulty_index", D.atlas_difficulty_index, "index",
                  ("sector", "neighbourhood"),
                  (_editions({"sector": "atlas_difficulty_index",
                              "neighbourhood": "atlas_difficulty_index"}),), period="edition"),
    IndicatorSpec("in_difficulty", D.in_difficulty, "share",
                  ("sector", "neighbourhood", "municipality"),
                  (External(_difficulty_periods, "the measure of the difficulty rule"),),
                  params=(Param("rule", "str"),), period="edition"),
)
"""The deprivation indicators."""
