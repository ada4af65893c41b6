"""Areas of the atlas as seen by the registry: polygons, centres, point location.

Centres (EPSG:31370, metres)
----------------------------
* **neighbourhood** (and any level without finer populated units): the polygon's
  *representative point* (``shapely.point_on_surface``: always inside the polygon, unlike a
  centroid). Statistical-sector geometry is not in the mirror, so a neighbourhood's centre
  cannot be weighted by its sectors' populations.
* **coarser levels** (municipality, deelgemeente, province …): the *population-weighted
  centre* of the neighbourhoods whose representative point lies inside the unit, weights =
  neighbourhood population (directly from the atlas, or sector populations — e.g. 2019 —
  summed to 2025 neighbourhoods through the crosswalks; when no crosswalk chain reaches the
  2025 neighbourhoods — the real mirror links 2019 sectors only to the 2024 neighbourhoods —
  they are summed to the older layout and each old neighbourhood's population is handed to
  the 2025 neighbourhood containing its representative point). If that mean falls outside the
  polygon (a crescent-shaped unit) the nearest point on the polygon is used; without any
  population the representative point is used. ``basis`` says which rule applied.

Municipality boundaries for editor scopes
-----------------------------------------
An editor may only place a resource in one of their municipalities, judged by the point, not
by the code they declare. :func:`municipality_lookup` gives the polygons to test against: the
attached atlas's current municipalities, else the registry's own copy (table ``boundaries``,
filled from an atlas by :func:`load_boundaries` — ``aankomst registry boundaries --db ATLAS``
or ``aankomst registry init --db ATLAS``), else ``None`` (then editors cannot place
resources; admins and the command line can).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import AankomstError, UnknownCodeError

_CACHE: dict[tuple[str, float, str, str], AreaSet] = {}
_LOCK = threading.Lock()


@dataclass
class AreaSet:
    """Polygons and centres of one level/layout (EPSG:31370)."""

    level: str
    layout: str
    codes: np.ndarray
    names: np.ndarray
    geoms: np.ndarray
    centres: np.ndarray
    basis: np.ndarray
    _tree: Any = field(default=None, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.codes)

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Area code containing each point (EPSG:31370); ``None`` outside every polygon."""
        import shapely

        pts = shapely.points(np.asarray(x, float), np.asarray(y, float))
        if self._tree is None:  # built once per cached AreaSet, not per call
            self._tree = shapely.STRtree(self.geoms)
        ip, ia = self._tree.query(pts, predicate="intersects")
        out = np.full(len(pts), None, dtype=object)
        out[ip] = self.codes[ia]
        return out

    def frame(self) -> pd.DataFrame:
        """``code, name, x, y, basis`` per area."""
        return pd.DataFrame(
            {"code": self.codes, "name": self.names, "x": self.centres[:, 0],
             "y": self.centres[:, 1], "basis": self.basis}
        )


