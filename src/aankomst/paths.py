"""Where things are: the offline mirror of official data and the package's data tables."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def package_data(name: str) -> Path:
    """Path of a file in ``aankomst/data`` (versioned tables shipped with the package)."""
    return Path(str(resources.files("aankomst") / "data" / name))


def mirror_dir() -> Path | None:
    """The local mirror of official files, if present.

    Looks at ``$AANKOMST_DATA``, then ``../shared/data`` relative to the current directory and to
    the source checkout. Returns ``None`` when none exists (real users download with
    ``aankomst fetch``).
    """
    env = os.environ.get("AANKOMST_DATA")
    candidates = [Path(env)] if env else []
    candidates += [
        Path.cwd().parent / "shared" / "data",
        Path(__file__).resolve().parents[3] / "shared" / "data",
    ]
    for c in candidates:
        if (c / "README.md").exists() or (c / "statbel").is_dir():
            return c
    return None


def web_static() -> Path:
    """The folder of the web front end's static assets (styles, scripts, vendored MapLibre,
    glyphs, UI strings), served at ``/static`` by the atlas and by a stand-alone registry.

    Example
    -------
    >>> (web_static() / "app.css").is_file()
    True
    """
    return Path(str(resources.files("aankomst") / "web" / "static"))
