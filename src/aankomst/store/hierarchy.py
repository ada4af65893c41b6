"""The area hierarchy of an atlas: levels, crosswalk chains, parents, names, lookup by code.

The one home of these mechanisms; the indicator engine, register, analysis, registry and web
call it. Parents come from the ``crosswalks`` table only — never guessed from code prefixes
(since the 2019 sector layout the municipality cannot be derived from a sector code reliably,
domain.md §2); the exact 2001/2011 sector → municipality prefixes are loaded as crosswalks by
the readers, where they are documented as exact.

Conventions: a crosswalk row says which share (``weight``) of a *from* unit lies in a *to* unit;
a chain of crosswalks (municipality 2018 → municipality 2025 → region) is composed by
multiplying weights and summing over the intermediate units; ``split`` marks divided units.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable
from typing import Any

import pandas as pd

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.store.schema import CURRENT_LAYOUT, LEVELS

Node = tuple[str, str]
"""An area level with its layout, e.g. ``("municipality", "2025")``."""

FINENESS: dict[str, int] = {lv: i for i, lv in enumerate(LEVELS)}
FINENESS["area_type"] = -1
FINENESS["brussels_neighbourhood"] = FINENESS["neighbourhood"]

LEVEL_ALIASES = {"gemeente": "municipality", "wijk": "neighbourhood", "ggw7": "neighbourhood",
                 "gewest": "region", "provincie": "province", "sector": "sector",
                 "statsec": "sector", "quartier": "brussels_neighbourhood",
                 "monitor": "brussels_neighbourhood"}


def atlas_version(atlas: Any) -> tuple[str, int, int, str]:
    """A key that changes whenever data is loaded into the atlas: its file, the number of
    loaded files, the last load id and the last load time (``provenance``). Memoised answers
    are keyed by it."""
    n, mx, at = atlas.con.execute(
        "SELECT count(*), coalesce(max(load_id), 0), CAST(max(loaded_at) AS VARCHAR) "
        "FROM provenance").fetchall()[0]
    return str(getattr(atlas, "path", id(atlas))), int(n), int(mx), str(at)


def resolve_level(level: str, layout: str | None = None) -> Node:
    """Validate a level name (English or Dutch alias) and return ``(level, layout)``.

    ``level`` may carry the layout after ``@`` (``"municipality@2018"``); without a layout the
    level's current one is used.

    Parameters
    ----------
    level
        Level name (``municipality``), a Dutch or other alias (``gemeente``, ``wijk``,
        ``ggw7``, ``statsec`` …; case-insensitive), optionally with ``@LAYOUT``.
    layout
        Layout when ``level`` carries none (the ``@`` layout wins); default the level's current
        layout (:data:`~aankomst.store.schema.CURRENT_LAYOUT`).

    Returns
    -------
    Node
        ``(level, layout)`` with the English level name.

    Raises
    ------
    UnknownCodeError
        For an unknown level (the message lists the known ones).

    Examples
    --------
    >>> resolve_level("gemeente")
    ('municipality', '2025')
    >>> resolve_level("municipality@2018")
    ('municipality', '2018')
    >>> resolve_level("wijk", "2024")
    ('neighbourhood', '2024')
    >>> resolve_level("parish")
    Traceback (most recent call last):
    ...
    aankomst.errors.UnknownCodeError: unknown level 'parish'; known: country, region, ...
    """
    lv = str(level).strip().lower()
    if "@" in lv:
        lv, layout = lv.split("@", 1)
    lv = LEVEL_ALIASES.get(lv, lv)
    if lv not in LEVELS:
        raise UnknownCodeError("level", level, known=list(LEVELS))
    return lv, str(layout) if layout else CURRENT_LAYOUT[lv]


_MAPS: OrderedDict[tuple[Any, Node, Node], pd.DataFrame | None] = OrderedDict()
_MAPS_SIZE = 256
_CODES: OrderedDict[tuple[Any, Node], frozenset[str]] = OrderedDict()


class Hierarchy:
    """Crosswalk chains, parents and names of one atlas (answers cached per instance).

    Parameters
    ----------
    atlas
        An open :class:`~aankomst.store.atlas.Atlas` (read-only is enough). The answers are
        cached: make a new instance after loading crosswalks or areas.

    Examples
    --------
    A small atlas in memory: two neighbourhoods of Antwerp nested (whole units, weight 1) in
    the municipality, the municipality in the Flemish Region.

    >>> import pandas as pd
    >>> from aankomst.store.atlas import Atlas
    >>> from aankomst.store.batch import LoadBatch
    >>> atlas = Atlas(":memory:")
    >>> areas = pd.DataFrame({
    ...     "level": ["region", "municipality", "neighbourhood", "neighbourhood"], "layout": "2025",
    ...     "code": ["02000", "11002", "11002A00", "11002B01"],
    ...     "name_nl": ["Vlaams Gewest", "Antwerpen", "Historisch Centrum", "Zuid"],
    ...     "name_fr": [None, "Anvers", None, None], "name_en": None,
    ...     "area_km2": [13625.0, 204.5, 1.5, 2.0], "geometry": None})
    >>> links = pd.DataFrame({
    ...     "from_level": ["neighbourhood", "neighbourhood", "municipality"], "from_layout": "2025",
    ...     "from_code": ["11002A00", "11002B01", "11002"],
    ...     "to_level": ["municipality", "municipality", "region"], "to_layout": "2025",
    ...     "to_code": ["11002", "11002", "02000"],
    ...     "weight": 1.0, "weight_basis": "whole", "split": False})
    >>> _ = atlas.load([LoadBatch("doc/areas", "doc", "areas.csv", "0" * 64,
    ...                           {"areas": areas, "crosswalks": links})])
    >>> h = Hierarchy(atlas)
    >>> nb, mun, reg = ("neighbourhood", "2025"), ("municipality", "2025"), ("region", "2025")
    >>> h.path(nb, reg)
    [('neighbourhood', '2025'), ('municipality', '2025'), ('region', '2025')]
    >>> h.code_map(nb, reg)
           code to_code  weight  split
    0  11002A00   02000     1.0  False
    1  11002B01   02000     1.0  False
    >>> h.parent_map(nb, mun)
           code parent
    0  11002A00  11002
    1  11002B01  11002
    >>> h.names(nb, ["11002B01", "99999"])
           code area_name area_name_fr
    0  11002B01      Zuid         Zuid
    1     99999     99999        99999
    >>> h.node_of("11002")
    ('municipality', '2025')
    >>> h.code_map(reg, nb) is None  # crosswalks run from the smaller unit up
    True
    >>> atlas.close()
    """

    def __init__(self, atlas: Any) -> None:
        self.atlas = atlas
        self._edges: dict[Node, set[Node]] | None = None
        self._maps: dict[tuple[Node, Node], pd.DataFrame | None] = {}
        self._areas: dict[Node, pd.DataFrame] = {}
        self._version: tuple[str, int, int, str] | None = None

    def q(self, sql: str, params: Iterable[Any] = ()) -> pd.DataFrame:
        """Run a query on the atlas and return a DataFrame.

        Parameters
        ----------
        sql
            SQL with ``?`` placeholders.
        params
            Values for the placeholders (never format values into ``sql``).

        Returns
        -------
        pandas.DataFrame
            The result rows.
        """
        return self.atlas.con.execute(sql, list(params)).df()

    def edges(self) -> dict[Node, set[Node]]:
        """The graph of ``(level, layout)`` nodes linked by crosswalks (from → to).

        Returns
        -------
        dict of Node to set of Node
            For every node with crosswalks, the nodes it links to (self-links left out).
            Cached per instance.
        """
        if self._edges is None:
            rows = self.atlas.con.execute(
                "SELECT DISTINCT from_level, from_layout, to_level, to_layout FROM crosswalks"
            ).fetchall()
            g: dict[Node, set[Node]] = {}
            for fl, fy, tl, ty in rows:
                if (fl, fy) != (tl, ty):
                    g.setdefault((str(fl), str(fy)), set()).add((str(tl), str(ty)))
            self._edges = g
        return self._edges

    def path(self, src: Node, dst: Node, max_steps: int = 4) -> list[Node] | None:
        """Shortest chain of crosswalks from ``src`` to ``dst`` (``[src, …, dst]``), breadth
        first with direct links first; ``None`` when there is none within ``max_steps``.

        Parameters
        ----------
        src, dst
            ``(level, layout)`` nodes.
        max_steps
            Longest chain tried (number of crosswalk steps).

        Returns
        -------
        list of Node or None
            ``[src, …, dst]`` (``[src]`` when ``src == dst``); ties between chains of equal
            length are broken by node order, so the answer is deterministic.
        """
        if src == dst:
            return [src]
        g = self.edges()
        prev: dict[Node, Node] = {}
        seen = {src}
        todo = deque([(src, 0)])
        while todo:
            node, d = todo.popleft()
            if d >= max_steps:
                continue
            for nxt in sorted(g.get(node, ())):
                if nxt in seen:
                    continue
                prev[nxt] = node
                if nxt == dst:
                    out = [dst]
                    while out[-1] != src:
                        out.append(prev[out[-1]])
                    return out[::-1]
                seen.add(nxt)
                todo.append((nxt, d + 1))
        return None

    def code_map(self, src: Node, dst: Node) -> pd.DataFrame | None:
        """Composed crosswalk ``code → to_code`` with ``weight`` and ``split`` (``None``: no
        chain links the two).

        Parameters
        ----------
        src, dst
            ``(level, layout)`` nodes, from the smaller units to the larger (or other layout).

        Returns
        -------
        pandas.DataFrame or None
            Columns ``code`` (a ``src`` unit), ``to_code`` (a ``dst`` unit), ``weight`` (share
            of the ``src`` unit in the ``dst`` unit, 0–1, multiplied along the chain and summed
            over intermediate units) and ``split`` (bool: divided somewhere along the chain or
            weight below 1). Empty when ``src == dst``; ``None`` when no chain of at most four
            steps links them. Shared by every computation on the same atlas version
            (:func:`atlas_version`): do not modify.
        """
        key = (src, dst)
        if key in self._maps:
            return self._maps[key]
        if self._version is None:
            self._version = atlas_version(self.atlas)
        shared = (self._version, src, dst)
        if shared in _MAPS:
            _MAPS.move_to_end(shared)
        else:
            _MAPS[shared] = self._compose(src, dst)
            if len(_MAPS) > _MAPS_SIZE:
                _MAPS.popitem(last=False)
        self._maps[key] = _MAPS[shared]
        return self._maps[key]

    def _compose(self, src: Node, dst: Node) -> pd.DataFrame | None:
        """:meth:`code_map` without the caches."""
        p = self.path(src, dst)
        if p is None:
            return None
        if len(p) == 1:
            return pd.DataFrame(columns=["code", "to_code", "weight", "split"])
        m: pd.DataFrame | None = None
        for a, b in zip(p[:-1], p[1:]):
            step = self.q(
                "SELECT from_code AS code, to_code, weight, split FROM crosswalks "
                "WHERE from_level = ? AND from_layout = ? AND to_level = ? AND to_layout = ?",
                [a[0], a[1], b[0], b[1]],
            )
            if m is None:
                m = step
            else:
                j = m.merge(step, left_on="to_code", right_on="code", suffixes=("", "_s"))
                j["weight"] = j["weight"] * j["weight_s"]
                j["split"] = j["split"] | j["split_s"]
                m = (
                    j.groupby(["code", "to_code_s"], as_index=False)
                    .agg(weight=("weight", "sum"), split=("split", "max"))
                    .rename(columns={"to_code_s": "to_code"})
                )
        if m is None:
            raise AssertionError("a path of two or more nodes composes at least one step")
        m["split"] = m["split"].astype(bool) | (m["weight"] < 1 - 1e-9)
        return m

    def require_map(self, src: Node, dst: Node) -> pd.DataFrame:
        """:meth:`code_map` or :class:`MissingInputError` naming the missing chain.

        Parameters
        ----------
        src, dst
            ``(level, layout)`` nodes.

        Returns
        -------
        pandas.DataFrame
            As :meth:`code_map`.

        Raises
        ------
        MissingInputError
            When no chain of crosswalks links ``src`` to ``dst``.
        """
        m = self.code_map(src, dst)
        if m is None:
            raise MissingInputError(
                "(hierarchy)",
                f"a crosswalk chain from {src[0]} (layout {src[1]}) to {dst[0]} "
                f"(layout {dst[1]})",
                fix="load the crosswalk workbooks ('aankomst build') or choose another level",
            )
        return m

    def parent_map(self, child: Node, parent: Node) -> pd.DataFrame:
        """``code → parent`` (the largest weight wins) for nesting areas, e.g. neighbourhood →
        city; columns ``code, parent``.

        Parameters
        ----------
        child, parent
            ``(level, layout)`` of the units and of their parents.

        Returns
        -------
        pandas.DataFrame
            One row per child unit with a link: ``code`` and ``parent`` (the parent holding the
            largest share of it).

        Raises
        ------
        MissingInputError
            When no chain of crosswalks links ``child`` to ``parent``.
        """
        m = self.require_map(child, parent)
        if len(m) == 0:
            return pd.DataFrame({"code": [], "parent": []})
        m = m.sort_values("weight", ascending=False).drop_duplicates("code")
        return m[["code", "to_code"]].rename(columns={"to_code": "parent"})

    def areas(self, node: Node) -> pd.DataFrame:
        """``code, name_nl, name_fr, area_km2, geometry`` of the areas of a node.

        Parameters
        ----------
        node
            ``(level, layout)``.

        Returns
        -------
        pandas.DataFrame
            One row per area of the node: names, stored size (km²; may be missing) and
            geometry as WKB in EPSG:31370 (may be missing). Cached per instance: do not modify.
        """
        if node not in self._areas:
            self._areas[node] = self.q(
                "SELECT code, name_nl, name_fr, area_km2, geometry FROM areas "
                "WHERE level = ? AND layout = ?",
                list(node),
            )
        return self._areas[node]

    def codes(self, node: Node) -> frozenset[str]:
        """Codes of the areas of a node (without names or geometry; memoised per atlas version).

        Parameters
        ----------
        node
            ``(level, layout)``.

        Returns
        -------
        frozenset of str
            The codes stored in ``areas`` for that level and layout.
        """
        if self._version is None:
            self._version = atlas_version(self.atlas)
        key = (self._version, node)
        if key not in _CODES:
            rows = self.atlas.con.execute("SELECT code FROM areas WHERE level = ? AND layout = ?",
                                          list(node)).fetchall()
            _CODES[key] = frozenset(str(r[0]) for r in rows)
            if len(_CODES) > _MAPS_SIZE:
                _CODES.popitem(last=False)
        _CODES.move_to_end(key)
        return _CODES[key]

    def names(self, node: Node, codes: Iterable[str]) -> pd.DataFrame:
        """``code, area_name, area_name_fr`` for ``codes``: the Dutch name (French where there is
        no Dutch one, the code where there is neither) and the French name (else the first).

        Parameters
        ----------
        node
            ``(level, layout)`` of the codes.
        codes
            Area codes, in the order wanted.

        Returns
        -------
        pandas.DataFrame
            One row per code, in the given order (codes unknown at the node get the code as
            name).
        """
        a = self.areas(node)[["code", "name_nl", "name_fr"]]
        out = pd.DataFrame({"code": list(codes)}).merge(a, on="code", how="left")
        nl = out["name_nl"].where(out["name_nl"].notna() & (out["name_nl"] != ""), out["name_fr"])
        out["area_name"] = nl.where(nl.notna(), out["code"])
        out["area_name_fr"] = out["name_fr"].where(out["name_fr"].notna() & (out["name_fr"] != ""),
                                                   out["area_name"])
        return out[["code", "area_name", "area_name_fr"]]

    def area_km2(self, node: Node) -> pd.DataFrame:
        """``code, area_km2``: stored sizes, else computed from the geometry (EPSG:31370), else
        (units made of municipalities, such as area types) the sum of the sizes of the current
        municipalities the crosswalks put in them.

        Parameters
        ----------
        node
            ``(level, layout)``.

        Returns
        -------
        pandas.DataFrame
            One row per area of the node: ``code`` and ``area_km2`` (square kilometres; NaN when
            neither a size, a geometry nor municipalities are known).
        """
        a = self.areas(node)
        km2 = a["area_km2"].astype(float).copy()
        need = km2.isna() & a["geometry"].notna()
        if need.any():
            import shapely

            geoms = shapely.from_wkb([bytes(g) for g in a.loc[need, "geometry"]])
            km2.loc[need] = shapely.area(geoms) / 1e6
        out = pd.DataFrame({"code": a["code"], "area_km2": km2})
        muni = ("municipality", CURRENT_LAYOUT["municipality"])
        if out["area_km2"].isna().any() and node != muni:
            m = self.code_map(muni, node)
            if m is not None and len(m):
                base = self.area_km2(muni)
                j = m.merge(base, on="code")
                summed = (j["area_km2"] * j["weight"]).groupby(j["to_code"]).sum(min_count=1)
                out["area_km2"] = out["area_km2"].fillna(out["code"].map(summed))
        return out

    def node_of(self, code: str) -> Node:
        """The ``(level, layout)`` of an area code: its current layout where it has one.

        Parameters
        ----------
        code
            An area code (e.g. ``"11002"``).

        Returns
        -------
        Node
            The node of the code in its level's current layout; else one of the nodes where
            the code occurs.

        Raises
        ------
        UnknownCodeError
            For a code that is not in ``areas``.
        """
        rows = self.atlas.con.execute("SELECT DISTINCT level, layout FROM areas WHERE code = ?",
                                      [str(code)]).fetchall()
        if not rows:
            raise UnknownCodeError("area", code, hint="give an area code of the atlas")
        for lv, ly in rows:
            if CURRENT_LAYOUT.get(lv) == ly:
                return str(lv), str(ly)
        return str(rows[0][0]), str(rows[0][1])
