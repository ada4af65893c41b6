"""Reports for every area of a level inside an area (e.g. every municipality of East
Flanders), built in parallel, with an index page.

Each worker process opens the atlas read-only and one chromium and keeps both, with the
cached values of whole levels, for all the reports it builds: after its first report a
worker only picks values out of its cache, draws maps and prints. Workers are *spawned*
(never forked: a forked DuckDB instance is not safe to use).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aankomst.errors import AankomstError, MissingInputError
from aankomst.web.report import FORMATS, ReportContext, area_name, report_filename, resolve_area
from aankomst.web.report_text import TemplateFolder, check_lang


@dataclass
class Job:
    """One report of a batch: area code and name, and where it goes."""

    code: str
    name: str
    level: str
    lang: str
    fmt: str
    out_dir: str


class SharedService:
    """A :class:`~aankomst.web.service.Service` whose values are also kept in a folder shared by
    the processes of one batch: the first process to compute a level's values writes them
    (pickled, atomically), the others read them instead of computing them again.

    Parameters
    ----------
    atlas_path
        The atlas file (scopes the in-memory cache, as for the web server).
    folder
        The shared folder (a temporary folder of the batch).

    Examples
    --------
    >>> svc = SharedService.make("atlas.duckdb", "/tmp/batch-cache")  # doctest: +SKIP
    """

    @staticmethod
    def make(atlas_path: str, folder: str | Path) -> Any:
        """A service computing through the shared folder ``folder``."""
        from aankomst.web.service import Service

        class _Shared(Service):
            def _memo(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
                key = tuple(tuple(sorted(k.items())) if isinstance(k, dict) else k for k in key)
                return self.cache.get_or_make(("shared", *key), lambda: _through(folder, key, make))

            def periods(self, atlas: Any, ind: str, level: str, group: str | None = None,
                        scheme: str | None = None, params: Any = None) -> list[str]:
                return self._memo(("periods", ind, level, group, scheme, params),  # type: ignore[no-any-return]
                                  lambda: super(_Shared, self).periods(atlas, ind, level, group, scheme, params))

            def compute(self, atlas: Any, ind: str, level: str, period: str, group: str | None = None,
                        scheme: str | None = None, params: Any = None) -> Any:
                return self._memo(("values", ind, level, str(period), group, scheme, params),
                                  lambda: super(_Shared, self).compute(atlas, ind, level, period, group, scheme,
                                                                       params))

        return _Shared(atlas_path)


def _through(folder: str | Path, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """``make()`` once for all processes sharing ``folder``: read its pickled answer (or error
    message) when present, else compute and write it atomically."""
    import hashlib
    import os
    import pickle

    path = Path(folder) / (hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest() + ".pkl")
    if path.exists():
        kind, value = pickle.loads(path.read_bytes())
        if kind == "error":
            raise AankomstError(value)
        return value
    try:
        kind, value = "ok", make()
    except AankomstError as exc:
        kind, value = "error", str(exc)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps((kind, value)))
    os.replace(tmp, path)  # atomic: a reader sees the whole answer or none
    if kind == "error":
        raise AankomstError(value)
    return value


def areas_within(atlas: Any, level: str, within: str | None = None) -> list[dict[str, str]]:
    """The areas of ``level`` (current layout) inside the area ``within`` (any level), by the
    hierarchy's :meth:`~aankomst.store.hierarchy.Hierarchy.parent_map`; every area of the
    level when ``within`` is ``None``.

    Returns
    -------
    list of dict
        ``code`` and ``name`` (Dutch or French official name), by code.

    Raises
    ------
    UnknownCodeError
        An unknown level or ``within`` code (with close matches).
    AankomstError
        When no area of ``level`` lies inside ``within``.

    Examples
    --------
    >>> len(areas_within(atlas, "municipality", "70000"))  # doctest: +SKIP
    38
    """
    from aankomst.store.hierarchy import Hierarchy, resolve_level

    lv, layout = resolve_level(level)
    df = atlas.query("SELECT code, name_nl, name_fr FROM areas WHERE level = ? AND layout = ? ORDER BY code",
                     [lv, layout])
    if within:
        host = resolve_area(atlas, within)
        if (host["level"], host["layout"]) == (lv, layout):
            df = df[df["code"] == host["code"]]
        else:
            try:
                links = Hierarchy(atlas).parent_map((lv, layout), (host["level"], host["layout"]))
                inside = set(links.loc[links["parent"].astype(str) == host["code"], "code"].astype(str))
            except MissingInputError:  # no crosswalk leads from the level up to the host's level
                inside = set()
            df = df[df["code"].astype(str).isin(inside)]
        if df.empty:
            raise AankomstError(f"no {lv} areas lie inside {within!r} ({host['name']}, {host['level']}); "
                                f"give a --within code of a coarser level than {lv}, e.g. a province (40000)")
    return [{"code": str(r.code), "name": area_name({"name_nl": r.name_nl, "name_fr": r.name_fr}, "nl")}
            for r in df.itertuples(index=False)]


# --------------------------------------------------------------------------- worker side
_WORKER: dict[str, Any] = {}


def _init_worker(db: str, template_dir: str | None, fmt: str, shared: str | None = None) -> None:
    """Open the atlas (read-only) and, for PDF, one chromium in this worker process; with
    ``shared``, compute values through that folder (:class:`SharedService`)."""
    from multiprocessing import util

    import aankomst
    from aankomst.web.report_pdf import PdfRenderer

    atlas = aankomst.open(db, read_only=True)
    svc = SharedService.make(db, shared) if shared else None
    ctx = ReportContext(atlas, svc, template_dir, owns_atlas=True)
    _WORKER["ctx"] = ctx
    renderer = PdfRenderer() if fmt == "pdf" else None
    _WORKER["renderer"] = renderer
    if renderer is not None:
        util.Finalize(renderer, renderer.close, exitpriority=10)
    util.Finalize(ctx, ctx.close, exitpriority=5)


def _close_worker() -> None:
    if _WORKER.get("renderer") is not None:
        _WORKER.pop("renderer").close()
    if _WORKER.get("ctx") is not None:
        _WORKER.pop("ctx").close()


def build_one(job: Job) -> dict[str, Any]:
    """Build and write one report in this worker (see :func:`_init_worker`).

    Returns
    -------
    dict
        ``code, name, file, seconds, error`` (``error``: the message of an Aankomst error, the
        report is then missing; other exceptions propagate).
    """
    t0 = time.perf_counter()
    ctx: ReportContext = _WORKER["ctx"]
    name = report_filename(job.code, job.lang, job.fmt)
    try:
        out = ctx.build(job.code, job.level, job.lang, job.fmt, renderer=_WORKER.get("renderer"))
    except AankomstError as exc:
        return {"code": job.code, "name": job.name, "file": None, "seconds": time.perf_counter() - t0,
                "error": str(exc)}
    path = Path(job.out_dir) / name
    if isinstance(out, bytes):
        path.write_bytes(out)
    else:
        path.write_text(out, encoding="utf-8")
    return {"code": job.code, "name": job.name, "file": name, "seconds": time.perf_counter() - t0, "error": None}


# --------------------------------------------------------------------------- the batch
def build_batch(db: str | Path, level: str, out_dir: str | Path, *, within: str | None = None,
                lang: str = "nl", fmt: str = "pdf", template_dir: str | Path | None = None,
                workers: int = 2, progress: Callable[[dict[str, Any], int, int], None] | None = None
                ) -> list[dict[str, Any]]:
    """Reports of every area of ``level`` inside ``within``, and ``index.html`` linking them.

    Parameters
    ----------
    db
        The atlas file (each worker opens it read-only).
    level
        Level of the reports, e.g. ``municipality``.
    out_dir
        Folder for the reports and ``index.html`` (created when missing).
    within
        Code of any area containing them, e.g. ``40000`` (East Flanders); ``None``: all.
    lang, fmt, template_dir
        Language (``nl``/``fr``/``en``), ``pdf`` or ``html``, and a template folder overriding
        the packaged one.
    workers
        Processes (each with its own atlas connection and chromium); 1 builds in this process.
    progress
        Called after each report with ``(result, done, total)``.

    Returns
    -------
    list of dict
        One result per area (``code, name, file, seconds, error``), by code.

    Examples
    --------
    >>> build_batch("atlas.duckdb", "municipality", "reports/", within="70000")  # doctest: +SKIP
    """
    import aankomst

    check_lang(lang)
    if fmt not in FORMATS:
        raise AankomstError(f"report format {fmt!r} is not available; use pdf or html")
    if workers < 1:
        raise AankomstError(f"--workers {workers}: give 1 or more worker processes")
    folder = TemplateFolder(template_dir)  # a bad template folder fails here, before any work
    atlas = aankomst.open(str(db), read_only=True)
    try:
        areas = areas_within(atlas, level, within)
        host = resolve_area(atlas, within) if within else None
    finally:
        atlas.close()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [Job(a["code"], a["name"], level.split("@")[0], lang, fmt, str(out)) for a in areas]
    results = _run(jobs, str(db), str(template_dir) if template_dir else None, fmt, workers, progress)
    results.sort(key=lambda r: r["code"])
    write_index(out, results, folder, lang=lang, level=level.split("@")[0],
                host=area_name(host, lang) if host else None, atlas_file=Path(str(db)).name)
    return results


def _run(jobs: list[Job], db: str, template_dir: str | None, fmt: str, workers: int,
         progress: Callable[[dict[str, Any], int, int], None] | None) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []

    def done(r: dict[str, Any]) -> None:
        results.append(r)
        if progress is not None:
            progress(r, len(results), len(jobs))

    if workers == 1 or len(jobs) <= 1:
        _init_worker(db, template_dir, fmt)
        try:
            for job in jobs:
                done(build_one(job))
        finally:
            _close_worker()
        return results
    import multiprocessing
    import tempfile
    from concurrent.futures import ProcessPoolExecutor, as_completed

    n = min(workers, len(jobs))
    with tempfile.TemporaryDirectory(prefix="aankomst-report-") as shared, ProcessPoolExecutor(
            max_workers=n, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
            initargs=(db, template_dir, fmt, shared)) as pool:
        # the workers start (imports, atlas, chromium) while this process computes the values
        # of the first report into the shared folder: every worker then reads them
        starting = [pool.submit(_ready) for _ in range(n)]
        warm(db, template_dir, shared, jobs[0])
        for ready in starting:
            ready.result()
        futures = [pool.submit(build_one, job) for job in jobs]
        for f in as_completed(futures):
            done(f.result())
    return results


def _ready() -> bool:
    return "ctx" in _WORKER


def warm(db: str, template_dir: str | None, shared: str, job: Job) -> None:
    """Collect the report of ``job`` in this process through the shared folder, so that the
    values of its levels (key figures, series, maps) are computed once for the batch."""
    import aankomst

    atlas = aankomst.open(db, read_only=True)
    try:
        ReportContext(atlas, SharedService.make(db, shared), template_dir).collect(job.code, job.level, job.lang)
    except AankomstError:
        pass  # the worker that builds this report will say what is wrong
    finally:
        atlas.close()


def write_index(out: Path, results: list[dict[str, Any]], folder: TemplateFolder, *, lang: str, level: str,
                host: str | None, atlas_file: str) -> Path:
    """Write ``index.html`` (template ``index.html``) linking every report of a batch."""
    from aankomst.web.report import template_env

    levels = folder.text("levels_" + level, lang) if ("levels_" + level) in folder.strings else level
    title = f"{levels[:1].upper()}{levels[1:]}" + (f" \u2013 {host}" if host else "")

    def t(key: str, **kw: Any) -> str:
        return folder.text(key, lang, **kw)

    html = template_env(folder).get_template("index.html").render(
        title=title, lang=lang, generated=folder.today(lang), logo=folder.data_uri(str(folder.settings.get("logo") or "")),
        css=folder.css(), rows=results, t=t, atlas=atlas_file)
    path = out / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
