"""Layouts over time: re-express counts published on one layout (or level) on another by
summing along the ``crosswalks`` — with the weights stored there and a ``split`` flag wherever a
unit is divided — and check the area hierarchy.

Conventions: a crosswalk row says which share (``weight``) of a *from* unit lies in a *to* unit.
Re-expressing a count multiplies it by the weight and sums per *to* unit; a result row is
``split`` when any contributing unit was divided (its count is then an estimate, e.g. with equal
weights), and units without any link are returned in ``unmapped`` — never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from aankomst.errors import AankomstError, UnknownCodeError
from aankomst.store.hierarchy import Hierarchy

if TYPE_CHECKING:  # pragma: no cover
    from aankomst.store.atlas import Atlas


@dataclass
class Reexpressed:
    """Counts re-expressed on another layout.

    Attributes
    ----------
    data
        Columns ``level, layout, code`` (target) + the key columns of the table + ``count``
        (float when weights are fractional) + ``split`` (bool: some of it comes from a divided
        unit) + ``n_from`` (number of contributing source units).
    unmapped
        Source rows whose unit has no path to the target (with their counts).
    path
        The chain of ``(level, layout)`` steps used.
    """

    data: pd.DataFrame
    unmapped: pd.DataFrame
    path: list[tuple[str, str]] = field(default_factory=list)


def find_path(atlas: Atlas, src: tuple[str, str], dst: tuple[str, str]) -> list[tuple[str, str]]:
    """Shortest chain of crosswalk steps from ``src`` to ``dst``
    (:meth:`~aankomst.store.hierarchy.Hierarchy.path`), or an error naming the missing link.

    Parameters
    ----------
    atlas
        The atlas (its ``crosswalks``).
    src, dst
        ``(level, layout)`` of the source and target units.

    Returns
    -------
    list of tuple of str
        ``[src, …, dst]`` (``[src]`` when they are equal).

    Raises
    ------
    AankomstError
        When no chain of at most four crosswalk steps links ``src`` to ``dst``.
    """
    path = Hierarchy(atlas).path(src, dst)
    if path is None:
        raise AankomstError(
            f"no crosswalk path from {src[0]}/{src[1]} to {dst[0]}/{dst[1]}; load the crosswalk "
            "tables (e.g. crosswalks/agg_*.xlsx, statsec*_als_basis.xlsx) or an areas CSV with "
            "parent links")
    return path


def mapping(atlas: Atlas, path: list[tuple[str, str]]) -> pd.DataFrame:
    """The crosswalks along ``path`` composed into ``from_code, to_code, weight, split``.

    Parameters
    ----------
    atlas
        The atlas.
    path
        A chain of ``(level, layout)`` nodes as returned by :func:`find_path` (only its ends
        are used: the chain is looked up again).

    Returns
    -------
    pandas.DataFrame
        ``from_code, to_code, weight, split``: ``weight`` is the share (0–1) of the
        ``from_code`` unit in the ``to_code`` unit; ``split`` marks units divided on the way.

    Raises
    ------
    MissingInputError
        When no chain of crosswalks links the ends of ``path``.
    """
    m = Hierarchy(atlas).require_map(path[0], path[-1])
    return m.rename(columns={"code": "from_code"})[["from_code", "to_code", "weight", "split"]]


_KEYS = {
    "population": ["ref_date", "scheme", "grp", "sex", "age_band"],
}


def reexpress(atlas: Atlas, *, from_level: str, from_layout: str, to_level: str, to_layout: str,
              table: str = "population", where: dict[str, Any] | None = None,
              frame: pd.DataFrame | None = None) -> Reexpressed:
    """Re-express the counts of ``table`` at ``from_level``/``from_layout`` on
    ``to_level``/``to_layout`` by summing along crosswalks.

    Parameters
    ----------
    atlas
        The atlas (crosswalks and, unless ``frame`` is given, the counts).
    from_level, from_layout, to_level, to_layout
        Source and target (e.g. ``municipality``/``2018`` -> ``municipality``/``2025`` or
        ``sector``/``2019`` -> ``neighbourhood``/``2025``).
    table
        ``"population"`` (counts of persons).
    where
        Equality filters on the key columns, e.g. ``{"scheme": "nationality", "age_band": "total"}``.
    frame
        Counts to re-express instead of the atlas rows: columns ``code``, the key columns, ``count``.

    Returns
    -------
    Reexpressed
        ``data`` with ``split`` flags and ``unmapped`` units; counts are persons (float where a
        split unit was shared out by weight).

    Raises
    ------
    UnknownCodeError
        For a ``table`` other than ``population`` or a ``where`` column that is not a key
        column.
    AankomstError
        When no chain of crosswalks links the source to the target.
    """
    if table not in _KEYS:
        raise UnknownCodeError("table for re-expression", table, known=list(_KEYS))
    keys = _KEYS[table]
    if frame is None:
        sql = f"SELECT code, {', '.join(keys)}, count FROM {table} WHERE level = ? AND layout = ?"
        params: list[Any] = [from_level, from_layout]
        for k, v in (where or {}).items():
            if k not in keys:
                raise UnknownCodeError("filter column", k, known=keys)
            sql += f" AND {k} = ?"
            params.append(v)
        frame = atlas.query(sql, params)
    path = find_path(atlas, (from_level, from_layout), (to_level, to_layout))
    if len(path) == 1:
        data = frame.assign(level=to_level, layout=to_layout, split=False, n_from=1)
        return Reexpressed(data, frame.iloc[0:0], path)
    m = mapping(atlas, path)
    j = frame.merge(m, left_on="code", right_on="from_code", how="left")
    unmapped = j[j["to_code"].isna()][["code", *keys, "count"]].reset_index(drop=True)
    j = j[j["to_code"].notna()]
    j["count"] = j["count"].astype(float) * j["weight"]
    out = j.groupby(["to_code", *keys], as_index=False, dropna=False).agg(
        count=("count", "sum"), split=("split", "max"), n_from=("code", "nunique"))
    out = out.rename(columns={"to_code": "code"})
    out.insert(0, "layout", to_layout)
    out.insert(0, "level", to_level)
    if not out["split"].any():
        out["count"] = out["count"].round().astype("int64")
    return Reexpressed(out.reset_index(drop=True), unmapped, path)


def parents(atlas: Atlas, level: str, layout: str, to_level: str, to_layout: str | None = None) -> pd.DataFrame:
    """The parent of every unit at ``to_level`` (columns ``code, parent, weight, split``).

    Parameters
    ----------
    atlas
        The atlas.
    level, layout
        Level and layout of the units (e.g. ``"sector"``, ``"2025"``).
    to_level, to_layout
        Level and layout of the parents; ``to_layout`` defaults to the current layout of
        ``to_level``.

    Returns
    -------
    pandas.DataFrame
        ``code, parent, weight, split``: one row per (unit, parent) link; a divided unit has
        several rows with ``weight`` (share of the unit, 0–1) below 1 and ``split`` true.

    Raises
    ------
    AankomstError
        When no chain of crosswalks links the two levels.
    """
    from aankomst.store.schema import CURRENT_LAYOUT

    to_layout = to_layout or CURRENT_LAYOUT.get(to_level, "2025")
    m = mapping(atlas, find_path(atlas, (level, layout), (to_level, to_layout)))
    return m.rename(columns={"from_code": "code", "to_code": "parent"})


def hierarchy_report(atlas: Atlas) -> dict[str, Any]:
    """Check the hierarchy of the current layout: sectors 2025 -> exactly one neighbourhood and one
    municipality; municipality -> arrondissement -> province -> region -> country; Brussels
    sectors -> monitoring neighbourhoods. Returns counts (0 problems = consistent).

    Parameters
    ----------
    atlas
        The atlas (its ``areas`` and ``crosswalks``).

    Returns
    -------
    dict of str to dict
        Per check (``sector2025_neighbourhood``, ``sector2025_municipality``,
        ``municipality_arrondissement``, ``arrondissement_province``, ``province_region``,
        ``region_country``, ``brussels_sector2019_monitor``, ``brussels_sector2025_monitor``)
        the number of ``units`` and how many have one parent (``with_one``), none
        (``with_none``) or several (``with_several``).
    """
    out: dict[str, Any] = {}

    def one_parent(level: str, layout: str, to_level: str, to_layout: str, like: str | None = None) -> dict[str, int]:
        cond = "AND a.code LIKE ?" if like else ""
        params = [to_level, to_layout, level, layout] + ([like] if like else [])
        rows = atlas.query(
            f"""SELECT n, count(*) AS k FROM (
                  SELECT a.code, count(c.to_code) AS n FROM areas a
                  LEFT JOIN crosswalks c ON c.from_level = a.level AND c.from_layout = a.layout AND c.from_code = a.code
                       AND c.to_level = ? AND c.to_layout = ?
                  WHERE a.level = ? AND a.layout = ? {cond} GROUP BY a.code) GROUP BY n""", params)
        d = {int(n): int(k) for n, k in rows.itertuples(index=False)}
        return {"units": sum(d.values()), "with_one": d.get(1, 0), "with_none": d.get(0, 0),
                "with_several": sum(v for k, v in d.items() if k > 1)}

    out["sector2025_neighbourhood"] = one_parent("sector", "2025", "neighbourhood", "2025")
    out["sector2025_municipality"] = one_parent("sector", "2025", "municipality", "2025")
    out["municipality_arrondissement"] = one_parent("municipality", "2025", "arrondissement", "2025")
    out["arrondissement_province"] = one_parent("arrondissement", "2025", "province", "2025")
    out["province_region"] = one_parent("province", "2025", "region", "2025")
    out["region_country"] = one_parent("region", "2025", "country", "2025")
    out["brussels_sector2019_monitor"] = one_parent("sector", "2019", "brussels_neighbourhood", "monitor", "21%")
    out["brussels_sector2025_monitor"] = one_parent("sector", "2025", "brussels_neighbourhood", "monitor", "21%")
    return out
