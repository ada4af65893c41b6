"""Spreadsheet-safe CSV: the one place where Aankomst writes CSV meant for spreadsheet users.

A CSV cell that a spreadsheet reads as a formula (``=HYPERLINK(…)``, ``+cmd|' /C calc'!A0``,
``@SUM(…)``) can leak data or run commands when the file is opened (CSV / formula
injection, OWASP). This module applies two defences:

1. **Neutralise** (:func:`neutralise`): a text that begins with ``=``, ``+``, ``-``, ``@``, a
   tab or a carriage return gets a leading apostrophe ``'`` (the spreadsheet then shows it as
   text and hides the apostrophe). A text that begins with an apostrophe gets one more, so
   that :func:`restore` can undo the guard exactly. **Plain numbers are kept**: a text such
   as ``-3.5`` or ``+32`` that is nothing but a decimal number (optional sign, digits,
   optional fraction and exponent) is a value, not a formula — a spreadsheet turns it into
   that number and nothing else — so it is written unchanged (only a whole text counts:
   ``a;-3`` becomes ``a;'-3``). Columns of a numeric dtype are never touched.

   The same rule is applied inside a text at every place where a spreadsheet could start a
   new cell when it splits the file with *another* separator than the one it was written
   with — after each ``,``, ``;``, tab or line break (and any quotes or spaces that follow
   it). Belgian spreadsheets open a comma-separated file with ``;`` as the separator: the
   text ``Open daily;=1+1`` would then give a cell ``=1+1``; it is written as
   ``Open daily;'=1+1``.

2. **Quote every text field** (:func:`to_csv`): numbers are written bare, every text (also
   the header) in double quotes, so a reader using the file's own separator sees exactly one
   cell per field whatever the text holds.

:func:`restore` removes the guards again (the registry import uses it), so
``restore(neutralise(t)) == t`` for every text ``t``.
"""

from __future__ import annotations

import io
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

TRIGGERS = "=+-@\t\r"
"""Characters that make a spreadsheet cell a formula when they come first (OWASP)."""

BREAKS = ",;\t\r\n"
"""Characters after which a spreadsheet may start a new cell (separators, line breaks)."""

_T = re.escape(TRIGGERS + "'")
_B = re.escape(BREAKS)
_CELL_START = re.compile(rf"(^|[{_B}])([\" ]*)(?=[{_T}])")
_GUARDED = re.compile(rf"(^|[{_B}])([\" ]*)'(?=[{_T}])")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def is_plain_number(text: str) -> bool:
    """Whether ``text`` is only a decimal number (``-3.5``, ``+32``, ``1e-3``).

    Examples
    --------
    >>> is_plain_number("-3.5"), is_plain_number("-3.5+A1"), is_plain_number("+32 3 000")
    (True, False, False)
    """
    return _NUMBER.fullmatch(text) is not None


def neutralise(value: Any) -> Any:
    """Make one cell value safe for spreadsheets.

    Parameters
    ----------
    value
        Any cell value. Only ``str`` values are changed; numbers, ``None`` and other objects
        are returned as they are.

    Returns
    -------
    object
        For a text: the text with an apostrophe before every formula trigger (``= + - @``,
        tab, CR) or apostrophe that starts the text or follows a separator or line break
        (plus any quotes/spaces); a text that is a plain number such as ``-3.5`` is kept.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("Open daily;=1+1")
    "Open daily;'=1+1"
    >>> neutralise("-3.5"), neutralise(-3.5), neutralise("+32 3 000")
    ('-3.5', -3.5, "'+32 3 000")
    """
    if not isinstance(value, str) or not value or is_plain_number(value):
        return value
    return _CELL_START.sub(r"\g<0>'", value)


