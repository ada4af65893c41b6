"""What readers share: the :class:`Recogniser` of a file family, the :data:`Reader` signature and
:func:`sha256_file`. The unit of loading, :class:`~aankomst.store.batch.LoadBatch`, is defined by
the store (``aankomst.store.batch``) and re-exported here for the readers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aankomst.store.batch import LoadBatch

__all__ = ["LoadBatch", "Reader", "Recogniser", "sha256_file"]


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
        family. A file whose name matches a pattern but whose content fails the sniff is an error
        of the build (``aankomst build --skip-unknown`` lists it instead).
    description
        One line for ``aankomst sources``.
    order
        Load order (lower first): area definitions 10, crosswalks 20, counts 50, measures 60.
        Where two sources supply the same figure, the one loaded first is kept.
    expected
        What the content must look like, for the error when the sniff fails (e.g. ``"an Excel
        workbook with columns CD_REFNIS, CD_SECTOR, POPULATION"``); defaults to the description.
    """

    family: str
    patterns: tuple[str, ...]
    reader: Reader
    sniff: Callable[[Path], bool] | None = None
    description: str = ""
    order: int = 50
    expected: str = ""
