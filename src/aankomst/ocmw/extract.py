"""The person-level OCMW client extract: schema, reading and validation (``docs/ocmw.md`` §3).

An extract is a folder with up to three tables, each as Parquet (``<table>.parquet`` or a
folder ``<table>/*.parquet``) or CSV (``<table>.csv``, UTF-8, header, ``,``-separated, dates
``YYYY-MM-DD``), and a ``manifest.json`` with ``extract_end`` (the first day not covered: the
censoring date). ``person_id`` is the pseudonymised person number shared with the register
extract (``docs/register.md``), so that origin and arrival cohort can be taken from it.

Periods are half-open, as in the register: ``start_date`` is the first day of the measure,
``end_date`` the first day without it (empty = still running at ``extract_end``).

Validation runs in DuckDB on a private in-memory connection (person rows never leave the
loading process) and raises one :class:`~aankomst.errors.InputError` with up to 20 problems,
each naming the file, the row (CSV: line number, header = 1; Parquet: data row), the column,
the bad value and what was expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from aankomst.errors import InputError, InputProblem

SCHEMA: dict[str, list[tuple[str, str, bool, str]]] = {
    "clients": [
        ("person_id", "BIGINT", True, "pseudonymised person number (the register's), unique"),
        ("sex", "VARCHAR", True, "M or F"),
        ("birth_date", "DATE", True, "date of birth"),
        ("nationality", "VARCHAR", True, "ISO 3166 alpha-3 nationality (BEL = Belgian), the latest known"),
        ("residence_status", "VARCHAR", False, "belgian, population_register, foreigners_register, "
                                               "asylum_seeker or no_legal_residence"),
        ("first_registration_date", "DATE", False, "first registration in Belgium (else from the register)"),
    ],
    "episodes": [
        ("episode_id", "BIGINT", True, "episode number, unique"),
        ("person_id", "BIGINT", True, "client"),
        ("ocmw", "VARCHAR", True, "NIS code of the OCMW's municipality"),
        ("measure", "VARCHAR", True, "measure id of data/ocmw/measures.csv (activation episodes: "
                                     "article_60, article_61)"),
        ("start_date", "DATE", True, "first day of the measure"),
        ("end_date", "DATE", False, "first day without the measure (empty = running at extract_end)"),
        ("end_reason", "VARCHAR", False, "why it ended (data/ocmw/codes.csv, field end_reason); "
                                         "empty for a running episode"),
        ("sector", "VARCHAR", False, "statistical sector of the address at the start"),
        ("nationality", "VARCHAR", False, "ISO alpha-3 nationality at the start"),
        ("parent_episode_id", "BIGINT", False, "the assistance episode an activation episode belongs to"),
    ],
    "labour": [
        ("person_id", "BIGINT", True, "client"),
        ("status", "VARCHAR", True, "labour-market status (data/ocmw/codes.csv, field labour)"),
        ("valid_from", "DATE", True, "first day of the status"),
        ("valid_to", "DATE", False, "first day of the next status (empty = current)"),
    ],
}
"""table -> [(column, DuckDB type, required, meaning)]; ``labour`` is optional as a table."""

OPTIONAL_TABLES = ("labour",)
RESIDENCE = ("belgian", "population_register", "foreigners_register", "asylum_seeker",
             "no_legal_residence")


@dataclass
class ExtractFiles:
    """Where the tables of an extract live (DuckDB scans) and what the manifest says."""

    root: Path
    scans: dict[str, str]
    names: dict[str, str]
    fmt: dict[str, str]
    manifest: dict[str, Any]

    @property
    def extract_end(self) -> date:
        """The censoring date (first day not covered by the extract)."""
        return date.fromisoformat(str(self.manifest["extract_end"]))


def _q(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def locate(root: str | Path) -> ExtractFiles:
    """Find the tables and the manifest of an extract folder.

    Raises
    ------
    InputError
        A required table or ``manifest.json`` (with a valid ``extract_end``) is missing.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(str(root), "is not a folder", expected="an extract folder with clients, "
                         "episodes[, labour] and manifest.json (docs/ocmw.md)")
    scans, names, fmt = {}, {}, {}
    for t in SCHEMA:
        d, pq, csv = root / t, root / f"{t}.parquet", root / f"{t}.csv"
        if d.is_dir() and any(d.glob("*.parquet")):
            scans[t] = f"read_parquet({_q(d / '*.parquet')}, filename = true, file_row_number = true)"
            names[t], fmt[t] = str(d), "parquet"
        elif pq.exists():
            scans[t] = f"read_parquet({_q(pq)}, filename = true, file_row_number = true)"
            names[t], fmt[t] = str(pq), "parquet"
        elif csv.exists():
            scans[t] = (f"(SELECT *, {_q(csv)} AS filename, row_number() OVER () AS file_row_number "
                        f"FROM read_csv({_q(csv)}, header = true, all_varchar = true))")
            names[t], fmt[t] = str(csv), "csv"
        elif t not in OPTIONAL_TABLES:
            raise InputError(str(root), f"OCMW extract table {t!r} not found",
                             expected=f"{t}.parquet, {t}/*.parquet or {t}.csv in {root}")
    mpath = root / "manifest.json"
    if not mpath.exists():
        raise InputError(str(mpath), "manifest.json not found",
                         expected='{"extract_end": "YYYY-MM-DD"} (the first day the extract does not cover)')
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        date.fromisoformat(str(manifest["extract_end"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(str(mpath), f"no valid extract_end ({exc})", column="extract_end",
                         expected='{"extract_end": "YYYY-MM-DD"}') from None
    return ExtractFiles(root, scans, names, fmt, manifest)


def create_tables(con: Any, files: ExtractFiles) -> None:
    """Typed temp tables ``clients``, ``episodes``, ``labour`` on ``con`` (with ``_file``,
    ``_row`` and, for CSV, the raw text ``_raw_<col>`` for error messages)."""
    for t, cols in SCHEMA.items():
        if t not in files.scans:
            empty = ", ".join(f'CAST(NULL AS {typ}) AS "{c}"' for c, typ, *_ in cols)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {t} AS SELECT {empty}, '' AS _file, 0 AS _row "
                        "WHERE FALSE")
            continue
        have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {files.scans[t]}").fetchall()}
        missing = [c for c, _, req, _ in cols if req and c not in have]
        if missing:
            raise InputError(files.names[t], f"missing column(s) {missing}", row=1, column=missing[0],
                             expected=f"columns {[c for c, *_ in cols]} (docs/ocmw.md)")
        sel = []
        for c, typ, _req, _ in cols:
            if c in have:
                sel.append(f'TRY_CAST(nullif(trim(CAST("{c}" AS VARCHAR)), \'\') AS {typ}) AS "{c}"')
                if files.fmt[t] == "csv":
                    sel.append(f'"{c}" AS "_raw_{c}"')
            else:
                sel.append(f'CAST(NULL AS {typ}) AS "{c}"')
        sel.append("filename AS _file, file_row_number AS _row")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {t} AS SELECT {', '.join(sel)} FROM {files.scans[t]}")


def _checks(end: date) -> list[tuple[str, str, str, str, str]]:
    """(table, column, SQL returning (_file, _row, value), message, expected)."""
    from aankomst.ocmw import catalogue as K

    iso = "regexp_full_match({c}, '[A-Z]{{3}}')"
    lst = lambda xs: "(" + ", ".join("'" + x.replace("'", "''") + "'" for x in xs) + ")"
    e = f"DATE '{end.isoformat()}'"
    return [
        ("clients", "person_id", "SELECT _file, _row, person_id FROM clients WHERE person_id IS NULL",
         "person_id is empty or not a whole number", "a whole number"),
        ("clients", "person_id", "SELECT _file, _row, person_id FROM (SELECT *, count(*) OVER "
         "(PARTITION BY person_id) n FROM clients) WHERE n > 1 AND person_id IS NOT NULL",
         "person_id {v} occurs more than once", "one row per client"),
        ("clients", "sex", "SELECT _file, _row, sex FROM clients WHERE sex IS NULL OR sex NOT IN ('M','F')",
         "sex {v!r} is not M or F", "M or F"),
        ("clients", "birth_date", "SELECT _file, _row, birth_date FROM clients WHERE birth_date IS NULL "
         f"OR birth_date >= {e}", "birth date {v} is empty or after the extract end",
         "a date YYYY-MM-DD before extract_end"),
        ("clients", "nationality", "SELECT _file, _row, nationality FROM clients WHERE nationality IS NULL "
         f"OR NOT {iso.format(c='nationality')}", "nationality {v!r} is not an ISO alpha-3 code",
         "three capital letters, e.g. BEL, MAR"),
        ("clients", "residence_status", "SELECT _file, _row, residence_status FROM clients WHERE "
         f"residence_status IS NOT NULL AND residence_status NOT IN {lst(RESIDENCE)}",
         "residence status {v!r} is unknown", ", ".join(RESIDENCE)),
        ("clients", "first_registration_date", "SELECT _file, _row, first_registration_date FROM clients "
         "WHERE first_registration_date < birth_date", "first registration {v} is before the birth date",
         "a date on or after the birth date"),
        ("episodes", "episode_id", "SELECT _file, _row, episode_id FROM (SELECT *, count(*) OVER "
         "(PARTITION BY episode_id) n FROM episodes) WHERE episode_id IS NULL OR n > 1",
         "episode_id {v} is empty or occurs more than once", "a unique whole number per episode"),
        ("episodes", "person_id", "SELECT x._file, x._row, x.person_id FROM episodes x ANTI JOIN clients c "
         "ON c.person_id = x.person_id", "person_id {v} is not in the clients table",
         "a person_id of clients"),
        ("episodes", "ocmw", "SELECT _file, _row, ocmw FROM episodes WHERE ocmw IS NULL OR NOT "
         "regexp_full_match(ocmw, '[0-9]{5}')", "OCMW code {v!r} is not a five-digit NIS code",
         "the NIS code of the OCMW's municipality, e.g. 11002"),
        ("episodes", "measure", f"SELECT _file, _row, measure FROM episodes WHERE measure IS NULL OR "
         f"measure NOT IN {lst(K.measure_ids())}", "measure {v!r} is unknown",
         "one of " + ", ".join(K.measure_ids())),
        ("episodes", "start_date", f"SELECT _file, _row, start_date FROM episodes WHERE start_date IS NULL "
         f"OR start_date >= {e}", "start date {v} is empty or not before the extract end",
         "a date YYYY-MM-DD before extract_end"),
        ("episodes", "start_date", "SELECT x._file, x._row, x.start_date FROM episodes x JOIN clients c "
         "USING (person_id) WHERE x.start_date < c.birth_date", "episode starts {v}, before the birth date",
         "a start on or after the client's birth date"),
        ("episodes", "end_date", f"SELECT _file, _row, end_date FROM episodes WHERE end_date <= start_date "
         f"OR end_date > {e}", "end date {v} is on or before the start, or after the extract end",
         "the first day without the measure, after start_date and not after extract_end; empty when running"),
        ("episodes", "end_reason", f"SELECT _file, _row, end_reason FROM episodes WHERE end_reason IS NOT NULL "
         f"AND end_reason NOT IN {lst(K.code_ids('end_reason'))}", "end reason {v!r} is unknown",
         ", ".join(K.code_ids("end_reason"))),
        ("episodes", "end_reason", "SELECT _file, _row, end_reason FROM episodes WHERE end_reason IS NOT NULL "
         "AND end_date IS NULL", "end reason {v!r} given for an episode without end date",
         "an end reason only for an episode with an end_date"),
        ("episodes", "nationality", "SELECT _file, _row, nationality FROM episodes WHERE nationality IS NOT NULL "
         f"AND NOT {iso.format(c='nationality')}", "nationality {v!r} is not an ISO alpha-3 code",
         "three capital letters, e.g. BEL"),
        ("episodes", "start_date",
         "SELECT _file, _row, start_date FROM (SELECT *, lag(coalesce(end_date, DATE '9999-12-31')) OVER "
         "(PARTITION BY person_id, measure, ocmw ORDER BY start_date, episode_id) prev_end FROM episodes) "
         "WHERE prev_end > start_date",
         "episode starting {v} overlaps an earlier episode of the same person, measure and OCMW",
         "episodes of one person, measure and OCMW that do not overlap (end_date of one <= start_date of the next)"),
        ("episodes", "parent_episode_id", "SELECT x._file, x._row, x.parent_episode_id FROM episodes x "
         "WHERE x.parent_episode_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM episodes p WHERE "
         "p.episode_id = x.parent_episode_id AND p.person_id = x.person_id)",
         "parent episode {v} is not an episode of the same person", "an episode_id of the same client"),
        ("labour", "person_id", "SELECT x._file, x._row, x.person_id FROM labour x ANTI JOIN clients c "
         "ON c.person_id = x.person_id", "person_id {v} is not in the clients table",
         "a person_id of clients"),
        ("labour", "status", f"SELECT _file, _row, status FROM labour WHERE status IS NULL OR status NOT IN "
         f"{lst(K.code_ids('labour'))}", "labour status {v!r} is unknown", ", ".join(K.code_ids("labour"))),
        ("labour", "valid_to", "SELECT _file, _row, valid_to FROM labour WHERE valid_from IS NULL OR "
         "valid_to <= valid_from", "status period ends ({v}) on or before it starts (or has no start)",
         "valid_from, and valid_to after it or empty"),
    ]


def validate(con: Any, files: ExtractFiles, known_codes: dict[str, list[str]] | None = None, *,
             limit: int = 20) -> dict[str, int]:
    """Validate the tables created by :func:`create_tables`.

    Parameters
    ----------
    known_codes
        ``{"ocmw": [...], "sector": [...]}``: codes the atlas knows (``None`` skips the check).

    Returns
    -------
    dict
        Rows per table.

    Raises
    ------
    InputError
        With up to ``limit`` problems.

    Examples
    --------
    >>> files = locate("ocmw_extract/")  # doctest: +SKIP
    >>> create_tables(con, files); validate(con, files)  # doctest: +SKIP
    {'clients': 1200, 'episodes': 3400, 'labour': 900}
    """
    import pandas as pd

    problems: list[InputProblem] = []
    for t, cols in SCHEMA.items():
        if files.fmt.get(t) != "csv":
            continue
        for c, typ, _req, _ in cols:
            have = {r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()}
            if f"_raw_{c}" not in have:
                continue
            bad = con.execute(
                f'SELECT _file, _row, "_raw_{c}" FROM {t} WHERE "_raw_{c}" IS NOT NULL AND '
                f'trim("_raw_{c}") <> \'\' AND "{c}" IS NULL ORDER BY _row LIMIT {limit}').fetchall()
            for f, r, v in bad:
                problems.append(InputProblem(str(f), int(r) + 1, c, f"value {v!r} is not a valid {typ.lower()}",
                                             "a date YYYY-MM-DD" if typ == "DATE" else f"a {typ.lower()}"))
    checks = _checks(files.extract_end)
    if known_codes:
        for kind, codes in known_codes.items():
            con.register(f"_known_{kind}", pd.DataFrame({"code": pd.Series(codes, dtype=str)}))
            col = "ocmw" if kind == "ocmw" else "sector"
            what = ("a municipality code of the OCMW layout" if kind == "ocmw"
                    else "a statistical-sector code known to the atlas")
            checks.append(("episodes", col, f"SELECT x._file, x._row, x.{col} FROM episodes x ANTI JOIN "
                           f"_known_{kind} k ON k.code = x.{col} WHERE x.{col} IS NOT NULL",
                           f"unknown {kind} code {{v!r}}", what))
    for table, column, sql, msg, expected in checks:
        if len(problems) >= limit:
            break
        if table not in files.scans:
            continue
        rows = con.execute(f"SELECT * FROM ({sql}) ORDER BY 1, 2 LIMIT {limit}").fetchall()
        for f, r, v in rows:
            row = int(r) + 1
            problems.append(InputProblem(str(f), row, column, msg.format(v=v), expected))
    if problems:
        raise InputError(problems[0].file, problems[0].message, problems=problems[:limit])
    return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]) for t in SCHEMA}
