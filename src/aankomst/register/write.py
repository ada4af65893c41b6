"""Write register aggregates into the atlas in one transaction, straight from DuckDB.

At national scale the aggregates run to tens of millions of rows; they go from the private
aggregation connection to Parquet files of *aggregates* in a temporary folder and from there
into the atlas with ``INSERT … SELECT`` — no pandas round trip. The semantics are those of
:meth:`Atlas.load <aankomst.store.atlas.Atlas.load>`: one provenance row per batch (here with
``privacy = 'restricted'``), a re-load of the same ``source_id`` replaces its rows, rows whose
key an earlier source already supplied are not loaded again (the earlier source wins, noted in
the warnings), and any error rolls the whole load back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd

from aankomst.errors import InputError
from aankomst.sources.base import LoadBatch
from aankomst.store.schema import DATA_TABLES, TABLE_COLUMNS

KEYED = {
    "population": ("level", "layout", "code", "ref_date", "scheme", "grp", "sex", "age_band"),
    "measures": ("level", "layout", "code", "measure", "period", "scheme", "grp"),
    "measure_defs": ("measure",),
    "areas": ("level", "layout", "code"),
    "crosswalks": ("from_level", "from_layout", "from_code", "to_level", "to_layout", "to_code"),
}


def _q(path: str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def write_batches(atlas, items: list[tuple[LoadBatch, dict[str, str | pd.DataFrame]]]) -> dict[str, dict[str, int]]:
    """Write ``(batch, tables)`` pairs in one transaction.

    ``tables`` maps an atlas table to a Parquet path (aggregates) or a small DataFrame. Returns
    rows written per source and table.
    """
    con = atlas.con
    written: dict[str, dict[str, int]] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for batch, _ in items:
            for (old,) in con.execute("SELECT load_id FROM provenance WHERE source_id = ?", [batch.source_id]).fetchall():
                for t in DATA_TABLES:
                    con.execute(f"DELETE FROM {t} WHERE load_id = ?", [old])
                con.execute("DELETE FROM provenance WHERE load_id = ?", [old])
        for batch, tables in items:
            load_id = int(con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM provenance").fetchall()[0][0])
            con.execute("INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                load_id, batch.source_id, batch.family, batch.title, batch.publisher, batch.path, batch.url,
                batch.sha256, batch.reference_date, batch.licence, batch.privacy,
                datetime.now(UTC).replace(tzinfo=None), int(batch.rows_read), 0, json.dumps(batch.warnings)])
            counts: dict[str, int] = {}
            for name, src in tables.items():
                cols = TABLE_COLUMNS[name]
                if isinstance(src, pd.DataFrame):
                    if src.empty:
                        counts[name] = 0
                        continue
                    con.register("_w_df", src.loc[:, list(cols)])
                    scan = "_w_df"
                else:
                    scan = f"read_parquet({_q(src)})"
                collist = ", ".join(f'"{c}"' for c in cols)
                sel = ", ".join(f'i."{c}"' for c in cols)
                try:
                    if name in KEYED:
                        on = " AND ".join(f't."{k}" = i."{k}"' for k in KEYED[name])
                        n_in = con.execute(f"SELECT count(*) FROM {scan}").fetchall()[0][0]
                        con.execute(f"INSERT INTO {name} ({collist}, load_id) SELECT {sel}, ? FROM {scan} i "
                                    f"WHERE NOT EXISTS (SELECT 1 FROM {name} t WHERE {on})", [load_id])
                        n = con.execute(f"SELECT count(*) FROM {name} WHERE load_id = ?", [load_id]).fetchall()[0][0]
                        if n < n_in and name in ("population", "measures"):
                            batch.warnings.append(f"{n_in - n} {name} row(s) were already supplied by an earlier source "
                                                  "and were not loaded again (the earlier source wins)")
                    else:
                        con.execute(f"INSERT INTO {name} ({collist}, load_id) SELECT {sel}, ? FROM {scan} i", [load_id])
                        n = con.execute(f"SELECT count(*) FROM {name} WHERE load_id = ?", [load_id]).fetchall()[0][0]
                except Exception as exc:  # duckdb.Error: constraint or type problems
                    raise InputError(batch.path, f"aggregates for table {name!r} do not fit the atlas schema: "
                                     f"{str(exc).splitlines()[0]}", expected="see docs/schema.md") from exc
                finally:
                    if scan == "_w_df":
                        con.unregister("_w_df")
                counts[name] = int(n)
            con.execute("UPDATE provenance SET rows_loaded = ?, warnings = ? WHERE load_id = ?",
                        [int(sum(counts.values())), json.dumps(batch.warnings), load_id])
            written[batch.source_id] = counts
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return written
