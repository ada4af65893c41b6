"""Validation of register extracts: clear errors naming file, row, column and the fix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aankomst.errors import InputError
from aankomst.register.load import connect
from aankomst.register.schema import create_views, locate, validate

SECTORS = ["11002A00-", "11002A01-"]


def _write(d: Path, persons=None, nats=None, addr=None, moves=None) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    persons = persons if persons is not None else pd.DataFrame({
        "person_id": [1, 2], "birth_date": ["1980-01-01", "2010-05-05"], "sex": ["F", "M"],
        "nationality_at_birth": ["MAR", "BEL"], "father_id": [None, None], "mother_id": [None, 1],
        "father_nationality_at_birth": ["MAR", "BEL"], "mother_nationality_at_birth": ["MAR", "MAR"],
        "first_registration_date": ["2008-03-01", "2010-05-05"], "death_date": [None, None]})
    nats = nats if nats is not None else pd.DataFrame({
        "person_id": [1, 2], "nationality": ["MAR", "BEL"], "valid_from": ["1980-01-01", "2010-05-05"], "valid_to": [None, None]})
    addr = addr if addr is not None else pd.DataFrame({
        "person_id": [1, 1, 2], "sector": ["11002A00-", "11002A01-", "11002A01-"],
        "valid_from": ["2008-03-01", "2012-07-01", "2012-07-01"], "valid_to": ["2012-07-01", None, None],
        "household_id": [1, 1, 1], "with_parents": ["none", "none", "mother"]})
    moves = moves if moves is not None else pd.DataFrame({
        "person_id": [1, 1, 2], "move_date": ["2008-03-01", "2012-07-01", "2012-07-01"],
        "origin_kind": ["abroad", "sector", "sector"], "origin_code": ["MAR", "11002A00-", "11002A00-"],
        "dest_kind": ["sector", "sector", "sector"], "dest_code": ["11002A00-", "11002A01-", "11002A01-"]})
    for name, df in (("persons", persons), ("nationalities", nats), ("addresses", addr), ("moves", moves)):
        df.to_csv(d / f"{name}.csv", index=False)
    return d


def _check(d: Path):
    files = locate(d)
    con = connect(memory_limit="1GB")
    create_views(con, files)
    return validate(con, files, SECTORS)


def _addr(changes=None):
    a = pd.DataFrame({"person_id": [1, 1, 2], "sector": ["11002A00-", "11002A01-", "11002A01-"],
                      "valid_from": ["2008-03-01", "2012-07-01", "2012-07-01"], "valid_to": ["2012-07-01", None, None],
                      "household_id": [1, 1, 1], "with_parents": ["none", "none", "mother"]})
    for (i, c), v in (changes or {}).items():
        a.loc[i, c] = v
    return a


def test_valid_extract_passes(tmp_path):
    assert _check(_write(tmp_path / "ok")) == {"persons": 2, "nationalities": 2, "addresses": 3, "moves": 3}


def test_overlapping_address_periods(tmp_path):
    d = _write(tmp_path / "x", addr=_addr({(0, "valid_to"): "2013-01-01"}))
    with pytest.raises(InputError) as e:
        _check(d)
    p = e.value.problems[0]
    assert p.file.endswith("addresses.csv") and p.row == 3 and p.column == "valid_from"
    assert "overlaps" in p.message and "2012-07-01" in p.message


def test_move_before_birth(tmp_path):
    moves = pd.DataFrame({"person_id": [2], "move_date": ["2009-01-01"], "origin_kind": ["abroad"], "origin_code": ["MAR"],
                          "dest_kind": ["sector"], "dest_code": ["11002A01-"]})
    addr = pd.DataFrame({"person_id": [2], "sector": ["11002A01-"], "valid_from": ["2010-05-05"], "valid_to": [None],
                         "household_id": [1], "with_parents": ["mother"]})
    with pytest.raises(InputError) as e:
        _check(_write(tmp_path / "x", addr=addr, moves=moves))
    msgs = {(p.column, p.row): p.message for p in e.value.problems if p.file.endswith("moves.csv")}
    assert ("move_date", 2) in msgs and "before the person's birth" in msgs[("move_date", 2)]


def test_unknown_sector_code(tmp_path):
    d = _write(tmp_path / "x", addr=_addr({(2, "sector"): "99999Z99-"}))
    with pytest.raises(InputError) as e:
        _check(d)
    p = [p for p in e.value.problems if p.column == "sector"][0]
    assert p.row == 4 and "99999Z99-" in p.message and "sector code" in p.expected


def test_bad_date_and_bad_codes(tmp_path):
    persons = pd.DataFrame({"person_id": [1, 2], "birth_date": ["1980-13-45", "2010-05-05"], "sex": ["X", "M"],
                            "nationality_at_birth": ["Maroc", "BEL"], "father_id": [None, None], "mother_id": [None, 1],
                            "father_nationality_at_birth": [None, None], "mother_nationality_at_birth": [None, None],
                            "first_registration_date": ["2008-03-01", "2010-05-05"], "death_date": [None, None]})
    with pytest.raises(InputError) as e:
        _check(_write(tmp_path / "x", persons=persons))
    got = {(p.column, p.row) for p in e.value.problems}
    assert ("birth_date", 2) in got and ("sex", 2) in got and ("nationality_at_birth", 2) in got
    assert "1980-13-45" in str(e.value.problems[0]) or any("1980-13-45" in str(p) for p in e.value.problems)


def test_missing_table_and_column(tmp_path):
    d = _write(tmp_path / "x")
    (d / "moves.csv").unlink()
    with pytest.raises(InputError, match="moves"):
        locate(d)
    d2 = _write(tmp_path / "y")
    pd.read_csv(d2 / "persons.csv").drop(columns=["sex"]).to_csv(d2 / "persons.csv", index=False)
    with pytest.raises(InputError) as e:
        _check(d2)
    assert e.value.column == "sex"


def test_failed_load_leaves_atlas_unchanged(tmp_path):
    import aankomst
    from aankomst.register.load import load_register

    d = _write(tmp_path / "bad", addr=_addr({(0, "valid_to"): "2013-01-01"}))
    pd.DataFrame({"sector": SECTORS, "name": SECTORS, "municipality": "11002", "municipality_name": "Antwerpen",
                  "mun_calib": "11002", "arrondissement": "11000", "province": "10000", "region": "02000", "country": "BE",
                  "target": 10, "area_km2": 1.0, "city": "", "suburb_of": "", "suburb_weight": 0.0}).to_parquet(d / "geography.parquet")
    with aankomst.open(str(tmp_path / "a.duckdb")) as atlas:
        with pytest.raises(InputError):
            load_register(d, atlas, typology=False)
        assert atlas.query("SELECT count(*) AS n FROM provenance")["n"].iloc[0] == 0
        assert atlas.query("SELECT count(*) AS n FROM population")["n"].iloc[0] == 0


def test_cli_validate_exit_code(tmp_path):
    from typer.testing import CliRunner

    from aankomst.cli import make_app

    d = _write(tmp_path / "x", addr=_addr({(2, "sector"): "99999Z99-"}))
    pd.DataFrame({"sector": SECTORS}).assign(name="", municipality="11002", municipality_name="", mun_calib="11002",
                                             arrondissement="", province="", region="02000", country="BE", target=1,
                                             area_km2=1.0, city="", suburb_of="", suburb_weight=0.0).to_parquet(d / "geography.parquet")
    r = CliRunner().invoke(make_app(), ["register", "validate", str(d)])
    assert r.exit_code == 2
    text = " ".join(r.output.split())  # Rich wraps long lines
    assert "99999Z99-" in text and "addresses.csv, row 4, column 'sector'" in text
