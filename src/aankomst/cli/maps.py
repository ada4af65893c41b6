"""CLI commands of this subsystem (see aankomst.cli)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this subsystem's commands to app."""
