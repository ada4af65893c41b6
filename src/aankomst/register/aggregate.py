"""Aggregation of a register extract to atlas tables, in DuckDB SQL (out-of-core).

Input: the views ``persons, nationalities, addresses, moves`` (see :mod:`.schema`) on a DuckDB
connection and a level map (:mod:`.levels`). Output: temp tables ``reg_population``,
``reg_flows``, ``reg_measures`` with exactly the atlas columns (``store.schema.TABLE_COLUMNS``).

Definitions (``docs/register.md``):

* residents on a reference date ``d`` (1 January of each year, at the start of the day, so
  that events dated ``d`` belong to the year that starts on ``d``): persons with an address
  period ``valid_from < d <= valid_to`` (open end = still there); the nationality on ``d``
  likewise;
* age = completed years on ``d``; bands ``0-17``, ``18-64``, ``65+``;
* population schemes: ``total/total``, ``nationality/BEL|ETR`` (current nationality),
  ``nationality_group6/<group>``, ``country/<ISO3>`` (municipality and coarser only),
  ``nationality_at_birth``, ``origin_vsa``, ``origin_4crit``, ``origin_antwerp`` (``belgian``
  / ``foreign``, see :mod:`.origin`). Sex ``T/M/F`` and age bands for every scheme except
  ``country`` and ``nationality_group6`` (``T``/``total`` only). Rows at ``T``/``total`` are
  complete (zeros included); finer rows with count 0 are omitted;
* flows: every move in calendar year ``t``, grouped by the origin and destination area at each
  level (moves inside one area have ``origin_code = dest_code``), abroad with the country,
  ``belgium`` (outside the extract) and ``unknown`` as kinds; schemes ``total``,
  ``nationality`` and (neighbourhood and coarser) ``nationality_group6``, by the nationality on
  the move date;
* measures (unit ``persons``): ``births``, ``deaths`` (year, by area of residence),
  ``recent_immigrants`` (year t: non-Belgians first registered in Belgium in t and living in
  the area on 1 January t+1), ``newcomers`` (year t: persons moving into the area from outside
  it, by nationality), ``new_residents_5y`` (date d: residents on d who did not live in the
  area on d minus 5 years, including those born or arrived since).
"""

from __future__ import annotations

import pandas as pd

from aankomst.register import origin as O

AGE_BAND_SQL = ("CASE WHEN age < 18 THEN '0-17' WHEN age < 65 THEN '18-64' ELSE '65+' END")


def _register_df(con, name: str, df: pd.DataFrame) -> None:
    con.register(f"_{name}_df", df)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}_df")
    con.unregister(f"_{name}_df")


