"""The ``aankomst`` command line (Typer + Rich).

Each subsystem registers its commands from its own module (``register(app)``); heavy imports
happen inside the command functions so that ``aankomst --help`` is instant.
"""

from __future__ import annotations

import typer



def make_app() -> typer.Typer:
    """Build the Typer application with every subsystem's commands."""
    app = typer.Typer(
        name="aankomst",
        help="Aankomst — monitor of arrival neighbourhoods and neighbourhoods in difficulty "
        "(Flanders and Brussels).",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    @app.command("version")
    def version() -> None:
        """Print the Aankomst version and the atlas schema version."""
        from aankomst import __version__
        from aankomst.store.schema import SCHEMA_VERSION

        typer.echo(f"aankomst {__version__} (atlas schema {SCHEMA_VERSION})")

    from aankomst.cli import build, deprivation, indicators, maps, registry, web
    from aankomst.cli import demo as demo_cmd
    from aankomst.cli import register as register_cmd
    from aankomst.cli import ocmw as ocmw_cmd
    from aankomst.cli import report as report_cmd

    for module in (build, demo_cmd, indicators, maps, register_cmd, deprivation, web, registry,
                   report_cmd, ocmw_cmd):
        module.register(app)
    return app


def main() -> None:
    """Console-script entry point: runs the app and turns Aankomst errors into clean messages."""
    from aankomst.cli._common import run_app

    run_app(make_app())
