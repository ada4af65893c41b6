"""Geometry for the web map: zoom buckets, display names, coverage simplification without
gaps or overlaps, quantisation, and the ``aankomst serve`` command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from aankomst.web.geo import ZOOM_BUCKETS, display_name, layer_geojson, zoom_bucket


@pytest.mark.parametrize("zoom, bucket", [(None, 7), (0, 7), (7, 7), (9.99, 7), (10, 10), (12.5, 10), (13, 13), (22, 13)])
def test_zoom_bucket(zoom, bucket):
    assert zoom_bucket(zoom) == bucket


@given(st.floats(min_value=0, max_value=24, allow_nan=False))
def test_zoom_bucket_is_a_bucket_not_above_the_zoom(z):
    b = zoom_bucket(z)
    assert b in ZOOM_BUCKETS and (b <= z or b == min(ZOOM_BUCKETS))


def test_display_name_bilingual():
    assert display_name("Sint-Gillis", "Saint-Gilles") == "Sint-Gillis / Saint-Gilles"
    assert display_name("Aalst", "Aalst") == "Aalst"
    assert display_name(None, "Ixelles") == "Ixelles"
    assert display_name("Gent", None) == "Gent"
    assert display_name(float("nan"), None, "Ghent") == "Ghent"


def _zigzag_atlas(path):
    """Two areas sharing a 400-vertex zigzag border (amplitude 30 m) in Lambert 72."""
    import pandas as pd

    import aankomst
    from aankomst.sources.base import LoadBatch

    x0, y0, w, h = 150000.0, 170000.0, 8000.0, 8000.0
    ys = np.linspace(y0, y0 + h, 400)
    xs = x0 + w / 2 + 30 * np.sin(np.arange(400))  # a ragged shared border
    border = list(zip(xs, ys))
    west = shapely.Polygon([(x0, y0), *border, (x0, y0 + h)])
    east = shapely.Polygon([*border, (x0 + w, y0 + h), (x0 + w, y0)])
    rows = [{"level": "municipality", "layout": "2025", "code": c, "name_nl": n, "name_fr": None, "name_en": None,
             "area_km2": g.area / 1e6, "geometry": shapely.to_wkb(g)} for c, n, g in (("1", "West", west), ("2", "East", east))]
    a = aankomst.open(str(path))
    a.load([LoadBatch("t/areas", "t", "a.csv", "0" * 64, {"areas": pd.DataFrame(rows)})])
    return a, west, east


def test_coverage_simplification_leaves_no_gaps_or_overlaps(tmp_path):
    import geopandas as gpd

    a, west, east = _zigzag_atlas(tmp_path / "z.duckdb")
    try:
        out = {}
        for bucket in ZOOM_BUCKETS:
            fc = json.loads(layer_geojson(a, "municipality", "2025", bucket))
            assert fc["aankomst"]["crs"] == "EPSG:4326" and len(fc["features"]) == 2
            geoms = gpd.GeoSeries([shapely.geometry.shape(f["geometry"]) for f in fc["features"]], crs=4326).to_crs(31370)
            g1, g2 = geoms.iloc[0], geoms.iloc[1]
            total = west.area + east.area
            # shared border simplified once: no overlap, no gap (up to the quantisation grid)
            assert g1.intersection(g2).area < 1e-4 * total
            assert abs(g1.union(g2).area - total) < 2e-3 * total
            out[bucket] = int(shapely.get_num_coordinates(geoms.values).sum())
        assert out[7] < out[10] <= out[13]  # coarser zoom, fewer vertices
        assert out[13] >= 800  # the stored border is kept at street level
    finally:
        a.close()


def test_quantisation_grid(tmp_path):
    a, _, _ = _zigzag_atlas(tmp_path / "q.duckdb")
    try:
        fc = json.loads(layer_geojson(a, "municipality", "2025", 7))
        coords = np.array(fc["features"][0]["geometry"]["coordinates"][0])
        assert np.allclose(coords * 1e4, np.round(coords * 1e4), atol=1e-6)
        assert json.loads(layer_geojson(a, "region", "2025", 7))["features"] == []
    finally:
        a.close()


def test_serve_command(tmp_path):
    from typer.testing import CliRunner

    from aankomst.cli import make_app

    runner = CliRunner()
    r = runner.invoke(make_app(), ["serve", "--help"])
    assert r.exit_code == 0
    for opt in ("--db", "--registry", "--host", "--port"):
        assert opt in r.output
    r = runner.invoke(make_app(), ["serve", "--db", str(tmp_path / "missing.duckdb")])
    assert r.exit_code == 2
    assert "does not exist" in " ".join(r.output.split())


def test_create_app_without_atlas_answers_503():
    from fastapi.testclient import TestClient

    from aankomst.web.app import create_app

    c = TestClient(create_app(None))
    assert c.get("/healthz").json()["atlas"] is False
    r = c.get("/api/values", params={"indicator": "population", "level": "municipality"})
    assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"
    assert c.get("/").status_code == 200
