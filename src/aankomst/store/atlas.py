"""The :class:`Atlas`: an embedded DuckDB database holding areas, crosswalks, counts, measures,
flows and the provenance of every loaded file."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from aankomst.errors import AankomstError, InputError, InputProblem
from aankomst.store.batch import ROW_COLUMN, LoadBatch
from aankomst.store.lock import AtlasBusyError
from aankomst.store.schema import DATA_TABLES, MIGRATIONS, SCHEMA_VERSION, TABLE_COLUMNS

#: Which code columns of a table must name a known area (level, layout, code column triples).
_AREA_REFS: dict[str, list[tuple[str, str, str]]] = {
    "population": [("level", "layout", "code")],
    "measures": [("level", "layout", "code")],
    "crosswalks": [],  # crosswalks may reference layouts without geometry/definitions
    "flows": [("origin_level", "origin_layout", "origin_code"), ("dest_level", "dest_layout", "dest_code")],
}


@dataclass
class LoadSummary:
    """What one batch put into the atlas.

    Attributes
    ----------
    source_id, family
        The batch's :attr:`~aankomst.store.batch.LoadBatch.source_id` and reader family.
    rows
        Rows the batch supplied over all tables (:attr:`LoadBatch.rows_loaded`; rows already
        supplied by an earlier source are counted but not stored again).
    areas
        Number of areas: area definitions loaded, or the number of distinct areas with counts
        or measures.
    years
        Years covered, ``"2012"`` or ``"2012–2024"`` (empty when the batch has no dated rows).
    warnings
        Non-fatal remarks of the reader and of the store.
    """

    source_id: str
    family: str
    rows: int
    areas: int
    years: str
    warnings: list[str]


def connect(path: str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file of an atlas; a file locked by another process raises
    :class:`~aankomst.store.lock.AtlasBusyError` (one clear message, no traceback).

    DuckDB allows one process that writes, or several that only read, per file.

    Parameters
    ----------
    path
        DuckDB file (created when missing and not ``read_only``), or ``":memory:"``.
    read_only
        Open for reading only.

    Returns
    -------
    duckdb.DuckDBPyConnection
        The raw connection (no schema check or migration: see :class:`Atlas`).

    Raises
    ------
    AtlasBusyError
        When another process holds a conflicting lock on the file.
    AankomstError
        For any other I/O problem opening the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> con = connect(str(pathlib.Path(tempfile.mkdtemp()) / "a.duckdb"))
    >>> con.execute("SELECT 42").fetchall()
    [(42,)]
    """
    try:
        return duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" not in text.lower():
            raise AankomstError(f"cannot open atlas {path!r}: {text.splitlines()[0]}") from exc
        pid = re.search(r"\(PID (\d+)\)", text)
        by = f" (PID {pid.group(1)})" if pid else ""
        raise AtlasBusyError(
            f"atlas {path!r}: another process{by} is writing this atlas, or has it open while this command "
            f"wants to {'read' if read_only else 'write'} it. Nothing was changed; try again when it has finished "
            "(a running 'aankomst serve' keeps the atlas open: stop it before a build)") from exc


