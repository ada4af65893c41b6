"""The map page's server side: first view, offer, categorical change, label points, glyphs,
optional base map (MBTiles made here), on the demo atlas and (``realdata``) the real mirror.

Expected values are computed in the tests with plain SQL over the atlas tables or by hand.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from web_support import client_for, error_of, sql

pytest.importorskip("fastapi")

ROOT = Path(__file__).resolve().parents[1]
GLYPHS = ROOT / "src" / "aankomst" / "web" / "static" / "glyphs"


def _drawable(atlas, level: str, layout: str) -> set[str]:
    return set(sql(atlas, "SELECT code FROM areas WHERE level = ? AND layout = ? AND geometry IS NOT NULL",
                   [level, layout])["code"])


# --------------------------------------------------------------------------- first view
def test_landing_is_the_richest_offered_view_on_demo(demo_atlas_path, demo_atlas):
    with client_for(demo_atlas_path) as c:
        v = c.get("/api/landing").json()
        assert v["how"] == "richest" and v["indicator"] and v["level"]
        # it is on offer, and at its latest period
        per = c.get("/api/periods", params={"indicator": v["indicator"], "level": v["level"]}).json()
        assert per["latest"] == v["period"]
        vals = c.get("/api/values", params={"indicator": v["indicator"], "level": v["level"],
                                            "period": v["period"]}).json()["data"]
        drawn = _drawable(demo_atlas, v["level"], v["layout"])
        with_value = {r["area_code"] for r in vals if r["value"] is not None and not r["suppressed"]}
        assert v["coloured"] == len(with_value & drawn) and v["drawn"] == len(drawn)
        # no level with geometry has more areas than the coloured ones (nothing can beat it)
        most = max(d["with_geometry"] for d in c.get("/api/levels").json())
        assert v["coloured"] == most
        # ties go to the migration theme
        theme = {r["id"]: r["theme"] for r in c.get("/api/indicators").json()["indicators"]}
        assert theme[v["indicator"]] == "migration"
        assert c.get("/api/landing").json() == v  # computed once, same answer


def test_landing_follows_the_default_view_setting(demo_atlas_path, writable_copy):
    import aankomst

    db = writable_copy(demo_atlas_path)
    a = aankomst.open(str(db))
    a.con.execute("INSERT INTO settings VALUES ('default_view', "
                  "'ind=arrival_typology&level=neighbourhood&period=2016-2020', 'first view of the map')")
    a.close()
    with client_for(db) as c:
        v = c.get("/api/landing").json()
    assert (v["how"], v["indicator"], v["level"], v["period"]) == ("setting", "arrival_typology",
                                                                   "neighbourhood", "2016-2020")
    a = aankomst.open(str(db))
    a.con.execute("UPDATE settings SET value = 'ind=arrival_typology&level=municipality' WHERE key = 'default_view'")
    a.close()
    with client_for(db) as c:  # not on offer: the richest view, and the reason
        v = c.get("/api/landing").json()
    assert v["how"] == "richest" and "default_view" in v["note"]


def test_offer_lists_only_indicators_with_periods(demo_atlas_path):
    with client_for(demo_atlas_path) as c:
        for lv in ("municipality", "neighbourhood"):
            ids = c.get("/api/offer", params={"level": lv}).json()["indicators"]
            assert "population" in ids
            for ind in ids[:12]:
                g = c.get("/api/groups", params={"indicator": ind, "level": lv}).json()
                if not g["total"]:
                    assert g["schemes"], ind
                    continue
                assert c.get("/api/periods", params={"indicator": ind, "level": lv}).json()["periods"], ind
        assert "arrival_typology" not in c.get("/api/offer", params={"level": "municipality"}).json()["indicators"]


# --------------------------------------------------------------------------- categorical maps
def test_typology_values_carry_class_and_explanation(demo_atlas_path):
    with client_for(demo_atlas_path) as c:
        body = c.get("/api/values", params={"indicator": "arrival_typology", "level": "neighbourhood",
                                            "form": "columns"}).json()
    cols = body["data"]["columns"]
    assert {"class", "explanation"} <= set(cols)
    rows = [dict(zip(cols, r)) for r in body["data"]["data"]]
    gw = [r for r in rows if r["class"] == "gateway"]
    assert gw and all(r["explanation"].startswith("gateway: ") for r in gw)
    cls = body["classes"]
    named = [lab for lab, n in zip(cls["labels_nl"], cls["counts"]) if n > 0]
    assert len(named) >= 3 and cls["counts"][cls["categories"].index("gateway")] == len(gw)


def test_typology_change_is_transitions_by_hand(demo_atlas_path):
    p = {"indicator": "arrival_typology", "level": "neighbourhood"}
    with client_for(demo_atlas_path) as c:
        a = {r["area_code"]: r for r in c.get("/api/values", params={**p, "period": "2010-2014"}).json()["data"]}
        b = {r["area_code"]: r for r in c.get("/api/values", params={**p, "period": "2018-2022"}).json()["data"]}
        body = c.get("/api/change", params={**p, "from": "2010-2014", "to": "2018-2022", "focus": "gateway"}).json()
        assert body["kind"] == "transitions" and body["classes"]["focus"] == "gateway"
        assert body["classes"]["labels_en"][:3] == ["became gateway", "no longer gateway", "stayed gateway"]
        assert body["classes"]["labels_fr"][0].startswith("est devenu ")
        got = {r["area_code"]: r for r in body["data"]}
        expected = {"entered": 0, "left": 0, "stayed": 0, "other": 0}
        for code, ra in a.items():
            rb = b[code]
            if ra["suppressed"] or rb["suppressed"]:
                assert got[code]["suppressed"]
                continue
            f, t = ra["class"] == "gateway", rb["class"] == "gateway"
            want = "stayed" if f and t else "left" if f else "entered" if t else "other"
            expected[want] += 1
            assert got[code]["class"] == want and got[code]["class_from"] == ra["class"]
        assert body["classes"]["counts"] == [expected[k] for k in ("entered", "left", "stayed", "other")]
        assert expected["entered"] + expected["left"] + expected["stayed"] > 0
        error_of(c.get("/api/change", params={**p, "from": "2010-2014", "to": "2018-2022", "focus": "nope"}),
                 404, "unknown_class")
        csv_text = c.get("/api/export", params={**p, "from": "2010-2014", "to": "2018-2022"}).text
        assert '"class_from"' in csv_text.splitlines()[0]


# --------------------------------------------------------------------------- orientation
def test_label_points_lie_inside_their_areas(demo_atlas_path, demo_atlas):
    import shapely

    with client_for(demo_atlas_path) as c:
        fc = c.get("/api/labels", params={"level": "municipality"}).json()
        assert error_of(c.get("/api/labels", params={"level": "nope"}), 422)
    layout = fc["aankomst"]["layout"]
    assert len(fc["features"]) == len(_drawable(demo_atlas, "municipality", layout))
    geo = sql(demo_atlas, "SELECT code, name_nl, name_fr, geometry FROM areas WHERE level = 'municipality' "
                          "AND layout = ?", [layout]).set_index("code")
    from pyproj import Transformer

    to_lambert = Transformer.from_crs(4326, 31370, always_xy=True)
    for f in fc["features"]:
        code = f["properties"]["code"]
        x, y = to_lambert.transform(*f["geometry"]["coordinates"])
        poly = shapely.from_wkb(bytes(geo.loc[code, "geometry"]))
        assert poly.buffer(2).contains(shapely.Point(x, y)), code  # within the 1e-5° rounding
        want_fr = geo.loc[code, "name_fr"] if isinstance(geo.loc[code, "name_fr"], str) else geo.loc[code, "name_nl"]
        assert f["properties"]["name_fr"] == want_fr


def _read_varint(buf: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def _fields(buf: bytes) -> list[tuple[int, object]]:
    out, i = [], 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _read_varint(buf, i)
            out.append((num, v))
        elif wire == 2:
            n, i = _read_varint(buf, i)
            out.append((num, buf[i:i + n]))
            i += n
        else:
            raise AssertionError(f"wire type {wire}")
    return out


def test_shipped_glyphs_are_valid_sdf_ranges():
    """Decode the committed glyph files with an independent protobuf reader."""
    for stack in ("DejaVu Sans Book", "DejaVu Sans Bold"):
        for rng in ("0-255", "256-511"):
            data = (GLYPHS / stack / f"{rng}.pbf").read_bytes()
            (tag, fontstack), = _fields(data)
            assert tag == 1
            fs = _fields(fontstack)
            assert dict(fs[:2]) == {1: stack.encode(), 2: rng.encode()}
            glyphs = {}
            for num, g in fs[2:]:
                assert num == 3
                d = dict(_fields(g))
                glyphs[d[1]] = d
            start = int(rng.split("-")[0])
            assert all(start <= cp <= start + 255 for cp in glyphs)
            if start == 0:
                a = glyphs[ord("A")]
                w, h = a[3], a[4]
                assert len(a[2]) == (w + 6) * (h + 6) and 12 <= h <= 20 and a[7] > 10
                assert max(a[2]) > 191 and min(a[2]) == 0  # inside the edge (191) and far outside
                assert 2 not in glyphs[ord(" ")] and glyphs[ord(" ")][7] > 0  # a space: advance only
                assert ord("é") in glyphs and ord("ë") in glyphs
            else:
                assert ord("œ") in glyphs and ord("ł") in glyphs


def test_glyph_script_is_deterministic(tmp_path):
    pytest.importorskip("freetype")
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_glyphs.py"), "--out", str(tmp_path), "--check"],
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr


def test_glyphs_are_served(demo_atlas_path):
    with client_for(demo_atlas_path) as c:
        r = c.get("/static/glyphs/DejaVu%20Sans%20Book/0-255.pbf")
        assert r.status_code == 200 and r.content == (GLYPHS / "DejaVu Sans Book" / "0-255.pbf").read_bytes()


# --------------------------------------------------------------------------- base map
def make_mbtiles(path: Path) -> bytes:
    """A one-tile raster MBTiles file (zoom 0) made with sqlite3; returns the tile bytes."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 40, 40)).save(buf, format="PNG")
    tile = buf.getvalue()
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    con.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
    con.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", "test"), ("format", "png"), ("minzoom", "0"),
                                                            ("maxzoom", "0"), ("attribution", "test tiles")])
    con.execute("INSERT INTO tiles VALUES (0, 0, 0, ?)", [tile])
    con.commit()
    con.close()
    return tile


