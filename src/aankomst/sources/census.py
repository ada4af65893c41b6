"""Reader of the 2011 census cube HC46 (``TF_CENSUS_2011_HC46_L.zip``): residents on 1 January
2011 by arrondissement (NUTS 3) × sex × age × country of citizenship × place of birth ×
residence one year before.

Produces, at level ``arrondissement`` (layout ``2018``; NUTS 3 codes mapped to NIS codes by
``data/nuts3_arrondissements.csv``, the two Verviers NUTS 3 units summed into 63000):

* ``population`` on 2011-01-01: ``total/total`` by sex and 5-year age band; ``nationality`` BEL /
  ETR (citizenship: Belgian / foreign or stateless); ``eu_status`` belgian / eu / non_eu
  (stateless counted as non-EU; unknown citizenship only in the totals); ``birthplace`` belgium /
  eu / non_eu / unclassified / unknown;
* ``flows`` for 2010 (residents of 1 January 2011 whose usual residence one year before was
  elsewhere): origin ``abroad`` (code ``XXX``) and origin ``belgium`` (another arrondissement)
  → the arrondissement, by ``eu_status`` and in total. These count persons still resident at the
  census, not all moves.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd

from aankomst.errors import InputError
from aankomst.paths import package_data
from aankomst.sources._util import frame
from aankomst.sources.base import Recogniser, sha256_file
from aankomst.sources.meta import provenance
from aankomst.sources.sniff import zip_header_any
from aankomst.store.batch import LoadBatch

_REQUIRED = ("CD_GEO_LVL_3", "CD_SEX_LVL_1", "CD_ROY_LVL_3", "CD_POB_LVL_1", "CD_POB_LVL_2", "CD_COC_LVL_1",
             "CD_COC_LVL_2", "CD_AGE_LVL_2", "OBS_VALUE")

_BAND = """CASE CD_AGE_LVL_2 WHEN 'Y_LT5' THEN '0-4' WHEN 'Y_GE100' THEN '100+'
           ELSE replace(CD_AGE_LVL_2, 'Y', '') END"""
_EU = "CASE CD_COC_LVL_2 WHEN 'NAT' THEN 'belgian' WHEN 'EU_FOR' THEN 'eu' WHEN 'NEU' THEN 'non_eu' WHEN 'STLS' THEN 'non_eu' END"
_NAT = "CASE CD_COC_LVL_1 WHEN 'NAT' THEN 'BEL' WHEN 'FOR' THEN 'ETR' WHEN 'STLS' THEN 'ETR' END"
_POB = ("CASE CD_POB_LVL_2 WHEN 'NAT' THEN 'belgium' WHEN 'EU_OTH' THEN 'eu' WHEN 'NEU' THEN 'non_eu' "
        "WHEN 'OTH' THEN 'unclassified' ELSE 'unknown' END")


def read_census_hc46(path: Path) -> list[LoadBatch]:
    """Read the census 2011 cube HC46 (see the module docstring)."""
    import duckdb

    from aankomst.sources.statbel import _csv_error, _extract_text

    path = Path(path)
    tmp = tempfile.mkdtemp(prefix="aankomst_")
    try:
        txt, member, cols = _extract_text(path, Path(tmp))
        where = f"{path}!{member}"
        missing = [c for c in _REQUIRED if c not in cols]
        if missing:
            raise InputError(where, f"missing column(s) {missing}", row=1, column=missing[0],
                             expected="the census 2011 cube HC46 columns " + ", ".join(_REQUIRED))
        nuts = pd.read_csv(package_data("nuts3_arrondissements.csv"), dtype=str)
        con = duckdb.connect()
        try:
            con.execute("SET threads TO 2")
            src = (f"read_csv('{txt}', delim = '|', header = true, all_varchar = true, quote = '', escape = '', "
                   "strict_mode = true, types = {'OBS_VALUE': 'BIGINT'})")
            try:
                con.execute(f"CREATE TABLE t AS SELECT {', '.join(_REQUIRED)} FROM {src}")
            except duckdb.Error as exc:
                raise _csv_error(where, exc) from exc
            neg = con.execute("SELECT count(*) FROM t WHERE OBS_VALUE IS NULL OR OBS_VALUE < 0").fetchall()[0][0]
            if neg:
                raise InputError(where, f"{neg} negative or empty OBS_VALUE count(s)", column="OBS_VALUE", expected="counts of persons ≥ 0")
            con.register("nuts", nuts)
            unknown = con.execute("SELECT DISTINCT CD_GEO_LVL_3 FROM t WHERE CD_GEO_LVL_3 NOT IN (SELECT nuts3 FROM nuts)").fetchall()
            if unknown:
                raise InputError(where, f"unknown NUTS 3 code {unknown[0][0]!r}", column="CD_GEO_LVL_3",
                                 expected="a Belgian NUTS 3 (arrondissement) code listed in data/nuts3_arrondissements.csv")
            con.execute("CREATE TABLE u AS SELECT n.arrondissement AS code, t.* FROM t JOIN nuts n ON n.nuts3 = t.CD_GEO_LVL_3")
            n_rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
            pop = con.execute(f"""
                SELECT code, 'total' AS scheme, 'total' AS grp, coalesce(CD_SEX_LVL_1, 'T') AS sex,
                       coalesce({_BAND}, 'total') AS age_band, sum(OBS_VALUE) AS count
                FROM u GROUP BY GROUPING SETS ((code, CD_SEX_LVL_1, CD_AGE_LVL_2), (code, CD_SEX_LVL_1), (code, CD_AGE_LVL_2), (code))
                UNION ALL
                SELECT code, 'nationality', {_NAT} AS g, 'T', 'total', sum(OBS_VALUE) FROM u WHERE {_NAT} IS NOT NULL GROUP BY code, g
                UNION ALL
                SELECT code, 'eu_status', {_EU} AS g, 'T', 'total', sum(OBS_VALUE) FROM u WHERE {_EU} IS NOT NULL GROUP BY code, g
                UNION ALL
                SELECT code, 'birthplace', {_POB} AS g, 'T', 'total', sum(OBS_VALUE) FROM u GROUP BY code, g
            """).df()
            fl = con.execute(f"""
                WITH v AS (SELECT code, CASE CD_ROY_LVL_3 WHEN 'CHG_OUT' THEN 'abroad' ELSE 'belgium' END AS origin,
                                  {_EU} AS eu, OBS_VALUE FROM u WHERE CD_ROY_LVL_3 IN ('CHG_OUT', 'CHG_OUT3'))
                SELECT code, origin, CASE WHEN GROUPING(eu) = 1 THEN 'total' ELSE eu END AS grp, sum(OBS_VALUE) AS count
                FROM v GROUP BY GROUPING SETS ((code, origin, eu), (code, origin))
                HAVING CASE WHEN GROUPING(eu) = 1 THEN 'total' ELSE eu END IS NOT NULL
            """).df()
        finally:
            con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    arr = nuts.drop_duplicates("arrondissement")
    areas = frame("areas", {"level": "arrondissement", "layout": "2018", "code": arr["arrondissement"],
                            "name_nl": arr["name_nl"].str.replace(r" - (Frans|Duits)talige gemeenten$", "", regex=True),
                            "name_fr": arr["name_fr"].str.replace(r" - Communes (franco|germano)phones$", "", regex=True)})
    population = frame("population", {"level": "arrondissement", "layout": "2018", "code": pop["code"],
                                      "ref_date": pd.Timestamp("2011-01-01").date(), "scheme": pop["scheme"], "grp": pop["grp"],
                                      "sex": pop["sex"], "age_band": pop["age_band"], "count": pop["count"].astype("int64")})
    is_eu = fl["grp"] != "total"
    flows = frame("flows", {
        "year": 2010, "origin_kind": fl["origin"], "origin_code": fl["origin"].map({"abroad": "XXX"}),
        "dest_kind": "area", "dest_level": "arrondissement", "dest_layout": "2018", "dest_code": fl["code"],
        "scheme": is_eu.map({True: "eu_status", False: "total"}), "grp": fl["grp"], "count": fl["count"].astype("int64")})
    meta = provenance(path, "census_hc46")
    return [LoadBatch(
        source_id="statbel/TF_CENSUS_2011_HC46_L", family="census_hc46", path=str(path), sha256=sha256_file(path),
        tables={"areas": areas, "population": population, "flows": flows}, rows_read=int(n_rows),
        warnings=["census counts (1 January 2011) differ slightly from the register counts of TF_SOC_POP_STRUCT_2011",
                  "flows 2010 = residents of 2011 whose residence one year before was abroad or in another arrondissement",
                  "stateless persons counted as foreign / non-EU; unknown citizenship only in the totals"],
        **meta,
    )]


RECOGNISERS = [
    Recogniser("census_hc46", ("TF_CENSUS_2011_HC46*.zip",), read_census_hc46, zip_header_any("CD_COC_LVL_1"),
               "Census 2011 cube HC46: citizenship, birthplace, residence a year before, by arrondissement", order=61),
]
