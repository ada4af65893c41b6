"""Reader of Statbel "Bevolking per gemeente" (``Bevolking_per_gemeente.xlsx``): residents on
1 January by municipality and sex, one sheet per year.

The workbook has one sheet per year, ``Bevolking in 2021`` … ``Bevolking in 1992``, and three
census sheets (``Census 1991``, ``1981``, ``1970``). Each sheet has a title row (``Bevolking per
gemeente op 1 januari 2021``), the header ``NIS code, Woonplaats, Mannen, Vrouwen, Totaal``, and
one row per unit: the country (``01000``), the regions (``02000`` Flanders, ``03000`` Wallonia,
``04000`` Brussels), the provinces, the arrondissements and the municipalities of the layout in
force that year — the 589 municipalities of 1977–2018 up to 2018 (layout ``2018``), the 581 of
the 2019 mergers from 2019 (layout ``2024``, e.g. Deinze 44083).

What is loaded (one batch, ``statbel/Bevolking_per_gemeente``):

* ``population`` at level ``municipality`` for every year sheet: ``ref_date`` 1 January,
  scheme ``total``, sex ``T`` (Totaal), ``M`` (Mannen), ``F`` (Vrouwen), age ``total``;
* ``areas``: the municipalities of each layout with their Dutch names (only filling in names an
  earlier source left empty), and the three regions;
* ``crosswalks``: municipality -> region (layout ``2025``) for every municipality, by the REFNIS
  code (checked against the sheet's own regional totals).

The country, region, province and arrondissement rows are not loaded: they check the sheet. In
every year sheet the municipalities of each arrondissement, province, region and of the country
must add up to that unit's row (men, women and total), and men + women = total on every row;
otherwise the file is an input error naming the sheet, row and column.

The census sheets are not loaded: their reference day (the census day, not 1 January) is not in
the file. Where another source already supplied a figure (the ``TF_SOC_POP_STRUCT`` files for
2009–2015, the IBSA Brussels series), that source is kept and this batch's provenance says how
many rows it left out (the store's rule; the catalogue loads this file after those).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.errors import InputError, InputProblem
from aankomst.sources._util import frame, numeric, read_workbook
from aankomst.sources.base import sha256_file
from aankomst.sources.meta import provenance
from aankomst.sources.statbel import municipality_layout
from aankomst.store.batch import LoadBatch

HEADER: tuple[str, ...] = ("NIS code", "Woonplaats", "Mannen", "Vrouwen", "Totaal")
"""Column headers of every sheet."""

FAMILY = "statbel_population_municipality"
SOURCE_ID = "statbel/Bevolking_per_gemeente"

_YEAR_SHEET = re.compile(r"^\s*bevolking in (\d{4})\s*$", re.IGNORECASE)
_CENSUS_SHEET = re.compile(r"^\s*census (\d{4})\s*$", re.IGNORECASE)
_SEX = {"Mannen": "M", "Vrouwen": "F", "Totaal": "T"}


def unit_level(code: str) -> str:
    """Level of a 5-digit REFNIS code: ``country`` (01000), ``region`` (02000, 03000, 04000),
    ``province`` (X0000, and 20001/20002 for the two Brabants), ``arrondissement`` (XX000) or
    ``municipality``.

    Examples
    --------
    >>> [unit_level(c) for c in ("01000", "02000", "20001", "10000", "11000", "11002")]
    ['country', 'region', 'province', 'province', 'arrondissement', 'municipality']
    """
    if code == "01000":
        return "country"
    if code in ("02000", "03000", "04000"):
        return "region"
    if code in ("20001", "20002") or (code.endswith("0000") and code[0] != "0"):
        return "province"
    if code.endswith("000"):
        return "arrondissement"
    return "municipality"


def region_of(code: str) -> str:
    """Region (REFNIS) of a municipality or arrondissement code: ``21…`` Brussels (04000); the
    provinces 1, 3, 4, 7 and Flemish Brabant (23, 24) Flanders (02000); the others Wallonia (03000).

    Examples
    --------
    >>> region_of("11002"), region_of("21004"), region_of("24062"), region_of("25072"), region_of("57096")
    ('02000', '04000', '02000', '03000', '03000')
    """
    if code.startswith("21"):
        return "04000"
    if code[0] in "1347" or code[:2] in ("23", "24"):
        return "02000"
    return "03000"


def province_of(code: str) -> str | None:
    """Province (REFNIS) of a municipality or arrondissement code; None in Brussels (no province).

    Examples
    --------
    >>> province_of("11002"), province_of("23088"), province_of("25072"), province_of("21004")
    ('10000', '20001', '20002', None)
    """
    if code.startswith("21"):
        return None
    if code[:2] in ("23", "24"):
        return "20001"
    if code[:2] == "25":
        return "20002"
    return code[0] + "0000"


def _header_row(where: str, raw: pd.DataFrame) -> int:
    """Index of the header row (``NIS code, Woonplaats, …``) among the first rows of a sheet."""
    want = [h.lower() for h in HEADER]
    for i in range(min(6, len(raw))):
        cells = [str(v).strip().lower() for v in raw.iloc[i, : len(HEADER)].tolist()]
        if cells == want:
            return i
    raise InputError(where, "no header row with the columns " + ", ".join(HEADER) + " in the first rows", row=2,
                     expected="a title row, then the header " + ", ".join(HEADER))


def read_sheet(where: str, raw: pd.DataFrame, year: int) -> pd.DataFrame:
    """Validate one year sheet (read without a header) and return its unit rows: ``code, name,
    level, M, F, T, source_row`` (``source_row`` = the row in the spreadsheet, title = row 1).

    Raises :class:`InputError` naming ``where`` (``file!sheet``), the row and the column for a
    title of another year, a missing header, a code that is not REFNIS, a count that is not a
    whole number ≥ 0, a repeated code, men + women ≠ total, or a unit whose municipalities do not
    add up to its row.

    Examples
    --------
    >>> raw = pd.DataFrame([["Bevolking per gemeente op 1 januari 2021", None, None, None, None],
    ...                     list(HEADER), ["01000", "België", 3, 4, 7], ["11002", "Antwerpen", 1, 2, 3],
    ...                     ["21004", "Brussel", 2, 2, 4]])
    >>> read_sheet("x.xlsx!Bevolking in 2021", raw, 2021)[["code", "level", "T"]].values.tolist()
    [['01000', 'country', 7], ['11002', 'municipality', 3], ['21004', 'municipality', 4]]
    """
    title = str(raw.iat[0, 0]) if len(raw) and pd.notna(raw.iat[0, 0]) else ""
    years = re.findall(r"\b(?:19|20)\d\d\b", title)
    if years and int(years[-1]) != year:
        raise InputError(where, f"the title {title!r} names the year {years[-1]}, the sheet {year}", row=1, column="A",
                         expected=f"a title such as 'Bevolking per gemeente op 1 januari {year}'")
    h = _header_row(where, raw)
    body = raw.iloc[h + 1:, : len(HEADER)].copy()
    body.columns = list(HEADER)
    body["source_row"] = np.arange(h + 2, h + 2 + len(body))
    counts = body[["Mannen", "Vrouwen", "Totaal"]]
    body = body[counts.notna().any(axis=1)]  # blank rows and the source notes below the table
    code = body["NIS code"].map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
    bad = ~code.str.fullmatch(r"\d{4,5}")
    if bad.any():
        i = body.index[bad.to_numpy()][0]
        raise InputError(where, f"NIS code {body.at[i, 'NIS code']!r} is not a REFNIS code", row=int(body.at[i, "source_row"]),
                         column="NIS code", expected="a 5-digit REFNIS code such as 11002 (01000 for Belgium)")
    out = pd.DataFrame({"code": code.str.zfill(5), "name": body["Woonplaats"].map(lambda v: None if pd.isna(v) else str(v).strip()),
                        "source_row": body["source_row"]})
    for col, sex in _SEX.items():
        out[sex] = numeric(where, body, col, count=True, allow_missing=False).astype("int64")
    dup = out["code"].duplicated(keep=False)
    if dup.any():
        rows = out.loc[dup, "source_row"].tolist()
        raise InputError(where, f"NIS code {out.loc[dup, 'code'].iloc[0]} on rows {rows[:2]}", row=int(rows[1]),
                         column="NIS code", expected="one row per unit")
    off = out["M"] + out["F"] != out["T"]
    if off.any():
        r = out[off].iloc[0]
        raise InputError(where, f"men {r['M']} + women {r['F']} = {r['M'] + r['F']}, but Totaal says {r['T']} ({r['code']} {r['name']})",
                         row=int(r["source_row"]), column="Totaal", expected="Totaal = Mannen + Vrouwen")
    out["level"] = out["code"].map(unit_level)
    _check_totals(where, out)
    return out.reset_index(drop=True)


def _check_totals(where: str, units: pd.DataFrame) -> None:
    """Every country, region, province and arrondissement row equals the sum of its municipalities."""
    mun = units[units["level"] == "municipality"]
    parent = {"country": pd.Series("01000", index=mun.index), "region": mun["code"].map(region_of),
              "province": mun["code"].map(province_of), "arrondissement": mun["code"].str[:2] + "000"}
    problems = []
    for r in units[units["level"] != "municipality"].itertuples(index=False):
        inside = mun[parent[r.level] == r.code]
        for col, sex in _SEX.items():
            s = int(inside[sex].sum())
            if s != getattr(r, sex):
                problems.append(InputProblem(
                    where, int(r.source_row), col,
                    f"totals contradict: the {len(inside)} municipalities of {r.name} ({r.code}) add up to {s:,}, "
                    f"but its row says {getattr(r, sex):,}",
                    f"the {r.level} row equal to the sum of its municipalities"))
                break
    if problems:
        raise InputError(where, problems[0].message, problems=problems[:20])


def read_population_per_municipality(path: Path) -> list[LoadBatch]:
    """Read ``Bevolking_per_gemeente.xlsx`` (see the module docstring) into one batch.

    Parameters
    ----------
    path
        The workbook.

    Returns
    -------
    list of LoadBatch
        One batch ``statbel/Bevolking_per_gemeente`` with ``population`` (municipalities, sex
        T/M/F, 1 January of every year sheet), ``areas`` and ``crosswalks`` (municipality ->
        region).

    Raises
    ------
    InputError
        When the file is not a readable workbook, has no year sheet, or a sheet fails a check of
        :func:`read_sheet`; the error names ``file!sheet``, the row and the column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "Bevolking_per_gemeente.xlsx"
    >>> rows = [["Bevolking per gemeente op 1 januari 2019", None, None, None, None], list(HEADER),
    ...         ["02000", "Vlaams Gewest", 4, 6, 10], ["44083", "Deinze", 4, 6, 10]]
    >>> pd.DataFrame(rows).to_excel(p, sheet_name="Bevolking in 2019", header=False, index=False)
    >>> (b,) = read_population_per_municipality(p)
    >>> b.tables["population"][["layout", "code", "sex", "count"]].values.tolist()
    [['2024', '44083', 'T', 10], ['2024', '44083', 'M', 4], ['2024', '44083', 'F', 6]]
    """
    path = Path(path)
    sheets = read_workbook(path)
    parts: list[pd.DataFrame] = []
    skipped: list[str] = []
    years: list[int] = []
    names: dict[str, pd.DataFrame] = {}
    n_read = 0
    for sheet, raw in sheets.items():
        m = _YEAR_SHEET.match(sheet)
        if not m:
            skipped.append(sheet)
            continue
        year = int(m.group(1))
        units = read_sheet(f"{path}!{sheet}", raw, year)
        n_read += len(units)
        mun = units[units["level"] == "municipality"]
        layout = municipality_layout(year)
        years.append(year)
        parts.append(pd.DataFrame({"layout": layout, "code": np.repeat(mun["code"].to_numpy(), 3),
                                   "ref_date": pd.Timestamp(f"{year}-01-01").date(),
                                   "sex": np.tile(["T", "M", "F"], len(mun)),
                                   "count": mun[["T", "M", "F"]].to_numpy().ravel()}))
        if layout not in names or year > int(names[layout].attrs["year"]):
            names[layout] = mun[["code", "name"]].copy()
            names[layout].attrs["year"] = year
    if not years:
        raise InputError(str(path), f"no sheet named 'Bevolking in <year>' (sheets: {list(sheets)[:8]})",
                         expected="Statbel's workbook with one sheet per year, 'Bevolking in 2021' …")
    pop = pd.concat(parts, ignore_index=True)
    population = frame("population", {"level": "municipality", "layout": pop["layout"], "code": pop["code"],
                                      "ref_date": pop["ref_date"], "scheme": "total", "grp": "total", "sex": pop["sex"],
                                      "age_band": "total", "count": pop["count"].astype("int64")})
    areas, links = _areas_and_links(names)
    warnings = [(f"years {min(years)}–{max(years)} loaded (municipalities, sex T/M/F); the country, region, province "
                 "and arrondissement rows were checked against the sums of their municipalities")]
    census = [s for s in skipped if _CENSUS_SHEET.match(s)]
    if census:
        warnings.append(f"sheets {', '.join(census)} not loaded: the census day they refer to is not in the file")
    other = [s for s in skipped if s not in census]
    if other:
        warnings.append(f"sheets {', '.join(other)} not read (not a 'Bevolking in <year>' sheet)")
    meta = provenance(path, FAMILY)
    meta["reference_date"] = f"1 January {min(years)}–{max(years)}"
    return [LoadBatch(source_id=SOURCE_ID, family=FAMILY, path=str(path), sha256=sha256_file(path),
                      tables={"areas": areas, "crosswalks": links, "population": population},
                      rows_read=n_read, warnings=warnings, **meta)]


def _areas_and_links(names: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Municipalities of each layout (Dutch names of the latest sheet of that layout), the three
    regions, and the municipality -> region links."""
    from aankomst.sources.boundaries import REGION_NAMES

    areas, links = [], []
    for layout, df in sorted(names.items()):
        areas.append(frame("areas", {"level": "municipality", "layout": layout, "code": df["code"], "name_nl": df["name"]}))
        links.append(frame("crosswalks", {"from_level": "municipality", "from_layout": layout, "from_code": df["code"],
                                          "to_level": "region", "to_layout": "2025",
                                          "to_code": df["code"].map(region_of)}))
    regs = ["02000", "03000", "04000"]
    areas.append(frame("areas", {"level": "region", "layout": "2025", "code": regs,
                                 "name_nl": [REGION_NAMES[r][0] for r in regs], "name_fr": [REGION_NAMES[r][1] for r in regs],
                                 "name_en": [REGION_NAMES[r][2] for r in regs]}))
    return pd.concat(areas, ignore_index=True), pd.concat(links, ignore_index=True)
