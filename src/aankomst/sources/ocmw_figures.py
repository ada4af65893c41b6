"""Names and definitions of the stored OCMW figures (social assistance by measure).

OCMW figures live in the atlas ``measures`` table, whose key is level, layout, code, measure,
period, scheme, grp. The OCMW measure (leefloon, article 60 …), the sex and the age band are part
of the stored name (:func:`measure_key`): ``ocmw_recipients:leefloon:T:total`` is the number of
leefloon recipients of every sex and age; ``ocmw_recipients:leefloon:F:25-34`` the women aged
25–34. The statistics (:data:`STATS`) and the measures (``data/ocmw/measures.csv``, labels
nl/fr/en) are defined here, below the readers (:mod:`aankomst.sources.leefloon`) and the OCMW
monitor (:mod:`aankomst.ocmw`), which both name figures this way.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from aankomst.errors import UnknownCodeError
from aankomst.paths import package_data

PREFIX = "ocmw_"
"""Prefix of every stored OCMW figure."""


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


def read_table(name: str) -> pd.DataFrame:
    """A table of ``data/ocmw/`` (all columns as text, empty cells as ``""``).

    Examples
    --------
    >>> "leefloon" in set(read_table("measures.csv")["measure"])
    True
    """
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
    df = read_table("measures.csv")
    df["order"] = df["order"].astype(int)
    return df.sort_values("order").reset_index(drop=True)


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
