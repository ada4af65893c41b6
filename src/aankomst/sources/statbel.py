"""Readers of Statbel open data: population per statistical sector (``OPEN DATA_SECTOREN_*``),
fiscal income per sector (``fisc*``), population by municipality × sex × nationality × age
(``TF_SOC_POP_STRUCT_*``, both column namings), taxable income per municipality
(``TF_PSNL_INC_TAX_MUNTY``) and the 2011 census housing table per sector.

Layouts follow the reference date: sectors ``2019`` for 2019–2023, ``2024``, ``2025``; before 2019
sectors ``2011``; municipalities ``2018`` (589, the 1977–2018 layout) up to 2018, ``2024`` for
2019–2024, ``2025`` from 2025.
"""

from __future__ import annotations

import re
import shutil
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.errors import InputError
from aankomst.sources._util import (
    check_unique,
    frame,
    nis5,
    norm_code,
    numeric,
    open_zip_member,
    read_excel,
)
from aankomst.sources.base import sha256_file
from aankomst.sources.meta import provenance
from aankomst.store.batch import LoadBatch

SECTOR_RE = re.compile(r"^\d{5}[A-Z0-9]{3}[A-Z0-9-]$")


def sector_layout(year: int) -> str:
    """Statistical-sector layout in force on 1 January of ``year``."""
    if year >= 2025:
        return "2025"
    if year >= 2024:
        return "2024"
    if year >= 2019:
        return "2019"
    if year >= 2011:
        return "2011"
    return "2001"


def municipality_layout(year: int) -> str:
    """Municipal layout in force on 1 January of ``year`` (589 municipalities up to 2018)."""
    if year >= 2025:
        return "2025"
    if year >= 2019:
        return "2024"
    return "2018"


def _year_from_name(path: Path) -> int:
    m = re.search(r"(19|20)\d\d", Path(path).stem)
    if not m:
        raise InputError(str(path), "no year in the file name", expected="a name such as OPEN DATA_SECTOREN_2019.xlsx")
    return int(m.group(0))


def check_sector_codes(path: str, df: pd.DataFrame, col: str, *, raw: str | None = None,
                       expected: str = "9 characters: NIS code + 3 letters/digits + digit or '-', e.g. 11002A00-") -> None:
    """Raise :class:`InputError` at the first row whose normalised code in ``col`` is not a
    statistical-sector code; the error names (and quotes the value of) column ``raw`` (default ``col``)."""
    bad = ~df[col].fillna("").str.match(SECTOR_RE)
    if bad.any():
        shown = raw or col
        i = df.index[bad.to_numpy()][0]
        raise InputError(path, f"sector code {df.loc[i, shown]!r} is not a statistical-sector code", row=int(df.loc[i, "source_row"]),
                         column=shown, expected=expected)


