"""Build an atlas from a directory of files: recognise, read and validate everything, then load
all batches in one transaction (:func:`build_atlas`).

Every file of the directory is loaded, listed as documentation (or as a part of a shapefile, or
as a known family without a reader yet), or an error; a build holds the atlas's writer lock
(:func:`aankomst.store.lock.writer_lock`) from start to end, so a second build of the same atlas
waits or stops at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from aankomst.errors import AankomstError, InputError, InputProblem
from aankomst.sources.base import sha256_file
from aankomst.sources.catalogue import Scan, scan
from aankomst.sources.derived import derive_links
from aankomst.store.batch import LoadBatch
from aankomst.store.lock import lock_path, writer_lock


@dataclass
class BuildReport:
    """What :func:`build_atlas` did.

    Attributes
    ----------
    db_path
        The atlas file written.
    sources
        One row per loaded source: ``source_id, family, file, rows, areas, years, warnings``.
    documentation
        Documentation files (listed, not loaded).
    parts
        Parts of shapefiles (``.dbf``, ``.shx``, ``.prj``, …), read with their ``.shp``.
    deferred
        Files of a known family without a reader yet, with the note shown.
    unknown, mismatched
        With ``skip_unknown`` only (otherwise they stop the build): files no reader recognises,
        and files whose name matched a family but whose content did not, with the reason.
    seconds
        Wall-clock time of the build (read + load), in seconds.
    checks
        Results of the hierarchy checks (see :func:`aankomst.store.layouts.hierarchy_report`).
    """

    db_path: str
    sources: pd.DataFrame
    documentation: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    read_seconds: float = 0.0
    checks: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return (f"atlas {self.db_path}: {len(self.sources)} sources, {int(self.sources['rows'].sum()) if len(self.sources) else 0} rows "
                f"in {self.seconds:.1f} s; {len(self.documentation)} documentation file(s), {len(self.deferred)} known "
                f"but not loaded, {len(self.unknown) + len(self.mismatched)} skipped")


def _progress(enabled: bool) -> Any:
    if not enabled:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.fields[file]}"), transient=False)


def builtin_batches(batches: list[LoadBatch]) -> list[LoadBatch]:
    """Package tables loaded with every build: measure definitions (``data/measures.csv``, plus a
    bare row for any measure id a reader produced that neither it, nor
    ``data/deprivation_measures.csv``, nor the reader's own ``measure_defs`` table defines; the
    deprivation table is added once, as the batch
    ``aankomst/deprivation_measures``, when deprivation measures were read) and the area types of
    :func:`aankomst.sources.area_types.batches`."""
    from aankomst.sources.area_types import batches as area_type_batches
    from aankomst.paths import package_data
    from aankomst.sources import deprivation as dep
    from aankomst.sources.meta import measure_defs

    out: list[LoadBatch] = []
    defs = measure_defs()
    seen: set[tuple[str, str]] = set()
    for b in batches:
        m = b.tables.get("measures")
        if m is not None and len(m):
            for mid, unit in m[["measure", "unit"]].drop_duplicates("measure").itertuples(index=False):
                seen.add((mid, unit))
    # the deprivation readers' measures are defined in their own package table, added once here
    dep_batch = None
    dep_ids = set(dep.measure_definitions()["measure"])
    if any(mid in dep_ids for mid, _ in seen) and not any(b.source_id == "aankomst/deprivation_measures" for b in batches):
        dep_batch = dep.defs_batch()
    own = {m for b in batches if "measure_defs" in b.tables for m in b.tables["measure_defs"]["measure"]}
    extra = [(mid, unit) for mid, unit in sorted(seen)
             if mid not in set(defs["measure"]) and mid not in dep_ids and mid not in own]
    if extra:
        defs = pd.concat([defs, pd.DataFrame({"measure": [e[0] for e in extra], "label_nl": [e[0] for e in extra],
                                              "label_en": [e[0] for e in extra], "definition": "as published (column name)",
                                              "unit": [e[1] for e in extra], "higher_is": None})], ignore_index=True)
    p = package_data("measures.csv")
    out.append(LoadBatch(source_id="aankomst/measure_defs", family="package", path=str(p), sha256=sha256_file(p),
                         tables={"measure_defs": defs}, title="Measure definitions (Aankomst)", publisher="Aankomst",
                         rows_read=len(defs)))
    if dep_batch is not None:
        out.append(dep_batch)
    return out + list(area_type_batches())


def read_all(sc: Scan, progress: Any = None) -> tuple[list[LoadBatch], list[InputProblem]]:
    """Run every recognised file's reader; collect problems instead of stopping at the first."""
    batches: list[LoadBatch] = []
    problems: list[InputProblem] = []
    task = progress.add_task("reading", total=len(sc.data), file="") if progress else None
    for path, rec in sc.data:
        if progress:
            progress.update(task, file=path.name)
        try:
            batches += rec.reader(path)
        except InputError as exc:
            problems += exc.problems
        except AankomstError as exc:
            problems.append(InputProblem(str(path), None, None, str(exc)))
        if progress:
            progress.advance(task)
    return batches, problems


