"""Helpers shared by the readers: code normalisation, spreadsheet and text reading with clear
errors, and constructors for the atlas tables."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.errors import InputError, InputProblem
from aankomst.store.schema import TABLE_COLUMNS

#: Layout tokens used in the Provincies-in-Cijfers file names -> (level, layout).
LEVEL_TOKENS: dict[str, tuple[str, str]] = {
    "statsec": ("sector", "2025"),
    "statsec2024": ("sector", "2024"),
    "statsec2019": ("sector", "2019"),
    "ggw7": ("neighbourhood", "2025"),
    "ggw72024": ("neighbourhood", "2024"),
    "deelgemeente": ("deelgemeente", "2024"),
    "deelgemeente2024": ("deelgemeente", "2024"),
    "gemeente": ("municipality", "2025"),
    "gemeente2024": ("municipality", "2024"),
    "gemeente2018": ("municipality", "2018"),
    "arrondiss": ("arrondissement", "2025"),
    "arrondiss2024": ("arrondissement", "2024"),
    "provincie": ("province", "2025"),
    "provincie2024": ("province", "2024"),
    "gewest": ("region", "2025"),
    "belgie": ("country", "2025"),
    "kerntypering": ("area_type", "2025"),
    "uitrustingsgraad": ("area_type", "2025"),
}
"""Name tokens of the boundary/crosswalk files and the (level, layout) they denote.
Arrondissements and provinces have a ``2024`` layout next to ``2025``: with the 2025 mergers
Zwijndrecht (11056) moved from the province/arrondissement of Antwerp to East Flanders
(Beveren-Kruibeke-Zwijndrecht). Regions did not change."""

#: Area-type families whose codes get a prefix so they cannot collide with other area types.
TYPE_PREFIX = {"kerntypering": "kerntypering_", "uitrustingsgraad": "uitrustingsgraad_"}


def norm_code(value: object) -> str | None:
    """Return an area code as text: ``41002.0`` -> ``"41002"``, strips blanks; ``None`` if empty."""
    if value is None:
        return None
    if isinstance(value, float):
        if np.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    text = str(value).strip()
    if text in ("", "nan", "None", "NaN", "<NA>"):
        return None
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


def nis5(value: object) -> str | None:
    """Return a NIS/REFNIS code zero-padded to 5 digits (``2000`` -> ``"02000"``)."""
    c = norm_code(value)
    if c is None:
        return None
    return c.zfill(5) if c.isdigit() else c


def level_code(token: str, value: object) -> str | None:
    """Normalise a code of the level denoted by a file-name token (padding, type prefixes)."""
    c = norm_code(value)
    if c is None:
        return None
    level = LEVEL_TOKENS[token][0]
    if level in ("municipality", "arrondissement", "province", "region") and c.isdigit():
        return c.zfill(5)
    if level == "country":
        return "BE"
    if token in TYPE_PREFIX:
        return TYPE_PREFIX[token] + c
    return c


def norm_codes(series: pd.Series) -> pd.Series:
    """Vectorised :func:`norm_code` (text, ``.0`` of numbers stripped, blanks -> missing)."""
    s = pd.Series(series, copy=False)
    if s.dtype == object:
        # floats from spreadsheets: 41002.0 -> 41002
        s = s.map(lambda v: str(int(v)) if isinstance(v, float) and v == v and v.is_integer() else v)
    t = s.astype("str").str.strip()
    t = t.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    bad = s.isna() | t.isin(["", "nan", "None", "NaN", "<NA>"])
    return t.astype(object).where(~bad, None)


def level_codes(token: str, series: pd.Series) -> pd.Series:
    """Vectorised :func:`level_code` for a whole column."""
    t = norm_codes(series)
    level = LEVEL_TOKENS[token][0]
    ok = t.notna()
    if level in ("municipality", "arrondissement", "province", "region"):
        digits = ok & t.fillna("").str.fullmatch(r"\d+")
        t = t.where(~digits, t.fillna("").str.zfill(5))
    elif level == "country":
        t = t.where(~ok, "BE")
    elif token in TYPE_PREFIX:
        t = t.where(~ok, TYPE_PREFIX[token] + t.fillna(""))
    return t.astype(object).where(ok, None)


def read_excel(path: Path, *, header: int | None = 0, sheet: int | str = 0, dtype: object = object) -> pd.DataFrame:
    """Read one sheet of a spreadsheet (xlsx or old xls) with the calamine engine, or raise
    :class:`InputError` naming the file and what the content is instead (e.g. an HTML page
    saved under a workbook's name by a failed download)."""
    try:
        return pd.read_excel(path, sheet_name=sheet, header=header, dtype=dtype, engine="calamine")
    except Exception as exc:  # corrupt workbook, wrong format …
        raise _workbook_error(path, exc) from exc


def read_workbook(path: Path, *, header: int | None = None, dtype: object = object) -> dict[str, pd.DataFrame]:
    """Read every sheet of a spreadsheet (name -> DataFrame, in workbook order) with the calamine
    engine, or raise :class:`InputError`.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.xlsx"
    >>> with pd.ExcelWriter(p) as w:
    ...     pd.DataFrame({"a": [1]}).to_excel(w, sheet_name="one", index=False)
    ...     pd.DataFrame({"b": [2]}).to_excel(w, sheet_name="two", index=False)
    >>> list(read_workbook(p))
    ['one', 'two']
    """
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=header, dtype=dtype, engine="calamine")
    except Exception as exc:
        raise _workbook_error(path, exc) from exc
    return {str(k): v for k, v in sheets.items()}


