"""Aankomst: an open monitor of arrival neighbourhoods and neighbourhoods in difficulty.

The package is organised along the data flow::

    sources/  -> store/ -> indicators/ -> classification/ -> outputs/, web/
                                   analysis/ (deprivation, segregation, clusters)
    register/ (person-level extracts -> aggregates), registry/ (arrival infrastructure)

Nothing is computed at import time. ``aankomst.open(path)`` opens an atlas database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from aankomst.store.atlas import Atlas


def open(path: str, *, read_only: bool = False) -> "Atlas":  # noqa: A001 - mirrors builtins.open on purpose
    """Open (and, unless read-only, create or migrate) an atlas database.

    Parameters
    ----------
    path
        Path of the DuckDB atlas file, e.g. ``"atlas.duckdb"``.
    read_only
        Open without write access (the web server does this).

    Returns
    -------
    Atlas
        The store, with ``query()``, ``table()`` and the indicator API.
    """
    from aankomst.plugins import install
    from aankomst.store.atlas import Atlas

    install()
    return Atlas(path, read_only=read_only)
