"""Tests of the seeded demo region (aankomst.demo): hierarchy, geometry, conservation of people,
the domain patterns of domain.md, determinism and the parameter tables."""

from __future__ import annotations

import itertools
import shutil
import sys
import types

import numpy as np
import pandas as pd
import pytest
import shapely

LEVELS = ("sector", "neighbourhood", "municipality", "arrondissement", "province", "region", "country")
BASE = ("aankomst/demo/areas", "aankomst/demo/population", "aankomst/demo/flows", "aankomst/demo/measures")
DEMO = ("load_id IN (SELECT load_id FROM provenance WHERE source_id IN ("
        + ", ".join(f"'{s}'" for s in BASE) + "))")
"""SQL filter: rows of the base demo (extensions add their own sources)."""


def q(atlas, sql: str, params=None) -> pd.DataFrame:
    return atlas.query(sql, params or [])


# ---------------------------------------------------------------- hierarchy and codes
def test_every_sector_has_one_parent_per_level_and_chains_agree(demo_atlas):
    cw = q(demo_atlas, f"SELECT from_level, from_code, to_level, to_code FROM crosswalks WHERE {DEMO}")
    sectors = q(demo_atlas, "SELECT code FROM areas WHERE level = 'sector'")["code"]
    assert len(sectors) > 200
    for i, child in enumerate(LEVELS[:-1]):
        units = q(demo_atlas, "SELECT code FROM areas WHERE level = ?", [child])["code"]
        for parent in LEVELS[i + 1:]:
            part = cw[(cw.from_level == child) & (cw.to_level == parent)]
            counts = part.groupby("from_code").size()
            assert set(counts.index) == set(units), (child, parent)
            assert (counts == 1).all(), (child, parent)
    # the chain sector -> neighbourhood -> municipality -> ... agrees with the direct links
    direct = cw[cw.from_level == "sector"].pivot(index="from_code", columns="to_level", values="to_code")
    for child, parent in itertools.pairwise(LEVELS[1:]):
        step = cw[(cw.from_level == child) & (cw.to_level == parent)].set_index("from_code")["to_code"]
        assert (direct[child].map(step) == direct[parent]).all(), (child, parent)
    assert set(direct["country"]) == {"XD"}
    assert set(direct["region"]) == {"08000", "09000"}


def test_codes_cannot_be_confused_with_real_nis_codes(demo_atlas):
    areas = q(demo_atlas, f"SELECT level, code, name_nl, name_fr FROM areas WHERE {DEMO}")
    mun = areas[areas.level == "municipality"]["code"]
    assert mun.str.match(r"^9[6-9]\d{3}$").all()  # real arrondissements stop at 93
    nb = areas[areas.level == "neighbourhood"]["code"]
    assert nb.str.match(r"^9[6-9]\d{3}W\d{2}$").all()
    sec = areas[areas.level == "sector"]["code"]
    assert sec.str.match(r"^9[6-9]\d{3}[A-Z]\d{2}-$").all()
    assert areas["name_nl"].notna().all() and areas["name_fr"].notna().all()
    capital = areas[(areas.level == "municipality") & areas.code.str.startswith("96")]
    assert (capital["name_nl"] != capital["name_fr"]).all()  # bilingual capital


def test_key_areas_exist_with_their_names(demo_atlas):
    from aankomst.demo.build import KEY_AREAS

    names = {"hoofdstad": "Hoofdstad", "havenstad": "Havenstad", "havenstad_noord": "Havenstad-Noord",
             "aalstrode": "Aalstrode", "liedevelde": "Liedevelde", "monitor_noordwijk": "Noordwijk"}
    for key, (level, code) in KEY_AREAS.items():
        layout = "monitor" if level == "brussels_neighbourhood" else "2025"
        rows = q(demo_atlas, "SELECT name_nl FROM areas WHERE level = ? AND layout = ? AND code = ?",
                 [level, layout, code])
        assert len(rows) == 1, key
        if key in names:
            assert rows["name_nl"][0] == names[key]


# ---------------------------------------------------------------- geometry
@pytest.fixture(scope="module")
def geoms(demo_atlas):
    df = q(demo_atlas, f"SELECT level, code, area_km2, geometry FROM areas WHERE {DEMO}")
    df["geom"] = shapely.from_wkb(df["geometry"].map(bytes))
    return df