def test_basemap_none_by_default_and_mbtiles_served(demo_atlas_path, tmp_path):
    with client_for(demo_atlas_path) as c:
        assert c.get("/api/basemap").json() == {"kind": "none"}
        assert c.get("/basemap/tiles/0/0/0").status_code == 204
    mb = tmp_path / "base.mbtiles"
    tile = make_mbtiles(mb)
    with client_for(demo_atlas_path, basemap=str(mb)) as c:
        info = c.get("/api/basemap").json()
        assert info["kind"] == "raster" and info["tiles"] == ["/basemap/tiles/{z}/{x}/{y}"]
        r = c.get("/basemap/tiles/0/0/0")
        assert r.status_code == 200 and r.content == tile and r.headers["content-type"] == "image/png"
        assert c.get("/basemap/tiles/1/0/0").status_code == 204
        assert "connect-src 'self';" in r.headers["content-security-policy"]
    with client_for(demo_atlas_path, basemap="https://tiles.example.org/style.json") as c:
        assert c.get("/api/basemap").json() == {"kind": "style", "url": "https://tiles.example.org/style.json"}
        assert "connect-src 'self' https://tiles.example.org" in c.get("/").headers["content-security-policy"]


def test_basemap_bad_files_are_clear_errors(tmp_path):
    from aankomst.errors import AankomstError
    from aankomst.web.basemap import Basemap

    with pytest.raises(AankomstError, match="no such file"):
        Basemap(str(tmp_path / "missing.mbtiles"))
    bad = tmp_path / "bad.mbtiles"
    bad.write_text("not sqlite")
    with pytest.raises(AankomstError, match="not an MBTiles file"):
        Basemap(str(bad))


