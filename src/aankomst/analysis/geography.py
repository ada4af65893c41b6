"""Locating BIMD/Atlas sectors (2001/2011 layouts) without sector geometry.

Sector geometry is not in the mirror. A 2001/2011 sector is located by the **neighbourhood
(ggw7) it lies in**, found through the sector crosswalks:

1. ``exact2025``: the same code exists in the 2025 sector layout -> its 2025 ggw7
   neighbourhood (``statsec_als_basis.xlsx``);
2. ``exact2019``: the code exists in the 2019 layout -> its ggw7 neighbourhood of the 2024
   version (``statsec2019_als_basis.xlsx``; codes of municipalities merged in 2019 changed);
3. ``prefix2025`` / ``prefix2019``: a sector split or renumbered later keeps its first eight
   characters (municipality + sector letter and two digits); the most frequent neighbourhood of
   the later sectors with that prefix is used;
4. otherwise ``unmatched`` (reported, never silently dropped).

Points are neighbourhood centroids (EPSG:31370, metres); a ring by distance therefore has the
resolution of a neighbourhood (typically 0.5–2 km across in the cities).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError


def _store_links(atlas: Any) -> pd.DataFrame:
    return atlas.query(
        "SELECT from_layout AS sector_layout, from_code AS sector, to_layout AS nb_layout, to_code AS nb "
        "FROM crosswalks WHERE from_level = 'sector' AND to_level = 'neighbourhood' "
        "AND from_layout IN ('2025', '2019')")


def _mirror_links(mirror: Path) -> pd.DataFrame:
    return _mirror_links_cached(str(mirror)).copy()


@lru_cache(maxsize=2)
def _mirror_links_cached(mirror: str) -> pd.DataFrame:
    parts = []
    for fname, sc, nc, sl, nl in (("statsec_als_basis.xlsx", "statsec", "ggw7", "2025", "2025"),
                                  ("statsec2019_als_basis.xlsx", "statsec2019", "ggw72024", "2019", "2024")):
        df = pd.read_excel(Path(mirror) / "crosswalks" / fname, usecols=[sc, nc], dtype=str, engine="calamine")
        parts.append(pd.DataFrame({"sector_layout": sl, "sector": df[sc], "nb_layout": nl, "nb": df[nc]}))
    return pd.concat(parts, ignore_index=True).dropna()


def sector_neighbourhoods(codes: pd.Series | list[str], *, atlas: Any = None, mirror: Path | None = None,
                          prefer: str = "2025") -> pd.DataFrame:
    """Neighbourhood of each sector code: ``area_code, nb_layout, neighbourhood, match``.

    ``prefer="2024"`` tries the 2019 sector layout (-> ggw7 of the 2024 version) first: every
    Flemish and Brussels sector code of the BIMD 2011 exists in the 2019 layout, so this gives
    one complete neighbourhood layout (used for maps); ``"2025"`` tries the current layout first.
    """
    links = _store_links(atlas) if atlas is not None else pd.DataFrame()
    if not len(links):
        if mirror is None:
            from aankomst.paths import mirror_dir

            mirror = mirror_dir()
        if mirror is None:
            raise MissingInputError("sector location", "sector -> neighbourhood crosswalks (statsec_als_basis)",
                                    fix="load the crosswalk workbooks with 'aankomst build'")
        links = _mirror_links(mirror)
    out = pd.DataFrame({"area_code": pd.Series(list(codes), dtype=str)}).drop_duplicates()
    out["nb_layout"] = None
    out["neighbourhood"] = None
    out["match"] = "unmatched"
    order = ("2025", "2019") if prefer == "2025" else ("2019", "2025")
    for lay, kind in ((order[0], "exact"), (order[1], "exact"), (order[0], "prefix"), (order[1], "prefix")):
        lk = links[links["sector_layout"] == lay]
        todo = out["match"] == "unmatched"
        if kind == "exact":
            m = dict(zip(lk["sector"], lk["nb"]))
            key = out.loc[todo, "area_code"]
        else:
            pref = lk.assign(p=lk["sector"].str[:8]).groupby("p")["nb"].agg(lambda s: s.value_counts().index[0])
            m = pref.to_dict()
            key = out.loc[todo, "area_code"].str[:8]
        hit = key.map(m)
        idx = hit.dropna().index
        out.loc[idx, "neighbourhood"] = hit.loc[idx]
        out.loc[idx, "nb_layout"] = lk["nb_layout"].iloc[0] if len(lk) else None
        out.loc[idx, "match"] = f"{kind}{lay}"
    return out.reset_index(drop=True)


def neighbourhood_geometries(*, atlas: Any = None, mirror: Path | None = None, layouts: tuple[str, ...] = ("2025", "2024")):
    """GeoDataFrame ``code, layout, name, geometry`` (EPSG:31370) of ggw7 neighbourhoods."""
    import geopandas as gpd
    import shapely

    frames = []
    if atlas is not None:
        df = atlas.query(
            "SELECT code, layout, coalesce(name_nl, name_fr) AS name, geometry FROM areas WHERE level = "
            "'neighbourhood' AND list_contains(?, layout) AND geometry IS NOT NULL", [list(layouts)])
        if len(df):
            geom = shapely.from_wkb([bytes(g) for g in df["geometry"]])
            frames.append(gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=geom, crs=31370))
    if not frames:
        if mirror is None:
            from aankomst.paths import mirror_dir

            mirror = mirror_dir()
        if mirror is None:
            raise MissingInputError("neighbourhood geometry", "ggw7 boundaries",
                                    fix="load boundaries/ggw7.shp with 'aankomst build'")
        for lay, f in (("2025", "ggw7.shp"), ("2024", "ggw72024.shp")):
            if lay in layouts:
                g = gpd.read_file(Path(mirror) / "boundaries" / f)
                frames.append(gpd.GeoDataFrame({"code": g["geoitem"].astype(str), "layout": lay,
                                                "name": g["naam"]}, geometry=g.geometry, crs=31370))
    return pd.concat(frames, ignore_index=True)


def sector_points(codes: pd.Series | list[str], *, atlas: Any = None, mirror: Path | None = None) -> pd.DataFrame:
    """Sector codes with the centroid of their neighbourhood: ``area_code, neighbourhood,
    nb_layout, match, x, y`` (EPSG:31370 metres; NaN when unmatched)."""
    loc = sector_neighbourhoods(codes, atlas=atlas, mirror=mirror)
    nb = neighbourhood_geometries(atlas=atlas, mirror=mirror)
    c = nb.geometry.centroid
    pts = pd.DataFrame({"neighbourhood": nb["code"], "nb_layout": nb["layout"], "x": c.x, "y": c.y})
    return loc.merge(pts, on=["neighbourhood", "nb_layout"], how="left")


def centre_points(centres: pd.DataFrame, *, atlas: Any = None, mirror: Path | None = None) -> pd.DataFrame:
    """Centre point per city: centroid of its ``centre_neighbourhood`` (2025 ggw7)."""
    nb = neighbourhood_geometries(atlas=atlas, mirror=mirror, layouts=("2025",))
    c = nb.set_index("code").geometry.centroid
    out = centres.copy()
    missing = [n for n in out["centre_neighbourhood"] if n not in c.index]
    if missing:
        raise MissingInputError("city centre", f"neighbourhood(s) {missing}",
                                fix="check data/city_centres.csv against the ggw7 codes")
    out["x"] = [c[n].x for n in out["centre_neighbourhood"]]
    out["y"] = [c[n].y for n in out["centre_neighbourhood"]]
    return out


def derive_urban_regions(municipalities, covered: set[str], centres: dict[str, str],
                         points: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Assign every municipality covered by the Atlas to the nearest centre city (centroid
    distance, km). Used once to write ``data/urban_regions.csv`` (see docs/deprivation.md).

    Parameters
    ----------
    municipalities
        GeoDataFrame ``code, geometry`` (layout 2018, EPSG:31370).
    covered
        Municipality codes with sectors in the Atlas 2010 index.
    centres
        City id -> municipality code of the centre city.
    points
        City id -> centre point (x, y); default the centre city's municipality centroid.
    """
    import shapely

    c = municipalities.set_index("code").geometry.centroid
    pts = {k: shapely.Point(points[k]) if points and k in points else c.get(v) for k, v in centres.items()}
    rows = []
    for m in sorted(covered):
        if m.startswith("21"):
            rows.append((m, "brussel", 0.0, "Brussels-Capital Region"))
        elif m not in c.index:
            rows.append((m, "brussel" if m.startswith("25") else "", np.nan,
                         "no geometry (Wallonia): Walloon Brabant -> Brussels, other Walloon regions not assigned"))
        else:
            d = {k: c[m].distance(p) / 1000 for k, p in pts.items() if p is not None}
            k = min(d, key=d.__getitem__)
            rows.append((m, k, round(d[k], 1), "nearest centre (municipality centroid to city centre point)"))
    return pd.DataFrame(rows, columns=["municipality", "urban_region", "distance_km", "method"])
