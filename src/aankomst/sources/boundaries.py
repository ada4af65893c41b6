"""Readers of area boundaries: the Provincies-in-Cijfers shapefiles (EPSG:31370) and the
Brussels monitoring-neighbourhood GeoJSON (EPSG:4326, reprojected to EPSG:31370).

Geometry is validated: a declared CRS other than EPSG:31370 is reprojected; coordinates that do
not fall inside Belgium in EPSG:31370 (e.g. degrees in a file that claims Lambert 72, or a file
without CRS) are an :class:`~aankomst.errors.InputError`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.errors import InputError
from aankomst.sources._util import LEVEL_TOKENS, TYPE_PREFIX, frame, level_code, norm_code
from aankomst.sources.base import sha256_file
from aankomst.sources.meta import provenance
from aankomst.store.batch import LoadBatch

#: Belgium in EPSG:31370 (metres), with a margin: x 10 000–310 000, y 10 000–260 000.
BELGIUM_31370 = (10_000.0, 10_000.0, 310_000.0, 260_000.0)

#: Shapefile stem -> (key column candidates, name column or None).
SHAPEFILES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "gemeente": (("geoitem",), "naam"),
    "gemeente2024": (("gemeente",), "naam"),
    "gemeente2018": (("gemeente20", "gemeente2018", "gemeente"), None),
    "deelgemeente2024": (("geoitem",), "naam"),
    "ggw7": (("geoitem",), "naam"),
    "ggw72024": (("geoitem",), "naam"),
    "arrondiss2024": (("arrondiss",), "naam"),
    "provincie2024": (("provincie",), "naam"),
    "gewest": (("gewest",), None),
    "kerntypering": (("kerntyperi", "kerntypering"), None),
    "uitrustingsgraad": (("uitrusting", "uitrustingsgraad"), None),
}

REGION_NAMES = {
    "02000": ("Vlaams Gewest", "Région flamande", "Flemish Region"),
    "03000": ("Waals Gewest", "Région wallonne", "Walloon Region"),
    "04000": ("Brussels Hoofdstedelijk Gewest", "Région de Bruxelles-Capitale", "Brussels-Capital Region"),
}


def check_crs(path: str, gdf, *, expected_hint: str = "EPSG:31370 (Belgian Lambert 72)"):
    """Return ``gdf`` in EPSG:31370, or raise :class:`InputError` when its coordinates are not in
    Belgium after reprojection (wrong or missing CRS)."""
    if gdf.crs is not None and gdf.crs.to_epsg() != 31370:
        gdf = gdf.to_crs(31370)
    b = gdf.geometry.bounds
    x0, y0, x1, y1 = BELGIUM_31370
    bad = (b["minx"] < x0) | (b["miny"] < y0) | (b["maxx"] > x1) | (b["maxy"] > y1)
    bad = bad & gdf.geometry.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        r = b.iloc[i]
        looks = " (these look like longitude/latitude degrees)" if abs(r["maxx"]) <= 180 and abs(r["maxy"]) <= 90 else ""
        declared = gdf.crs.to_string() if gdf.crs is not None else "no CRS declared"
        raise InputError(
            path,
            f"feature {i + 1} has coordinates ({r['minx']:.4g}, {r['miny']:.4g}) – ({r['maxx']:.4g}, "
            f"{r['maxy']:.4g}) outside Belgium in EPSG:31370{looks}; {int(bad.sum())} feature(s) in all; "
            f"declared: {declared}",
            row=i + 1,
            column="geometry",
            expected=f"{expected_hint} coordinates within x 10 000–310 000, y 10 000–260 000 m, or a correct .prj/CRS",
        )
    return gdf


def _read_geo(path: Path):
    import geopandas as gpd

    try:
        return gpd.read_file(path, engine="pyogrio")
    except Exception as exc:
        raise InputError(
            str(path),
            f"cannot read the geometry file: {type(exc).__name__}: {exc}",
            expected="a complete shapefile (.shp with .shx, .dbf, .prj) or GeoJSON",
        ) from exc


def read_shapefile(path: Path) -> list[LoadBatch]:
    """Read one of the boundary shapefiles into ``areas`` (with WKB geometry, EPSG:31370).

    ``kerntypering`` and ``uitrustingsgraad`` are area types (level ``area_type``); their codes get
    the family as prefix (``uitrustingsgraad_a0``).
    """
    import shapely

    path = Path(path)
    stem = path.stem.lower()
    if stem not in SHAPEFILES:
        raise InputError(str(path), f"unknown boundary layer {path.stem!r}", expected=f"one of {sorted(SHAPEFILES)}")
    keys, name_col = SHAPEFILES[stem]
    gdf = _read_geo(path)
    key = next((k for k in keys if k in gdf.columns), None)
    if key is None:
        raise InputError(str(path), f"no key column; the attribute table has {list(gdf.columns)}",
                         row=1, column=keys[0], expected=f"a column {keys[0]!r} with the area codes")
    gdf = check_crs(str(path), gdf)
    level, layout = LEVEL_TOKENS[stem]
    codes = [level_code(stem, v) for v in gdf[key].tolist()]
    keep = [c is not None for c in codes]
    n_null = len(codes) - sum(keep)
    gdf = gdf[keep].copy()
    codes = [c for c in codes if c is not None]
    gdf["code"] = codes
    gdf["source_row"] = np.flatnonzero(keep) + 1
    dup = gdf["code"].duplicated(keep=False)
    warnings: list[str] = []
    if n_null:
        warnings.append(f"{n_null} feature(s) without a {key} code skipped")
    if dup.any():
        # several polygons for one code: union them (multi-part areas published as parts)
        gdf = gdf.dissolve(by="code", as_index=False, aggfunc="first")
        warnings.append(f"{int(dup.sum())} features share a code and were merged into one area each")
    names = gdf[name_col].astype(object).where(gdf[name_col].notna(), None) if name_col else None
    name_nl = names if names is not None else pd.Series([None] * len(gdf), index=gdf.index)
    name_fr = pd.Series([None] * len(gdf), index=gdf.index, dtype=object)
    name_en = pd.Series([None] * len(gdf), index=gdf.index, dtype=object)
    if level == "region":
        name_nl = gdf["code"].map(lambda c: REGION_NAMES.get(c, (None,) * 3)[0])
        name_fr = gdf["code"].map(lambda c: REGION_NAMES.get(c, (None,) * 3)[1])
        name_en = gdf["code"].map(lambda c: REGION_NAMES.get(c, (None,) * 3)[2])
    if stem in TYPE_PREFIX and name_col is None:
        name_nl = gdf["code"]
    geom = gdf.geometry.make_valid() if hasattr(gdf.geometry, "make_valid") else gdf.geometry
    areas = frame("areas", {
        "level": level, "layout": layout, "code": gdf["code"].to_numpy(),
        "name_nl": name_nl.to_numpy(), "name_fr": name_fr.to_numpy(), "name_en": name_en.to_numpy(),
        "area_km2": (geom.area / 1e6).to_numpy(),
        "geometry": shapely.to_wkb(geom.to_numpy()),
        "source_row": gdf["source_row"].to_numpy(),
    })
    meta = provenance(path, "boundaries")
    return [LoadBatch(
        source_id=f"boundaries/{path.stem}", family="boundaries", path=str(path), sha256=sha256_file(path),
        tables={"areas": areas}, rows_read=len(keep), warnings=warnings, **meta,
    )]


def read_brussels_monitor_boundaries(path: Path) -> list[LoadBatch]:
    """Read the 145 Brussels monitoring neighbourhoods (GeoJSON, EPSG:4326) as level
    ``brussels_neighbourhood``, layout ``monitor``, reprojected to EPSG:31370."""
    import shapely

    path = Path(path)
    gdf = _read_geo(path)
    if "mdrc" not in gdf.columns:
        raise InputError(str(path), f"no 'mdrc' property; properties are {list(gdf.columns)}",
                         row=1, column="mdrc", expected="a property 'mdrc' with the neighbourhood code")
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)  # RFC 7946: GeoJSON is WGS84 unless stated
    gdf = check_crs(str(path), gdf)
    gdf["code"] = [norm_code(v) for v in gdf["mdrc"].tolist()]
    gdf["source_row"] = np.arange(1, len(gdf) + 1)
    if gdf["code"].isna().any():
        i = int(np.flatnonzero(gdf["code"].isna().to_numpy())[0])
        raise InputError(str(path), "feature without an 'mdrc' code", row=i + 1, column="mdrc",
                         expected="a neighbourhood code (1–118, 700–917)")
    from aankomst.sources._util import check_unique

    check_unique(str(path), gdf, ["code"], "neighbourhood")
    geom = gdf.geometry.make_valid()
    areas = frame("areas", {
        "level": "brussels_neighbourhood", "layout": "monitor", "code": gdf["code"].to_numpy(),
        "name_nl": gdf.get("name_nl", pd.Series([None] * len(gdf))).to_numpy(),
        "name_fr": gdf.get("name_fr", pd.Series([None] * len(gdf))).to_numpy(),
        "area_km2": (geom.area / 1e6).to_numpy(),
        "geometry": shapely.to_wkb(geom.to_numpy()),
        "source_row": gdf["source_row"].to_numpy(),
    })
    meta = provenance(path, "brussels_monitor_boundaries")
    return [LoadBatch(
        source_id="brussels/monitoring_quartiers_boundaries", family="brussels_monitor_boundaries",
        path=str(path), sha256=sha256_file(path), tables={"areas": areas}, rows_read=len(gdf),
        warnings=["reprojected from EPSG:4326 to EPSG:31370"], **meta,
    )]


def read_brussels_income_geojson(path: Path) -> list[LoadBatch]:
    """Median taxable income 2019 per Brussels monitoring neighbourhood (GeoJSON ``id, name,
    value``) -> measure ``median_taxable_income_declaration`` (EUR), period 2019."""
    path = Path(path)
    gdf = _read_geo(path)
    for c in ("id", "value"):
        if c not in gdf.columns:
            raise InputError(str(path), f"no {c!r} property; properties are {list(gdf.columns)}",
                             row=1, column=c, expected="properties id (neighbourhood code), name, value")
    gdf = check_crs(str(path), gdf)
    df = pd.DataFrame({"code": [norm_code(v) for v in gdf["id"]], "value": gdf["value"]})
    df["source_row"] = np.arange(1, len(df) + 1)
    from aankomst.sources._util import check_unique, numeric

    df["value"] = numeric(str(path), df, "value")
    check_unique(str(path), df, ["code"], "neighbourhood")
    m = frame("measures", {
        "level": "brussels_neighbourhood", "layout": "monitor", "code": df["code"],
        "measure": "median_taxable_income_declaration_ibsa", "period": "2019", "scheme": "total", "grp": "total",
        "value": df["value"].astype(float), "unit": "EUR", "source_row": df["source_row"],
    })
    meta = provenance(path, "brussels_income_geojson")
    return [LoadBatch(
        source_id="brussels/ibsa_revenu_median_quartier_2019", family="brussels_income_geojson",
        path=str(path), sha256=sha256_file(path), tables={"measures": m}, rows_read=len(df), **meta,
    )]
