"""Checks of the atlas built from the real mirror (``real_atlas``, built once per session)
against published figures and structural facts of the official files."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.realdata


def test_sector_population_2019_flanders_brussels(real_atlas):
    # published: Flanders + Brussels sum to 7,797,611 residents on 1 January 2019
    df = real_atlas.query("""
        SELECT r.to_code AS region, sum(p.count) AS n FROM population p
        JOIN crosswalks c ON c.from_level = 'sector' AND c.from_layout = '2019' AND c.from_code = p.code
             AND c.to_level = 'municipality' AND c.to_layout = '2024'
        JOIN crosswalks r ON r.from_level = 'municipality' AND r.from_layout = '2024' AND r.from_code = c.to_code
             AND r.to_level = 'region' AND r.to_layout = '2025'
        WHERE p.level = 'sector' AND p.layout = '2019' AND p.ref_date = DATE '2019-01-01' AND p.scheme = 'total'
              AND p.sex = 'T' AND p.age_band = 'total'
        GROUP BY ALL""")
    by = dict(zip(df["region"], df["n"]))
    assert by["02000"] + by["04000"] == 7_797_611


def test_sector_population_2019_region_crosswalk_from_sector_basis(real_atlas):
    # the same figure through the sector -> region links of statsec2019_als_basis
    n = real_atlas.query("""
        SELECT sum(p.count) AS n FROM population p JOIN crosswalks c ON c.from_level = 'sector' AND c.from_layout = '2019'
             AND c.from_code = p.code AND c.to_level = 'region' AND c.to_code IN ('02000', '04000')
        WHERE p.level = 'sector' AND p.layout = '2019' AND p.scheme = 'total' AND p.sex = 'T' AND p.age_band = 'total'""")["n"][0]
    assert n == 7_797_611


def test_statbel_2012_belgium_total(real_atlas):
    df = real_atlas.query("""
        SELECT sum(p.count) AS n, count(DISTINCT p.code) AS m FROM population p JOIN provenance v USING (load_id)
        WHERE v.source_id = 'statbel/TF_SOC_POP_STRUCT_2012' AND p.scheme = 'total' AND p.sex = 'T' AND p.age_band = 'total'""")
    assert df["n"][0] == 11_035_948
    assert df["m"][0] == 589


def test_statbel_2012_parts_add_up(real_atlas):
    # nationality BEL + ETR = total; M + F = T; the age bands add up to the total
    df = real_atlas.query("""
        SELECT scheme, grp, sex, age_band, sum(count) AS n FROM population JOIN provenance v USING (load_id)
        WHERE v.source_id = 'statbel/TF_SOC_POP_STRUCT_2012' GROUP BY ALL""")
    tot = df[(df.scheme == "total") & (df.sex == "T") & (df.age_band == "total")]["n"].sum()
    nat = df[(df.scheme == "nationality") & (df.sex == "T") & (df.age_band == "total")]["n"].sum()
    sexes = df[(df.scheme == "total") & (df.sex != "T") & (df.age_band == "total")]["n"].sum()
    ages = df[(df.scheme == "total") & (df.sex == "T") & (df.age_band != "total")]["n"].sum()
    assert tot == nat == sexes == ages == 11_035_948


def test_ggw7_neighbourhoods_with_geometry(real_atlas):
    n = real_atlas.query("SELECT count(*) AS n FROM areas WHERE level = 'neighbourhood' AND layout = '2025' AND geometry IS NOT NULL")["n"][0]
    assert n == 2_767


def test_every_2025_sector_in_one_neighbourhood_and_one_municipality(real_atlas):
    df = real_atlas.query("""
        SELECT a.code, count(DISTINCT n.to_code) AS nb, count(DISTINCT m.to_code) AS mun FROM areas a
        LEFT JOIN crosswalks n ON n.from_level = 'sector' AND n.from_layout = '2025' AND n.from_code = a.code
             AND n.to_level = 'neighbourhood' AND n.to_layout = '2025'
        LEFT JOIN crosswalks m ON m.from_level = 'sector' AND m.from_layout = '2025' AND m.from_code = a.code
             AND m.to_level = 'municipality' AND m.to_layout = '2025'
        WHERE a.level = 'sector' AND a.layout = '2025' GROUP BY a.code""")
    assert len(df) > 10_800
    assert (df["nb"] == 1).all() and (df["mun"] == 1).all()


def test_hierarchy_report_current_layout(real_atlas):
    from aankomst.store.layouts import hierarchy_report

    h = hierarchy_report(real_atlas)
    for key in ("sector2025_neighbourhood", "sector2025_municipality", "municipality_arrondissement",
                "arrondissement_province", "province_region", "region_country"):
        assert h[key]["with_none"] == 0 and h[key]["with_several"] == 0, (key, h[key])
    assert h["municipality_arrondissement"]["units"] == 304  # 285 Flemish + 19 Brussels
    assert h["brussels_sector2019_monitor"]["with_one"] == 724


def test_reexpress_2009_2015_on_2025_layout_preserves_regional_totals(real_atlas):
    from aankomst.store.layouts import reexpress

    for year in range(2009, 2016):
        w = {"ref_date": f"{year}-01-01", "scheme": "total", "sex": "T", "age_band": "total"}
        old = real_atlas.query("""
            SELECT r.to_code AS region, sum(p.count) AS n FROM population p JOIN provenance v USING (load_id)
            JOIN crosswalks r ON r.from_level = 'municipality' AND r.from_layout = '2018' AND r.from_code = p.code AND r.to_level = 'region'
            WHERE p.level = 'municipality' AND p.layout = '2018' AND v.family = 'statbel_pop_struct' AND p.ref_date = ?
              AND p.scheme = 'total' AND p.sex = 'T' AND p.age_band = 'total' GROUP BY ALL""", [w["ref_date"]])
        res = reexpress(real_atlas, from_level="municipality", from_layout="2018", to_level="municipality", to_layout="2025", where=w)
        assert not res.data["split"].any()  # Flemish mergers join whole municipalities
        new = res.data.merge(real_atlas.query(
            "SELECT from_code AS code, to_code AS region FROM crosswalks WHERE from_level = 'municipality' AND from_layout = '2025' "
            "AND to_level = 'region'"), on="code").groupby("region")["count"].sum()
        o = dict(zip(old["region"], old["n"]))
        assert new["02000"] == o["02000"] and new["04000"] == o["04000"]
        # Walloon municipalities have no 2025 definition in the mirror: they are reported, not dropped
        wal = set(real_atlas.query("SELECT from_code FROM crosswalks WHERE from_level = 'municipality' AND from_layout = '2018' "
                                   "AND to_level = 'region' AND to_code = '03000'")["from_code"])
        assert set(res.unmapped["code"]) == wal
        assert res.unmapped["count"].sum() == o["03000"]
        assert res.data["count"].sum() + res.unmapped["count"].sum() == sum(o.values())


def test_brussels_monitoring_neighbourhoods(real_atlas):
    import shapely

    gdf = real_atlas.areas_gdf("brussels_neighbourhood", "monitor")
    assert len(gdf) == 145 and gdf.crs.to_epsg() == 31370
    df = real_atlas.query("SELECT code, geometry FROM areas WHERE level = 'brussels_neighbourhood' AND layout = 'monitor'")
    g = shapely.from_wkb([bytes(b) for b in df["geometry"]])  # DuckDB returns BLOBs as bytearray
    x0, y0, x1, y1 = shapely.total_bounds(g)
    # reprojected to Lambert 72: the Brussels region lies around x 140–160 km, y 160–180 km
    assert 138_000 < x0 < x1 < 162_000 and 158_000 < y0 < y1 < 182_000


def test_brussels_migration_flows_and_balance(real_atlas):
    # internal balance (published measure) = moves in - moves out (flows) for every commune and year
    df = real_atlas.query("""
        WITH f AS (SELECT year, coalesce(dest_code, origin_code) AS code,
                          sum(CASE WHEN dest_kind = 'area' THEN count ELSE -count END) AS bal
                   FROM flows GROUP BY ALL)
        SELECT f.code, f.year, f.bal, m.value FROM f JOIN measures m ON m.code = f.code AND m.period = CAST(f.year AS VARCHAR)
             AND m.measure = 'internal_migration_balance' AND m.level = 'municipality'""")
    assert len(df) == 19 * 25
    assert (df["bal"] == df["value"]).all()


def test_every_mirror_file_is_accounted_for(mirror):
    """Every file of the mirror is read, documentation, a shapefile part or a known family without
    a reader yet: nothing unknown, nothing mismatched (so the mirror builds without --skip-unknown)."""
    from aankomst.sources.catalogue import scan

    sc = scan(mirror)
    files = [p for p in mirror.rglob("*") if p.is_file()]
    listed = len(sc.data) + len(sc.documentation) + len(sc.parts) + len(sc.deferred) + len(sc.unknown) + len(sc.mismatched)
    assert listed == len(files)
    assert not sc.mismatched and not sc.unknown and not sc.problems
    assert {p.name for p in sc.documentation} >= {"Statbel_open_data_licence_nl.pdf", "README.md", "census2011_README.xlsx",
                                                   "TF_SOC_POP_STRUCT_columns_description.xlsx"}
    assert not sc.deferred and "leefloon_ocmw_2010.csv" in {p.name for p, _ in sc.data}
    assert {p.suffix for p in sc.parts} == {".dbf", ".shx", ".prj", ".cpg"}
    assert "Bevolking_per_gemeente.xlsx" in {p.name for p, _ in sc.data}


def _bevolking_sheets(mirror):
    """The regional rows (and Antwerpen) of every year sheet, read here straight from the workbook."""
    import pandas as pd

    sheets = pd.read_excel(mirror / "statbel" / "Bevolking_per_gemeente.xlsx", sheet_name=None, header=None, dtype=object,
                           engine="calamine")
    out = {}
    for name, raw in sheets.items():
        if not name.startswith("Bevolking in "):
            continue
        rows = {str(r[0]).zfill(5): (int(r[2]), int(r[3]), int(r[4])) for r in raw.itertuples(index=False)
                if str(r[0]).strip().isdigit()}
        out[int(name[-4:])] = rows
    return out


def test_bevolking_per_gemeente_municipalities_add_up_to_the_sheets_regions(real_atlas, mirror):
    """For every year 1992–2021, the municipal counts in the atlas (men, women, total), summed along the
    municipality -> region links, equal the regional rows of the sheet; 2009–2015 come from the
    TF_SOC_POP_STRUCT files (loaded first), which Statbel's own sheet confirms at regional level."""
    sheets = _bevolking_sheets(mirror)
    assert sorted(sheets) == list(range(1992, 2022))
    assert sheets[2021]["11002"][2] == 529_417 and sheets[2021]["02000"][2] == 6_653_062
    got = real_atlas.query("""
        SELECT year(p.ref_date) AS year, r.to_code AS region, p.sex, sum(p.count) AS n, count(*) AS m
        FROM population p JOIN crosswalks r ON r.from_level = 'municipality' AND r.from_layout = p.layout
             AND r.from_code = p.code AND r.to_level = 'region' AND r.to_layout = '2025'
        WHERE p.level = 'municipality' AND p.layout IN ('2018', '2024') AND p.scheme = 'total' AND p.age_band = 'total'
              AND year(p.ref_date) BETWEEN 1992 AND 2021 AND month(p.ref_date) = 1 AND day(p.ref_date) = 1
        GROUP BY ALL""")
    by = {(int(y), reg, sex): (int(n), int(m)) for y, reg, sex, n, m in got.itertuples(index=False)}
    for year, rows in sheets.items():
        n_mun = 589 if year <= 2018 else 581
        assert sum(by[(year, reg, "T")][1] for reg in ("02000", "03000", "04000")) == n_mun, year  # each municipality once
        for reg in ("02000", "03000", "04000"):
            m, f, t = rows[reg]
            assert (by[(year, reg, "M")][0], by[(year, reg, "F")][0], by[(year, reg, "T")][0]) == (m, f, t), (year, reg)
    ant = real_atlas.query("""SELECT count FROM population WHERE level = 'municipality' AND layout = '2024' AND code = '11002'
                              AND ref_date = DATE '2021-01-01' AND scheme = 'total' AND sex = 'T' AND age_band = 'total'""")
    assert ant["count"].tolist() == [529_417]


