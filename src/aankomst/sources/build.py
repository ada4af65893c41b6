"""Build an atlas from a directory of files: recognise, read and validate everything, then load
all batches in one transaction (:func:`build_atlas`)."""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from aankomst.errors import AankomstError, InputError, InputProblem
from aankomst.sources.base import LoadBatch
from aankomst.sources.catalogue import Scan, scan


@dataclass
class BuildReport:
    """What :func:`build_atlas` did.

    Attributes
    ----------
    db_path
        The atlas file written.
    sources
        One row per loaded source: ``source_id, family, file, rows, areas, years, warnings``.
    documentation, unknown, mismatched
        Files listed as documentation, files no reader recognises, files whose name matched a
        family but whose content did not (reported, never silently skipped).
    seconds
        Wall-clock time of the build (read + load), in seconds.
    checks
        Results of the hierarchy checks (see :func:`aankomst.store.layouts.hierarchy_report`).
    """

    db_path: str
    sources: pd.DataFrame
    documentation: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    read_seconds: float = 0.0
    checks: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return (f"atlas {self.db_path}: {len(self.sources)} sources, {int(self.sources['rows'].sum()) if len(self.sources) else 0} rows "
                f"in {self.seconds:.1f} s; {len(self.documentation)} documentation file(s), {len(self.unknown)} unknown file(s)")


def _progress(enabled: bool):
    if not enabled:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.fields[file]}"), transient=False)


def builtin_batches(batches: list[LoadBatch]) -> list[LoadBatch]:
    """Package tables loaded with every build: measure definitions (``data/measures.csv``, plus a
    bare row for any measure id a reader produced that neither it nor
    ``data/deprivation_measures.csv`` defines; the latter is added once, as the batch
    ``aankomst/deprivation_measures``, when deprivation measures were read) and the area types of
    ``aankomst.indicators.area_types`` (when that module exists)."""
    from aankomst.paths import package_data
    from aankomst.sources.base import sha256_file
    from aankomst.sources.meta import measure_defs

    out: list[LoadBatch] = []
    defs = measure_defs()
    seen = set()
    for b in batches:
        m = b.tables.get("measures")
        if m is not None and len(m):
            for mid, unit in m[["measure", "unit"]].drop_duplicates("measure").itertuples(index=False):
                seen.add((mid, unit))
    # the deprivation readers' measures are defined in their own package table, added once here
    dep_batch = None
    dep_ids: set[str] = set()
    try:
        dep = importlib.import_module("aankomst.sources.deprivation")
        dep_ids = set(dep.measure_definitions()["measure"])
        if any(mid in dep_ids for mid, _ in seen) and not any(b.source_id == "aankomst/deprivation_measures" for b in batches):
            dep_batch = dep.defs_batch()
    except ImportError:
        pass
    extra = [(mid, unit) for mid, unit in sorted(seen) if mid not in set(defs["measure"]) and mid not in dep_ids]
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
    try:
        mod = importlib.import_module("aankomst.indicators.area_types")
        fn = getattr(mod, "batches", None)
        if fn is not None:
            out += list(fn())
    except ImportError:
        pass
    return out


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


def build_atlas(data_dir: str | Path, db_path: str | Path, *, progress: bool = True) -> BuildReport:
    """Build (or refresh) the atlas ``db_path`` from every recognised file under ``data_dir``.

    Every file is read and validated first; if any is bad, an :class:`InputError` lists every
    problem (file, row, column, expected form) and the database is not touched. Otherwise all
    batches are loaded in one transaction; a source loaded before is replaced, so re-running is
    idempotent. Unknown files and documentation are listed in the report.

    Parameters
    ----------
    data_dir
        Directory with official files (e.g. the mirror ``../shared/data``) and/or files in the
        Aankomst CSV formats.
    db_path
        Atlas database file (created when absent).
    progress
        Show a Rich progress display.

    Returns
    -------
    BuildReport
    """
    from aankomst.store.atlas import Atlas
    from aankomst.store.layouts import derive_links, hierarchy_report

    t0 = time.perf_counter()
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise AankomstError(f"data directory {str(data_dir)!r} does not exist; download the files with 'aankomst fetch --to DIR'")
    sc = scan(data_dir)
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
        summaries = atlas.load(batches)
        checks = hierarchy_report(atlas)
    by_id = {b.source_id: b for b in batches}
    rows = [{"source_id": s.source_id, "family": s.family, "file": Path(by_id[s.source_id].path).name, "rows": s.rows,
             "areas": s.areas, "years": s.years, "warnings": "; ".join(s.warnings)} for s in summaries]
    return BuildReport(
        db_path=str(db_path), sources=pd.DataFrame(rows, columns=["source_id", "family", "file", "rows", "areas", "years", "warnings"]),
        documentation=[str(p.relative_to(data_dir)) for p in sc.documentation],
        unknown=[str(p.relative_to(data_dir)) for p in sc.unknown],
        mismatched=[(str(p.relative_to(data_dir)), n) for p, n in sc.mismatched],
        seconds=time.perf_counter() - t0, read_seconds=t_read, checks=checks,
    )
