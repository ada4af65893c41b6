"""Readers of the Brussels files: the IBSA neighbourhood-monitoring export (xlsx, three header
rows), its JSON twin (recognised as a duplicate), the communes migration JSON, the 2007
nationality-by-sector table, the sector -> monitoring-neighbourhood table and the median-income
files."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.errors import InputError
from aankomst.paths import package_data
from aankomst.sources._util import (
    check_unique,
    frame,
    nis5,
    norm_code,
    numeric,
    read_csv_text,
    read_excel,
    read_text,
)
from aankomst.sources.base import sha256_file
from aankomst.sources.meta import provenance
from aankomst.sources.statbel import (
    SECTOR_RE,
    check_sector_codes,
    municipality_layout,
    sector_layout,
)
from aankomst.store.batch import LoadBatch

MONITOR = ("brussels_neighbourhood", "monitor")
_SECTOR_EXPECTED = "9 characters such as 21001A00-"
#: Cell markers IBSA uses for values that are not available (ND) or confidential (VS).
MISSING_MARKERS = ("VS", "ND", "-", "N.A.", "NA", "X")


def _slug(text: str) -> str:
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", t).strip("_")[:60]


def monitor_indicators() -> pd.DataFrame:
    """Mapping of the export's indicator labels to atlas tables (``data/brussels_monitor.csv``)."""
    return pd.read_csv(package_data("brussels_monitor.csv"), dtype=str, keep_default_na=False)


