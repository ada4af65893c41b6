"""``aankomst serve``: the web atlas (map, area profiles, open API) on a local address."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command("serve")
    def serve(
        db: Path | None = typer.Option(
            None, "--db", help="atlas DuckDB file (opened read-only); may be left out with --registry"),
        registry: str = typer.Option(
            None, "--registry",
            help="registry database URL (e.g. sqlite:///registry.db) to show the arrival-infrastructure pages",
        ),
        host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (loopback by default)"),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port"),
        forwarded_allow_ips: str | None = typer.Option(
            None, "--forwarded-allow-ips",
            help="comma-separated addresses of reverse proxies whose X-Forwarded-For is trusted "
                 "(default: none — the client address is the TCP peer)"),
        basemap: str | None = typer.Option(
            None, "--basemap",
            help="optional base map under the areas: a MapLibre style URL or a local .mbtiles file "
                 "(served by the app); none by default (the atlas draws its own outlines and names)"),
    ) -> None:
        """Serve the web atlas: map, area profiles and the API (/openapi.json), offline.

        With only --registry, serves the registry pages and API without an atlas.
        """
        from aankomst.cli._common import fail
        from aankomst.errors import AankomstError

        if db is None and not registry:
            fail(AankomstError("give an atlas (--db FILE), a registry (--registry URL) or both"))
        if db is not None and not db.exists():
            fail(AankomstError(
                f"atlas database {str(db)!r} does not exist; build it with "
                "'aankomst build --data DIR --db FILE' or make the demo with 'aankomst demo'"
            ))
        from importlib.util import find_spec

        missing = [m for m in ("fastapi", "uvicorn", "jinja2") if find_spec(m) is None]
        if missing:  # the [web] extra is not installed (third-party packages, checked by name)
            fail(AankomstError(f"the web extra is not installed (missing {', '.join(missing)}); "
                               "run: pip install 'aankomst[web]'"))
        from aankomst.web.app import serve as _serve

        where = f"http://{host}:{port}/" + ("" if db is not None else "resources")
        typer.echo(f"Aankomst on {where}  (API: http://{host}:{port}/openapi.json; Ctrl-C stops)")
        try:
            _serve(str(db) if db is not None else None, host=host, port=port, registry_url=registry,
                   forwarded_allow_ips=forwarded_allow_ips, basemap=basemap)
        except AankomstError as exc:
            fail(exc)
