"""Seeded synthetic OCMW client extract, linked to a synthetic register (``docs/ocmw.md`` §5).

The generator reads a register extract (``docs/register.md``; e.g. from ``aankomst register
generate``) and draws, per adult resident and year, whether a leefloon spell starts, with
rates per nationality group (Belgian / EU / non-EU) from ``data/ocmw/params.csv``. Spell
durations are a mixture of short spells (monthly exit probability per group) and long-term
spells (log-normal); a spell ends at the latest when the person moves to another municipality
(end reason ``moved``), leaves the country or dies; what is still running at the end of the
register is censored (no end date). On top: article 60 §7 and article 61 contracts during a
spell (the leefloon ends, the contract lasts 12–24 months, then regular work within 12 months
with a probability per group, else unemployment benefit), GPMIs for clients under 25,
equivalent leefloon for recently registered non-EU nationals, material aid for asylum seekers
on arrival and urgent medical aid for people without legal residence (not in the register).

**Calibration to the published 2010 table.** For the Flemish and Brussels OCMWs of
``data/ocmw/leefloon_targets_2010.csv`` the number of leefloon recipients in 2010 per group is
``round(published total × share × scale)``, with ``scale`` = the synthetic residents of the
municipality on 1 January 2010 ÷ the Statbel population of that date (1 for a full-size
register). A first pass measures the recipients that the base rates give, a second pass rescales
the entry rates per city and group (same random numbers), and a last step adds or removes spells
that start in 2010 until the count is exact. The group of a recipient is the one on the first day
of 2010 on which they receive the leefloon, as in the aggregation.

The same seed, register and parameters give identical files.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import InputError

GROUPS = ("belgian", "eu", "non_eu")
DAY = np.timedelta64(1, "D")
MONTH_DAYS = 30.4375
UMA_ID0 = 9_000_000_000
"""Person ids of people without legal residence (not in the register) start here."""


@dataclass
class OcmwParams:
    """The generator's parameter table (``param, key, value``; keyed rows per group or city)."""

    scalars: dict[str, float] = field(default_factory=dict)
    keyed: dict[str, dict[str, float]] = field(default_factory=dict)
    path: str = ""

    def __getitem__(self, name: str) -> float:
        if name not in self.scalars:
            raise KeyError(f"OCMW generator parameter {name!r} is not in {self.path}")
        return self.scalars[name]

    def table(self, name: str) -> dict[str, float]:
        """The keyed rows of one parameter (``{key: value}``)."""
        return dict(self.keyed.get(name, {}))


