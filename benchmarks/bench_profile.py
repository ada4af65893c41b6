"""Area profiles on the real atlas: computed on the fly (before) vs read from the profile table.

What it measures:

1. the profile table's build time (:func:`aankomst.web.profile_table.build_table`, all the
   levels and layouts it precomputes), wall and CPU seconds, on a copy of the atlas;
2. cold and warm latency (p50/p95, ms) of :func:`aankomst.web.profile.build_profile` for random
   neighbourhoods (seeded) of the real atlas:

   * **before**: :func:`~aankomst.web.profile.build_profile_live`, the on-the-fly path the web
     atlas used before the table (and still uses for a stale table): the indicator engine per
     indicator and comparison column;
   * **after**: the profile read from the table.

   *Cold* = a new :class:`~aankomst.web.service.Service` for every profile, with only what a
   started server holds (the catalogue, the table's freshness): no computed values, no cached
   answers — what the first visitor of an area gets; the engine's process-wide memos
   (availability facts, crosswalk chains) stay warm after the first profile, so the very first
   profile of a fresh process is timed apart (``first``). *Warm* = the same profile again with
   the same service.

Target (issue 11): a cold profile of any neighbourhood in < 200 ms p95. Results:
``benchmarks/results/bench_profile.json``.

Usage::

    python benchmarks/bench_profile.py [--db ATLAS] [--n 100] [--before-n 100] [--seed 42] [--reuse-table]

Without ``--db``: ``$AANKOMST_BENCH_DB`` or ``/tmp/atlas/real.duckdb``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_profile.json"


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def summary(xs: list[float]) -> dict[str, float]:
    return {"n": len(xs), "p50_ms": round(pct(xs, 0.5) * 1000, 1), "p95_ms": round(pct(xs, 0.95) * 1000, 1),
            "mean_ms": round(statistics.fmean(xs) * 1000, 1), "max_ms": round(max(xs) * 1000, 1)}


def started(svc, atlas):
    """A service as a started server has it: the catalogue loaded (GET /api/indicators, the map
    page's first call) and the profile table's freshness asked once; nothing else cached."""
    from aankomst.web.profile import table_fresh

    svc.catalogue()
    table_fresh(atlas, svc)
    return svc


def timed(fn, *args, **kw) -> tuple[float, dict]:
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=os.environ.get("AANKOMST_BENCH_DB", "/tmp/atlas/real.duckdb"))
    ap.add_argument("--n", type=int, default=100, help="neighbourhoods for the table path")
    ap.add_argument("--before-n", type=int, default=100, help="neighbourhoods for the on-the-fly path")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--reuse-table", action="store_true",
                    help="keep a fresh profile table of --db (its build time is the one stored with it)")
    args = ap.parse_args()

    import aankomst
    from aankomst.web import profile_table
    from aankomst.web.profile import build_profile, build_profile_live
    from aankomst.web.service import Service

    work = Path(tempfile.mkdtemp(prefix="bench_profile_"))
    db = work / "atlas.duckdb"
    shutil.copy(args.db, db)
    print(f"atlas copy: {db}", flush=True)

    # 1. the table's build time
    with aankomst.open(str(db)) as atlas:
        if args.reuse_table and profile_table.status(atlas) == "fresh":
            stored = dict(atlas.con.execute("SELECT key, value FROM profile_state").fetchall())
            build = {"seconds": float(stored["seconds"]), "cpu_seconds": None, "reused": stored["built_at"],
                     "areas": int(atlas.query("SELECT count(*) AS n FROM areas JOIN (SELECT DISTINCT level, layout "
                                              "FROM profile_latest) USING (level, layout)")["n"].iloc[0]),
                     "rows": int(atlas.query("SELECT count(*) AS n FROM profile_values")["n"].iloc[0]),
                     "db_mb_after": None}
        else:
            t0, c0 = time.perf_counter(), time.process_time()
            rep = profile_table.build_table(atlas, progress=lambda s: print(f"  table: {s}", flush=True))
            build = {"seconds": round(time.perf_counter() - t0, 1), "cpu_seconds": round(time.process_time() - c0, 1),
                     "areas": rep.areas, "rows": rep.rows, "computations": rep.computations,
                     "nodes": sorted(rep.per_level), "per_level_seconds": rep.per_level,
                     "db_mb_after": None}
    build["db_mb_after"] = round(db.stat().st_size / 1e6, 1)
    print(f"table: {build['seconds']} s ({build['cpu_seconds']} s CPU): {build['areas']} areas, {build['rows']} rows",
          flush=True)

    atlas = aankomst.open(str(db), read_only=True)
    codes = atlas.query("SELECT layout, code FROM areas WHERE level = 'neighbourhood' ORDER BY layout, code")
    rng = random.Random(args.seed)
    picks = [tuple(r) for r in rng.sample(list(codes.itertuples(index=False)), args.n)]

    # 2a. after: the table (first of a fresh process's service, then cold and warm)
    first_after, _ = timed(build_profile, atlas, Service(str(db)), picks[0][1], "neighbourhood", None, None, picks[0][0])
    cold_a, warm_a = [], []
    for ly, code in picks:
        svc = started(Service(str(db)), atlas)
        dt, p = timed(build_profile, atlas, svc, code, "neighbourhood", None, None, ly)
        assert p["computed"] == "table", p["computed"]
        cold_a.append(dt)
        warm_a.append(timed(build_profile, atlas, svc, code, "neighbourhood", None, None, ly)[0])
    print(f"after: cold p50 {summary(cold_a)['p50_ms']} ms p95 {summary(cold_a)['p95_ms']} ms", flush=True)

    # 2b. before: on the fly
    cold_b, warm_b = [], []
    first_before = None
    for i, (ly, code) in enumerate(picks[:args.before_n]):
        svc = started(Service(str(db)), atlas)
        dt, _ = timed(build_profile_live, atlas, svc, code, "neighbourhood", None, None, ly)
        if i == 0:
            first_before = dt
        cold_b.append(dt)
        warm_b.append(timed(build_profile_live, atlas, svc, code, "neighbourhood", None, None, ly)[0])
        print(f"  before {i + 1}/{min(args.before_n, len(picks))}: {dt * 1000:.0f} ms", flush=True)
    atlas.close()

    out = {
        "atlas": str(args.db), "seed": args.seed, "neighbourhoods": args.n, "python": sys.version.split()[0],
        "cpus": os.cpu_count(), "load_average_at_end": os.getloadavg(),
        "table_build": build,
        "first_profile_of_process_ms": {"before": round((first_before or 0) * 1000, 1),
                                        "after": round(first_after * 1000, 1)},
        "cold": {"before": summary(cold_b), "after": summary(cold_a),
                 "ratio_p50": round(pct(cold_b, 0.5) / pct(cold_a, 0.5), 1),
                 "ratio_p95": round(pct(cold_b, 0.95) / pct(cold_a, 0.95), 1)},
        "warm": {"before": summary(warm_b), "after": summary(warm_a),
                 "ratio_p50": round(pct(warm_b, 0.5) / pct(warm_a, 0.5), 1),
                 "ratio_p95": round(pct(warm_b, 0.95) / pct(warm_a, 0.95), 1)},
        "target": "cold p95 < 200 ms (issue 11)",
        "target_met": pct(cold_a, 0.95) < 0.2,
    }
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: out[k] for k in ("cold", "warm", "first_profile_of_process_ms")}, indent=2))
    print(f"cold p95: before {out['cold']['before']['p95_ms']} ms, after {out['cold']['after']['p95_ms']} ms "
          f"-> {out['cold']['ratio_p95']}x faster; table build {build['seconds']} s")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
