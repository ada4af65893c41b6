"""Make the glyph files (signed distance fields) that the web map's labels are drawn with.

MapLibre draws text from pre-rendered glyph ranges ``{fontstack}/{start}-{end}.pbf``: 256 code
points per file, each glyph a signed distance field (SDF) of the character at 24 px with a
3 px border, in the protocol-buffer format of the Mapbox/MapLibre glyph specification::

    message glyph     { uint32 id = 1; bytes bitmap = 2; uint32 width = 3; uint32 height = 4;
                        sint32 left = 5; sint32 top = 6; uint32 advance = 7; }
    message fontstack { string name = 1; string range = 2; repeated glyph glyphs = 3; }
    message glyphs    { repeated fontstack stacks = 1; }

The atlas ships these files (``src/aankomst/web/static/glyphs/``), so the map needs no font or
tile server. This script regenerates them; it is deterministic (same font file, same
freetype-py -> byte-identical output) and needs, at development time only:

* ``freetype-py`` (PyPI; in the ``dev`` extra) to render the outlines,
* the DejaVu Sans fonts of Debian's ``fonts-dejavu-core`` (``/usr/share/fonts/truetype/dejavu``),
* ``scipy`` (a dependency of the package) for the Euclidean distance transform.

How a glyph is made: the character is rendered (anti-aliased, thresholded at half coverage)
at 4 × 24 px; the exact Euclidean distances to the outline are taken outside and inside
(:func:`scipy.ndimage.distance_transform_edt`) and averaged over each 4 × 4 block, giving the
signed distance ``d`` in 24-px pixels (positive outside); the byte stored is
``255 - 255 * (d / 8 + 0.25)`` clipped to 0–255 (the edge is 191, as in MapLibre's TinySDF).
``top`` is the glyph's top above the baseline minus the font's ascender (the convention of
Mapbox's sdf-glyph-foundry), ``left`` and ``advance`` are in 24-px pixels.

Usage::

    .venv/bin/python scripts/make_glyphs.py                  # writes src/aankomst/web/static/glyphs
    .venv/bin/python scripts/make_glyphs.py --out /tmp/glyphs --check   # compare with the shipped files

Example
-------
>>> encode_varint(300).hex()
'ac02'
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

SIZE = 24
"""Font size of the glyphs (pixels): MapLibre's ONE_EM."""
BUFFER = 3
"""Border around each glyph bitmap (pixels), fixed by MapLibre."""
RADIUS = 8.0
"""Distance (pixels) over which the field falls from 255 to 0."""
CUTOFF = 0.25
"""Where the edge sits in the 0–1 range (0.75 × 255 ≈ 191 is the edge)."""
OVERSAMPLE = 4
"""Render at ``OVERSAMPLE × SIZE`` px and average the distances per block."""
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTSTACKS: dict[str, str] = {
    "DejaVu Sans Book": "DejaVuSans.ttf",
    "DejaVu Sans Bold": "DejaVuSans-Bold.ttf",
}
"""Font stack name (as the map style names it) -> font file of fonts-dejavu-core."""
RANGES: tuple[int, ...] = (0, 256, 8192)
"""First code point of each 256-code-point range written: Latin-1, Latin Extended-A/B
(Polish, Czech, Turkish … names), general punctuation (dashes and quotes)."""
OUT = Path(__file__).resolve().parents[1] / "src" / "aankomst" / "web" / "static" / "glyphs"


# --------------------------------------------------------------------------- protobuf
def encode_varint(n: int) -> bytes:
    """A non-negative integer as a protobuf varint."""
    if n < 0:
        raise ValueError(f"varint of a negative number {n}")
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _field(num: int, wire: int) -> bytes:
    return encode_varint((num << 3) | wire)


def _uint(num: int, value: int) -> bytes:
    return _field(num, 0) + encode_varint(value)


def _sint(num: int, value: int) -> bytes:
    return _field(num, 0) + encode_varint(_zigzag(value))


def _bytes(num: int, value: bytes) -> bytes:
    return _field(num, 2) + encode_varint(len(value)) + value


def encode_glyph(cp: int, bitmap: bytes, width: int, height: int, left: int, top: int,
                 advance: int) -> bytes:
    """One ``glyph`` message (the bitmap is left out for an empty glyph, e.g. a space)."""
    out = _uint(1, cp)
    if bitmap:
        out += _bytes(2, bitmap)
    return out + _uint(3, width) + _uint(4, height) + _sint(5, left) + _sint(6, top) + _uint(7, advance)


