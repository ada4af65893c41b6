"""Income indicators from Statbel's fiscal statistics (sector files ``fisc*`` and the municipal
``TF_PSNL_INC_TAX_MUNTY``), as ratios of summed totals (never means of means).

Measures used (ids of the Statbel readers): ``total_net_taxable_income`` (EUR),
``tax_declarations`` (sector: number of declarations), ``tax_declarations_nonzero`` +
``tax_declarations_zero`` (municipal), ``residents_income_statistics`` (municipal: inhabitants
in the income statistics), ``median_taxable_income_declaration`` (sector median, EUR; medians
cannot be aggregated: only where published).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError
from aankomst.indicators import _counts as C
from aankomst.indicators._store import Store, Trace, parse_year, resolve_level, result_frame
from aankomst.indicators.result import Computed


def _total_income(s: Store, target, year: int, ind: str, tr: Trace) -> pd.DataFrame:
    return C.measure_values(s, target, "total_net_taxable_income", str(year), indicator=ind,
                            trace=tr, aggregate=True)[["code", "value"]]


def income_per_inhabitant(atlas: Any, *, level: str, period: Any, population_offset: Any = 0,
                          layout: str | None = None, **_: Any) -> Computed:
    """Net taxable income per inhabitant (EUR), income year ``period``.

    value = Σ total net taxable income ÷ Σ inhabitants, where inhabitants are Statbel's residents
    of the income statistics when published at (or below) the level, else the population on 1
    January of ``period + population_offset`` (default 0: the income year).
    """
    ind = "income_per_inhabitant"
    s, target, tr = Store(atlas), resolve_level(level, layout), Trace()
    year = parse_year(period)
    inc = _total_income(s, target, year, ind, tr)
    res = C.measure_values(s, target, "residents_income_statistics", str(year), indicator=ind,
                           trace=None, aggregate=True, required=False)
    if not res.empty:
        C.measure_values(s, target, "residents_income_statistics", str(year), indicator=ind,
                         trace=tr, aggregate=True, required=False)
        den = res[["code", "value"]].rename(columns={"value": "denominator"})
    else:
        den = C.group_population(s, target, date(year + int(population_offset), 1, 1), None, None,
                                 indicator=ind, trace=tr).rename(columns={"count": "denominator"})
    inc_codes = set(inc["code"])
    den = den[den["code"].isin(inc_codes)]
    df = inc.merge(den, on="code", how="inner")
    df = df[df["denominator"] > 0]
    df = df.assign(value=df["value"] / df["denominator"], numerator=np.nan)
    return result_frame(s, target, df, period=str(year), group="total",
                        unit="EUR per inhabitant", trace=tr)


def income_per_declaration(atlas: Any, *, level: str, period: Any, statistic: str = "mean",
                           layout: str | None = None, **_: Any) -> Computed:
    """Net taxable income per tax declaration (EUR), income year ``period``.

    ``statistic='mean'``: Σ total net taxable income ÷ Σ declarations (any level, summed along
    crosswalks). ``'median'``: Statbel's published median, only at the level it is published
    for (sectors); asking it elsewhere raises :class:`~aankomst.errors.MissingInputError`.
    """
    ind = "income_per_declaration"
    s, target, tr = Store(atlas), resolve_level(level, layout), Trace()
    year = parse_year(period)
    if statistic == "median":
        med = C.measure_values(s, target, "median_taxable_income_declaration", str(year),
                               indicator=ind, trace=tr, aggregate=False)
        df = med.assign(numerator=np.nan, denominator=np.nan)
        return result_frame(s, target, df, period=str(year), group="total",
                            unit="EUR per declaration (median)", trace=tr)
    if statistic != "mean":
        from aankomst.errors import UnknownCodeError

        raise UnknownCodeError("statistic", statistic, known=["mean", "median"])
    inc = _total_income(s, target, year, ind, tr)
    dec = C.measure_values(s, target, "tax_declarations", str(year), indicator=ind, trace=None,
                           aggregate=True, required=False)
    if not dec.empty:
        C.measure_values(s, target, "tax_declarations", str(year), indicator=ind, trace=tr,
                         aggregate=True, required=False)
    else:
        nz = C.measure_values(s, target, "tax_declarations_nonzero", str(year), indicator=ind,
                              trace=tr, aggregate=True, required=False)
        z = C.measure_values(s, target, "tax_declarations_zero", str(year), indicator=ind,
                             trace=tr, aggregate=True, required=False)
        if nz.empty:
            raise MissingInputError(ind, "numbers of tax declarations (tax_declarations or "
                                    f"tax_declarations_nonzero) at level {target[0]}", years=[year])
        dec = nz[["code", "value"]].merge(z[["code", "value"]], on="code", how="left",
                                          suffixes=("", "_z")).fillna({"value_z": 0.0})
        dec["value"] = dec["value"] + dec["value_z"]
    df = inc.merge(dec[["code", "value"]].rename(columns={"value": "denominator"}), on="code")
    df = df[df["denominator"] > 0]
    df = df.assign(value=df["value"] / df["denominator"], numerator=np.nan)
    return result_frame(s, target, df, period=str(year), group="total",
                        unit="EUR per declaration (mean)", trace=tr)
