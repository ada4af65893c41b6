"""The optional base map of a deployment (``aankomst serve --basemap URL-or-FILE``).

The atlas needs no base map: its own outlines and names orient the user
(``static/js/labels.js``). A deployment that has one can name it:

* a **MapLibre style URL** (``https://…/style.json``): the page reads the style and draws its
  sources and line/fill/raster layers under the areas (symbol layers are left out: the map's
  text uses the glyphs shipped with the package); the style's origin is added to the
  Content-Security-Policy of the pages;
* a **local MBTiles file** (SQLite, raster PNG/JPEG/WebP or vector PBF tiles): served by the
  app itself at ``/basemap/tiles/{z}/{x}/{y}`` (XYZ numbering; MBTiles rows are TMS).

Nothing is fetched unless a base map is given. ``GET /api/basemap`` tells the page what to
draw (``{"kind": "none"}`` by default).
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aankomst.errors import AankomstError

FORMATS: dict[str, tuple[str, str]] = {
    "png": ("raster", "image/png"), "jpg": ("raster", "image/jpeg"), "jpeg": ("raster", "image/jpeg"),
    "webp": ("raster", "image/webp"), "pbf": ("vector", "application/x-protobuf"),
}
"""MBTiles ``format`` -> (MapLibre source type, media type of a tile)."""


@dataclass
class Basemap:
    """A configured base map: a style URL or an open MBTiles file.

    Parameters
    ----------
    spec
        ``http(s)://…`` (a MapLibre style URL) or the path of a ``.mbtiles`` file.

    Raises
    ------
    AankomstError
        A file that does not exist or is not an MBTiles file (the message says what was
        expected), or another kind of address.

    Example
    -------
    >>> Basemap("https://tiles.example.org/style.json").info()["kind"]
    'style'
    """

    spec: str
    kind: str = "none"
    origin: str | None = None
    path: Path | None = None
    meta: dict[str, str] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.spec)
        if parts.scheme in ("http", "https") and parts.netloc:
            self.kind = "style"
            self.origin = f"{parts.scheme}://{parts.netloc}"
            return
        path = Path(self.spec).expanduser()
        if not path.is_file():
            raise AankomstError(f"--basemap {self.spec}: no such file; expected a MapLibre style URL "
                                "(https://…/style.json) or a local .mbtiles file")
        if path.suffix.lower() == ".pmtiles":
            raise AankomstError(f"--basemap {self.spec}: PMTiles files are not served; convert it to "
                                "MBTiles (pmtiles convert FILE.pmtiles FILE.mbtiles) or give a style URL")
        self.path = path
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            rows = con.execute("SELECT name, value FROM metadata").fetchall()
            con.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1").fetchall()
            con.close()
        except sqlite3.DatabaseError as exc:
            raise AankomstError(f"--basemap {self.spec}: not an MBTiles file ({exc}); expected an SQLite "
                                "file with tables metadata(name, value) and tiles(zoom_level, tile_column, "
                                "tile_row, tile_data)") from exc
        self.meta = {str(k): str(v) for k, v in rows}
        fmt = self.meta.get("format", "png").lower()
        if fmt not in FORMATS:
            raise AankomstError(f"--basemap {self.spec}: tile format {fmt!r} in its metadata; expected one "
                                f"of {', '.join(FORMATS)}")
        self.kind = FORMATS[fmt][0]

    def info(self) -> dict[str, Any]:
        """What the page draws: ``kind`` (style, raster, vector), ``url`` or ``tiles``, zooms,
        ``attribution``, ``vector_layers`` (ids of the layers of vector tiles)."""
        if self.kind == "style":
            return {"kind": "style", "url": self.spec}
        layers = []
        if self.kind == "vector" and self.meta.get("json"):
            try:
                layers = [str(x["id"]) for x in json.loads(self.meta["json"]).get("vector_layers", [])]
            except (ValueError, KeyError, TypeError):
                layers = []
        return {"kind": self.kind, "tiles": ["/basemap/tiles/{z}/{x}/{y}"],
                "minzoom": int(self.meta.get("minzoom", 0) or 0), "maxzoom": int(self.meta.get("maxzoom", 14) or 14),
                "attribution": self.meta.get("attribution", ""), "name": self.meta.get("name", ""),
                "vector_layers": layers, "tile_size": 256}

    def tile(self, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        """``(bytes, media type)`` of tile ``z/x/y`` (XYZ numbering), ``None`` when absent."""
        if self.path is None:
            return None
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        row = con.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                          [z, x, (1 << z) - 1 - y]).fetchone()
        if row is None:
            return None
        data = bytes(row[0])
        if data[:2] == b"\x1f\x8b":  # gzipped vector tiles: the app's gzip layer compresses
            data = gzip.decompress(data)
        return data, FORMATS[self.meta.get("format", "png").lower()][1]


def make_router(basemap: Basemap | None) -> Any:
    """``GET /api/basemap`` (what the page draws) and, for an MBTiles file,
    ``GET /basemap/tiles/{z}/{x}/{y}`` (204 for a tile the file does not hold)."""
    from fastapi import APIRouter
    from fastapi import Path as P
    from fastapi.responses import Response

    router = APIRouter()

    @router.get("/api/basemap", tags=["catalogue"], summary="The optional base map")
    def basemap_info() -> dict[str, Any]:
        """``{"kind": "none"}`` unless the server was started with ``--basemap``; else the
        style URL or the tile source of the local MBTiles file."""
        return basemap.info() if basemap is not None else {"kind": "none"}

    @router.get("/basemap/tiles/{z}/{x}/{y}", include_in_schema=False)
    def basemap_tile(z: int = P(..., ge=0, le=24), x: int = P(..., ge=0), y: int = P(..., ge=0)) -> Response:
        got = basemap.tile(z, x, y) if basemap is not None else None
        if got is None:
            return Response(status_code=204, headers={"cache-control": "public, max-age=86400"})
        return Response(got[0], media_type=got[1], headers={"cache-control": "public, max-age=86400"})

    return router