def prepare(con, levelmap: pd.DataFrame, groups: dict[str, str], years: tuple[int, int]) -> None:
    """Create the helper tables: level map, country groups, reference dates, person statics,
    residents per date (``_res``) and moves with nationality (``_mv``)."""
    _register_df(con, "_lm0", levelmap.astype(str))
    con.execute("CREATE OR REPLACE TEMP TABLE _sec AS SELECT (row_number() OVER ())::INTEGER AS sid, sector "
                "FROM (SELECT DISTINCT sector FROM _lm0)")
    con.execute("CREATE OR REPLACE TEMP TABLE _lm AS SELECT l.*, s.sid FROM _lm0 l JOIN _sec s ON s.sector = l.sector")
    _register_df(con, "_cg", pd.DataFrame({"country": list(groups), "group6": list(groups.values())}))
    y0, y1 = years
    _register_df(con, "_dates", pd.DataFrame({"ref_date": pd.to_datetime([f"{y}-01-01" for y in range(y0, y1 + 2)]).date}))
    con.execute("CREATE OR REPLACE TEMP TABLE _oldest AS SELECT person_id, arg_min(nationality, valid_from) AS oldest, "
                "count(*) AS n_nat, arg_max(nationality, valid_from) AS last_nat FROM nationalities GROUP BY person_id")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _pstat0 AS
        SELECT p.person_id, p.sex, p.birth_date, p.first_registration_date,
               p.nationality_at_birth, p.father_nationality_at_birth, p.mother_nationality_at_birth,
               o.oldest AS oldest_nationality,
               coalesce(om.oldest, p.mother_nationality_at_birth) AS mother_oldest_nationality,
               coalesce(ofa.oldest, p.father_nationality_at_birth) AS father_oldest_nationality,
               o.n_nat, o.last_nat
        FROM persons p LEFT JOIN _oldest o ON o.person_id = p.person_id
        LEFT JOIN _oldest om ON om.person_id = p.mother_id
        LEFT JOIN _oldest ofa ON ofa.person_id = p.father_id""")
    # static parts of the origin rules (the SQL twins of aankomst.register.origin, evaluated
    # with current_nationality = 'BEL'; the date-dependent part is OR-ed in below)
    static = {name: fn().replace("current_nationality", "'BEL'") for name, fn in
              (("c4", O.sql_four_criteria), ("antw", O.sql_antwerp))}
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _pstat AS
        SELECT person_id, sex, birth_date, first_registration_date, oldest_nationality, n_nat, last_nat,
               year(birth_date) AS birth_year, (month(birth_date) = 1 AND day(birth_date) = 1) AS born_jan1,
               {static['c4']} <> 'BEL' AS c4_static,
               {static['antw']} <> 'BEL' AS antw_static,
               {O.sql_nationality_at_birth()} <> 'BEL' AS nab_foreign,
               coalesce(oldest_nationality, 'BEL') <> 'BEL' AS vsa_own,
               coalesce(mother_oldest_nationality, oldest_nationality, 'BEL') <> 'BEL' AS vsa_mother,
               coalesce(father_oldest_nationality, oldest_nationality, 'BEL') <> 'BEL' AS vsa_father
        FROM _pstat0""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _res AS
        SELECT d.ref_date, a.person_id, s.sid, a.with_parents
        FROM addresses a JOIN _sec s ON s.sector = a.sector JOIN _dates d
          ON a.valid_from < d.ref_date AND coalesce(a.valid_to, DATE '9999-12-31') >= d.ref_date""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _rp AS
        WITH r AS (SELECT r.ref_date, r.person_id, r.sid, r.with_parents, p.* EXCLUDE (person_id)
                   FROM _res r JOIN _pstat p ON p.person_id = r.person_id),
        j AS (SELECT r.*, coalesce(r.last_nat, 'BEL') AS cur FROM r WHERE r.n_nat = 1
              UNION ALL
              SELECT r.*, coalesce(n.nationality, r.oldest_nationality, 'BEL') AS cur FROM r
              LEFT JOIN nationalities n ON n.person_id = r.person_id AND n.valid_from < r.ref_date
                   AND coalesce(n.valid_to, DATE '9999-12-31') >= r.ref_date
              WHERE r.n_nat IS DISTINCT FROM 1),
        k AS (SELECT *, year(ref_date) - birth_year - 1 + born_jan1::INTEGER AS age FROM j)
        SELECT ref_date, sid, sex, {AGE_BAND_SQL} AS age_band, cur,
               CASE WHEN (CASE WHEN with_parents IN ('both','mother') THEN vsa_mother
                               WHEN with_parents = 'father' THEN vsa_father ELSE vsa_own END)
                    THEN 'foreign' ELSE 'belgian' END AS origin_vsa,
               CASE WHEN c4_static OR cur <> 'BEL' THEN 'foreign' ELSE 'belgian' END AS origin_4crit,
               CASE WHEN antw_static OR cur <> 'BEL' THEN 'foreign' ELSE 'belgian' END AS origin_antwerp,
               CASE WHEN nab_foreign THEN 'foreign' ELSE 'belgian' END AS nationality_at_birth,
               count(*)::BIGINT AS n
        FROM k GROUP BY ALL""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _mv AS
        SELECT m.person_id, m.move_date, year(m.move_date) AS year,
               m.origin_kind, m.origin_code, m.dest_kind, m.dest_code,
               coalesce(n.nationality, o.oldest, 'BEL') AS cur
        FROM moves m LEFT JOIN nationalities n ON n.person_id = m.person_id AND n.valid_from <= m.move_date
             AND coalesce(n.valid_to, DATE '9999-12-31') > m.move_date
        LEFT JOIN _oldest o ON o.person_id = m.person_id""")


