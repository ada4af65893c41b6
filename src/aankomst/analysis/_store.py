"""Reading what the deprivation analyses need from an atlas (all queries parameterised)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.sources.deprivation import DOMAINS

EDITIONS = ("2001", "2011")


def check_edition(edition: str) -> str:
    """Return ``edition`` as text or raise :class:`UnknownCodeError`."""
    e = str(edition)
    if e not in EDITIONS:
        raise UnknownCodeError("BIMD edition", edition, known=list(EDITIONS))
    return e


def measure_wide(atlas: Any, measures: list[str], *, level: str, layout: str, period: str,
                 what: str = "") -> pd.DataFrame:
    """Measures as a wide table ``area_code`` + one column per measure (missing -> error)."""
    df = atlas.query(
        "SELECT code AS area_code, measure, value FROM measures WHERE level = ? AND layout = ? "
        "AND period = ? AND list_contains(?, measure)",
        [level, layout, str(period), measures],
    )
    have = set(df["measure"]) if len(df) else set()
    missing = [m for m in measures if m not in have]
    if missing:
        raise MissingInputError(what or missing[0], f"measure(s) {missing} at level {level} layout {layout}",
                                years=period, fix="load the BIMD/Atlas files with 'aankomst build --data DIR'")
    wide = df.pivot_table(index="area_code", columns="measure", values="value", aggfunc="first")
    return wide.reset_index().rename_axis(columns=None)


def bimd_domains(atlas: Any, edition: str) -> pd.DataFrame:
    """Sector domain scores of a BIMD edition: ``area_code`` + one column per domain."""
    ed = check_edition(edition)
    w = measure_wide(atlas, [f"bimd_{d}_score" for d in DOMAINS], level="sector", layout=ed, period=ed,
                     what=f"bimd {ed}")
    return w.rename(columns={f"bimd_{d}_score": d for d in DOMAINS})


def sector_population(atlas: Any, layout: str, *, ref_date: str | None = None) -> pd.DataFrame:
    """Total population per sector of a layout (``area_code``, ``population``) at ``ref_date``
    (default: the date with the most sectors for that layout, i.e. the complete count)."""
    dates = atlas.query(
        "SELECT CAST(ref_date AS VARCHAR) AS d, count(DISTINCT code) AS n FROM population WHERE level = 'sector' "
        "AND layout = ? AND scheme = 'total' AND grp = 'total' GROUP BY ALL ORDER BY n DESC, d DESC", [layout])
    if not len(dates):
        raise MissingInputError("sector population", f"total population of sector layout {layout}",
                                fix="load population_2001 / population_2011 (BIMD) or a sector population file")
    d = str(ref_date) if ref_date else dates["d"].iloc[0]
    if d not in set(dates["d"]):
        raise MissingInputError("sector population", f"total population of sector layout {layout} on {d}",
                                fix=f"dates loaded: {sorted(dates['d'])}")
    out = atlas.query(
        "SELECT code AS area_code, sum(count) AS population FROM population WHERE level = 'sector' AND "
        "layout = ? AND scheme = 'total' AND grp = 'total' AND sex = 'T' AND age_band = 'total' "
        "AND ref_date = CAST(? AS DATE) GROUP BY code", [layout, d])
    out["population"] = out["population"].astype(float)
    return out


def sector_municipality(atlas: Any, layout: str, codes: pd.Series | None = None) -> pd.DataFrame:
    """Sector -> municipality (layout 2018 for the BIMD vintages) from the crosswalks; sectors not
    in the crosswalk fall back to the first five characters of their code (exact for 2001/2011)."""
    cw = atlas.query(
        "SELECT from_code AS area_code, min(to_code) AS municipality FROM crosswalks WHERE from_level = "
        "'sector' AND from_layout = ? AND to_level = 'municipality' GROUP BY from_code", [layout])
    if codes is None:
        return cw
    out = pd.DataFrame({"area_code": pd.Series(codes).astype(str).to_numpy()})
    out = out.merge(cw, on="area_code", how="left")
    out["municipality"] = out["municipality"].fillna(out["area_code"].str[:5])
    return out


def area_names(atlas: Any, level: str, layout: str) -> pd.DataFrame:
    """``area_code, area_name`` (Dutch name, French where no Dutch one)."""
    return atlas.query(
        "SELECT code AS area_code, coalesce(name_nl, name_fr, code) AS area_name FROM areas "
        "WHERE level = ? AND layout = ?", [level, layout])