def test_bevolking_per_gemeente_does_not_double_count(real_atlas):
    """One figure per key: for 2009–2015 the TF_SOC_POP_STRUCT files were loaded first and keep their
    rows (the workbook's provenance says how many it left out); the Brussels communes' totals stay
    those of the IBSA series."""
    dup = real_atlas.query("""
        SELECT level, layout, code, ref_date, scheme, grp, sex, age_band, count(*) AS n FROM population
        WHERE level = 'municipality' GROUP BY ALL HAVING count(*) > 1""")
    assert dup.empty, dup.head()
    src = real_atlas.query("""
        SELECT year(p.ref_date) AS year, v.family, count(*) AS n FROM population p JOIN provenance v USING (load_id)
        WHERE p.level = 'municipality' AND p.layout = '2018' AND p.scheme = 'total' AND p.sex = 'T' AND p.age_band = 'total'
        GROUP BY ALL""")
    fam = {(int(y), f): int(n) for y, f, n in src.itertuples(index=False)}
    for year in range(2009, 2016):
        assert fam[(year, "statbel_pop_struct")] == 589 and (year, "statbel_population_municipality") not in fam
    assert fam[(2016, "brussels_migration")] == 19 and fam[(2016, "statbel_population_municipality")] == 570
    warnings = real_atlas.query("SELECT warnings FROM provenance WHERE source_id = 'statbel/Bevolking_per_gemeente'")
    assert "already supplied by an earlier source" in warnings["warnings"][0]