def to_31370(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 degrees (EPSG:4326) to Belgian Lambert 72 metres (EPSG:31370)."""

    t = _transformer("EPSG:4326", "EPSG:31370")
    x, y = t.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def to_4326(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Project EPSG:31370 metres to WGS84 longitude/latitude degrees."""
    t = _transformer("EPSG:31370", "EPSG:4326")
    lon, lat = t.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


_TRANSFORMERS: dict[tuple[str, str], Any] = {}


def _transformer(src: str, dst: str) -> Any:
    from pyproj import Transformer

    key = (src, dst)
    if key not in _TRANSFORMERS:
        _TRANSFORMERS[key] = Transformer.from_crs(src, dst, always_xy=True)
    return _TRANSFORMERS[key]


def _open(atlas: Any) -> tuple[Any, bool]:
    """Return (Atlas, opened_here) for an Atlas object or a path."""
    if isinstance(atlas, (str, Path)):
        from aankomst.store.atlas import Atlas

        return Atlas(str(atlas), read_only=True), True
    return atlas, False


def _atlas_key(atlas: Any) -> tuple[str, float]:
    p = str(getattr(atlas, "path", atlas))
    try:
        return p, Path(p).stat().st_mtime
    except OSError:
        return p, 0.0


def default_layout(level: str) -> str:
    """The current layout of ``level`` (see ``aankomst.store.schema.CURRENT_LAYOUT``)."""
    from aankomst.store.schema import CURRENT_LAYOUT

    if level not in CURRENT_LAYOUT:
        raise UnknownCodeError("level", level, known=list(CURRENT_LAYOUT))
    return CURRENT_LAYOUT[level]


def area_set(atlas: Any, level: str = "neighbourhood", layout: str | None = None) -> AreaSet:
    """Polygons and centres of ``level`` (cached per atlas file and modification time).

    Raises
    ------
    MissingInputError
        When the atlas has no geometry for that level and layout.
    """
    layout = layout or default_layout(level)
    path, mtime = _atlas_key(atlas)
    key = (path, mtime, level, layout)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    a, opened = _open(atlas)
    try:
        s = _build(a, level, layout)
    finally:
        if opened:
            a.close()
    with _LOCK:
        _CACHE[key] = s
    return s


def _read_polys(a: Any, level: str, layout: str) -> pd.DataFrame:
    """``code, name, geom`` of the areas with geometry (via :meth:`Atlas.areas_gdf`)."""
    g = a.areas_gdf(level, layout, with_geometry_only=True)
    name = g["name_nl"].fillna(g["name_fr"]).fillna(g["name_en"]).fillna(g["code"])
    return pd.DataFrame({"code": g["code"].to_numpy(), "name": name.to_numpy(),
                         "geom": g.geometry.to_numpy()})


def neighbourhood_population(a: Any, layout: str = "2025", scheme: str = "total",
                             grp: str = "total") -> pd.Series:
    """Population per neighbourhood (latest date), from the atlas; empty when unknown.

    Uses neighbourhood counts when present, else sector counts (any sector layout, latest
    date) carried to the neighbourhoods through the crosswalks (one or two steps, weights
    multiplied). ``scheme``/``grp`` select a group (``total``/``total`` by default).
    """
    base = "scheme = $scheme AND grp = $grp AND sex = 'T' AND age_band = 'total'"
    p = {"layout": layout, "scheme": scheme, "grp": grp}
    df = a.query(
        f"SELECT code, count FROM population WHERE level = 'neighbourhood' AND layout = $layout "
        f"AND {base} AND ref_date = (SELECT max(ref_date) FROM population "
        f"WHERE level = 'neighbourhood' AND layout = $layout AND {base})", p)
    if not df.empty:
        return df.groupby("code")["count"].sum().astype(float)
    sectors = a.query(
        f"SELECT layout, max(ref_date) AS d FROM population WHERE level = 'sector' AND {base} "
        "GROUP BY layout ORDER BY d DESC", {"scheme": scheme, "grp": grp})
    direct = neighbourhood_population_direct(a, layout, scheme, grp, sectors, base)
    if direct is not None:
        return direct
    # No chain to this layout: take another neighbourhood layout the sectors reach (e.g. the
    # 2024 neighbourhoods for 2019 sectors) and hand each old neighbourhood's population to the
    # new neighbourhood containing its representative point (spatial fallback).
    others = a.query("SELECT DISTINCT layout FROM areas WHERE level = 'neighbourhood' AND layout <> ? "
                     "AND geometry IS NOT NULL ORDER BY layout DESC", [layout])["layout"].tolist()
    for other in others:
        old = neighbourhood_population_direct(a, other, scheme, grp, sectors, base)
        if old is None or old.empty:
            continue
        import shapely

        po, pn = _read_polys(a, "neighbourhood", other), _read_polys(a, "neighbourhood", layout)
        if po.empty or pn.empty:
            continue
        pts = shapely.point_on_surface(po["geom"].to_numpy())
        ip, ia = shapely.STRtree(pn["geom"].to_numpy()).query(pts, predicate="within")
        m = pd.DataFrame({"code": po["code"].to_numpy()[ip], "to_code": pn["code"].to_numpy()[ia]})
        m = m.drop_duplicates("code")
        m["n"] = m["code"].map(old).fillna(0.0)
        return m.groupby("to_code")["n"].sum().astype(float)
    return pd.Series(dtype=float)


def neighbourhood_population_direct(a: Any, layout: str, scheme: str, grp: str,
                                    sectors: pd.DataFrame, base: str) -> pd.Series | None:
    """Sector populations summed to neighbourhoods of ``layout`` through a crosswalk chain."""
    for lay, d in sectors.itertuples(index=False):
        links = _sector_links(a, lay, layout)
        if links is None or links.empty:
            continue
        pop = a.query(
            f"SELECT code, sum(count) AS n FROM population WHERE level = 'sector' AND layout = $slay "
            f"AND ref_date = $d AND {base} GROUP BY code",
            {"slay": lay, "d": d, "scheme": scheme, "grp": grp})
        j = pop.merge(links, on="code")
        if not j.empty:
            return (j["n"] * j["weight"]).groupby(j["to_code"]).sum().astype(float)
    return None


def _sector_links(a: Any, sector_layout: str, layout: str) -> pd.DataFrame | None:
    """Crosswalk chain sector(sector_layout) -> neighbourhood(layout): ``code, to_code, weight``.

    Uses the indicator engine's shortest crosswalk chain (e.g. sector 2019 -> sector 2024 ->
    sector 2025 -> neighbourhood 2025), weights multiplied along the chain.
    """
    from aankomst.indicators._store import Store

    m = Store(a).code_map(("sector", str(sector_layout)), ("neighbourhood", str(layout)))
    return None if m is None else m[["code", "to_code", "weight"]]


def _build(a: Any, level: str, layout: str) -> AreaSet:
    import shapely
    from shapely.ops import nearest_points

    from aankomst.errors import MissingInputError

    polys = _read_polys(a, level, layout)
    if polys.empty:
        raise MissingInputError(
            "registry analyses", f"area geometry for level {level!r} layout {layout!r}",
            fix="build the atlas with boundaries (aankomst build / aankomst demo) or pick a "
            "level with geometry, e.g. neighbourhood",
        )
    geoms = polys["geom"].to_numpy()
    rep = shapely.point_on_surface(geoms)
    centres = np.column_stack([shapely.get_x(rep), shapely.get_y(rep)])
    basis = np.full(len(polys), "representative_point", dtype=object)
    if level != "neighbourhood":
        try:
            nb = _read_polys(a, "neighbourhood", default_layout("neighbourhood"))
        except Exception:  # noqa: BLE001 - no neighbourhoods: keep representative points
            nb = pd.DataFrame()
        if not nb.empty:
            pop = neighbourhood_population(a)
            if not pop.empty:
                npts = shapely.point_on_surface(nb["geom"].to_numpy())
                w = nb["code"].map(pop).fillna(0.0).to_numpy(float)
                tree = shapely.STRtree(geoms)
                ip, ia = tree.query(npts, predicate="within")
                nx, ny = shapely.get_x(npts), shapely.get_y(npts)
                for j in np.unique(ia):
                    sel = ip[ia == j]
                    ww = w[sel]
                    if ww.sum() <= 0:
                        continue
                    cx, cy = float((nx[sel] * ww).sum() / ww.sum()), float((ny[sel] * ww).sum() / ww.sum())
                    p = shapely.Point(cx, cy)
                    if not geoms[j].contains(p):
                        p = nearest_points(geoms[j], p)[0]
                    centres[j] = (p.x, p.y)
                    basis[j] = "population_weighted"
    return AreaSet(level, layout, polys["code"].to_numpy(object), polys["name"].to_numpy(object),
                   geoms, centres, basis)


@dataclass
class Lookup:
    """Municipality polygons used to check where a point lies, and where they came from."""

    areas: AreaSet
    source: str

    def municipality(self, lon: float, lat: float) -> str | None:
        """NIS code of the municipality containing a WGS84 point, or ``None``."""
        x, y = to_31370([lon], [lat])
        code = self.areas.locate(x, y)[0]
        return None if code is None else str(code)

    def municipalities(self, lon: Any, lat: Any) -> list[str | None]:
        """Vectorised :meth:`municipality` (imports)."""
        x, y = to_31370(lon, lat)
        return [None if c is None else str(c) for c in self.areas.locate(x, y)]


_BOUNDARY_CACHE: dict[tuple[str, int, str], AreaSet] = {}


def registry_boundaries(s: Any, level: str = "municipality") -> AreaSet | None:
    """The registry's own boundary copy of ``level`` (cached until reloaded); ``None`` if empty.

    Parameters
    ----------
    s
        An open SQLAlchemy session of the registry (read inside its transaction).
    """
    import shapely
    from sqlalchemy import func, select

    from aankomst.registry.models import Boundary

    n, last = s.execute(select(func.count(), func.max(Boundary.loaded_at))
                        .where(Boundary.level == level)).one()
    if not n:
        return None
    key = (str(s.get_bind().url), int(n), f"{level}:{last}")
    with _LOCK:
        hit = _BOUNDARY_CACHE.get(key)
    if hit is not None:
        return hit
    rows = s.execute(select(Boundary.code, Boundary.name, Boundary.layout, Boundary.geometry)
                     .where(Boundary.level == level).order_by(Boundary.code)).all()
    geoms = shapely.from_wkb([r.geometry for r in rows])
    rep = shapely.point_on_surface(geoms)
    out = AreaSet(level, str(rows[0].layout), np.array([r.code for r in rows], dtype=object),
                  np.array([r.name for r in rows], dtype=object), geoms,
                  np.column_stack([shapely.get_x(rep), shapely.get_y(rep)]),
                  np.full(len(rows), "representative_point", dtype=object))
    with _LOCK:
        for k in [k for k in _BOUNDARY_CACHE if k[0] == key[0] and k[2].startswith(level + ":")]:
            del _BOUNDARY_CACHE[k]
        _BOUNDARY_CACHE[key] = out
    return out


def municipality_lookup(s: Any, atlas_path: str | None) -> Lookup | None:
    """Polygons to locate points in: the atlas's municipalities, else the registry's copy.

    Parameters
    ----------
    s
        An open session of the registry.
    atlas_path
        The attached atlas, or ``None``.

    Returns
    -------
    Lookup or None
        ``None`` when neither the atlas nor the registry has municipality boundaries.
    """
    if atlas_path:
        try:
            return Lookup(area_set(atlas_path, "municipality"), "the atlas's municipality boundaries")
        except AankomstError:  # the atlas has no municipality geometry: the registry's copy
            pass
    copy = registry_boundaries(s)
    return None if copy is None else Lookup(copy, "the registry's municipality boundaries")


def load_boundaries(url: str, atlas: Any, *, actor: str = "cli") -> int:
    """Copy the atlas's current municipality polygons into the registry (replacing the copy).

    Parameters
    ----------
    url
        Registry database URL (initialised).
    atlas
        Atlas path or open :class:`~aankomst.store.atlas.Atlas`.
    actor
        Name recorded in the audit log.

    Returns
    -------
    int
        Number of municipalities stored.

    Raises
    ------
    MissingInputError
        When the atlas has no municipality geometry.
    """
    import shapely
    from sqlalchemy import delete, insert

    from aankomst.errors import MissingInputError
    from aankomst.registry.db import session_factory
    from aankomst.registry.models import Boundary
    from aankomst.registry.service import audit, now

    layout = default_layout("municipality")
    a, opened = _open(atlas)
    try:
        polys = _read_polys(a, "municipality", layout)
        source = str(getattr(a, "path", atlas))
    finally:
        if opened:
            a.close()
    if polys.empty:
        raise MissingInputError(
            "registry boundaries", f"municipality geometry (layout {layout})",
            fix="build the atlas with boundaries (aankomst build / aankomst demo)")
    t = now()
    rows = [{"level": "municipality", "code": str(c), "name": str(n)[:200], "layout": layout,
             "geometry": shapely.to_wkb(g), "source": source[:500], "loaded_at": t}
            for c, n, g in zip(polys["code"], polys["name"], polys["geom"], strict=True)]
    with session_factory(url, write=True)() as s, s.begin():
        s.execute(delete(Boundary).where(Boundary.level == "municipality"))
        s.execute(insert(Boundary), rows)
        audit(s, None, "boundaries_load", None, None,
              {"level": "municipality", "layout": layout, "count": len(rows), "source": source[:500]},
              username=actor)
    return len(rows)