def read_open_data_sectors(path: Path) -> list[LoadBatch]:
    """``OPEN DATA_SECTOREN_<year>.xlsx``: residents per sector on 1 January -> ``population``
    (sector, scheme total), sector and municipality ``areas`` with names nl/fr and area (km²,
    from hm²), sector -> municipality links."""
    path = Path(path)
    year = _year_from_name(path)
    df = read_excel(path)
    df.columns = [str(c).strip() for c in df.columns]
    req = ["CD_REFNIS", "CD_SECTOR", "POPULATION"]
    missing = [c for c in req if c not in df.columns]
    if missing:
        raise InputError(str(path), f"missing column(s) {missing}; header {list(df.columns)}", row=1, column=missing[0],
                         expected="columns CD_REFNIS, CD_SECTOR, POPULATION, TX_DESCR_SECTOR_NL/FR, TX_DESCR_NL/FR")
    df["source_row"] = np.arange(2, len(df) + 2)
    df["CD_SECTOR"] = df["CD_SECTOR"].map(norm_code)
    df["CD_REFNIS"] = df["CD_REFNIS"].map(nis5)
    check_sector_codes(str(path), df, "CD_SECTOR")
    check_unique(str(path), df, ["CD_SECTOR"], "sector")
    pop = numeric(str(path), df, "POPULATION", count=True, allow_missing=False)
    sl, ml = sector_layout(year), municipality_layout(year)
    area_col = next((c for c in df.columns if c.upper().startswith("OPPERVLAK")), None)
    km2 = numeric(str(path), df, area_col) / 100.0 if area_col else None
    sectors = frame("areas", {
        "level": "sector", "layout": sl, "code": df["CD_SECTOR"],
        "name_nl": df.get("TX_DESCR_SECTOR_NL"), "name_fr": df.get("TX_DESCR_SECTOR_FR"),
        "area_km2": km2, "source_row": df["source_row"],
    })
    mun = df.drop_duplicates("CD_REFNIS")
    municipalities = frame("areas", {
        "level": "municipality", "layout": ml, "code": mun["CD_REFNIS"],
        "name_nl": mun.get("TX_DESCR_NL"), "name_fr": mun.get("TX_DESCR_FR"),
    })
    cw = frame("crosswalks", {
        "from_level": "sector", "from_layout": sl, "from_code": df["CD_SECTOR"],
        "to_level": "municipality", "to_layout": ml, "to_code": df["CD_REFNIS"],
    })
    population = frame("population", {
        "level": "sector", "layout": sl, "code": df["CD_SECTOR"], "ref_date": pd.Timestamp(f"{year}-01-01").date(),
        "scheme": "total", "grp": "total", "sex": "T", "age_band": "total", "count": pop.astype("int64"),
        "source_row": df["source_row"],
    })
    meta = provenance(path, "statbel_sectors")
    meta["reference_date"] = f"{year}-01-01"
    return [LoadBatch(
        source_id=f"statbel/OPEN_DATA_SECTOREN_{year}", family="statbel_sectors", path=str(path),
        sha256=sha256_file(path),
        tables={"areas": pd.concat([sectors, municipalities], ignore_index=True), "crosswalks": cw,
                "population": population},
        rows_read=len(df), **meta,
    )]


FISC_MEASURES = {
    "nb_declaration": ("tax_declarations", "declarations"),
    "revenu_total_net_imposable": ("total_net_taxable_income", "EUR"),
    "revenu_moyen_decla": ("mean_taxable_income_declaration", "EUR"),
    "revenu_median_decla": ("median_taxable_income_declaration", "EUR"),
}


def read_fisc_sectors(path: Path) -> list[LoadBatch]:
    """``fisc<year>_*.xls``: fiscal income per sector (income year) -> ``measures``
    ``tax_declarations``, ``total_net_taxable_income``, ``mean_…`` and
    ``median_taxable_income_declaration`` (EUR per declaration). Suppressed (empty) cells are
    left out."""
    path = Path(path)
    year = _year_from_name(path)
    df = read_excel(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in ["cd_sector", *FISC_MEASURES] if c not in df.columns]
    if missing:
        raise InputError(str(path), f"missing column(s) {missing}; header {list(df.columns)}", row=1, column=missing[0],
                         expected="columns cd_sector, " + ", ".join(FISC_MEASURES))
    df["source_row"] = np.arange(2, len(df) + 2)
    df["cd_sector"] = df["cd_sector"].map(norm_code)
    check_sector_codes(str(path), df, "cd_sector")
    check_unique(str(path), df, ["cd_sector"], "sector")
    sl = sector_layout(year)
    parts = []
    for col, (mid, unit) in FISC_MEASURES.items():
        v = numeric(str(path), df, col)
        ok = v.notna()
        parts.append(frame("measures", {
            "level": "sector", "layout": sl, "code": df.loc[ok, "cd_sector"], "measure": mid, "period": str(year),
            "value": v[ok].astype(float), "unit": unit, "source_row": df.loc[ok, "source_row"],
        }))
    areas = frame("areas", {"level": "sector", "layout": sl, "code": df["cd_sector"]})
    meta = provenance(path, "statbel_fisc_sectors")
    meta["reference_date"] = f"income year {year}"
    return [LoadBatch(
        source_id=f"statbel/fisc{year}", family="statbel_fisc_sectors", path=str(path), sha256=sha256_file(path),
        tables={"areas": areas, "measures": pd.concat(parts, ignore_index=True)}, rows_read=len(df),
        warnings=[f"{int(numeric(str(path), df, 'revenu_median_decla').isna().sum())} sector median(s) suppressed by Statbel (empty)"],
        **meta,
    )]


