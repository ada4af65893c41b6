"""Readers for deprivation indices: the BIMD 2001/2011 and the Atlas 2010 synthetic index.

Files read (``/work/shared/data/deprivation/**`` in the mirror, official formats):

* ``BIMD2001_DOMAINS_STATISTICAL_SECTOR_ELLIS_WIDE.csv`` / ``BIMD2011_…`` — per statistical
  sector six domain scores (exponentially transformed, 0–100, higher = more deprived), ranks
  (1 = most deprived) and deciles (1 = most deprived 10 %), and the overall BIMD.
* ``BIMD_2001_WITHOUT_HEALTH_ELLIS_WIDE.csv`` / ``…2011…`` — the overall index without health.
* ``DOMAINS_BIMD_<ed>_MUNICIPALITIES_ELLIS_WIDE_AVERAGE_SCORE.csv`` (and the ``LONG`` variant,
  same content) — population-weighted municipal average scores with their rank and decile. The
  two load under distinct source ids (``bimd/municipalities_<ed>`` for WIDE, read first, and
  ``bimd/municipalities_<ed>_long``); the store keeps the first copy of every key and notes in
  the LONG file's provenance how many rows it skipped and how many of them differ (a cross-check).
* ``population_2001`` / ``population_2011`` (tab-separated) — the sector populations used.
* ``names_sectors_municipalities_2001/2011.csv`` — sector and municipality names (areas).
* ``extent_weights.csv`` — weights of the *extent* summary by national percentile.
* ``atlas_indice_synthetique_2010.csv`` — synthetic difficulty index 2010 of the Atlas of
  Neighbourhoods in Difficulty (ULB / KU Leuven), semicolon-separated.

Store conventions (see ``docs/deprivation.md``)
-----------------------------------------------
* BIMD sector values: ``measures`` at level ``sector``, layout = the edition (``"2001"`` or
  ``"2011"``), period = the edition, measure ids ``bimd_<domain>_{score,rank,decile}``,
  ``bimd_{score,rank,decile}``, ``bimd_nohealth_{score,rank,decile}``.
* Municipal values: level ``municipality`` layout ``"2018"`` (the 589 pre-2019 municipalities),
  measures ``bimd_mun_<domain>_{score,rank,decile}`` and ``bimd_mun_{score,rank,decile}``.
* The Atlas 2010 index uses the **2001 sector layout** (all 7,752 codes are 2001 sectors; two
  of them no longer exist in 2011): measure ``atlas_difficulty_index``, level ``sector``,
  layout ``"2001"``, period ``"2010"``.
* Sector populations: ``population`` at level sector, layout = edition, ref_date
  ``<edition>-01-01`` (the BIMD's reference year; the authors give no day), scheme total.
* Definitions of all these measures (``measure_defs``, package table
  ``data/deprivation_measures.csv``) are one batch, :func:`defs_batch`, added once by
  :func:`read_directory` and by the build (not by each reader).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import InputError, InputProblem
from aankomst.sources.base import Recogniser, sha256_file
from aankomst.sources.sniff import header_has
from aankomst.store.batch import LoadBatch

PUBLISHER_BIMD = "UCLouvain / UHasselt (Otavova et al. 2023, doi:10.1016/j.sste.2023.100587)"
URL_BIMD = "https://github.com/bimd-project/bimd"
LICENCE_BIMD = "published research data; cite Otavova et al. 2023"
PUBLISHER_ATLAS = "ULB / KU Leuven, Atlas van Buurten in Moeilijkheden / Atlas des quartiers en difficulté"

DOMAINS: tuple[str, ...] = ("income", "employment", "education", "housing", "crime", "health")
"""BIMD domains in the authors' order."""

_FILE_DOMAIN = {"income": "income", "employment": "employment", "education": "edu",
                "housing": "hous", "crime": "crime", "health": "health"}
"""Domain id -> the abbreviation used in the sector file's column names."""

SECTOR_CODE = re.compile(r"^\d{5}[0-9A-Z]{3}[0-9A-Z-]$")
"""Statistical-sector code: NIS municipality (5 digits) + 4 characters (last may be ``-``)."""


# ----------------------------------------------------------------------------- helpers
def _text(path: Path) -> tuple[str, list[str]]:
    """Decode a file as UTF-8; undecodable bytes are replaced and reported as warnings."""
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        text = raw.decode("utf-8-sig", errors="replace")
        bad = [i + 1 for i, line in enumerate(text.splitlines()) if "\ufffd" in line]
        return text, [
            f"{Path(path).name}: {len(bad)} line(s) not valid UTF-8 (first: line {bad[0]}); "
            "undecodable bytes replaced by U+FFFD in names"
        ]