def test_geometry_valid_polygons_in_lambert72(geoms):
    g = geoms["geom"].to_numpy()
    assert shapely.is_valid(g).all()
    assert (~shapely.is_empty(g)).all()
    assert set(shapely.get_type_id(g)) <= {3, 6}  # Polygon / MultiPolygon
    x0, y0, x1, y1 = shapely.total_bounds(g)
    assert 0 < x0 < x1 < 300_000 and 0 < y0 < y1 < 300_000  # Belgian Lambert 72 extent
    import geopandas as gpd

    lonlat = gpd.GeoSeries(g, crs=31370).to_crs(4326).total_bounds
    assert 2.5 < lonlat[0] < lonlat[2] < 6.5 and 49.4 < lonlat[1] < lonlat[3] < 51.6
    assert np.allclose(geoms["area_km2"], shapely.area(g) / 1e6)


def test_siblings_do_not_overlap_and_children_tile_their_parent(demo_atlas, geoms):
    cw = q(demo_atlas, f"SELECT from_level, from_code, to_code FROM crosswalks WHERE {DEMO} AND "
                       "((from_level = 'sector' AND to_level = 'neighbourhood') OR "
                       "(from_level = 'neighbourhood' AND to_level = 'municipality') OR "
                       "(from_level = 'municipality' AND to_level = 'arrondissement'))")
    by = {(lv, c): g for lv, c, g in zip(geoms.level, geoms.code, geoms.geom)}
    parent_level = {"sector": "neighbourhood", "neighbourhood": "municipality", "municipality": "arrondissement"}
    for child_level, grp in cw.groupby("from_level"):
        kids = [by[(child_level, c)] for c in grp["from_code"]]
        tree = shapely.STRtree(kids)
        left, right = tree.query(kids, predicate="intersects")
        pairs = left < right
        overlap = shapely.area(shapely.intersection(np.take(kids, left[pairs]), np.take(kids, right[pairs]))).sum()
        assert overlap < 0.01, (child_level, overlap)  # m², across all sibling pairs
        for parent, sub in grp.groupby("to_code"):
            union = shapely.union_all([by[(child_level, c)] for c in sub["from_code"]])
            p = by[(parent_level[child_level], parent)]
            assert shapely.area(shapely.symmetric_difference(union, p)) < 1.0, parent
    # the monitoring neighbourhoods (layout 'monitor') tile the capital region
    mon = geoms[geoms.level == "brussels_neighbourhood"]
    assert len(mon) > 20
    cap = geoms[(geoms.level == "region") & (geoms.code == "08000")]["geom"].iloc[0]
    assert shapely.area(shapely.symmetric_difference(shapely.union_all(mon["geom"].to_numpy()), cap)) < 1.0


# ---------------------------------------------------------------- conservation of people
def _balance_sql(level: str) -> str:
    """Per area, year and group: P(t+1) - P(t) - (births - deaths ± naturalisations + in - out)."""
    return f"""
    WITH pop AS (
        SELECT code, year(ref_date) AS y, grp, count FROM population
        WHERE {DEMO} AND level = ? AND sex = 'T' AND age_band = 'total'
          AND scheme IN ('total', 'nationality')),
    ev AS (
        SELECT code, CAST(period AS INTEGER) AS y, grp,
               sum(CASE measure WHEN 'births' THEN value WHEN 'deaths' THEN -value ELSE 0 END) AS v
        FROM measures WHERE {DEMO} AND level = ? AND measure IN ('births', 'deaths')
        GROUP BY ALL),
    nat AS (
        SELECT code, CAST(period AS INTEGER) AS y, value AS n FROM measures
        WHERE {DEMO} AND level = ? AND measure = 'naturalisations'),
    fin AS (SELECT dest_code AS code, year AS y, grp, sum(count) AS c FROM flows
            WHERE {DEMO} AND dest_level = ? AND scheme IN ('total', 'nationality') GROUP BY ALL),
    fout AS (SELECT origin_code AS code, year AS y, grp, sum(count) AS c FROM flows
             WHERE {DEMO} AND origin_level = ? AND scheme IN ('total', 'nationality') GROUP BY ALL)
    SELECT a.code, a.y, a.grp, a.count AS p0, b.count AS p1,
           b.count - a.count - coalesce(ev.v, 0) - coalesce(fin.c, 0) + coalesce(fout.c, 0)
           - CASE a.grp WHEN 'BEL' THEN coalesce(nat.n, 0) WHEN 'ETR' THEN -coalesce(nat.n, 0) ELSE 0 END
           AS residual
    FROM pop a JOIN pop b ON b.code = a.code AND b.grp = a.grp AND b.y = a.y + 1
    LEFT JOIN ev ON ev.code = a.code AND ev.y = a.y AND ev.grp = a.grp
    LEFT JOIN nat ON nat.code = a.code AND nat.y = a.y
    LEFT JOIN fin ON fin.code = a.code AND fin.y = a.y AND fin.grp = a.grp
    LEFT JOIN fout ON fout.code = a.code AND fout.y = a.y AND fout.grp = a.grp
    """


