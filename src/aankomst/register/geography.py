"""The sector frame the synthetic register lives on.

A *geography* is a DataFrame with one row per statistical sector:

``sector, name, municipality, municipality_name, mun_calib, arrondissement, province, region,
country, target, area_km2, city, suburb_of, suburb_weight``

* ``target``: population the generator aims at on the calibration date (1 January 2019 for the
  real sector file; the atlas's latest total for an atlas geography);
* ``mun_calib``: municipality code in the layout of the calibration targets (pre-2019
  municipalities for the 2009–2015 Statbel files = the first five characters of a 2019 sector
  code);
* ``city``: big-city key (``11002`` Antwerpen, ``44021`` Gent, ``04000`` the 19 Brussels
  municipalities) or empty;
* ``suburb_of`` / ``suburb_weight``: big-city key whose movers prefer this municipality, with
  the weight from the parameter table.

Three sources: :func:`standalone_geography` (synthetic, no files), :func:`calibration_geography`
(Statbel ``OPEN DATA_SECTOREN_2019.xlsx`` + ``TF_SOC_POP_STRUCT_2009..2015``) and
:func:`atlas_geography` (the sectors of an atlas, e.g. the demo atlas).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.errors import AankomstError, InputError
from aankomst.register.params import RegisterParams, load_params

GEO_COLUMNS = (
    "sector", "name", "municipality", "municipality_name", "mun_calib", "arrondissement",
    "province", "region", "country", "target", "area_km2", "city", "suburb_of", "suburb_weight",
)

BRUSSELS_REGION = "04000"
FLANDERS_REGION = "02000"


def _region_of(nis: str) -> str | None:
    """Region of a NIS municipality code (Flanders / Brussels only; ``None`` for Wallonia)."""
    if nis.startswith("21"):
        return BRUSSELS_REGION
    if nis[0] in "1347" or nis[:2] in ("23", "24"):
        return FLANDERS_REGION
    return None


def _province_of(nis: str) -> str:
    if nis.startswith("21"):
        return BRUSSELS_REGION
    if nis[:2] in ("23", "24"):
        return "20001"
    return nis[0] + "0000"


def _apply_city_roles(geo: pd.DataFrame, params: RegisterParams) -> pd.DataFrame:
    big = params.table("big_city")
    geo["city"] = ""
    for key in big:
        if key == BRUSSELS_REGION:
            geo.loc[geo["region"] == BRUSSELS_REGION, "city"] = key
        else:
            geo.loc[geo["municipality"] == key, "city"] = key
    geo["suburb_of"] = ""
    geo["suburb_weight"] = 0.0
    for k, w in params.table("suburb").items():
        city, mun = str(k).split(":")
        m = geo["municipality"] == mun
        geo.loc[m, "suburb_of"] = city
        geo.loc[m, "suburb_weight"] = float(w)
    return geo


def standalone_geography(n_municipalities: int = 8, *, seed: int = 0) -> pd.DataFrame:
    """A small synthetic geography (no files needed): one big city with 40 sectors, one
    smaller centre city, suburbs and rural municipalities, ~10 sectors each.

    Codes look like NIS codes (``11002`` is the big city, sectors ``11002A01-``) but the
    geography is invented; targets sum to about 100,000 + 8,000 per extra municipality.
    """
    rng = np.random.default_rng(seed)
    rows = []
    muns = [f"110{i:02d}" for i in range(1, n_municipalities + 1)]
    names = ["Aarde", "Grootstad", "Randdorp", "Brugstad", "Velden", "Heide", "Kempen", "Dijk",
             "Akker", "Beek", "Bos", "Meer"]
    for j, mun in enumerate(muns):
        n_sec = 40 if mun == "11002" else int(rng.integers(6, 14))
        mean_pop = 2500 if mun == "11002" else 800
        for i in range(n_sec):
            pop = int(rng.lognormal(np.log(mean_pop), 0.5))
            area = float(rng.lognormal(np.log(0.3 if mun == "11002" else 3.0), 0.6))
            rows.append({
                "sector": f"{mun}A{i:02d}-", "name": f"{names[j % len(names)]} {i + 1}",
                "municipality": mun, "municipality_name": names[j % len(names)],
                "mun_calib": mun, "arrondissement": "11000", "province": "10000",
                "region": FLANDERS_REGION, "country": "BE", "target": pop, "area_km2": area,
            })
    geo = pd.DataFrame(rows)
    geo["city"] = np.where(geo["municipality"] == "11002", "11002", "")
    geo["suburb_of"] = np.where(geo["municipality"].isin(["11003", "11004"]), "11002", "")
    geo["suburb_weight"] = np.where(geo["municipality"] == "11003", 3.0,
                                    np.where(geo["municipality"] == "11004", 1.5, 0.0))
    return geo.loc[:, list(GEO_COLUMNS)]


def read_sector_file(path: str | Path) -> pd.DataFrame:
    """Read Statbel ``OPEN DATA_SECTOREN_2019.xlsx`` (Flanders + Brussels rows only)."""
    path = Path(path)
    try:
        df = pd.read_excel(path, engine="openpyxl", dtype={"CD_SECTOR": str})
    except Exception as exc:
        raise InputError(str(path), f"cannot read the sector workbook: {exc}",
                         expected="Statbel OPEN DATA_SECTOREN_2019.xlsx") from exc
    need = ["CD_REFNIS", "CD_SECTOR", "POPULATION", "OPPERVLAKKTE IN HM²", "TX_DESCR_NL"]
    miss = [c for c in need if c not in df.columns]
    if miss:
        raise InputError(str(path), f"missing columns {miss}", row=1, column=miss[0],
                         expected="the columns of Statbel's OPEN DATA_SECTOREN file")
    df["CD_REFNIS"] = df["CD_REFNIS"].astype(str).str.zfill(5)
    df["region"] = [(_region_of(c) or "") for c in df["CD_REFNIS"]]
    return df[df["region"] != ""].reset_index(drop=True)


def read_foreign_shares(data_dir: str | Path, years: range = range(2009, 2016)) -> pd.DataFrame:
    """Municipal population and foreign-nationality counts from ``TF_SOC_POP_STRUCT_<year>.zip``.

    Returns columns ``mun, year, population, foreign, arrondissement, province, region``
    (pre-2019 municipalities, Flanders + Brussels). Files that are absent are skipped.
    """
    import zipfile

    out = []
    for y in years:
        p = Path(data_dir) / "statbel" / f"TF_SOC_POP_STRUCT_{y}.zip"
        if not p.exists():
            continue
        with zipfile.ZipFile(p) as zf:
            name = [n for n in zf.namelist() if n.lower().endswith(".txt")][0]
            with zf.open(name) as fh:
                head = fh.readline().decode("utf-8-sig").strip().split("|")
            mcol = "CD_MUNTY_REFNIS" if "CD_MUNTY_REFNIS" in head else "CD_REFNIS"
            use = [mcol, "CD_DSTR_REFNIS", "CD_PROV_REFNIS", "CD_RGN_REFNIS", "CD_NATLTY", "MS_POPULATION"]
            with zf.open(name) as fh:
                df = pd.read_csv(fh, sep="|", usecols=use, dtype=str, encoding="utf-8")
        df["MS_POPULATION"] = pd.to_numeric(df["MS_POPULATION"], errors="raise")
        df["mun"] = df[mcol].str.zfill(5)
        df["foreign"] = np.where(df["CD_NATLTY"] == "ETR", df["MS_POPULATION"], 0)
        g = df.groupby("mun").agg(population=("MS_POPULATION", "sum"), foreign=("foreign", "sum"),
                                  arrondissement=("CD_DSTR_REFNIS", "first"),
                                  province=("CD_PROV_REFNIS", "first")).reset_index()
        g["region"] = [(_region_of(c) or "") for c in g["mun"]]
        g = g[g["region"] != ""]
        g["year"] = y
        out.append(g)
    if not out:
        return pd.DataFrame(columns=["mun", "year", "population", "foreign", "arrondissement", "province", "region"])
    return pd.concat(out, ignore_index=True)


def calibration_geography(data_dir: str | Path, params: RegisterParams | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Geography of Flanders + Brussels from the real sector file, with the calibration targets.

    Returns
    -------
    (geo, foreign)
        ``geo`` as described in the module docstring (2019 sectors, ``target`` = population on
        1 January 2019; the ``...ZZZZ`` 'unknown sector' rows are dropped and their residents
        spread over the municipality's sectors in proportion to population; sectors without
        residents are left out);
        ``foreign`` = :func:`read_foreign_shares` (municipal foreign counts 2009–2015).
    """
    params = params or load_params()
    data_dir = Path(data_dir)
    sec_path = data_dir / "statbel" / "OPEN DATA_SECTOREN_2019.xlsx"
    if not sec_path.exists():
        raise AankomstError(f"calibration needs {sec_path}; pass the mirror's data folder")
    df = read_sector_file(sec_path)
    unknown = df[df["CD_SECTOR"].str.endswith("ZZZZ")].groupby("CD_REFNIS")["POPULATION"].sum()
    df = df[~df["CD_SECTOR"].str.endswith("ZZZZ") & (df["POPULATION"] > 0)].copy()
    tot = df.groupby("CD_REFNIS")["POPULATION"].transform("sum").replace(0, 1)
    df["target"] = df["POPULATION"] + df["CD_REFNIS"].map(unknown).fillna(0) * df["POPULATION"] / tot
    df["target"] = df["target"].round().astype(int)
    # put each municipality's rounding residue on its largest sector, so totals stay exact
    want = (df.groupby("CD_REFNIS")["POPULATION"].sum() + unknown.reindex(df["CD_REFNIS"].unique()).fillna(0)).round()
    resid = (want - df.groupby("CD_REFNIS")["target"].sum()).astype(int)
    top = df.sort_values("target").groupby("CD_REFNIS").tail(1).index
    df.loc[top, "target"] += df.loc[top, "CD_REFNIS"].map(resid).fillna(0).astype(int).to_numpy()
    geo = pd.DataFrame({
        "sector": df["CD_SECTOR"].str.strip(), "name": df.get("TX_DESCR_SECTOR_NL", df["CD_SECTOR"]),
        "municipality": df["CD_REFNIS"], "municipality_name": df["TX_DESCR_NL"],
        "mun_calib": df["CD_SECTOR"].str[:5], "arrondissement": "", "province": "",
        "region": df["region"], "country": "BE", "target": df["target"],
        "area_km2": pd.to_numeric(df["OPPERVLAKKTE IN HM²"], errors="coerce").fillna(1.0) / 100.0,
    })
    foreign = read_foreign_shares(data_dir)
    if len(foreign):
        arr = foreign.drop_duplicates("mun").set_index("mun")["arrondissement"].str.zfill(5)
        geo["arrondissement"] = geo["mun_calib"].map(arr).fillna(geo["municipality"].str[:2] + "000")
    else:
        geo["arrondissement"] = geo["municipality"].str[:2] + "000"
    geo.loc[geo["region"] == BRUSSELS_REGION, "arrondissement"] = "21000"
    geo["province"] = [_province_of(m) for m in geo["municipality"]]
    geo = _apply_city_roles(geo, params)
    return geo.loc[:, list(GEO_COLUMNS)].reset_index(drop=True), foreign


