"""Population group schemes: country (ISO 3166) -> group, with EU membership by date.

All assignments are data (``aankomst/data/groups/*.csv``, sources in the README there); this
module only reads them.

Schemes
-------
``nationality``            BEL / ETR (Belgian / any foreign nationality)
``nationality_group6``     six neighbourhood-map groups + ``other`` + ``belgian``
``nationality_municipal6`` Netherlands / West- and North-Europe / South Europe / Turkey /
                           Morocco / East Europe + ``other`` + ``belgian``
``eu_status``              belgian / eu / non_eu, **on a reference date**
``eu_wave``                belgian / eu14 / eu12 (2004+2007 accessions, "EU+12") / eu2013 /
                           non_eu, on a reference date
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from functools import lru_cache
from typing import Iterable

import pandas as pd

from aankomst.errors import UnknownCodeError
from aankomst.paths import package_data

DERIVED_SCHEMES: tuple[str, ...] = (
    "nationality",
    "nationality_group6",
    "nationality_municipal6",
    "eu_status",
    "eu_wave",
)
"""Schemes that can be derived from counts by country (scheme ``country``)."""


def _read(name: str) -> list[dict[str, str]]:
    with open(package_data(f"groups/{name}"), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def countries() -> pd.DataFrame:
    """The country table: ``iso3, iso2, numeric, name_en, name_nl, status, group6, municipal6``.

    ``status`` is ``current`` (ISO 3166-1), ``former`` (ISO 3166-3) or ``special``.
    """
    return pd.DataFrame(_read("countries.csv")).set_index("iso3", drop=False)


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for r in _read("country_aliases.csv"):
        out[r["alias"].upper()] = r["iso3"].upper()
    c = countries()
    for iso3, iso2 in zip(c["iso3"], c["iso2"]):
        if iso2:
            out.setdefault(iso2.upper(), iso3)
    for iso3, num in zip(c["iso3"], c["numeric"]):
        if num and c.loc[iso3, "status"] == "current":
            out.setdefault(num, iso3)
    return out


@lru_cache(maxsize=1)
def eu_membership() -> pd.DataFrame:
    """EU membership table: ``iso3, joined, left (exclusive, may be empty), wave, note``."""
    df = pd.DataFrame(_read("eu_membership.csv"))
    df["joined"] = pd.to_datetime(df["joined"]).dt.date
    df["left"] = pd.to_datetime(df["left"].replace("", None)).dt.date
    return df.set_index("iso3", drop=False)


@lru_cache(maxsize=1)
def scheme_table() -> pd.DataFrame:
    """All groups of all schemes with labels nl/en, definitions and sources."""
    df = pd.DataFrame(_read("schemes.csv"))
    df["order"] = df["order"].astype(int)
    df["date_dependent"] = df["date_dependent"] == "true"
    return df


def schemes() -> list[str]:
    """Names of the group schemes defined as data."""
    return list(dict.fromkeys(scheme_table()["scheme"]))


def scheme_groups(scheme: str) -> list[str]:
    """Groups of ``scheme`` in display order.

    Raises
    ------
    UnknownCodeError
        When ``scheme`` is not defined.
    """
    return list(_scheme_groups(scheme))


@lru_cache(maxsize=64)
def _scheme_groups(scheme: str) -> tuple[str, ...]:
    """:func:`scheme_groups`, read once per scheme (the table is package data)."""
    t = scheme_table()
    sub = t[t["scheme"] == scheme].sort_values("order")
    if sub.empty:
        raise UnknownCodeError("group scheme", scheme, known=[*schemes(), "country", "total"])
    return tuple(sub["grp"])


def group_label(scheme: str, grp: str, lang: str = "nl") -> str:
    """Label of a group (``lang`` ``nl`` or ``en``); country codes get the country name."""
    if scheme == "country":
        return str(countries().loc[normalise_country(grp), f"name_{lang}"])
    t = scheme_table()
    sub = t[(t["scheme"] == scheme) & (t["grp"] == grp)]
    if sub.empty:
        if scheme == "total" and grp == "total":
            return "Totaal" if lang == "nl" else "Total"
        raise UnknownCodeError(f"group of scheme {scheme!r}", grp, known=scheme_groups(scheme))
    return str(sub.iloc[0][f"label_{lang}"])


def _as_date(when: date | datetime | str | int | None) -> date:
    if when is None:
        return date.today()
    if isinstance(when, datetime):
        return when.date()
    if isinstance(when, date):
        return when
    if isinstance(when, int) or (isinstance(when, str) and when.isdigit() and len(when) == 4):
        return date(int(when), 1, 1)
    try:
        return date.fromisoformat(str(when)[:10])
    except ValueError:
        raise UnknownCodeError(
            "reference date", when, hint="give a date as YYYY-MM-DD or a year (= 1 January)"
        ) from None


def normalise_country(code: str) -> str:
    """Return the ISO alpha-3 code for an alpha-3, alpha-2, numeric code or known alias.

    Raises
    ------
    UnknownCodeError
        For a code that is not in ``countries.csv`` (nor an alias), with the fix.
    """
    c = countries()
    key = str(code).strip().upper()
    if key in c.index:
        return key
    alias = _aliases().get(key)
    if alias:
        return alias
    raise UnknownCodeError(
        "country code",
        code,
        hint="use an ISO 3166-1 alpha-3 code (e.g. 'MAR'), alpha-2 ('MA'), a withdrawn ISO "
        "3166-3 code ('YUG', 'SUN') or a special code (XKX Kosovo, XXA stateless, XXX unknown); "
        "add missing codes to aankomst/data/groups/countries.csv",
    )


def eu_member(code: str, when: date | datetime | str | int | None = None) -> bool:
    """``True`` when the country is an EU member state on ``when`` (default: today).

    Membership runs from ``joined`` (inclusive) to ``left`` (exclusive): the United Kingdom is a
    member on 2020-01-31 and not on 2020-02-01; Croatia from 2013-07-01; Romania and Bulgaria
    from 2007-01-01.
    """
    iso3 = normalise_country(code)
    d = _as_date(when)
    m = eu_membership()
    if iso3 not in m.index:
        return False
    row = m.loc[iso3]
    left = row["left"]
    return row["joined"] <= d and (pd.isna(left) or d < left)


def country_group(code: str, scheme: str, when: date | datetime | str | int | None = None) -> str:
    """Group of a country in ``scheme`` on the reference date ``when``.

    Parameters
    ----------
    code
        ISO 3166 code (alpha-3, alpha-2, numeric) or withdrawn/special code.
    scheme
        One of :data:`DERIVED_SCHEMES`.
    when
        Reference date (date, ``'YYYY-MM-DD'`` or a year meaning 1 January); only the EU
        schemes depend on it. Default: today.

    Examples
    --------
    >>> country_group("GBR", "eu_status", "2020-01-31"), country_group("GBR", "eu_status", "2020-02-01")
    ('eu', 'non_eu')
    """
    iso3 = normalise_country(code)
    if scheme == "nationality":
        return "BEL" if iso3 == "BEL" else "ETR"
    if scheme == "nationality_group6":
        return str(countries().loc[iso3, "group6"])
    if scheme == "nationality_municipal6":
        return str(countries().loc[iso3, "municipal6"])
    if scheme in ("eu_status", "eu_wave"):
        if iso3 == "BEL":
            return "belgian"
        if not eu_member(iso3, when):
            return "non_eu"
        if scheme == "eu_status":
            return "eu"
        wave = str(eu_membership().loc[iso3, "wave"])
        return {"eu15": "eu14", "eu2004": "eu12", "eu2007": "eu12", "eu2013": "eu2013"}[wave]
    raise UnknownCodeError("derived group scheme", scheme, known=list(DERIVED_SCHEMES))


def group_members(scheme: str, grp: str, when: date | datetime | str | int | None = None) -> list[str]:
    """ISO alpha-3 codes that fall in ``grp`` of ``scheme`` on ``when``."""
    if grp not in scheme_groups(scheme):
        raise UnknownCodeError(f"group of scheme {scheme!r}", grp, known=scheme_groups(scheme))
    return [c for c in countries()["iso3"] if country_group(c, scheme, when) == grp]


def map_countries(
    codes: Iterable[str], scheme: str, when: date | datetime | str | int | None = None
) -> pd.Series:
    """Vectorised :func:`country_group`: a Series of groups, one per input code (same order).

    Unknown codes raise :class:`~aankomst.errors.UnknownCodeError` naming the first one.
    """
    codes = list(codes)
    cache: dict[str, str] = {}
    out = []
    for c in codes:
        if c not in cache:
            cache[c] = country_group(c, scheme, when)
        out.append(cache[c])
    return pd.Series(out, index=range(len(codes)), dtype=object)


def mapping_table(scheme: str, when: date | datetime | str | int | None = None) -> pd.DataFrame:
    """Table ``country, grp`` mapping every known country code to its group on ``when``."""
    iso = list(countries()["iso3"])
    return pd.DataFrame({"country": iso, "grp": map_countries(iso, scheme, when).to_numpy()})
