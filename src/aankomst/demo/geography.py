"""Geography of the demo region: seamless, nested polygons in EPSG:31370 and the hierarchy.

Construction (all seeded):

1. The outline of *Demoland* is the convex hull of the municipality centres
   (``demo_municipalities.csv``, km) buffered by ``region_margin_km``.
2. Municipalities are the Voronoi cells of their centres, clipped to the outline.
3. Neighbourhoods are Voronoi cells of seed points inside each municipality (the seed offsets of
   ``demo_neighbourhoods.csv`` where given, random points otherwise), clipped to it.
4. Statistical sectors are Voronoi cells of random points inside each neighbourhood.
5. Border vertices are shared between neighbouring sectors and coordinates are fixed to 1 mm; every coarser unit is the union of its
   children, so the levels nest exactly and siblings share their borders.

Codes cannot be confused with real NIS codes (see ``docs/demo.md``): country ``XD``, regions
``08000`` (capital region) and ``09000`` (Laagland), provinces ``08100``/``09100``/``09200``,
arrondissements ``96000``–``99000``, municipalities ``96001``…``99004``, neighbourhoods
``<municipality>W<nn>`` and sectors ``<municipality><letter><nn>-`` where the letter numbers
the neighbourhood inside its municipality (``A`` = ``W01``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point

from aankomst.demo.params import DemoParams

CAPITAL_REGION = "08000"
"""Region code of the capital (the monitoring level covers it)."""
ORIGIN_X = 150_000.0
"""Lambert 72 x (m) of the demo's (0, 0) km point."""
ORIGIN_Y = 170_000.0
"""Lambert 72 y (m) of the demo's (0, 0) km point."""
LAYOUT = "2025"
"""Layout (vintage) of every demo level."""
HIERARCHY: tuple[str, ...] = (
    "sector", "neighbourhood", "municipality", "arrondissement", "province", "region", "country",
)
"""Levels of the demo from fine to coarse."""
MONITOR = "brussels_neighbourhood"
"""Level of the capital's monitoring neighbourhoods (layout ``monitor``, like the IBSA
neighbourhood monitoring): one per neighbourhood of the capital region, codes ``D001``…"""
LEVELS: tuple[str, ...] = (*HIERARCHY, MONITOR)
"""Every level the demo writes."""


def layout_of(level: str) -> str:
    """Layout of a demo level (``monitor`` for the monitoring neighbourhoods, else ``2025``)."""
    return "monitor" if level == MONITOR else LAYOUT


@dataclass
class Geography:
    """The demo's areas.

    Attributes
    ----------
    sectors
        One row per sector: ``code, name_nl, name_fr, neighbourhood, municipality,
        arrondissement, province, region, country, geometry, x, y`` (centroid, m).
    neighbourhoods
        One row per neighbourhood: ``code, name_nl, name_fr, municipality, role, weight,
        foreign_factor, adjacent_to_arrival, geometry``.
    municipalities
        The rows of ``demo_municipalities.csv`` plus ``province, region, geometry``.
    areas
        The ``areas`` table (all levels).
    crosswalks
        The ``crosswalks`` table: every unit linked to each coarser level (transitive).
    """

    sectors: pd.DataFrame
    neighbourhoods: pd.DataFrame
    municipalities: pd.DataFrame
    areas: pd.DataFrame
    crosswalks: pd.DataFrame

    def members(self, level: str) -> np.ndarray:
        """Code of the unit at ``level`` for each sector (in sector order; ``None`` for a sector
        outside every unit of the level, e.g. outside the capital for the monitoring level)."""
        col = "code" if level == "sector" else level
        return self.sectors[col].to_numpy()


def _voronoi(points: np.ndarray, clip: shapely.Geometry) -> list[shapely.Geometry]:
    """Voronoi cells of ``points`` (n×2, m) clipped to ``clip``, in point order."""
    if len(points) == 1:
        return [clip]
    cells = shapely.voronoi_polygons(
        MultiPoint([tuple(p) for p in points]), extend_to=clip.envelope.buffer(1000.0), ordered=True
    )
    out = []
    for cell in shapely.get_parts(cells):
        g = shapely.intersection(cell, clip)
        out.append(g)
    return out


def _random_points(rng: np.random.Generator, poly: shapely.Geometry, n: int, min_dist: float) -> np.ndarray:
    """``n`` random points inside ``poly`` at least ``min_dist`` m apart (best effort)."""
    minx, miny, maxx, maxy = poly.bounds
    pts: list[tuple[float, float]] = []
    tries = 0
    inner = poly.buffer(-min_dist / 3) if poly.area > (min_dist ** 2) else poly
    if inner.is_empty:
        inner = poly
    while len(pts) < n:
        tries += 1
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not inner.contains(Point(x, y)):
            continue
        d = min_dist if tries < 2000 else min_dist / 4
        if all((x - a) ** 2 + (y - b) ** 2 >= d * d for a, b in pts):
            pts.append((x, y))
    return np.array(pts)


