"""Readers of the Provincies-in-Cijfers area tables: ``def_<level>.xlsx`` (codes and names),
``agg_<A>_<B>.xlsx`` (aggregation A -> B) and ``statsec[YYYY]_als_basis.xlsx`` (every sector with
all the units it lies in).

Statbel's placeholder units for residents that cannot be located (codes ``9999x…``, "Niet te
lokaliseren") are left out, with a warning.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.errors import InputError
from aankomst.sources._util import LEVEL_TOKENS, frame, level_codes, read_excel
from aankomst.sources.base import sha256_file
from aankomst.sources.meta import provenance
from aankomst.store.batch import LoadBatch

_DUMMY = re.compile(r"^9999\d")


def _dummies(codes: pd.Series) -> pd.Series:
    """Vectorised :func:`_is_dummy`."""
    t = codes.astype(object)
    return t.isna() | t.fillna("").astype(str).str.match(r"^(9999\d|uitrustingsgraad_9999)") | (t.fillna("") == "")


def _is_dummy(code: object) -> bool:
    if not isinstance(code, str):
        return True
    return bool(_DUMMY.match(code)) or code.startswith("uitrustingsgraad_9999")


def _token_of(path: Path, prefix: str) -> str:
    token = Path(path).stem.lower()[len(prefix):]
    if token not in LEVEL_TOKENS:
        raise InputError(str(path), f"unknown level {token!r} in the file name",
                         expected=f"{prefix}<level>.xlsx with level one of {sorted(LEVEL_TOKENS)}")
    return token


def read_def(path: Path) -> list[LoadBatch]:
    """``def_<level>.xlsx`` (columns ``geoitem code``, ``short name``, ``name``) -> ``areas``."""
    path = Path(path)
    token = _token_of(path, "def_")
    df = read_excel(path)
    cols = {str(c).strip().lower(): c for c in df.columns}
    if "geoitem code" not in cols:
        raise InputError(str(path), f"no 'geoitem code' column; the header has {list(df.columns)}",
                         row=1, column="geoitem code", expected="columns geoitem code, short name, name")
    level, layout = LEVEL_TOKENS[token]
    codes = level_codes(token, df[cols["geoitem code"]]).to_numpy()
    short = df[cols["short name"]] if "short name" in cols else df[cols.get("name")]
    name = short.where(short.notna(), df[cols["name"]] if "name" in cols else None)
    out = pd.DataFrame({"code": codes, "name_nl": name.astype(object).to_numpy(), "source_row": np.arange(2, len(df) + 2)})
    keep = ~_dummies(out["code"])
    warnings = [f"{int((~keep).sum())} placeholder/empty code(s) left out"] if (~keep).any() else []
    out = out[keep]
    if level == "country":
        out = out.drop_duplicates("code")
    dups = out["code"].duplicated()
    if dups.any():
        warnings.append(f"{int(dups.sum())} duplicate code(s) kept once")
        out = out[~dups]
    areas = frame("areas", {"level": level, "layout": layout, **{c: out[c] for c in out.columns}})
    meta = provenance(path, "area_definitions")
    return [LoadBatch(
        source_id=f"crosswalks/{path.stem}", family="area_definitions", path=str(path),
        sha256=sha256_file(path), tables={"areas": areas}, rows_read=len(df), warnings=warnings, **meta,
    )]


def crosswalk_rows(from_token: str, to_token: str, src: pd.Series, dst: pd.Series,
                   rows: np.ndarray) -> tuple[pd.DataFrame, list[str]]:
    """Crosswalk rows A -> B from two code columns; splits get equal weights and ``split``."""
    fl, fy = LEVEL_TOKENS[from_token]
    tl, ty = LEVEL_TOKENS[to_token]
    df = pd.DataFrame({
        "from_code": level_codes(from_token, src).to_numpy(),
        "to_code": level_codes(to_token, dst).to_numpy(),
        "source_row": rows,
    })
    warnings: list[str] = []
    drop = _dummies(df["from_code"]) | _dummies(df["to_code"])
    if drop.any():
        warnings.append(f"{int(drop.sum())} row(s) with an empty or placeholder code left out")
    df = df[~drop].drop_duplicates(["from_code", "to_code"])
    n_to = df.groupby("from_code")["to_code"].transform("count")
    df["weight"] = 1.0 / n_to
    df["split"] = n_to > 1
    df["weight_basis"] = np.where(df["split"], "equal", "whole")
    if df["split"].any():
        warnings.append(
            f"{df.loc[df['split'], 'from_code'].nunique()} {fl} unit(s) of layout {fy} are split over several "
            f"{tl} units of layout {ty}: equal weights assumed (weight_basis 'equal', split TRUE)"
        )
    out = frame("crosswalks", {
        "from_level": fl, "from_layout": fy, "from_code": df["from_code"],
        "to_level": tl, "to_layout": ty, "to_code": df["to_code"],
        "weight": df["weight"], "weight_basis": df["weight_basis"], "split": df["split"],
        "source_row": df["source_row"],
    })
    return out, warnings


def read_agg(path: Path) -> list[LoadBatch]:
    """``agg_<A>_<B>.xlsx`` (two columns named after the levels) -> ``crosswalks`` A -> B."""
    path = Path(path)
    df = read_excel(path)
    if df.shape[1] < 2:
        raise InputError(str(path), f"expected two columns, found {df.shape[1]}", row=1,
                         expected="columns <from level>, <to level>")
    a, b = (str(c).strip().lower() for c in df.columns[:2])
    for t in (a, b):
        if t not in LEVEL_TOKENS:
            raise InputError(str(path), f"unknown level column {t!r}", row=1, column=t,
                             expected=f"level names such as {', '.join(sorted(LEVEL_TOKENS)[:6])} …")
    cw, warnings = crosswalk_rows(a, b, df.iloc[:, 0], df.iloc[:, 1], np.arange(2, len(df) + 2))
    meta = provenance(path, "crosswalks")
    return [LoadBatch(
        source_id=f"crosswalks/{path.stem}", family="crosswalks", path=str(path), sha256=sha256_file(path),
        tables={"crosswalks": cw}, rows_read=len(df), warnings=warnings, **meta,
    )]


#: Columns of the als_basis tables that become hierarchy links: column -> (token, name column).
_BASIS_LINKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "deelgemeente": ("deelgemeente", ("deelgemeente_naam",)),
    "deelgemeente2024": ("deelgemeente2024", ("deelgemeente2024_naam",)),
    "gemeente": ("gemeente", ("gemeente_naam",)),
    "gemeente2024": ("gemeente2024", ("gemeente2024_naam",)),
    "gemeente2018": ("gemeente2018", ("gemeente2018_naam",)),
    "ggw7": ("ggw7", ()),
    "ggw72024": ("ggw72024", ()),
    "arrondiss": ("arrondiss", ("bestuurlijk_arrondissement_naam",)),
    "provincie": ("provincie", ("provincie_naam",)),
    "gewest": ("gewest", ("gewest_naam",)),
    "kerntypering": ("kerntypering", ()),
}

#: Hierarchy of the parent levels (derived from the sector rows): child column -> parent columns.
_PARENTS: dict[str, tuple[str, ...]] = {
    "deelgemeente": ("gemeente",),
    "deelgemeente2024": ("gemeente2024", "gemeente2018", "gemeente"),
    "ggw7": ("gemeente",),
    "ggw72024": ("gemeente2024",),
    "gemeente": ("arrondiss", "provincie", "gewest"),
    "gemeente2024": ("gemeente", "provincie", "gewest"),
    "gemeente2018": ("gemeente2024", "gemeente", "provincie", "gewest"),
    "arrondiss": ("provincie", "gewest"),
    "provincie": ("gewest",),
}


def read_als_basis(path: Path) -> list[LoadBatch]:
    """``statsec[YYYY]_als_basis.xlsx`` -> sector ``areas`` (names, no geometry), the parent units
    named in it, sector -> unit links and the derived unit -> parent links (region -> country).

    A unit that would get two different parents (e.g. a neighbourhood across a municipal border)
    is reported as a warning and linked to both with ``split`` TRUE.
    """
    path = Path(path)
    token = Path(path).stem.lower().replace("_als_basis", "")
    if token not in ("statsec", "statsec2019", "statsec2024"):
        raise InputError(str(path), f"unknown sector layout {token!r}", expected="statsec[2019|2024]_als_basis.xlsx")
    df = read_excel(path)
    df.columns = [str(c).strip() for c in df.columns]
    if token not in df.columns:
        raise InputError(str(path), f"no {token!r} column; the header has {list(df.columns)[:8]} …",
                         row=1, column=token, expected=f"a first column {token!r} with the sector codes")
    df["source_row"] = np.arange(2, len(df) + 2)
    df["_sec"] = level_codes(token, df[token]).to_numpy()
    warnings: list[str] = []
    dummy = _dummies(df["_sec"])
    if dummy.any():
        warnings.append(f"{int(dummy.sum())} placeholder sector(s) ('niet te lokaliseren') left out")
    df = df[~dummy]
    dup = df["_sec"].duplicated(keep=False)
    if dup.any():
        r = df[dup].iloc[:2]
        raise InputError(str(path), f"sector {r['_sec'].iloc[0]!r} appears on rows {r['source_row'].tolist()}",
                         row=int(r["source_row"].iloc[1]), column=token, expected="one row per sector")
    slevel, slayout = LEVEL_TOKENS[token]
    name_col = f"{token}_naam"
    areas = [frame("areas", {
        "level": slevel, "layout": slayout, "code": df["_sec"],
        "name_nl": df[name_col] if name_col in df.columns else None, "source_row": df["source_row"],
    })]
    links: list[pd.DataFrame] = []
    present = [c for c in _BASIS_LINKS if c in df.columns]
    for col in present:
        tok, names = _BASIS_LINKS[col]
        cw, w = crosswalk_rows(token, tok, df[token], df[col], df["source_row"].to_numpy())
        links.append(cw)
        warnings += [f"{token} -> {col}: {x}" for x in w if "placeholder" not in x]
        lv, ly = LEVEL_TOKENS[tok]
        nm = next((n for n in names if n in df.columns), None)
        units = pd.DataFrame({"code": level_codes(tok, df[col]).to_numpy(),
                              "name_nl": df[nm].to_numpy() if nm else None})
        units = units[~_dummies(units["code"])].drop_duplicates("code")
        if lv == "region":
            from aankomst.sources.boundaries import REGION_NAMES

            units["name_fr"] = units["code"].map(lambda c: REGION_NAMES.get(c, (None, None, None))[1])
            units["name_en"] = units["code"].map(lambda c: REGION_NAMES.get(c, (None, None, None))[2])
        areas.append(frame("areas", {"level": lv, "layout": ly, **{c: units[c] for c in units.columns}}))
    # parent links between the units themselves
    for child, parents in _PARENTS.items():
        if child not in df.columns:
            continue
        for parent in parents:
            if parent not in df.columns:
                continue
            pairs = df[[child, parent, "source_row"]].drop_duplicates([child, parent])
            cw, w = crosswalk_rows(_BASIS_LINKS[child][0], _BASIS_LINKS[parent][0], pairs[child], pairs[parent],
                                   pairs["source_row"].to_numpy())
            links.append(cw)
            warnings += [f"{child} -> {parent}: {x}" for x in w if "placeholder" not in x]
    # regions -> country, and the country itself
    if "gewest" in df.columns:
        regs = sorted(set(level_codes("gewest", df["gewest"]).dropna()))
        regs = [r for r in regs if not _is_dummy(r)]
        links.append(frame("crosswalks", {
            "from_level": "region", "from_layout": "2025", "from_code": regs,
            "to_level": "country", "to_layout": "2025", "to_code": "BE",
        }))
        areas.append(frame("areas", {"level": ["country"], "layout": ["2025"], "code": ["BE"],
                                     "name_nl": ["België"], "name_fr": ["Belgique"], "name_en": ["Belgium"]}))
    area_df = pd.concat(areas, ignore_index=True).drop_duplicates(["level", "layout", "code"])
    cw_df = pd.concat(links, ignore_index=True).drop_duplicates(
        ["from_level", "from_layout", "from_code", "to_level", "to_layout", "to_code"])
    meta = provenance(path, "sector_basis")
    return [LoadBatch(
        source_id=f"crosswalks/{path.stem}", family="sector_basis", path=str(path), sha256=sha256_file(path),
        tables={"areas": area_df, "crosswalks": cw_df}, rows_read=len(dummy), warnings=warnings, **meta,
    )]
