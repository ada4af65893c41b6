"""Aggregation of a person-level OCMW extract to atlas measures, in DuckDB SQL.

Input: the temp tables of :func:`aankomst.ocmw.extract.create_tables` (``clients``,
``episodes``, ``labour``) on a private connection, optionally the register tables
(:func:`attach_register`). Output: the temp table ``ocmw_out`` with the atlas ``measures``
columns, and the Kaplan–Meier medians. Definitions (``docs/ocmw.md`` §4):

* **periods** — calendar years (and months) that end on or before ``extract_end``;
* **recipients** of a measure at an OCMW in a period: persons with an episode overlapping it;
* **inflow**: recipients not receiving the measure (at that OCMW) on the day before the period;
  **outflow**: recipients no longer receiving it on the first day after the period. Per person
  ``R(P) = R(P−1) − O(P−1) + I(P)`` exactly (``docs/ocmw.md``: why adjacent periods are
  protected together);
* a person's **group, sex and age band** are those on the first day of the period they receive the
  measure (nationality: from the register history when linked, else the episode's, else the
  client's); arrival cohort = completed years since the first registration in Belgium;
  ``ocmw_origin`` (four criteria of ``docs/register.md``) needs the register link;
* **spells**: episodes of one person, measure and OCMW joined across gaps of at most
  ``spell_gap_days`` (``data/ocmw/params.csv``); a spell still running at ``extract_end`` is
  censored there; exits within 12/24 months are counted among spells whose 12/24 months lie
  before ``extract_end`` (no censoring bias); the median duration is Kaplan–Meier;
* **activation outcome**: article-60/61 episodes ending in the year whose following 12 months lie
  before ``extract_end``, and of those the ones overlapped by a ``regular_work`` labour spell
  within 12 months after the end.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

EPOCH_END = "DATE '9999-12-31'"
FULL_SCHEMES = ("total", "nationality", "eu_status")
"""Schemes whose recipients are written with the full sex × age crossing (inflow and outflow:
by sex and by age band; the other schemes, spells and contracts: all sexes and ages only)."""
ZERO_SCHEMES = ("total", "nationality", "eu_status")
"""Schemes whose T/total rows are completed with zeros (an OCMW with no EU recipients shows 0)."""
MONTH_SCHEMES = ("total", "nationality")
"""Schemes written per month (T/total only; years carry every scheme with sex and age)."""
SUB_SCHEMES = ("total", "nationality", "eu_status", "ocmw_origin")
"""Schemes written below the municipality (neighbourhoods, sectors): recipients and inflow."""


def _reg(con: Any, name: str, df: pd.DataFrame) -> None:
    con.register(f"{name}_df", df)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_df")
    con.unregister(f"{name}_df")


def register_scan(root: Path, table: str) -> str:
    """DuckDB scan of one table of a register extract (``docs/register.md``): a Parquet folder,
    a Parquet file or a CSV file (all columns as text).

    Raises
    ------
    InputError
        When the table is not there.
    """
    from aankomst.errors import InputError

    d, pq, csv = root / table, root / f"{table}.parquet", root / f"{table}.csv"
    q = lambda p: "'" + str(p).replace("'", "''") + "'"
    if d.is_dir():
        return f"read_parquet({q(d / '*.parquet')})"
    if pq.exists():
        return f"read_parquet({q(pq)})"
    if csv.exists():
        return f"read_csv({q(csv)}, header = true, all_varchar = true)"
    raise InputError(str(root), f"register table {table!r} not found",
                     expected=f"a register extract (docs/register.md) with {table}.parquet, {table}/ or {table}.csv")


def attach_register(con: Any, root: str | Path | None) -> bool:
    """Create ``_reg_persons`` and ``_reg_nat`` from a register extract (``docs/register.md``),
    or empty tables when ``root`` is ``None``. Returns whether a register was attached.

    Only the columns the OCMW figures need are read (birth, first registration, nationalities at
    birth of the person and the parents, nationality history).
    """
    if root is None:
        con.execute("CREATE OR REPLACE TEMP TABLE _reg_persons (person_id BIGINT, first_registration_date DATE, "
                    "nab VARCHAR, fnab VARCHAR, mnab VARCHAR)")
        con.execute("CREATE OR REPLACE TEMP TABLE _reg_nat (person_id BIGINT, nationality VARCHAR, "
                    "valid_from DATE, valid_to DATE)")
        return False
    root = Path(root)

    def scan(t: str) -> str:
        return register_scan(root, t)

    con.execute(f"""CREATE OR REPLACE TEMP TABLE _reg_persons AS
        SELECT CAST(person_id AS BIGINT) AS person_id,
               TRY_CAST(first_registration_date AS DATE) AS first_registration_date,
               CAST(nationality_at_birth AS VARCHAR) AS nab,
               CAST(father_nationality_at_birth AS VARCHAR) AS fnab,
               CAST(mother_nationality_at_birth AS VARCHAR) AS mnab
        FROM {scan('persons')} WHERE person_id IN (SELECT person_id FROM clients)""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _reg_nat AS
        SELECT CAST(person_id AS BIGINT) AS person_id, CAST(nationality AS VARCHAR) AS nationality,
               TRY_CAST(valid_from AS DATE) AS valid_from, TRY_CAST(valid_to AS DATE) AS valid_to
        FROM {scan('nationalities')} WHERE person_id IN (SELECT person_id FROM clients)""")
    return True


def prepare(con: Any, extract_end: date, *, months: bool = True, gap_days: int = 31) -> list[str]:
    """Helper tables: periods, person statics, person × period rows with attributes (``_att``)
    and spells (``_spells``). Returns the period labels written."""
    from aankomst.indicators import groups as G
    from aankomst.ocmw import catalogue as K

    end = extract_end
    y0 = con.execute("SELECT min(year(start_date)) FROM episodes").fetchall()[0][0]
    if y0 is None:
        y0 = end.year
    periods = [(str(y), "year", date(y, 1, 1), date(y + 1, 1, 1)) for y in range(int(y0), end.year + 1)
               if date(y + 1, 1, 1) <= end]
    if months:
        for y in range(int(y0), end.year + 1):
            for m in range(1, 13):
                p0, p1 = date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1)
                if p1 <= end:
                    periods.append((f"{y}-{m:02d}", "month", p0, p1))
    _reg(con, "_periods", pd.DataFrame(periods, columns=["period", "kind", "p0", "p1"]))
    countries = [r[0] for r in con.execute(
        "SELECT DISTINCT nationality FROM clients UNION SELECT DISTINCT nationality FROM episodes "
        "UNION SELECT DISTINCT nationality FROM _reg_nat").fetchall() if r[0]]
    known = set(G.countries()["iso3"])
    maps = []
    for y in range(int(y0), end.year + 1):
        cs = [c for c in countries if c in known]
        eu = G.map_countries(cs, "eu_status", date(y, 7, 1)) if cs else pd.Series([], dtype=object)
        g6 = G.map_countries(cs, "nationality_group6", date(y, 7, 1)) if cs else pd.Series([], dtype=object)
        maps.append(pd.DataFrame({"country": cs, "year": y, "eu": eu.to_numpy(), "g6": g6.to_numpy()}))
    _reg(con, "_natmap", pd.concat(maps, ignore_index=True) if maps else
         pd.DataFrame({"country": [], "year": [], "eu": [], "g6": []}))
    con.execute("""CREATE OR REPLACE TEMP TABLE _pstat AS
        SELECT c.person_id, c.sex, c.birth_date, c.nationality AS client_nat, c.residence_status,
               coalesce(c.first_registration_date, r.first_registration_date) AS first_reg,
               r.person_id IS NOT NULL AS linked,
               coalesce(r.nab, 'BEL') <> 'BEL' OR coalesce(r.fnab, 'BEL') <> 'BEL'
                 OR coalesce(r.mnab, 'BEL') <> 'BEL' AS foreign_roots
        FROM clients c LEFT JOIN _reg_persons r ON r.person_id = c.person_id""")
    age = K.age_band_sql("a.age")
    _reg(con, "_end", pd.DataFrame({"extract_end": [end]}))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _pp AS
        WITH ov AS (
            SELECT e.person_id, e.measure, e.ocmw, p.period, p.kind, p.p0, p.p1,
                   greatest(p.p0, e.start_date) AS d, e.nationality AS ep_nat, e.sector
            FROM episodes e JOIN _periods p
              ON e.start_date < p.p1 AND coalesce(e.end_date, {EPOCH_END}) > p.p0)
        SELECT person_id, measure, ocmw, period, kind, p0, p1, min(d) AS d,
               arg_min(ep_nat, d) AS ep_nat, arg_min(sector, d) AS sector
        FROM ov GROUP BY ALL""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _flags AS
        SELECT pp.person_id, pp.measure, pp.ocmw, pp.period,
               bool_or(e.start_date <= pp.p0 - 1 AND coalesce(e.end_date, {EPOCH_END}) > pp.p0 - 1) AS before,
               bool_or(e.start_date <= pp.p1 AND coalesce(e.end_date, {EPOCH_END}) > pp.p1) AS after
        FROM _pp pp JOIN episodes e USING (person_id, measure, ocmw) GROUP BY ALL""")
    con.execute(_attributes_sql("_pp", "d", age, extra="pp.kind, pp.sector, f.before, f.after, pp.ocmw, "
                                "pp.measure, pp.period", join="JOIN _flags f ON f.person_id = pp.person_id "
                                "AND f.measure = pp.measure AND f.ocmw = pp.ocmw AND f.period = pp.period",
                                target="_att"))
    # spells: episodes joined across gaps of at most gap_days (running maximum of the ends)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _spells AS
        WITH e AS (
            SELECT person_id, measure, ocmw, start_date, episode_id,
                   coalesce(end_date, DATE '{end.isoformat()}') AS end_d, end_date IS NULL AS running,
                   max(coalesce(end_date, DATE '{end.isoformat()}')) OVER (
                       PARTITION BY person_id, measure, ocmw ORDER BY start_date, episode_id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
            FROM episodes),
        f AS (SELECT *, sum(CASE WHEN prev_end IS NULL OR start_date > prev_end + {int(gap_days)}
                                 THEN 1 ELSE 0 END) OVER (PARTITION BY person_id, measure, ocmw
                                 ORDER BY start_date, episode_id) AS spell_no FROM e)
        SELECT person_id, measure, ocmw, spell_no, min(start_date) AS d, max(end_d) AS end_d,
               arg_max(running, end_d) AS running
        FROM f GROUP BY ALL""")
    con.execute(_attributes_sql("_spells", "d", age, extra="pp.ocmw, pp.measure, pp.end_d, pp.running, "
                                "CAST(year(pp.d) AS VARCHAR) AS period", target="_spatt"))
    _measure_kinds(con)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _contracts AS
        SELECT e.person_id, e.measure, e.ocmw, e.end_date AS d, CAST(year(e.end_date) AS VARCHAR) AS period,
               EXISTS (SELECT 1 FROM labour l WHERE l.person_id = e.person_id AND l.status = 'regular_work'
                       AND l.valid_from < e.end_date + INTERVAL 12 MONTH
                       AND coalesce(l.valid_to, {EPOCH_END}) > e.end_date) AS work12
        FROM episodes e JOIN (SELECT measure FROM _measure_kinds WHERE kind = 'activation') k USING (measure)
        WHERE e.end_date IS NOT NULL AND e.end_date + INTERVAL 12 MONTH <= DATE '{end.isoformat()}'""")
    con.execute(_attributes_sql("_contracts", "d", age, extra="pp.ocmw, pp.measure, pp.work12, pp.period",
                                target="_ctatt"))
    return [p[0] for p in periods]


