"""OCMW inputs (docs/ocmw.md §1–3): the published 2010 table, the counts CSV and the
person-level extract — validation names file, row, column, value and the fix; loads are
all-or-nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import aankomst
from aankomst.errors import InputError
from aankomst.ocmw import counts
from aankomst.sources import leefloon as published
from aankomst.ocmw.load import load

HEADER = ",".join(published.COLUMNS)
ROWS = ["VLA,11002,Antwerpen,Anvers,2010,8303,62.1,30.9,7.0,37.9",
        "VLA,44021,Gent,Gand,2010,7240,59.8,19.2,21.0,40.2"]


def _write(tmp: Path, name: str, lines: list[str]) -> Path:
    p = tmp / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_published_table_rows_estimates_and_warning(tmp_path: Path) -> None:
    b = published.read_leefloon_table(_write(tmp_path, "leefloon_ocmw_2010.csv", [HEADER, *ROWS]))[0]
    m = b.tables["measures"]
    tot = m[(m["code"] == "11002") & (m["measure"] == "ocmw_recipients:leefloon:T:total")]
    assert tot["value"].tolist() == [8303.0] and set(tot["layout"]) == {"2018"}
    est = m[(m["code"] == "11002") & (m["measure"] == "ocmw_recipients_est:leefloon:T:total")]
    assert est.set_index("grp").loc["non_eu", "value"] == pytest.approx(8303 * 0.309)
    assert est.set_index("grp").loc["ETR", "value"] == pytest.approx(8303 * 0.379)
    assert "ESTIMATES" in b.warnings[0]
    defs = b.tables["measure_defs"].set_index("measure")
    assert "ESTIMATE" in defs.loc["ocmw_recipients_est:leefloon:T:total", "definition"]


@pytest.mark.parametrize("row, column, text", [
    ("VLA,11002,Antwerpen,Anvers,2010,8303,62.1,30.9,9.0,37.9", "pct_eu", "not pct_non_belgian"),
    ("VLA,1100,Antwerpen,Anvers,2010,8303,62.1,30.9,7.0,37.9", "nis_code", "not five digits"),
    ("BRU,11002,Antwerpen,Anvers,2010,8303,62.1,30.9,7.0,37.9", "nis_code", "does not lie in region"),
    ("VLA,11002,Antwerpen,Anvers,2010,83x3,62.1,30.9,7.0,37.9", "recipients_total", "'83x3'"),
    ("VLA,11002,Antwerpen,Anvers,2010,8303,162.1,30.9,7.0,37.9", "pct_belgian", "out of range"),
])
def test_published_table_errors_name_row_column_value(tmp_path: Path, row: str, column: str, text: str) -> None:
    p = _write(tmp_path, "leefloon_ocmw_2010.csv", [HEADER, ROWS[1], row])
    with pytest.raises(InputError) as err:
        published.read_leefloon_table(p)
    prob = err.value.problems[0]
    assert (prob.row, prob.column) == (3, column) and text in prob.message and prob.expected


def test_published_names_checked_against_atlas(tmp_path: Path) -> None:
    p = _write(tmp_path, "leefloon_ocmw_2010.csv", [HEADER, ROWS[0].replace("Antwerpen,Anvers", "Gent,Gand")])
    names = pd.DataFrame({"code": ["11002"], "name_nl": ["Antwerpen"], "name_fr": ["Anvers"]})
    with pytest.raises(InputError, match="is 'Antwerpen' in the atlas"):
        published.check_names(names, p)


COUNTS = ["ocmw;period;measure;scheme;grp;sex;age_band;count",
          "11002;2023;leefloon;eu_status;belgian;T;total;600",
          "11002;2023;leefloon;eu_status;eu;T;total;100",
          "11002;2023;leefloon;eu_status;non_eu;T;total;300",
          "11002;2023;leefloon;total;total;T;total;1000",
          "11002;2023;leefloon;total;total;M;total;450",
          "11002;2023;leefloon;total;total;F;total;550",
          "11002;2023-05;leefloon;total;total;T;total;812"]


def test_counts_semicolon_and_derived_parents(tmp_path: Path) -> None:
    b = counts.read_counts(_write(tmp_path, "barometer.csv", COUNTS))[0]
    m = b.tables["measures"]
    got = m[(m["period"] == "2023") & (m["measure"] == "ocmw_recipients:leefloon:T:total")]
    v = got.set_index(["scheme", "grp"])["value"]
    assert v[("nationality", "ETR")] == 400 and v[("nationality", "BEL")] == 600 and v[("total", "total")] == 1000
    assert set(m["layout"]) == {"2024"} and "derived" in b.warnings[0]


@pytest.mark.parametrize("bad, column, text", [
    ("11002;2023;leefloon;total;total;F;total;551", "count", "does not equal the sum"),
    ("11002;2023;leeflon;eu_status;eu;F;total;5", "measure", "'leeflon'"),
    ("11002;2023-13;leefloon;total;total;T;total;5", "period", "'2023-13'"),
    ("11002;2023;leefloon;eu_status;martian;T;total;5", "grp", "'martian'"),
    ("11002;2023;leefloon;total;total;X;total;5", "sex", "'X'"),
    ("11002;2023;leefloon;total;total;T;total;-1", "count", "'-1'"),
])
def test_counts_errors(tmp_path: Path, bad: str, column: str, text: str) -> None:
    lines = [ln for ln in COUNTS if ";F;total;550" not in ln] + [bad]
    if column != "count" or "sum" not in text:
        lines = COUNTS + [bad]
    with pytest.raises(InputError) as err:
        counts.read_counts(_write(tmp_path, "c.csv", lines))
    prob = err.value.problems[0]
    assert prob.column == column and text in prob.message and prob.row is not None and prob.expected


def test_counts_load_is_all_or_nothing(tmp_path: Path) -> None:
    atlas = aankomst.open(str(tmp_path / "a.duckdb"))
    load(_write(tmp_path, "ok.csv", COUNTS), atlas)
    n0 = atlas.query("SELECT count(*) AS n FROM measures")["n"].iloc[0]
    with pytest.raises(InputError):
        load(_write(tmp_path, "ok.csv", COUNTS + ["11002;2024;leefloon;total;total;T;total;x"]), atlas)
    assert atlas.query("SELECT count(*) AS n FROM measures")["n"].iloc[0] == n0
    with pytest.raises(InputError, match="not an OCMW input"):
        load(_write(tmp_path, "other.csv", ["a,b", "1,2"]), atlas)
    atlas.close()


def _extract(root: Path, episodes: list[tuple], labour: list[tuple] = (), end: str = "2021-01-01",
             clients: list[tuple] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    ids = sorted({e[1] for e in episodes})
    cl = clients or [(i, "F" if i % 2 else "M", "1980-05-01", "BEL" if i % 3 else "MAR", "", "") for i in ids]
    pd.DataFrame(cl, columns=["person_id", "sex", "birth_date", "nationality", "residence_status",
                              "first_registration_date"]).to_csv(root / "clients.csv", index=False)
    pd.DataFrame(episodes, columns=["episode_id", "person_id", "ocmw", "measure", "start_date", "end_date",
                                    "end_reason"]).to_csv(root / "episodes.csv", index=False)
    pd.DataFrame(list(labour), columns=["person_id", "status", "valid_from", "valid_to"]).to_csv(
        root / "labour.csv", index=False)
    (root / "manifest.json").write_text(json.dumps({"extract_end": end}))
    return root


@pytest.mark.parametrize("episodes, column, text", [
    ([(1, 1, "11002", "leefloon", "2019-01-01", "2019-06-01", "work"),
      (2, 1, "11002", "leefloon", "2019-05-01", "", "")], "start_date", "overlaps"),
    ([(1, 1, "11002", "leefloon", "2019-01-01", "2018-06-01", "work")], "end_date", "on or before the start"),
    ([(1, 1, "11002", "leefloonn", "2019-01-01", "", "")], "measure", "'leefloonn'"),
    ([(1, 1, "11002", "leefloon", "2019-01-01", "", "work")], "end_reason", "without end date"),
    ([(1, 1, "11002", "leefloon", "2019-02-30", "", "")], "start_date", "'2019-02-30'"),
    ([(1, 1, "1102", "leefloon", "2019-01-01", "", "")], "ocmw", "'1102'"),
])
def test_extract_validation(tmp_path: Path, episodes: list[tuple], column: str, text: str) -> None:
    import duckdb

    from aankomst.ocmw.extract import create_tables, locate, validate

    files = locate(_extract(tmp_path / "x", episodes))
    con = duckdb.connect()
    create_tables(con, files)
    with pytest.raises(InputError) as err:
        validate(con, files)
    prob = next(p for p in err.value.problems if p.column == column)
    assert text in prob.message and prob.file.endswith("episodes.csv") and prob.row >= 2 and prob.expected


def test_extract_labour_of_unknown_client(tmp_path: Path) -> None:
    import duckdb

    from aankomst.ocmw.extract import create_tables, locate, validate

    files = locate(_extract(tmp_path / "x", [(1, 1, "11002", "leefloon", "2019-01-01", "", "")],
                            [(9, "regular_work", "2020-01-01", "")]))
    con = duckdb.connect()
    create_tables(con, files)
    with pytest.raises(InputError, match="person_id 9 is not in the clients table"):
        validate(con, files)


def test_extract_needs_manifest(tmp_path: Path) -> None:
    from aankomst.ocmw.extract import locate

    root = _extract(tmp_path / "x", [(1, 1, "11002", "leefloon", "2019-01-01", "", "")])
    (root / "manifest.json").unlink()
    with pytest.raises(InputError, match="manifest.json not found"):
        locate(root)
