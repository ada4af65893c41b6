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

Stored figures live in the atlas ``measures`` table (its key is level, layout, code, measure,
period, scheme, grp). The OCMW measure, sex and age band are part of the stored name
(:func:`measure_key`): ``ocmw_recipients:leefloon:T:total`` is the number of leefloon
recipients of every sex and age; ``ocmw_recipients:leefloon:F:25-34`` the women aged 25–34.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from aankomst.errors import InputError, UnknownCodeError
from aankomst.paths import package_data

PREFIX = "ocmw_"
SEXES = ("T", "M", "F")


@dataclass(frozen=True)
class Stat:
    """A statistic stored per OCMW measure: its unit, whether it adds up over areas, and text."""

    name: str
    unit: str
    additive: bool
    label_en: str
    label_nl: str
    definition: str


STATS: dict[str, Stat] = {s.name: s for s in (
    Stat("recipients", "persons", True, "Recipients", "Gerechtigden",
         "persons with at least one day of the measure in the period (at the OCMW)"),
    Stat("recipients_est", "persons", True, "Recipients (estimate)", "Gerechtigden (schatting)",
         "ESTIMATE: published total × published share of the group (shares rounded to 0.1 %)"),
    Stat("share", "%", False, "Share of recipients (published)", "Aandeel gerechtigden (gepubliceerd)",
         "share of the group in the recipients, as published"),
    Stat("inflow", "persons", True, "Inflow", "Instroom",
         "persons receiving the measure in the period who did not receive it on the day before "
         "the period started"),
    Stat("outflow", "persons", True, "Outflow", "Uitstroom",
         "persons receiving the measure in the period who no longer receive it on the first day "
         "after the period"),
    Stat("spells", "spells", True, "Spells started", "Gestarte periodes",
         "spells (episodes joined across gaps of at most spell_gap_days) starting in the year"),
    Stat("spells_obs12", "spells", True, "Spells observable 12 months", "Periodes 12 maanden gevolgd",
         "spells started in the year whose first 12 months lie before the end of the extract"),
    Stat("exits12", "spells", True, "Spells ended within 12 months", "Periodes beëindigd binnen 12 maanden",
         "of the spells observable 12 months, those ended within 12 months"),
    Stat("spells_obs24", "spells", True, "Spells observable 24 months", "Periodes 24 maanden gevolgd",
         "spells started in the year whose first 24 months lie before the end of the extract"),
    Stat("exits24", "spells", True, "Spells ended within 24 months", "Periodes beëindigd binnen 24 maanden",
         "of the spells observable 24 months, those ended within 24 months"),
    Stat("duration_median", "months", False, "Median spell duration", "Mediane duur",
         "Kaplan–Meier median duration (months) of the spells started in the year, censored at "
         "the end of the extract"),
    Stat("contracts_obs12", "contracts", True, "Contracts ended, 12 months observable",
         "Beëindigde contracten, 12 maanden gevolgd",
         "activation contracts ended in the year whose following 12 months lie before the end of "
         "the extract"),
    Stat("work12", "contracts", True, "Contracts followed by regular work within 12 months",
         "Contracten gevolgd door regulier werk binnen 12 maanden",
         "of those contracts, the ones followed by regular work within 12 months of the end"),
)}
"""Statistics stored per measure (``ocmw_<stat>:<measure>:<sex>:<age_band>``)."""


def _read(name: str) -> pd.DataFrame:
    path = package_data("ocmw") / name
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return pd.DataFrame(rows).fillna("")


@lru_cache(maxsize=1)
def measures() -> pd.DataFrame:
    """The measure table (``measure, kind, order, label_nl, label_fr, label_en, …``).

    Examples
    --------
    >>> measures().set_index("measure").loc["article_60", "kind"]
    'activation'
    """
    df = _read("measures.csv")
    df["order"] = df["order"].astype(int)
    return df.sort_values("order").reset_index(drop=True)


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


def measure_key(stat: str, measure: str, sex: str = "T", age_band: str = "total") -> str:
    """Name of a stored figure.

    Examples
    --------
    >>> measure_key("recipients", "leefloon")
    'ocmw_recipients:leefloon:T:total'
    """
    if stat not in STATS:
        raise UnknownCodeError("OCMW statistic", stat, known=list(STATS))
    return f"{PREFIX}{stat}:{measure}:{sex}:{age_band}"


def parse_key(name: str) -> tuple[str, str, str, str]:
    """``(stat, measure, sex, age_band)`` of a stored name (inverse of :func:`measure_key`).

    Examples
    --------
    >>> parse_key("ocmw_inflow:article_60:F:25-34")
    ('inflow', 'article_60', 'F', '25-34')
    """
    if not name.startswith(PREFIX) or name.count(":") != 3:
        raise UnknownCodeError("OCMW measure name", name,
                               hint="names look like ocmw_recipients:leefloon:T:total")
    stat, measure, sex, age = name[len(PREFIX):].split(":")
    return stat, measure, sex, age


def measure_defs(names: list[str] | set[str]) -> pd.DataFrame:
    """Rows for the atlas ``measure_defs`` table (labels and definitions of stored names)."""
    m = measures().set_index("measure")
    rows = []
    for name in sorted(set(names)):
        stat, measure, sex, age = parse_key(name)
        st = STATS[stat]
        lab = m.loc[measure] if measure in m.index else None
        what_nl = lab["label_nl"] if lab is not None else measure
        what_en = lab["label_en"] if lab is not None else measure
        detail = "" if (sex, age) == ("T", "total") else f" ({sex}, {age})"
        rows.append((name, f"{st.label_nl}: {what_nl}{detail}", f"{st.label_en}: {what_en}{detail}",
                     f"{st.definition}; measure {measure}, sex {sex}, age band {age} (OCMW)",
                     st.unit, None))
    return pd.DataFrame(rows, columns=["measure", "label_nl", "label_en", "definition", "unit",
                                       "higher_is"])


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
