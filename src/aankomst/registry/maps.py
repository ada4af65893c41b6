"""Areas for the registry's web routes: completeness profiles (need an atlas), outlines for the
pages' map (atlas neighbourhoods, else the registry's own municipality boundaries, else none)
and the neighbourhood of a point. Used by both :mod:`~aankomst.registry.web_api` and
:mod:`~aankomst.registry.web_pages`."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

import numpy as np

from aankomst.errors import AankomstError
from aankomst.registry import service as svc
from aankomst.registry.validate import Problem, ValidationFailed, taxonomy

MAX_OUTLINES = 400
"""Most polygons sent for a map without a municipality or bounding box."""


def _fingerprint(ctx: Any) -> tuple[Any, ...]:
    from sqlalchemy import func, select

    from aankomst.registry.models import Resource

    with ctx.read() as s:
        n, last = s.execute(select(func.count(Resource.id), func.max(Resource.updated_at))).one()
    return (n, str(last), date.today().isoformat())


def completeness_frame(ctx: Any, level: str = "neighbourhood") -> tuple[Any, Any]:
    """(table, area_set) for all areas, cached until the registry changes.

    Raises
    ------
    NotFound
        Without an attached atlas (completeness needs area geometry and population).
    """
    from aankomst.registry.analysis import area_completeness

    if not ctx.atlas_path:
        raise svc.NotFound("no atlas is attached to this registry; start the server with --db ATLAS")
    key = (level, _fingerprint(ctx))
    with ctx.profile_lock:
        hit = ctx.profile_cache.get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
    out = area_completeness(ctx.atlas_path, ctx.url, level=level)
    with ctx.profile_lock:
        ctx.profile_cache.clear()
        ctx.profile_cache[key] = out
    return out


def area_profile(ctx: Any, code: str, level: str = "neighbourhood") -> dict[str, Any]:
    """Completeness profile of one area: per domain status, nearest resource, counts, gaps.

    Raises
    ------
    NotFound
        For an unknown area or without an atlas.
    """
    import pandas as pd

    table, s = completeness_frame(ctx, level)
    sub = table[table["area_code"] == code]
    if sub.empty:
        raise svc.NotFound(f"no {level} with code {code[:60]!r} in the atlas")
    i = list(s.codes).index(code)
    dom = taxonomy()["domain"]
    rows = []
    for rec in sub.to_dict("records"):
        nid = rec["nearest_id"]
        rows.append({
            "domain": rec["domain"], "label_nl": dom[rec["domain"]]["label_nl"],
            "label_en": dom[rec["domain"]]["label_en"], "status": rec["status"],
            "nearest_m": None if not math.isfinite(rec["nearest_m"]) else round(float(rec["nearest_m"])),
            "nearest_id": None if nid is None or nid is pd.NA else int(nid),
            "nearest_name": rec["nearest_name"],
            "inside": bool(rec["inside"]),
            "counts": {k[6:]: int(v) for k, v in rec.items() if k.startswith("count_")},
        })
    local = [r["domain"] for r in rows if r["status"] == "local"]
    return {
        "level": level, "code": code, "name": s.names[i], "centre_basis": s.basis[i],
        "domains": rows, "local": len(local), "n_domains": len(rows),
        "completeness_pct": round(100.0 * len(local) / max(1, len(rows)), 1),
        "supra_local_only": [r["domain"] for r in rows if r["status"] == "supra_local"],
        "missing": [r["domain"] for r in rows if r["status"] == "none"],
    }


def _bbox(bbox: str) -> tuple[float, float, float, float]:
    try:
        x0, y0, x1, y1 = (float(v) for v in str(bbox).split(","))
    except ValueError:
        raise ValidationFailed([Problem("bbox", bbox, "not 4 numbers", "minlon,minlat,maxlon,maxlat")]) from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise ValidationFailed([Problem("bbox", bbox, "not 4 finite numbers", "minlon,minlat,maxlon,maxlat")])
    return x0, y0, x1, y1


def areas_geojson(ctx: Any, municipality: str | None = None, bbox: str | None = None) -> dict[str, Any]:
    """Outlines (WGS84, simplified to 25 m) for the pages' map.

    With an atlas: its neighbourhoods (of one municipality, in a bounding box, or all when
    there are at most :data:`MAX_OUTLINES`). Without one: the registry's own municipality
    boundaries, chosen the same way. Without either: no features (the map shows the points
    on a blank background).
    """
    import shapely

    from aankomst.registry.areas import area_set, registry_boundaries, to_31370

    if municipality is not None and not re.fullmatch(r"\d{5}", municipality):
        raise ValidationFailed([Problem("municipality", municipality, "not a 5-digit NIS code", "e.g. 11002")])
    if ctx.atlas_path:
        s = area_set(ctx.atlas_path, "neighbourhood")
    else:
        with ctx.read() as sess:
            copy = registry_boundaries(sess)
        if copy is None:
            return {"type": "FeatureCollection", "features": []}
        s = copy
    sel: list[int] = list(range(len(s)))
    if municipality:
        if s.level == "municipality":
            sel = [i for i in sel if s.codes[i] == municipality]
        else:
            sel = _inside_municipality(ctx, s, municipality)
    elif bbox:
        x0, y0, x1, y1 = _bbox(bbox)
        (ax, bx), (ay, by) = to_31370([x0, x1], [y0, y1])
        sel = [i for i in sel if ax <= s.centres[i, 0] <= bx and ay <= s.centres[i, 1] <= by][:600]
    elif len(s) > MAX_OUTLINES:
        sel = []
    # one vectorised simplify + projection for all selected polygons (not one call per polygon)
    geoms = shapely.transform(shapely.simplify(s.geoms[np.asarray(sel, dtype=int)], 25.0), _to_lonlat)
    feats = [{"type": "Feature", "id": s.codes[i],
              "properties": {"code": s.codes[i], "name": s.names[i]},
              "geometry": shapely.geometry.mapping(g)} for i, g in zip(sel, geoms, strict=True)]
    return {"type": "FeatureCollection", "features": feats}


def _inside_municipality(ctx: Any, s: Any, municipality: str) -> list[int]:
    """Neighbourhoods whose representative point lies in the municipality's polygon (or,
    when the atlas has no municipality geometry, whose code starts with it)."""
    import shapely

    from aankomst.registry.areas import area_set

    try:
        m = area_set(ctx.atlas_path, "municipality")
    except AankomstError:  # no municipality geometry: fall back to the code prefix
        return [i for i in range(len(s)) if str(s.codes[i]).startswith(municipality)]
    codes = list(m.codes)
    if municipality not in codes:
        return []
    poly = m.geoms[codes.index(municipality)]
    pts = shapely.points(s.centres[:, 0], s.centres[:, 1])
    return [int(i) for i in np.flatnonzero(shapely.contains(poly, pts))]


def _to_lonlat(xy: Any) -> Any:
    from aankomst.registry.areas import to_4326

    lon, lat = to_4326(xy[:, 0], xy[:, 1])
    return np.column_stack([np.round(lon, 6), np.round(lat, 6)])


def neighbourhood_of(ctx: Any, lon: float, lat: float) -> tuple[str, str] | None:
    """(code, name) of the neighbourhood containing a point, if an atlas is attached."""
    if not ctx.atlas_path:
        return None
    from aankomst.registry.areas import area_set, to_31370

    try:
        s = area_set(ctx.atlas_path, "neighbourhood")
    except AankomstError:  # no neighbourhood geometry
        return None
    x, y = to_31370([lon], [lat])
    code = s.locate(x, y)[0]
    if code is None:
        return None
    return code, s.names[list(s.codes).index(code)]


def ocmw_namer(ctx: Any) -> Any:
    """A function ``code -> "Name (code)"`` for OCMW (municipality) codes, with the names of the
    attached atlas, else of the registry's boundary copy, else the bare code."""
    from aankomst.registry.areas import area_set, registry_boundaries

    names: dict[str, str] = {}
    s: Any = None
    try:
        if ctx.atlas_path:
            s = area_set(ctx.atlas_path, "municipality")
        else:
            with ctx.read() as sess:
                s = registry_boundaries(sess)
        if s is not None:
            names = dict(zip(s.codes, s.names, strict=True))
    except AankomstError:  # no municipality geometry: codes only
        names = {}

    def name(code: str) -> str:
        n = names.get(code)
        return f"{n} ({code})" if n else code

    return name
