"""Readers of Aankomst's own CSV formats (documented in ``docs/formats.md``): population counts,
migration flows and area definitions, so users can load what they hold (a city monitor export, a
register extract already aggregated).

All three are text with a header line, separated by ``,`` or by ``;`` (what Dutch and French
Excel write; the header line decides, and in a ``;`` file a decimal comma is accepted in
``area_km2``). The encoding is UTF-8, with or without a byte order mark; a file that is not valid
UTF-8 is read as Windows-1252 (Excel's "CSV (gescheiden door lijstscheidingsteken)") and its
provenance says so. Line ends may be LF or CRLF; rows whose every field is empty (Excel writes
``;;;`` for formatted empty rows) are skipped. Every problem is reported with the file, the line
number (header = line 1), the column and the expected form; nothing is loaded when any row is
wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.errors import InputError, InputProblem
from aankomst.sources._util import (
    CSV_ENCODINGS,
    check_unique,
    detect_delimiter,
    first_line,
    frame,
    numeric,
    read_csv_text,
)
from aankomst.sources.base import sha256_file
from aankomst.store.batch import LoadBatch
from aankomst.store.schema import LEVELS

DELIMITERS: tuple[str, ...] = (",", ";")
"""Accepted delimiters of the own CSV formats (the header line decides)."""

POPULATION_REQUIRED = ["level", "layout", "code", "ref_date", "scheme", "grp", "count"]
FLOWS_REQUIRED = ["year", "origin_kind", "origin_code", "dest_kind", "dest_code", "count"]
FLOWS_SHORT_REQUIRED = ["year", "level", "layout", "origin", "destination", "count"]
AREAS_REQUIRED = ["level", "layout", "code", "name_nl"]
AGE_RE = re.compile(r"^(total|\d{1,3}-\d{1,3}|\d{1,3}\+)$")
KINDS = ("area", "abroad", "belgium", "unknown")


def _header(path: Path) -> list[str]:
    """Column names of the header line (lower case, quotes stripped), split at ``,`` or ``;``."""
    line = first_line(path)
    sep = detect_delimiter(line, DELIMITERS) or ","
    return [c.strip().strip('"').strip().lower() for c in line.split(sep)]


FORMATS: dict[str, tuple[list[str], ...]] = {
    "population": (POPULATION_REQUIRED,),
    "flows": (FLOWS_SHORT_REQUIRED, FLOWS_REQUIRED),
    "areas": (AREAS_REQUIRED,),
}
"""Required columns of each own format (flows: short or full form)."""


def explain_header(path: Path) -> tuple[str, str]:
    """Why a ``.csv`` file is none of the own formats: ``(message, expected)`` for the error,
    naming the columns missing from the format it comes closest to.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "pop.csv"
    >>> _ = p.write_text("level;layout;code;ref_date;scheme;grp;number\\n")
    >>> explain_header(p)[0]
    "the header (level, layout, code, ref_date, scheme, grp, number) matches no Aankomst CSV format: population lacks column(s) ['count']"
    """
    line = first_line(path)
    if detect_delimiter(line, DELIMITERS) is None:
        other = detect_delimiter(line, ("\t", "|"))
        if other is not None:
            return (f"the header line is {other!r}-separated ({line[:80]!r})",
                    "an Aankomst CSV format (docs/formats.md): ',' or ';'-separated text")
    h = [c for c in _header(path) if c]
    best: tuple[int, str, list[str]] | None = None
    for name, forms in FORMATS.items():
        for req in forms:
            missing = [c for c in req if c not in h]
            if best is None or len(missing) < len(best[2]):
                best = (len(req) - len(missing), name, missing)
    assert best is not None
    shown = ", ".join(h[:12]) + (" …" if len(h) > 12 else "")
    msg = f"the header ({shown}) matches no Aankomst CSV format"
    if best[0] >= 3:  # most columns of one format are there: say which are missing
        msg += f": {best[1]} lacks column(s) {best[2]}"
    expected = ("the header of an Aankomst CSV format (docs/formats.md), ',' or ';'-separated: population "
                f"({', '.join(POPULATION_REQUIRED)}), flows ({', '.join(FLOWS_SHORT_REQUIRED)}) or areas "
                f"({', '.join(AREAS_REQUIRED)}); or an official file under its published name")
    return msg, expected


def sniff_population(path: Path) -> bool:
    """True when the header has the population columns."""
    return set(POPULATION_REQUIRED) <= set(_header(path))


def sniff_flows(path: Path) -> bool:
    """True when the header has the (full or short) flow columns."""
    h = set(_header(path))
    return set(FLOWS_REQUIRED) <= h or set(FLOWS_SHORT_REQUIRED) <= h


def sniff_areas(path: Path) -> bool:
    """True when the header has the area-definition columns."""
    return set(AREAS_REQUIRED) <= set(_header(path)) and "count" not in set(_header(path))


def _problems(path: str, df: pd.DataFrame, bad: pd.Series, column: str, message, expected: str) -> None:
    if bad.any():
        idx = df.index[bad.to_numpy()][:20]
        probs = [InputProblem(path, int(df.loc[i, "source_row"]), column, message(df.loc[i, column]), expected) for i in idx]
        raise InputError(path, probs[0].message, problems=probs)


def _check_levels(path: str, df: pd.DataFrame, col: str = "level") -> None:
    v = df[col].fillna("")
    _problems(path, df, ~v.isin(LEVELS), col, lambda x: f"unknown level {x!r}", f"one of {', '.join(LEVELS)}")


def _nonempty(path: str, df: pd.DataFrame, cols: list[str]) -> None:
    for c in cols:
        _problems(path, df, df[c].isna() | (df[c].astype(str).str.strip() == ""), c, lambda x: "empty value", f"a value in column {c}")


def _read(path: Path, required: list[str]) -> pd.DataFrame:
    """Read an own-format file: ``,`` or ``;``, UTF-8 (BOM or not) or Windows-1252, LF or CRLF;
    drops rows and unnamed columns that are entirely empty. ``df.attrs`` keeps ``sep``,
    ``encoding`` and ``warnings`` (remarks for the provenance)."""
    df = read_csv_text(path, sep=DELIMITERS, required=required, encodings=CSV_ENCODINGS)
    attrs = dict(df.attrs)
    df.columns = [c.strip('"').strip().lower() for c in df.columns]
    data_cols = [c for c in df.columns if c != "source_row"]
    empty_cols = [c for c in data_cols if (c == "" or c.startswith("unnamed:")) and df[c].isna().all()]
    df = df.drop(columns=empty_cols)
    data_cols = [c for c in data_cols if c not in empty_cols]
    for c in data_cols:
        if df[c].dtype == object or str(df[c].dtype) in ("str", "string"):
            df[c] = df[c].map(lambda x: x.strip() if isinstance(x, str) else x)
    blank = df[data_cols].isna() | (df[data_cols].astype(str) == "")
    df = df[~blank.all(axis=1)].copy()
    warnings = []
    if attrs.get("encoding") == "cp1252":
        warnings.append(f"{path.name} is not UTF-8: read as Windows-1252 (cp1252), the encoding of Excel's "
                        "'CSV (gescheiden door lijstscheidingsteken)'; check the accented names, or save as 'CSV UTF-8'")
    df.attrs.update(attrs, warnings=warnings)
    return df


def _batch(path: Path, family: str, tables: dict[str, pd.DataFrame], n: int, warnings: list[str] | None = None) -> LoadBatch:
    return LoadBatch(
        source_id=f"user/{path.name}", family=family, path=str(path), sha256=sha256_file(path), tables=tables,
        title=f"{path.name} (user file, Aankomst {family.replace('user_', '')} format)", publisher="user",
        rows_read=n, warnings=warnings or [],
    )


def _decimal_comma(df: pd.DataFrame, column: str) -> None:
    """In a ``;``-separated file, accept ``12,5`` for ``12.5`` in a decimal column (Belgian
    spreadsheets write decimal commas there); a value with a ``.`` as well stays as it is and
    fails the number check."""
    if df.attrs.get("sep") == ";" and column in df.columns:
        v = df[column]
        txt = v.astype(str)
        ok = v.notna() & txt.str.fullmatch(r"-?\d+,\d+")
        df.loc[ok, column] = txt[ok].str.replace(",", ".", regex=False)


def _counts(path: str, df: pd.DataFrame, column: str = "count") -> pd.Series:
    """Counts of persons written as digits only: ``1.000`` (a Belgian thousands separator) or
    ``12.0`` is refused rather than read as 1 or 12."""
    txt = df[column].astype(str).str.strip()
    _problems(path, df, df[column].notna() & ~txt.str.fullmatch(r"\d+") & txt.str.fullmatch(r"\d+[.,]\d+"), column,
              lambda x: f"value {x!r} is not a count of persons (digits only, no thousands separator or decimals)",
              "a count of persons (0, 1, 2, …)")
    return numeric(path, df, column, count=True, allow_missing=False)


def read_population_csv(path: Path) -> list[LoadBatch]:
    """Population counts: ``level,layout,code,ref_date,scheme,grp[,sex][,age_band],count``.

    ``ref_date`` is an ISO date (``2024-01-01``); ``sex`` is ``T``/``M``/``F`` (default ``T``);
    ``age_band`` is ``total``, ``A-B`` or ``A+`` (default ``total``); ``count`` a whole number ≥ 0.
    One row per key (all columns but ``count``).
    """
    path = Path(path)
    p = str(path)
    df = _read(path, POPULATION_REQUIRED)
    notes = list(df.attrs["warnings"])
    _nonempty(p, df, ["level", "layout", "code", "ref_date", "scheme", "grp"])
    _check_levels(p, df)
    dates = pd.to_datetime(df["ref_date"], format="%Y-%m-%d", errors="coerce")
    _problems(p, df, dates.isna(), "ref_date", lambda x: f"date {x!r} is not an ISO date", "YYYY-MM-DD, e.g. 2024-01-01")
    if "sex" not in df.columns:
        df["sex"] = "T"
    df["sex"] = df["sex"].fillna("T").str.upper()
    _problems(p, df, ~df["sex"].isin(["T", "M", "F"]), "sex", lambda x: f"sex {x!r}", "T (total), M or F")
    if "age_band" not in df.columns:
        df["age_band"] = "total"
    df["age_band"] = df["age_band"].fillna("total")
    _problems(p, df, ~df["age_band"].astype(str).str.match(AGE_RE), "age_band", lambda x: f"age band {x!r}", "total, A-B (inclusive years, e.g. 0-4) or A+ (e.g. 85+)")
    counts = _counts(p, df)
    df["ref_date"] = dates.dt.date
    check_unique(p, df, ["level", "layout", "code", "ref_date", "scheme", "grp", "sex", "age_band"],
                 "area, date, scheme, group, sex and age band")
    df["count"] = counts.astype("int64")
    return [_batch(path, "user_population", {"population": frame("population", df)}, len(df), notes)]


def _kind_code(value: object, level: str, layout: str) -> tuple[str, str | None, str | None, str | None]:
    v = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
    low = v.lower()
    if low in ("belgium", "unknown"):
        return low, None, None, None
    if low == "abroad":
        return "abroad", None, None, "XXX"
    if low.startswith("abroad:"):
        return "abroad", None, None, v.split(":", 1)[1].strip().upper()
    if low.startswith("area:"):
        v = v.split(":", 1)[1].strip()
    return "area", level, layout, v


def read_flows_csv(path: Path) -> list[LoadBatch]:
    """Migration flows. Full form: ``year,origin_kind,origin_level,origin_layout,origin_code,
    dest_kind,dest_level,dest_layout,dest_code[,scheme,grp],count``; short form:
    ``year,level,layout,origin,destination[,scheme,grp],count`` where origin/destination is an
    area code, ``abroad:<ISO alpha-3>``, ``abroad``, ``belgium`` or ``unknown``.
    Kinds: ``area`` (needs level, layout, code), ``abroad`` (code = ISO alpha-3 or ``XXX``),
    ``belgium`` and ``unknown`` (no code)."""
    path = Path(path)
    p = str(path)
    h = set(_header(path))
    short = not set(FLOWS_REQUIRED) <= h and set(FLOWS_SHORT_REQUIRED) <= h
    df = _read(path, FLOWS_SHORT_REQUIRED if short else FLOWS_REQUIRED)
    notes = list(df.attrs["warnings"])
    if short:
        _nonempty(p, df, ["level", "layout", "origin", "destination"])
        _check_levels(p, df)
        o = [_kind_code(v, lv, ly) for v, lv, ly in zip(df["origin"], df["level"], df["layout"])]
        d = [_kind_code(v, lv, ly) for v, lv, ly in zip(df["destination"], df["level"], df["layout"])]
        for i, side in enumerate(("kind", "level", "layout", "code")):
            df[f"origin_{side}"] = [x[i] for x in o]
            df[f"dest_{side}"] = [x[i] for x in d]
    for side in ("origin", "dest"):
        for c in ("level", "layout", "code"):
            if f"{side}_{c}" not in df.columns:
                df[f"{side}_{c}"] = None
        k = df[f"{side}_kind"].fillna("").str.lower()
        df[f"{side}_kind"] = k
        _problems(p, df, ~k.isin(KINDS), f"{side}_kind", lambda x: f"kind {x!r}", "area, abroad, belgium or unknown")
        is_area = k == "area"
        col = f"{side}_level"
        bad = is_area & ~df[col].fillna("").isin(LEVELS)
        _problems(p, df, bad, col, lambda x: f"level {x!r} for an area {side}", f"one of {', '.join(LEVELS)}")
        for c in ("layout", "code"):
            bad = is_area & (df[f"{side}_{c}"].isna() | (df[f"{side}_{c}"].astype(str) == ""))
            _problems(p, df, bad, f"{side}_{c}", lambda x: "empty value for an area", f"the {c} of the area")
        ab = k == "abroad"
        df.loc[ab & df[f"{side}_code"].isna(), f"{side}_code"] = "XXX"
        bad = ab & ~df[f"{side}_code"].fillna("").astype(str).str.fullmatch(r"[A-Z]{3}")
        _problems(p, df, bad, f"{side}_code", lambda x: f"country {x!r}", "an ISO 3166 alpha-3 code such as MAR, or XXX for unknown")
        for c in ("level", "layout"):
            df.loc[~is_area, f"{side}_{c}"] = None
        df.loc[k.isin(["belgium", "unknown"]), f"{side}_code"] = None
    years = numeric(p, df, "year", allow_missing=False)
    _problems(p, df, (years < 1800) | (years > 2200) | (years != years.round()), "year", lambda x: f"year {x!r}", "a calendar year such as 2015")
    df["year"] = years.astype(int)
    for c in ("scheme", "grp"):
        if c not in df.columns:
            df[c] = "total"
        df[c] = df[c].fillna("total")
    counts = _counts(p, df)
    check_unique(p, df.fillna({c: "" for c in df.columns if c.startswith(("origin_", "dest_"))}),
                 ["year", "origin_kind", "origin_level", "origin_layout", "origin_code", "dest_kind", "dest_level",
                  "dest_layout", "dest_code", "scheme", "grp"], "year, origin, destination, scheme and group")
    same = (df["origin_kind"] == "area") & (df["dest_kind"] == "area") & (df["origin_code"] == df["dest_code"]) & (df["origin_level"] == df["dest_level"])
    warnings = notes + ([f"{int(same.sum())} flow row(s) with the same origin and destination area (moves within the area)"]
                        if same.any() else [])
    df["count"] = counts.astype("int64")
    return [_batch(path, "user_flows", {"flows": frame("flows", df)}, len(df), warnings)]


def read_areas_csv(path: Path) -> list[LoadBatch]:
    """Area definitions: ``level,layout,code,name_nl[,name_fr,name_en,area_km2,parent_level,
    parent_layout,parent_code,wkt]``. ``wkt`` is the geometry as WKT in EPSG:31370; parent
    columns become hierarchy links (``crosswalks``, weight 1)."""
    import shapely

    path = Path(path)
    p = str(path)
    df = _read(path, AREAS_REQUIRED)
    notes = list(df.attrs["warnings"])
    _decimal_comma(df, "area_km2")
    _nonempty(p, df, ["level", "layout", "code"])
    _check_levels(p, df)
    check_unique(p, df, ["level", "layout", "code"], "area (level, layout, code)")
    if "area_km2" in df.columns:
        df["area_km2"] = numeric(p, df, "area_km2")
        _problems(p, df, df["area_km2"] < 0, "area_km2", lambda x: f"area {x!r}", "an area in km² ≥ 0")
    geoms = None
    if "wkt" in df.columns:
        vals: list[object] = []
        for i, w in zip(df.index, df["wkt"]):
            if w is None or (isinstance(w, float) and np.isnan(w)) or str(w).strip() == "":
                vals.append(None)
                continue
            try:
                vals.append(shapely.from_wkt(str(w)))
            except Exception:
                raise InputError(p, f"geometry {str(w)[:40]!r}… is not valid WKT", row=int(df.loc[i, "source_row"]), column="wkt",
                                 expected="WKT such as POLYGON((x y, …)) in EPSG:31370") from None
        gs = np.array(vals, dtype=object)
        import geopandas as gpd

        from aankomst.sources.boundaries import check_crs

        g = gpd.GeoDataFrame(geometry=gpd.GeoSeries(gs, crs=31370))
        try:
            check_crs(p, g)
        except InputError as exc:
            r = int(df.iloc[exc.row - 1]["source_row"]) if exc.row else None
            raise InputError(p, exc.problems[0].message.replace(f"feature {exc.row}", f"row {r}"), row=r, column="wkt",
                             expected=exc.expected) from None
        geoms = shapely.to_wkb(gs)
        geoms = [None if v is None else b for v, b in zip(vals, geoms)]
    df["geometry"] = geoms
    tables = {"areas": frame("areas", df)}
    if "parent_code" in df.columns:
        has = df["parent_code"].notna() & (df["parent_code"].astype(str) != "")
        sub = df[has]
        for c in ("parent_level", "parent_layout"):
            if c not in sub.columns:
                raise InputError(p, f"parent_code given without {c}", row=1, column=c, expected="parent_level, parent_layout and parent_code together")
        _check_levels(p, sub, "parent_level")
        tables["crosswalks"] = frame("crosswalks", {
            "from_level": sub["level"], "from_layout": sub["layout"], "from_code": sub["code"],
            "to_level": sub["parent_level"], "to_layout": sub["parent_layout"], "to_code": sub["parent_code"],
            "source_row": sub["source_row"]})
    return [_batch(path, "user_areas", tables, len(df), notes)]