def population(con) -> None:
    """Create ``reg_population`` (atlas ``population`` columns)."""
    detail = {"total": "'total'", "nationality": "CASE WHEN cur = 'BEL' THEN 'BEL' ELSE 'ETR' END",
              "nationality_at_birth": "nationality_at_birth", "origin_vsa": "origin_vsa",
              "origin_4crit": "origin_4crit", "origin_antwerp": "origin_antwerp"}
    parts = []
    fine = "('sector', 'deelgemeente', 'brussels_neighbourhood')"
    for scheme, expr in detail.items():
        # sex x age detail for every scheme from the neighbourhood up; at the finest levels only
        # for total and nationality (the other schemes there at T/total), to keep the atlas compact
        keep = "" if scheme in ("total", "nationality") else f"HAVING (l.level NOT IN {fine}) OR (sex IS NULL AND age_band IS NULL)"
        parts.append(f"""
          SELECT l.level, l.layout, l.code, c.ref_date, '{scheme}' AS scheme, {expr} AS grp,
                 coalesce(c.sex, 'T') AS sex, coalesce(c.age_band, 'total') AS age_band, sum(c.n)::BIGINT AS count
          FROM _rp c JOIN _lm l ON l.sid = c.sid
          GROUP BY GROUPING SETS ((l.level, l.layout, l.code, c.ref_date, grp, c.sex, c.age_band),
                                  (l.level, l.layout, l.code, c.ref_date, grp, c.sex),
                                  (l.level, l.layout, l.code, c.ref_date, grp, c.age_band),
                                  (l.level, l.layout, l.code, c.ref_date, grp))
          {keep}""")
    parts.append("""
          SELECT l.level, l.layout, l.code, c.ref_date, 'nationality_group6', coalesce(g.group6, 'other'),
                 'T', 'total', sum(c.n)::BIGINT
          FROM _rp c JOIN _lm l ON l.sid = c.sid LEFT JOIN _cg g ON g.country = c.cur
          GROUP BY ALL""")
    parts.append("""
          SELECT l.level, l.layout, l.code, c.ref_date, 'country', c.cur, 'T', 'total', sum(c.n)::BIGINT
          FROM _rp c JOIN _lm l ON l.sid = c.sid
          WHERE l.level NOT IN ('sector', 'neighbourhood', 'deelgemeente', 'brussels_neighbourhood')
          GROUP BY ALL""")
    con.execute("CREATE OR REPLACE TEMP TABLE _pop_nz AS " + " UNION ALL ".join(parts))
    # complete the T/total rows with zeros for the fixed group lists
    fixed = {"total": ["total"], "nationality": ["BEL", "ETR"], "nationality_at_birth": ["belgian", "foreign"],
             "origin_vsa": ["belgian", "foreign"], "origin_4crit": ["belgian", "foreign"],
             "origin_antwerp": ["belgian", "foreign"],
             "nationality_group6": ["belgian", "west_europe", "south_europe", "east_europe", "north_africa",
                                    "subsaharan_africa", "west_asia", "other"]}
    _register_df(con, "_sg", pd.DataFrame([(s, g) for s, gs in fixed.items() for g in gs], columns=["scheme", "grp"]))
    con.execute("""
        CREATE OR REPLACE TEMP TABLE reg_population AS
        SELECT * FROM _pop_nz
        UNION ALL
        SELECT a.level, a.layout, a.code, d.ref_date, s.scheme, s.grp, 'T', 'total', 0::BIGINT
        FROM (SELECT DISTINCT level, layout, code FROM _lm) a CROSS JOIN _dates d CROSS JOIN _sg s
        ANTI JOIN (SELECT * FROM _pop_nz WHERE sex = 'T' AND age_band = 'total') z
          ON z.level = a.level AND z.layout = a.layout AND z.code = a.code
         AND z.ref_date = d.ref_date AND z.scheme = s.scheme AND z.grp = s.grp""")


