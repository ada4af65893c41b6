"""What the store accepts: a :class:`LoadBatch`, the rows read from one source file for the atlas
tables, with their provenance.

Readers (``aankomst.sources``) and other producers (the demo, the register) build batches;
:meth:`aankomst.store.atlas.Atlas.load` writes them. The store imports no reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

ROW_COLUMN = "source_row"
"""Optional column a producer may add to any table: the 1-based row in the source file, used to
name the row in errors. It is not stored."""


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
        with exactly those columns (plus, optionally, :data:`ROW_COLUMN`).
    title, publisher, url, reference_date, licence
        Provenance shown with every figure derived from this source.
    privacy
        ``"open"`` for published statistics, ``"restricted"`` for aggregates of person-level
        data (the small-cell rule always applies to those).
    rows_read
        Data rows read from the file (before filtering).
    warnings
        Non-fatal remarks (e.g. units that are split by a crosswalk).

    Examples
    --------
    >>> import pandas as pd
    >>> b = LoadBatch("user/m.csv", "user_measures", "m.csv", "0" * 64, {"measures": pd.DataFrame({
    ...     "level": ["municipality"], "layout": ["2025"], "code": ["11002"], "measure": ["m"], "period": ["2024"],
    ...     "scheme": ["total"], "grp": ["total"], "value": [1.0], "unit": ["%"]})})
    >>> b.rows_loaded
    1
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
        """Total rows over all tables.

        Returns
        -------
        int
            Sum of the row counts of :attr:`tables`.
        """
        return int(sum(len(df) for df in self.tables.values()))
