"""The OCMW data tables (``aankomst/data/ocmw/*.csv``) and the names of stored figures.

* ``measures.csv`` — the assistance measures (leefloon, equivalent leefloon, material aid,
  urgent medical aid, article 60 §7, article 61, GPMI, other aid) with nl/fr/en labels.
* ``groups.csv`` — population groups of the OCMW figures and how they nest
  (``parent_scheme``/``parent_grp``: ``eu_status/eu`` lies in ``nationality/ETR`` …).
* ``age_bands.csv`` — the age bands (completed years).
* ``codes.csv`` — end reasons of episodes and labour-market statuses.
* ``params.csv`` — parameters of the synthetic extract generator (:mod:`.generate`).
* ``leefloon_targets_2010.csv`` — the published 2010 table for Flanders and Brussels with the
  Statbel population of 1 January 2010 (calibration targets of the generator).

The names of stored figures (:func:`measure_key`, :func:`parse_key`, :data:`STATS`,
:func:`measure_defs`) and the measure table (:func:`measures`) have their home in
:mod:`aankomst.sources.ocmw_figures` (the reader of the published table names figures the same
way); they are re-exported here for the OCMW package.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from aankomst.errors import InputError
from aankomst.paths import package_data
from aankomst.sources.ocmw_figures import PREFIX as PREFIX
from aankomst.sources.ocmw_figures import STATS as STATS
from aankomst.sources.ocmw_figures import Stat as Stat
from aankomst.sources.ocmw_figures import measure_defs as measure_defs
from aankomst.sources.ocmw_figures import measure_key as measure_key
from aankomst.sources.ocmw_figures import measures as measures
from aankomst.sources.ocmw_figures import parse_key as parse_key
from aankomst.sources.ocmw_figures import read_table

SEXES = ("T", "M", "F")


def _read(name: str) -> pd.DataFrame:
    return read_table(name)


def measure_ids() -> list[str]:
    """Ids of the measures, in display order."""
    return list(measures()["measure"])


def check_measure(value: str, file: str = "measure", row: int | None = None,
                  column: str = "measure") -> str:
    """``value`` when it is a known measure id, else :class:`InputError` listing them."""
    if value not in measure_ids():
        raise InputError(file, f"unknown OCMW measure {value!r}", row=row, column=column,
                         expected="one of " + ", ".join(measure_ids()) + " (data/ocmw/measures.csv)")
    return value


@lru_cache(maxsize=1)
def groups() -> pd.DataFrame:
    """Groups with their parent group (``scheme, grp, parent_scheme, parent_grp, labels``)."""
    df = _read("groups.csv")
    df["order"] = df["order"].astype(int)
    return df.sort_values("order").reset_index(drop=True)


def group_label(scheme: str, grp: str, lang: str = "nl") -> str:
    """Label of a group in ``nl``, ``fr`` or ``en`` (the code when unknown)."""
    g = groups()
    hit = g[(g["scheme"] == scheme) & (g["grp"] == grp)]
    col = f"label_{lang}" if lang in ("nl", "fr", "en") else "label_nl"
    return str(hit[col].iloc[0]) if len(hit) else f"{scheme}:{grp}"


def scheme_groups(scheme: str) -> list[str]:
    """Groups of one scheme, in display order."""
    g = groups()
    return list(g[g["scheme"] == scheme]["grp"])


def parent_of(scheme: str, grp: str) -> tuple[str, str] | None:
    """The group this one nests in (``('nationality', 'ETR')`` for ``eu_status/eu``)."""
    g = groups()
    hit = g[(g["scheme"] == scheme) & (g["grp"] == grp)]
    if hit.empty or not hit["parent_scheme"].iloc[0]:
        return None
    return str(hit["parent_scheme"].iloc[0]), str(hit["parent_grp"].iloc[0])


@lru_cache(maxsize=1)
def age_bands() -> pd.DataFrame:
    """Age bands (``age_band, min_age, max_age``; ``max_age`` NaN for the open band)."""
    df = _read("age_bands.csv")
    df["min_age"] = df["min_age"].astype(int)
    df["max_age"] = pd.to_numeric(df["max_age"], errors="coerce")
    return df.sort_values("min_age").reset_index(drop=True)


def age_band_ids() -> list[str]:
    """Age band ids in order (without ``total``)."""
    return list(age_bands()["age_band"])


def age_band_sql(age: str) -> str:
    """SQL ``CASE`` giving the band of the integer expression ``age`` (from ``age_bands.csv``)."""
    parts = []
    for r in age_bands().itertuples(index=False):
        hi = "" if pd.isna(r.max_age) else f" AND {age} <= {int(r.max_age)}"
        parts.append(f"WHEN {age} >= {int(r.min_age)}{hi} THEN '{r.age_band}'")
    return "CASE " + " ".join(parts) + " ELSE 'unknown' END"


@lru_cache(maxsize=1)
def codes() -> pd.DataFrame:
    """End reasons and labour statuses (``field, code, labels, meaning``)."""
    return _read("codes.csv")


def code_ids(field: str) -> list[str]:
    """Codes of one field (``end_reason`` or ``labour``)."""
    c = codes()
    return list(c[c["field"] == field]["code"])


def params_path() -> Path:
    """The packaged generator parameter table."""
    return package_data("ocmw") / "params.csv"


def ui_text(key: str, lang: str = "nl") -> str:
    """A text of the dashboard in ``nl``, ``fr`` or ``en`` (``data/ocmw/ui.csv``)."""
    t = _ui()
    if key not in t:
        return key
    return t[key].get(lang) or t[key]["en"]


@lru_cache(maxsize=1)
def _ui() -> dict[str, dict[str, str]]:
    df = _read("ui.csv")
    return {r["key"]: {"nl": r["nl"], "fr": r["fr"], "en": r["en"]} for r in df.to_dict("records")}
