"""CLI: ``aankomst build``, ``fetch``, ``sql``, ``sources`` (foundation)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from rich.table import Table


def _table(title: str, df: pd.DataFrame, columns: list[str] | None = None, max_rows: int = 200) -> Table:
    from rich.table import Table

    t = Table(title=title, show_lines=False)
    cols = columns or [str(c) for c in df.columns]
    for c in cols:
        t.add_column(c, overflow="fold")
    for row in df[cols].head(max_rows).itertuples(index=False):
        t.add_row(*["" if v is None else str(v) for v in row])
    return t


def build_cmd(
    data: Path = typer.Option(..., "--data", help="Directory with official files and/or Aankomst CSV files."),
    db: Path = typer.Option(..., "--db", help="Atlas database file (created when absent)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress display."),
    skip_unknown: bool = typer.Option(False, "--skip-unknown",
                                      help="List files no reader recognises (or whose content does not match their "
                                           "name) and build without them, instead of stopping."),
    wait: float = typer.Option(0.0, "--wait", min=0.0,
                               help="Seconds to wait when another process is writing the same atlas (default: stop at once)."),
    profiles: bool = typer.Option(True, "--profiles/--no-profiles",
                                  help="Precompute every area's profile for the web atlas, inside the load's transaction "
                                       "(minutes on the whole mirror); without it profiles are computed on the fly."),
) -> None:
    """Ingest every file in DIR into the atlas (one transaction; re-running is idempotent).

    Every file is loaded, listed as documentation, or an error that names it; one build at a time
    writes an atlas."""
    from rich.console import Console

    from aankomst.cli._common import fail
    from aankomst.errors import AankomstError
    from aankomst.plugins import install
    from aankomst.sources.build import build_atlas
    from aankomst.web.profile_table import TableReport, refresh

    install()  # every indicator, so that the profile table holds them all
    console = Console()
    try:
        tables: list[TableReport] = []  # the profile table, rebuilt inside the load's transaction
        report = build_atlas(data, db, progress=not quiet, skip_unknown=skip_unknown, wait=wait,
                             after=(lambda atlas: tables.append(refresh(atlas))) if profiles else None)
    except AankomstError as exc:
        fail(exc)
        return
    src = report.sources.copy()
    src["warnings"] = src["warnings"].str.slice(0, 160)
    console.print(_table("Loaded sources", src, ["source_id", "family", "rows", "areas", "years", "warnings"]))
    if report.documentation:
        console.print(f"[dim]documentation (not loaded): {', '.join(report.documentation)}[/]")
    if report.parts:
        console.print(f"[dim]{len(report.parts)} shapefile part(s) (.dbf, .shx, .prj, …) read with their .shp[/]")
    for f, note in report.deferred:
        console.print(f"[dim]{f}: {note}[/]")
    for f, note in report.mismatched:
        console.print(f"[yellow]skipped (--skip-unknown):[/] {f}: {note}")
    if report.unknown:
        console.print(f"[yellow]skipped (--skip-unknown), no reader recognises:[/] {', '.join(report.unknown)}")
    c = report.checks
    if c:
        s = c.get("sector2025_neighbourhood", {})
        console.print(f"hierarchy: {s.get('with_one', 0)} of {s.get('units', 0)} sectors (2025) in exactly one neighbourhood; "
                      f"{c.get('sector2025_municipality', {}).get('with_one', 0)} in exactly one municipality")
    console.print(f"[bold green]atlas {report.db_path}[/]: {len(report.sources)} sources, "
                  f"{int(report.sources['rows'].sum()) if len(report.sources) else 0:,} rows in {report.seconds:.1f} s")
    for tb in tables:
        console.print(f"profile table: {tb.areas:,} areas, {tb.rows:,} values from {tb.computations} computations "
                      f"in {tb.seconds:.1f} s (included above)")


def fetch_cmd(
    to: Path = typer.Option(..., "--to", help="Directory to download into (layout of the mirror)."),
    mirror: Path | None = typer.Option(None, "--mirror", help="Copy from this local mirror instead of downloading."),
    family: str | None = typer.Option(None, "--family", help="Only this family (see 'aankomst sources --list')."),
    timeout: float = typer.Option(10.0, "--timeout", help="Network timeout per request, seconds."),
    sources_csv: Path | None = typer.Option(None, "--sources", help="Use this sources table instead of the built-in one."),
) -> None:
    """Download the official open files listed in data/sources.csv (or copy them from --mirror)."""
    from rich.console import Console

    from aankomst.cli._common import fail
    from aankomst.errors import AankomstError
    from aankomst.sources.fetch import fetch

    console = Console()
    try:
        result = fetch(to, mirror=mirror, family=family, timeout=timeout, table=sources_csv,
                       log=lambda m: console.print(m, highlight=False))
    except AankomstError as exc:
        fail(exc)
        return
    console.print(f"[bold green]{result['done']} file(s)[/] in {to}; {result['skipped']} skipped; "
                  f"{len(result['missing'])} missing" + (f": {', '.join(result['missing'][:10])}" if result["missing"] else ""))
    if result["missing"]:
        raise typer.Exit(1)


def sql_cmd(
    query: str = typer.Argument(..., help="A SELECT statement (the atlas is opened read-only)."),
    db: Path = typer.Option(..., "--db", help="Atlas database file."),
    fmt: str = typer.Option("table", "--format", help="table, csv, json or parquet."),
    out: Path | None = typer.Option(None, "--out", help="Output file (csv/json/parquet)."),
    limit: int = typer.Option(100, "--limit", help="Rows shown in table format."),
) -> None:
    """Run a read-only SQL query on the atlas."""
    import duckdb
    from rich.console import Console

    from aankomst.cli._common import fail, open_atlas, write_frame
    from aankomst.errors import AankomstError

    atlas = open_atlas(db)
    try:
        df = atlas.query(query)
    except duckdb.Error as exc:
        fail(AankomstError(f"SQL error: {str(exc).splitlines()[0]} (the atlas is read-only; tables: areas, crosswalks, "
                           "population, measures, measure_defs, flows, provenance, settings)"))
        return
    finally:
        atlas.close()
    if fmt == "table":
        Console().print(_table(f"{len(df)} row(s)", df.astype(object), max_rows=limit))
    else:
        write_frame(df, fmt, out)


def sources_cmd(
    db: Path | None = typer.Option(None, "--db", help="Atlas database file: show the provenance of what is loaded."),
    list_families: bool = typer.Option(False, "--list", help="List the file families Aankomst recognises."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
) -> None:
    """Show the provenance table of an atlas (source, file, checksum, licence, rows), or the families."""
    from rich.console import Console

    from aankomst.cli._common import open_atlas, write_frame

    if list_families or db is None:
        import pandas as pd

        from aankomst.sources.catalogue import KNOWN_NOT_LOADED, recognisers

        df = pd.DataFrame([{"family": r.family, "patterns": " ".join(r.patterns), "description": r.description}
                           for r in recognisers()]
                          + [{"family": k.family, "patterns": " ".join(k.patterns), "description": k.note}
                             for k in KNOWN_NOT_LOADED])
    else:
        atlas = open_atlas(db)
        try:
            df = atlas.sources()
        finally:
            atlas.close()
        df["sha256"] = df["sha256"].str.slice(0, 12)
    if fmt == "table":
        cols = ["family", "patterns", "description"] if "patterns" in df.columns else [
            "load_id", "source_id", "publisher", "reference_date", "licence", "rows_loaded", "sha256", "loaded_at"]
        Console().print(_table("Sources", df.astype(object), cols, max_rows=500))
    else:
        write_frame(df, fmt, None)


def register(app: typer.Typer) -> None:
    """Add build, fetch, sql and sources to ``app``."""
    app.command("build")(build_cmd)
    app.command("fetch")(fetch_cmd)
    app.command("sql")(sql_cmd)
    app.command("sources")(sources_cmd)