def test_serve_has_a_basemap_option():
    from typer.testing import CliRunner

    from aankomst.cli import make_app

    out = CliRunner().invoke(make_app(), ["serve", "--help"], terminal_width=200).output
    assert "--basemap" in out


# --------------------------------------------------------------------------- real mirror
@pytest.mark.realdata
@pytest.mark.slow
def test_landing_and_brussels_groups_on_real_data(real_atlas_path, real_atlas):
    with client_for(real_atlas_path) as c:
        v = c.get("/api/landing").json()
        assert v["coloured"] >= 0.9 * v["drawn"] and v["drawn"] >= 2700, v
        # North Africans in the Brussels monitoring neighbourhoods, 2010: offered, and computed
        g = c.get("/api/groups", params={"indicator": "group_share", "level": "brussels_neighbourhood"}).json()
        offered = {(s["scheme"], x["group"]) for s in g["schemes"] for x in s["groups"]}
        assert ("ibsa_nationality", "north_africa") in offered
        body = c.get("/api/values", params={"indicator": "group_share", "level": "brussels_neighbourhood",
                                            "period": "2010", "group": "ibsa_nationality:north_africa"}).json()
    stored = sql(real_atlas, "SELECT code, value FROM measures WHERE level = 'brussels_neighbourhood' AND "
                             "measure = 'nationality_share' AND grp = 'north_africa' AND period = '2010'")
    got = {r["area_code"]: r["value"] for r in body["data"] if r["value"] is not None}
    assert len(stored) >= 55 and set(stored["code"]) <= set(got)
    for code, val in zip(stored["code"], stored["value"]):
        assert got[code] == pytest.approx(val * (100 if val <= 1 and max(stored["value"]) <= 1 else 1))