def _measure_kinds(con: Any) -> None:
    from aankomst.ocmw import catalogue as K

    _reg(con, "_measure_kinds", K.measures()[["measure", "kind"]])


def _attributes_sql(src: str, d: str, age_sql: str, *, extra: str, target: str, join: str = "") -> str:
    """SQL creating ``target``: the rows of ``src`` with the person's attributes on date ``d``."""
    cur = ("coalesce(n.nationality, " + ("pp.ep_nat, " if src == "_pp" else "") + "s.client_nat)")
    completed = ("(year({a}) - year({b}) - CASE WHEN strftime({a}, '%m%d') < strftime({b}, '%m%d') "
                 "THEN 1 ELSE 0 END)")
    age = completed.format(a=f"pp.{d}", b="s.birth_date")
    since = completed.format(a=f"pp.{d}", b="s.first_reg")
    return f"""CREATE OR REPLACE TEMP TABLE {target} AS
        WITH a AS (
            SELECT pp.person_id, pp.{d}, {extra}, s.sex, {age} AS age, {cur} AS cur, s.residence_status,
                   s.linked, s.foreign_roots, s.first_reg = s.birth_date AS born_here,
                   CASE WHEN s.first_reg IS NULL THEN NULL ELSE {since} END AS since
            FROM {src} pp JOIN _pstat s ON s.person_id = pp.person_id {join}
            LEFT JOIN _reg_nat n ON n.person_id = pp.person_id AND n.valid_from <= pp.{d}
                 AND coalesce(n.valid_to, {EPOCH_END}) > pp.{d})
        SELECT a.* EXCLUDE (age), {age_sql} AS age_band,
               CASE WHEN a.cur = 'BEL' THEN 'BEL' ELSE 'ETR' END AS g_nationality,
               CASE WHEN a.cur = 'BEL' THEN 'belgian' ELSE coalesce(m.eu, 'non_eu') END AS g_eu_status,
               CASE WHEN a.cur = 'BEL' THEN 'belgian' ELSE coalesce(m.g6, 'other') END AS g_nationality_group6,
               CASE WHEN a.cur <> 'BEL' THEN 'foreign_nationality'
                    WHEN NOT a.linked THEN 'belgian_unknown_origin'
                    WHEN a.foreign_roots THEN 'belgian_foreign_origin' ELSE 'belgian_origin' END AS g_ocmw_origin,
               CASE WHEN a.cur = 'BEL' THEN 'belgian' ELSE coalesce(nullif(a.residence_status, 'belgian'),
                    'unknown') END AS g_residence,
               CASE WHEN a.born_here THEN 'born_belgium' WHEN a.since IS NULL THEN 'unknown'
                    WHEN a.since <= 1 THEN '0-1' WHEN a.since <= 4 THEN '2-4' WHEN a.since <= 9 THEN '5-9'
                    ELSE '10+' END AS g_arrival_cohort
        FROM a LEFT JOIN _natmap m ON m.country = a.cur AND m.year = year(a.{d})"""