def flows(con) -> None:
    """Create ``reg_flows`` (atlas ``flows`` columns) for every level of the map."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _od AS
        SELECT year, origin_kind, origin_code, dest_kind, dest_code, cur, count(*)::BIGINT AS n
        FROM _mv GROUP BY ALL""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _odl AS
        WITH lv AS (SELECT DISTINCT level, layout FROM _lm)
        SELECT o.year,
               CASE WHEN o.origin_kind = 'sector' THEN 'area' ELSE o.origin_kind END AS origin_kind,
               CASE WHEN o.origin_kind = 'sector' THEN lv.level END AS origin_level,
               CASE WHEN o.origin_kind = 'sector' THEN lv.layout END AS origin_layout,
               CASE WHEN o.origin_kind = 'sector' THEN lo.code WHEN o.origin_kind = 'abroad' THEN coalesce(o.origin_code, 'XXX') END AS origin_code,
               CASE WHEN o.dest_kind = 'sector' THEN 'area' ELSE o.dest_kind END AS dest_kind,
               CASE WHEN o.dest_kind = 'sector' THEN lv.level END AS dest_level,
               CASE WHEN o.dest_kind = 'sector' THEN lv.layout END AS dest_layout,
               CASE WHEN o.dest_kind = 'sector' THEN ld.code WHEN o.dest_kind = 'abroad' THEN coalesce(o.dest_code, 'XXX') END AS dest_code,
               o.cur, sum(o.n)::BIGINT AS n
        FROM _od o CROSS JOIN lv
        LEFT JOIN _lm lo ON o.origin_kind = 'sector' AND lo.sector = o.origin_code AND lo.level = lv.level AND lo.layout = lv.layout
        LEFT JOIN _lm ld ON o.dest_kind = 'sector' AND ld.sector = o.dest_code AND ld.level = lv.level AND ld.layout = lv.layout
        WHERE (o.origin_kind <> 'sector' OR lo.code IS NOT NULL) AND (o.dest_kind <> 'sector' OR ld.code IS NOT NULL)
        GROUP BY ALL""")
    keys = "year, origin_kind, origin_level, origin_layout, origin_code, dest_kind, dest_level, dest_layout, dest_code"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE reg_flows AS
        SELECT {keys}, 'total' AS scheme, 'total' AS grp, sum(n)::BIGINT AS count FROM _odl GROUP BY ALL
        UNION ALL
        SELECT {keys}, 'nationality', CASE WHEN cur = 'BEL' THEN 'BEL' ELSE 'ETR' END, sum(n)::BIGINT FROM _odl GROUP BY ALL
        UNION ALL
        SELECT {keys}, 'nationality_group6', coalesce(g.group6, 'other'), sum(n)::BIGINT
        FROM _odl LEFT JOIN _cg g ON g.country = _odl.cur
        WHERE coalesce(dest_level, origin_level) NOT IN ('sector', 'deelgemeente')
        GROUP BY ALL""")


def measures(con) -> None:
    """Create ``reg_measures`` (births, deaths, recent immigrants, newcomers, new residents 5y)."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _bd AS
        SELECT 'births' AS measure, year(p.birth_date) AS year, a.sector
        FROM persons p JOIN addresses a ON a.person_id = p.person_id AND a.valid_from = p.birth_date
        UNION ALL
        SELECT 'deaths', year(p.death_date), a.sector
        FROM persons p JOIN addresses a ON a.person_id = p.person_id AND a.valid_to = p.death_date
        WHERE p.death_date IS NOT NULL""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _ri AS
        SELECT r.ref_date, r.sid, count(*) AS n
        FROM _res r JOIN _pstat p ON p.person_id = r.person_id
        LEFT JOIN nationalities n ON p.n_nat > 1 AND n.person_id = r.person_id AND n.valid_from < r.ref_date
             AND coalesce(n.valid_to, DATE '9999-12-31') >= r.ref_date
        WHERE year(p.first_registration_date) = year(r.ref_date) - 1 AND p.first_registration_date > p.birth_date
          AND coalesce(CASE WHEN p.n_nat = 1 THEN p.last_nat ELSE n.nationality END, p.oldest_nationality, 'BEL') <> 'BEL'
        GROUP BY ALL""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _nr AS
        SELECT r.ref_date, r.sid, r5.sid AS s5, count(*) AS n
        FROM _res r LEFT JOIN _res r5 ON r5.person_id = r.person_id AND r5.ref_date = CAST(r.ref_date - INTERVAL 5 YEAR AS DATE)
        WHERE CAST(r.ref_date - INTERVAL 5 YEAR AS DATE) >= (SELECT min(ref_date) FROM _dates)
        GROUP BY ALL""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE reg_measures AS
        SELECT l.level, l.layout, l.code, b.measure, CAST(b.year AS VARCHAR) AS period, 'total' AS scheme,
               'total' AS grp, count(*)::DOUBLE AS value, 'persons' AS unit
        FROM _bd b JOIN _lm l ON l.sector = b.sector
        WHERE b.year BETWEEN (SELECT min(year(ref_date)) FROM _dates) AND (SELECT max(year(ref_date)) - 1 FROM _dates)
        GROUP BY ALL
        UNION ALL
        SELECT l.level, l.layout, l.code, 'recent_immigrants', CAST(year(r.ref_date) - 1 AS VARCHAR), 'total', 'total',
               sum(r.n)::DOUBLE, 'persons'
        FROM _ri r JOIN _lm l ON l.sid = r.sid
        GROUP BY ALL
        UNION ALL
        SELECT dest_level, dest_layout, dest_code, 'newcomers', CAST(year AS VARCHAR), scheme, grp, sum(count)::DOUBLE, 'persons'
        FROM reg_flows WHERE dest_kind = 'area' AND (origin_kind <> 'area' OR origin_code <> dest_code)
        GROUP BY ALL
        UNION ALL
        SELECT l.level, l.layout, l.code, 'new_residents_5y', CAST(r.ref_date AS VARCHAR), 'total', 'total',
               sum(r.n)::DOUBLE, 'persons'
        FROM _nr r JOIN _lm l ON l.sid = r.sid
        LEFT JOIN _lm l5 ON l5.sid = r.s5 AND l5.level = l.level AND l5.layout = l.layout
        WHERE r.s5 IS NULL OR l5.code IS DISTINCT FROM l.code
        GROUP BY ALL""")


MEASURE_DEFS = pd.DataFrame([
    ("births", "Geboorten", "Births", "live births in the calendar year, by area of residence of the child at birth (register)", "persons", None),
    ("deaths", "Overlijdens", "Deaths", "deaths in the calendar year, by area of residence (register)", "persons", None),
    ("recent_immigrants", "Recente immigranten", "Recent immigrants",
     "non-Belgians first registered in Belgium in year t and living in the area on 1 January t+1 (register)", "persons", None),
    ("newcomers", "Nieuwkomers", "Newcomers",
     "persons moving into the area in year t from outside it (abroad, elsewhere in Belgium, other areas), by nationality on the move date (register)", "persons", None),
    ("new_residents_5y", "Nieuwe bewoners (5 jaar)", "New residents (5 years)",
     "residents on date d who did not live in the area on d minus 5 years (born or arrived since included) (register)", "persons", None),
], columns=["measure", "label_nl", "label_en", "definition", "unit", "higher_is"])