def read_monitor_export(path: Path) -> list[LoadBatch]:
    """IBSA neighbourhood-monitoring export: one row per neighbourhood (code, name), three header
    rows (indicator, unit, year). Count series (total population, men, women, foreigners) go to
    ``population`` (1 January of the year; ``nationality/BEL`` is derived as total − foreigners);
    all other series to ``measures`` as mapped in ``data/brussels_monitor.csv``. Unknown series
    are loaded under a slug id with a warning. Neighbourhoods listed twice with different values
    are left out (warning): the export does not say which row is right."""
    path = Path(path)
    raw = read_excel(path, header=None)
    if raw.shape[0] < 4 or raw.shape[1] < 3:
        raise InputError(str(path), f"only {raw.shape[0]} rows × {raw.shape[1]} columns", expected="3 header rows (indicator, unit, year) and one row per neighbourhood")
    ind, unit, year = raw.iloc[0], raw.iloc[1], raw.iloc[2]
    body = raw.iloc[3:].copy()
    body["source_row"] = np.arange(4, len(raw) + 1)
    body["code"] = body[0].map(norm_code)
    if body["code"].isna().any():
        r = body[body["code"].isna()].iloc[0]
        raise InputError(str(path), "row without a neighbourhood code", row=int(r["source_row"]), column="A", expected="the mdrc code in the first column")
    mapping = monitor_indicators().set_index("label")
    warnings: list[str] = []
    # duplicate neighbourhood rows
    dupc = body["code"][body["code"].duplicated()].unique().tolist()
    drop_codes = []
    for c in dupc:
        rows = body[body["code"] == c]
        if len({tuple(pd.Series(r).fillna("∅").tolist()) for r in rows.drop(columns=["source_row"]).itertuples(index=False)}) > 1:
            drop_codes.append(c)
            warnings.append(f"neighbourhood {c} appears on rows {rows['source_row'].tolist()} with different values: left out")
    body = body[~body["code"].isin(drop_codes)].drop_duplicates("code")
    pops, meas = [], []
    n_marker = 0
    unknown: set[str] = set()
    for j in range(2, raw.shape[1]):
        label = None if pd.isna(ind.iloc[j]) else str(ind.iloc[j]).strip()
        col = body[j]
        if label is None or pd.isna(year.iloc[j]):
            if col.notna().any():
                i = col.first_valid_index()
                raise InputError(str(path), f"values under a column without indicator/year header (column {j + 1})", row=int(body.loc[i, "source_row"]),
                                 column=str(j + 1), expected="three header rows: indicator, unit, year")
            continue
        yr = norm_code(year.iloc[j])
        sub = pd.DataFrame({"code": body["code"], "v": col, "source_row": body["source_row"]})
        sub["v"] = pd.to_numeric(sub["v"], errors="coerce")
        text = col.astype(str).str.strip()
        badnum = sub["v"].isna() & col.notna() & (text != "")
        marker = badnum & text.str.upper().isin(MISSING_MARKERS)
        n_marker += int(marker.sum())
        junk = badnum & ~marker
        if junk.any():
            i = sub.index[junk.to_numpy()][0]
            if label in mapping.index and mapping.loc[label, "table"] == "population":
                raise InputError(str(path), f"value {col.loc[i]!r} of {label!r} ({yr}) is not a number", row=int(sub.loc[i, "source_row"]),
                                 column=str(j + 1), expected="a count of persons")
            warnings.append(f"row {int(sub.loc[i, 'source_row'])}, column {j + 1} ({label}, {yr}): text {col.loc[i]!r} instead of a number, not loaded")
        sub = sub[sub["v"].notna()]
        if label in mapping.index:
            m = mapping.loc[label]
            if isinstance(m, pd.DataFrame):
                m = m.iloc[0]
        else:
            unknown.add(label)
            m = pd.Series({"table": "measures", "measure": "ibsa_" + _slug(label), "scheme": "total", "grp": "total",
                           "unit": "" if pd.isna(unit.iloc[j]) else str(unit.iloc[j]), "sex": ""})
        if m["table"] == "population":
            sub["count"] = sub["v"]
            neg = (sub["count"] < 0) | (sub["count"] != sub["count"].round())
            if neg.any():
                i = sub.index[neg.to_numpy()][0]
                raise InputError(str(path), f"count {sub.loc[i, 'v']!r} of {label!r} ({yr}) is not a whole non-negative number",
                                 row=int(sub.loc[i, "source_row"]), column=str(j + 1), expected="a count of persons")
            pops.append(pd.DataFrame({"code": sub["code"], "year": yr, "scheme": m["scheme"], "grp": m["grp"],
                                      "sex": m["sex"] or "T", "count": sub["count"].astype("int64"), "source_row": sub["source_row"]}))
        else:
            meas.append(pd.DataFrame({"code": sub["code"], "measure": m["measure"], "period": yr, "scheme": m["scheme"] or "total",
                                      "grp": m["grp"] or "total", "value": sub["v"].astype(float),
                                      "unit": m["unit"] or ("" if pd.isna(unit.iloc[j]) else str(unit.iloc[j])), "source_row": sub["source_row"]}))
    if n_marker:
        warnings.append(f"{n_marker} cell(s) marked as not available/confidential ({', '.join(MISSING_MARKERS)}) not loaded")
    if unknown:
        warnings.append(f"{len(unknown)} series not in data/brussels_monitor.csv loaded under ibsa_* ids: {sorted(unknown)}")
    tables: dict[str, pd.DataFrame] = {}
    if pops:
        p = pd.concat(pops, ignore_index=True)
        dup = p.duplicated(["code", "year", "scheme", "grp", "sex"], keep="last")
        p = p[~dup]
        tot = p[(p["scheme"] == "total") & (p["sex"] == "T")].set_index(["code", "year"])["count"]
        etr = p[(p["scheme"] == "nationality") & (p["grp"] == "ETR")].set_index(["code", "year"])["count"]
        both = tot.index.intersection(etr.index)
        bel = (tot.loc[both] - etr.loc[both])
        if (bel < 0).any():
            k = bel[bel < 0].index[0]
            raise InputError(str(path), f"neighbourhood {k[0]} in {k[1]}: {int(etr.loc[k])} foreigners exceed the total population {int(tot.loc[k])}",
                             expected="totals that contain their parts")
        if len(bel):
            b = bel.reset_index().rename(columns={0: "count"})
            b.columns = ["code", "year", "count"]
            p = pd.concat([p, b.assign(scheme="nationality", grp="BEL", sex="T", source_row=None)], ignore_index=True)
            warnings.append("nationality/BEL derived as total population − total foreigners")
        tables["population"] = frame("population", {
            "level": MONITOR[0], "layout": MONITOR[1], "code": p["code"],
            "ref_date": pd.to_datetime(p["year"].astype(str) + "-01-01").dt.date, "scheme": p["scheme"], "grp": p["grp"],
            "sex": p["sex"], "age_band": "total", "count": p["count"].astype("int64"), "source_row": p["source_row"]})
    if meas:
        mm = pd.concat(meas, ignore_index=True).drop_duplicates(["code", "measure", "period", "scheme", "grp"], keep="last")
        tables["measures"] = frame("measures", {"level": MONITOR[0], "layout": MONITOR[1], **{c: mm[c] for c in mm.columns}})
    tables["areas"] = frame("areas", {"level": MONITOR[0], "layout": MONITOR[1], "code": body["code"], "name_nl": body[1]})
    meta = provenance(path, "brussels_monitor")
    return [LoadBatch(source_id="brussels/ibsa_monitoring_quartiers_export", family="brussels_monitor", path=str(path),
                      sha256=sha256_file(path), tables=tables, rows_read=len(raw) - 3, warnings=warnings, **meta)]