SCHEMES = ("total", "nationality", "eu_status", "nationality_group6", "ocmw_origin", "residence",
           "arrival_cohort")


def _long(src: str, schemes: tuple[str, ...], cols: str, where: str = "TRUE") -> str:
    parts = []
    for s in schemes:
        g = "'total'" if s == "total" else f"g_{s}"
        parts.append(f"SELECT {cols}, '{s}' AS scheme, {g} AS grp FROM {src} WHERE {where}")
    return " UNION ALL ".join(parts)


def aggregate(con: Any, ocmw_layout: str, *, sectors: pd.DataFrame | None = None,
              schemes: tuple[str, ...] = SCHEMES) -> None:
    """Create ``ocmw_out`` (atlas ``measures`` columns) from the helper tables of :func:`prepare`.

    Parameters
    ----------
    ocmw_layout
        Municipality layout of the OCMW codes.
    sectors
        ``sector, level, layout, code``: the sub-municipal areas each address sector lies in
        (recipients and inflow by address at the start); ``None`` writes none.
    schemes
        Group schemes written (``ocmw_origin`` only makes sense with a register link).
    """
    key = "'ocmw_' || stat || ':' || measure || ':' || coalesce(sex, 'T') || ':' || coalesce(age_band, 'total')"
    full = tuple(x for x in schemes if x in FULL_SCHEMES)
    flat = tuple(x for x in schemes if x not in FULL_SCHEMES)

    def grouped(src: str, cols: str, aggs: str, where: str = "TRUE", detail: str = "none") -> str:
        """Counts per group; ``detail``: ``full`` (sex × age), ``margins`` (sex; age) or ``none``."""
        keys = "ocmw, measure, period, scheme, grp"
        sets = {"full": f"({keys}, sex, age_band), ({keys}, sex), ({keys}, age_band), ({keys})",
                "margins": f"({keys}, sex), ({keys}, age_band), ({keys})", "none": f"({keys})"}[detail]
        sa = "sex, age_band" if detail != "none" else "NULL AS sex, NULL AS age_band"
        q = [f"SELECT {keys}, {sa}, {aggs} FROM ({_long(src, full, cols, where)}) "
             f"GROUP BY GROUPING SETS ({sets})"]
        if flat:
            q.append(f"SELECT {keys}, NULL AS sex, NULL AS age_band, {aggs} FROM "
                     f"({_long(src, flat, cols, where)}) GROUP BY {keys}")
        return " UNION ALL ".join(q)

    cols = "ocmw, measure, period, sex, age_band, before, after"
    long_m = _long("_att", tuple(x for x in MONTH_SCHEMES if x in schemes),
                   "ocmw, measure, period, before, after", "kind = 'month'")
    flows = ("count(*) AS recipients, count(*) FILTER (WHERE NOT before) AS inflow, "
             "count(*) FILTER (WHERE NOT after) AS outflow")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _counts AS
        WITH r AS ({grouped('_att', cols, 'count(*) AS n', "kind = 'year'", 'full')}),
        f AS ({grouped('_att', cols, flows, "kind = 'year'", 'margins')})
        SELECT f.* REPLACE (CAST(NULL AS BIGINT) AS recipients) FROM f
        UNION ALL
        SELECT r.ocmw, r.measure, r.period, r.scheme, r.grp, r.sex, r.age_band, r.n, NULL, NULL FROM r
        UNION ALL
        SELECT ocmw, measure, period, scheme, grp, NULL, NULL, {flows} FROM ({long_m}) GROUP BY ALL""")
    con.execute("""CREATE OR REPLACE TEMP TABLE _spf AS
        SELECT *, d + INTERVAL 12 MONTH <= (SELECT extract_end FROM _end) AS obs12,
                  d + INTERVAL 24 MONTH <= (SELECT extract_end FROM _end) AS obs24
        FROM _spatt WHERE period IN (SELECT period FROM _periods WHERE kind = 'year')""")
    spells = ("count(*) AS spells, count(*) FILTER (WHERE obs12) AS spells_obs12, "
              "count(*) FILTER (WHERE obs12 AND NOT running AND end_d <= d + INTERVAL 12 MONTH) AS exits12, "
              "count(*) FILTER (WHERE obs24) AS spells_obs24, "
              "count(*) FILTER (WHERE obs24 AND NOT running AND end_d <= d + INTERVAL 24 MONTH) AS exits24")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _spellcounts AS
        {grouped('_spf', 'ocmw, measure, period, sex, age_band, d, end_d, running, obs12, obs24', spells)}""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _ctcounts AS
        {grouped('_ctatt', 'ocmw, measure, period, sex, age_band, work12',
                 'count(*) AS contracts_obs12, count(*) FILTER (WHERE work12) AS work12')}""")
    parts = []
    for table, stats in (("_counts", ("recipients", "inflow", "outflow")),
                         ("_spellcounts", ("spells", "spells_obs12", "exits12", "spells_obs24", "exits24")),
                         ("_ctcounts", ("contracts_obs12", "work12"))):
        for st in stats:
            parts.append(f"SELECT ocmw, measure, period, scheme, grp, sex, age_band, '{st}' AS stat, "
                         f"{st}::DOUBLE AS value FROM {table}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _stats AS SELECT * FROM ({' UNION ALL '.join(parts)}) "
                "WHERE value IS NOT NULL")
    # zeros for the fixed groups of the main schemes (T/total), per OCMW × measure × period seen
    from aankomst.ocmw import catalogue as K

    g = K.groups()
    _reg(con, "_zg", g[g["scheme"].isin([s for s in ZERO_SCHEMES if s in schemes])][["scheme", "grp"]])
    con.execute("""CREATE OR REPLACE TEMP TABLE _stats_full AS
        SELECT * FROM _stats
        UNION ALL
        SELECT k.ocmw, k.measure, k.period, z.scheme, z.grp, NULL, NULL, k.stat, 0.0
        FROM (SELECT DISTINCT ocmw, measure, period, stat FROM _stats
              WHERE stat IN ('recipients', 'inflow', 'outflow') AND length(period) = 4) k CROSS JOIN _zg z
        ANTI JOIN (SELECT * FROM _stats WHERE sex IS NULL AND age_band IS NULL) s
          ON s.ocmw = k.ocmw AND s.measure = k.measure AND s.period = k.period AND s.stat = k.stat
         AND s.scheme = z.scheme AND s.grp = z.grp""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ocmw_out AS
        SELECT 'municipality' AS level, '{ocmw_layout}' AS layout, ocmw AS code, {key} AS measure, period,
               scheme, grp, value,
               CASE WHEN stat LIKE 'spell%' OR stat LIKE 'exits%' THEN 'spells'
                    WHEN stat IN ('contracts_obs12', 'work12') THEN 'contracts' ELSE 'persons' END AS unit
        FROM _stats_full WHERE grp IS NOT NULL""")
    if sectors is not None and len(sectors):
        _reg(con, "_lm", sectors[["sector", "level", "layout", "code"]].astype(str))
        sub = _long("_att", tuple(s for s in SUB_SCHEMES if s in schemes),
                    "measure, period, sector, before", "kind = 'year' AND sector IS NOT NULL")
        con.execute(f"""INSERT INTO ocmw_out
            WITH s AS ({sub})
            SELECT l.level, l.layout, l.code, 'ocmw_recipients:' || s.measure || ':T:total', s.period,
                   s.scheme, s.grp, count(*)::DOUBLE, 'persons'
            FROM s JOIN _lm l ON l.sector = s.sector GROUP BY ALL
            UNION ALL
            SELECT l.level, l.layout, l.code, 'ocmw_inflow:' || s.measure || ':T:total', s.period,
                   s.scheme, s.grp, count(*) FILTER (WHERE NOT s.before)::DOUBLE, 'persons'
            FROM s JOIN _lm l ON l.sector = s.sector GROUP BY ALL""")