def encode_range(name: str, start: int, glyphs: list[bytes]) -> bytes:
    """A ``glyphs`` message holding one ``fontstack`` with the glyphs of one range."""
    stack = _bytes(1, name.encode("utf-8")) + _bytes(2, f"{start}-{start + 255}".encode())
    for g in glyphs:
        stack += _bytes(3, g)
    return _bytes(1, stack)


# --------------------------------------------------------------------------- rendering
def sdf_glyph(face: Any, cp: int) -> bytes | None:
    """The encoded glyph of code point ``cp`` in ``face`` (size set to ``OVERSAMPLE × SIZE``),
    or ``None`` when the font has no glyph for it."""
    import freetype
    from scipy.ndimage import distance_transform_edt

    if face.get_char_index(cp) == 0:
        return None
    face.load_char(cp, freetype.FT_LOAD_RENDER | freetype.FT_LOAD_NO_HINTING)
    slot = face.glyph
    bm = slot.bitmap
    advance = round(slot.advance.x / 64.0 / OVERSAMPLE)
    ascender = round(face.size.ascender / 64.0 / OVERSAMPLE)
    if bm.width == 0 or bm.rows == 0:
        return encode_glyph(cp, b"", 0, 0, 0, -ascender, advance)
    hi = np.array(bm.buffer, dtype=np.uint8).reshape(bm.rows, bm.pitch)[:, :bm.width] >= 128
    s = OVERSAMPLE
    # the glyph box on the 24-px grid (y up from the baseline), covering the hi-res bitmap
    x0 = math.floor(slot.bitmap_left / s)
    x1 = math.ceil((slot.bitmap_left + bm.width) / s)
    y1 = math.ceil(slot.bitmap_top / s)
    y0 = math.floor((slot.bitmap_top - bm.rows) / s)
    width, height = x1 - x0, y1 - y0
    W, H = width + 2 * BUFFER, height + 2 * BUFFER
    canvas = np.zeros((H * s, W * s), dtype=bool)
    cx = slot.bitmap_left - (x0 - BUFFER) * s
    cy = (y1 + BUFFER) * s - slot.bitmap_top
    canvas[cy:cy + bm.rows, cx:cx + bm.width] = hi
    outside = distance_transform_edt(~canvas)   # distance to the glyph from outside
    inside = distance_transform_edt(canvas)     # distance to the background from inside
    d = (outside - inside + np.where(canvas, 0.5, -0.5)) / s  # edge half-way between pixels
    d = d.reshape(H, s, W, s).mean(axis=(1, 3))
    val = np.clip(np.round(255 - 255 * (d / RADIUS + CUTOFF)), 0, 255).astype(np.uint8)
    return encode_glyph(cp, val.tobytes(), width, height, x0, y1 - ascender, advance)


def make(out: Path, font_dir: Path = FONT_DIR) -> list[Path]:
    """Write every range of every font stack under ``out``; the files written."""
    import freetype

    written = []
    for name, file in FONTSTACKS.items():
        path = font_dir / file
        if not path.is_file():
            raise SystemExit(f"font file {path} not found: install Debian's fonts-dejavu-core "
                             "(apt-get install fonts-dejavu-core) or give --fonts DIR")
        face = freetype.Face(str(path))
        face.set_pixel_sizes(0, SIZE * OVERSAMPLE)
        (out / name).mkdir(parents=True, exist_ok=True)
        for start in RANGES:
            glyphs = [g for cp in range(start, start + 256) if (g := sdf_glyph(face, cp)) is not None]
            target = out / name / f"{start}-{start + 255}.pbf"
            target.write_bytes(encode_range(name, start, glyphs))
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--out DIR`` (default: the package's static/glyphs), ``--fonts DIR``,
    ``--check`` (exit 1 when the files made differ from those in the package)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--fonts", type=Path, default=FONT_DIR)
    ap.add_argument("--check", action="store_true", help="compare the files made with the shipped ones")
    a = ap.parse_args(argv)
    files = make(a.out, a.fonts)
    for f in files:
        print(f"{f}  {f.stat().st_size} bytes")
    if a.check:
        differ = [f for f in files if (OUT / f.relative_to(a.out)).read_bytes() != f.read_bytes()]
        for f in differ:
            print(f"differs from the shipped file: {f.relative_to(a.out)}", file=sys.stderr)
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
