"""CLI: ``aankomst report CODE --db FILE --format pdf|html --out FILE`` — one area report — and
``aankomst report --all --level municipality --within 40000 --out DIR`` — every area of a
level inside an area, in parallel, with an index page. See ``docs/reports.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def register(app: typer.Typer) -> None:
    """Add ``report`` to the app."""

    @app.command("report")
    def report_cmd(
        code: str | None = typer.Argument(None, help="area code, e.g. 41002 (Aalst) or 11002A (a neighbourhood); "
                                          "leave out with --all"),
        db: Path = typer.Option(..., "--db", help="atlas database (DuckDB file), opened read-only"),
        level: str | None = typer.Option(None, "--level", "-l", help="level of the code when it is ambiguous "
                                         "(municipality, neighbourhood …); with --all: the level of the reports"),
        fmt: str = typer.Option("pdf", "--format", "-f", help="pdf (A4, headless chromium) or html (one self-contained file)"),
        out: Path | None = typer.Option(None, "--out", "-o", help="output file (one report; default "
                                        "aankomst_rapport_CODE_LANG.FORMAT) or folder (--all; default reports/)"),
        lang: str = typer.Option("nl", "--lang", help="nl, fr or en"),
        template_dir: Path | None = typer.Option(None, "--template-dir", help="folder whose files override the "
                                                 "packaged report templates (logo.svg, report.css, strings.csv, "
                                                 "report.json, report.html …)"),
        all_: bool = typer.Option(False, "--all", help="one report per area of --level (inside --within)"),
        within: str | None = typer.Option(None, "--within", help="with --all: code of any area containing them, "
                                          "e.g. 40000 (East Flanders)"),
        workers: int = typer.Option(2, "--workers", help="with --all: worker processes (each with one chromium)"),
    ) -> None:
        """Printable area report(s): key figures beside the municipality, area type and region,
        arrival typology, neighbourhoods in difficulty, maps, time series, definitions, sources."""
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError

        if lang not in ("nl", "fr", "en"):
            raise typer.BadParameter(f"--lang {lang!r}: use nl, fr or en")
        if fmt not in ("pdf", "html"):
            raise typer.BadParameter(f"--format {fmt!r}: use pdf or html")
        if not Path(db).exists():
            fail(AankomstError(f"atlas database {str(db)!r} does not exist; build it with "
                               "'aankomst build --data DIR --db FILE' or 'aankomst demo'"))
        if all_ == (code is not None):
            raise typer.BadParameter("give an area CODE, or --all --level LEVEL [--within CODE] for many reports")
        if all_ and not level:
            raise typer.BadParameter("--all needs --level, e.g. --all --level municipality --within 40000")
        if within and not all_:
            raise typer.BadParameter("--within goes with --all (one report per area inside it)")
        try:
            if all_:
                _batch(db, str(level), within, out or Path("reports"), fmt, lang, template_dir, workers)
            else:
                _single(db, str(code), level, out, fmt, lang, template_dir)
        except AankomstError as exc:
            fail(exc)


def _single(db: Path, code: str, level: str | None, out: Path | None, fmt: str, lang: str,
            template_dir: Path | None) -> None:
    import time

    from aankomst.web.report import ReportContext, report_filename

    t0 = time.perf_counter()
    with ReportContext.open(db, template_dir) as ctx:
        doc = ctx.build(code, level, lang, fmt)
    path = out or Path(report_filename(code, lang, fmt))
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(doc, bytes):
        path.write_bytes(doc)
    else:
        path.write_text(doc, encoding="utf-8")
    typer.echo(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB, {time.perf_counter() - t0:.1f} s)", err=True)


def _batch(db: Path, level: str, within: str | None, out: Path, fmt: str, lang: str,
           template_dir: Path | None, workers: int) -> None:
    import time

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from aankomst.web.report_batch import build_batch

    console = Console(stderr=True)
    t0 = time.perf_counter()
    with Progress(TextColumn("[bold]reports"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), TextColumn("{task.description}"), console=console) as bar:
        task = bar.add_task("opening the atlas …", total=None)

        def progress(r: dict[str, Any], done: int, total: int) -> None:
            status = "[red]failed" if r["error"] else f"{r['seconds']:.1f} s"
            bar.update(task, completed=done, total=total, description=f"{r['code']} {r['name']} ({status})")

        results = build_batch(db, level, out, within=within, lang=lang, fmt=fmt, template_dir=template_dir,
                              workers=workers, progress=progress)
    failed = [r for r in results if r["error"]]
    console.print(f"wrote {len(results) - len(failed)} reports and {out / 'index.html'} in "
                  f"{time.perf_counter() - t0:.1f} s", highlight=False)
    for r in failed:
        console.print(f"[red]failed[/] {r['code']} {r['name']}: {r['error']}", highlight=False)
    if failed:
        raise typer.Exit(1)
