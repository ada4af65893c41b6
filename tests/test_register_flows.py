"""Synthetic register end to end: determinism, all levels, and flows that conserve people."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

import aankomst
from aankomst.register.generate import generate
from aankomst.register.load import load_register


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    d = tmp_path_factory.mktemp("reg")
    r = generate(d / "ext", persons=25_000, seed=11, start_year=2008, end_year=2014)
    db = d / "atlas.duckdb"
    with aankomst.open(str(db)) as atlas:
        res = load_register(d / "ext", atlas)
    a = aankomst.open(str(db), read_only=True)
    yield r, res, a, d
    a.close()


def _digest(folder: Path) -> str:
    import duckdb

    h = hashlib.sha256()
    for t in ("persons", "nationalities", "addresses", "moves"):
        df = duckdb.sql(f"SELECT * FROM read_parquet('{folder / t}/*.parquet') ORDER BY ALL").df()
        h.update(pd.util.hash_pandas_object(df.astype(str), index=False).values.tobytes())
    return h.hexdigest()


def test_same_seed_same_register(tmp_path):
    a = generate(tmp_path / "a", persons=3000, seed=5, start_year=2010, end_year=2012)
    b = generate(tmp_path / "b", persons=3000, seed=5, start_year=2010, end_year=2012)
    generate(tmp_path / "c", persons=3000, seed=6, start_year=2010, end_year=2012)
    assert a.persons == b.persons
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b") != _digest(tmp_path / "c")


def test_all_levels_and_tables(loaded):
    _, res, a, _ = loaded
    assert set(res.levels) == {"sector", "municipality", "arrondissement", "province", "region", "country"}
    prov = a.sources()
    assert set(prov.loc[prov["family"] == "register", "privacy"]) == {"restricted"}
    schemes = set(a.query("SELECT DISTINCT scheme FROM population")["scheme"])
    assert {"total", "nationality", "nationality_group6", "origin_vsa", "origin_4crit", "origin_antwerp",
            "nationality_at_birth", "country"} <= schemes
    # every level sums to the same total on every date
    tot = a.query("SELECT level, ref_date, sum(count) AS n FROM population WHERE scheme = 'total' AND sex = 'T' "
                  "AND age_band = 'total' GROUP BY ALL")
    assert tot.groupby("ref_date")["n"].nunique().max() == 1
    # groups add up to the total, sexes and age bands too
    chk = a.query("""
        SELECT p.level, p.code, p.ref_date, p.scheme, sum(p.count) AS s, max(t.count) AS t
        FROM population p JOIN population t ON t.level = p.level AND t.code = p.code AND t.ref_date = p.ref_date
             AND t.scheme = 'total' AND t.sex = 'T' AND t.age_band = 'total'
        WHERE p.sex = 'T' AND p.age_band = 'total' GROUP BY ALL""")
    assert (chk["s"] == chk["t"]).all()
    sa = a.query("""SELECT level, code, ref_date, sex, sum(count) FILTER (WHERE age_band <> 'total') AS bands,
                    sum(count) FILTER (WHERE age_band = 'total') AS total
                    FROM population WHERE scheme = 'total' GROUP BY ALL""")
    assert (sa["bands"] == sa["total"]).all()


def test_flows_conserve_people(loaded):
    """population(1 Jan t+1) - population(1 Jan t) = births - deaths + arrivals - departures,
    for every area and year, at every level."""
    _, _, a, _ = loaded
    df = a.query("""
        WITH pop AS (SELECT level, layout, code, year(ref_date) AS y, count FROM population
                     WHERE scheme = 'total' AND sex = 'T' AND age_band = 'total'),
        inn AS (SELECT dest_level AS level, dest_code AS code, year, sum(count) AS n FROM flows
                WHERE scheme = 'total' AND dest_kind = 'area' AND NOT (origin_kind = 'area' AND origin_code = dest_code)
                GROUP BY ALL),
        outt AS (SELECT origin_level AS level, origin_code AS code, year, sum(count) AS n FROM flows
                 WHERE scheme = 'total' AND origin_kind = 'area' AND NOT (dest_kind = 'area' AND origin_code = dest_code)
                 GROUP BY ALL),
        m AS (SELECT level, code, CAST(period AS INTEGER) AS year,
                     sum(value) FILTER (WHERE measure = 'births') AS births,
                     sum(value) FILTER (WHERE measure = 'deaths') AS deaths
              FROM measures WHERE measure IN ('births', 'deaths') GROUP BY ALL)
        SELECT p0.level, p0.code, p0.y, p1.count - p0.count AS change,
               coalesce(m.births, 0) - coalesce(m.deaths, 0) + coalesce(inn.n, 0) - coalesce(outt.n, 0) AS balance
        FROM pop p0 JOIN pop p1 ON p1.level = p0.level AND p1.code = p0.code AND p1.y = p0.y + 1
        LEFT JOIN inn ON inn.level = p0.level AND inn.code = p0.code AND inn.year = p0.y
        LEFT JOIN outt ON outt.level = p0.level AND outt.code = p0.code AND outt.year = p0.y
        LEFT JOIN m ON m.level = p0.level AND m.code = p0.code AND m.year = p0.y""")
    assert len(df) > 700 and df["y"].nunique() == 7
    bad = df[df["change"] != df["balance"]]
    assert bad.empty, bad.head()
    # and there is real movement to conserve
    assert a.query("SELECT sum(count) AS n FROM flows WHERE scheme = 'total' AND dest_level = 'sector'")["n"].iloc[0] > 10_000


def test_arrivals_concentrate_in_the_big_city(loaded):
    _, _, a, _ = loaded
    f = a.query("""SELECT dest_code, sum(count) AS n FROM flows WHERE dest_level = 'municipality' AND origin_kind = 'abroad'
                   AND scheme = 'nationality' AND grp = 'ETR' GROUP BY ALL""").set_index("dest_code")["n"]
    p = a.query("""SELECT code, count FROM population WHERE level = 'municipality' AND scheme = 'total' AND sex = 'T'
                   AND age_band = 'total' AND ref_date = DATE '2012-01-01'""").set_index("code")["count"]
    rate = (f / p).dropna()
    assert rate.idxmax() == "11002"  # the standalone big city
    # onward moves: the big city sends movers to its listed suburb 11003 more than to others (per inhabitant)
    o = a.query("""SELECT dest_code, sum(count) AS n FROM flows WHERE origin_level = 'municipality' AND origin_code = '11002'
                   AND dest_kind = 'area' AND dest_code <> '11002' AND scheme = 'total' GROUP BY ALL""").set_index("dest_code")["n"]
    per = (o / p).dropna()
    assert per.idxmax() == "11003"


def test_register_measures(loaded):
    _, _, a, _ = loaded
    m = set(a.query("SELECT DISTINCT measure FROM measures")["measure"])
    assert {"births", "deaths", "recent_immigrants", "newcomers", "new_residents_5y", "arrival_typology"} <= m
    # recent immigrants of year t are at most the foreign arrivals from abroad of year t
    r = a.query("SELECT period, sum(value) AS v FROM measures WHERE measure = 'recent_immigrants' AND level = 'country' GROUP BY ALL")
    f = a.query("SELECT CAST(year AS VARCHAR) AS period, sum(count) AS n FROM flows WHERE dest_level = 'country' "
                "AND origin_kind IN ('abroad', 'unknown') AND scheme = 'nationality' AND grp = 'ETR' GROUP BY ALL")
    j = r.merge(f, on="period")
    assert len(j) >= 5 and (j["v"] <= j["n"]).all() and (j["v"] > 0.5 * j["n"]).all()


def test_cli_load_and_typology(loaded, tmp_path):
    from typer.testing import CliRunner

    from aankomst.cli import make_app

    _, _, _, d = loaded
    db = tmp_path / "cli.duckdb"
    app = make_app()
    r = CliRunner().invoke(app, ["register", "load", str(d / "ext"), "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "restricted" in r.output and "small-cell rule" in r.output
    out = tmp_path / "t.csv"
    r = CliRunner().invoke(app, ["typology", "--db", str(db), "--level", "sector", "--period", "2010-2014",
                                 "--format", "csv", "--out", str(out)])
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out)
    assert {"area_code", "area_name", "class", "explanation"} <= set(t.columns)
    assert t["explanation"].str.len().min() > 10
    assert "gateway" in set(t["class"])
    r = CliRunner().invoke(app, ["typology", "--db", str(db), "--level", "planet", "--period", "2010-2014"])
    assert r.exit_code == 2 and "planet" in r.output


def test_register_indicators(loaded):
    from aankomst.indicators import compute
    from aankomst.register import indicators as I

    _, _, a, _ = loaded
    res = compute(a, "share_new_residents_5y", level="municipality", period=2014)
    assert res.meta["layout"] == "synthetic" and res.meta["restricted"] is True
    s = res.data
    m = a.query("SELECT code, value FROM measures WHERE measure = 'new_residents_5y' AND level = 'municipality' "
                "AND period = '2014-01-01'").set_index("code")["value"]
    p = a.query("SELECT code, count FROM population WHERE level = 'municipality' AND scheme = 'total' AND sex = 'T' "
                "AND age_band = 'total' AND ref_date = DATE '2014-01-01'").set_index("code")["count"]
    got = s.set_index("area_code")["value"]
    assert ((got - 100 * m / p).abs() < 1e-9).all() and got.between(5, 95).all()
    r = I.recent_immigrants_per_1000(a, level="municipality", period=2012, layout="synthetic")
    assert (r.values["value"] > 0).all() and r.values["unit"].iloc[0] == "per 1000"
    assert r.restricted is True and r.load_ids and r.periods == ["2012", "2013-01-01"]
    t = I.arrival_typology(a, level="sector", period="2010-2014", layout="synthetic")
    assert t.restricted is True and t.load_ids and "2015-01-01" in t.periods
    v = t.values
    assert set(v["value"].dropna()) <= {0.0, 1.0, 2.0, 3.0, 4.0} and v["explanation"].str.len().min() > 10
    assert (v["group"] == v["class"]).all() and v["numerator"].isna().all()


def test_cli_generate(tmp_path):
    from typer.testing import CliRunner

    from aankomst.cli import make_app

    r = CliRunner().invoke(make_app(), ["register", "generate", "--persons", "2000", "--seed", "3", "--out",
                                        str(tmp_path / "g"), "--start-year", "2015", "--end-year", "2016"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "g" / "manifest.json").exists() and list((tmp_path / "g" / "persons").glob("*.parquet"))