# ----------------------------------------------------------------------------- TF_SOC_POP_STRUCT

_POP_COLUMNS = {
    "code": ("CD_REFNIS", "CD_MUNTY_REFNIS"),
    "name_nl": ("TX_DESCR_NL", "TX_MUNTY_DESCR_NL"),
    "name_fr": ("TX_DESCR_FR", "TX_MUNTY_DESCR_FR"),
}
_POP_REQUIRED = ("CD_SEX", "CD_NATLTY", "CD_AGE", "MS_POPULATION")


def _header_columns(where: str, header: str) -> list[str]:
    """Column names of a pipe-separated header line; an :class:`InputError` when it has no ``|``."""
    if "|" not in header:
        found = max((",", ";", "\t"), key=header.count)
        raise InputError(where, "the header line has no '|' delimiter"
                         + (f" (it looks {found!r}-separated)" if header.count(found) else ""),
                         row=1, expected="pipe-separated text as published by Statbel")
    return [c.strip() for c in header.split("|")]


def _pipe_header(where: str, head: bytes) -> list[str]:
    """Header columns of the first block ``head`` of a Statbel text (must be UTF-8; a character
    cut at the end of the block is tolerated)."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the block boundary
            line = head[: exc.start].count(b"\n") + 1
            raise InputError(where, f"byte {head[exc.start:exc.start + 1]!r} is not valid UTF-8 text", row=line,
                             expected="UTF-8 encoded text as published by Statbel (re-save the file as UTF-8)") from exc
        text = head[: exc.start].decode("utf-8")
    return _header_columns(where, text.lstrip("\ufeff").splitlines()[0] if text else "")


def _read_pipe_zip(path: Path):
    """Read the pipe-separated text inside a Statbel zip with pyarrow (streaming from the archive)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    zf, member = open_zip_member(path, ".txt")
    try:
        with zf.open(member) as fh:
            head = fh.read(65536).decode("utf-8", "replace").lstrip("\ufeff")
        cols = _header_columns(f"{path}!{member}", head.splitlines()[0] if head else "")
        types = {c: pa.string() for c in cols if c.startswith(("CD_", "TX_"))}
        with zf.open(member) as fh:
            table = pcsv.read_csv(
                fh,
                read_options=pcsv.ReadOptions(encoding="utf8", block_size=1 << 24),
                parse_options=pcsv.ParseOptions(delimiter="|"),
                convert_options=pcsv.ConvertOptions(column_types=types, strings_can_be_null=False),
            )
    except InputError:
        raise
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError, EOFError, Exception) as exc:
        text = str(exc).splitlines()[0][:300]
        kind = "truncated or corrupt archive" if "zip" in type(exc).__name__.lower() or "CRC" in text or isinstance(exc, EOFError) else "unreadable text"
        raise InputError(f"{path}!{member}", f"{kind}: {type(exc).__name__}: {text}",
                         expected="pipe-separated UTF-8 text in an intact zip archive (download it again)") from exc
    return table, member, cols