def _frame(path: Path, sep: str, required: list[str], *, expected: str) -> tuple[pd.DataFrame, list[str]]:
    """Read a delimited file as text columns and check the header."""
    text, warnings = _text(path)
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise InputError(str(path), "file is empty", expected=expected)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas parser errors: name the file
        raise InputError(str(path), f"cannot parse as {sep!r}-separated text: {exc}", expected=expected) from exc
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        hint = ""
        if len(df.columns) == 1 and sep not in first:
            hint = f"; the header has no {sep!r}: wrong delimiter?"
        raise InputError(
            str(path), f"missing column(s) {missing}; header is {list(df.columns)[:8]}{hint}",
            row=1, column=missing[0], expected=expected,
        )
    df["source_row"] = np.arange(2, len(df) + 2)
    return df, warnings


def _numbers(path: Path, df: pd.DataFrame, col: str, *, integer: bool = False,
             lo: float | None = None, hi: float | None = None, allow_missing: bool = False) -> pd.Series:
    """Parse a column as numbers; raise an InputError naming every bad row (up to 20)."""
    raw = df[col].astype(str).str.strip()
    vals = pd.to_numeric(raw.str.replace(",", ".", regex=False), errors="coerce")
    bad = vals.isna() & ~(allow_missing & raw.isin(["", "NA", "NaN"]))
    what = "a whole number" if integer else "a number"
    if integer:
        bad |= vals.notna() & (vals != vals.round())
    rng = ""
    if lo is not None:
        bad |= vals < lo
        rng = f" ≥ {lo:g}"
    if hi is not None:
        bad |= vals > hi
        rng += f" ≤ {hi:g}"
    if bad.any():
        idx = np.flatnonzero(bad.to_numpy())
        probs = [
            InputProblem(str(path), int(df["source_row"].iloc[i]), col,
                         f"value {raw.iloc[i]!r} is not valid", f"{what}{rng}")
            for i in idx[:20]
        ]
        raise InputError(str(path), probs[0].message, row=probs[0].row, column=col,
                         expected=probs[0].expected, problems=probs)
    return vals


def _codes(path: Path, df: pd.DataFrame, col: str, pattern: re.Pattern[str], expected: str) -> pd.Series:
    codes = df[col].astype(str).str.strip().str.upper()
    bad = ~codes.str.match(pattern)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(str(path), f"code {codes.iloc[i]!r} is not valid ({int(bad.sum())} bad code(s))",
                         row=int(df["source_row"].iloc[i]), column=col, expected=expected)
    dup = codes.duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(str(path), f"duplicate code {codes.iloc[i]!r}", row=int(df["source_row"].iloc[i]),
                         column=col, expected="each area once")
    return codes


def _edition(path: Path) -> str:
    m = re.search(r"(2001|2011)", Path(path).name)
    if not m:
        raise InputError(str(path), "cannot tell the BIMD edition from the file name",
                         expected="a name containing 2001 or 2011")
    return m.group(1)


