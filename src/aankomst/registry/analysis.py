"""Accessibility and institutional completeness (pure array functions + registry glue).

Definitions (distances are straight-line, EPSG:31370 metres)
------------------------------------------------------------
* **nearest_m** of area *a* and domain *d*: distance from the area's centre (see
  :mod:`aankomst.registry.areas`) to the nearest *active* resource tagged with *d* (active =
  not soft-deleted and valid on the reference date). ``inf`` when there is none.
* **count_within** for radius *r*: number of active resources of *d* within *r* metres of the
  centre (distance ``<= r``).
* **status** of (*a*, *d*):
  ``local`` when a resource of *d* lies inside the area's polygon or within
  ``local_radius_m`` (default 1,000 m) of its centre; otherwise ``supra_local`` when the
  centre lies within the *reach* of some resource of *d* (its scale's ``reach_m`` in
  ``data/registry/scales.csv``: a regional service reaches 20 km, a supra-local one 50 km);
  otherwise ``none``.
* **institutional completeness** of *a*: the number (and share) of the 11 domains with
  status ``local``; the **gap list** names the domains that are only supra-local or absent.

Nearest-neighbour and radius queries use one ``scipy.spatial.cKDTree`` per domain (and per
scale for reach), so the cost is O((A + R) log R) instead of A × R.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

STATUS_CODE: dict[str, int] = {"none": 0, "supra_local": 1, "local": 2}
"""Numeric coding of the coverage status (used by the ``registry_coverage`` indicator)."""


def nearest_and_counts(
    centres: np.ndarray, points: np.ndarray, radii: Sequence[float] = ()
) -> tuple[np.ndarray, np.ndarray, dict[float, np.ndarray]]:
    """Nearest point and counts within radii for every centre (KD-tree).

    Parameters
    ----------
    centres
        ``(A, 2)`` array of x, y in metres.
    points
        ``(R, 2)`` array of resource x, y in metres (may be empty).
    radii
        Radii in metres.

    Returns
    -------
    (dist, idx, counts)
        ``dist``: ``(A,)`` distance to the nearest point (``inf`` when ``R == 0``);
        ``idx``: index into ``points`` (``-1`` when none); ``counts``: radius -> ``(A,)``
        int array of points with distance ``<= radius``.
    """
    from scipy.spatial import cKDTree

    centres = np.asarray(centres, float).reshape(-1, 2)
    points = np.asarray(points, float).reshape(-1, 2)
    a = len(centres)
    if len(points) == 0:
        return (np.full(a, np.inf), np.full(a, -1, dtype=int),
                {float(r): np.zeros(a, dtype=int) for r in radii})
    tree = cKDTree(points)
    dist, idx = tree.query(centres, k=1)
    counts = {float(r): np.asarray(tree.query_ball_point(centres, r=float(r), return_length=True), dtype=int)
              for r in radii}
    return np.asarray(dist, float), np.asarray(idx, int), counts


def completeness_table(
    centres: np.ndarray,
    area_codes: Sequence[str],
    resources: pd.DataFrame,
    domains: Sequence[str],
    *,
    local_radius_m: float = 1000.0,
    radii: Sequence[float] = (500.0, 1000.0, 2000.0),
    reach_m: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Coverage of every area × domain.

    Parameters
    ----------
    centres
        ``(A, 2)`` area centres, EPSG:31370 metres.
    area_codes
        ``A`` area codes (same order).
    resources
        One row per active resource with columns ``id, name, x, y, scale, domains`` (list of
        domain codes) and ``area_code`` (the area containing it, or ``None``).
    domains
        Domain codes to evaluate (normally all 11).
    local_radius_m
        Radius (m) within which a resource counts as local.
    radii
        Radii (m) for the ``count_<r>`` columns.
    reach_m
        Scale code -> reach in metres (default from ``scales.csv``).

    Returns
    -------
    DataFrame
        ``area_code, domain, nearest_m, nearest_id, nearest_name, inside, count_<r>…, status``.
    """
    if reach_m is None:
        reach_m = scale_reach()
    codes = np.asarray(area_codes, dtype=object)
    a = len(codes)
    xy = resources[["x", "y"]].to_numpy(float) if len(resources) else np.zeros((0, 2))
    dom_lists = resources["domains"].tolist() if len(resources) else []
    frames = []
    rad = sorted({float(r) for r in radii} | {float(local_radius_m)})
    for d in domains:
        m = np.fromiter((d in ds for ds in dom_lists), dtype=bool, count=len(dom_lists))
        sub = resources.loc[m] if len(resources) else resources
        dist, idx, counts = nearest_and_counts(centres, xy[m], rad)
        inside = np.zeros(a, dtype=bool)
        if len(sub):
            inside_codes = set(sub["area_code"].dropna())
            inside = np.fromiter((c in inside_codes for c in codes), dtype=bool, count=a)
        local = inside | (dist <= local_radius_m)
        reached = np.zeros(a, dtype=bool)
        if len(sub):
            for sc, grp in sub.groupby("scale"):
                r = float(reach_m.get(sc, 0.0))
                dd, _, _ = nearest_and_counts(centres, grp[["x", "y"]].to_numpy(float))
                reached |= dd <= r
        status = np.where(local, "local", np.where(reached, "supra_local", "none"))
        ids = sub["id"].to_numpy() if len(sub) else np.array([])
        names = sub["name"].to_numpy(object) if len(sub) else np.array([], dtype=object)
        ok = idx >= 0
        f = pd.DataFrame({
            "area_code": codes,
            "domain": d,
            "nearest_m": dist,
            "nearest_id": pd.array(np.where(ok, ids[np.clip(idx, 0, None)] if len(ids) else 0, 0), dtype="Int64"),
            "nearest_name": np.where(ok, names[np.clip(idx, 0, None)] if len(names) else None, None),
            "inside": inside,
        })
        f.loc[~ok, "nearest_id"] = pd.NA
        for r in rad:
            f[f"count_{int(r)}"] = counts[r]
        f["status"] = status
        frames.append(f)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def profile_summary(table: pd.DataFrame, n_domains: int) -> pd.DataFrame:
    """Per area: domains local / only supra-local / missing, completeness share and gap list."""
    g = table.groupby("area_code", sort=False)["status"]
    out = pd.DataFrame({
        "local": g.apply(lambda s: int((s == "local").sum())),
        "supra_local_only": g.apply(lambda s: int((s == "supra_local").sum())),
        "missing": g.apply(lambda s: int((s == "none").sum())),
    })
    out["completeness_pct"] = 100.0 * out["local"] / float(n_domains)
    gaps = table[table["status"] != "local"].groupby("area_code", sort=False)["domain"].apply(list)
    out["gaps"] = out.index.map(lambda c: gaps.get(c, []))
    return out.reset_index()


