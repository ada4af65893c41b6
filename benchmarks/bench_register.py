"""Benchmark: a full-size synthetic population register through the whole register pipeline.

Phases (each in its own process, so peak memory is measured per phase):

1. ``sample``: generate a calibrated register of about 1 million persons and aggregate it to
   every atlas table for every level twice — with Aankomst's DuckDB SQL (``aggregate_extract``)
   and with a straightforward pandas implementation of the same aggregation (the tool an
   analyst would otherwise pick) — check both give the same population totals, report the ratio;
2. ``generate``: generate the full register (default 7,797,611 residents on 1 January 2019 =
   Flanders + Brussels, 2005–2020 events) calibrated to the mirror, with the fit report;
3. ``load``: validate, aggregate (all levels through the atlas crosswalks) and load it into a copy
   of the real atlas (``/tmp/real.duckdb`` when present, else an empty atlas), typology included.

Targets: generate + load under 10 minutes and under 8 GiB peak. Results are printed and
written to ``benchmarks/results/bench_register.json``.

Usage::

    python benchmarks/bench_register.py                  # full size (about 10 minutes on 2 cores)
    python benchmarks/bench_register.py --persons 1000000 --sample 300000   # quick run
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "bench_register.json"


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def _run(phase, q, kwargs):
    t = time.perf_counter()
    try:
        out = phase(**kwargs)
        out["seconds"] = time.perf_counter() - t
        ru = resource.getrusage(resource.RUSAGE_SELF)
        out["cpu_seconds"] = ru.ru_utime + ru.ru_stime
        out["peak_rss_gib"] = _peak_gib()
        q.put(out)
    except BaseException as exc:  # noqa: BLE001 - report any failure to the parent
        import traceback

        q.put({"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()})


def in_process(phase, **kwargs) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_run, args=(phase, q, kwargs))
    p.start()
    res = q.get()
    p.join()
    if "error" in res:
        print(res["trace"], file=sys.stderr)
        raise SystemExit(f"phase {phase.__name__} failed: {res['error']}")
    return res


# ----------------------------------------------------------------------------- phases
def phase_generate(out: str, persons: int, seed: int, data: str | None) -> dict:
    from aankomst.register.calibration import fit_report
    from aankomst.register.generate import generate

    r = generate(out, persons=persons, seed=seed, calibrate_from=data)
    res = {"persons": r.persons, "residents_end": r.residents_end, "address_rows": r.address_rows,
           "moves": r.moves, "generate_seconds": r.seconds, "mode": r.mode}
    if r.mode == "calibrated":
        t = time.perf_counter()
        res["fit"] = fit_report(out)
        res["fit_seconds"] = time.perf_counter() - t
    return res


def phase_load(folder: str, db: str, memory_limit: str) -> dict:
    import aankomst
    from aankomst.register import load as L

    orig = L.connect
    L.connect = lambda **kw: orig(memory_limit=memory_limit)
    with aankomst.open(db) as atlas:
        atlas.con.execute(f"SET memory_limit = '{memory_limit}'")
        r = L.load_register(folder, atlas)
        n = atlas.query("SELECT (SELECT count(*) FROM population) AS p, (SELECT count(*) FROM flows) AS f, "
                        "(SELECT count(*) FROM measures) AS m")
    return {"rows": r.rows, "levels": r.levels, "phases": r.seconds, "warnings": r.warnings,
            "atlas_rows": n.iloc[0].to_dict(), "counts": r.counts}


def phase_duckdb(folder: str, memory_limit: str) -> dict:
    from aankomst.register import load as L

    t = time.perf_counter()
    con, lm, info = L.aggregate_extract(folder, None, con=L.connect(memory_limit=memory_limit), validate_input=False)
    pop = con.execute("SELECT level, ref_date, sum(count) AS n FROM reg_population WHERE scheme = 'total' AND sex = 'T' "
                      "AND age_band = 'total' GROUP BY ALL ORDER BY ALL").df()
    nrows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("reg_population", "reg_flows", "reg_measures")}
    fl = con.execute("SELECT dest_level AS level, sum(count) AS n FROM reg_flows WHERE scheme = 'total' AND dest_kind = 'area' "
                     "GROUP BY ALL ORDER BY ALL").df()
    return {"aggregate_seconds": time.perf_counter() - t, "rows": nrows,
            "check_population": pop.astype(str).values.tolist(), "check_flows": fl.astype(str).values.tolist()}


def phase_pandas(folder: str) -> dict:
    """The same aggregation, written the straightforward way in pandas."""
    import numpy as np
    import pandas as pd

    from aankomst.register import levels as LV
    from aankomst.register import origin as O
    from aankomst.register.params import country_groups

    t0 = time.perf_counter()
    root = Path(folder)
    man = json.loads((root / "manifest.json").read_text())
    read = lambda t: pd.read_parquet(root / t)
    persons, nats, addr, moves = read("persons"), read("nationalities"), read("addresses"), read("moves")
    for df in (persons, nats, addr, moves):
        for c in df.columns:
            if isinstance(df[c].dtype, pd.CategoricalDtype):
                df[c] = df[c].astype(object)
            if c.endswith("_date") or c in ("valid_from", "valid_to"):
                df[c] = pd.to_datetime(df[c])
    geo = pd.read_parquet(root / "geography.parquet")
    lm = LV.from_geography(geo, LV.default_layouts(man.get("sector_layout", "2019"), man.get("mode") == "calibrated"))
    groups = country_groups()
    nats = nats.sort_values(["person_id", "valid_from"])
    oldest = nats.groupby("person_id")["nationality"].first()
    p = persons.set_index("person_id")
    p["oldest_nationality"] = oldest
    p["mother_oldest_nationality"] = p["mother_id"].map(oldest).fillna(p["mother_nationality_at_birth"])
    p["father_oldest_nationality"] = p["father_id"].map(oldest).fillna(p["father_nationality_at_birth"])
    y0, y1 = man["years"]
    pop_parts = []
    for y in range(y0, y1 + 2):
        d = pd.Timestamp(f"{y}-01-01")
        a = addr[(addr["valid_from"] < d) & (addr["valid_to"].isna() | (addr["valid_to"] >= d))]
        nd = nats[(nats["valid_from"] < d) & (nats["valid_to"].isna() | (nats["valid_to"] >= d))]
        cur = nd.drop_duplicates("person_id").set_index("person_id")["nationality"]
        f = a[["person_id", "sector", "with_parents"]].join(p, on="person_id")
        f["current_nationality"] = f["person_id"].map(cur).fillna(f["oldest_nationality"]).fillna("BEL")
        age = y - pd.DatetimeIndex(f["birth_date"]).year - 1 + ((pd.DatetimeIndex(f["birth_date"]).month == 1) & (pd.DatetimeIndex(f["birth_date"]).day == 1))
        f["age_band"] = np.where(age < 18, "0-17", np.where(age < 65, "18-64", "65+"))
        f["nationality"] = np.where(f["current_nationality"] == "BEL", "BEL", "ETR")
        for name, (fn, _) in O.RULES.items():
            f[name] = O.as_group(fn(f)).to_numpy()
        f["total"] = "total"
        f = f.merge(lm, on="sector")
        for scheme in ("total", "nationality", *O.RULES):
            for keys in (["sex", "age_band"], ["sex"], ["age_band"], []):
                g = f.groupby(["level", "layout", "code", scheme, *keys], observed=True).size().reset_index(name="count")
                g = g.rename(columns={scheme: "grp"}).assign(scheme=scheme, ref_date=d)
                pop_parts.append(g)
        f["g6"] = f["current_nationality"].map(groups).fillna("other")
        pop_parts.append(f.groupby(["level", "layout", "code", "g6"]).size().reset_index(name="count")
                         .rename(columns={"g6": "grp"}).assign(scheme="nationality_group6", ref_date=d))
        cc = f[~f["level"].isin(["sector", "neighbourhood", "deelgemeente"])]
        pop_parts.append(cc.groupby(["level", "layout", "code", "current_nationality"]).size().reset_index(name="count")
                         .rename(columns={"current_nationality": "grp"}).assign(scheme="country", ref_date=d))
    pop = pd.concat(pop_parts, ignore_index=True)
    # flows: nationality on the move date, OD per level
    m = moves.merge(nats, on="person_id", how="left")
    m = m[m["valid_from"].isna() | ((m["valid_from"] <= m["move_date"]) & (m["valid_to"].isna() | (m["valid_to"] > m["move_date"])))]
    m = m.drop_duplicates(["person_id", "move_date", "origin_kind", "origin_code", "dest_kind", "dest_code"])
    m["year"] = pd.DatetimeIndex(m["move_date"]).year
    m["nat"] = np.where(m["nationality"].fillna("BEL") == "BEL", "BEL", "ETR")
    od = m.groupby(["year", "origin_kind", "origin_code", "dest_kind", "dest_code", "nat"], dropna=False).size().reset_index(name="n")
    fl_parts = []
    for (lv, ly), sub in lm.groupby(["level", "layout"]):
        mp_ = sub.set_index("sector")["code"]
        o = od.copy()
        o["oc"] = np.where(o["origin_kind"] == "sector", o["origin_code"].map(mp_), o["origin_code"])
        o["dc"] = np.where(o["dest_kind"] == "sector", o["dest_code"].map(mp_), o["dest_code"])
        for scheme, key in (("total", None), ("nationality", "nat")):
            keys = ["year", "origin_kind", "oc", "dest_kind", "dc"] + ([key] if key else [])
            g = o.groupby(keys, dropna=False)["n"].sum().reset_index().assign(level=lv, layout=ly, scheme=scheme)
            fl_parts.append(g)
    fl = pd.concat(fl_parts, ignore_index=True)
    chk = pop[(pop["scheme"] == "total") & pop["sex"].isna() & pop["age_band"].isna()] if "sex" in pop else pop
    tot = pop[(pop["scheme"] == "total")]
    tot = tot[tot["sex"].isna() & tot["age_band"].isna()].groupby(["level", "ref_date"])["count"].sum().reset_index()
    flc = fl[(fl["scheme"] == "total") & (fl["dest_kind"] == "sector")].groupby("level")["n"].sum().reset_index()
    return {"aggregate_seconds": time.perf_counter() - t0, "rows": {"population": len(pop), "flows": len(fl)},
            "check_population": tot.sort_values(["level", "ref_date"]).astype(str).values.tolist(),
            "check_flows": flc.sort_values("level").astype(str).values.tolist()}


def _same(a: list, b: list) -> bool:
    """Compare check lists (labels + a number) numerically."""
    norm = lambda rows: sorted((*r[:-1], round(float(r[-1]))) for r in rows)  # noqa: E731
    return norm(a) == norm(b)


# ----------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=7_797_611, help="residents on 1 January 2019 (full size: 7,797,611)")
    ap.add_argument("--sample", type=int, default=800_000, help="residents of the comparison sample (about 1 million persons in the files)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--data", default=None, help="mirror folder (default: aankomst.paths.mirror_dir())")
    ap.add_argument("--atlas", default="/tmp/real.duckdb", help="atlas to copy and load into (default /tmp/real.duckdb)")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--memory-limit", default="4GB", help="DuckDB memory limit")
    ap.add_argument("--skip-full", action="store_true")
    ap.add_argument("--skip-sample", action="store_true")
    args = ap.parse_args()
    from aankomst.paths import mirror_dir

    data = args.data or (str(mirror_dir()) if mirror_dir() else None)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_register_"))
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {"machine": {"cores": os.cpu_count()}, "persons_target": args.persons, "sample_target": args.sample,
                 "memory_limit": args.memory_limit, "data": data}
    try:
        if not args.skip_sample:
            s = work / "sample"
            res["sample_generate"] = in_process(phase_generate, out=str(s), persons=args.sample, seed=args.seed, data=data)
            dk = in_process(phase_duckdb, folder=str(s), memory_limit=args.memory_limit)
            pdres = in_process(phase_pandas, folder=str(s))
            same_pop = _same(dk["check_population"], pdres["check_population"]) and _same(dk["check_flows"], pdres["check_flows"])
            res["sample"] = {"persons": res["sample_generate"]["persons"], "duckdb": dk, "pandas": pdres,
                             "same_population_totals": same_pop,
                             "ratio_pandas_over_duckdb": pdres["seconds"] / dk["seconds"]}
            print(f"sample {res['sample']['persons']:,} persons: DuckDB {dk['seconds']:.1f} s ({dk['peak_rss_gib']:.2f} GiB), "
                  f"pandas {pdres['seconds']:.1f} s ({pdres['peak_rss_gib']:.2f} GiB): pandas/DuckDB = "
                  f"{res['sample']['ratio_pandas_over_duckdb']:.1f}x; same totals (population per level and date, flows per level): {same_pop}", flush=True)
            shutil.rmtree(s, ignore_errors=True)
        if not args.skip_full:
            full = work / "full"
            g = in_process(phase_generate, out=str(full), persons=args.persons, seed=args.seed, data=data)
            res["generate"] = g
            print(f"generate: {g['persons']:,} persons, {g['address_rows']:,} address periods, {g['moves']:,} moves in "
                  f"{g['generate_seconds']:.0f} s, peak {g['peak_rss_gib']:.2f} GiB", flush=True)
            if "fit" in g:
                from aankomst.register.calibration import format_report

                print(format_report(g["fit"]), flush=True)
            db = work / "atlas.duckdb"
            if args.atlas and Path(args.atlas).exists():
                shutil.copy(args.atlas, db)
                res["atlas"] = f"copy of {args.atlas}"
            ld = in_process(phase_load, folder=str(full), db=str(db), memory_limit=args.memory_limit)
            res["load"] = ld
            total = g["seconds"] + ld["seconds"]
            peak = max(g["peak_rss_gib"], ld["peak_rss_gib"])
            res["total_seconds"] = total
            res["peak_rss_gib"] = peak
            res["targets"] = {"seconds": 600, "gib": 8, "met": total < 600 and peak < 8}
            print(f"load: {ld['seconds']:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in ld['phases'].items())}), peak "
                  f"{ld['peak_rss_gib']:.2f} GiB; levels {', '.join(ld['levels'])}; rows {ld['rows']}", flush=True)
            print(f"TOTAL generate + load: {total:.0f} s (target < 600 s), peak {peak:.2f} GiB (target < 8 GiB)", flush=True)
    finally:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        if RESULTS.exists():  # keep the other phase's figures when run in parts (--skip-full / --skip-sample)
            try:
                old = json.loads(RESULTS.read_text())
                if old.get("persons_target") == res["persons_target"] or args.skip_full or args.skip_sample:
                    res = {**old, **res}
            except ValueError:
                pass
        RESULTS.write_text(json.dumps(res, indent=1, default=str), encoding="utf-8")
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(f"results -> {RESULTS}")


if __name__ == "__main__":
    main()