def build_geography(params: DemoParams, rng: np.random.Generator) -> Geography:
    """Generate the demo's nested areas (see the module docstring)."""
    mun = params.municipalities.reset_index(drop=True).copy()
    upper = params.upper.set_index("code")
    centres = np.column_stack([ORIGIN_X + mun["x_km"] * 1000, ORIGIN_Y + mun["y_km"] * 1000])
    outline = MultiPoint([tuple(p) for p in centres]).convex_hull.buffer(
        params.num("region_margin_km") * 1000, quad_segs=4
    )
    mun_cells = _voronoi(centres, outline)

    nb_rows: list[dict] = []
    sec_rows: list[dict] = []
    for i, m in mun.iterrows():
        mpoly = mun_cells[i]
        nbs = params.neighbourhoods[params.neighbourhoods["municipality"] == m["code"]].reset_index(drop=True)
        seeds = np.empty((len(nbs), 2))
        given = nbs["dx_km"].notna().to_numpy().copy()
        seeds[given, 0] = centres[i, 0] + nbs.loc[given, "dx_km"].to_numpy() * 1000
        seeds[given, 1] = centres[i, 1] + nbs.loc[given, "dy_km"].to_numpy() * 1000
        for j in np.nonzero(given)[0]:  # a seed offset outside the municipality: draw one
            if not mpoly.contains(Point(*seeds[j])):
                given[j] = False
        if (~given).any():
            spread = np.sqrt(mpoly.area / max(len(nbs), 1)) * 0.5
            seeds[~given] = _random_points(rng, mpoly, int((~given).sum()), spread)
        nb_cells = _voronoi(seeds, mpoly)
        per = int(m["sectors_per_neighbourhood"])
        for j, nb in nbs.iterrows():
            ncode = f"{m['code']}W{j + 1:02d}"
            letter = chr(ord("A") + j)
            npoly = nb_cells[j]
            if npoly.is_empty or npoly.area < 1.0:
                raise ValueError(f"demo neighbourhood {ncode} has no area; check its seed offset")
            n_sec = per + int(rng.integers(-1, 2))
            n_sec = max(2, n_sec)
            spts = _random_points(rng, npoly, n_sec, np.sqrt(npoly.area / n_sec) * 0.45)
            spolys = _voronoi(spts, npoly)
            w = rng.lognormal(0.0, params.num("sector_weight_sd"), size=n_sec)
            for k, sp in enumerate(spolys):
                sec_rows.append({
                    "code": f"{m['code']}{letter}{k:02d}-",
                    "name_nl": f"{nb['name_nl']} {k + 1}",
                    "name_fr": f"{nb['name_fr']} {k + 1}",
                    "neighbourhood": ncode,
                    "municipality": m["code"],
                    "weight": float(w[k] / w.sum()),
                    "geometry": sp,
                })
            nb_rows.append({
                "code": ncode, "name_nl": nb["name_nl"], "name_fr": nb["name_fr"],
                "municipality": m["code"], "role": nb["role"], "weight": float(nb["weight"]),
                "foreign_factor": float(nb["foreign_factor"]),
            })

    sectors = pd.DataFrame(sec_rows)
    # make shared borders share their vertices (a border vertex of one sector may lie on an
    # edge of its neighbour: snapping inserts it there), then fix the precision to 1 mm
    raw = sectors["geometry"].to_numpy()
    vertices = shapely.multipoints(np.unique(np.round(shapely.get_coordinates(raw), 6), axis=0))
    snapped = np.array([shapely.snap(g, vertices, 0.001) for g in raw], dtype=object)
    sectors["geometry"] = shapely.set_precision(snapped, 0.001)
    arr_of = dict(zip(mun["code"], mun["arrondissement"]))
    sectors["arrondissement"] = sectors["municipality"].map(arr_of)
    sectors["province"] = sectors["arrondissement"].map(upper["parent_code"])
    sectors["region"] = sectors["province"].map(upper["parent_code"])
    sectors["country"] = sectors["region"].map(upper["parent_code"])
    cent = shapely.centroid(sectors["geometry"].to_numpy())
    sectors["x"] = shapely.get_x(cent)
    sectors["y"] = shapely.get_y(cent)

    geoms: dict[str, dict[str, shapely.Geometry]] = {
        "sector": dict(zip(sectors["code"], sectors["geometry"]))
    }
    for child, level in itertools.pairwise(HIERARCHY):
        parent_of = (sectors.groupby("code" if child == "sector" else child)[level].first())
        groups: dict[str, list] = {}
        for code, g in geoms[child].items():
            groups.setdefault(parent_of[code], []).append(g)
        geoms[level] = {p: shapely.union_all(gs, grid_size=0.001) for p, gs in groups.items()}

    nbh = pd.DataFrame(nb_rows)
    capital_nb = nbh[nbh["municipality"].map(arr_of).map(upper["parent_code"]).map(upper["parent_code"])
                     == CAPITAL_REGION]
    monitor_of = {c: f"D{i + 1:03d}" for i, c in enumerate(capital_nb["code"])}
    sectors[MONITOR] = sectors["neighbourhood"].map(monitor_of).astype(object)
    sectors[MONITOR] = sectors[MONITOR].where(sectors[MONITOR].notna(), None)
    groups_m: dict[str, list] = {}
    for code, g in zip(sectors[MONITOR], sectors["geometry"]):
        if code is not None:
            groups_m.setdefault(code, []).append(g)
    geoms[MONITOR] = {p: shapely.union_all(gs, grid_size=0.001) for p, gs in groups_m.items()}
    monitor = capital_nb.assign(code=capital_nb["code"].map(monitor_of))[["code", "name_nl", "name_fr"]]
    nbh["geometry"] = nbh["code"].map(geoms["neighbourhood"])
    nbh["adjacent_to_arrival"] = False
    for m_code, grp in nbh.groupby("municipality"):
        for _, a in grp[grp["role"].isin(["gateway", "arrival"])].iterrows():
            for idx, other in grp.iterrows():
                if other["role"] not in ("gateway", "arrival") and other["geometry"].intersection(a["geometry"]).length > 10:
                    nbh.loc[idx, "adjacent_to_arrival"] = True
    mun["province"] = mun["arrondissement"].map(upper["parent_code"])
    mun["region"] = mun["province"].map(upper["parent_code"])
    mun["geometry"] = mun["code"].map(geoms["municipality"])

    areas = _areas_table(params, sectors, nbh, mun, monitor, geoms)
    crosswalks = _crosswalks(sectors)
    return Geography(sectors, nbh, mun, areas, crosswalks)