class Atlas:
    """An atlas database (DuckDB file).

    Parameters
    ----------
    path
        File path; created (with the current schema) if it does not exist, unless read-only.
    read_only
        Open read-only (used by the web server); no migration is attempted.

    Raises
    ------
    AankomstError
        Read-only: the file does not exist or has another schema version than this Aankomst
        expects. Writable: the file's schema is newer than this Aankomst.
    AtlasBusyError
        When another process holds a conflicting lock on the file.

    Examples
    --------
    >>> atlas = Atlas(":memory:")  # a new, empty atlas with the current schema
    >>> atlas.schema_version() == SCHEMA_VERSION
    True
    >>> len(atlas.sources())
    0
    >>> atlas.close()

    An atlas also works as a context manager (closed at the end of the block):

    >>> with Atlas(":memory:") as atlas:
    ...     atlas.query("SELECT count(*) AS n FROM areas")["n"].tolist()
    [0]
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        if read_only and not Path(self.path).exists():
            raise AankomstError(
                f"atlas database {self.path!r} does not exist; create it with "
                "'aankomst build --data DIR --db FILE' or 'aankomst demo'"
            )
        self.con = connect(self.path, read_only=read_only)
        if not read_only:
            self.migrate()
        else:
            v = self.schema_version()
            if v != SCHEMA_VERSION:
                raise AankomstError(
                    f"atlas {self.path!r} has schema version {v}, this Aankomst expects "
                    f"{SCHEMA_VERSION}; open it once without read-only to migrate"
                )

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the connection (the atlas cannot be used afterwards).

        Returns
        -------
        None
        """
        self.con.close()

    def __enter__(self) -> Atlas:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        """Return the schema version of the database (0 for an empty file).

        Returns
        -------
        int
            The highest applied migration (:data:`~aankomst.store.schema.SCHEMA_VERSION` once
            migrated).
        """
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchall()[0][0]
        if not exists:
            return 0
        row = self.con.execute("SELECT max(version) FROM schema_version").fetchall()[0]
        return int(row[0] or 0)

    def migrate(self) -> int:
        """Apply pending migrations in one transaction each. Returns the resulting version.

        Returns
        -------
        int
            The schema version after migrating.

        Raises
        ------
        AankomstError
            When the file has a newer schema than this Aankomst.
        duckdb.Error
            When a migration fails (that migration is rolled back; earlier ones stay).
        """
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
            "description VARCHAR, applied_at TIMESTAMP)"
        )
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise AankomstError(
                f"atlas {self.path!r} has schema version {current}, newer than this Aankomst "
                f"({SCHEMA_VERSION}); upgrade Aankomst"
            )
        for version, description, sql in MIGRATIONS:
            if version <= current:
                continue
            self.con.execute("BEGIN TRANSACTION")
            try:
                self.con.execute(sql)
                self.con.execute(
                    "INSERT INTO schema_version VALUES (?, ?, ?)",
                    [version, description, datetime.now(UTC).replace(tzinfo=None)],
                )
                self.con.execute("COMMIT")
            except Exception:
                self.con.execute("ROLLBACK")
                raise
        return self.schema_version()

    # ------------------------------------------------------------------ reading
    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """Run a parameterised SQL query and return a DataFrame.

        Always pass values through ``params`` (``?`` or ``$name`` placeholders), never by
        formatting them into ``sql``.

        Parameters
        ----------
        sql
            SQL text with placeholders.
        params
            A sequence for ``?`` placeholders or a dict for ``$name`` placeholders.

        Returns
        -------
        pandas.DataFrame
            The result rows.

        Examples
        --------
        >>> with Atlas(":memory:") as atlas:
        ...     atlas.query("SELECT ? + 1 AS x", [41])["x"].tolist()
        [42]
        """
        return self.con.execute(sql, params or []).df()

    def table(self, name: str) -> pd.DataFrame:
        """Return a whole table (small tables only).

        Parameters
        ----------
        name
            A data table (:data:`~aankomst.store.schema.DATA_TABLES`), ``provenance``,
            ``settings`` or ``schema_version``.

        Returns
        -------
        pandas.DataFrame
            All rows and columns of the table.

        Raises
        ------
        AankomstError
            For any other table name.
        """
        if name not in (*DATA_TABLES, "provenance", "settings", "schema_version"):
            raise AankomstError(f"unknown table {name!r}")
        return self.con.execute(f'SELECT * FROM "{name}"').df()

    def setting(self, key: str, default: str | None = None) -> str | None:
        """Return a value from the ``settings`` table.

        Parameters
        ----------
        key
            Setting name, e.g. ``"small_cell_threshold"``.
        default
            Returned when the key is not set.

        Returns
        -------
        str or None
            The stored value (always text) or ``default``.
        """
        rows = self.con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchall()
        return rows[0][0] if rows else default

    def areas_gdf(self, level: str, layout: str | None = None, *, with_geometry_only: bool = False):
        """Areas of one level/layout as a GeoDataFrame in EPSG:31370 (``geometry`` from WKB).

        ``layout`` defaults to the current layout of the level (:data:`CURRENT_LAYOUT`). Rows
        without geometry are kept (empty geometry) unless ``with_geometry_only``.
        Note: DuckDB returns BLOBs as ``bytearray``; this converts them for shapely.

        Parameters
        ----------
        level
            Level name as stored (``municipality``, ``neighbourhood`` …; no aliases).
        layout
            Layout; default the level's current one.
        with_geometry_only
            Leave out areas without geometry.

        Returns
        -------
        geopandas.GeoDataFrame
            ``level, layout, code, name_nl, name_fr, name_en, area_km2, geometry`` ordered by
            code; coordinates in metres (Belgian Lambert 72), ``area_km2`` in km².
        """
        import geopandas as gpd
        import shapely

        from aankomst.store.schema import CURRENT_LAYOUT

        layout = layout or CURRENT_LAYOUT.get(level, "2025")
        df = self.query(
            "SELECT level, layout, code, name_nl, name_fr, name_en, area_km2, geometry FROM areas "
            "WHERE level = ? AND layout = ?" + (" AND geometry IS NOT NULL" if with_geometry_only else "")
            + " ORDER BY code",
            [level, layout],
        )
        geom = shapely.from_wkb([bytes(b) if isinstance(b, (bytes, bytearray, memoryview)) else None for b in df["geometry"]])
        return gpd.GeoDataFrame(df.drop(columns=["geometry"]), geometry=geom, crs=31370)

    def sources(self) -> pd.DataFrame:
        """Return the provenance table (one row per loaded file).

        Returns
        -------
        pandas.DataFrame
            ``load_id, source_id, family, title, publisher, path, url, sha256,
            reference_date, licence, privacy, loaded_at, rows_read, rows_loaded, warnings``
            (``warnings`` as JSON text), ordered by ``load_id``.
        """
        return self.query("SELECT * FROM provenance ORDER BY load_id")

    # ------------------------------------------------------------------ writing
    def load(self, batches: Iterable[LoadBatch], *, check_areas: bool = True,
             after: Callable[[Atlas], object] | None = None) -> list[LoadSummary]:
        """Write batches in **one transaction**: either all land or the database is unchanged.

        A batch whose ``source_id`` was loaded before replaces the earlier rows (idempotent
        re-runs). Batches with areas should come first when other batches refer to them.

        Parameters
        ----------
        batches
            The batches to write (see :class:`~aankomst.store.batch.LoadBatch`).
        check_areas
            Check that every area code of ``population``, ``measures`` and ``flows`` is defined
            at its level and layout (when the atlas has areas of that level and layout).
        after
            Called with the atlas after the batches are written and before the commit, inside
            the same transaction (derived tables such as the profile table of
            :mod:`aankomst.web.profile_table`: they commit or roll back with the data).

        Returns
        -------
        list of LoadSummary
            One per batch, in order. A batch's ``warnings`` list is extended with the store's
            remarks (rows already supplied by an earlier source, contradicting links).

        Raises
        ------
        AankomstError
            When the atlas is open read-only, or a batch has an unknown table or lacks columns.
        InputError
            When a table has the wrong columns, a count is negative or missing, or (with
            ``check_areas``) a row names an area code unknown at its level and layout while that
            level/layout has areas in the atlas.
        """
        if self.read_only:
            raise AankomstError("this atlas is open read-only")
        batches = list(batches)
        summaries: list[LoadSummary] = []
        self.con.execute("BEGIN TRANSACTION")
        try:
            # first remove every earlier load of the sources being (re)loaded, then insert: rows
            # shared by several sources (areas, crosswalks) are re-created by whichever comes first
            for batch in batches:
                self._forget_source(batch.source_id)
            for batch in batches:
                summaries.append(self._load_one(batch, check_areas=check_areas))
            if after is not None:
                after(self)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return summaries

    def _forget_source(self, source_id: str) -> None:
        olds = self.con.execute(
            "SELECT load_id FROM provenance WHERE source_id = ?", [source_id]
        ).fetchall()
        for (old,) in olds:
            for t in DATA_TABLES:
                self.con.execute(f"DELETE FROM {t} WHERE load_id = ?", [old])
            self.con.execute("DELETE FROM provenance WHERE load_id = ?", [old])

    def _load_one(self, batch: LoadBatch, *, check_areas: bool) -> LoadSummary:
        self._forget_source(batch.source_id)
        load_id = int(
            self.con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM provenance").fetchall()[0][0]
        )
        self.con.execute(
            "INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                load_id, batch.source_id, batch.family, batch.title, batch.publisher,
                batch.path, batch.url, batch.sha256, batch.reference_date, batch.licence,
                batch.privacy, datetime.now(UTC).replace(tzinfo=None),
                int(batch.rows_read), int(batch.rows_loaded), json.dumps(batch.warnings),
            ],
        )
        n_areas = 0
        years: set[str] = set()
        for name, df in batch.tables.items():
            if name not in TABLE_COLUMNS:
                raise AankomstError(f"reader for {batch.path} produced unknown table {name!r}")
            cols = TABLE_COLUMNS[name]
            missing = [c for c in cols if c not in df.columns]
            if missing:
                raise AankomstError(
                    f"reader for {batch.path} produced table {name!r} without columns {missing}"
                )
            if len(df) == 0:
                continue
            rows = df.get(ROW_COLUMN)
            if "count" in cols:
                _check_counts(batch.path, df, rows)
            if check_areas:
                self._check_area_refs(batch.path, name, df, rows)
            frame = df.loc[:, list(cols)].copy()
            frame["load_id"] = load_id
            if name in _UPSERT:
                frame = frame.drop_duplicates(list(_UPSERT[name][0]), keep="first")
            elif name in _KEYED:
                _check_batch_keys(batch.path, name, df, rows)
            self.con.register("_incoming", frame)
            try:
                collist = ", ".join(f'"{c}"' for c in (*cols, "load_id"))
                where = ""
                if name in _KEYED:
                    keys = _KEYED[name]
                    on = " AND ".join(f't."{k}" = i."{k}"' for k in keys)
                    val = "count" if name == "population" else "value"
                    n_dup, n_diff = self.con.execute(
                        f'SELECT count(*), count(*) FILTER (WHERE t."{val}" IS DISTINCT FROM i."{val}") '
                        f"FROM _incoming i JOIN {name} t ON {on}"
                    ).fetchall()[0]
                    if n_dup:
                        batch.warnings.append(
                            f"{n_dup} {name} row(s) were already supplied by an earlier source and were "
                            f"not loaded again ({n_diff} with a different value; the earlier source wins)"
                        )
                        where = f" i WHERE NOT EXISTS (SELECT 1 FROM {name} t WHERE {on})"
                        collist_i = ", ".join(f'i."{c}"' for c in (*cols, "load_id"))
                        self.con.execute(f"INSERT INTO {name} ({collist}) SELECT {collist_i} FROM _incoming{where}")
                if not where and name in _UPSERT:
                    self._upsert(name, cols, batch.warnings)
                elif not where:
                    self.con.execute(f"INSERT INTO {name} ({collist}) SELECT {collist} FROM _incoming")
            except duckdb.Error as exc:
                raise InputError(
                    batch.path,
                    f"rows for table {name!r} do not fit the atlas schema: {str(exc).splitlines()[0]}",
                    expected="see docs/schema.md for the columns and their constraints",
                ) from exc
            finally:
                try:
                    self.con.unregister("_incoming")
                except duckdb.Error:
                    pass
            if name == "areas":
                n_areas += len(frame)
            elif name in ("population", "measures"):
                n_areas = max(n_areas, int(frame[["level", "layout", "code"]].drop_duplicates().shape[0]))
            if name == "population":
                years |= {str(d)[:4] for d in pd.unique(frame["ref_date"].astype(str))}
            elif name == "measures":
                years |= {str(p)[:4] for p in pd.unique(frame["period"].astype(str))}
            elif name == "flows":
                years |= {str(y) for y in pd.unique(frame["year"])}
        pop = batch.tables.get("population")
        if pop is not None and len(pop) and pop["level"].nunique() > 1:
            self._check_totals(batch.path, pop, load_id)
        if batch.warnings:
            self.con.execute("UPDATE provenance SET warnings = ? WHERE load_id = ?", [json.dumps(batch.warnings), load_id])
        yrs = sorted(years)
        year_text = "" if not yrs else (yrs[0] if len(yrs) == 1 else f"{yrs[0]}–{yrs[-1]}")
        return LoadSummary(batch.source_id, batch.family, batch.rows_loaded, n_areas, year_text, batch.warnings)

    def _upsert(self, name: str, cols: tuple[str, ...], warnings: list[str]) -> None:
        """Insert ``_incoming`` into a keyed table shared by several sources (see :data:`_UPSERT`),
        with plain UPDATE + anti-join INSERT (DuckDB's ON CONFLICT DO UPDATE is avoided: it
        corrupted string segments in long transactions in DuckDB 2.0). Rows not loaded are
        reported by appending to ``warnings`` (the batch's warning list)."""
        keys, fill, overwrite = _UPSERT[name]
        on = " AND ".join(f't."{k}" = i."{k}"' for k in keys)
        sets = [f'"{c}" = coalesce(t."{c}", i."{c}")' for c in fill] + [f'"{c}" = i."{c}"' for c in overwrite]
        if sets:
            cond = " OR ".join([f'(t."{c}" IS NULL AND i."{c}" IS NOT NULL)' for c in fill] + ["TRUE" for _ in overwrite[:1]])
            self.con.execute(f"UPDATE {name} AS t SET {', '.join(sets)} FROM _incoming i WHERE {on} AND ({cond})")
        collist = ", ".join(f'"{c}"' for c in (*cols, "load_id"))
        collist_i = ", ".join(f'i."{c}"' for c in (*cols, "load_id"))
        extra = ""
        if name == "crosswalks":
            # a whole link that contradicts an earlier source's whole link (same unit, other parent
            # of the same level and layout) is not loaded; the batch says so
            clash = ("EXISTS (SELECT 1 FROM crosswalks t WHERE t.from_level = i.from_level AND t.from_layout = i.from_layout "
                     "AND t.from_code = i.from_code AND t.to_level = i.to_level AND t.to_layout = i.to_layout "
                     "AND t.to_code <> i.to_code AND NOT t.split AND NOT i.split AND i.to_level <> 'area_type')")
            rows = self.con.execute(
                f"SELECT i.from_level, i.from_layout, i.from_code, i.to_level, i.to_code FROM _incoming i WHERE {clash} "
                "ORDER BY 3 LIMIT 5").fetchall()
            if rows:
                n = self.con.execute(f"SELECT count(*) FROM _incoming i WHERE {clash}").fetchall()[0][0]
                ex = "; ".join(f"{r[0]} {r[1]} {r[2]} -> {r[3]} {r[4]}" for r in rows[:3])
                warnings.append(
                    f"{n} link(s) contradict a link of an earlier source and were not loaded (the earlier source wins), e.g. {ex}")
                extra = f" AND NOT {clash}"
        self.con.execute(
            f"INSERT INTO {name} ({collist}) SELECT {collist_i} FROM _incoming i "
            f"WHERE NOT EXISTS (SELECT 1 FROM {name} t WHERE {on}){extra}"
        )

    def _check_totals(self, path: str, pop: pd.DataFrame, load_id: int) -> None:
        """Within one batch, counts of units that nest (whole crosswalk links) in a unit that the
        batch also counts must not exceed it, and must equal it when every nested unit is there."""
        bad = self.con.execute(
            """
            WITH p AS (SELECT * FROM population WHERE load_id = ?),
            child AS (
                SELECT p.level AS c_level, p.layout AS c_layout, c.to_level, c.to_layout, c.to_code, p.ref_date,
                       p.scheme, p.grp, p.sex, p.age_band, sum(p.count) AS s, count(*) AS n
                FROM p JOIN crosswalks c ON c.from_level = p.level AND c.from_layout = p.layout
                     AND c.from_code = p.code AND NOT c.split
                GROUP BY ALL),
            expected AS (
                SELECT from_level, from_layout, to_level, to_layout, to_code, count(*) AS n_exp
                FROM crosswalks WHERE NOT split GROUP BY ALL)
            SELECT ch.c_level, ch.to_level, ch.to_code, ch.ref_date, ch.scheme, ch.grp, ch.sex, ch.age_band,
                   ch.s, par.count, ch.n, e.n_exp
            FROM child ch
            JOIN p par ON par.level = ch.to_level AND par.layout = ch.to_layout AND par.code = ch.to_code
                 AND par.ref_date = ch.ref_date AND par.scheme = ch.scheme AND par.grp = ch.grp
                 AND par.sex = ch.sex AND par.age_band = ch.age_band
            JOIN expected e ON e.from_level = ch.c_level AND e.from_layout = ch.c_layout
                 AND e.to_level = ch.to_level AND e.to_layout = ch.to_layout AND e.to_code = ch.to_code
            WHERE ch.s > par.count OR (ch.n = e.n_exp AND ch.s <> par.count)
            ORDER BY ch.to_code LIMIT 20
            """,
            [load_id],
        ).fetchall()
        if not bad:
            return
        problems = []
        rows = pop.get(ROW_COLUMN)
        for c_level, p_level, code, ref, scheme, grp, sex, age, s, cnt, n, n_exp in bad:
            m = (pop["level"] == p_level) & (pop["code"].astype(str) == code) & (pop["scheme"] == scheme) & (pop["grp"] == grp)
            idx = pop.index[m.to_numpy()]
            row = int(rows.loc[idx[0]]) if rows is not None and len(idx) else None
            problems.append(InputProblem(
                path, row, "count",
                f"totals contradict: the {n} {c_level} row(s) of {p_level} {code} ({ref}, {scheme}/{grp}, sex {sex}, "
                f"age {age}) add up to {int(s)}, but the {p_level} row says {int(cnt)}"
                + ("" if n == n_exp else f" (only {n} of its {n_exp} {c_level}s are in the file)"),
                f"the {p_level} count equal to the sum of its {c_level}s",
            ))
        raise InputError(path, problems[0].message, problems=problems)

    def _check_area_refs(self, path: str, name: str, df: pd.DataFrame, rows: pd.Series | None) -> None:
        for lcol, ycol, ccol in _AREA_REFS.get(name, []):
            keys = df[[lcol, ycol]].drop_duplicates()
            for lv, ly in keys.itertuples(index=False):
                if not isinstance(lv, str) or not isinstance(ly, str):
                    continue  # not an area (e.g. a flow from abroad)
                known = self.con.execute(
                    "SELECT count(*) FROM areas WHERE level = ? AND layout = ?", [lv, ly]
                ).fetchall()[0][0]
                if not known:
                    continue  # no definitions of that layout in the atlas: nothing to check against
                sub = df[(df[lcol] == lv) & (df[ycol] == ly)]
                codes = pd.DataFrame({"code": pd.unique(sub[ccol].astype(str))})
                self.con.register("_codes", codes)
                try:
                    unknown = self.con.execute(
                        "SELECT c.code FROM _codes c LEFT JOIN areas a ON a.level = ? AND a.layout = ? "
                        "AND a.code = c.code WHERE a.code IS NULL",
                        [lv, ly],
                    ).fetchall()
                finally:
                    self.con.unregister("_codes")
                if unknown:
                    bad = unknown[0][0]
                    idx = sub.index[sub[ccol].astype(str) == bad][0]
                    row = int(rows.loc[idx]) if rows is not None else None
                    raise InputError(
                        path,
                        f"unknown {lv} code {bad!r} (layout {ly}); {len(unknown)} unknown code(s) in all",
                        row=row,
                        column=ccol,
                        expected=f"a {lv} code of the {ly} layout, as in the area definitions",
                    )


