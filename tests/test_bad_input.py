"""Bad input: every case gets an InputError naming the file, the row/column and the expected form,
and the atlas is left exactly as it was (content of every table compared before/after).

The bad files are generated here from code (see ``_foundation_data``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _foundation_data import (
    TF_NEW_HEADER,
    TF_ROWS,
    good_dir,
    population_csv,
    snapshot,
    tf_text,
    write_tf_zip,
)

from aankomst.errors import InputError
from aankomst.sources.build import build_atlas


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("bad")
    data = good_dir(root / "data")
    db = root / "atlas.duckdb"
    build_atlas(data, db, progress=False)
    return data, db, snapshot(db)


@pytest.fixture()
def case(built, tmp_path: Path):
    """A fresh copy of the good data directory and atlas; yields (data dir, db, snapshot before)."""
    data, db, snap = built
    d = tmp_path / "data"
    shutil.copytree(data, d)
    db2 = tmp_path / "atlas.duckdb"
    shutil.copy(db, db2)
    return d, db2, snap


def _fails(d: Path, db: Path, snap, *, file: str, row: int | None = ..., column: str | None = ..., text: str = "", expected: str = ""):
    with pytest.raises(InputError) as ei:
        build_atlas(d, db, progress=False)
    err = ei.value
    assert file in err.file, err
    if row is not ...:
        assert err.row == row, err
    if column is not ...:
        assert err.column == column, err
    assert text in str(err), err
    assert expected in err.expected, err
    assert err.expected, "the error must say what was expected"
    assert snapshot(db) == snap, "a failed build must leave the atlas unchanged"
    return err


def test_good_build_is_idempotent(built, tmp_path: Path):
    data, db, snap = built
    db2 = tmp_path / "a.duckdb"
    shutil.copy(db, db2)
    build_atlas(data, db2, progress=False)
    after = snapshot(db2)
    drop = lambda s: {k: v for k, v in s.items() if k != "provenance"}
    assert drop(after) == drop(snap)
    assert [r[1] for r in after["provenance"]] == [r[1] for r in snap["provenance"]]


def test_truncated_zip(case):
    d, db, snap = case
    z = d / "TF_SOC_POP_STRUCT_2012.zip"
    data = z.read_bytes()
    z.write_bytes(data[: len(data) // 2])
    _fails(d, db, snap, file="TF_SOC_POP_STRUCT_2012.zip", text="truncated or corrupt", expected="intact zip")


def test_corrupt_zip_member(case):
    d, db, snap = case
    z = d / "TF_SOC_POP_STRUCT_2012.zip"
    text = tf_text(rows=TF_ROWS * 40)  # long enough to be compressed
    write_tf_zip(z, text)
    data = bytearray(z.read_bytes())
    start = data.find(b"TF_SOC_POP_STRUCT_2012.txt") + len("TF_SOC_POP_STRUCT_2012.txt") + 10
    for i in range(start, start + 40):
        data[i] ^= 0xFF
    z.write_bytes(bytes(data))
    _fails(d, db, snap, file="TF_SOC_POP_STRUCT_2012.zip", text="corrupt", expected="intact zip")


def test_wrong_delimiter_statbel(case):
    d, db, snap = case
    write_tf_zip(d / "TF_SOC_POP_STRUCT_2012.zip", tf_text(sep=";"))
    _fails(d, db, snap, file="TF_SOC_POP_STRUCT_2012", row=1, text="looks ';'-separated", expected="pipe-separated")


def test_wrong_delimiter_own_csv(case):
    d, db, snap = case
    p = d / "population.csv"
    p.write_text(p.read_text().replace(",", "\t"), encoding="utf-8")
    # ',' and ';' are accepted; a tab-separated file is recognised by no format: the build names
    # the file and the delimiter, and so does the reader called directly
    _fails(d, db, snap, file="population.csv", row=1, text="'\\t'-separated", expected="',' or ';'-separated")
    from aankomst.sources.own_formats import read_population_csv

    with pytest.raises(InputError) as ei:
        read_population_csv(p)
    assert ei.value.row == 1 and "'\\t'-separated" in str(ei.value) and "comma or semicolon" in ei.value.expected


def test_wrong_encoding(case):
    d, db, snap = case
    p = d / "areas.csv"
    # 0x81 is neither UTF-8 nor Windows-1252 (the two encodings accepted)
    p.write_bytes(p.read_bytes().replace(b"Vlaams Gewest", b"Vlaams Gewest \x81"))
    _fails(d, db, snap, file="areas.csv", row=2, text="not valid UTF-8 or Windows-1252 text", expected="UTF-8")


def test_utf16_text_is_refused(case):
    d, db, snap = case
    p = d / "population.csv"
    p.write_bytes(p.read_text(encoding="utf-8").encode("utf-16"))
    _fails(d, db, snap, file="population.csv", row=1, text="UTF-16", expected="UTF-8")


def test_unquoted_delimiter_in_a_value_shifts_columns(case):
    d, db, snap = case
    p = d / "areas.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("Vlaams Gewest,", "Vlaams Gewest, Région flamande,", 1),
                 encoding="utf-8")
    _fails(d, db, snap, file="areas.csv", row=2, text="line 2 has 9 fields, the header 8", expected="double quotes")


def test_unknown_file_is_an_error(case):
    d, db, snap = case
    (d / "mystery.bin").write_bytes(b"\x00\x01")
    _fails(d, db, snap, file="mystery.bin", row=None, column=None, text="no reader recognises this file (it is binary data)",
           expected="--skip-unknown")


def test_html_page_saved_as_an_official_workbook(case):
    d, db, snap = case
    # what a failed portal download looks like: an error page under the expected name
    (d / "OPEN DATA_SECTOREN_2019.xlsx").write_text(
        "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head><body></body></html>\n")
    _fails(d, db, snap, file="OPEN DATA_SECTOREN_2019.xlsx",
           text="the name matches statbel_sectors (Statbel population per statistical sector) but the content does not: "
                "it is an HTML page", expected="CD_SECTOR, POPULATION")


def test_official_name_with_other_columns_is_an_error(case):
    import pandas as pd

    d, db, snap = case
    pd.DataFrame({"code": ["11001"], "naam": ["Aartselaar"]}).to_excel(d / "def_gemeente.xlsx", index=False)
    _fails(d, db, snap, file="def_gemeente.xlsx", text="a workbook whose first row is ['code', 'naam']",
           expected="'geoitem code'")


def test_csv_of_no_known_format_names_the_missing_columns(case):
    d, db, snap = case
    (d / "counts.csv").write_text("level;layout;code;date;scheme;grp;count\nmunicipality;2025;11001;2024-01-01;total;total;3\n",
                                  encoding="utf-8")
    _fails(d, db, snap, file="counts.csv", row=1, text="population lacks column(s) ['ref_date']", expected="ref_date")


def test_shapefile_part_without_its_shp(case):
    d, db, snap = case
    (d / "gemeente2018.dbf").write_bytes(b"\x03" + b"\x00" * 31)
    _fails(d, db, snap, file="gemeente2018.dbf", text="part of the shapefile gemeente2018.shp, which is not there",
           expected="gemeente2018.shp next to it")


def test_every_file_problem_is_listed_before_reading(case):
    d, db, snap = case
    (d / "mystery.bin").write_bytes(b"\x00")
    (d / "OPEN DATA_SECTOREN_2019.xlsx").write_text("<html></html>")
    with pytest.raises(InputError) as ei:
        build_atlas(d, db, progress=False)
    assert {Path(p.file).name for p in ei.value.problems} == {"mystery.bin", "OPEN DATA_SECTOREN_2019.xlsx"}
    assert all(p.expected for p in ei.value.problems)
    assert snapshot(db) == snap


def test_skip_unknown_lists_them_and_builds_the_rest(case):
    d, db, snap = case
    (d / "mystery.bin").write_bytes(b"\x00")
    (d / "OPEN DATA_SECTOREN_2019.xlsx").write_text("<html></html>")
    report = build_atlas(d, db, progress=False, skip_unknown=True)
    assert report.unknown == ["mystery.bin"]
    assert [f for f, _ in report.mismatched] == ["OPEN DATA_SECTOREN_2019.xlsx"]
    assert "an HTML page" in report.mismatched[0][1]
    assert "user/population.csv" in set(report.sources["source_id"])
    drop = lambda s: {k: v for k, v in s.items() if k != "provenance"}
    assert drop(snapshot(db)) == drop(snap)  # same files loaded as before


def test_wrong_encoding_statbel(case):
    d, db, snap = case
    write_tf_zip(d / "TF_SOC_POP_STRUCT_2012.zip", tf_text().replace("Province 10000", "Province d’Anvers é"), encoding="cp1252")
    _fails(d, db, snap, file="TF_SOC_POP_STRUCT_2012", row=2, text="not valid UTF-8", expected="UTF-8")


def test_missing_column(case):
    d, db, snap = case
    p = d / "population.csv"
    lines = p.read_text().splitlines()
    lines[0] = lines[0].replace(",age_band,count", ",age_band,number")
    p.write_text("\n".join(lines) + "\n")
    # without 'count' the header matches no format: the build stops on the file and names the
    # missing column; so does the reader called directly
    _fails(d, db, snap, file="population.csv", row=1, text="population lacks column(s) ['count']", expected="count")
    from aankomst.sources.own_formats import read_population_csv

    with pytest.raises(InputError) as ei:
        read_population_csv(p)
    assert ei.value.column == "count" and ei.value.row == 1 and "count" in ei.value.expected


def test_missing_column_statbel(case):
    d, db, snap = case
    hdr = TF_NEW_HEADER.replace("|CD_SEX|", "|CD_GENDER|")
    write_tf_zip(d / "TF_SOC_POP_STRUCT_2012.zip", tf_text(header=hdr))
    _fails(d, db, snap, file="TF_SOC_POP_STRUCT_2012", row=1, column="CD_SEX", text="missing column", expected="CD_SEX")


def test_unknown_area_code(case):
    d, db, snap = case
    population_csv(d / "population.csv", ["sector,2025,11001A00-,2024-01-01,total,total,T,total,100",
                                          "sector,2025,99999Z99-,2024-01-01,total,total,T,total,5"])
    _fails(d, db, snap, file="population.csv", row=3, column="code", text="unknown sector code '99999Z99-'", expected="sector code")


def test_negative_count(case):
    d, db, snap = case
    population_csv(d / "population.csv", ["sector,2025,11001A00-,2024-01-01,total,total,T,total,100",
                                          "sector,2025,11001A01-,2024-01-01,total,total,T,total,-3"])
    _fails(d, db, snap, file="population.csv", row=3, column="count", text="'-3'", expected="count")


def test_non_numeric_count(case):
    d, db, snap = case
    population_csv(d / "population.csv", ["sector,2025,11001A00-,2024-01-01,total,total,T,total,12a"])
    _fails(d, db, snap, file="population.csv", row=2, column="count", text="'12a'", expected="count")


def test_non_numeric_count_statbel(case):
    d, db, snap = case
    rows = list(TF_ROWS)
    rows[2] = rows[2][:-1] + ("x5",)
    write_tf_zip(d / "TF_SOC_POP_STRUCT_2012.zip", tf_text(rows=rows))
    _fails(d, db, snap, file="TF_SOC_POP_STRUCT_2012", row=4, column="MS_POPULATION", text="'x5'", expected="count")


def test_negative_count_statbel(case):
    d, db, snap = case
    rows = list(TF_ROWS)
    rows[1] = rows[1][:-1] + (-2,)
    write_tf_zip(d / "TF_SOC_POP_STRUCT_2012.zip", tf_text(rows=rows))
    _fails(d, db, snap, file="TF_SOC_POP_STRUCT_2012", row=3, column="MS_POPULATION", expected="count")


def test_duplicate_key(case):
    d, db, snap = case
    population_csv(d / "population.csv", ["sector,2025,11001A00-,2024-01-01,total,total,T,total,100",
                                          "sector,2025,11001A01-,2024-01-01,total,total,T,total,50",
                                          "sector,2025,11001A00-,2024-01-01,total,total,T,total,101"])
    err = _fails(d, db, snap, file="population.csv", row=4, text="duplicate key", expected="one row per")
    assert "[2, 4]" in str(err)


def test_duplicate_key_statbel(case):
    d, db, snap = case
    write_tf_zip(d / "TF_SOC_POP_STRUCT_2012.zip", tf_text(rows=TF_ROWS + [TF_ROWS[0]]))
    _fails(d, db, snap, file="TF_SOC_POP_STRUCT_2012", row=9, text="duplicate key", expected="one row per")


def test_totals_contradict(case):
    d, db, snap = case
    # sectors of 11002 add up to 30 + 20 = 50, the municipality row says 60
    population_csv(d / "population.csv", [
        "sector,2025,11002A00-,2024-01-01,total,total,T,total,30",
        "sector,2025,11002B10-,2024-01-01,total,total,T,total,20",
        "municipality,2025,11002,2024-01-01,total,total,T,total,60",
    ])
    err = _fails(d, db, snap, file="population.csv", row=4, column="count", text="add up to 50", expected="sum of its sector")
    assert "says 60" in str(err)


def test_totals_partial_sectors_exceeding(case):
    d, db, snap = case
    # only one of the two sectors is given, but it already exceeds the municipality
    population_csv(d / "population.csv", [
        "sector,2025,11001A00-,2024-01-01,total,total,T,total,200",
        "municipality,2025,11001,2024-01-01,total,total,T,total,150",
    ])
    err = _fails(d, db, snap, file="population.csv", text="add up to 200")
    assert "only 1 of its 2" in str(err)


def test_geometry_wrong_crs_shapefile(case):
    import geopandas as gpd
    from shapely.geometry import box

    d, db, snap = case
    # longitude/latitude written into a file that declares Belgian Lambert 72
    g = gpd.GeoDataFrame({"geoitem": ["11001", "11002"], "naam": ["Aartselaar", "Antwerpen"]},
                         geometry=[box(4.38, 51.13, 4.40, 51.15), box(4.35, 51.18, 4.45, 51.28)], crs=31370)
    g.to_file(d / "gemeente.shp")
    _fails(d, db, snap, file="gemeente.shp", row=1, column="geometry", text="longitude/latitude", expected="EPSG:31370")


def test_geometry_wrong_crs_wkt(case):
    d, db, snap = case
    p = d / "areas.csv"
    p.write_text("level,layout,code,name_nl,wkt\nneighbourhood,2025,11001W01,Centrum,\"POLYGON((4.38 51.13, 4.40 51.13, 4.40 51.15, 4.38 51.13))\"\n",
                 encoding="utf-8")
    _fails(d, db, snap, file="areas.csv", row=2, column="wkt", text="outside Belgium", expected="EPSG:31370")


def test_all_problems_of_a_build_are_listed(case):
    d, db, snap = case
    population_csv(d / "population.csv", ["sector,2025,11001A00-,2024-01-01,total,total,T,total,-1"])
    write_tf_zip(d / "TF_SOC_POP_STRUCT_2012.zip", tf_text(sep=";"))
    with pytest.raises(InputError) as ei:
        build_atlas(d, db, progress=False)
    files = {Path(p.file.split("!")[0]).name for p in ei.value.problems}
    assert {"population.csv", "TF_SOC_POP_STRUCT_2012.zip"} <= files
    assert snapshot(db) == snap


def test_load_rolls_back_on_a_later_bad_batch(built, tmp_path: Path):
    import pandas as pd

    import aankomst
    from aankomst.store.batch import LoadBatch

    _, db, snap = built
    db2 = tmp_path / "a.duckdb"
    shutil.copy(db, db2)
    good = LoadBatch("t/good", "test", "good.csv", "0", {"measures": pd.DataFrame({
        "level": ["municipality"], "layout": ["2025"], "code": ["11001"], "measure": ["m"], "period": ["2024"],
        "scheme": ["total"], "grp": ["total"], "value": [1.0], "unit": ["x"]})})
    bad = LoadBatch("t/bad", "test", "bad.csv", "0", {"population": pd.DataFrame({
        "level": ["municipality"], "layout": ["2025"], "code": ["11001"], "ref_date": [pd.Timestamp("2024-01-01").date()],
        "scheme": ["total"], "grp": ["total"], "sex": ["T"], "age_band": ["total"], "count": [-1], "source_row": [7]})})
    a = aankomst.open(str(db2))
    with pytest.raises(InputError) as ei:
        a.load([good, bad])
    a.close()
    assert ei.value.row == 7 and ei.value.file == "bad.csv"
    assert snapshot(db2) == snap