def _areas_table(params: DemoParams, sectors: pd.DataFrame, nbh: pd.DataFrame, mun: pd.DataFrame,
                 monitor: pd.DataFrame, geoms: dict[str, dict[str, shapely.Geometry]]) -> pd.DataFrame:
    frames = [
        sectors[["code", "name_nl", "name_fr"]].assign(level="sector"),
        nbh[["code", "name_nl", "name_fr"]].assign(level="neighbourhood"),
        mun[["code", "name_nl", "name_fr"]].assign(level="municipality"),
        params.upper[["code", "name_nl", "name_fr", "name_en", "level"]],
        monitor.assign(level=MONITOR),
    ]
    areas = pd.concat(frames, ignore_index=True)
    areas["name_en"] = areas["name_en"].fillna(areas["name_nl"])
    areas["layout"] = areas["level"].map(layout_of)
    geom = [geoms[lv][c] for lv, c in zip(areas["level"], areas["code"])]
    areas["area_km2"] = [g.area / 1e6 for g in geom]
    areas["geometry"] = [shapely.to_wkb(g) for g in geom]
    return areas[["level", "layout", "code", "name_nl", "name_fr", "name_en", "area_km2", "geometry"]]


def _crosswalks(sectors: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for i, child in enumerate(HIERARCHY[:-1]):
        ccol = "code" if child == "sector" else child
        base = sectors[[ccol, *HIERARCHY[i + 1:]]].drop_duplicates(ccol)
        for parent in HIERARCHY[i + 1:]:
            rows.append(pd.DataFrame({
                "from_level": child, "from_layout": LAYOUT, "from_code": base[ccol].to_numpy(),
                "to_level": parent, "to_layout": LAYOUT, "to_code": base[parent].to_numpy(),
            }))
    mon = sectors[sectors[MONITOR].notna()]
    rows.append(pd.DataFrame({"from_level": "sector", "from_layout": LAYOUT, "from_code": mon["code"].to_numpy(),
                              "to_level": MONITOR, "to_layout": "monitor", "to_code": mon[MONITOR].to_numpy()}))
    mon = mon.drop_duplicates(MONITOR)
    for parent in ("region",):  # the level covers the capital region only
        rows.append(pd.DataFrame({"from_level": MONITOR, "from_layout": "monitor", "from_code": mon[MONITOR].to_numpy(),
                                  "to_level": parent, "to_layout": LAYOUT, "to_code": mon[parent].to_numpy()}))
    cw = pd.concat(rows, ignore_index=True)
    cw["weight"] = 1.0
    cw["weight_basis"] = "whole"
    cw["split"] = False
    return cw
