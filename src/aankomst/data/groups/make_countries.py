"""Regenerate ``countries.csv`` from the ISO 3166 tables of the Debian ``iso-codes`` package.

Run once by a maintainer (not at import or build time)::

    python src/aankomst/data/groups/make_countries.py /usr/share/iso-codes/json

The group assignments below are the product's definitions (see README.md in this folder):
``group6`` follows the neighbourhood maps of *Aankomstwijken in Vlaanderen* (East Europe as
listed in the thesis; other groups from the UN M49 geoscheme: Western Europe + Northern Europe
= ``west_europe``, Southern Europe = ``south_europe``, Northern Africa = ``north_africa``, the
rest of Africa = ``subsaharan_africa``, Western Asia = ``west_asia``), ``municipal6`` the
municipal maps (Netherlands / West- and North-Europe / South Europe / Turkey / Morocco / East
Europe).
"""

from __future__ import annotations

import csv
import gettext
import json
import sys
from pathlib import Path

EAST = set(
    "EST LVA LTU POL CZE SVK HUN SVN BGR ROU ALB BLR SRB XKX MDA RUS HRV MKD BIH MNE UKR "
    "YUG SUN SCG CSK DDR BYS".split()
)
WEST = set(
    "NLD FRA DEU LUX AUT CHE LIE GBR IRL DNK SWE NOR FIN ISL MCO FRO GRL ALA GGY JEY IMN SJM FXX".split()
)
SOUTH = set("ITA ESP PRT GRC MLT CYP SMR VAT AND GIB".split())
NORTH_AFRICA = set("MAR DZA TUN LBY EGY SDN ESH".split())
SUBSAHARA = set(
    "AGO BDI BEN BFA BWA CAF CIV CMR COD COG COM CPV DJI ERI ETH GAB GHA GIN GMB GNB GNQ KEN "
    "LBR LSO MDG MLI MOZ MRT MUS MWI MYT NAM NER NGA REU RWA SEN SHN SLE SOM SSD STP SWZ SYC "
    "TCD TGO TZA UGA ZAF ZMB ZWE IOT ZAR DHY HVO RHO AFI".split()
)
WEST_ASIA = set("ARM AZE BHR GEO IRQ ISR JOR KWT LBN OMN QAT SAU PSE SYR TUR ARE YEM YMD NTZ".split())
SPECIAL = [
    # iso3, iso2, numeric, name_en, name_nl, note
    ("XKX", "XK", "", "Kosovo", "Kosovo", "user-assigned code (EU, ICAO); not in ISO 3166-1"),
    ("XXA", "", "", "Stateless", "Staatloos", "ICAO 9303 code for stateless persons"),
    ("XXB", "", "", "Refugee (1951 Convention)", "Vluchteling (Verdrag 1951)", "ICAO 9303"),
    ("XXC", "", "", "Refugee (other)", "Vluchteling (andere)", "ICAO 9303"),
    ("XXX", "", "", "Unknown nationality", "Onbekende nationaliteit", "ICAO 9303: unspecified"),
]
ALIASES = {"UK": "GBR", "EL": "GRC", "XK": "XKX"}


def group6(a3: str) -> str:
    if a3 == "BEL":
        return "belgian"
    for name, members in (
        ("east_europe", EAST), ("west_europe", WEST), ("south_europe", SOUTH),
        ("north_africa", NORTH_AFRICA), ("subsaharan_africa", SUBSAHARA), ("west_asia", WEST_ASIA),
    ):
        if a3 in members:
            return name
    return "other"


def municipal6(a3: str) -> str:
    g = group6(a3)
    if a3 == "NLD":
        return "netherlands"
    if a3 == "TUR":
        return "turkey"
    if a3 == "MAR":
        return "morocco"
    if g == "west_europe":
        return "west_north_europe"
    if g in ("south_europe", "east_europe", "belgian"):
        return g
    return "other"


def main(src: str) -> None:
    base = Path(src)
    nl1 = gettext.translation("iso_3166-1", localedir="/usr/share/locale", languages=["nl"], fallback=True)
    nl3 = gettext.translation("iso_3166-3", localedir="/usr/share/locale", languages=["nl"], fallback=True)
    rows = []
    for c in json.loads((base / "iso_3166-1.json").read_text())["3166-1"]:
        rows.append((c["alpha_3"], c["alpha_2"], c["numeric"], c["name"], nl1.gettext(c["name"]), "current", ""))
    current = {r[0] for r in rows}
    for c in json.loads((base / "iso_3166-3.json").read_text())["3166-3"]:
        if c["alpha_3"] in current:  # code re-used for a current country (e.g. ATF)
            continue
        rows.append((c["alpha_3"], "", c.get("numeric", ""), c["name"], nl3.gettext(c["name"]),
                     "former", f"withdrawn {c.get('withdrawal_date', '')}".strip()))
    for a3, a2, num, en, nl, note in SPECIAL:
        rows.append((a3, a2, num, en, nl, "special", note))
    out = Path(__file__).with_name("countries.csv")
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["iso3", "iso2", "numeric", "name_en", "name_nl", "status", "group6", "municipal6", "note"])
        for a3, a2, num, en, nl, status, note in sorted(rows):
            w.writerow([a3, a2, num, en, nl, status, group6(a3), municipal6(a3), note])
    with out.with_name("country_aliases.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["alias", "iso3", "note"])
        w.writerow(["UK", "GBR", "common abbreviation (not ISO)"])
        w.writerow(["EL", "GRC", "Eurostat code for Greece"])
        w.writerow(["XK", "XKX", "Kosovo, user-assigned alpha-2"])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/iso-codes/json")