def restore(text: Any) -> Any:
    """Undo :func:`neutralise` (for reading back a file this module wrote).

    Parameters
    ----------
    text
        A cell as read from the CSV file; non-text values are returned unchanged.

    Returns
    -------
    object
        The original text: ``restore(neutralise(t)) == t`` for every text ``t``.

    Examples
    --------
    >>> restore("'=1+1"), restore("Open daily;'=1+1"), restore("''quoted")
    ('=1+1', 'Open daily;=1+1', "'quoted")
    """
    if not isinstance(text, str) or "'" not in text:
        return text
    return _GUARDED.sub(lambda m: m.group(1) + m.group(2), text)


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, (str, bytes, list, tuple, dict, set)):
        return False
    import pandas as pd

    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def format_cell(value: Any, *, numeric: bool = False) -> str:
    """One cell as CSV text: numbers bare, missing values empty, texts neutralised and quoted.

    Parameters
    ----------
    value
        The cell value.
    numeric
        The value comes from a numeric column: written bare, never neutralised.

    Returns
    -------
    str

    Examples
    --------
    >>> format_cell("@SUM(A1:A9)"), format_cell(4.5), format_cell(None), format_cell("-2")
    ('"\\'@SUM(A1:A9)"', '4.5', '', '"-2"')
    """
    if _missing(value) or value == "":
        return ""
    if numeric or _is_number(value):
        return str(value)
    if isinstance(value, bool):
        return _quote(str(value))
    return _quote(neutralise(str(value)))


def _rows_of(data: Any, columns: Sequence[str] | None) -> tuple[list[str], Iterable[list[str]]]:
    """Header and formatted rows of a DataFrame or an iterable of mappings."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        cols = list(columns) if columns is not None else [str(c) for c in data.columns]
        frame = data[cols] if columns is not None else data
        numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
        body = ([format_cell(v, numeric=n) for v, n in zip(row, numeric, strict=True)]
                for row in frame.itertuples(index=False, name=None))
        return cols, body
    rows = list(data) if not isinstance(data, list) else data
    if columns is None:
        if not rows:
            raise ValueError("to_csv: no rows and no columns given; pass columns=[…] for an empty table")
        columns = list(rows[0].keys())
    cols = list(columns)
    return cols, ([format_cell(r.get(c)) for c in cols] for r in rows)


def to_csv(data: Any, buf_or_path: str | Path | IO[str] | None = None, sep: str = ",", *,
           columns: Sequence[str] | None = None, lineterminator: str = "\r\n") -> str | None:
    """Write a spreadsheet-safe CSV file.

    Parameters
    ----------
    data
        A ``pandas.DataFrame`` (numeric-dtype columns are written bare and never changed) or
        an iterable of mappings (numbers written bare, everything else as neutralised text).
    buf_or_path
        A path (written as UTF-8), a text buffer, or ``None`` to return the text.
    sep
        Field separator, one character (``","``, ``";"`` or a tab).
    columns
        Columns to write, in order (default: all, in the data's order).
    lineterminator
        Line end (default ``"\\r\\n"``, RFC 4180).

    Returns
    -------
    str or None
        The CSV text when ``buf_or_path`` is ``None``.

    Raises
    ------
    ValueError
        For a separator that is not one character or is a quote or line break.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"name": ["Open daily;=1+1", "+cmd|' /C calc'!A0"], "x": [-3.5, 2.0]})
    >>> print(to_csv(df, lineterminator="\\n"), end="")
    "name","x"
    "Open daily;'=1+1",-3.5
    "'+cmd|' /C calc'!A0",2.0
    """
    if len(sep) != 1 or sep in '"\r\n':
        raise ValueError(f"separator {sep!r} is not allowed; use one character such as ',' or ';'")
    header, body = _rows_of(data, columns)

    def write(out: IO[str]) -> None:
        out.write(sep.join(_quote(neutralise(str(h))) for h in header) + lineterminator)
        for cells in body:
            out.write(sep.join(cells) + lineterminator)

    if buf_or_path is None:
        buf = io.StringIO()
        write(buf)
        return buf.getvalue()
    if isinstance(buf_or_path, (str, Path)):
        with open(buf_or_path, "w", encoding="utf-8", newline="") as fh:
            write(fh)
        return None
    write(buf_or_path)
    return None
