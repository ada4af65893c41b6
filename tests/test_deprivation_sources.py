"""Readers of the deprivation files: real files, bad input, transactional load, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from aankomst.errors import InputError
from aankomst.sources import deprivation as dep

HEADER_W = '"CD_RES_SECTOR","score","rank","deciles"\n'


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


def test_without_health_reader_ok(tmp_path):
    p = _write(tmp_path, "BIMD_2011_WITHOUT_HEALTH_ELLIS_WIDE.csv",
               HEADER_W + '"11001A00-",7.05,2,1\n"11001A01-",3.5,1,10\n')
    b = dep.read_bimd_without_health(p)
    m = b[0].tables["measures"]
    assert set(m["measure"]) == {"bimd_nohealth_score", "bimd_nohealth_rank", "bimd_nohealth_decile"}
    assert set(m["layout"]) == {"2011"} and set(m["period"]) == {"2011"}
    assert len(b) == 1 and b[0].source_id == "bimd/sector_2011_without_health"  # definitions: once, elsewhere


@pytest.mark.parametrize("body,row,column", [
    ('"11001A00-",abc,2,1\n', 2, "score"),
    ('"11001A00-",7.0,2,11\n', 2, "deciles"),
    ('"11001A00-",7.0,2,1\n"11001A01-",7.0,0,1\n', 3, "rank"),
    ('"11001A00-",7.0,2.5,1\n', 2, "rank"),
    ('"XX",7.0,2,1\n', 2, "CD_RES_SECTOR"),
    ('"11001A00-",7.0,2,1\n"11001A00-",6.0,3,1\n', 3, "CD_RES_SECTOR"),
])
def test_bad_values_name_row_and_column(tmp_path, body, row, column):
    p = _write(tmp_path, "BIMD_2011_WITHOUT_HEALTH_ELLIS_WIDE.csv", HEADER_W + body)
    with pytest.raises(InputError) as ei:
        dep.read_bimd_without_health(p)
    assert ei.value.row == row and ei.value.column == column
    assert p.name in str(ei.value)


def test_missing_column_and_wrong_delimiter(tmp_path):
    p = _write(tmp_path, "BIMD_2001_WITHOUT_HEALTH_ELLIS_WIDE.csv", '"CD_RES_SECTOR","score","rank"\n"11001A00-",1,1\n')
    with pytest.raises(InputError, match="deciles"):
        dep.read_bimd_without_health(p)
    p = _write(tmp_path, "population_2011", '"CD_RES_SECTOR";"POPULATION"\n"11001A00-";12\n')
    with pytest.raises(InputError, match="wrong delimiter"):
        dep.read_bimd_population(p)


def test_population_negative_count(tmp_path):
    p = _write(tmp_path, "population_2001", '"CD_RES_SECTOR"\t"POPULATION"\n"11001A00-"\t-3\n')
    with pytest.raises(InputError) as ei:
        dep.read_bimd_population(p)
    assert (ei.value.row, ei.value.column) == (2, "POPULATION")


def test_atlas_index_reader_and_errors(tmp_path):
    ok = _write(tmp_path, "atlas_indice_synthetique_2010.csv",
                "Secteur statistique;Indice synthétique de difficulté 2010\n11001A00-;-0.8\n11002A00-;1,5\n")
    m = dep.read_atlas_index(ok)[0].tables["measures"]
    assert m["value"].tolist() == [-0.8, 1.5] and set(m["layout"]) == {"2001"} and set(m["period"]) == {"2010"}
    bad = _write(tmp_path, "atlas_indice_synthetique_2010.csv", "Secteur statistique,Indice\n11001A00-,-0.8\n")
    with pytest.raises(InputError, match="no ';'"):
        dep.read_atlas_index(bad)


def test_names_with_invalid_utf8_warns(tmp_path):
    raw = b'"CD_MUNTY_REFNIS","CD_RES_SECTOR","SECTOR_NAME","COMMUNE"\n34002,"34002F0AA","SCHALI\xc3\xc2\x8bNHOF","ANZEGEM"\n'
    p = _write(tmp_path, "names_sectors_municipalities_2011.csv", raw)
    b = dep.read_bimd_names(p)[0]
    assert b.warnings and "line 2" in b.warnings[0]
    assert b.tables["crosswalks"]["to_code"].tolist() == ["34002"]


def test_failed_load_leaves_database_unchanged(tmp_path):
    import aankomst

    good = _write(tmp_path, "BIMD_2011_WITHOUT_HEALTH_ELLIS_WIDE.csv", HEADER_W + '"11001A00-",7.0,1,1\n')
    a = aankomst.open(str(tmp_path / "x.duckdb"))
    a.load(dep.read_bimd_without_health(good), check_areas=False)
    before = a.query("SELECT count(*) AS n FROM measures")["n"].iloc[0]
    batches = dep.read_bimd_without_health(good)
    batches[0].tables["measures"].loc[0, "measure"] = None  # NOT NULL violation inside the transaction
    import duckdb

    with pytest.raises((InputError, duckdb.Error)):  # the store names the file (InputError)
        a.load(batches, check_areas=False)
    assert a.query("SELECT count(*) AS n FROM measures")["n"].iloc[0] == before
    a.close()


@pytest.mark.realdata
def test_every_deprivation_file_is_recognised(mirror):
    import fnmatch

    files = [p for p in (mirror / "deprivation").rglob("*") if p.is_file() and p.name != "README.md"]
    for f in files:
        hits = [r for r in dep.RECOGNISERS if any(fnmatch.fnmatch(f.name.lower(), p.lower()) for p in r.patterns)]
        assert len(hits) == 1, f
        assert hits[0].sniff(f), f


@pytest.fixture(scope="module")
def dep_db(mirror, tmp_path_factory):
    import aankomst

    db = tmp_path_factory.mktemp("depsrc") / "dep.duckdb"
    with aankomst.open(str(db)) as a:
        a.load(dep.read_directory(mirror / "deprivation"), check_areas=False)
    return db


@pytest.mark.realdata
def test_store_contents(dep_db):
    import aankomst

    with aankomst.open(str(dep_db), read_only=True) as a:
        n = a.query("SELECT layout, count(*) AS n FROM areas WHERE level = 'sector' GROUP BY layout ORDER BY layout")
        assert n["n"].tolist() == [19781, 19782]
        pop = a.query("SELECT layout, sum(count) AS p FROM population GROUP BY layout ORDER BY layout")
        assert pop["p"].tolist() == [10292038, 10944082]
        x = a.query("SELECT count(*) AS n FROM measures WHERE measure = 'atlas_difficulty_index'")
        assert x["n"].iloc[0] == 7752
        assert a.query("SELECT count(*) AS n FROM measure_defs")["n"].iloc[0] >= 46
        prov = a.query("SELECT source_id, warnings FROM provenance")
        assert prov["source_id"].is_unique and (prov["source_id"] == "aankomst/deprivation_measures").sum() == 1
        for ed in ("2001", "2011"):
            mun = a.query("SELECT count(*) AS n, count(DISTINCT code) AS c FROM measures WHERE measure = 'bimd_mun_score' "
                          "AND period = ?", [ed])
            assert (mun["n"].iloc[0], mun["c"].iloc[0]) == (589, 589)
            w = json.loads(prov.set_index("source_id").loc[f"bimd/municipalities_{ed}_long", "warnings"])
            # the LONG file repeats every WIDE figure (589 × 21), all with the same value
            assert any(f"{589 * 21} measures row(s) were already supplied" in x and "(0 with a different value" in x
                       for x in w), w


@pytest.mark.realdata
def test_cli_bimd_sector_and_municipality(dep_db, tmp_path):
    from typer.testing import CliRunner

    from aankomst.cli import make_app

    runner = CliRunner()
    out = tmp_path / "m.csv"
    r = runner.invoke(make_app(), ["deprivation", "bimd", "--edition", "2011", "--level", "municipality",
                                   "--db", str(dep_db), "--format", "csv", "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, dtype={"area_code": str})
    assert list(df.columns[:5]) == ["area_code", "area_name", "score", "rank", "decile"]
    row = df.set_index("area_code").loc["11002"]
    assert (row["rank"], row["decile"]) == (78, 2)
    meta = json.loads(Path(str(out) + ".meta.json").read_text())
    assert "0.2·income" in meta["definition"]
    r = runner.invoke(make_app(), ["deprivation", "bimd", "--edition", "2001", "--level", "sector", "--without-health",
                                   "--db", str(dep_db), "--format", "csv"])
    assert r.exit_code == 0
    s = pd.read_csv(__import__("io").StringIO(r.stdout), dtype={"area_code": str})
    assert len(s) == 18295 and s["decile"].between(1, 10).all()
    r = runner.invoke(make_app(), ["deprivation", "bimd", "--edition", "2005", "--db", str(dep_db)])
    assert r.exit_code == 2 and "2005" in r.output


# ----------------------------------------------------------------------------- municipal WIDE + LONG
_MUN_COLS = [(d, k) for d in ("income", "employment", "education", "housing", "crime", "health", "bimd")
             for k in ("average_score", "rank_average_score", "decile")]


def _mun_files(tmp_path: Path, long_change: float | None = None) -> tuple[Path, Path]:
    """Two municipalities; the LONG file repeats the WIDE numbers (optionally one changed)."""
    vals = {"11001": [10.0, 2, 9], "11002": [47.9, 1, 1]}
    head = ["code", "municipality_name"] + [f"{'decile' if k == 'decile' else k}_{d}_2011" for d, k in _MUN_COLS]
    wide = ",".join(head) + "\n"
    long = "code,municipality_name,INDICATOR,MEASURE\n"
    for code, (sc, rk, dc) in vals.items():
        wide += f"{code},M{code}," + ",".join(str({"average_score": sc, "rank_average_score": rk, "decile": dc}[k])
                                              for _, k in _MUN_COLS) + "\n"
        for col in head[2:]:
            v = sc if col.startswith("average") else rk if col.startswith("rank") else dc
            if long_change is not None and code == "11001" and col == "average_score_income_2011":
                v = long_change
            long += f"{code},M{code},{col},{v}\n"
    return (_write(tmp_path, "DOMAINS_BIMD_2011_MUNICIPALITIES_ELLIS_WIDE_AVERAGE_SCORE.csv", wide),
            _write(tmp_path, "DOMAINS_BIMD_2011_MUNICIPALITIES_ELLIS_LONG_AVERAGE_SCORE.csv", long))


def test_municipal_wide_and_long_have_distinct_sources_and_load_once(tmp_path):
    import aankomst

    _mun_files(tmp_path, long_change=11.5)
    batches = dep.read_directory(tmp_path)
    ids = [b.source_id for b in batches]
    # WIDE first (order 60), LONG after it (61), the definitions once at the end
    assert ids == ["bimd/municipalities_2011", "bimd/municipalities_2011_long", "aankomst/deprivation_measures"]
    with aankomst.open(str(tmp_path / "m.duckdb")) as a:
        a.load(batches, check_areas=False)
        a.load(dep.read_directory(tmp_path), check_areas=False)  # idempotent re-load
        n = a.query("SELECT measure, count(*) AS n FROM measures GROUP BY measure")
        assert len(n) == 21 and set(n["n"]) == {2}  # 21 measures × 2 municipalities, never doubled
        v = a.query("SELECT value FROM measures WHERE code = '11001' AND measure = 'bimd_mun_income_score'")
        assert v["value"].tolist() == [10.0]  # the earlier (WIDE) source wins
        prov = a.query("SELECT source_id, warnings FROM provenance ORDER BY source_id").set_index("source_id")
        assert len(prov) == 3
        w = json.loads(prov.loc["bimd/municipalities_2011_long", "warnings"])
        assert any("42 measures row(s) were already supplied" in x and "(1 with a different value" in x for x in w)
        d = a.query("SELECT definition FROM measure_defs WHERE measure = 'bimd_mun_score'")["definition"].iloc[0]
        assert "population-weighted" in d.lower() or "weighted" in d.lower()


def test_build_adds_deprivation_definitions_once(tmp_path):
    from aankomst.sources.build import builtin_batches

    good = _write(tmp_path, "BIMD_2011_WITHOUT_HEALTH_ELLIS_WIDE.csv", HEADER_W + '"11001A00-",7.0,1,1\n')
    data = dep.read_bimd_without_health(good)
    extra = builtin_batches(data)
    assert [b.source_id for b in extra].count("aankomst/deprivation_measures") == 1
    generic = next(b for b in extra if b.source_id == "aankomst/measure_defs").tables["measure_defs"]
    assert not generic["measure"].str.startswith("bimd_").any()  # no bare "as published" rows for them
    assert "aankomst/deprivation_measures" not in [b.source_id for b in builtin_batches([])]