def test_population_indicator_uses_one_file_per_area(real_atlas):
    """The engine's totals: 2015 as before the workbook was added (TF_SOC_POP_STRUCT_2015; Antwerpen
    on the 2025 layout includes Borsbeek), 2019 as the sector file, 2021 now for every municipality."""
    from aankomst.indicators import compute

    def total(year: int, level: str = "municipality") -> dict[str, float]:
        d = compute(real_atlas, "population", level=level, period=year).data
        return dict(zip(d["area_code"], d["value"]))

    assert total(2015)["11002"] == 524_035
    assert total(2019)["11002"] == 525_935 + 10_854  # Antwerpen + Borsbeek, 1 January 2019
    t21 = total(2021)
    assert len(t21) == 304 and t21["11002"] == 529_417 + 11_077
    assert total(2021, "region") == {"02000": 6_653_062, "03000": 3_648_206, "04000": 1_219_970}


def test_census_2011_hc46(real_atlas):
    # published census 2011 cube: 11,000,638 residents; 1,136,778 in Brussels-Capital (NUTS BE100)
    df = real_atlas.query("""
        SELECT code, count FROM population WHERE level = 'arrondissement' AND layout = '2018' AND ref_date = DATE '2011-01-01'
        AND scheme = 'total' AND sex = 'T' AND age_band = 'total'""")
    assert df["count"].sum() == 11_000_638 and len(df) == 43
    assert dict(zip(df["code"], df["count"]))["21000"] == 1_136_778
    f = real_atlas.query("""SELECT origin_kind, sum(count) AS n FROM flows WHERE year = 2010 AND scheme = 'total'
                            AND dest_level = 'arrondissement' GROUP BY ALL""")
    assert dict(zip(f["origin_kind"], f["n"])) == {"abroad": 113_782, "belgium": 249_412}


