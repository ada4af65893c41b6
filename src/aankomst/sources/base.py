"""The unit of loading: a :class:`LoadBatch` (tables + provenance) produced by a reader."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd


@dataclass
class LoadBatch:
    """Rows for the atlas tables read from one source file, with their provenance.

    Attributes
    ----------
    source_id
        Stable identifier; loading a batch with the same id again replaces the earlier rows
        (this is what makes ``aankomst build`` idempotent), e.g.
        ``"statbel/TF_SOC_POP_STRUCT_2012"``.
    family
        Reader family, e.g. ``"statbel_pop_struct"``.
    path
        File read (as given by the user).
    sha256
        Checksum of the file's bytes.
    tables
        Mapping of table name (see :data:`aankomst.store.schema.TABLE_COLUMNS`) to a DataFrame
        with exactly those columns.
    title, publisher, url, reference_date, licence
        Provenance shown with every figure derived from this source.
    privacy
        ``"open"`` for published statistics, ``"restricted"`` for aggregates of person-level
        data (the small-cell rule always applies to those).
    rows_read
        Data rows read from the file (before filtering).
    warnings
        Non-fatal remarks (e.g. units that are split by a crosswalk).
    """

    source_id: str
    family: str
    path: str
    sha256: str
    tables: dict[str, pd.DataFrame]
    title: str = ""
    publisher: str = ""
    url: str = ""
    reference_date: str = ""
    licence: str = ""
    privacy: str = "open"
    rows_read: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        """Total rows over all tables."""
        return int(sum(len(df) for df in self.tables.values()))


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


Reader = Callable[[Path], list[LoadBatch]]
"""A reader turns one file into one or more batches, or raises :class:`~aankomst.errors.InputError`."""


@dataclass(frozen=True)
class Recogniser:
    """How a file family is recognised (by name and content) and which reader reads it.

    Attributes
    ----------
    family
        Family id, e.g. ``"bimd_sector"``; shown in the build summary.
    patterns
        ``fnmatch`` patterns on the file name (matched case-insensitively), e.g.
        ``("BIMD20??_DOMAINS_STATISTICAL_SECTOR_*.csv",)``.
    reader
        The reader for a matching file.
    sniff
        Optional content check (e.g. the header line), ``True`` when the file really is of this
        family. A file that matches a pattern but fails its sniff is reported, not skipped.
    description
        One line for ``aankomst sources``.
    order
        Load order (lower first): area definitions 10, crosswalks 20, counts 50, measures 60.
    """

    family: str
    patterns: tuple[str, ...]
    reader: Reader
    sniff: Callable[[Path], bool] | None = None
    description: str = ""
    order: int = 50