@pytest.mark.parametrize("level", ["sector", "neighbourhood", "municipality", "region", "country",
                                   "brussels_neighbourhood"])
def test_population_is_conserved_by_events_and_flows(demo_atlas, level):
    df = q(demo_atlas, _balance_sql(level), [level] * 5)
    n_units = q(demo_atlas, "SELECT count(*) AS n FROM areas WHERE level = ?", [level])["n"][0]
    assert len(df) == n_units * 13 * 3  # 13 years × (total, BEL, ETR)
    assert (df["residual"] == 0).all(), df[df["residual"] != 0].head()
    assert df["p0"].min() > 0


def test_stored_levels_are_sums_of_sectors(demo_atlas):
    df = q(demo_atlas, f"""
        SELECT c.to_level, c.to_code, p.ref_date, p.scheme, p.grp, sum(p.count) AS s, any_value(t.count) AS t
        FROM population p
        JOIN crosswalks c ON c.from_level = 'sector' AND c.from_code = p.code AND c.to_level IN ('municipality', 'region')
        JOIN population t ON t.level = c.to_level AND t.code = c.to_code AND t.ref_date = p.ref_date
             AND t.scheme = p.scheme AND t.grp = p.grp AND t.sex = p.sex AND t.age_band = p.age_band
        WHERE p.level = 'sector' AND p.{DEMO} AND p.sex = 'T' AND p.age_band = 'total'
        GROUP BY ALL""")
    assert len(df) > 1000
    assert (df["s"] == df["t"]).all()


def test_schemes_add_up_to_the_total(demo_atlas):
    df = q(demo_atlas, f"""
        SELECT code, ref_date, scheme, sum(count) AS s FROM population
        WHERE {DEMO} AND level = 'municipality' AND sex = 'T' AND age_band = 'total'
        GROUP BY ALL""").pivot_table(index=["code", "ref_date"], columns="scheme", values="s")
    for scheme in ("nationality", "country", "nationality_group6"):
        assert (df[scheme] == df["total"]).all(), scheme
    ages = q(demo_atlas, f"""
        SELECT sum(count) FILTER (WHERE age_band = 'total') AS t, sum(count) FILTER (WHERE age_band <> 'total') AS b,
               sum(count) FILTER (WHERE sex = 'T' AND age_band = 'total') AS st,
               sum(count) FILTER (WHERE sex <> 'T' AND age_band = 'total') AS sb
        FROM population WHERE {DEMO} AND level = 'country' AND scheme = 'total'""")
    assert ages["t"][0] == ages["b"][0] and ages["st"][0] == ages["sb"][0]
    years = q(demo_atlas, f"SELECT DISTINCT year(ref_date) AS y FROM population WHERE {DEMO}")["y"]
    assert sorted(years) == list(range(2010, 2024))


# ---------------------------------------------------------------- domain patterns (domain.md §4, §6)
def _flows(atlas, level: str, grp: str) -> pd.DataFrame:
    return q(atlas, f"""SELECT year, origin_kind, origin_code, dest_kind, dest_code, count FROM flows
        WHERE {DEMO} AND scheme = 'nationality' AND grp = ? AND
        (origin_level = ? OR origin_level IS NULL) AND (dest_level = ? OR dest_level IS NULL)""",
             [grp, level, level])


def _pop(atlas, level: str, grp: str) -> pd.Series:
    """Mean population (1 January 2010–2022) per area of group grp ('total', 'BEL', 'ETR')."""
    scheme = "total" if grp == "total" else "nationality"
    return q(atlas, f"""SELECT code, avg(count) AS p FROM population WHERE {DEMO} AND level = ?
        AND scheme = ? AND grp = ? AND sex = 'T' AND age_band = 'total' AND year(ref_date) < 2023
        GROUP BY code""", [level, scheme, grp]).set_index("code")["p"]