def read_params(path: str | Path | None = None) -> OcmwParams:
    """Read the parameter table (default ``data/ocmw/params.csv``).

    Raises
    ------
    InputError
        An empty name or a value that is not a number (file, row, column, value).

    Examples
    --------
    >>> read_params()["spell_gap_days"]
    31.0
    """
    from aankomst.ocmw.catalogue import params_path

    p = Path(path) if path else params_path()
    out = OcmwParams(path=str(p))
    with open(p, encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            name = (row.get("param") or "").strip()
            key = (row.get("key") or "").strip()
            raw = (row.get("value") or "").strip()
            if not name:
                raise InputError(str(p), "empty parameter name", row=i, column="param",
                                 expected="a parameter name such as entry_rate")
            try:
                v = float(raw)
            except ValueError:
                raise InputError(str(p), f"value {raw!r} is not a number", row=i, column="value",
                                 expected="a number") from None
            if key:
                out.keyed.setdefault(name, {})[key] = v
            else:
                out.scalars[name] = v
    return out


def targets_2010() -> pd.DataFrame:
    """The published 2010 table for Flanders and Brussels with the 2010 Statbel population."""
    from aankomst.paths import package_data

    df = pd.read_csv(package_data("ocmw") / "leefloon_targets_2010.csv", dtype={"nis_code": str})
    return df


@dataclass
class GenerateResult:
    """What :func:`generate` wrote."""

    out: Path
    clients: int
    episodes: int
    labour: int
    extract_end: str
    fit: pd.DataFrame
    seconds: float


def _q(p: Path | str) -> str:
    return "'" + str(p).replace("'", "''") + "'"


def _scan(root: Path, t: str) -> str:
    from aankomst.ocmw.aggregate import register_scan

    return register_scan(root, t)


def _residences(con: Any, root: Path) -> tuple[pd.DataFrame, int, int]:
    """Residence periods per person and municipality (address periods in one municipality
    joined), with how each ends: ``moved``, ``death``, ``left_country`` or open."""
    geo = root / "geography.parquet"
    if geo.exists():
        muni = f"(SELECT sector, CAST(municipality AS VARCHAR) AS muni FROM read_parquet({_q(geo)}))"
    else:
        muni = "(SELECT DISTINCT sector, substr(sector, 1, 5) AS muni FROM addr)"
    man = json.loads((root / "manifest.json").read_text()) if (root / "manifest.json").exists() else {}
    con.execute(f"CREATE OR REPLACE TEMP TABLE addr AS SELECT CAST(person_id AS BIGINT) AS person_id, "
                f"CAST(sector AS VARCHAR) AS sector, CAST(valid_from AS DATE) AS valid_from, "
                f"CAST(valid_to AS DATE) AS valid_to FROM {_scan(root, 'addresses')}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE pers AS SELECT CAST(person_id AS BIGINT) AS person_id, "
                f"CAST(birth_date AS DATE) AS birth_date, CAST(sex AS VARCHAR) AS sex, "
                f"CAST(first_registration_date AS DATE) AS first_reg, CAST(death_date AS DATE) AS death_date "
                f"FROM {_scan(root, 'persons')}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE nat AS SELECT CAST(person_id AS BIGINT) AS person_id, "
                f"CAST(nationality AS VARCHAR) AS nationality, CAST(valid_from AS DATE) AS valid_from, "
                f"CAST(valid_to AS DATE) AS valid_to FROM {_scan(root, 'nationalities')}")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE res AS
        WITH a AS (SELECT a.*, m.muni,
                          lag(m.muni) OVER w AS prev_muni, lag(a.valid_to) OVER w AS prev_to
                   FROM addr a JOIN {muni} m USING (sector)
                   WINDOW w AS (PARTITION BY a.person_id ORDER BY a.valid_from)),
        b AS (SELECT *, sum(CASE WHEN prev_muni IS DISTINCT FROM muni OR prev_to IS DISTINCT FROM valid_from
                                 THEN 1 ELSE 0 END) OVER (PARTITION BY person_id ORDER BY valid_from) AS k FROM a),
        c AS (SELECT person_id, muni, k, min(valid_from) AS r_from, max(coalesce(valid_to, DATE '9999-12-31')) AS r_to
              FROM b GROUP BY ALL),
        d AS (SELECT c.*, lead(r_from) OVER (PARTITION BY person_id ORDER BY r_from) AS next_from FROM c)
        SELECT d.person_id, d.muni, d.r_from, d.r_to,
               CASE WHEN d.r_to = DATE '9999-12-31' THEN NULL
                    WHEN p.death_date = d.r_to THEN 'death'
                    WHEN d.next_from = d.r_to THEN 'moved' ELSE 'left_country' END AS end_kind
        FROM d JOIN pers p USING (person_id)""")
    years = man.get("years") or con.execute("SELECT min(year(valid_from)), max(year(valid_from)) FROM addr"
                                            ).fetchall()[0]
    return (con.execute("SELECT * FROM res ORDER BY person_id, r_from").df(), int(years[0]),
            int(years[1]))


def _nat_at(nat: pd.DataFrame, persons: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Nationality of each (person, date) from the history (``valid_from <= d < valid_to``)."""
    q = pd.DataFrame({"person_id": np.asarray(persons, dtype="int64"),
                      "d": pd.to_datetime(when).astype("datetime64[ns]"), "_i": np.arange(len(persons))})
    h = nat.assign(valid_from=pd.to_datetime(nat["valid_from"]).astype("datetime64[ns]"),
                   person_id=nat["person_id"].astype("int64")).sort_values("valid_from")
    got = pd.merge_asof(q.sort_values("d"), h[["person_id", "valid_from", "nationality"]],
                        left_on="d", right_on="valid_from", by="person_id", direction="backward")
    first = nat.sort_values("valid_from").drop_duplicates("person_id").set_index("person_id")["nationality"]
    got["nationality"] = got["nationality"].fillna(got["person_id"].map(first)).fillna("BEL")
    return got.sort_values("_i")["nationality"].to_numpy()


def _eu_group(nats: np.ndarray, year: int) -> np.ndarray:
    from aankomst.indicators import groups as G

    known = set(G.countries()["iso3"])
    uniq = pd.unique(nats)
    m = {c: ("belgian" if c == "BEL" else (str(G.country_group(c, "eu_status", date(year, 7, 1)))
                                          if c in known else "non_eu")) for c in uniq}
    return np.array([m[c] for c in nats], dtype=object)


def _durations(rng: np.random.Generator, group: np.ndarray, P: OcmwParams, n: int) -> np.ndarray:
    """Spell durations in days (mixture of short geometric and long log-normal spells)."""
    haz = np.array([P.table("short_exit_hazard")[g] for g in group], dtype=float)
    months = rng.geometric(haz)
    long = rng.random(n) < P["long_share"]
    lm = np.exp(np.log(P["long_median_months"]) + P["long_sigma"] * rng.standard_normal(n))
    months = np.where(long, np.maximum(lm, 1.0), months)
    return np.maximum(1, np.round(months * MONTH_DAYS - rng.random(n) * MONTH_DAYS * 0.9)).astype(int)


def _spells(py: pd.DataFrame, factor: np.ndarray, u: np.ndarray, rng_seed: int, P: OcmwParams,
            end: np.datetime64) -> pd.DataFrame:
    """Leefloon spells from person-years (``u`` uniform draws, ``factor`` rate multipliers)."""
    rate = np.array([P.table("entry_rate")[g] for g in py["grp"]]) * factor
    age = py["age"].to_numpy()
    rate = rate * np.where(age >= 65, P["entry_rate_65plus_factor"], 1.0)
    rate = rate * np.where(age <= 24, P["entry_rate_youth_factor"], 1.0)
    hit = np.flatnonzero(u < rate)
    s = py.iloc[hit].reset_index(drop=True)
    rng = np.random.default_rng(rng_seed)
    n = len(s)
    y0 = pd.to_datetime(s["year"].astype(str) + "-01-01").to_numpy().astype("datetime64[D]")
    start = y0 + (rng.random(n) * 365).astype(int) * DAY
    start = np.maximum(start, s["r_from"].to_numpy().astype("datetime64[D]"))
    dur = _durations(rng, s["grp"].to_numpy(), P, n)
    stop = start + dur * DAY
    r_to = s["r_to"].to_numpy().astype("datetime64[D]")
    cut = stop >= r_to
    stop = np.where(cut, r_to, stop)
    reasons = list(P.table("end_reason"))
    pr = np.array(list(P.table("end_reason").values()))
    reason = np.array(reasons, dtype=object)[rng.choice(len(reasons), n, p=pr / pr.sum())]
    reason = np.where(cut, s["end_kind"].fillna("other").to_numpy(), reason)
    ok = start < np.minimum(r_to, end)
    out = pd.DataFrame({"person_id": s["person_id"], "ocmw": s["muni"], "measure": "leefloon",
                        "start_date": start, "end_date": stop, "end_reason": reason, "age": s["age"],
                        "grp": s["grp"], "r_to": r_to, "end_kind": s["end_kind"]})[ok]
    return _no_overlap(out)


def _no_overlap(ep: pd.DataFrame) -> pd.DataFrame:
    """Drop spells starting before an earlier spell of the same person and measure ends."""
    ep = ep.sort_values(["person_id", "measure", "start_date"], kind="stable").reset_index(drop=True)
    while True:
        prev = ep.groupby(["person_id", "measure"])["end_date"].shift()
        bad = prev.notna() & (ep["start_date"] < prev)
        if not bad.any():
            return ep
        ep = ep[~bad].reset_index(drop=True)


def _recipients_2010(ep: pd.DataFrame, nat: pd.DataFrame, year: int) -> pd.DataFrame:
    """Leefloon recipients per OCMW and group in ``year`` (group on the first day received)."""
    p0, p1 = np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01")
    e = ep[(ep["measure"] == "leefloon") & (ep["start_date"] < p1) & (ep["end_date"] > p0)].copy()
    e["d"] = np.maximum(e["start_date"].to_numpy().astype("datetime64[D]"), p0)
    e = e.sort_values("d").drop_duplicates(["person_id", "ocmw"])
    e["g"] = _eu_group(_nat_at(nat, e["person_id"].to_numpy(), e["d"].to_numpy()), year)
    return e


def generate(out: str | Path, *, register: str | Path, seed: int = 0, params: OcmwParams | None = None,
             progress: bool = False) -> GenerateResult:
    """Generate a synthetic OCMW extract linked to a register extract.

    Parameters
    ----------
    out
        Output folder (``clients.parquet``, ``episodes.parquet``, ``labour.parquet``,
        ``manifest.json``, ``fit_2010.csv``).
    register
        Register extract folder (``docs/register.md``): persons, nationalities, addresses,
        optional ``geography.parquet`` and ``manifest.json`` (years).
    seed
        Random seed: the same seed, register and parameters give identical files.
    params
        Parameters (default ``data/ocmw/params.csv``).

    Returns
    -------
    GenerateResult
        Counts, the censoring date (1 January after the register's last year) and the 2010 fit
        per calibrated OCMW and group (``target``, ``generated``).

    Examples
    --------
    >>> r = generate("ocmw_extract", register="register_extract", seed=1)  # doctest: +SKIP
    >>> bool((r.fit["target"] == r.fit["generated"]).all())  # doctest: +SKIP
    True
    """
    import duckdb

    t0 = time.perf_counter()
    P = params or read_params()
    reg = Path(register)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    res, y0, y1 = _residences(con, reg)
    nat = con.execute("SELECT * FROM nat ORDER BY person_id, valid_from").df()
    pers = con.execute("SELECT * FROM pers ORDER BY person_id").df().set_index("person_id")
    end = np.datetime64(f"{y1 + 1}-01-01")
    ty = int(P["target_year"])
    # person-years: residents on 1 July of each year, aged 18 or more
    frames = []
    for y in range(y0, y1 + 1):
        jul = np.datetime64(f"{y}-07-01")
        r = res[(res["r_from"].to_numpy().astype("datetime64[D]") <= jul)
                & (res["r_to"].to_numpy().astype("datetime64[D]") > jul)]
        b = pers.loc[r["person_id"], "birth_date"].to_numpy().astype("datetime64[D]")
        age = ((jul - b).astype(int) // 365.25).astype(int)
        r = r[age >= 18].assign(age=age[age >= 18], year=y)
        frames.append(r)
    py = pd.concat(frames, ignore_index=True)
    py["nationality"] = _nat_at(nat, py["person_id"].to_numpy(),
                                pd.to_datetime(py["year"].astype(str) + "-07-01").to_numpy())
    py["grp"] = np.concatenate([_eu_group(part["nationality"].to_numpy(), y)
                                for y, part in py.groupby("year", sort=True)]) if len(py) else []
    py = py.sort_values(["year", "person_id"]).reset_index(drop=True)
    u = np.random.default_rng(seed).random(len(py))
    # targets: published × scale, per municipality and group
    tg = targets_2010()
    jan = np.datetime64(f"{ty}-01-01")
    alive = res[(res["r_from"].to_numpy().astype("datetime64[D]") < jan)
                & (res["r_to"].to_numpy().astype("datetime64[D]") >= jan)]
    synth = alive.groupby("muni").size()
    tg = tg[tg["nis_code"].isin(synth.index)].copy()
    tg["scale"] = tg["nis_code"].map(synth) / tg["population_2010"]
    want = {}
    for r in tg.itertuples(index=False):
        tot = r.recipients_total * r.scale
        for g, pct in (("belgian", r.pct_belgian), ("non_eu", r.pct_non_eu), ("eu", r.pct_eu)):
            want[(r.nis_code, g)] = round(tot * pct / 100.0)
    factor = np.ones(len(py))
    key = list(zip(py["muni"], py["grp"]))
    for it in range(2):
        ep = _spells(py, factor, u, seed + 1, P, end)
        if not want:
            break
        rec = _recipients_2010(ep, nat, ty)
        got = rec.groupby(["ocmw", "g"]).size()
        adj = {k: (v / max(int(got.get(k, 0)), 1)) for k, v in want.items()}
        factor = factor * np.array([adj.get(k, 1.0) for k in key])
        if progress:
            print(f"  calibration pass {it + 1}: {len(ep):,} leefloon spells")
    ep, labour = _extras(ep, py, res, pers, nat, np.random.default_rng(seed + 3), P, end, y0, y1)
    ep = _exact_2010(ep, py, nat, want, ty, np.random.default_rng(seed + 2), P, end)
    # clients, sectors and nationalities at the start
    clients, ep = _clients(ep, pers, nat, con, end)
    labour = labour[labour["person_id"].isin(clients["person_id"])].reset_index(drop=True)
    ep["end_date"] = ep["end_date"].where(ep["end_date"] < end)
    ep.loc[ep["end_date"].isna(), "end_reason"] = None
    ep = ep.sort_values(["person_id", "start_date", "measure"]).reset_index(drop=True)
    ep["episode_id"] = np.arange(1, len(ep) + 1)
    parent = ep[ep["measure"] == "leefloon"][["person_id", "start_date", "episode_id"]]
    cols = ["episode_id", "person_id", "ocmw", "measure", "start_date", "end_date", "end_reason", "sector",
            "nationality", "parent_episode_id"]
    ep = _link_parents(ep, parent)
    for c in ("start_date", "end_date"):
        ep[c] = pd.to_datetime(ep[c]).dt.date
    ep[cols].to_parquet(out / "episodes.parquet", index=False)
    clients.to_parquet(out / "clients.parquet", index=False)
    labour.to_parquet(out / "labour.parquet", index=False)
    fit = _recipients_2010(ep.assign(start_date=pd.to_datetime(ep["start_date"]).to_numpy(),
                                     end_date=pd.to_datetime(ep["end_date"]).fillna(
                                         pd.Timestamp(str(end))).to_numpy()), nat, ty)
    got = fit.groupby(["ocmw", "g"]).size()
    fitdf = pd.DataFrame([(k[0], k[1], v, int(got.get(k, 0))) for k, v in want.items()],
                         columns=["ocmw", "group", "target", "generated"])
    fitdf.to_csv(out / "fit_2010.csv", index=False)
    manifest = {"generator": "aankomst.ocmw.generate", "seed": seed, "register": str(reg.resolve()),
                "extract_end": str(end), "years": [y0, y1], "params": P.path, "target_year": ty,
                "ocmws": sorted(str(m) for m in res["muni"].unique())}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    con.close()
    return GenerateResult(out, len(clients), len(ep), len(labour), str(end), fitdf, time.perf_counter() - t0)


def _exact_2010(ep: pd.DataFrame, py: pd.DataFrame, nat: pd.DataFrame, want: dict[tuple[str, str], int],
                year: int, rng: np.random.Generator, P: OcmwParams, end: np.datetime64) -> pd.DataFrame:
    """Add or remove spells starting in ``year`` until the recipients per city and group are
    exactly the targets."""
    p0, p1 = np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01")
    for _ in range(4):
        rec = _recipients_2010(ep, nat, year)
        got = rec.groupby(["ocmw", "g"]).size()
        drop: list[Any] = []
        add = []
        for (m, g), v in want.items():
            diff = v - int(got.get((m, g), 0))
            if diff < 0:
                mine = rec[(rec["ocmw"] == m) & (rec["g"] == g)]
                late = mine[mine["start_date"] >= p0].index.to_numpy()
                early = mine[mine["start_date"] < p0].index.to_numpy()
                k = min(-diff, len(late))
                drop += list(rng.choice(late, k, replace=False))
                if -diff > k and len(early):  # end earlier spells on the last day of the year before
                    cut = rng.choice(early, min(-diff - k, len(early)), replace=False)
                    ep.loc[cut, "end_date"] = p0
                    ep.loc[cut, "end_reason"] = "other"
            elif diff > 0:
                busy = set(rec[rec["ocmw"] == m]["person_id"])
                pool = py[(py["year"] == year) & (py["muni"] == m) & (py["grp"] == g)
                          & ~py["person_id"].isin(busy)]
                if len(pool):
                    add.append(pool.iloc[rng.choice(len(pool), min(diff, len(pool)), replace=False)])
        if not drop and not add and not (got.reindex(list(want)).fillna(0) != pd.Series(want)).any():
            break
        ep = ep.drop(index=drop)
        if add:
            s = pd.concat(add, ignore_index=True)
            n = len(s)
            start = np.maximum(p0 + (rng.random(n) * 180).astype(int) * DAY,
                               s["r_from"].to_numpy().astype("datetime64[D]"))
            dur = _durations(rng, s["grp"].to_numpy(), P, n)
            r_to = s["r_to"].to_numpy().astype("datetime64[D]")
            stop = np.minimum(start + dur * DAY, r_to)
            new = pd.DataFrame({"person_id": s["person_id"], "ocmw": s["muni"], "measure": "leefloon",
                                "start_date": start, "end_date": stop,
                                "end_reason": np.where(stop == r_to, s["end_kind"].fillna("other"), "other"),
                                "age": s["age"], "grp": s["grp"]})
            new = new[(new["start_date"] < new["end_date"]) & (new["start_date"] < p1)]
            later = ep[ep["measure"] == "leefloon"].groupby("person_id")["start_date"].min()
            nxt = new["person_id"].map(later)
            new = new[nxt.isna() | (nxt >= new["end_date"]) | (nxt < new["start_date"])]
            ep = _no_overlap(pd.concat([ep, new], ignore_index=True))
        ep = ep.reset_index(drop=True)
    return ep.reset_index(drop=True)


def _extras(ep: pd.DataFrame, py: pd.DataFrame, res: pd.DataFrame, pers: pd.DataFrame, nat: pd.DataFrame,
            rng: np.random.Generator, P: OcmwParams, end: np.datetime64, y0: int, y1: int
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Activation contracts, GPMIs, equivalent leefloon, material aid, urgent medical aid and the
    labour-market statuses after episodes."""
    ep = ep.reset_index(drop=True)
    n = len(ep)
    start = ep["start_date"].to_numpy().astype("datetime64[D]")
    stop = ep["end_date"].to_numpy().astype("datetime64[D]")
    r_to = ep["r_to"].to_numpy().astype("datetime64[D]")
    young = ep["age"].to_numpy() < 55
    draw = rng.random(n)
    kind = np.where(draw < P["art60_probability"], "article_60",
                    np.where(draw < P["art60_probability"] + P["art61_probability"], "article_61", ""))
    wait = (1 + rng.random(n) * (P["art60_wait_months_max"] - 1)) * MONTH_DAYS
    a_start = start + wait.astype(int) * DAY
    act = young & (kind != "") & (a_start < stop) & (a_start < end)
    months = P["art60_months_min"] + rng.random(n) * (P["art60_months_max"] - P["art60_months_min"])
    a_stop = np.minimum(a_start + (months * MONTH_DAYS).astype(int) * DAY, r_to)
    contracts = pd.DataFrame({"person_id": ep["person_id"], "ocmw": ep["ocmw"], "measure": kind,
                              "start_date": a_start, "end_date": a_stop,
                              "end_reason": np.where(a_stop == r_to, ep["end_kind"].fillna("other"),
                                                     "end_of_contract"),
                              "age": ep["age"], "grp": ep["grp"], "r_to": r_to, "end_kind": ep["end_kind"],
                              "_parent_start": start})[act]
    # the leefloon stops when the contract starts
    ep.loc[act, "end_date"] = a_start[act]
    ep.loc[act, "end_reason"] = "work"
    lab = []
    fin = contracts["end_date"].to_numpy().astype("datetime64[D]")
    ok = (contracts["end_reason"] == "end_of_contract").to_numpy()
    pw = np.array([P.table("regular_work_after_art60")[g] for g in contracts["grp"]])
    work = ok & (rng.random(len(contracts)) < pw)
    delay = (rng.random(len(contracts)) * 11.5 * MONTH_DAYS).astype(int) * DAY
    lab.append(pd.DataFrame({"person_id": contracts["person_id"], "status": "regular_work",
                             "valid_from": fin + delay})[work])
    lab.append(pd.DataFrame({"person_id": contracts["person_id"], "status": "unemployment_benefit",
                             "valid_from": fin})[ok & ~work])
    # after a leefloon spell ended for work or other income
    e = ep[~act]
    lab.append(pd.DataFrame({"person_id": e["person_id"], "status": "regular_work",
                             "valid_from": e["end_date"]})[(e["end_reason"] == "work").to_numpy()])
    lab.append(pd.DataFrame({"person_id": e["person_id"], "status": "unemployment_benefit",
                             "valid_from": e["end_date"]})[(e["end_reason"] == "other_income").to_numpy()])
    # GPMI for the young, from the start of the spell
    yg = ep["age"].to_numpy() <= P["gpmi_age_max"]
    g_stop = np.minimum(start + int(P["gpmi_months"] * MONTH_DAYS) * DAY,
                        ep["end_date"].to_numpy().astype("datetime64[D]"))
    gpmi = ep[yg].assign(measure="gpmi", end_date=g_stop[yg], end_reason="other")
    # equivalent leefloon: non-EU registered less than 5 years
    fr = pers.loc[py["person_id"], "first_reg"].to_numpy().astype("datetime64[D]")
    jul = pd.to_datetime(py["year"].astype(str) + "-07-01").to_numpy().astype("datetime64[D]")
    recent = (py["grp"].to_numpy() == "non_eu") & ((jul - fr).astype(int) < 5 * 365)
    eq = py[recent & (rng.random(len(py)) < P["equivalent_rate"])]
    eq_start = (pd.to_datetime(eq["year"].astype(str) + "-01-01").to_numpy().astype("datetime64[D]")
                + (rng.random(len(eq)) * 365).astype(int) * DAY)
    eq_start = np.maximum(eq_start, eq["r_from"].to_numpy().astype("datetime64[D]"))
    eq_to = eq["r_to"].to_numpy().astype("datetime64[D]")
    eq_stop = np.minimum(eq_start + _durations(rng, eq["grp"].to_numpy(), P, len(eq)) * DAY, eq_to)
    equiv = pd.DataFrame({"person_id": eq["person_id"], "ocmw": eq["muni"], "measure": "equivalent_leefloon",
                          "start_date": eq_start, "end_date": eq_stop,
                          "end_reason": np.where(eq_stop == eq_to, eq["end_kind"].fillna("other"), "other_income"),
                          "age": eq["age"], "grp": eq["grp"]})
    equiv = equiv[equiv["start_date"] < equiv["end_date"]]
    # material aid: non-EU adults arriving from abroad, in their first municipality
    first = res.sort_values("r_from").drop_duplicates("person_id")
    first = first[first["person_id"].isin(pers.index)]
    fr1 = pers.loc[first["person_id"], "first_reg"].to_numpy().astype("datetime64[D]")
    bd = pers.loc[first["person_id"], "birth_date"].to_numpy().astype("datetime64[D]")
    arrived = (fr1 > bd) & ((fr1 - bd).astype(int) >= 18 * 365) & (first["r_from"].to_numpy().astype("datetime64[D]") == fr1)
    cand = first[arrived]
    cand_nat = _nat_at(nat, cand["person_id"].to_numpy(), cand["r_from"].to_numpy())
    cgrp = _eu_group(cand_nat, 2010)
    ma = cand[(cgrp == "non_eu") & (rng.random(len(cand)) < P["material_aid_rate"])]
    ma_start = ma["r_from"].to_numpy().astype("datetime64[D]")
    ma_stop = np.minimum(ma_start + (rng.exponential(P["material_aid_months"], len(ma)) * MONTH_DAYS + 14
                                     ).astype(int) * DAY, ma["r_to"].to_numpy().astype("datetime64[D]"))
    material = pd.DataFrame({"person_id": ma["person_id"], "ocmw": ma["muni"], "measure": "material_aid",
                             "start_date": ma_start, "end_date": ma_stop, "end_reason": "other",
                             "age": 30, "grp": "non_eu"})
    # urgent medical aid: people without legal residence (not in the register)
    cities = list(P.table("urgent_medical_cities"))
    uma = []
    pid = UMA_ID0
    pop = res.groupby("muni").size()
    for y in range(y0, y1 + 1):
        for c in cities:
            k = rng.poisson(P["urgent_medical_per_1000"] * float(pop.get(c, 0)) / 1000.0)
            if not k:
                continue
            s0 = np.datetime64(f"{y}-01-01") + (rng.random(k) * 365).astype(int) * DAY
            uma.append(pd.DataFrame({"person_id": np.arange(pid, pid + k), "ocmw": c,
                                     "measure": "urgent_medical_aid", "start_date": s0,
                                     "end_date": s0 + (rng.integers(20, 120, k)) * DAY, "end_reason": "other",
                                     "age": rng.integers(18, 60, k), "grp": "non_eu"}))
            pid += k
    parts = [ep, contracts, gpmi, equiv, material, *uma]
    allep = pd.concat([p.drop(columns=[c for c in ("r_to", "end_kind") if c in p.columns]) for p in parts],
                      ignore_index=True)
    allep = allep[allep["start_date"] < end]
    allep = _no_overlap(allep)
    labour = pd.concat(lab, ignore_index=True)
    labour = labour[labour["valid_from"] < end].sort_values(["person_id", "valid_from"])
    labour = labour.drop_duplicates(["person_id", "valid_from"])
    labour["valid_to"] = labour.groupby("person_id")["valid_from"].shift(-1)
    labour = labour[labour["valid_to"].isna() | (labour["valid_to"] > labour["valid_from"])]
    for c in ("valid_from", "valid_to"):
        labour[c] = pd.to_datetime(labour[c]).dt.date
    return allep, labour[["person_id", "status", "valid_from", "valid_to"]].reset_index(drop=True)


def _clients(ep: pd.DataFrame, pers: pd.DataFrame, nat: pd.DataFrame, con: Any, end: np.datetime64
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The clients table and the episodes with sector and nationality at the start."""
    rng = np.random.default_rng(len(ep))
    ids = pd.unique(ep["person_id"])
    inreg = np.isin(ids, pers.index.to_numpy())
    reg_ids = ids[inreg]
    p = pers.loc[reg_ids]
    last = nat.sort_values("valid_from").drop_duplicates("person_id", keep="last").set_index("person_id")
    c = pd.DataFrame({"person_id": reg_ids, "sex": p["sex"].to_numpy(), "birth_date": p["birth_date"].to_numpy(),
                      "nationality": last["nationality"].reindex(reg_ids).fillna("BEL").to_numpy(),
                      "first_registration_date": p["first_reg"].to_numpy()})
    meas = ep.groupby("person_id")["measure"].agg(set)
    since_ok = True
    status = []
    for pid_, natx in zip(c["person_id"], c["nationality"]):
        ms = meas.get(pid_, set())
        if natx == "BEL":
            status.append("belgian")
        elif ms <= {"material_aid"}:
            status.append("asylum_seeker")
        elif "equivalent_leefloon" in ms and "leefloon" not in ms:
            status.append("foreigners_register")
        else:
            status.append("population_register")
    c["residence_status"] = status
    del since_ok
    u = ep[~ep["person_id"].isin(reg_ids)].drop_duplicates("person_id")
    uma = pd.DataFrame({"person_id": u["person_id"].to_numpy(),
                        "sex": np.where(rng.random(len(u)) < 0.6, "M", "F"),
                        "birth_date": (u["start_date"].to_numpy().astype("datetime64[D]")
                                       - (u["age"].to_numpy().astype(int) * 365 + 100) * DAY),
                        "nationality": rng.choice(["MAR", "DZA", "GIN", "AFG", "BRA", "UKR"], len(u)),
                        "first_registration_date": pd.NaT, "residence_status": "no_legal_residence"})
    clients = pd.concat([c, uma], ignore_index=True)
    for col in ("birth_date", "first_registration_date"):
        clients[col] = pd.to_datetime(clients[col]).dt.date
    # sector of the address on the start date; nationality on the start date
    ep = ep.reset_index(drop=True)
    q = pd.DataFrame({"person_id": ep["person_id"].astype("int64"), "d": _ns(ep["start_date"]), "_i": ep.index})
    addr = con.execute("SELECT person_id, sector, valid_from FROM addr ORDER BY person_id, valid_from").df()
    addr["valid_from"] = _ns(addr["valid_from"])
    got = pd.merge_asof(q.sort_values("d"), addr.sort_values("valid_from"), left_on="d", right_on="valid_from",
                        by="person_id", direction="backward").set_index("_i")
    ep["sector"] = got["sector"].reindex(ep.index)
    natd = pd.Series(_nat_at(nat, ep["person_id"].to_numpy(), ep["start_date"].to_numpy()), index=ep.index)
    ep["nationality"] = natd.where(ep["person_id"].isin(reg_ids),
                                   ep["person_id"].map(clients.set_index("person_id")["nationality"]))
    return clients, ep


def _ns(x: Any) -> Any:
    """Dates as ``datetime64[ns]`` (``merge_asof`` needs one resolution on both sides)."""
    return pd.to_datetime(x).astype("datetime64[ns]")


def _link_parents(ep: pd.DataFrame, parent: pd.DataFrame) -> pd.DataFrame:
    """``parent_episode_id`` of activation and GPMI episodes: the person's leefloon episode that
    starts last on or before them."""
    kids = ep[ep["measure"].isin(["article_60", "article_61", "gpmi"])]
    q = kids[["person_id", "start_date"]].assign(_i=kids.index, d=_ns(kids["start_date"]))
    par = parent.assign(ps=_ns(parent["start_date"]))[["person_id", "ps", "episode_id"]]
    got = pd.merge_asof(q.sort_values("d"), par.sort_values("ps"), left_on="d", right_on="ps", by="person_id",
                        direction="backward").set_index("_i")
    ep["parent_episode_id"] = pd.array([pd.NA] * len(ep), dtype="Int64")
    ep.loc[got.index, "parent_episode_id"] = got["episode_id"].astype("Int64")
    return ep
