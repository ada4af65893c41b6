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
    try:
        from aankomst.indicators._store import Store
    except ImportError:  # engine not installed: direct links only
        return a.query(
            "SELECT from_code AS code, to_code, weight FROM crosswalks WHERE from_level = 'sector' "
            "AND from_layout = ? AND to_level = 'neighbourhood' AND to_layout = ?",
            [sector_layout, layout])
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


def locate_municipality(atlas: Any, lon: float, lat: float) -> str | None:
    """NIS code of the (current) municipality containing a WGS84 point, or ``None``."""
    try:
        s = area_set(atlas, "municipality")
    except AankomstError:
        return None
    x, y = to_31370([lon], [lat])
    return s.locate(x, y)[0]
