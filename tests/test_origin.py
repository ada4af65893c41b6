"""Origin definitions on hand-built households (every rule, and the SQL twins agree)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from aankomst.register import origin as O

REF = "2012-01-01"


def _households():
    """Persons (ids 1..12), nationality histories and addresses on 1 January 2012."""
    P = [  # id, birth, sex, nab, father_id, mother_id, father_nab, mother_nab
        (1, "1970-05-01", "F", "MAR", None, None, "MAR", "MAR"),   # mother, born Moroccan, naturalised 2000
        (2, "1968-03-01", "M", "BEL", None, None, "MAR", "MAR"),   # father: second generation (Belgian at birth)
        (3, "2005-07-01", "F", "BEL", 2, 1, "BEL", "MAR"),         # their child, lives with both parents
        (4, "1975-01-01", "M", "TUR", None, None, "TUR", "TUR"),   # single father, Turkish
        (5, "2008-01-01", "M", "BEL", 4, None, "TUR", None),       # his child, lives with him only
        (6, "1950-01-01", "F", "BEL", None, None, "BEL", "BEL"),   # Belgian mother
        (7, "1981-01-01", "M", "FRA", None, 6, "FRA", "BEL"),      # adult son born French, naturalised, lives with mother
        (8, "1945-01-01", "F", "ITA", None, None, "ITA", "ITA"),   # Italian mother (history only)
        (9, "1975-01-01", "M", "BEL", None, 8, "BEL", None),       # mother's birth nationality not recorded on his row
        (10, "1960-01-01", "F", "BEL", None, None, "BEL", "BEL"),  # Belgian throughout
        (11, "1970-01-01", "M", "BEL", None, None, "BEL", "BEL"),  # became Dutch in 2010
        (12, "1990-01-01", "F", None, None, None, None, None),     # nationality at birth unknown, oldest known POL
    ]
    persons = pd.DataFrame(P, columns=["person_id", "birth_date", "sex", "nationality_at_birth", "father_id", "mother_id",
                                       "father_nationality_at_birth", "mother_nationality_at_birth"])
    persons["first_registration_date"] = persons["birth_date"]
    persons["death_date"] = None
    N = [(1, "MAR", "1970-05-01", "2000-06-01"), (1, "BEL", "2000-06-01", None), (2, "BEL", "1968-03-01", None),
         (3, "BEL", "2005-07-01", None), (4, "TUR", "1975-01-01", None), (5, "BEL", "2008-01-01", None),
         (6, "BEL", "1950-01-01", None), (7, "FRA", "1981-01-01", "1999-01-01"), (7, "BEL", "1999-01-01", None),
         (8, "ITA", "1945-01-01", None), (9, "BEL", "1975-01-01", None), (10, "BEL", "1960-01-01", None),
         (11, "BEL", "1970-01-01", "2010-01-01"), (11, "NLD", "2010-01-01", None), (12, "POL", "2009-01-01", None)]
    nats = pd.DataFrame(N, columns=["person_id", "nationality", "valid_from", "valid_to"])
    wp = {1: "none", 2: "none", 3: "both", 4: "none", 5: "father", 6: "none", 7: "mother", 8: "none", 9: "none",
          10: "none", 11: "none", 12: "none"}
    addr = pd.DataFrame({"person_id": list(wp), "sector": "11002A00-", "valid_from": "2009-06-01", "valid_to": None,
                         "with_parents": list(wp.values())})
    return persons, nats, addr


EXPECTED = {  # person -> (current, nationality_at_birth, vsa, four criteria, antwerp) as origin countries
    1: ("BEL", "MAR", "MAR", "MAR", "MAR"),
    2: ("BEL", "BEL", "BEL", "MAR", "MAR"),
    3: ("BEL", "BEL", "MAR", "MAR", "MAR"),     # child with both parents: mother's oldest nationality
    4: ("TUR", "TUR", "TUR", "TUR", "TUR"),
    5: ("BEL", "BEL", "TUR", "TUR", "TUR"),     # single father: father's nationality
    6: ("BEL", "BEL", "BEL", "BEL", "BEL"),
    7: ("BEL", "FRA", "BEL", "FRA", "FRA"),     # lives with his Belgian mother: VSA follows the mother
    8: ("ITA", "ITA", "ITA", "ITA", "ITA"),
    9: ("BEL", "BEL", "BEL", "BEL", "ITA"),     # Antwerp finds the mother's history through mother_id
    10: ("BEL", "BEL", "BEL", "BEL", "BEL"),
    11: ("NLD", "BEL", "BEL", "NLD", "NLD"),    # current nationality counts in 4-criteria and Antwerp, not in VSA
    12: ("POL", "POL", "POL", "POL", "POL"),    # unknown nationality at birth: oldest known is used where defined
}


@pytest.fixture(scope="module")
def frame():
    persons, nats, addr = _households()
    return O.person_frame(persons, nats, addr, REF).set_index("person_id").sort_index()


@pytest.mark.parametrize("pid", sorted(EXPECTED))
def test_each_rule_on_hand_built_persons(frame, pid):
    cur, nab, vsa, c4, antw = EXPECTED[pid]
    row = frame.loc[[pid]]
    assert O.by_current_nationality(row).iloc[0] == cur
    assert O.by_nationality_at_birth(row).iloc[0] == nab
    assert O.by_vsa(row).iloc[0] == vsa
    assert O.by_four_criteria(row).iloc[0] == c4 if pid != 12 else O.by_four_criteria(row).iloc[0] == "POL"
    assert O.by_antwerp(row).iloc[0] == antw


def test_group_counts_differ_between_rules_as_documented(frame):
    foreign = {name: int((O.as_group(fn(frame)) == "foreign").sum()) for name, (fn, _) in O.RULES.items()}
    # hand count from EXPECTED: non-BEL entries per rule
    assert foreign == {"nationality_at_birth": 5, "origin_vsa": 6, "origin_4crit": 9, "origin_antwerp": 10}


def test_sql_twins_agree_with_pandas(frame):
    con = duckdb.connect()
    df = frame.reset_index()
    cols = ["current_nationality", "nationality_at_birth", "oldest_nationality", "with_parents",
            "mother_oldest_nationality", "father_oldest_nationality", "father_nationality_at_birth",
            "mother_nationality_at_birth"]
    con.register("f", df[["person_id", *cols]].astype(object).where(df[cols + ["person_id"]].notna(), None))
    for name, (fn, sql) in O.RULES.items():
        got = con.execute(f"SELECT person_id, {sql()} AS o FROM f ORDER BY person_id").df().set_index("person_id")["o"]
        want = fn(df.set_index("person_id").loc[got.index].reset_index()).to_numpy()
        assert list(got) == list(want), name
    got = con.execute(f"SELECT {O.sql_current()} FROM f ORDER BY person_id").fetchall()
    assert [g[0] for g in got] == [EXPECTED[p][0] for p in sorted(EXPECTED)]


def test_aggregation_uses_the_same_rules(tmp_path):
    """The DuckDB aggregation counts the hand-built households exactly as the functions do."""
    import aankomst
    from aankomst.register.load import load_register

    persons, nats, addr = _households()
    ext = tmp_path / "ext"
    ext.mkdir()
    persons.to_csv(ext / "persons.csv", index=False)
    nats.to_csv(ext / "nationalities.csv", index=False)
    addr.assign(household_id=1).to_csv(ext / "addresses.csv", index=False)
    pd.DataFrame([(3, "2009-06-01", "abroad", "MAR", "sector", "11002A00-")],
                 columns=["person_id", "move_date", "origin_kind", "origin_code", "dest_kind", "dest_code"]).to_csv(
        ext / "moves.csv", index=False)
    geo = pd.DataFrame({"sector": ["11002A00-"], "name": ["A"], "municipality": ["11002"], "municipality_name": ["Antwerpen"],
                        "mun_calib": ["11002"], "arrondissement": ["11000"], "province": ["10000"], "region": ["02000"],
                        "country": ["BE"], "target": [12], "area_km2": [1.0], "city": [""], "suburb_of": [""],
                        "suburb_weight": [0.0]})
    geo.to_parquet(ext / "geography.parquet")
    with aankomst.open(str(tmp_path / "a.duckdb")) as atlas:
        load_register(ext, atlas, typology=False, years=(2011, 2012))
        pop = atlas.query("SELECT scheme, grp, count FROM population WHERE level = 'sector' AND ref_date = DATE '2012-01-01' "
                          "AND sex = 'T' AND age_band = 'total'")
    got = {(s, g): c for s, g, c in pop.itertuples(index=False)}
    assert got[("total", "total")] == 12
    assert got[("origin_vsa", "foreign")] == 6
    assert got[("origin_4crit", "foreign")] == 9
    assert got[("origin_antwerp", "foreign")] == 10
    assert got[("nationality_at_birth", "foreign")] == 5
    assert got[("nationality", "ETR")] == 4