def km_median(durations: np.ndarray, events: np.ndarray, weights: np.ndarray) -> float:
    """Kaplan–Meier median of durations (months) with censoring.

    Parameters
    ----------
    durations
        Whole months (1 = ended or censored within the first month).
    events
        1 where the spell ended, 0 where it was censored (still running at the extract end).
    weights
        Number of spells with that duration and event.

    Returns
    -------
    float
        The smallest duration at which the survival falls to 0.5 or below; NaN when it never
        does (more than half the spells still running).

    Examples
    --------
    >>> import numpy as np
    >>> km_median(np.array([1, 2, 3, 4]), np.array([1, 1, 1, 1]), np.array([1, 1, 1, 1]))
    2.0
    >>> km_median(np.array([1, 2, 3]), np.array([1, 0, 0]), np.array([1, 1, 1]))
    nan
    """
    df = pd.DataFrame({"t": durations, "e": events, "w": weights})
    tab = df.groupby("t").apply(lambda x: pd.Series({"d": float((x["w"] * x["e"]).sum()),
                                                     "n": float(x["w"].sum())}),
                                include_groups=False).sort_index()
    at_risk = tab["n"][::-1].cumsum()[::-1]
    surv = (1.0 - tab["d"] / at_risk).cumprod()
    hit = surv[surv <= 0.5 + 1e-12]
    return float(hit.index[0]) if len(hit) else float("nan")