def atlas_geography(atlas, params: RegisterParams | None = None, municipalities: set[str] | None = None) -> pd.DataFrame:
    """Geography from the sectors of an atlas (e.g. the demo atlas).

    Uses the sector layout with the most areas, the sector -> municipality crosswalk, the
    latest total population per sector as ``target`` (1,000 when absent) and area in km².
    The most populous municipality is the big city; the next two are its suburbs.
    ``municipalities`` keeps only the sectors of those municipalities.
    """
    params = params or load_params()
    lay = atlas.query(
        "SELECT layout, count(*) AS n FROM areas WHERE level = 'sector' GROUP BY layout ORDER BY n DESC"
    )
    if lay.empty:
        raise AankomstError("the atlas has no sectors; build the demo or the real atlas first")
    layout = str(lay["layout"].iloc[0])
    sec = atlas.query(
        "SELECT code AS sector, coalesce(name_nl, code) AS name, coalesce(area_km2, 1.0) AS area_km2 "
        "FROM areas WHERE level = 'sector' AND layout = ? ORDER BY code", [layout])
    xw = atlas.query(
        "SELECT from_code AS sector, to_level, to_code FROM crosswalks WHERE from_level = 'sector' "
        "AND from_layout = ? AND to_level IN ('municipality','arrondissement','province','region') "
        "AND weight >= 0.999", [layout])
    for lv in ("municipality", "arrondissement", "province", "region"):
        m = xw[xw["to_level"] == lv].drop_duplicates("sector").set_index("sector")["to_code"]
        sec[lv] = sec["sector"].map(m)
    sec["municipality"] = sec["municipality"].fillna(sec["sector"].str[:5])
    if municipalities is not None:
        sec = sec[sec["municipality"].isin(municipalities)].reset_index(drop=True)
    sec["arrondissement"] = sec["arrondissement"].fillna(sec["municipality"].str[:2] + "000")
    sec["province"] = sec["province"].fillna(sec["municipality"].map(_province_of))
    sec["region"] = sec["region"].fillna(sec["municipality"].map(lambda c: _region_of(c) or FLANDERS_REGION))
    pop = atlas.query(
        "SELECT code AS sector, count FROM population WHERE level = 'sector' AND layout = ? "
        "AND scheme = 'total' AND grp = 'total' AND sex = 'T' AND age_band = 'total' "
        "AND ref_date = (SELECT max(ref_date) FROM population WHERE level = 'sector' AND layout = ? "
        "AND scheme = 'total')", [layout, layout])
    sec["target"] = sec["sector"].map(pop.drop_duplicates("sector").set_index("sector")["count"]).fillna(1000).astype(int)
    names = atlas.query("SELECT code, name_nl FROM areas WHERE level = 'municipality'")
    sec["municipality_name"] = sec["municipality"].map(names.drop_duplicates("code").set_index("code")["name_nl"]).fillna(sec["municipality"])
    sec["mun_calib"] = sec["municipality"]
    sec["country"] = "BE"
    size = sec.groupby("municipality")["target"].sum().sort_values(ascending=False)
    big = size.index[0]
    sec["city"] = np.where(sec["municipality"] == big, big, "")
    subs = list(size.index[1:3])
    sec["suburb_of"] = np.where(sec["municipality"].isin(subs), big, "")
    sec["suburb_weight"] = np.where(sec["municipality"].isin(subs), 2.0, 0.0)
    sec.attrs["layout"] = layout
    return sec.loc[:, list(GEO_COLUMNS)]
