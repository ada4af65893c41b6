"""``aankomst serve``: the web atlas (map, area profiles, open API) on a local address."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command("serve")
    def serve(
        db: Path = typer.Option(..., "--db", help="atlas DuckDB file (opened read-only)"),
        registry: str = typer.Option(
            None, "--registry",
            help="registry database URL (e.g. sqlite:///registry.db) to show the arrival-infrastructure pages",
        ),
        host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (loopback by default)"),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port"),
    ) -> None:
        """Serve the web atlas: map, area profiles and the API (/openapi.json), offline."""
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError

        if not db.exists():
            fail(AankomstError(
                f"atlas database {str(db)!r} does not exist; build it with "
                "'aankomst build --data DIR --db FILE' or make the demo with 'aankomst demo'"
            ))
        try:
            from aankomst.web.app import serve as _serve
        except ImportError as exc:  # the [web] extra is missing
            fail(AankomstError(f"the web extra is not installed ({exc}); run: pip install 'aankomst[web]'"))
            return
        typer.echo(f"Aankomst web atlas on http://{host}:{port}/  (API: http://{host}:{port}/openapi.json; Ctrl-C stops)")
        try:
            _serve(str(db), host=host, port=port, registry_url=registry)
        except AankomstError as exc:
            fail(exc)
