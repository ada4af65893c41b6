"""Readers on small files generated here in the official layouts and in Aankomst's own formats,
with hand-computed expected values."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from _foundation_data import (
    TF_NEW_HEADER,
    TF_OLD_HEADER,
    areas_csv,
    flows_csv,
    population_csv,
    tf_text,
    write_tf_zip,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from aankomst.errors import InputError
from aankomst.sources.catalogue import recognise, scan


def _pop_table(batch):
    p = batch.tables["population"]
    return {(r.code, r.scheme, r.grp, r.sex, r.age_band): r.count for r in p.itertuples()}


@pytest.mark.parametrize("header", [TF_OLD_HEADER, TF_NEW_HEADER], ids=["2009-2015 naming", "later naming"])
def test_pop_struct_both_namings(tmp_path: Path, header: str):
    from aankomst.sources.statbel import read_pop_struct

    z = write_tf_zip(tmp_path / "TF_SOC_POP_STRUCT_2012.zip", tf_text(header=header))
    (b,) = read_pop_struct(z)
    t = _pop_table(b)
    # Aartselaar: BEL 10 + 12 + 1 = 23, ETR 5 + 2 = 7; total 30; civil status summed over
    assert t[("11001", "total", "total", "T", "total")] == 30
    assert t[("11001", "nationality", "BEL", "T", "total")] == 23
    assert t[("11001", "nationality", "ETR", "F", "total")] == 7
    assert t[("11001", "total", "total", "T", "0-4")] == 22
    assert t[("11001", "total", "total", "T", "40-44")] == 7
    assert t[("11001", "nationality", "BEL", "M", "100+")] == 1
    assert t[("21004", "total", "total", "T", "total")] == 11
    assert ("11001", "total", "total", "T", "5-9") not in t  # no zero rows invented
    assert b.reference_date == "2012-01-01" and set(b.tables["population"]["layout"]) == {"2018"}
    a = b.tables["areas"]
    assert set(a[a.level == "province"]["code"]) == {"10000", "04000"}  # Brussels has no province: 04000 stands in
    cw = b.tables["crosswalks"]
    assert cw[(cw.from_code == "21004") & (cw.to_level == "region")]["to_code"].tolist() == ["04000"]


def test_pop_struct_year_mismatch(tmp_path: Path):
    from aankomst.sources.statbel import read_pop_struct

    z = write_tf_zip(tmp_path / "TF_SOC_POP_STRUCT_2013.zip", tf_text(year=2012))
    with pytest.raises(InputError) as ei:
        read_pop_struct(z)
    assert ei.value.column == "CD_YEAR" and ei.value.row == 2 and "2013" in ei.value.expected


def test_own_population_defaults(tmp_path: Path):
    from aankomst.sources.own_formats import read_population_csv

    p = tmp_path / "pop.csv"
    p.write_text("level,layout,code,ref_date,scheme,grp,count\nmunicipality,2025,11001,2024-01-01,nationality,ETR,7\n")
    (b,) = read_population_csv(p)
    r = b.tables["population"].iloc[0]
    assert (r.sex, r.age_band, r["count"], str(r.ref_date)) == ("T", "total", 7, "2024-01-01")
    assert b.source_id == "user/pop.csv"


def test_own_population_bad_values_name_row_and_column(tmp_path: Path):
    from aankomst.sources.own_formats import read_population_csv

    cases = {
        "municipality,2025,11001,01/01/2024,total,total,T,total,3": ("ref_date", "YYYY-MM-DD"),
        "municipality,2025,11001,2024-01-01,total,total,X,total,3": ("sex", "T (total), M or F"),
        "municipality,2025,11001,2024-01-01,total,total,T,old,3": ("age_band", "A-B"),
        "town,2025,11001,2024-01-01,total,total,T,total,3": ("level", "one of"),
        "municipality,2025,11001,2024-01-01,total,total,T,total,2.5": ("count", "count"),
    }
    for line, (col, exp) in cases.items():
        p = population_csv(tmp_path / "p.csv", [line])
        with pytest.raises(InputError) as ei:
            read_population_csv(p)
        assert (ei.value.row, ei.value.column) == (2, col), line
        assert exp in ei.value.expected


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["11001", "11002", "21004"]), st.sampled_from(["total", "BEL", "ETR"]),
                          st.sampled_from(["T", "M", "F"]), st.integers(0, 10**7)), min_size=1, max_size=30,
                unique_by=lambda r: r[:3]))
def test_own_population_round_trip(tmp_path_factory, rows):
    from aankomst.sources.own_formats import read_population_csv

    p = tmp_path_factory.mktemp("rt") / "p.csv"
    lines = [f"municipality,2025,{c},2024-01-01,{'total' if g == 'total' else 'nationality'},{g},{s},total,{n}" for c, g, s, n in rows]
    population_csv(p, lines)
    (b,) = read_population_csv(p)
    df = b.tables["population"]
    assert df["count"].tolist() == [r[3] for r in rows]
    assert df["source_row"].tolist() == list(range(2, len(rows) + 2))


def test_own_flows_short_form(tmp_path: Path):
    from aankomst.sources.own_formats import read_flows_csv

    (b,) = read_flows_csv(flows_csv(tmp_path / "flows.csv"))
    f = b.tables["flows"].astype(object)
    f = f.where(f.notna(), None)
    rows = f[["origin_kind", "origin_code", "dest_kind", "dest_code", "grp", "count"]].values.tolist()
    assert rows == [["abroad", "MAR", "area", "11001", "ETR", 4], ["area", "11002", "area", "11001", "total", 9],
                    ["area", "11001", "belgium", None, "total", 6]]
    assert f["origin_level"].tolist() == [None, "municipality", "municipality"]


def test_own_flows_bad_country(tmp_path: Path):
    from aankomst.sources.own_formats import read_flows_csv

    p = tmp_path / "f.csv"
    p.write_text("year,level,layout,origin,destination,count\n2023,municipality,2025,abroad:Morocco,11001,3\n")
    with pytest.raises(InputError) as ei:
        read_flows_csv(p)
    assert ei.value.column == "origin_code" and ei.value.row == 2 and "alpha-3" in ei.value.expected


def test_own_areas_with_parents_and_wkt(tmp_path: Path):
    from aankomst.sources.own_formats import read_areas_csv

    p = tmp_path / "a.csv"
    p.write_text("level,layout,code,name_nl,parent_level,parent_layout,parent_code,wkt\n"
                 "neighbourhood,2025,11001W01,Centrum,municipality,2025,11001,\"POLYGON((150000 200000, 151000 200000, 151000 201000, 150000 200000))\"\n"
                 "municipality,2025,11001,Aartselaar,,,,\n")
    (b,) = read_areas_csv(p)
    assert b.tables["areas"]["geometry"].notna().tolist() == [True, False]
    assert b.tables["crosswalks"][["from_code", "to_code"]].values.tolist() == [["11001W01", "11001"]]


def test_monitor_export_reader(tmp_path: Path):
    import openpyxl

    from aankomst.sources.brussels import read_monitor_export

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([None, "Gebied", "Totale bevolking", "Totale bevolking", "Totaal aantal vreemdelingen", "Aandeel van de Turken", "Werkloosheidsgraad"])
    ws.append([None, None, "Aantal inwoners", "Aantal inwoners", "Aantal personen", "%", "%"])
    ws.append([None, None, 2019, 2020, 2020, 2020, 2020])
    ws.append([1, "Grote Markt", 1000, 1010, 310, 0.73, "VS"])
    ws.append([2, "Dansaert", 2000, 2020, 800, 2.5, 12.0])
    ws.append([2, "Dansaert", 2000, 2020, 800, 2.5, 12.0])  # identical duplicate: kept once
    ws.append([3, "Begijnhof", 500, 505, 100, 1.0, 9.0])
    ws.append([3, "Begijnhof", 501, 505, 100, 1.0, 9.0])  # conflicting duplicate: left out
    p = tmp_path / "ibsa_monitoring_quartiers_export.xlsx"
    wb.save(p)
    (b,) = read_monitor_export(p)
    pop = b.tables["population"]
    got = {(r.code, str(r.ref_date)[:4], r.scheme, r.grp): r.count for r in pop.itertuples()}
    assert got[("1", "2020", "nationality", "ETR")] == 310 and got[("1", "2020", "nationality", "BEL")] == 700
    assert got[("2", "2019", "total", "total")] == 2000
    assert not any(k[0] == "3" for k in got)
    m = b.tables["measures"]
    assert m[(m.code == "1") & (m.measure == "nationality_share")]["grp"].tolist() == ["TUR"]
    assert m[(m.measure == "unemployment_rate")]["code"].tolist() == ["2"]  # 'VS' is not loaded
    assert any("neighbourhood 3" in w for w in b.warnings) and any("1 cell(s) marked" in w for w in b.warnings)


def test_communes_migration_reader(tmp_path: Path):
    from aankomst.sources.brussels import read_communes_migration

    p = tmp_path / "brussels_communes_migration_2000_2024.json"
    p.write_text(json.dumps({"communes": {"21001": {"code": "21001", "nameFr": "Anderlecht", "nameDut": "Anderlecht", "timeseries": {
        "total_population": {"2019": 119714, "2020": 120887}, "internal_in_num": {"2019": 7969}, "internal_out_num": {"2019": 8000},
        "internal_balance_num": {"2019": -31}, "age_pct_65plus": {"2019": 0.12}}}}}))
    (b,) = read_communes_migration(p)
    f = b.tables["flows"]
    assert f[f.dest_kind == "area"]["count"].tolist() == [7969] and f[f.dest_kind == "belgium"]["count"].tolist() == [8000]
    assert set(b.tables["population"]["layout"]) == {"2024"}
    m = b.tables["measures"]
    assert m[m.measure == "age_share"]["value"].round(6).tolist() == [12.0]


def test_nationalities_reader_iso_codes(tmp_path: Path):
    from aankomst.sources.brussels import read_nationalities_2007

    p = tmp_path / "nationalites_secteurs_bxl_2007.csv"
    p.write_text("sscod;BELGIQUE;MAROC;CONGO_/REP.DEM/;TOTAL_AFRIQUE;TOTAL_(AVEC_REFUGIES)\n21001A00-;100;20;;25;130\n2,1E+105;1;1;1;1;3\n")
    (b,) = read_nationalities_2007(p)
    t = _pop_table(b)
    assert t[("21001A00-", "country", "MAR", "T", "total")] == 20
    assert t[("21001A00-", "nationality", "ETR", "T", "total")] == 30
    assert ("21001A00-", "country", "COD", "T", "total") not in t  # empty cell: not loaded
    assert any("turned into a number" in w for w in b.warnings)


def test_nationalities_parts_exceed_total(tmp_path: Path):
    from aankomst.sources.brussels import read_nationalities_2007

    p = tmp_path / "nationalites_secteurs_bxl_2007.csv"
    p.write_text("sscod;BELGIQUE;MAROC;TOTAL_(AVEC_REFUGIES)\n21001A00-;100;40;130\n")
    with pytest.raises(InputError) as ei:
        read_nationalities_2007(p)
    assert ei.value.row == 2 and "add up to 140" in str(ei.value)


def test_recognition_by_name_and_content(tmp_path: Path):
    pop = population_csv(tmp_path / "my_city_export.csv")
    assert recognise(pop)[0].family == "user_population"
    ar = areas_csv(tmp_path / "wijken.csv")
    assert recognise(ar)[0].family == "user_areas"
    fake = tmp_path / "def_ggw7.xlsx"
    pd.DataFrame({"something": [1]}).to_excel(fake, index=False)
    rec, note = recognise(fake)
    assert rec is None and "content does not" in note
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01")
    (tmp_path / "LICENSE.pdf").write_bytes(b"%PDF")
    sc = scan(tmp_path)
    assert [p.name for p in sc.unknown] == ["notes.bin"]
    assert [p.name for p, _ in sc.mismatched] == ["def_ggw7.xlsx"]
    assert [p.name for p in sc.documentation] == ["LICENSE.pdf"]