def build_atlas(data_dir: str | Path, db_path: str | Path, *, progress: bool = True, skip_unknown: bool = False,
                wait: float = 0.0, after: Callable[[Any], object] | None = None) -> BuildReport:
    """Build (or refresh) the atlas ``db_path`` from every file under ``data_dir``.

    Every file must be accounted for: read by a reader, documentation (README*, LICENSE*, *.md,
    *.pdf …), a part of a shapefile, or a known family without a reader yet. A file whose name
    matches a family but whose content does not (e.g. an HTML error page saved as
    ``OPEN DATA_SECTOREN_2019.xlsx``) and a file nothing recognises are errors, unless
    ``skip_unknown``. Then every file is read and validated; if any is bad, an
    :class:`InputError` lists every problem (file, row, column, expected form) and the database
    is not touched. Otherwise all batches are loaded in one transaction; a source loaded before
    is replaced, so re-running is idempotent.

    The build holds the atlas's writer lock from start to end: a second build of the same atlas
    waits up to ``wait`` seconds, then stops with
    :class:`~aankomst.store.lock.AtlasBusyError` without touching the atlas.

    Parameters
    ----------
    data_dir
        Directory with official files (e.g. the mirror ``../shared/data``) and/or files in the
        Aankomst CSV formats.
    db_path
        Atlas database file (created when absent).
    progress
        Show a Rich progress display.
    skip_unknown
        List unrecognised and mismatched files in the report and build without them, instead of
        stopping (the behaviour before this check).
    wait
        Seconds to wait for another process writing the same atlas.
    after
        Called with the atlas inside the load's transaction, after the batches are written
        (``aankomst build`` rebuilds the profile table of :mod:`aankomst.web.profile_table` there).

    Returns
    -------
    BuildReport

    Raises
    ------
    InputError
        For unrecognised or mismatched files (without ``skip_unknown``) and for bad content.
    AtlasBusyError
        When another process is writing the atlas.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "population.csv").write_text("level;layout;code;ref_date;scheme;grp;count\\r\\n"
    ...                                       "municipality;2025;11002;2024-01-01;total;total;530000\\r\\n")
    >>> build_atlas(d, d / "atlas.duckdb", progress=False).sources["source_id"].tolist()[0]
    'user/population.csv'
    """
    from aankomst.store.atlas import Atlas
    from aankomst.store.layouts import hierarchy_report

    t0 = time.perf_counter()
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise AankomstError(f"data directory {str(data_dir)!r} does not exist; download the files with 'aankomst fetch --to DIR'")
    with writer_lock(db_path, wait=wait, command=f"aankomst build --data {data_dir}"):
        db = Path(db_path)
        sc = scan(data_dir, ignore=[db, lock_path(db), db.with_name(db.name + ".wal")])
        if sc.problems and not skip_unknown:
            first = sc.problems[0]
            raise InputError(first.file, first.message, problems=sc.problems)
        prog = _progress(progress)
        if prog:
            prog.start()
        try:
            batches, problems = read_all(sc, prog)
        finally:
            if prog:
                prog.stop()
        if problems:
            first = problems[0]
            raise InputError(first.file, first.message, problems=problems)
        derived = derive_links(batches)
        batches = batches + ([derived] if derived is not None else [])
        batches += builtin_batches(batches)
        t_read = time.perf_counter() - t0
        with Atlas(db_path) as atlas:
            summaries = atlas.load(batches, after=after)
            checks = hierarchy_report(atlas)
    by_id = {b.source_id: b for b in batches}
    rows = [{"source_id": s.source_id, "family": s.family, "file": Path(by_id[s.source_id].path).name, "rows": s.rows,
             "areas": s.areas, "years": s.years, "warnings": "; ".join(s.warnings)} for s in summaries]

    def rel(p: Path) -> str:
        return str(p.relative_to(data_dir))

    return BuildReport(
        db_path=str(db_path), sources=pd.DataFrame(rows, columns=["source_id", "family", "file", "rows", "areas", "years", "warnings"]),
        documentation=[rel(p) for p in sc.documentation],
        parts=[rel(p) for p in sc.parts],
        deferred=[(rel(p), n) for p, n in sc.deferred],
        unknown=[rel(p) for p in sc.unknown],
        mismatched=[(rel(p), n) for p, n in sc.mismatched],
        seconds=time.perf_counter() - t0, read_seconds=t_read, checks=checks,
    )