def test_no_unit_has_two_parents_unless_split(real_atlas):
    df = real_atlas.query("""
        SELECT from_level, from_layout, from_code, to_level, to_layout, count(*) AS n FROM crosswalks
        WHERE NOT split AND to_level <> 'area_type' GROUP BY ALL HAVING count(*) > 1""")
    assert df.empty, df.head(10).to_string()


def test_province_2025_geometry_dissolved_from_municipalities(real_atlas):
    g = real_atlas.areas_gdf("province", "2025", with_geometry_only=True)
    # 5 Flemish provinces + Brussels-Capital (04000)
    assert set(g["code"]) == {"10000", "20001", "30000", "40000", "70000", "04000"}
    a = dict(zip(g["code"], g.geometry.area / 1e6))
    assert 2_800 < a["10000"] < 2_900  # Antwerp province ≈ 2,876 km² (without Zwijndrecht since 2025)


def test_sector_2019_on_2025_layouts_municipalities_yes_neighbourhoods_known_gap(real_atlas):
    """2019 sectors (fiscal 2019 income, OPEN DATA_SECTOREN_2019) on the current layouts.

    The official ``statsec2019_als_basis`` gives every Flemish/Brussels 2019 sector its 2025
    municipality, so the 2019 population (7,797,611, published) is preserved exactly on the 304
    municipalities of 2025. No official table links old sectors to the sectors or neighbourhoods
    of the 2025 reform (docs/schema.md, "Known gaps"): re-expressing on neighbourhood/2025 must
    fail with a clear error instead of inventing weights; neighbourhood/2024 is the fallback."""
    from aankomst.errors import AankomstError
    from aankomst.store.layouts import reexpress

    w = {"ref_date": "2019-01-01", "scheme": "total", "sex": "T", "age_band": "total"}
    res = reexpress(real_atlas, from_level="sector", from_layout="2019", to_level="municipality", to_layout="2025", where=w)
    assert res.data["count"].sum() == 7_797_611 and not res.data["split"].any()
    assert res.data["code"].nunique() == 304
    # the unmapped units are exactly the Walloon (and unlocalisable) sectors: nothing dropped silently
    total = real_atlas.query("SELECT sum(count) AS n FROM population WHERE level = 'sector' AND layout = '2019' "
                             "AND ref_date = DATE '2019-01-01' AND scheme = 'total' AND sex = 'T' AND age_band = 'total'")["n"][0]
    assert res.data["count"].sum() + res.unmapped["count"].sum() == total
    nb = reexpress(real_atlas, from_level="sector", from_layout="2019", to_level="neighbourhood", to_layout="2024", where=w)
    assert nb.data["count"].sum() == 7_797_611
    with pytest.raises(AankomstError, match="no crosswalk path"):
        reexpress(real_atlas, from_level="sector", from_layout="2019", to_level="neighbourhood", to_layout="2025", where=w)


