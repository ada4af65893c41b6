"""Origin (herkomst) definitions, each as a documented pure function and its SQL twin.

All functions take a *person frame* at one reference date (see :func:`person_frame`) with the
columns

=============================  =====================================================================
``current_nationality``        nationality valid on the reference date (ISO alpha-3)
``nationality_at_birth``       the person's nationality at birth as registered (may be missing)
``oldest_nationality``         the oldest nationality known in the register's history
``with_parents``               household position on the date: ``none``, ``both``, ``mother``, ``father``
``mother_oldest_nationality``  the mother's oldest known nationality (her register history via
                               ``mother_id``; else the recorded ``mother_nationality_at_birth``)
``father_oldest_nationality``  likewise for the father
``mother_nationality_at_birth`` / ``father_nationality_at_birth``  as recorded on the person's row
=============================  =====================================================================

and return a Series of ISO alpha-3 *origin countries* (``BEL`` = Belgian origin). The group
``belgian`` / ``foreign`` is ``origin == 'BEL'`` / otherwise; :func:`as_group` does that.
Missing criteria are ignored (a person with no known non-Belgian criterion is of Belgian origin).
The SQL functions return the same expressions for DuckDB over the same column names; the tests
check that both agree. ``docs/register.md`` discusses the rules and their differences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BELGIAN = "BEL"


def _first_foreign(*series: pd.Series) -> pd.Series:
    """First non-Belgian, non-missing value across ``series`` (element-wise), else ``BEL``."""
    out = pd.Series(BELGIAN, index=series[0].index, dtype=object)
    done = np.zeros(len(out), dtype=bool)
    for s in series:
        v = s.astype(object)
        hit = (~done) & v.notna().to_numpy() & (v != BELGIAN).to_numpy()
        out[hit] = v[hit]
        done |= hit
    return out


def by_current_nationality(df: pd.DataFrame) -> pd.Series:
    """Origin = current nationality on the reference date (the Statbel 'nationality' view)."""
    return df["current_nationality"].astype(object).fillna(BELGIAN)


def by_nationality_at_birth(df: pd.DataFrame) -> pd.Series:
    """Origin = nationality at birth; when not registered, the oldest known nationality.

    This is how migration tables define 'migrant' (domain brief §3.4).
    """
    return df["nationality_at_birth"].astype(object).fillna(df["oldest_nationality"]).fillna(BELGIAN)


def by_vsa(df: pd.DataFrame) -> pd.Series:
    """Flemish study-service rule (Vlaamse Studiedienst, 2011).

    A person's origin is their *oldest known* nationality; for a child living with its parents
    it is the **mother's** oldest nationality (``with_parents`` ``both`` or ``mother``), for a
    child living with a single father the **father's** (``with_parents == 'father'``). When that
    parent's nationality is unknown the person's own oldest nationality is used.
    """
    own = df["oldest_nationality"].astype(object)
    wp = df["with_parents"].astype(object)
    mother = df["mother_oldest_nationality"].astype(object)
    father = df["father_oldest_nationality"].astype(object)
    out = own.copy()
    m = wp.isin(["both", "mother"]).to_numpy() & mother.notna().to_numpy()
    f = (wp == "father").to_numpy() & father.notna().to_numpy()
    out[m] = mother[m]
    out[f] = father[f]
    return out.fillna(BELGIAN)


def by_four_criteria(df: pd.DataFrame) -> pd.Series:
    """Four-criteria rule: foreign origin when **any** of current nationality, nationality at
    birth, the father's nationality at birth or the mother's nationality at birth (as recorded
    on the person's row) is not Belgian. Origin country = the first non-Belgian of
    (own at birth, father's, mother's, current)."""
    return _first_foreign(df["nationality_at_birth"], df["father_nationality_at_birth"],
                          df["mother_nationality_at_birth"], df["current_nationality"])


def by_antwerp(df: pd.DataFrame) -> pd.Series:
    """City of Antwerp rule ('parents counted'): foreign origin when the person's own oldest
    nationality or the oldest nationality of the father or of the mother is not Belgian —
    parents count **whether or not** the person lives with them, and the parents' nationality
    is taken from their own register history when they are linked (``father_id`` /
    ``mother_id``), from the recorded nationality at birth otherwise. Origin country = the
    first non-Belgian of (own, father's, mother's, current)."""
    return _first_foreign(df["oldest_nationality"], df["father_oldest_nationality"],
                          df["mother_oldest_nationality"], df["current_nationality"])


def as_group(origin: pd.Series) -> pd.Series:
    """``belgian`` for origin BEL, ``foreign`` otherwise."""
    return pd.Series(np.where(origin.astype(object) == BELGIAN, "belgian", "foreign"), index=origin.index)


# ---------------------------------------------------------------------------- SQL twins
def _sql_first_foreign(*cols: str) -> str:
    parts = " ".join(f"WHEN {c} IS NOT NULL AND {c} <> 'BEL' THEN {c}" for c in cols)
    return f"(CASE {parts} ELSE 'BEL' END)"


def sql_current() -> str:
    """SQL of :func:`by_current_nationality`."""
    return "coalesce(current_nationality, 'BEL')"


def sql_nationality_at_birth() -> str:
    """SQL of :func:`by_nationality_at_birth`."""
    return "coalesce(nationality_at_birth, oldest_nationality, 'BEL')"


def sql_vsa() -> str:
    """SQL of :func:`by_vsa`."""
    return ("coalesce(CASE WHEN with_parents IN ('both','mother') AND mother_oldest_nationality IS NOT NULL "
            "THEN mother_oldest_nationality WHEN with_parents = 'father' AND father_oldest_nationality IS NOT NULL "
            "THEN father_oldest_nationality ELSE oldest_nationality END, 'BEL')")


def sql_four_criteria() -> str:
    """SQL of :func:`by_four_criteria`."""
    return _sql_first_foreign("nationality_at_birth", "father_nationality_at_birth",
                              "mother_nationality_at_birth", "current_nationality")


def sql_antwerp() -> str:
    """SQL of :func:`by_antwerp`."""
    return _sql_first_foreign("oldest_nationality", "father_oldest_nationality",
                              "mother_oldest_nationality", "current_nationality")


RULES: dict[str, tuple] = {
    "nationality_at_birth": (by_nationality_at_birth, sql_nationality_at_birth),
    "origin_vsa": (by_vsa, sql_vsa),
    "origin_4crit": (by_four_criteria, sql_four_criteria),
    "origin_antwerp": (by_antwerp, sql_antwerp),
}
"""Population scheme -> (pandas function, SQL function). Groups: ``belgian`` / ``foreign``."""


def person_frame(persons: pd.DataFrame, nationalities: pd.DataFrame, addresses: pd.DataFrame,
                 ref_date: str) -> pd.DataFrame:
    """Build the person frame on ``ref_date`` from the register tables (small data, pandas).

    Only persons alive and with an address period covering the date are returned (the
    residents at the start of that day: ``valid_from < d <= valid_to``, as in the aggregation). Columns: ``person_id, sector`` and those in the module docstring.
    """
    d = pd.Timestamp(ref_date)
    p = persons.copy()
    for c in ("birth_date", "death_date"):
        p[c] = pd.to_datetime(p[c])
    nat = nationalities.copy()
    nat["valid_from"] = pd.to_datetime(nat["valid_from"])
    nat["valid_to"] = pd.to_datetime(nat["valid_to"])
    oldest = nat.sort_values("valid_from").drop_duplicates("person_id").set_index("person_id")["nationality"]
    cur = nat[(nat["valid_from"] < d) & (nat["valid_to"].isna() | (nat["valid_to"] >= d))]
    cur = cur.drop_duplicates("person_id").set_index("person_id")["nationality"]
    a = addresses.copy()
    a["valid_from"] = pd.to_datetime(a["valid_from"])
    a["valid_to"] = pd.to_datetime(a["valid_to"])
    a = a[(a["valid_from"] < d) & (a["valid_to"].isna() | (a["valid_to"] >= d))]
    res = a[["person_id", "sector", "with_parents"]].merge(p, on="person_id")
    res = res[(res["birth_date"] < d) & (res["death_date"].isna() | (res["death_date"] >= d))]
    res["current_nationality"] = res["person_id"].map(cur)
    res["oldest_nationality"] = res["person_id"].map(oldest)

    def parent_oldest(id_col: str, field: str) -> pd.Series:
        ids = res[id_col] if id_col in res else pd.Series(np.nan, index=res.index)
        hist = ids.map(oldest)
        return hist.where(hist.notna(), res[field])

    res["mother_oldest_nationality"] = parent_oldest("mother_id", "mother_nationality_at_birth")
    res["father_oldest_nationality"] = parent_oldest("father_id", "father_nationality_at_birth")
    return res.reset_index(drop=True)