def test_havenstad_noord_has_the_highest_arrivals_from_abroad(demo_atlas):
    f = pd.concat([_flows(demo_atlas, "neighbourhood", g) for g in ("BEL", "ETR")])
    arrivals = f[f.origin_kind == "abroad"].groupby("dest_code")["count"].sum() / 13
    pop = _pop(demo_atlas, "neighbourhood", "total")
    rate = (arrivals / pop)[pop >= 1000]
    assert rate.idxmax() == "97001W01"
    # ... and of the foreign newcomers it receives, the largest share comes directly from abroad
    e = _flows(demo_atlas, "neighbourhood", "ETR")
    new = e[(e.dest_kind == "area") & (e.origin_code != e.dest_code)]
    from_abroad = new[new.origin_kind == "abroad"].groupby("dest_code")["count"].sum()
    first_entry = (from_abroad / new.groupby("dest_code")["count"].sum())[pop >= 1000]
    assert first_entry.idxmax() == "97001W01"


def test_havenstad_noord_has_the_arrival_signature(demo_atlas):
    """Positive external balance for foreigners, negative for Belgians; negative internal balance
    for both; mobility above the city's (domain.md §4, Antwerpen-Noord)."""
    city = set(q(demo_atlas, "SELECT from_code FROM crosswalks WHERE from_level = 'neighbourhood' "
                             "AND to_level = 'municipality' AND to_code = '97001'")["from_code"])
    noord = "97001W01"
    for grp, ext_sign in (("ETR", 1), ("BEL", -1)):
        f = _flows(demo_atlas, "neighbourhood", grp)
        o_city = f.origin_code.isin(city) & (f.origin_kind == "area")
        d_city = f.dest_code.isin(city) & (f.dest_kind == "area")
        ext = f[(f.dest_code == noord) & ~o_city]["count"].sum() - f[(f.origin_code == noord) & ~d_city]["count"].sum()
        internal = (f[(f.dest_code == noord) & o_city & (f.origin_code != noord)]["count"].sum()
                    - f[(f.origin_code == noord) & d_city & (f.dest_code != noord)]["count"].sum())
        assert np.sign(ext) == ext_sign, (grp, ext)
        assert internal < 0, (grp, internal)
    f = q(demo_atlas, f"""SELECT origin_kind, origin_code, dest_kind, dest_code, count FROM flows
        WHERE {DEMO} AND scheme = 'total' AND (origin_level = 'neighbourhood' OR origin_level IS NULL)
        AND (dest_level = 'neighbourhood' OR dest_level IS NULL)""")
    pop = _pop(demo_atlas, "neighbourhood", "total")
    moves = f[f.dest_code.isin(city)].groupby("dest_code")["count"].sum().add(
        f[f.origin_code.isin(city) & (f.origin_code != f.dest_code)].groupby("origin_code")["count"].sum(), fill_value=0)
    mobility = moves / pop[list(city)]
    assert mobility.idxmax() == noord
    assert mobility[noord] > 1.5 * (moves.sum() / pop[list(city)].sum())


def test_adjacent_neighbourhoods_receive_the_onward_movers(demo_atlas):
    areas = q(demo_atlas, f"SELECT code, geometry FROM areas WHERE {DEMO} AND level = 'neighbourhood' "
                          "AND code LIKE '97001W%'")
    geo = dict(zip(areas.code, shapely.from_wkb(areas.geometry.map(bytes))))
    noord = geo.pop("97001W01")
    adjacent = {c for c, g in geo.items() if shapely.length(shapely.intersection(g, noord)) > 10}
    assert adjacent
    f = _flows(demo_atlas, "neighbourhood", "ETR")
    out = f[(f.origin_code == "97001W01") & f.dest_code.isin(geo)].groupby("dest_code")["count"].sum()
    pop = _pop(demo_atlas, "neighbourhood", "total")
    per_cap = out / pop[out.index]
    assert per_cap[list(adjacent)].min() > per_cap.drop(list(adjacent)).max()
    assert out[list(adjacent)].sum() > 0.5 * out.sum()