def read_pop_struct(path: Path) -> list[LoadBatch]:
    """``TF_SOC_POP_STRUCT_<year>.zip``: population on 1 January by municipality × sex × nationality
    (BEL/ETR) × age -> ``population`` at municipality level with schemes ``total`` and
    ``nationality``, sex ``T/M/F`` and age bands ``total``, ``0-4`` … ``95-99``, ``100+``; municipality,
    arrondissement, province and region ``areas`` (names nl/fr) and their links.

    Accepts the 2009–2015 naming (``CD_MUNTY_REFNIS``, ``TX_MUNTY_DESCR_*``) and the later one
    (``CD_REFNIS``, ``TX_DESCR_*``). Civil status is summed over.
    """
    import duckdb

    path = Path(path)
    data, member, cols = _member_bytes(path)
    where = f"{path}!{member}"
    pick = {k: next((c for c in opts if c in cols), None) for k, opts in _POP_COLUMNS.items()}
    missing = [c for c in _POP_REQUIRED if c not in cols]
    if pick["code"] is None:
        missing.insert(0, "CD_REFNIS (or CD_MUNTY_REFNIS)")
    if missing:
        raise InputError(where, f"missing column(s) {missing}; the header has {cols}", row=1, column=missing[0],
                         expected="Statbel TF_SOC_POP_STRUCT columns: CD_REFNIS or CD_MUNTY_REFNIS, CD_SEX, CD_NATLTY, CD_AGE, MS_POPULATION, CD_YEAR")
    year = _year_from_name(path)
    wanted = [c for c in cols if c in _POP_KEEP or c == pick["code"]]
    table = _arrow_strings(where, data, wanted, ints=("CD_AGE", "MS_POPULATION"))
    del data
    con = duckdb.connect()
    try:
        return _pop_struct_batches(con, path, where, table, cols, pick, year)
    finally:
        con.close()


#: Columns of TF_SOC_POP_STRUCT read (the others are labels repeated on every line).
_POP_KEEP = {"CD_REFNIS", "CD_MUNTY_REFNIS", "TX_DESCR_NL", "TX_DESCR_FR", "TX_MUNTY_DESCR_NL", "TX_MUNTY_DESCR_FR",
             "CD_DSTR_REFNIS", "TX_ADM_DSTR_DESCR_NL", "TX_ADM_DSTR_DESCR_FR", "CD_PROV_REFNIS", "TX_PROV_DESCR_NL",
             "TX_PROV_DESCR_FR", "CD_RGN_REFNIS", "CD_SEX", "CD_NATLTY", "CD_CIV_STS", "CD_AGE", "MS_POPULATION", "CD_YEAR"}


def _member_bytes(path: Path) -> tuple[bytes, str, list[str]]:
    """The text member of a Statbel zip, in memory, with clear errors for broken archives, wrong
    delimiter and wrong encoding (of the header block). Returns (bytes, member, header columns)."""
    zf, member = open_zip_member(path, ".txt")
    where = f"{path}!{member}"
    try:
        data = zf.read(member)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise InputError(where, f"the zip archive is truncated or corrupt ({type(exc).__name__}: {exc})",
                         expected="an intact zip archive as downloaded from the publisher (download it again)") from exc
    return data, member, _pipe_header(where, data[: 1 << 20])


