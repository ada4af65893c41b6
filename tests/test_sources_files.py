"""Every file of a data folder is loaded, listed (documentation, shapefile part, known family
without a reader yet) or an error; the own CSV formats as Belgian spreadsheets save them
(``;``, decimal comma, CRLF, UTF-8 with BOM or Windows-1252) load like the plain ones.

Files are generated here; the error cases (with the atlas left unchanged) are in
``test_bad_input.py``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from _foundation_data import areas_csv, flows_csv, population_csv

from aankomst.errors import InputError
from aankomst.sources.catalogue import recognise, scan
from aankomst.sources.own_formats import read_areas_csv, read_flows_csv, read_population_csv


def _excel_style(text: str, *, encoding: str = "utf-8-sig") -> bytes:
    """``text`` as Dutch Excel saves a CSV: ';'-separated, CRLF line ends, in ``encoding``."""
    return text.replace(",", ";").replace("\n", "\r\n").encode(encoding)


def _rows(batch, table: str) -> list[tuple]:
    df = batch.tables[table].drop(columns=["source_row"], errors="ignore")
    return sorted(map(tuple, df.astype(str).to_numpy().tolist()))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"], ids=["utf8", "utf8-bom", "windows-1252"])
@pytest.mark.parametrize("fmt", ["population", "flows", "areas"])
def test_semicolon_crlf_bom_load_like_the_comma_file(tmp_path: Path, fmt: str, encoding: str):
    make, read = {"population": (population_csv, read_population_csv), "flows": (flows_csv, read_flows_csv),
                  "areas": (areas_csv, read_areas_csv)}[fmt]
    plain = make(tmp_path / f"{fmt}.csv")
    excel = tmp_path / "excel" / f"{fmt}.csv"
    excel.parent.mkdir()
    excel.write_bytes(_excel_style(plain.read_text(encoding="utf-8"), encoding=encoding))
    rec, _ = recognise(excel)
    assert rec is not None and rec.family == f"user_{fmt}"
    (a,), (b,) = read(plain), read(excel)
    for table in a.tables:
        assert _rows(a, table) == _rows(b, table)
    # ASCII is valid UTF-8: only a file with accents is read as Windows-1252, and says so
    accented = not plain.read_text(encoding="utf-8").isascii()
    assert any("Windows-1252" in w for w in b.warnings) == (encoding == "cp1252" and accented)


def test_windows_1252_names_are_decoded(tmp_path: Path):
    p = tmp_path / "gemeenten.csv"
    p.write_bytes("level;layout;code;name_nl;name_fr\r\nmunicipality;2025;62063;Luik;Liège\r\n".encode("cp1252"))
    (b,) = read_areas_csv(p)
    assert b.tables["areas"]["name_fr"].tolist() == ["Liège"]
    assert "read as Windows-1252" in b.warnings[0]


def test_decimal_comma_in_a_semicolon_file(tmp_path: Path):
    p = tmp_path / "areas.csv"
    p.write_text("level;layout;code;name_nl;area_km2\nmunicipality;2025;11002;Antwerpen;204,51\n"
                 "municipality;2025;11001;Aartselaar;10.98\n", encoding="utf-8")
    (b,) = read_areas_csv(p)
    assert b.tables["areas"]["area_km2"].tolist() == [204.51, 10.98]
    # in a comma-separated file "204,51" would be two fields: quoted, it is not a number
    q = tmp_path / "areas2.csv"
    q.write_text('level,layout,code,name_nl,area_km2\nmunicipality,2025,11002,Antwerpen,"204,51"\n', encoding="utf-8")
    with pytest.raises(InputError) as ei:
        read_areas_csv(q)
    assert ei.value.row == 2 and ei.value.column == "area_km2"


def test_excel_empty_rows_and_columns_are_ignored(tmp_path: Path):
    p = tmp_path / "population.csv"
    p.write_bytes(b"level;layout;code;ref_date;scheme;grp;count;;\r\n"
                  b"municipality;2025;11002;2024-01-01;total;total;530000;;\r\n"
                  b";;;;;;;;\r\n"
                  b"municipality;2025;11001;2024-01-01;total;total;14000;;\r\n;;;;;;;;\r\n")
    (b,) = read_population_csv(p)
    pop = b.tables["population"]
    assert pop["count"].tolist() == [530000, 14000] and pop["source_row"].tolist() == [2, 4]


def test_quoted_header_and_values(tmp_path: Path):
    p = tmp_path / "areas.csv"
    p.write_text('"level";"layout";"code";"name_nl"\n"municipality";"2025";"21004";"Brussel; stad"\n', encoding="utf-8")
    (b,) = read_areas_csv(p)
    assert b.tables["areas"]["name_nl"].tolist() == ["Brussel; stad"]


def test_scan_lists_every_file(tmp_path: Path):
    d = tmp_path / "data"
    (d / "boundaries").mkdir(parents=True)
    (d / "social_assistance").mkdir()
    population_csv(d / "population.csv")
    for name in ("README.md", "LICENSE", "handleiding.pdf", "census2011_README.xlsx", "bron.html"):
        (d / name).write_bytes(b"doc")
    (d / "boundaries" / "gemeente.shp").write_bytes(b"\x00\x00\x27\x0a")
    for ext in (".dbf", ".shx", ".prj", ".cpg", ".shp.xml"):
        (d / "boundaries" / f"gemeente{ext}").write_bytes(b"x")
    (d / "social_assistance" / "leefloon_ocmw_2010.csv").write_text("OCMW;Totaal\nAntwerpen;1\n")
    (d / ".hidden").write_text("ignored")
    sc = scan(d)
    assert [p.name for p, _ in sc.data] == ["gemeente.shp", "population.csv"]
    assert sorted(p.name for p in sc.documentation) == ["LICENSE", "README.md", "bron.html", "census2011_README.xlsx",
                                                         "handleiding.pdf"]
    assert sorted(p.name for p in sc.parts) == ["gemeente.cpg", "gemeente.dbf", "gemeente.prj", "gemeente.shp.xml",
                                                 "gemeente.shx"]
    # a leefloon_ocmw_*.csv that is not the published table is a mismatch (the family has a reader)
    assert not sc.deferred and [p.name for p, _ in sc.mismatched] == ["leefloon_ocmw_2010.csv"]
    assert not sc.unknown and len(sc.problems) == 1


def test_plain_text_is_no_longer_documentation(tmp_path: Path):
    # an unzipped Statbel text file must not pass silently as documentation
    (tmp_path / "TF_SOC_POP_STRUCT_2016.txt").write_text("CD_REFNIS|CD_SEX\n")
    (tmp_path / "README.txt").write_text("notes")
    sc = scan(tmp_path)
    assert [p.name for p in sc.unknown] == ["TF_SOC_POP_STRUCT_2016.txt"]
    assert [p.name for p in sc.documentation] == ["README.txt"]
    assert "CD_REFNIS|CD_SEX" in sc.problems[0].message


def test_atlas_in_the_data_folder_is_not_a_problem(tmp_path: Path):
    from aankomst.sources.build import build_atlas

    population_csv(tmp_path / "population.csv")
    db = tmp_path / "atlas.duckdb"
    build_atlas(tmp_path, db, progress=False)
    report = build_atlas(tmp_path, db, progress=False)  # the atlas (and its lock, WAL) are left out of the scan
    assert report.unknown == [] and report.sources["source_id"].iloc[0] == "user/population.csv"


def test_empty_file_under_an_official_name(tmp_path: Path):
    p = tmp_path / "statsec_als_basis.xlsx"
    p.write_bytes(b"")
    rec, note = recognise(p)
    assert rec is None and "an empty file (0 bytes)" in note


def test_sources_list_has_expected_content_for_official_families():
    from aankomst.sources.catalogue import recognisers

    for r in recognisers():
        if r.sniff is not None and not r.family.startswith(("user_", "bimd", "atlas", "census_hc46")):
            assert r.expected, f"{r.family}: say what the content must look like (Recogniser.expected)"


def test_workbook_error_names_the_content(tmp_path: Path):
    from aankomst.sources._util import read_excel

    p = tmp_path / "agg_gemeente_provincie.xlsx"
    p.write_text("<html><body>Not Found</body></html>")
    with pytest.raises(InputError) as ei:
        read_excel(p)
    assert "an HTML page" in str(ei.value) and "download it again" in ei.value.expected
    pd.DataFrame({"a": [1]}).to_excel(tmp_path / "ok.xlsx", index=False)
    assert read_excel(tmp_path / "ok.xlsx")["a"].tolist() == [1]


@pytest.mark.parametrize("value", ["1.000", "12.0", "1,5"])
def test_counts_with_separators_are_refused_not_misread(tmp_path: Path, value: str):
    p = tmp_path / "population.csv"
    p.write_text(f'level;layout;code;ref_date;scheme;grp;count\nmunicipality;2025;11002;2024-01-01;total;total;"{value}"\n',
                 encoding="utf-8")
    with pytest.raises(InputError) as ei:
        read_population_csv(p)
    assert ei.value.row == 2 and ei.value.column == "count" and repr(value) in str(ei.value)