def _first_entry(atlas, code: str) -> dict[str, float]:
    f = _flows(atlas, "municipality", "ETR")
    new = f[(f.dest_code == code) & (f.origin_code != code)]
    capital = new.origin_code.str.startswith("96") & (new.origin_kind == "area")
    total = new["count"].sum()
    return {"abroad": new[new.origin_kind == "abroad"]["count"].sum() / total,
            "capital": new[capital]["count"].sum() / total}


def test_gateway_mixed_and_secondary_destinations(demo_atlas):
    haven, aalst, lied = (_first_entry(demo_atlas, c) for c in ("97001", "98001", "99001"))
    assert haven["abroad"] > 0.75  # gateway (Antwerpen: 79 %)
    assert 0.4 < aalst["abroad"] < 0.75  # gateway and secondary destination (Aalst: 52 %)
    assert lied["abroad"] < 0.4  # secondary destination (Liedekerke: 32 %)
    assert lied["capital"] > 0.4 and lied["capital"] > lied["abroad"]  # mostly from the capital (41 %)
    assert haven["abroad"] > aalst["abroad"] > lied["abroad"]


def test_liedevelde_inflow_mostly_from_the_capital(demo_atlas):
    f = pd.concat([_flows(demo_atlas, "municipality", g) for g in ("BEL", "ETR")])
    inflow = f[(f.dest_code == "99001") & (f.origin_kind == "area") & (f.origin_code != "99001")]
    by_origin = inflow.assign(o=np.where(inflow.origin_code.str.startswith("96"), "capital", inflow.origin_code)) \
        .groupby("o")["count"].sum()
    assert by_origin.idxmax() == "capital"


def test_foreign_share_highest_in_havenstad_noord_within_the_city(demo_atlas):
    df = q(demo_atlas, f"""SELECT code, grp, count FROM population WHERE {DEMO} AND level = 'neighbourhood'
        AND code LIKE '97001W%' AND scheme = 'nationality' AND sex = 'T' AND age_band = 'total'
        AND ref_date = DATE '2023-01-01'""").pivot(index="code", columns="grp", values="count")
    share = df["ETR"] / (df["ETR"] + df["BEL"])
    assert share.idxmax() == "97001W01" and share.max() > 0.35


def test_measures_present_with_units(demo_atlas):
    m = q(demo_atlas, f"""SELECT measure, level, count(*) AS n, any_value(unit) AS unit, min(value) AS lo,
        max(value) AS hi FROM measures WHERE {DEMO} GROUP BY ALL""")
    have = set(m.measure)
    assert {"total_net_taxable_income", "tax_declarations", "unemployment_rate", "deprivation_index",
            "births", "deaths", "naturalisations"} <= have
    u = m[(m.measure == "unemployment_rate")]
    assert (u.lo > 0).all() and (u.hi < 60).all() and set(u.unit) == {"%"}
    defs = q(demo_atlas, "SELECT measure FROM measure_defs")["measure"]
    assert have <= set(defs)
    # income per declaration lower in Havenstad-Noord than in the city
    inc = q(demo_atlas, f"""SELECT code, value FROM measures WHERE {DEMO} AND measure = 'mean_taxable_income_declaration'
        AND period = '2020' AND code IN ('97001W01', '97001')""").set_index("code")["value"]
    assert inc["97001W01"] < inc["97001"]


def test_provenance_is_open_cc0(demo_atlas):
    p = q(demo_atlas, f"SELECT source_id, licence, privacy, rows_loaded FROM provenance WHERE {DEMO}")
    assert set(p.source_id) == set(BASE)
    assert set(p.licence) == {"CC0-1.0"} and set(p.privacy) == {"open"}
    assert (p.rows_loaded > 0).all()


# ---------------------------------------------------------------- determinism
def test_different_seed_gives_a_different_region():
    from aankomst.demo.geography import build_geography
    from aankomst.demo.params import load_params
    from aankomst.demo.population import simulate

    p = load_params()
    out = []
    for seed in (42, 42, 7):
        rng = np.random.default_rng(seed)
        g = build_geography(p, rng)
        out.append((g, simulate(p, g, rng)))
    (g1, s1), (g2, s2), (g3, s3) = out
    assert np.array_equal(s1.pop, s2.pop) and np.array_equal(s1.moves, s2.moves)
    assert g1.areas.equals(g2.areas)
    assert not np.array_equal(s1.pop, s3.pop)
    assert not shapely.equals(g1.sectors.geometry.iloc[0], g3.sectors.geometry.iloc[0])


