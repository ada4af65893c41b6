"""Readers of Statbel's municipal taxable income (``TF_PSNL_INC_TAX_MUNTY``) and of the 2011
census housing table per sector (``census_2011_logements.xls``, best effort)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.errors import InputError
from aankomst.sources._util import check_unique, frame, nis5, norm_code, numeric, read_excel
from aankomst.sources.base import sha256_file
from aankomst.sources.meta import provenance
from aankomst.sources.statbel import _read_pipe_zip, municipality_layout, sector_layout
from aankomst.store.batch import LoadBatch

#: Named measures of TF_PSNL_INC_TAX_MUNTY; every other MS_ column becomes
#: ``statbel_<column lower-case without MS_>``.
INCOME_MEASURES: dict[str, tuple[str, str]] = {
    "MS_TOT_NET_TAXABLE_INC": ("total_net_taxable_income", "EUR"),
    "MS_TOT_RESIDENTS": ("residents_income_statistics", "persons"),
    "MS_NBR_NON_ZERO_INC": ("tax_declarations_nonzero", "declarations"),
    "MS_NBR_ZERO_INC": ("tax_declarations_zero", "declarations"),
    "MS_TOT_NET_INC": ("total_net_income", "EUR"),
    "MS_TOT_TAXES": ("total_taxes", "EUR"),
}


def income_measure_id(col: str) -> tuple[str, str]:
    """Measure id and unit for a TF_PSNL_INC_TAX_MUNTY column."""
    if col in INCOME_MEASURES:
        return INCOME_MEASURES[col]
    unit = "declarations" if col.startswith("MS_NBR_") else "EUR"
    return "statbel_" + col[3:].lower(), unit


def read_income_munty(path: Path) -> list[LoadBatch]:
    """``TF_PSNL_INC_TAX_MUNTY.zip``: taxable income per municipality and income year ->
    ``measures`` (period = income year; municipal layout of the year: ``2018`` up to 2018)."""

    path = Path(path)
    table, member, cols = _read_pipe_zip(path)
    where = f"{path}!{member}"
    code = next((c for c in ("CD_MUNTY_REFNIS", "CD_REFNIS") if c in cols), None)
    missing = [c for c in ("CD_YEAR", "MS_TOT_NET_TAXABLE_INC", "MS_TOT_RESIDENTS") if c not in cols]
    if code is None:
        missing.insert(0, "CD_MUNTY_REFNIS (or CD_REFNIS)")
    if missing:
        raise InputError(where, f"missing column(s) {missing}; the header has {cols[:10]} …", row=1, column=missing[0],
                         expected="Statbel TF_PSNL_INC_TAX_MUNTY columns CD_YEAR, CD_MUNTY_REFNIS, MS_TOT_NET_TAXABLE_INC, MS_TOT_RESIDENTS, …")
    df = table.to_pandas()
    df["source_row"] = np.arange(2, len(df) + 2)
    df["code"] = df[code].map(nis5)
    df["year"] = numeric(where, df, "CD_YEAR", allow_missing=False).astype(int)
    check_unique(where, df, ["code", "year"], "municipality and income year")
    parts = []
    ms = [c for c in cols if c.startswith("MS_")]
    for c in ms:
        v = numeric(where, df, c, count=c in ("MS_TOT_RESIDENTS",) or c.startswith("MS_NBR_"))
        ok = v.notna()
        mid, unit = income_measure_id(c)
        parts.append(pd.DataFrame({"code": df.loc[ok, "code"], "year": df.loc[ok, "year"], "measure": mid,
                                   "value": v[ok].astype(float), "unit": unit, "source_row": df.loc[ok, "source_row"]}))
    m = pd.concat(parts, ignore_index=True)
    m["layout"] = m["year"].map(municipality_layout)
    measures = frame("measures", {"level": "municipality", "layout": m["layout"], "code": m["code"], "measure": m["measure"],
                                  "period": m["year"].astype(str), "value": m["value"], "unit": m["unit"],
                                  "source_row": m["source_row"]})
    units = df.drop_duplicates(["code", "year"]).copy()
    units["layout"] = units["year"].map(municipality_layout)
    units = units.drop_duplicates(["code", "layout"])
    areas = frame("areas", {"level": "municipality", "layout": units["layout"], "code": units["code"],
                            "name_nl": units.get("TX_MUNTY_DESCR_NL", units.get("TX_DESCR_NL")),
                            "name_fr": units.get("TX_MUNTY_DESCR_FR", units.get("TX_DESCR_FR"))})
    years = sorted(df["year"].unique())
    meta = provenance(path, "statbel_income_munty")
    meta["reference_date"] = f"income years {years[0]}–{years[-1]}"
    return [LoadBatch(
        source_id="statbel/TF_PSNL_INC_TAX_MUNTY", family="statbel_income_munty", path=str(path),
        sha256=sha256_file(path), tables={"areas": areas, "measures": measures}, rows_read=len(df), **meta,
    )]


CENSUS_HOUSING = {
    "Logements occupés par leur propriétaire": "dwellings_owner_occupied",
    "Logements loués": "dwellings_rented",
    "Non indiqué": "dwellings_tenure_unknown",
    "Autres unités d'habitation ou habitations collectives": "dwellings_other_units",
    "Total": "dwellings_total",
}


def read_census_housing(path: Path) -> list[LoadBatch]:
    """``census_2011_logements.xls``: occupied dwellings per sector by tenure (census 2011, as
    republished) -> ``measures`` ``dwellings_*`` (unit ``dwellings``), sectors of the 2011 layout."""
    path = Path(path)
    df = read_excel(path)
    df.columns = [str(c).strip() for c in df.columns]
    if "Secteur statistique" not in df.columns:
        raise InputError(str(path), f"no 'Secteur statistique' column; header {list(df.columns)}", row=1,
                         column="Secteur statistique", expected="columns Secteur statistique, Lieu de résidence, tenure counts, Total")
    df["source_row"] = np.arange(2, len(df) + 2)
    df["code"] = df["Secteur statistique"].map(norm_code)
    df = df[df["code"].notna()]
    check_unique(str(path), df, ["code"], "sector")
    sl = sector_layout(2011)
    parts = []
    for col, mid in CENSUS_HOUSING.items():
        if col not in df.columns:
            continue
        v = numeric(str(path), df, col, count=True)
        ok = v.notna()
        parts.append(frame("measures", {"level": "sector", "layout": sl, "code": df.loc[ok, "code"], "measure": mid,
                                        "period": "2011", "value": v[ok].astype(float), "unit": "dwellings",
                                        "source_row": df.loc[ok, "source_row"]}))
    if not parts:
        raise InputError(str(path), "none of the tenure columns found", row=1, expected=", ".join(CENSUS_HOUSING))
    areas = frame("areas", {"level": "sector", "layout": sl, "code": df["code"], "name_fr": df.get("Lieu de résidence")})
    meta = provenance(path, "census_housing")
    return [LoadBatch(
        source_id="statbel/census_2011_logements", family="census_housing", path=str(path), sha256=sha256_file(path),
        tables={"areas": areas, "measures": pd.concat(parts, ignore_index=True)}, rows_read=len(df), **meta,
    )]
