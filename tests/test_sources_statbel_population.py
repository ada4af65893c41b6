"""Reader of Statbel "Bevolking per gemeente" on small workbooks generated here in the published
layout (title row, header, units from the country down, source notes). The check against the real
workbook (every year, regional rows) is in ``test_build_real.py``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aankomst.errors import InputError
from aankomst.sources.catalogue import recognise
from aankomst.sources.statbel_population import HEADER, read_population_per_municipality

#: (code, name, men, women) of the municipalities; the upper rows are their sums.
MUNICIPALITIES = [("11002", "Antwerpen", 10, 12), ("11001", "Aartselaar", 3, 4), ("21004", "Brussel", 5, 6),
                  ("44083", "Deinze", 7, 7)]
UPPER = [("01000", "België", None), ("02000", "Vlaams Gewest", "02000"), ("04000", "Brussels Hoofdstedelijk Gewest", "04000"),
         ("10000", "Provincie Antwerpen", "1"), ("11000", "Arrondissement Antwerpen", "11"),
         ("40000", "Provincie Oost-Vlaanderen", "4"), ("44000", "Arrondissement Gent", "44"),
         ("21000", "Arrondissement Brussel-Hoofdstad", "21")]


def _sheet(year: int, title: str | None = None, munis=MUNICIPALITIES) -> list[list]:
    def inside(key: str | None, code: str) -> bool:
        if key is None:
            return True
        if key == "02000":
            return not code.startswith("21")
        if key == "04000":
            return code.startswith("21")
        return code.startswith(key)

    rows: list[list] = [[title or f"Bevolking per gemeente op 1 januari {year}", None, None, None, None], list(HEADER),
                        [None] * 5, [None] * 5]
    for code, name, key in UPPER:
        m = sum(x[2] for x in munis if inside(key, x[0]))
        f = sum(x[3] for x in munis if inside(key, x[0]))
        rows.append([code, name, m, f, m + f])
    rows += [[c, n, m, f, m + f] for c, n, m, f in munis]
    rows += [[None] * 5, ["Bron: Statbel (Algemene Directie Statistiek – Statistics Belgium )", None, None, None, None]]
    return rows


def _workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    with pd.ExcelWriter(path) as w:
        for name, rows in sheets.items():
            pd.DataFrame(rows).to_excel(w, sheet_name=name, header=False, index=False)
    return path


@pytest.fixture()
def workbook(tmp_path: Path) -> Path:
    return _workbook(tmp_path / "Bevolking_per_gemeente.xlsx", {
        "Bevolking in 2019": _sheet(2019), "Bevolking in 2018": _sheet(2018),
        "Census 1991": _sheet(1991, "Bevolking per gemeente - Census 1991")})


def test_recognised_by_name_and_content(workbook: Path, tmp_path: Path):
    assert recognise(workbook)[0].family == "statbel_population_municipality"
    other = _workbook(tmp_path / "Bevolking per gemeente 2022.xlsx", {"Blad1": [["x", "y"], [1, 2]]})
    rec, note = recognise(other)
    assert rec is None and "statbel_population_municipality" in note


def test_municipalities_by_sex_and_year_with_layouts(workbook: Path):
    (b,) = read_population_per_municipality(workbook)
    pop = b.tables["population"]
    t = {(r.layout, r.code, str(r.ref_date), r.sex): r.count for r in pop.itertuples()}
    assert t[("2024", "11002", "2019-01-01", "T")] == 22
    assert t[("2024", "11002", "2019-01-01", "M")] == 10 and t[("2024", "11002", "2019-01-01", "F")] == 12
    assert t[("2018", "44083", "2018-01-01", "T")] == 14  # the layout follows the year, not the code
    assert len(pop) == 2 * 4 * 3  # two year sheets × 4 municipalities × T/M/F; upper rows and the census not loaded
    assert set(pop["level"]) == {"municipality"} and set(pop["scheme"]) == {"total"} and set(pop["age_band"]) == {"total"}
    assert b.source_id == "statbel/Bevolking_per_gemeente" and b.reference_date == "1 January 2018–2019"
    assert any("Census 1991 not loaded" in w for w in b.warnings)
    cw = b.tables["crosswalks"]
    assert dict(zip(cw[cw.from_layout == "2024"]["from_code"], cw[cw.from_layout == "2024"]["to_code"])) == {
        "11002": "02000", "11001": "02000", "21004": "04000", "44083": "02000"}
    a = b.tables["areas"]
    assert a[(a.level == "municipality") & (a.layout == "2018") & (a.code == "11002")]["name_nl"].tolist() == ["Antwerpen"]
    assert b.title.startswith("Population per municipality by sex") and b.publisher == "Statbel"


def _bad(tmp_path: Path, rows: list[list]) -> InputError:
    p = _workbook(tmp_path / "Bevolking_per_gemeente.xlsx", {"Bevolking in 2020": rows})
    with pytest.raises(InputError) as ei:
        read_population_per_municipality(p)
    assert ei.value.file.endswith("Bevolking_per_gemeente.xlsx!Bevolking in 2020"), ei.value
    assert ei.value.expected
    return ei.value


def test_region_row_that_contradicts_its_municipalities(tmp_path: Path):
    rows = _sheet(2020)
    rows[5][4] += 1  # Vlaams Gewest, Totaal (row 6 of the sheet)
    rows[5][2] += 1  # keep men + women = total on that row
    err = _bad(tmp_path, rows)
    assert err.row == 6 and err.column == "Mannen"
    assert "the 3 municipalities of Vlaams Gewest (02000) add up to 20, but its row says 21" in str(err)


def test_men_plus_women_must_be_the_total(tmp_path: Path):
    rows = _sheet(2020)
    rows[-3][4] = 15  # Deinze: 7 + 7 = 14
    err = _bad(tmp_path, rows)
    assert err.row == len(rows) - 2 and err.column == "Totaal" and "men 7 + women 7 = 14, but Totaal says 15" in str(err)


def test_bad_count_and_code(tmp_path: Path):
    rows = _sheet(2020)
    rows[-4][3] = "1.2k"
    err = _bad(tmp_path, rows)
    assert err.column == "Vrouwen" and "'1.2k'" in str(err) and err.row == len(rows) - 3
    rows = _sheet(2020)
    rows[-4][0] = "21OO4"
    err = _bad(tmp_path, rows)
    assert err.column == "NIS code" and "'21OO4'" in str(err)


def test_title_of_another_year(tmp_path: Path):
    err = _bad(tmp_path, _sheet(2020, "Bevolking per gemeente op 1 januari 2019"))
    assert err.row == 1 and "names the year 2019" in str(err)


def test_missing_header(tmp_path: Path):
    rows = _sheet(2020)
    rows[1] = ["NIS", "Gemeente", "M", "V", "T"]
    err = _bad(tmp_path, rows)
    assert "no header row" in str(err) and "Mannen" in err.expected


def test_not_a_workbook(tmp_path: Path):
    p = tmp_path / "Bevolking_per_gemeente.xlsx"
    p.write_text("<html><body>404</body></html>")
    with pytest.raises(InputError) as ei:
        read_population_per_municipality(p)
    assert "an HTML page" in str(ei.value)