def _workbook_error(path: Path, exc: Exception) -> InputError:
    return InputError(
        str(path),
        f"cannot read the workbook ({describe_content(path)}): {type(exc).__name__}: {str(exc)[:200]}",
        expected="an intact Excel workbook (.xlsx or .xls) as published (download it again)",
    )


def describe_content(path: Path) -> str:
    """Say what a file's first bytes show it to be (for errors about a file whose name and content
    disagree), e.g. ``"an HTML page (a failed or redirected download?)"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.xlsx"
    >>> _ = p.write_text("<!DOCTYPE html><html><body>404</body></html>")
    >>> describe_content(p)
    'an HTML page (a failed or redirected download?)'
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    if not head:
        return "an empty file (0 bytes)"
    low = head.lstrip(codecs.BOM_UTF8).lstrip().lower()
    if low.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in low[:200]:
        return "an HTML page (a failed or redirected download?)"
    if low.startswith((b"<?xml", b"<")):
        return "an XML/HTML document"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "a zip archive (an .xlsx workbook is one too)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old-style Office document (.xls/.doc)"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip-compressed file"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16 text"
    if low.startswith((b"{", b"[")):
        return "JSON text"
    if b"\x00" in head:
        return "binary data"
    line = head.splitlines()[0][:80].decode("utf-8", "replace") if head.splitlines() else ""
    return f"text starting with {line!r}"


#: Encodings accepted for the Aankomst CSV formats, tried in turn: UTF-8 (with or without a byte
#: order mark), then Windows-1252, the encoding Dutch/French Excel on Windows uses for
#: "CSV (gescheiden door lijstscheidingsteken)" / "CSV (séparateur : point-virgule)".
CSV_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "cp1252")

_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "Windows-1252"}


def decode_text(path: Path, *, encodings: Iterable[str] = ("utf-8-sig",)) -> tuple[str, str]:
    """Decode a text file, trying ``encodings`` in turn; returns ``(text, encoding used)``.

    A byte order mark of UTF-8 is dropped; UTF-16 text and binary data (NUL bytes) are refused.
    The error names the file, the line of the first undecodable byte and the encodings expected.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes("naam\\nLiège\\n".encode("cp1252"))
    >>> decode_text(p, encodings=CSV_ENCODINGS)
    ('naam\\nLiège\\n', 'cp1252')
    """
    encodings = tuple(encodings)
    names = " or ".join(dict.fromkeys(_ENCODING_NAMES.get(e, e) for e in encodings))
    expected = f"{names} text" + (" (in Excel: save as 'CSV UTF-8')" if "utf-8-sig" in encodings else "")
    data = Path(path).read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(str(path), "the file is UTF-16 text (e.g. Excel's 'Unicode text')", row=1, expected=expected)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(str(path), f"the file holds binary data (a NUL byte at position {nul}), not text",
                         row=data[:nul].count(b"\n") + 1, expected=expected)
    last: UnicodeDecodeError | None = None
    for enc in encodings:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            last = exc if last is None else last
    assert last is not None
    line = data[: last.start].count(b"\n") + 1
    raise InputError(
        str(path),
        f"byte {data[last.start:last.start + 1]!r} at position {last.start} is not valid {names} text",
        row=line,
        expected=expected,
    )


def read_text(path: Path, *, encodings: Iterable[str] = ("utf-8-sig",)) -> str:
    """Read a text file, trying ``encodings`` in turn; the error names the byte and line
    (see :func:`decode_text`)."""
    return decode_text(path, encodings=encodings)[0]


def detect_delimiter(header: str, candidates: Iterable[str]) -> str | None:
    """The delimiter of a header line among ``candidates`` (the most frequent one outside double
    quotes), or None when it has none of them.

    Examples
    --------
    >>> detect_delimiter("level;layout;code", (",", ";"))
    ';'
    >>> detect_delimiter('level,"a;b",code', (",", ";"))
    ','
    """
    bare = re.sub(r'"[^"]*"', "", header)
    counts = {c: bare.count(c) for c in candidates}
    best = max(counts, key=lambda c: counts[c]) if counts else None
    return best if best is not None and counts[best] else None


def read_csv_text(
    path: Path,
    *,
    sep: str | tuple[str, ...],
    required: list[str],
    dtype: object = str,
    encodings: Iterable[str] = ("utf-8-sig",),
) -> pd.DataFrame:
    """Read a delimited text file with a header; check delimiter and required columns.

    ``sep`` is one delimiter or a tuple of accepted ones (the header line decides). Adds
    ``source_row``: the 1-based line number (header = line 1); ``df.attrs`` records ``sep`` and
    ``encoding`` (the one that decoded the file).
    """
    text, encoding = decode_text(path, encodings=encodings)
    first = text.splitlines()[0] if text else ""
    seps = (sep,) if isinstance(sep, str) else tuple(sep)
    found = detect_delimiter(first, seps)
    if found is None:
        other = detect_delimiter(first, [c for c in (",", ";", "\t", "|") if c not in seps])
        raise InputError(
            str(path),
            f"the header line has no {' or '.join(repr(s) for s in seps)} delimiter"
            + (f" (it looks {other!r}-separated)" if other else ""),
            row=1,
            expected=f"{' or '.join(_sep_name(s) for s in seps)}-separated columns {', '.join(required)}",
        )
    _check_field_counts(str(path), text, found)
    try:
        df = pd.read_csv(io.StringIO(text), sep=found, dtype=dtype, keep_default_na=False, na_values=[""], index_col=False)
    except pd.errors.ParserError as exc:
        raise InputError(str(path), f"cannot parse the file: {exc}", expected=f"{_sep_name(found)}-separated text") from exc
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            str(path),
            f"missing column(s) {missing}; the header has {list(df.columns)}",
            row=1,
            column=missing[0],
            expected=f"columns {', '.join(required)}",
        )
    df["source_row"] = np.arange(2, len(df) + 2)
    df.attrs.update(sep=found, encoding=encoding)
    return df


def _check_field_counts(path: str, text: str, sep: str) -> None:
    """No line may have more fields than the header: an unquoted delimiter inside a value would
    shift the columns. (Excel writes the same number of fields on every line, header included.)
    The error names the line."""
    rows = csv.reader(io.StringIO(text), delimiter=sep)
    header = next(rows, [])
    n = len(header)
    for row in rows:
        if len(row) > n:
            line = rows.line_num
            raise InputError(path, f"line {line} has {len(row)} fields, the header {n}", row=line,
                             expected=f"{n} {_sep_name(sep)}-separated fields per line; quote a value that contains "
                                      f"{sep!r} with double quotes (\"…\")")


def _sep_name(sep: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(sep, repr(sep))


def open_zip_member(path: Path, pattern: str = "") -> tuple[zipfile.ZipFile, str]:
    """Open a zip archive and pick its (only / first matching) member; clear error if corrupt."""
    try:
        zf = zipfile.ZipFile(path)
        names = [n for n in zf.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(
            str(path),
            f"the zip archive is truncated or corrupt ({exc})",
            expected="an intact zip archive as downloaded from the publisher (download it again)",
        ) from exc
    picks = [n for n in names if pattern.lower() in n.lower()] or names
    if not picks:
        raise InputError(str(path), "the zip archive is empty", expected="one data file inside the archive")
    return zf, picks[0]


def numeric(
    path: str,
    df: pd.DataFrame,
    column: str,
    *,
    count: bool = False,
    allow_missing: bool = True,
    row_col: str = "source_row",
) -> pd.Series:
    """Convert a column to numbers; non-numeric (or, for counts, negative/fractional) values raise
    :class:`InputError` naming every bad row (up to 20)."""
    raw = df[column]
    vals = pd.to_numeric(raw, errors="coerce")
    blank = raw.isna() | (raw.astype(str).str.strip() == "")
    bad = vals.isna() & ~blank
    if not allow_missing:
        bad = bad | blank
    if count:
        bad = bad | (vals < 0) | ((vals.notna()) & (vals != vals.round()))
    if bad.any():
        rows = df[row_col] if row_col in df.columns else pd.Series(df.index + 2, index=df.index)
        what = "a count of persons (0, 1, 2, …)" if count else "a number"
        problems = [
            InputProblem(path, int(rows.loc[i]), column, f"value {raw.loc[i]!r} is not {what}", what)
            for i in df.index[bad.to_numpy()][:20]
        ]
        raise InputError(path, problems[0].message, problems=problems)
    return vals


_DEFAULTS = {
    ("measures", "scheme"): "total", ("measures", "grp"): "total",
    ("population", "sex"): "T", ("population", "age_band"): "total",
    ("flows", "scheme"): "total", ("flows", "grp"): "total",
}


def frame(table: str, data: dict[str, object] | pd.DataFrame, *, keep_rows: bool = True) -> pd.DataFrame:
    """Build a DataFrame with exactly the columns of ``table`` (missing ones filled with None)."""
    df = pd.DataFrame(data) if not isinstance(data, pd.DataFrame) else data
    out = pd.DataFrame(index=df.index)
    for c in TABLE_COLUMNS[table]:
        out[c] = df[c] if c in df.columns else _DEFAULTS.get((table, c))
        if (table, c) in _DEFAULTS:
            out[c] = out[c].fillna(_DEFAULTS[(table, c)])
    if keep_rows and "source_row" in df.columns:
        out["source_row"] = df["source_row"]
    if table == "crosswalks":
        out["weight"] = out["weight"].fillna(1.0).astype(float)
        out["weight_basis"] = out["weight_basis"].fillna("whole")
        out["split"] = out["split"].fillna(False).astype(bool)
    return out.reset_index(drop=True)


def check_unique(path: str, df: pd.DataFrame, keys: list[str], what: str) -> None:
    """Raise :class:`InputError` when ``keys`` are duplicated (names both rows)."""
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        sub = df[dup]
        first = sub.iloc[0]
        same = sub[(sub[keys] == first[keys]).all(axis=1)]
        rows = [int(r) for r in same.get("source_row", pd.Series(same.index + 2)).tolist()]
        key_text = ", ".join(f"{k}={first[k]!r}" for k in keys)
        raise InputError(
            path,
            f"duplicate key ({key_text}) on rows {rows}; {int(dup.sum())} rows share a key in all",
            row=rows[1] if len(rows) > 1 else rows[0],
            column=keys[-1],
            expected=f"one row per {what}",
        )


def first_line(path: Path, n: int = 4096) -> str:
    """Return the first line of a (possibly zipped) text file, for sniffing."""
    p = Path(path)
    try:
        if p.suffix.lower() == ".zip":
            zf = zipfile.ZipFile(p)
            names = [x for x in zf.namelist() if not x.endswith("/")]
            with zf.open(names[0]) as fh:
                raw = fh.read(n)
        else:
            with open(p, "rb") as fh:
                raw = fh.read(n)
    except Exception:
        return ""
    return raw.decode("utf-8", "replace").lstrip("\ufeff").splitlines()[0] if raw else ""


def xlsx_rows(path: Path, n: int = 1) -> list[list[str]]:
    """Return the first ``n`` rows of the first sheet of a workbook as text (for sniffing), or []
    when the file is not a readable workbook.

    Streams only those rows (openpyxl read-only for .xlsx, xlrd on demand for .xls).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.xlsx"
    >>> pd.DataFrame({"a": [1], "b": [None]}).to_excel(p, index=False)
    >>> xlsx_rows(p, 2)
    [['a', 'b'], ['1', '']]
    """
    try:
        if str(path).lower().endswith(".xls"):
            import xlrd

            wb = xlrd.open_workbook(str(path), on_demand=True)
            try:
                sh = wb.sheet_by_index(0)
                return [["" if v is None else _cell_text(v) for v in sh.row_values(i)] for i in range(min(n, sh.nrows))]
            finally:
                wb.release_resources()
        import openpyxl

        wb = openpyxl.load_workbook(str(path), read_only=True)
        try:
            return [["" if v is None else _cell_text(v) for v in row]
                    for row in wb.worksheets[0].iter_rows(values_only=True, max_row=n)]
        finally:
            wb.close()
    except Exception:
        return []


def _cell_text(v: object) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def xlsx_header(path: Path) -> list[str]:
    """Return the first row of the first sheet of a workbook as text (for sniffing), or []."""
    rows = xlsx_rows(path, 1)
    return rows[0] if rows else []