def read_monitor_series_json(path: Path) -> list[LoadBatch]:
    """``ibsa_monitoring_quartiers_series.json``: the same series as the xlsx export (some
    incomplete). Recognised and recorded in provenance with no rows, as a duplicate."""
    path = Path(path)
    try:
        d = json.loads(read_text(path))
        n = len(d["neighborhoods"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(str(path), f"not the IBSA series JSON ({exc})", expected='a JSON object with "neighborhoods" and "metadata"') from exc
    meta = provenance(path, "brussels_monitor_json")
    return [LoadBatch(source_id="brussels/ibsa_monitoring_quartiers_series", family="brussels_monitor_json", path=str(path),
                      sha256=sha256_file(path), tables={}, rows_read=n,
                      warnings=["duplicate of ibsa_monitoring_quartiers_export.xlsx (same series, some incomplete): not loaded"], **meta)]


_AGE_COUNTS = {"age_count_0_17": "0-17", "age_count_18_64": "18-64", "age_count_65plus": "65+", "age_count_12_17": "12-17"}


def _age_band(key: str) -> str:
    b = key.split("age_pct_", 1)[1]
    if b == "under3":
        return "0-2"
    if b.endswith("plus"):
        return b[:-4] + "+"
    return b.replace("_", "-")


def read_communes_migration(path: Path) -> list[LoadBatch]:
    """Brussels communes 2000–2024: population (1 January), internal in/out migration counts as
    ``flows`` between the commune and the rest of Belgium (``origin_kind``/``dest_kind``
    ``belgium``), internal and international balances as ``measures`` (persons), age counts as
    population age bands and age shares as measure ``age_share`` (%)."""
    path = Path(path)
    try:
        d = json.loads(read_text(path))
        communes = d["communes"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(str(path), f"not the communes migration JSON ({exc})", expected='a JSON object with "communes": {code: {timeseries: …}}') from exc
    pops, flows, meas, areas = [], [], [], []
    for key, c in communes.items():
        code = nis5(c.get("code", key))
        if code is None or not code.isdigit():
            raise InputError(str(path), f"commune {key!r} has no NIS code", column="code", expected="a 5-digit NIS code such as 21001")
        areas.append({"code": code, "name_nl": c.get("nameDut"), "name_fr": c.get("nameFr")})
        ts = c.get("timeseries", {})
        for series, values in ts.items():
            for y, v in values.items():
                if v is None:
                    continue
                yr = int(y)
                where = f"communes.{key}.timeseries.{series}.{y}"
                if not isinstance(v, (int, float)):
                    raise InputError(str(path), f"value {v!r} is not a number", column=where, expected="a number")
                if series == "total_population" or series in _AGE_COUNTS:
                    if v < 0 or v != round(v):
                        raise InputError(str(path), f"count {v!r} is not a whole non-negative number", column=where, expected="a count of persons")
                    pops.append((code, yr, _AGE_COUNTS.get(series, "total"), int(v)))
                elif series in ("internal_in_num", "internal_out_num"):
                    if v < 0 or v != round(v):
                        raise InputError(str(path), f"count {v!r} is not a whole non-negative number", column=where, expected="a count of moves")
                    flows.append((code, yr, series == "internal_in_num", int(v)))
                elif series == "internal_balance_num":
                    meas.append((code, str(yr), "internal_migration_balance", "total", "total", float(v), "persons"))
                elif series == "international_balance_num":
                    meas.append((code, str(yr), "international_migration_balance", "total", "total", float(v), "persons"))
                elif series.startswith("age_pct_"):
                    meas.append((code, str(yr), "age_share", "age", _age_band(series), float(v) * 100.0, "%"))
    p = pd.DataFrame(pops, columns=["code", "year", "age_band", "count"])
    p["layout"] = p["year"].map(municipality_layout)
    f = pd.DataFrame(flows, columns=["code", "year", "inbound", "count"])
    f["layout"] = f["year"].map(municipality_layout)
    m = pd.DataFrame(meas, columns=["code", "period", "measure", "scheme", "grp", "value", "unit"])
    m["layout"] = m["period"].astype(int).map(municipality_layout)
    a = pd.DataFrame(areas)
    layouts = sorted(set(p["layout"]) | set(f["layout"]) | set(m["layout"]))
    tables = {
        "areas": pd.concat([frame("areas", {"level": "municipality", "layout": ly, **{k: a[k] for k in a.columns}}) for ly in layouts], ignore_index=True),
        "population": frame("population", {"level": "municipality", "layout": p["layout"], "code": p["code"],
                                           "ref_date": pd.to_datetime(p["year"].astype(str) + "-01-01").dt.date, "scheme": "total",
                                           "grp": "total", "sex": "T", "age_band": p["age_band"], "count": p["count"]}),
        "flows": frame("flows", {
            "year": f["year"].astype(int),
            "origin_kind": np.where(f["inbound"], "belgium", "area"),
            "origin_level": np.where(f["inbound"], np.array(None), "municipality"),
            "origin_layout": np.where(f["inbound"], None, f["layout"]),
            "origin_code": np.where(f["inbound"], None, f["code"]),
            "dest_kind": np.where(f["inbound"], "area", "belgium"),
            "dest_level": np.where(f["inbound"], "municipality", np.array(None)),
            "dest_layout": np.where(f["inbound"], f["layout"], None),
            "dest_code": np.where(f["inbound"], f["code"], None),
            "scheme": "total", "grp": "total", "count": f["count"]}),
        "measures": frame("measures", {"level": "municipality", **{c: m[c] for c in m.columns}}),
    }
    meta = provenance(path, "brussels_migration")
    return [LoadBatch(source_id="brussels/brussels_communes_migration", family="brussels_migration", path=str(path),
                      sha256=sha256_file(path), tables=tables, rows_read=len(communes),
                      warnings=["internal migration = moves from/to other Belgian municipalities (origin/destination 'belgium')"], **meta)]


def country_names_fr() -> dict[str, str]:
    """French country labels as used in Brussels tables -> ISO 3166 alpha-3 (``data/country_names_fr.csv``)."""
    t = pd.read_csv(package_data("country_names_fr.csv"), dtype=str, keep_default_na=False)
    return dict(zip(t["label"].str.upper(), t["iso3"]))


def read_nationalities_2007(path: Path) -> list[LoadBatch]:
    """Residents by nationality per Brussels sector, 2007 (semicolon CSV ``sscod;BELGIQUE;…;
    TOTAL_AFRIQUE;TOTAL_(AVEC_REFUGIES)``) -> ``population`` on 2007-01-01, sectors of the 2001
    layout: scheme ``country`` (ISO alpha-3), ``continent/africa``, ``total/total`` and
    ``nationality`` BEL / ETR (ETR = total − Belgians). Empty cells are not loaded."""
    path = Path(path)
    df = read_csv_text(path, sep=";", required=["sscod"], encodings=("utf-8-sig", "cp1252"))
    names = country_names_fr()
    total_col = next((c for c in df.columns if c.upper().startswith("TOTAL_(") or c.upper() == "TOTAL"), None)
    if total_col is None:
        raise InputError(str(path), "no total column", row=1, expected="a column TOTAL_(AVEC_REFUGIES) with all residents")
    df["code"] = df["sscod"].map(norm_code)
    bad = ~df["code"].fillna("").str.match(SECTOR_RE)
    mangled = bad & df["sscod"].fillna("").str.fullmatch(r"\d,\d+E\+\d+")
    pre_warn = []
    if mangled.any():
        # codes such as 21004E101 turned into numbers by a spreadsheet (2,1E+105): unrecoverable
        pre_warn.append(f"{int(mangled.sum())} row(s) whose sector code was turned into a number by a spreadsheet "
                        f"(rows {df.loc[mangled, 'source_row'].tolist()}, e.g. {df.loc[mangled, 'sscod'].iloc[0]!r}): left out")
        df = df[~mangled]
    check_sector_codes(str(path), df, "code", raw="sscod", expected=_SECTOR_EXPECTED)
    check_unique(str(path), df, ["code"], "sector")
    parts, unknown = [], []
    cols = [c for c in df.columns if c not in ("sscod", "code", "source_row")]
    vals = {c: numeric(str(path), df, c, count=True) for c in cols}
    for c in cols:
        cu = c.upper()
        if c == total_col:
            sg = ("total", "total")
        elif cu == "TOTAL_AFRIQUE":
            sg = ("continent", "africa")
        elif cu in names:
            sg = ("country", names[cu])
        else:
            unknown.append(c)
            continue
        ok = vals[c].notna()
        parts.append(pd.DataFrame({"code": df.loc[ok, "code"], "scheme": sg[0], "grp": sg[1], "count": vals[c][ok].astype("int64"),
                                   "source_row": df.loc[ok, "source_row"]}))
        if sg == ("country", "BEL"):
            parts.append(parts[-1].assign(scheme="nationality"))
    countries = [c for c in cols if c.upper() in names]
    listed = sum(vals[c].fillna(0) for c in countries)
    over = listed > vals[total_col]
    if over.any():
        i = df.index[over.to_numpy()][0]
        raise InputError(str(path), f"the listed nationalities add up to {int(listed.loc[i])}, more than the total {int(vals[total_col].loc[i])}",
                         row=int(df.loc[i, "source_row"]), column=total_col, expected="a total at least the sum of its parts")
    okb = vals[total_col].notna() & vals.get(next((c for c in countries if names[c.upper()] == "BEL"), total_col), vals[total_col]).notna()
    bel_col = next((c for c in countries if names[c.upper()] == "BEL"), None)
    if bel_col:
        parts.append(pd.DataFrame({"code": df.loc[okb, "code"], "scheme": "nationality", "grp": "ETR",
                                   "count": (vals[total_col] - vals[bel_col])[okb].astype("int64"), "source_row": df.loc[okb, "source_row"]}))
    p = pd.concat(parts, ignore_index=True)
    sl = sector_layout(2007)
    warnings = pre_warn + ["nationality/ETR derived as total − Belgians", f"{int(sum(vals[c].isna().sum() for c in cols))} empty cell(s) not loaded"]
    if unknown:
        warnings.append(f"columns not mapped to a country (add them to data/country_names_fr.csv): {unknown}")
    tables = {
        "areas": frame("areas", {"level": "sector", "layout": sl, "code": df["code"]}),
        "population": frame("population", {"level": "sector", "layout": sl, "code": p["code"], "ref_date": pd.Timestamp("2007-01-01").date(),
                                           "scheme": p["scheme"], "grp": p["grp"], "sex": "T", "age_band": "total",
                                           "count": p["count"], "source_row": p["source_row"]}),
    }
    meta = provenance(path, "brussels_nationalities")
    return [LoadBatch(source_id="brussels/nationalites_secteurs_bxl_2007", family="brussels_nationalities", path=str(path),
                      sha256=sha256_file(path), tables=tables, rows_read=len(df), warnings=warnings, **meta)]


def read_sectors_neighbourhoods(path: Path) -> list[LoadBatch]:
    """``secteurs_quartiers_2023.csv`` (``id;cd_sector``): Brussels sectors (2019 layout, in
    force 2019–2023) -> monitoring neighbourhoods, as ``crosswalks``."""
    path = Path(path)
    df = read_csv_text(path, sep=";", required=["id", "cd_sector"])
    df["code"] = df["cd_sector"].map(norm_code)
    df["nb"] = df["id"].map(norm_code)
    check_sector_codes(str(path), df, "code", raw="cd_sector", expected=_SECTOR_EXPECTED)
    check_unique(str(path), df, ["code"], "sector")
    sl = sector_layout(2023)
    cw = frame("crosswalks", {"from_level": "sector", "from_layout": sl, "from_code": df["code"], "to_level": MONITOR[0],
                              "to_layout": MONITOR[1], "to_code": df["nb"], "source_row": df["source_row"]})
    meta = provenance(path, "brussels_sector_neighbourhoods")
    return [LoadBatch(source_id="brussels/secteurs_quartiers_2023", family="brussels_sector_neighbourhoods", path=str(path),
                      sha256=sha256_file(path), tables={"crosswalks": cw}, rows_read=len(df), **meta)]


def read_sector_income_csv(path: Path) -> list[LoadBatch]:
    """``revenu_imposable_median_secteurs_2019.csv`` (``id,name,value``): IBSA's median taxable
    income per declaration per Brussels sector, 2019 -> measure
    ``median_taxable_income_declaration_ibsa`` (EUR; kept apart from Statbel's ``fisc2019``)."""
    path = Path(path)
    df = read_csv_text(path, sep=",", required=["id", "value"])
    df["code"] = df["id"].map(norm_code)
    check_sector_codes(str(path), df, "code", raw="id", expected=_SECTOR_EXPECTED)
    check_unique(str(path), df, ["code"], "sector")
    v = numeric(str(path), df, "value")
    ok = v.notna()
    sl = sector_layout(2019)
    tables = {
        "areas": frame("areas", {"level": "sector", "layout": sl, "code": df["code"], "name_fr": df.get("name")}),
        "measures": frame("measures", {"level": "sector", "layout": sl, "code": df.loc[ok, "code"], "measure": "median_taxable_income_declaration_ibsa",
                                       "period": "2019", "value": v[ok].astype(float), "unit": "EUR", "source_row": df.loc[ok, "source_row"]}),
    }
    meta = provenance(path, "brussels_sector_income")
    return [LoadBatch(source_id="brussels/revenu_imposable_median_secteurs_2019", family="brussels_sector_income", path=str(path),
                      sha256=sha256_file(path), tables=tables, rows_read=len(df), **meta)]