def test_deprivation_definitions_loaded_once_and_not_overwritten(real_atlas):
    prov = real_atlas.query("SELECT source_id FROM provenance")
    assert prov["source_id"].is_unique
    assert (prov["source_id"] == "aankomst/deprivation_measures").sum() == 1
    d = real_atlas.query("SELECT definition FROM measure_defs WHERE measure = 'bimd_mun_score'")["definition"][0]
    assert "population-weighted" in d  # the package definition, not a bare "as published (column name)" row
    n = real_atlas.query("SELECT count(*) AS n FROM measures WHERE measure = 'bimd_mun_score' AND period = '2011'")["n"][0]
    assert n == 589  # WIDE and LONG municipal files: loaded once


def test_every_group_scheme_in_the_atlas_has_labels(real_atlas):
    from aankomst.indicators import groups as G

    rows = real_atlas.query("""
        SELECT DISTINCT scheme, grp FROM population UNION SELECT DISTINCT scheme, grp FROM measures
        UNION SELECT DISTINCT scheme, grp FROM flows""")
    rows = rows[~rows["scheme"].isin(["total", "country"])]
    missing = [(s, g) for s, g in rows.itertuples(index=False)
               if s not in G.schemes() or g not in G.scheme_groups(s)]
    assert not missing, f"add labels to src/aankomst/data/groups/schemes.csv: {missing}"