def scale_reach() -> dict[str, float]:
    """Scale code -> reach in metres, from ``data/registry/scales.csv``."""
    from aankomst.registry.validate import taxonomy

    return {c: float((t.get("extra") or {}).get("reach_m") or 0) for c, t in taxonomy()["scale"].items()}


def domain_codes() -> list[str]:
    """The domain codes in taxonomy order."""
    from aankomst.registry.validate import taxonomy

    return list(taxonomy()["domain"])


def active_resources(url: str, as_of: date | None = None) -> pd.DataFrame:
    """Active resources of the registry at ``url`` on ``as_of`` (default today).

    Returns ``id, name, lon, lat, x, y, scale, municipality_nis, domains`` (x/y EPSG:31370).
    """
    from sqlalchemy import text

    from aankomst.registry.areas import to_31370
    from aankomst.registry.db import check_ready, get_engine

    check_ready(url)
    as_of = as_of or date.today()
    eng = get_engine(url)
    with eng.connect() as con:
        res = pd.DataFrame(con.execute(text(
            "SELECT id, name, lon, lat, scale, municipality_nis FROM resources "
            "WHERE deleted_at IS NULL AND (valid_from IS NULL OR valid_from <= :d) "
            "AND (valid_to IS NULL OR valid_to >= :d) ORDER BY id"), {"d": as_of}).fetchall(),
            columns=["id", "name", "lon", "lat", "scale", "municipality_nis"])
        links = pd.DataFrame(con.execute(text(
            "SELECT resource_id, code FROM resource_terms WHERE vocabulary = 'domain'")).fetchall(),
            columns=["resource_id", "code"])
    doms = links.groupby("resource_id")["code"].apply(list)
    res["domains"] = res["id"].map(doms).apply(lambda v: v if isinstance(v, list) else [])
    x, y = to_31370(res["lon"].to_numpy(float), res["lat"].to_numpy(float)) if len(res) else (np.array([]), np.array([]))
    res["x"], res["y"] = x, y
    return res


def area_completeness(
    atlas: Any,
    url: str,
    *,
    level: str = "neighbourhood",
    layout: str | None = None,
    as_of: date | None = None,
    local_radius_m: float = 1000.0,
    radii: Sequence[float] = (500.0, 1000.0, 2000.0),
) -> tuple[pd.DataFrame, Any]:
    """Completeness table for every area of ``level`` (see :func:`completeness_table`).

    Returns ``(table, area_set)``.
    """
    from aankomst.registry.areas import area_set

    s = area_set(atlas, level, layout)
    res = active_resources(url, as_of)
    res["area_code"] = s.locate(res["x"].to_numpy(), res["y"].to_numpy()) if len(res) else []
    table = completeness_table(s.centres, [str(c) for c in s.codes], res, domain_codes(),
                               local_radius_m=local_radius_m, radii=radii)
    return table, s
