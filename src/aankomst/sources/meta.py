"""Provenance metadata per file family and measure definitions, read from the package's data
tables (``data/sources.csv``, ``data/measures.csv``)."""

from __future__ import annotations

import fnmatch
from functools import lru_cache
from pathlib import Path
from typing import TypedDict

import pandas as pd

from aankomst.paths import package_data


class Provenance(TypedDict):
    """Provenance fields of a :class:`~aankomst.store.batch.LoadBatch` from ``data/sources.csv``."""

    title: str
    publisher: str
    url: str
    licence: str
    reference_date: str


@lru_cache(maxsize=1)
def sources_table() -> pd.DataFrame:
    """The table of official sources: one row per file of the mirror layout.

    Columns: ``path`` (relative to the data directory), ``family``, ``title``, ``publisher``,
    ``url`` (official download address), ``page`` (landing page), ``licence``,
    ``reference_date``.
    """
    return pd.read_csv(package_data("sources.csv"), dtype=str, keep_default_na=False)


def provenance(path: Path, family: str) -> Provenance:
    """Title, publisher, URL, licence and reference date for a file (by name, else by family)."""
    t = sources_table()
    name = Path(path).name.lower()
    hit = t[t["path"].map(lambda p: Path(p).name.lower() == name)]
    if hit.empty:
        hit = t[t["path"].map(lambda p: fnmatch.fnmatch(name, Path(p).name.lower()))]
    if hit.empty:
        hit = t[t["family"] == family]
    if hit.empty:
        return {"title": Path(path).name, "publisher": "", "url": "", "licence": "", "reference_date": ""}
    r = hit.iloc[0]
    return {
        "title": r["title"],
        "publisher": r["publisher"],
        "url": r["url"],
        "licence": r["licence"],
        "reference_date": r["reference_date"],
    }


@lru_cache(maxsize=1)
def measures_table() -> pd.DataFrame:
    """Definitions of the measure ids the readers produce (``data/measures.csv``)."""
    return pd.read_csv(package_data("measures.csv"), dtype=str, keep_default_na=False)


def measure_defs(ids: list[str] | None = None) -> pd.DataFrame:
    """Rows for the ``measure_defs`` table (all, or only ``ids``)."""
    t = measures_table()
    if ids is not None:
        t = t[t["measure"].isin(ids)]
    out = t[["measure", "label_nl", "label_en", "definition", "unit", "higher_is"]].copy()
    out["higher_is"] = out["higher_is"].replace("", None)
    return out.reset_index(drop=True)
