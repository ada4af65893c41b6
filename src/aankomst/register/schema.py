"""The person-level input schema of a register extract, and its validation.

A register extract is a folder with four tables, each as Parquet (one file ``<table>.parquet``
or a folder ``<table>/*.parquet``) or CSV (``<table>.csv``, UTF-8, comma-separated, header
row, dates ``YYYY-MM-DD``). Column meanings are in :data:`SCHEMA` and ``docs/register.md``.

Validation runs in DuckDB over the files (nothing is loaded into Python memory) and raises one
:class:`~aankomst.errors.InputError` listing up to 20 problems, each naming the file, the row
(1-based data row; for CSV the line number, header = line 1), the column, the bad value and what
was expected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from aankomst.errors import InputError, InputProblem

#: table -> [(column, duckdb type, required, description)]
SCHEMA: dict[str, list[tuple[str, str, bool, str]]] = {
    "persons": [
        ("person_id", "BIGINT", True, "pseudonymised person number, unique"),
        ("birth_date", "DATE", True, "date of birth"),
        ("sex", "VARCHAR", True, "M or F"),
        ("nationality_at_birth", "VARCHAR", False, "ISO 3166 alpha-3 nationality at birth (empty = unknown)"),
        ("father_id", "BIGINT", False, "person_id of the father when in the register"),
        ("mother_id", "BIGINT", False, "person_id of the mother when in the register"),
        ("father_nationality_at_birth", "VARCHAR", False, "the father's own nationality at his birth (ISO alpha-3)"),
        ("mother_nationality_at_birth", "VARCHAR", False, "the mother's own nationality at her birth (ISO alpha-3)"),
        ("first_registration_date", "DATE", True, "date of first registration in Belgium (birth date for persons born in Belgium)"),
        ("death_date", "DATE", False, "date of death (empty = alive or unknown)"),
    ],
    "nationalities": [
        ("person_id", "BIGINT", True, "person"),
        ("nationality", "VARCHAR", True, "ISO alpha-3 nationality (BEL = Belgian)"),
        ("valid_from", "DATE", True, "first day of the nationality"),
        ("valid_to", "DATE", False, "day the next nationality starts (exclusive; empty = current)"),
    ],
    "addresses": [
        ("person_id", "BIGINT", True, "person"),
        ("sector", "VARCHAR", True, "statistical sector code of the address"),
        ("valid_from", "DATE", True, "first day at the address"),
        ("valid_to", "DATE", False, "day the person left (exclusive; empty = still living there)"),
        ("household_id", "BIGINT", False, "household number during the period"),
        ("with_parents", "VARCHAR", True, "household position: none, both, mother, father (living with both parents, only the mother, only the father)"),
    ],
    "moves": [
        ("person_id", "BIGINT", True, "person"),
        ("move_date", "DATE", True, "date of the move (= valid_from of the new address)"),
        ("origin_kind", "VARCHAR", True, "sector, abroad, belgium (elsewhere in Belgium, outside the extract) or unknown"),
        ("origin_code", "VARCHAR", False, "sector code (kind sector) or ISO alpha-3 country (kind abroad)"),
        ("dest_kind", "VARCHAR", True, "sector, abroad, belgium or unknown"),
        ("dest_code", "VARCHAR", False, "sector code or ISO alpha-3 country"),
    ],
}

KINDS = ("sector", "abroad", "belgium", "unknown")
WITH_PARENTS = ("none", "both", "mother", "father")


@dataclass
class RegisterFiles:
    """Where each table of an extract lives: a DuckDB scan expression and a display name."""

    root: Path
    scans: dict[str, str]
    names: dict[str, str]
    fmt: dict[str, str]


def locate(root: str | Path) -> RegisterFiles:
    """Find the four tables under ``root``.

    Raises
    ------
    InputError
        When a table is missing (naming the file names looked for).
    """
    root = Path(root)
    scans, names, fmt = {}, {}, {}
    for t in SCHEMA:
        d, pq, csv = root / t, root / f"{t}.parquet", root / f"{t}.csv"
        if d.is_dir() and any(d.glob("*.parquet")):
            glob = str(d / "*.parquet").replace("'", "''")
            scans[t] = f"read_parquet('{glob}', filename = true, file_row_number = true)"
            names[t], fmt[t] = str(d), "parquet"
        elif pq.exists():
            scans[t] = f"read_parquet('{str(pq).replace(chr(39), chr(39) * 2)}', filename = true, file_row_number = true)"
            names[t], fmt[t] = str(pq), "parquet"
        elif csv.exists():
            scans[t] = (f"(SELECT *, '{str(csv).replace(chr(39), chr(39) * 2)}' AS filename, "
                        f"row_number() OVER () AS file_row_number FROM read_csv('{str(csv).replace(chr(39), chr(39) * 2)}', "
                        "header = true, all_varchar = true))")
            names[t], fmt[t] = str(csv), "csv"
        else:
            raise InputError(str(root), f"register table {t!r} not found", column=None,
                             expected=f"{t}.parquet, {t}/*.parquet or {t}.csv in {root}")
    return RegisterFiles(root, scans, names, fmt)


def _row(fmt: str, file_row: int) -> int:
    """1-based row as a user sees it: CSV line number (header = 1) or Parquet data row."""
    return int(file_row) + 1 if fmt == "csv" else int(file_row) + 1


def create_views(con, files: RegisterFiles) -> None:
    """Create typed temp tables ``persons``, ``nationalities``, ``addresses``, ``moves`` on
    ``con`` (DuckDB spills them to its temp directory when they outgrow the memory limit).

    Tables keep ``_file`` and ``_row`` (0-based row in the file) for error messages. CSV values
    are cast with ``TRY_CAST``; :func:`validate` reports values that did not cast.
    """
    for t, cols in SCHEMA.items():
        desc = con.execute(f"DESCRIBE SELECT * FROM {files.scans[t]}").fetchall()
        have = {r[0] for r in desc}
        missing = [c for c, _, req, _ in cols if req and c not in have]
        if missing:
            raise InputError(files.names[t], f"missing column(s) {missing}", row=1, column=missing[0],
                             expected=f"columns {[c for c, *_ in cols]} (see docs/register.md)")
        sel = []
        for c, typ, _req, _ in cols:
            if c in have:
                sel.append(f'TRY_CAST("{c}" AS {typ}) AS "{c}"')
                if files.fmt[t] == "csv":
                    sel.append(f'"{c}" AS "_raw_{c}"')
            else:
                sel.append(f'CAST(NULL AS {typ}) AS "{c}"')
        sel.append("filename AS _file, file_row_number AS _row")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {t} AS SELECT {', '.join(sel)} FROM {files.scans[t]}")


def _checks(files: RegisterFiles, known_sectors: bool) -> Iterable[tuple[str, str, str, str, str]]:
    """(table, column, SQL returning (_file, _row, value), message template, expected)."""
    iso = "regexp_full_match({c}, '[A-Z]{{3}}')"
    yield ("persons", "person_id", "SELECT _file, _row, person_id FROM persons WHERE person_id IS NULL",
           "person_id is empty", "a whole number")
    yield ("persons", "person_id",
           "SELECT _file, _row, person_id FROM (SELECT *, count(*) OVER (PARTITION BY person_id) n FROM persons) WHERE n > 1",
           "person_id {v} occurs more than once", "one row per person")
    yield ("persons", "birth_date", "SELECT _file, _row, birth_date FROM persons WHERE birth_date IS NULL",
           "birth date is empty or not a date", "a date YYYY-MM-DD")
    yield ("persons", "sex", "SELECT _file, _row, sex FROM persons WHERE sex IS NULL OR sex NOT IN ('M','F')",
           "sex {v!r} is not M or F", "M or F")
    for c in ("nationality_at_birth", "father_nationality_at_birth", "mother_nationality_at_birth"):
        yield ("persons", c, f"SELECT _file, _row, {c} FROM persons WHERE {c} IS NOT NULL AND NOT {iso.format(c=c)}",
               "nationality {v!r} is not an ISO alpha-3 code", "three capital letters, e.g. BEL, MAR")
    yield ("persons", "death_date", "SELECT _file, _row, death_date FROM persons WHERE death_date < birth_date",
           "death date {v} is before the birth date", "a date on or after the birth date")
    yield ("persons", "first_registration_date",
           "SELECT _file, _row, first_registration_date FROM persons WHERE first_registration_date IS NULL OR first_registration_date < birth_date",
           "first registration {v} is empty or before the birth date", "a date on or after the birth date")
    yield ("nationalities", "nationality",
           f"SELECT _file, _row, nationality FROM nationalities WHERE nationality IS NULL OR NOT {iso.format(c='nationality')}",
           "nationality {v!r} is not an ISO alpha-3 code", "three capital letters, e.g. BEL")
    yield ("nationalities", "valid_to",
           "SELECT _file, _row, valid_to FROM nationalities WHERE valid_from IS NULL OR valid_to <= valid_from",
           "period ends ({v}) on or before it starts", "valid_to after valid_from, or empty")
    for t in ("nationalities", "addresses", "moves"):
        yield (t, "person_id",
               f"SELECT x._file, x._row, x.person_id FROM {t} x ANTI JOIN persons p ON p.person_id = x.person_id",
               "person_id {v} is not in the persons table", "a person_id of persons")
    yield ("nationalities", "valid_from",
           "SELECT _file, _row, valid_from FROM (SELECT *, lag(valid_to) OVER (PARTITION BY person_id ORDER BY valid_from) pt, "
           "lag(valid_from) OVER (PARTITION BY person_id ORDER BY valid_from) pf FROM nationalities) "
           "WHERE pf IS NOT NULL AND (pt IS NULL OR pt > valid_from)",
           "nationality period starting {v} overlaps the previous one", "periods of one person that do not overlap")
    yield ("addresses", "valid_to",
           "SELECT _file, _row, valid_to FROM addresses WHERE valid_from IS NULL OR valid_to <= valid_from",
           "address period ends ({v}) on or before it starts", "valid_to after valid_from, or empty")
    yield ("addresses", "valid_from",
           "SELECT _file, _row, valid_from FROM (SELECT *, lag(valid_to) OVER (PARTITION BY person_id ORDER BY valid_from) pt, "
           "lag(valid_from) OVER (PARTITION BY person_id ORDER BY valid_from) pf FROM addresses) "
           "WHERE pf IS NOT NULL AND (pt IS NULL OR pt > valid_from)",
           "address period starting {v} overlaps the previous address period of the same person",
           "address periods of one person that do not overlap (valid_to of one <= valid_from of the next)")
    yield ("addresses", "valid_from",
           "SELECT a._file, a._row, a.valid_from FROM addresses a JOIN persons p USING (person_id) WHERE a.valid_from < p.birth_date",
           "address starts {v}, before the person's birth", "a date on or after the birth date")
    yield ("addresses", "valid_to",
           "SELECT a._file, a._row, a.valid_to FROM addresses a JOIN persons p USING (person_id) "
           "WHERE p.death_date IS NOT NULL AND (a.valid_to IS NULL OR a.valid_to > p.death_date)",
           "address period ends {v}, after the person's death (or is still open)", "valid_to on or before the death date")
    yield ("addresses", "with_parents",
           "SELECT _file, _row, with_parents FROM addresses WHERE with_parents IS NULL OR with_parents NOT IN ('none','both','mother','father')",
           "household position {v!r} is unknown", "none, both, mother or father")
    if known_sectors:
        yield ("addresses", "sector",
               "SELECT a._file, a._row, a.sector FROM addresses a ANTI JOIN _known_sectors k ON k.code = a.sector",
               "unknown sector code {v!r}", "a statistical-sector code of the geography")
        for end in ("origin", "dest"):
            yield ("moves", f"{end}_code",
                   f"SELECT m._file, m._row, m.{end}_code FROM moves m ANTI JOIN _known_sectors k ON k.code = m.{end}_code "
                   f"WHERE m.{end}_kind = 'sector'",
                   "unknown sector code {v!r}", "a statistical-sector code of the geography")
    yield ("moves", "move_date",
           "SELECT m._file, m._row, m.move_date FROM moves m JOIN persons p USING (person_id) WHERE m.move_date IS NULL OR m.move_date < p.birth_date",
           "move on {v}, before the person's birth", "a move date on or after the birth date")
    for end in ("origin", "dest"):
        yield ("moves", f"{end}_kind",
               f"SELECT _file, _row, {end}_kind FROM moves WHERE {end}_kind IS NULL OR {end}_kind NOT IN ('sector','abroad','belgium','unknown')",
               "kind {v!r} is unknown", "sector, abroad, belgium or unknown")
        yield ("moves", f"{end}_code",
               f"SELECT _file, _row, {end}_code FROM moves WHERE {end}_kind IN ('sector','abroad') AND {end}_code IS NULL",
               "code is empty for a move from/to a sector or abroad", "a sector code or an ISO alpha-3 country")
    yield ("moves", "dest_code",
           "SELECT m._file, m._row, m.dest_code FROM moves m WHERE m.dest_kind = 'sector' AND NOT EXISTS "
           "(SELECT 1 FROM addresses a WHERE a.person_id = m.person_id AND a.valid_from = m.move_date AND a.sector = m.dest_code)",
           "move to sector {v!r} has no address period in that sector starting on the move date",
           "an address period with valid_from = move_date and the same sector")


def validate(con, files: RegisterFiles, known_sectors: list[str] | None = None, *, limit: int = 20) -> dict[str, int]:
    """Validate an extract whose views exist on ``con`` (see :func:`create_views`).

    Parameters
    ----------
    known_sectors
        Sector codes an address or move may name (``None`` skips that check).

    Returns
    -------
    dict
        Row counts per table.

    Raises
    ------
    InputError
        With up to ``limit`` problems, when any check fails.
    """
    import pandas as pd

    problems: list[InputProblem] = []
    if files is not None:
        for t, cols in SCHEMA.items():
            if files.fmt[t] != "csv":
                continue
            for c, typ, _req, _ in cols:
                bad = con.execute(
                    f'SELECT _file, _row, "_raw_{c}" FROM {t} WHERE "_raw_{c}" IS NOT NULL AND trim("_raw_{c}") <> \'\' '
                    f'AND "{c}" IS NULL LIMIT {limit}').fetchall()
                for f, r, v in bad:
                    problems.append(InputProblem(f, _row("csv", r), c, f"value {v!r} is not a valid {typ.lower()}",
                                                 "a date YYYY-MM-DD" if typ == "DATE" else f"a {typ.lower()}"))
    if known_sectors is not None:
        con.register("_known_sectors_df", pd.DataFrame({"code": pd.Series(known_sectors, dtype=str)}))
        con.execute("CREATE OR REPLACE TEMP TABLE _known_sectors AS SELECT * FROM _known_sectors_df")
        con.unregister("_known_sectors_df")
    for table, column, sql, msg, expected in _checks(files, known_sectors is not None):
        if len(problems) >= limit:
            break
        rows = con.execute(f"SELECT * FROM ({sql}) ORDER BY 1, 2 LIMIT {limit}").fetchall()
        fmt = files.fmt[table] if files else "parquet"
        for f, r, v in rows:
            problems.append(InputProblem(str(f), _row(fmt, r), column, msg.format(v=v), expected))
    if problems:
        raise InputError(problems[0].file, problems[0].message, problems=problems[:limit])
    return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]) for t in SCHEMA}