def medians(con: Any, ocmw_layout: str, parents: pd.DataFrame | None = None,
            schemes: tuple[str, ...] = ("total", "nationality", "eu_status", "ocmw_origin")) -> pd.DataFrame:
    """Kaplan–Meier median spell duration (months) per OCMW, measure, start year and group (T/total),
    and per parent area (``parents``: ``code, level, layout, parent``) from the same spells.

    Returns atlas ``measures`` rows (``ocmw_duration_median:<measure>:T:total``, unit months) plus a
    ``spells`` column (the number of spells behind each median, for the small-cell rule).
    """
    long = _long("_spatt", schemes, "ocmw, measure, period, d, end_d, running")
    life = con.execute(f"""
        WITH s AS ({long})
        SELECT ocmw, measure, period, scheme, grp,
               greatest(1, CAST(ceil(date_diff('day', d, end_d) / 30.4375) AS INTEGER)) AS t,
               CASE WHEN running THEN 0 ELSE 1 END AS e, count(*) AS w
        FROM s WHERE period IN (SELECT period FROM _periods WHERE kind = 'year') GROUP BY ALL""").df()
    frames = [life.assign(level="municipality", layout=ocmw_layout, code=life["ocmw"])]
    if parents is not None and len(parents):
        j = life.merge(parents.rename(columns={"code": "ocmw"}), on="ocmw")
        frames.append(j.assign(code=j["parent"]))
    allf = pd.concat(frames, ignore_index=True)
    keys = ["level", "layout", "code", "measure", "period", "scheme", "grp"]
    out = km_medians(allf, keys)
    out["measure"] = "ocmw_duration_median:" + out["measure"] + ":T:total"
    out["unit"] = "months"
    return out[[*keys, "value", "unit", "spells"]].reset_index(drop=True)