def _arrow_strings(where: str, data: bytes, columns: list[str], ints: tuple[str, ...] = ()):
    """Parse pipe-separated bytes with pyarrow (multi-threaded), columns as text except ``ints``
    (64-bit integers; when one does not parse, everything is read as text again so that the
    caller can name the bad line), plus ``rn`` (the line number, header = 1)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    types = {c: (pa.int64() if c in ints else pa.string()) for c in columns}
    try:
        t = pcsv.read_csv(
            pa.BufferReader(data),
            read_options=pcsv.ReadOptions(use_threads=True, block_size=8 << 20),
            parse_options=pcsv.ParseOptions(delimiter="|", quote_char=False),
            convert_options=pcsv.ConvertOptions(include_columns=columns, column_types=types, strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        if ints and "conversion error" in str(exc):
            return _arrow_strings(where, data, columns)
        msg = str(exc).splitlines()[0][:300]
        row = None
        if "UTF8" in msg or "utf8" in msg.lower():
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as u:
                row = data[: u.start].count(b"\n") + 1
            raise InputError(where, "the text is not valid UTF-8", row=row,
                             expected="UTF-8 encoded text as published by Statbel (re-save the file as UTF-8)") from exc
        raise InputError(where, f"cannot parse the text: {msg}", row=row,
                         expected="pipe-separated UTF-8 text with the same number of fields on every line") from exc
    return t.append_column("rn", pa.array(np.arange(2, t.num_rows + 2, dtype=np.int64)))


def _extract_text(path: Path, tmpdir: Path) -> tuple[Path, str, list[str]]:
    """Unzip the text member of a Statbel archive into ``tmpdir`` (clear errors for broken
    archives, wrong delimiter or encoding). Returns (file, member name, header columns)."""
    zf, member = open_zip_member(path, ".txt")
    out = tmpdir / "member.txt"
    try:
        with zf.open(member) as fh, open(out, "wb") as dst:
            shutil.copyfileobj(fh, dst, 1 << 22)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise InputError(f"{path}!{member}", f"the zip archive is truncated or corrupt ({type(exc).__name__}: {exc})",
                         expected="an intact zip archive as downloaded from the publisher (download it again)") from exc
    with open(out, "rb") as fh:
        head = fh.read(1 << 20)
    return out, member, _pipe_header(f"{path}!{member}", head)


def _csv_error(where: str, exc: Exception) -> InputError:
    """Turn a DuckDB CSV error into an :class:`InputError` with the line and column."""
    text = str(exc)
    line = re.search(r"Line: (\d+)", text)
    col = re.search(r'converting column "([^"]+)"', text)
    val = re.search(r'Could not convert string "([^"]*)"', text)
    if col:
        what = "a count of persons (0, 1, 2, …)" if col.group(1) == "MS_POPULATION" else "a whole number"
        return InputError(where, f"value {val.group(1) if val else '?'!r} is not {what}", row=int(line.group(1)) if line else None,
                          column=col.group(1), expected=what)
    first = text.splitlines()[0][:300]
    return InputError(where, f"cannot parse the text: {first}", row=int(line.group(1)) if line else None,
                      expected="pipe-separated UTF-8 text with the same number of fields on every line")


def _pop_struct_batches(con, path: Path, where: str, table, cols: list[str], pick: dict, year: int) -> list[LoadBatch]:
    import pyarrow as pa
    import pyarrow.compute as pc

    if True:  # one block: validate, then aggregate, on the table t
        con.execute("SET threads TO 2")
        code = pick["code"]
        con.register("raw", table)
        civ = "CD_CIV_STS" if "CD_CIV_STS" in cols else "NULL"
        yr = "CD_YEAR" if "CD_YEAR" in cols else "NULL"
        typed = pa.types.is_integer(table.schema.field("MS_POPULATION").type) and pa.types.is_integer(table.schema.field("CD_AGE").type)
        # typed (the normal case): a view over the Arrow table, no copy; text (a value did not
        # parse as a number): a table with the casts, so that the checks below name the line
        con.execute(f"""CREATE TEMP {'VIEW' if typed else 'TABLE'} t AS SELECT rn, "{code}" AS code, CD_SEX, CD_NATLTY, {civ} AS civ,
                        TRY_CAST(CD_AGE AS INTEGER) AS CD_AGE, TRY_CAST(MS_POPULATION AS BIGINT) AS MS_POPULATION,
                        CD_AGE AS age_text, MS_POPULATION AS pop_text, {yr} AS CD_YEAR FROM raw""")
        n_rows = table.num_rows
        checks = [
            ("MS_POPULATION", "pop_text", "MS_POPULATION IS NULL OR MS_POPULATION < 0", "a count of persons (0, 1, 2, …)"),
            ("CD_AGE", "age_text", "CD_AGE IS NULL OR CD_AGE < 0 OR CD_AGE > 130", "an age in years (0–130)"),
            ("CD_SEX", "CD_SEX", "CD_SEX IS NULL OR CD_SEX NOT IN ('M', 'F')", "M or F"),
            ("CD_NATLTY", "CD_NATLTY", "CD_NATLTY IS NULL OR CD_NATLTY NOT IN ('BEL', 'ETR')", "BEL or ETR"),
            (code, "code", "code IS NULL OR NOT regexp_full_match(code, '\\d{4,5}')", "a 4- or 5-digit REFNIS code"),
        ]
        if "CD_YEAR" in cols:
            checks.append(("CD_YEAR", "CD_YEAR", f"TRY_CAST(CD_YEAR AS INTEGER) IS DISTINCT FROM {year}", f"{year} (the year in the file name)"))
        for col, shown, cond, exp in checks:
            hit = con.execute(f"SELECT rn, {shown} FROM t WHERE {cond} ORDER BY rn LIMIT 1").fetchall()
            if hit:
                what = "is not a count of persons (0, 1, 2, …)" if col == "MS_POPULATION" else f"in column {col}"
                raise InputError(where, f"value {hit[0][1]!r} {what}", row=int(hit[0][0]), column=col, expected=exp)
        dup = con.execute(
            "SELECT code, CD_SEX, CD_NATLTY, civ, CD_AGE FROM t GROUP BY ALL HAVING count(*) > 1 LIMIT 1").fetchall()
        if dup:
            d = dup[0]
            lines = [r[0] for r in con.execute(
                "SELECT rn FROM t WHERE code = ? AND CD_SEX = ? AND CD_NATLTY = ? AND civ IS NOT DISTINCT FROM ? AND CD_AGE = ? "
                "ORDER BY rn LIMIT 2", list(d)).fetchall()]
            raise InputError(where, f"duplicate key (municipality {d[0]}, sex {d[1]}, nationality {d[2]}, civil status {d[3]}, age {d[4]}) "
                             f"on lines {list(lines)}", row=int(lines[-1]), column=code,
                             expected="one row per municipality × sex × nationality × civil status × age")
        band = ("CASE WHEN CAST(CD_AGE AS INTEGER) >= 100 THEN '100+' ELSE "
                "CAST(CAST(CD_AGE AS INTEGER) // 5 * 5 AS VARCHAR) || '-' || CAST(CAST(CD_AGE AS INTEGER) // 5 * 5 + 4 AS VARCHAR) END")
        pop = con.execute(f"""
            WITH b AS (SELECT lpad(code, 5, '0') AS code, CD_SEX AS sex, CD_NATLTY AS nat, {band} AS band,
                              CAST(MS_POPULATION AS BIGINT) AS n FROM t)
            SELECT code, coalesce(nat, 'total') AS grp, CASE WHEN nat IS NULL THEN 'total' ELSE 'nationality' END AS scheme,
                   coalesce(sex, 'T') AS sex, coalesce(band, 'total') AS age_band, sum(n)::BIGINT AS count
            FROM b GROUP BY GROUPING SETS ((code, nat, sex, band), (code, nat, sex), (code, nat, band), (code, nat),
                                           (code, sex, band), (code, sex), (code, band), (code))
        """).df()
        firsts = table.group_by(code).aggregate([("rn", "min")])
        first_rows = pc.subtract(firsts.column("rn_min"), pa.scalar(2, pa.int64()))
        names = table.take(first_rows).to_pandas()
        get = lambda c: names[c] if c and c in names.columns else None
        units = pd.DataFrame({"code": names[code].str.zfill(5), "name_nl": get(pick["name_nl"]), "name_fr": get(pick["name_fr"]),
                              "arr": get("CD_DSTR_REFNIS"), "prov": get("CD_PROV_REFNIS"), "rgn": get("CD_RGN_REFNIS"),
                              "arr_nl": get("TX_ADM_DSTR_DESCR_NL"), "arr_fr": get("TX_ADM_DSTR_DESCR_FR"),
                              "prov_nl": get("TX_PROV_DESCR_NL"), "prov_fr": get("TX_PROV_DESCR_FR")})
    ml = municipality_layout(year)
    al = "2018" if ml == "2018" else "2025"
    units["arr"] = units["arr"].map(nis5)
    units["rgn"] = units["rgn"].map(nis5)
    units["prov"] = [nis5(p) if norm_code(p) else ("04000" if r == "04000" else None) for p, r in zip(units["prov"], units["rgn"])]
    areas = [frame("areas", {"level": "municipality", "layout": ml, "code": units["code"],
                             "name_nl": units["name_nl"], "name_fr": units["name_fr"]})]
    links = []
    if units["arr"].notna().any():
        a = units.dropna(subset=["arr"]).drop_duplicates("arr")
        areas.append(frame("areas", {"level": "arrondissement", "layout": al, "code": a["arr"], "name_nl": a["arr_nl"], "name_fr": a["arr_fr"]}))
        u = units.dropna(subset=["arr"])
        links.append(frame("crosswalks", {"from_level": "municipality", "from_layout": ml, "from_code": u["code"],
                                          "to_level": "arrondissement", "to_layout": al, "to_code": u["arr"]}))
        a2 = a.dropna(subset=["prov"])
        links.append(frame("crosswalks", {"from_level": "arrondissement", "from_layout": al, "from_code": a2["arr"],
                                          "to_level": "province", "to_layout": "2018" if ml == "2018" else "2025", "to_code": a2["prov"]}))
    pl = "2018" if ml == "2018" else "2025"  # provinces as they were at the reference date
    if units["prov"].notna().any():
        p = units.dropna(subset=["prov"]).drop_duplicates("prov")
        bxl = p["prov"] == "04000"
        areas.append(frame("areas", {
            "level": "province", "layout": pl, "code": p["prov"],
            "name_nl": np.where(bxl, "Brussels Hoofdstedelijk Gewest", p["prov_nl"]),
            "name_fr": np.where(bxl, "Région de Bruxelles-Capitale", p["prov_fr"])}))
        pr = p.dropna(subset=["rgn"])
        links.append(frame("crosswalks", {"from_level": "province", "from_layout": pl, "from_code": pr["prov"],
                                          "to_level": "region", "to_layout": "2025", "to_code": pr["rgn"]}))
    if units["rgn"].notna().any():
        from aankomst.sources.boundaries import REGION_NAMES

        regs = sorted(units["rgn"].dropna().unique())
        areas.append(frame("areas", {"level": "region", "layout": "2025", "code": regs,
                                     "name_nl": [REGION_NAMES.get(r, (None,) * 3)[0] for r in regs],
                                     "name_fr": [REGION_NAMES.get(r, (None,) * 3)[1] for r in regs],
                                     "name_en": [REGION_NAMES.get(r, (None,) * 3)[2] for r in regs]}))
        u = units.dropna(subset=["rgn"])
        links.append(frame("crosswalks", {"from_level": "municipality", "from_layout": ml, "from_code": u["code"],
                                          "to_level": "region", "to_layout": "2025", "to_code": u["rgn"]}))
        links.append(frame("crosswalks", {"from_level": "region", "from_layout": "2025", "from_code": regs,
                                          "to_level": "country", "to_layout": "2025", "to_code": "BE"}))
        areas.append(frame("areas", {"level": ["country"], "layout": ["2025"], "code": ["BE"],
                                     "name_nl": ["België"], "name_fr": ["Belgique"], "name_en": ["Belgium"]}))
    population = frame("population", {
        "level": "municipality", "layout": ml, "code": pop["code"], "ref_date": pd.Timestamp(f"{year}-01-01").date(),
        "scheme": pop["scheme"], "grp": pop["grp"], "sex": pop["sex"], "age_band": pop["age_band"], "count": pop["count"],
    })
    meta = provenance(path, "statbel_pop_struct")
    meta["reference_date"] = f"{year}-01-01"
    tables = {"areas": pd.concat(areas, ignore_index=True).drop_duplicates(["level", "layout", "code"]), "population": population}
    if links:
        tables["crosswalks"] = pd.concat(links, ignore_index=True).drop_duplicates(
            ["from_level", "from_layout", "from_code", "to_level", "to_layout", "to_code"])
    return [LoadBatch(
        source_id=f"statbel/TF_SOC_POP_STRUCT_{year}", family="statbel_pop_struct", path=str(path),
        sha256=sha256_file(path), tables=tables, rows_read=int(n_rows), **meta,
    )]
