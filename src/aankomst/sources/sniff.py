"""Content checks (*sniffs*) that confirm a file recognised by name really is of its family.

Each function here returns a check ``(path) -> bool`` for a
:class:`~aankomst.sources.base.Recogniser`. A check only looks at the start of a file; it never
raises for an unreadable file (it returns False, or True where the reader gives the clearer
error, as for a broken zip archive).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from aankomst.sources._util import first_line, xlsx_rows

Sniff = Callable[[Path], bool]


def header_has(*cols: str) -> Sniff:
    """True when the first line of a text file (or of the first member of a zip) contains every
    one of ``cols``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_text("sscod;BELGIQUE\\n")
    >>> header_has("sscod")(p), header_has("id", "value")(p)
    (True, False)
    """
    def sniff(path: Path) -> bool:
        h = first_line(path)
        return all(c in h for c in cols)

    return sniff


def xlsx_has(*cols: str, rows: int = 1) -> Sniff:
    """True when one of the first ``rows`` rows of the first sheet of a workbook has every one of
    ``cols`` as a cell (case-insensitive); False for anything that is not a readable workbook.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.xlsx"
    >>> pd.DataFrame({"CD_SECTOR": ["11001A00-"], "POPULATION": [3]}).to_excel(p, index=False)
    >>> xlsx_has("cd_sector", "population")(p)
    True
    """
    want = [c.lower() for c in cols]

    def sniff(path: Path) -> bool:
        for row in xlsx_rows(path, rows):
            cells = {c.strip().lower() for c in row}
            if all(c in cells for c in want):
                return True
        return False

    return sniff


def zip_header_any(*options: str) -> Sniff:
    """True when the header of the first member of a zip archive contains one of ``options``;
    also True for a broken archive (the reader then says clearly what is wrong with it)."""
    def sniff(path: Path) -> bool:
        try:
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if not n.endswith("/")]
                with zf.open(names[0]) as fh:
                    h = fh.read(4096).decode("utf-8", "replace")
        except Exception:
            return True  # a broken archive is still this family: the reader reports it clearly
        return any(o in h for o in options)

    return sniff


def json_has(key: str) -> Sniff:
    """True when the first 4 kB of a JSON file contain the key ``"key"``."""
    def sniff(path: Path) -> bool:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
        return f'"{key}"' in head

    return sniff


def shp_ok(path: Path) -> bool:
    """True when the file starts with the ESRI shapefile magic number."""
    with open(path, "rb") as fh:
        return fh.read(4) == b"\x00\x00\x27\x0a"


def geojson_has(*props: str) -> Sniff:
    """True when a GeoJSON file's features have every property in ``props``."""
    def sniff(path: Path) -> bool:
        import pyogrio

        fields = set(pyogrio.read_info(path)["fields"])
        return all(p in fields for p in props)

    return sniff