def km_medians(life: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Kaplan–Meier medians of many groups at once (vectorised :func:`km_median`).

    Parameters
    ----------
    life
        ``keys``, ``t`` (whole months), ``e`` (1 ended, 0 censored), ``w`` (number of spells).

    Returns
    -------
    pandas.DataFrame
        ``keys``, ``value`` (median months; groups whose survival never reaches 0.5 are left
        out) and ``spells`` (spells in the group).
    """
    tab = (life.assign(d=life["w"] * life["e"]).groupby([*keys, "t"], as_index=False)
           .agg(d=("d", "sum"), n=("w", "sum")))
    tab = tab.sort_values([*keys, "t"], ascending=[*([True] * len(keys)), False])
    tab["at_risk"] = tab.groupby(keys)["n"].cumsum()
    tab = tab.sort_values([*keys, "t"])
    tab["s"] = 1.0 - tab["d"] / tab["at_risk"]
    tab["s"] = tab.groupby(keys)["s"].cumprod()
    spells = tab.groupby(keys, as_index=False)["n"].sum().rename(columns={"n": "spells"})
    med = tab[tab["s"] <= 0.5 + 1e-12].groupby(keys, as_index=False)["t"].min()
    return med.rename(columns={"t": "value"}).merge(spells, on=keys).assign(
        value=lambda x: x["value"].astype(float))