#: Tables with a primary key that several sources may supply: (key columns, columns filled in
#: from a later source when still empty, columns a later source overwrites).
#: * ``areas``: the first source that defines an area owns it; later sources fill in empty names,
#:   area and geometry (a shapefile gives geometry, a Statbel file the French name).
#: * ``crosswalks``: the first source's link wins (identical links from several tables are common).
#: * ``measure_defs``: the last definition wins.
_UPSERT: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "areas": (("level", "layout", "code"), ("name_nl", "name_fr", "name_en", "area_km2", "geometry"), ()),
    "crosswalks": (("from_level", "from_layout", "from_code", "to_level", "to_layout", "to_code"), (), ()),
    "measure_defs": (("measure",), (), ("label_nl", "label_en", "definition", "unit", "higher_is")),
}


#: Tables without a primary key whose rows must still be unique on these columns (one figure per
#: area, date/period, scheme, group …). Within a batch a repeated key is an input error; across
#: sources the earlier source wins and the later batch gets a warning (never a double count).
_KEYED: dict[str, tuple[str, ...]] = {
    "population": ("level", "layout", "code", "ref_date", "scheme", "grp", "sex", "age_band"),
    "measures": ("level", "layout", "code", "measure", "period", "scheme", "grp"),
}


def _check_batch_keys(path: str, name: str, df: pd.DataFrame, rows: pd.Series | None) -> None:
    keys = list(_KEYED[name])
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        sub = df[dup]
        first = sub.iloc[0]
        same = sub[(sub[keys].astype(str) == first[keys].astype(str)).all(axis=1)]
        where = [int(rows.loc[i]) for i in same.index] if rows is not None else []
        key_text = ", ".join(f"{k}={first[k]!s}" for k in keys)
        raise InputError(
            path,
            f"duplicate key ({key_text})" + (f" on rows {where}" if where else "")
            + f"; {int(dup.sum())} {name} rows share a key in all",
            row=where[1] if len(where) > 1 else None,
            column=keys[-1],
            expected=f"one {name} row per {', '.join(keys)}",
        )


def _check_counts(path: str, df: pd.DataFrame, rows: pd.Series | None) -> None:
    counts = pd.to_numeric(df["count"], errors="coerce")
    bad = counts.isna() | (counts < 0) | (counts != counts.round())
    if bad.any():
        idx = df.index[bad.to_numpy()][0]
        row = int(rows.loc[idx]) if rows is not None else None
        raise InputError(
            path,
            f"count {df.loc[idx, 'count']!r} is not a non-negative whole number",
            row=row,
            column="count",
            expected="a count of persons: 0, 1, 2, …",
            problems=[
                InputProblem(
                    path,
                    int(rows.loc[i]) if rows is not None else None,
                    "count",
                    f"count {df.loc[i, 'count']!r} is not a non-negative whole number",
                    "a count of persons: 0, 1, 2, …",
                )
                for i in df.index[bad.to_numpy()][:20]
            ],
        )
