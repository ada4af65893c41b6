"""Shared CLI helpers: error display, output writing, option types."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from aankomst.errors import AankomstError, InputError


def run_app(app: typer.Typer) -> None:
    """Run ``app``; an :class:`AankomstError` prints one clear message and exits with 2."""
    from rich.console import Console

    try:
        app(standalone_mode=True)
    except AankomstError as exc:  # errors raised outside Typer's own handling
        _print_error(Console(stderr=True), exc)
        sys.exit(2)


def _print_error(console: Any, exc: AankomstError) -> None:
    """Print the error unwrapped (a file path or row reference stays one copyable line) and as
    plain text (brackets in a message are not read as console markup)."""
    from rich.text import Text

    console.print(Text.assemble(("error:", "bold red"), " ", str(exc)), soft_wrap=True, highlight=False)
    if isinstance(exc, InputError) and len(exc.problems) > 1:
        for p in exc.problems[1:20]:
            console.print(Text(f"  - {p}"), soft_wrap=True, highlight=False)


def fail(exc: AankomstError) -> None:
    """Print an Aankomst error and exit with status 2 (use inside a command)."""
    from rich.console import Console

    _print_error(Console(stderr=True), exc)
    raise typer.Exit(2)


def open_atlas(db: Path, *, read_only: bool = True) -> Any:
    """Open the atlas at ``db`` (read-only by default); an :class:`AankomstError` exits with 2.

    Returns the open :class:`aankomst.store.atlas.Atlas`; the caller closes it.
    """
    import aankomst

    try:
        return aankomst.open(str(db), read_only=read_only)
    except AankomstError as exc:
        fail(exc)
        raise  # unreachable: fail() always raises typer.Exit


def write_frame(df: Any, fmt: str, out: Path | None, meta: dict[str, Any] | None = None) -> None:
    """Write a DataFrame as csv/json/parquet to ``out`` or stdout.

    JSON output is ``{"meta": {...}, "data": [...]}``; CSV gets ``# key: value`` comment lines
    only when written to stdout with ``meta`` and ``AANKOMST_CSV_COMMENTS=1``; parquet stores
    ``meta`` in the file's key-value metadata.
    """
    import json

    fmt = fmt.lower()
    if fmt == "csv":
        text = df.to_csv(index=False)
        if out:
            Path(out).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    elif fmt == "json":
        payload = {"meta": meta or {}, "data": json.loads(df.to_json(orient="records", date_format="iso"))}
        text = json.dumps(payload, ensure_ascii=False, indent=1, default=str)
        if out:
            Path(out).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text + "\n")
    elif fmt == "parquet":
        if out is None:
            raise typer.BadParameter("parquet output needs --out FILE")
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df, preserve_index=False)
        if meta:
            table = table.replace_schema_metadata(
                {**(table.schema.metadata or {}), b"aankomst": json.dumps(meta, default=str).encode()}
            )
        pq.write_table(table, out)
    else:
        raise typer.BadParameter(f"unknown format {fmt!r}; use csv, json or parquet")