# ---------------------------------------------------------------- parameters and hooks
def test_bad_parameter_table_names_file_row_and_column(tmp_path):
    from aankomst.demo.params import load_params
    from aankomst.errors import InputError
    from aankomst.paths import package_data

    for name in ("demo_params.csv", "demo_upper_areas.csv", "demo_municipalities.csv",
                 "demo_neighbourhoods.csv", "demo_countries.csv", "demo_od_boosts.csv"):
        shutil.copy(package_data(name), tmp_path / name)
    assert len(load_params(tmp_path).municipalities) == 20
    path = tmp_path / "demo_municipalities.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[7] = "veel"
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_params(tmp_path)
    assert err.value.row == 4 and err.value.column == "population_2010" and "veel" in str(err.value)
    (tmp_path / "demo_countries.csv").unlink()
    with pytest.raises(InputError, match="demo_countries.csv"):
        load_params(tmp_path)


def test_extension_hooks_run_in_order_and_errors_name_them(tmp_path):
    from aankomst.demo.build import DemoReport, extensions, run_extensions
    from aankomst.errors import AankomstError

    calls = []

    def ok(atlas, *, seed, workdir):
        calls.append((atlas, seed, workdir))
        return ["line one"]

    def boom(atlas, *, seed, workdir):
        raise ValueError("broken")

    rep = DemoReport(tmp_path / "x.duckdb", 5, [], {}, {})
    run_extensions("ATLAS", seed=5, workdir=tmp_path / "w", report=rep, extend=(("ok", ok),))
    assert calls == [("ATLAS", 5, tmp_path / "w")]
    assert rep.lines == ["line one"]
    assert rep.extensions["ok"] == "ran"
    with pytest.raises(AankomstError, match="bad.*broken"):
        run_extensions("ATLAS", seed=5, workdir=tmp_path / "w", report=rep, extend=(("bad", boom),))
    assert [n for n, _ in extensions()] == ["aankomst.register.demo", "aankomst.analysis.demo",
                                            "aankomst.registry.demo"]


def test_extension_needing_an_uninstalled_extra_is_skipped_not_fatal(tmp_path):
    from aankomst.demo.build import DemoReport, run_extensions
    from aankomst.errors import AankomstError

    def needs_extra(atlas, *, seed, workdir):
        raise ModuleNotFoundError("No module named 'sqlalchemy_not_here'", name="sqlalchemy_not_here")

    def own_bug(atlas, *, seed, workdir):
        raise ModuleNotFoundError("No module named 'aankomst.nothere'", name="aankomst.nothere")

    rep = DemoReport(tmp_path / "x.duckdb", 5, [], {}, {})
    run_extensions("ATLAS", seed=5, workdir=tmp_path / "w", report=rep, extend=(("extra", needs_extra),))
    assert rep.extensions["extra"].startswith("skipped") and "sqlalchemy_not_here" in rep.extensions["extra"]
    with pytest.raises(AankomstError, match="ownbug"):  # a missing module of our own is a bug
        run_extensions("ATLAS", seed=5, workdir=tmp_path / "w", report=rep, extend=(("ownbug", own_bug),))


def test_demo_refuses_an_atlas_holding_other_data(tmp_path):
    import aankomst
    from aankomst.demo import build_demo
    from aankomst.errors import AankomstError
    from aankomst.sources.base import LoadBatch

    db = tmp_path / "real.duckdb"
    areas = pd.DataFrame({"level": ["municipality"], "layout": ["2025"], "code": ["11002"], "name_nl": ["Antwerpen"],
                          "name_fr": ["Anvers"], "name_en": ["Antwerp"], "area_km2": [204.5], "geometry": [None]})
    with aankomst.open(str(db)) as atlas:
        atlas.load([LoadBatch(source_id="statbel/x", family="test", path="x.csv", sha256="0", tables={"areas": areas})])
    with pytest.raises(AankomstError, match="non-demo source.*statbel/x.*another --db"):
        build_demo(db, seed=1)
    with aankomst.open(str(db), read_only=True) as atlas:
        assert list(atlas.query("SELECT code FROM areas")["code"]) == ["11002"]