def _measures(level: str, layout: str, codes: pd.Series, measure: str, period: str,
              values: pd.Series, unit: str, rows: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({
        "level": level, "layout": layout, "code": codes.to_numpy(), "measure": measure,
        "period": period, "scheme": "total", "grp": "total",
        "value": values.to_numpy(dtype=float), "unit": unit, "source_row": rows.to_numpy(),
    })


def measure_definitions() -> pd.DataFrame:
    """The ``measure_defs`` rows of every measure these readers load (from the package data)."""
    from aankomst.paths import package_data

    return pd.read_csv(package_data("deprivation_measures.csv"), dtype=str).loc[
        :, ["measure", "label_nl", "label_en", "definition", "unit", "higher_is"]
    ]


def defs_batch() -> LoadBatch:
    """The batch with the definitions (``measure_defs``) of every deprivation measure.

    The readers do not return it; :func:`read_directory` and the build
    (:func:`aankomst.sources.build.builtin_batches`) add it once. Loading it again replaces it
    (same ``source_id``; ``measure_defs.measure`` is a primary key).
    """
    from aankomst.paths import package_data

    p = package_data("deprivation_measures.csv")
    return LoadBatch(source_id="aankomst/deprivation_measures", family="measure_defs", path=str(p),
                     sha256=sha256_file(p), tables={"measure_defs": measure_definitions()},
                     title="Definitions of the deprivation measures (BIMD, Atlas)", publisher="Aankomst",
                     reference_date="2001/2011", licence="package data", rows_read=0)


def _batch(path: Path, source_id: str, family: str, tables: dict[str, pd.DataFrame], *, title: str,
           reference_date: str, rows_read: int, warnings: list[str], atlas: bool = False) -> LoadBatch:
    return LoadBatch(
        source_id=source_id, family=family, path=str(path), sha256=sha256_file(path), tables=tables,
        title=title, publisher=PUBLISHER_ATLAS if atlas else PUBLISHER_BIMD,
        url="https://github.com/hugoperilleux/manuel_geo_quanti" if atlas else URL_BIMD,
        reference_date=reference_date,
        licence="published research data (Atlas des quartiers en difficulté)" if atlas else LICENCE_BIMD,
        rows_read=rows_read, warnings=warnings,
    )


# ----------------------------------------------------------------------------- BIMD sector files
def read_bimd_sector(path: Path) -> list[LoadBatch]:
    """Read a ``BIMD<ed>_DOMAINS_STATISTICAL_SECTOR_ELLIS_WIDE.csv`` file.

    Returns one batch with ``measures`` (21 per sector: score/rank/decile of six domains and
    of the overall BIMD) at level ``sector``, layout = edition.
    """
    path = Path(path)
    ed = _edition(path)
    cols = ["CD_RES_SECTOR"]
    for d in DOMAINS:
        a = _FILE_DOMAIN[d]
        cols += [f"exp_score_{a}_domain", f"rank_{a}_domain", f"deciles_{a}_domain"]
    cols += [f"BIMD{ed}_score", f"BIMD{ed}_rank", f"BIMD{ed}_deciles_domain"]
    df, warnings = _frame(path, ",", cols, expected="the BIMD sector file (comma-separated, CD_RES_SECTOR, …)")
    codes = _codes(path, df, "CD_RES_SECTOR", SECTOR_CODE, "a statistical-sector code like 11001A00-")
    parts = []
    spec = [(f"bimd_{d}", f"exp_score_{_FILE_DOMAIN[d]}_domain", f"rank_{_FILE_DOMAIN[d]}_domain",
             f"deciles_{_FILE_DOMAIN[d]}_domain") for d in DOMAINS]
    spec.append(("bimd", f"BIMD{ed}_score", f"BIMD{ed}_rank", f"BIMD{ed}_deciles_domain"))
    for mid, sc, rk, dc in spec:
        parts.append(_measures("sector", ed, codes, f"{mid}_score", ed,
                               _numbers(path, df, sc, lo=0, hi=100), "score", df["source_row"]))
        parts.append(_measures("sector", ed, codes, f"{mid}_rank", ed,
                               _numbers(path, df, rk, integer=True, lo=1), "rank", df["source_row"]))
        parts.append(_measures("sector", ed, codes, f"{mid}_decile", ed,
                               _numbers(path, df, dc, integer=True, lo=1, hi=10), "decile", df["source_row"]))
    return [_batch(path, f"bimd/sector_{ed}", "bimd_sector", {"measures": pd.concat(parts, ignore_index=True)},
                   title=f"BIMD {ed}: domains and overall index per statistical sector",
                   reference_date=ed, rows_read=len(df), warnings=warnings)]


def read_bimd_without_health(path: Path) -> list[LoadBatch]:
    """Read ``BIMD_<ed>_WITHOUT_HEALTH_ELLIS_WIDE.csv`` (score, rank, deciles per sector)."""
    path = Path(path)
    ed = _edition(path)
    df, warnings = _frame(path, ",", ["CD_RES_SECTOR", "score", "rank", "deciles"],
                          expected="CD_RES_SECTOR, score, rank, deciles (comma-separated)")
    codes = _codes(path, df, "CD_RES_SECTOR", SECTOR_CODE, "a statistical-sector code like 11001A00-")
    rows = df["source_row"]
    m = pd.concat([
        _measures("sector", ed, codes, "bimd_nohealth_score", ed, _numbers(path, df, "score", lo=0, hi=100), "score", rows),
        _measures("sector", ed, codes, "bimd_nohealth_rank", ed, _numbers(path, df, "rank", integer=True, lo=1), "rank", rows),
        _measures("sector", ed, codes, "bimd_nohealth_decile", ed,
                  _numbers(path, df, "deciles", integer=True, lo=1, hi=10), "decile", rows),
    ], ignore_index=True)
    return [_batch(path, f"bimd/sector_{ed}_without_health", "bimd_without_health", {"measures": m},
                   title=f"BIMD {ed} without the health domain, per statistical sector",
                   reference_date=ed, rows_read=len(df), warnings=warnings)]


_MUN_DOMAIN = {"income": "income", "employment": "employment", "education": "education",
               "housing": "housing", "crime": "crime", "health": "health", "bimd": "bimd"}


def _municipal_long_to_wide(path: Path, df: pd.DataFrame) -> pd.DataFrame:
    vals = _numbers(path, df, "MEASURE")
    df = df.assign(MEASURE=vals)
    dup = df.duplicated(["code", "INDICATOR"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(str(path), f"duplicate indicator {df['INDICATOR'].iloc[i]!r} for {df['code'].iloc[i]!r}",
                         row=int(df["source_row"].iloc[i]), column="INDICATOR", expected="one row per code × indicator")
    wide = df.pivot(index=["code", "municipality_name"], columns="INDICATOR", values="MEASURE").reset_index()
    first_row = df.groupby("code")["source_row"].min()
    wide["source_row"] = wide["code"].map(first_row).to_numpy()
    return wide


def read_bimd_municipalities(path: Path) -> list[LoadBatch]:
    """Read ``DOMAINS_BIMD_<ed>_MUNICIPALITIES_ELLIS_{WIDE,LONG}_AVERAGE_SCORE.csv``.

    Both the wide and the long file carry the same numbers. They load under distinct source
    ids, ``bimd/municipalities_<ed>`` (WIDE) and ``bimd/municipalities_<ed>_long`` (LONG), so
    loading one never removes the other; the WIDE file is read first (recogniser order 60 vs
    61) and the store skips every key the LONG file repeats, with a warning counting the rows
    skipped and those with a different value (0 for the published files).
    """
    path = Path(path)
    ed = _edition(path)
    long = "_LONG_" in path.name.upper()
    if long:
        df, warnings = _frame(path, ",", ["code", "municipality_name", "INDICATOR", "MEASURE"],
                              expected="code, municipality_name, INDICATOR, MEASURE")
        df = _municipal_long_to_wide(path, df)
    else:
        df, warnings = _frame(path, ",", ["code", "municipality_name", f"average_score_bimd_{ed}"],
                              expected="code, municipality_name, average_score_<domain>_<ed>, …")
    codes = _codes(path, df, "code", re.compile(r"^\d{5}$"), "a 5-digit NIS municipality code")
    rows = df["source_row"]
    parts = []
    for d, fd in _MUN_DOMAIN.items():
        mid = "bimd_mun" if d == "bimd" else f"bimd_mun_{d}"
        trio: list[tuple[str, str, dict[str, Any]]] = [(f"average_score_{fd}_{ed}", "score", {}), (f"rank_average_score_{fd}_{ed}", "rank", {"integer": True, "lo": 1}),
                (f"decile_{fd}_{ed}", "decile", {"integer": True, "lo": 1, "hi": 10})]
        for col, kind, kw in trio:
            if col not in df.columns:
                raise InputError(str(path), f"missing column {col!r}", row=1, column=col,
                                 expected=f"the BIMD municipal columns for edition {ed}")
            parts.append(_measures("municipality", "2018", codes, f"{mid}_{kind}", ed,
                                   _numbers(path, df, col, **kw), kind, rows))
    sid, fam = (f"bimd/municipalities_{ed}_long", "bimd_municipalities_long") if long else \
        (f"bimd/municipalities_{ed}", "bimd_municipalities")
    return [_batch(path, sid, fam, {"measures": pd.concat(parts, ignore_index=True)},
                   title=f"BIMD {ed}: population-weighted municipal average scores, ranks and deciles",
                   reference_date=ed, rows_read=len(df), warnings=warnings)]


def read_bimd_population(path: Path) -> list[LoadBatch]:
    """Read ``population_2001`` / ``population_2011`` (tab-separated CD_RES_SECTOR, POPULATION)."""
    path = Path(path)
    ed = _edition(path)
    df, warnings = _frame(path, "\t", ["CD_RES_SECTOR", "POPULATION"],
                          expected="tab-separated CD_RES_SECTOR<TAB>POPULATION")
    codes = _codes(path, df, "CD_RES_SECTOR", SECTOR_CODE, "a statistical-sector code like 11001A00-")
    pop = _numbers(path, df, "POPULATION", integer=True, lo=0)
    out = pd.DataFrame({
        "level": "sector", "layout": ed, "code": codes.to_numpy(), "ref_date": pd.Timestamp(f"{ed}-01-01").date(),
        "scheme": "total", "grp": "total", "sex": "T", "age_band": "total",
        "count": pop.astype("int64").to_numpy(), "source_row": df["source_row"].to_numpy(),
    })
    return [_batch(path, f"bimd/population_{ed}", "bimd_population", {"population": out},
                   title=f"Sector populations used by the BIMD {ed}", reference_date=f"{ed}-01-01",
                   rows_read=len(df), warnings=warnings)]


def read_bimd_names(path: Path) -> list[LoadBatch]:
    """Read ``names_sectors_municipalities_<ed>.csv``: sector areas of layout ``<ed>`` with names,
    and the sector -> municipality (layout 2018) crosswalk.

    The file gives one name per sector (in the language of the municipality, upper case); it is
    stored as both ``name_nl`` and ``name_fr``.
    """
    path = Path(path)
    ed = _edition(path)
    code_col, mun_col, name_col = (("CS102001", "REFNIS2001", "SECTOR") if ed == "2001"
                                   else ("CD_RES_SECTOR", "CD_MUNTY_REFNIS", "SECTOR_NAME"))
    df, warnings = _frame(path, ",", [code_col, mun_col, name_col, "COMMUNE"],
                          expected=f"{code_col}, {mun_col}, {name_col}, COMMUNE")
    codes = _codes(path, df, code_col, SECTOR_CODE, "a statistical-sector code like 11001A00-")
    mun = df[mun_col].astype(str).str.strip().str.zfill(5)
    bad = ~mun.str.match(r"^\d{5}$")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(str(path), f"municipality code {df[mun_col].iloc[i]!r} is not valid",
                         row=int(df['source_row'].iloc[i]), column=mun_col, expected="a 5-digit NIS code")
    names = df[name_col].astype(str).str.strip()
    areas = pd.DataFrame({
        "level": "sector", "layout": ed, "code": codes.to_numpy(), "name_nl": names.to_numpy(),
        "name_fr": names.to_numpy(), "name_en": None, "area_km2": np.nan, "geometry": None,
        "source_row": df["source_row"].to_numpy(),
    })
    cw = pd.DataFrame({
        "from_level": "sector", "from_layout": ed, "from_code": codes.to_numpy(),
        "to_level": "municipality", "to_layout": "2018", "to_code": mun.to_numpy(),
        "weight": 1.0, "weight_basis": "whole", "split": False,
    })
    return [_batch(path, f"bimd/names_{ed}", "bimd_names", {"areas": areas, "crosswalks": cw},
                   title=f"Statistical sectors of the {ed} layout with names (BIMD)", reference_date=ed,
                   rows_read=len(df), warnings=warnings)]


def read_extent_weights(path: Path) -> pd.DataFrame:
    """Return the extent weights as a DataFrame ``percentile`` (1–100) → ``weight`` (0–1)."""
    path = Path(path)
    df, _ = _frame(path, ",", ["percentile", "WEIGHT"], expected="percentile, WEIGHT")
    pct = _numbers(path, df, "percentile", integer=True, lo=1, hi=100)
    w = _numbers(path, df, "WEIGHT", lo=0, hi=1)
    return pd.DataFrame({"percentile": pct.astype(int), "weight": w})


def read_extent_weights_batch(path: Path) -> list[LoadBatch]:
    """Record the extent-weights table in the provenance (the table is a method parameter:
    :func:`aankomst.analysis.bimd.extent_weights` reproduces it; no data rows are loaded)."""
    path = Path(path)
    w = read_extent_weights(path)
    return [_batch(path, "bimd/extent_weights", "bimd_extent_weights", {}, title="BIMD extent weights by percentile",
                   reference_date="2001/2011", rows_read=len(w),
                   warnings=["method parameter table: recorded in provenance, no data rows"])]


# ----------------------------------------------------------------------------- Atlas 2010
def read_atlas_index(path: Path) -> list[LoadBatch]:
    """Read ``atlas_indice_synthetique_2010.csv`` (``Secteur statistique;Indice synthétique …``).

    Values are the synthetic difficulty index (dimensionless, higher = more difficulty) for the
    statistical sectors of the urban regions, on the 2001 sector layout.
    """
    path = Path(path)
    text, warnings = _text(path)
    header = text.splitlines()[0] if text else ""
    if ";" not in header:
        raise InputError(str(path), f"header {header[:60]!r} has no ';'", row=1,
                         expected="semicolon-separated 'Secteur statistique;Indice synthétique de difficulté 2010'")
    df = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    if df.shape[1] != 2:
        raise InputError(str(path), f"{df.shape[1]} columns", row=1, expected="2 columns: sector code; index")
    df.columns = ["sector", "index"]
    df["source_row"] = np.arange(2, len(df) + 2)
    m = re.search(r"(19|20)\d\d", header) or re.search(r"(19|20)\d\d", path.name)
    year = m.group(0) if m else "2010"
    codes = _codes(path, df, "sector", SECTOR_CODE, "a statistical-sector code like 11001A00-")
    vals = _numbers(path, df, "index", lo=-50, hi=50)
    meas = _measures("sector", "2001", codes, "atlas_difficulty_index", year, vals, "index", df["source_row"])
    return [_batch(path, f"atlas/difficulty_index_{year}", "atlas_difficulty_index", {"measures": meas},
                   title=f"Atlas of Neighbourhoods in Difficulty: synthetic index {year} per sector",
                   reference_date=year, rows_read=len(df), warnings=warnings, atlas=True)]


# ----------------------------------------------------------------------------- recognisers
RECOGNISERS: list[Recogniser] = [
    Recogniser("bimd_names", ("names_sectors_municipalities_*.csv",), read_bimd_names,
               header_has("COMMUNE"), "BIMD sector names (areas of the 2001/2011 sector layouts)", order=12),
    Recogniser("bimd_population", ("population_2001", "population_2011"), read_bimd_population,
               header_has("CD_RES_SECTOR", "POPULATION"), "BIMD sector populations (tab-separated)", order=50),
    Recogniser("bimd_sector", ("BIMD20??_DOMAINS_STATISTICAL_SECTOR_*.csv",), read_bimd_sector,
               header_has("CD_RES_SECTOR", "exp_score_income_domain"), "BIMD domains and index per sector", order=60),
    Recogniser("bimd_without_health", ("BIMD_20??_WITHOUT_HEALTH_*.csv",), read_bimd_without_health,
               header_has("CD_RES_SECTOR", "score"), "BIMD without health per sector", order=60),
    Recogniser("bimd_municipalities", ("DOMAINS_BIMD_20??_MUNICIPALITIES_*WIDE*.csv",), read_bimd_municipalities,
               header_has("code", "municipality_name"), "BIMD municipal average scores (wide)", order=60),
    Recogniser("bimd_municipalities_long", ("DOMAINS_BIMD_20??_MUNICIPALITIES_*LONG*.csv",), read_bimd_municipalities,
               header_has("code", "municipality_name", "INDICATOR"),
               "BIMD municipal average scores (long; same numbers as wide, loaded after it as a cross-check)",
               order=61),
    Recogniser("bimd_extent_weights", ("extent_weights.csv",), read_extent_weights_batch,
               header_has("percentile", "WEIGHT"), "BIMD extent weights (method parameter)", order=60),
    Recogniser("atlas_difficulty_index", ("atlas_indice_synthetique_*.csv",), read_atlas_index,
               header_has("Secteur"), "Atlas of Neighbourhoods in Difficulty: synthetic index", order=60),
]
"""Recognisers of the deprivation file families (included by the foundation's build)."""


def read_directory(directory: str | Path) -> list[LoadBatch]:
    """Read every deprivation file under ``directory`` (recursively), in load order, and add
    the measure definitions (:func:`defs_batch`) once when any measure was read.

    A convenience for loading only the deprivation families (``aankomst build`` reads them
    together with everything else)::

        atlas.load(read_directory("../shared/data/deprivation"), check_areas=False)
    """
    import fnmatch

    files = sorted(p for p in Path(directory).rglob("*") if p.is_file())
    out: list[tuple[int, LoadBatch]] = []
    for rec in RECOGNISERS:
        for f in files:
            if any(fnmatch.fnmatch(f.name.lower(), pat.lower()) for pat in rec.patterns):
                if rec.sniff is None or rec.sniff(f):
                    out += [(rec.order, b) for b in rec.reader(f)]
    out.sort(key=lambda ob: ob[0])
    batches = [b for _, b in out]
    if any(len(b.tables.get("measures", ())) for b in batches):
        batches.append(defs_batch())
    return batches
