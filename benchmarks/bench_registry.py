"""Benchmark of the arrival-infrastructure registry.

1. **Import** of 10,000 resources (one transaction, bulk inserts) vs the naive way a user
   would script it (one ORM ``create_resource`` per row, same transaction) — SQLite, and
   PostgreSQL when ``AANKOMST_TEST_PG_URL`` (or ``--pg URL``) is set.
2. **Completeness** for all 2,767 neighbourhoods (real ``ggw7.shp`` geometry from the mirror)
   × 11 domains with 10,000 resources: the KD-tree pipeline (``completeness_table``) vs
   geopandas (``sjoin_nearest`` per domain for distances + ``sjoin`` with buffers for counts),
   checked to give the same numbers.
3. **Read endpoints** under load: 20 concurrent clients on loopback against a uvicorn server
   (separate processes, ``--workers`` default 2) — p50/p95/p99 latency per endpoint (target
   p95 < 50 ms): Python/httpx clients closed-loop and paced (~0.25 s between requests), and a
   light node.js closed-loop client (so the client's own CPU cost weighs less).

Run: ``python benchmarks/bench_registry.py [--resources 10000] [--requests 30] [--pg URL]``.
Results: ``benchmarks/results/bench_registry.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2
"""uvicorn worker processes for the read benchmark (set by --workers; default = the 2 cores)."""
sys.path.insert(0, str(ROOT / "src"))


def _records(n: int, centres_xy: np.ndarray, nis: np.ndarray, seed: int = 1) -> list[tuple[int, dict]]:
    from aankomst.registry.areas import to_4326
    from aankomst.registry.validate import taxonomy

    rng = np.random.default_rng(seed)
    tax = taxonomy()
    doms, scales = list(tax["domain"]), list(tax["scale"])
    i = rng.integers(0, len(centres_xy), n)
    xy = centres_xy[i] + rng.normal(0, 400, (n, 2))
    lon, lat = to_4326(xy[:, 0], xy[:, 1])
    out = []
    for k in range(n):
        d = list(rng.choice(doms, size=int(rng.integers(1, 3)), replace=False))
        out.append((k + 2, {
            "name": f"Voorziening {k}", "domains": ";".join(d),
            "spheres": str(rng.choice(["market", "redistribution", "reciprocity"])),
            "provider_type": str(rng.choice(list(tax["provider_type"]))),
            "formality": "formal", "scale": str(rng.choice(scales, p=[0.6, 0.25, 0.1, 0.05])),
            "eligibility": "status_all", "languages": "nl;fr", "municipality_nis": str(nis[i[k]]),
            "lon": round(float(lon[k]), 6), "lat": round(float(lat[k]), 6),
        }))
    return out


def bench_import(url: str, recs: list, label: str) -> dict:
    from aankomst.registry import service as svc
    from aankomst.registry.db import dispose_all, init_db, session_factory
    from aankomst.registry.io import import_records
    from aankomst.registry.models import User

    init_db(url)
    t0 = time.perf_counter()
    rep = import_records(session_factory(url, write=True), [(r, dict(d)) for r, d in recs], actor="bench")
    t_bulk = time.perf_counter() - t0
    assert rep["ok"] and rep["created"] == len(recs), rep.get("problems", [])[:3]
    admin = User(id=None, name="bench", role="admin", active=True, password_hash="")
    t0 = time.perf_counter()
    with session_factory(url, write=True)() as s, s.begin():
        for _, d in recs:
            svc.create_resource(s, admin, dict(d))
    t_naive = time.perf_counter() - t0
    dispose_all()
    print(f"[import {label}] {len(recs):,} resources: bulk {t_bulk:.2f} s, per-row ORM {t_naive:.2f} s "
          f"-> {t_naive / t_bulk:.1f}x")
    return {"backend": label, "resources": len(recs), "bulk_s": round(t_bulk, 3),
            "naive_per_row_orm_s": round(t_naive, 3), "ratio": round(t_naive / t_bulk, 2)}


def bench_completeness(gdf, resources: pd.DataFrame) -> dict:
    import geopandas as gpd
    import shapely

    from aankomst.registry.analysis import completeness_table, domain_codes, scale_reach

    domains = domain_codes()
    radius = 1000.0
    centres = np.column_stack([shapely.get_x(gdf["rep"].values), shapely.get_y(gdf["rep"].values)])
    t0 = time.perf_counter()
    tree = shapely.STRtree(gdf.geometry.values)
    ip, ia = tree.query(shapely.points(resources["x"], resources["y"]), predicate="intersects")
    res = resources.copy()
    res["area_code"] = None
    res.loc[res.index[ip], "area_code"] = gdf["code"].to_numpy()[ia]
    table = completeness_table(centres, gdf["code"].to_numpy(), res, domains, local_radius_m=radius,
                               radii=(radius,))
    t_kd = time.perf_counter() - t0

    # geopandas baseline: sjoin_nearest per domain (distance), sjoin within buffers (count),
    # sjoin point-in-polygon (inside), reach per scale by sjoin_nearest with max_distance.
    t0 = time.perf_counter()
    cpts = gpd.GeoDataFrame({"code": gdf["code"].to_numpy()}, geometry=gpd.points_from_xy(centres[:, 0], centres[:, 1]),
                            crs=31370)
    rpts = gpd.GeoDataFrame(res[["id", "scale"]].assign(domains=res["domains"]),
                            geometry=gpd.points_from_xy(res["x"], res["y"]), crs=31370)
    inside = gpd.sjoin(rpts, gdf[["code", "geometry"]], predicate="within")
    buf = cpts.copy()
    buf["geometry"] = cpts.buffer(radius, quad_segs=32)
    reach = scale_reach()
    rows = []
    for d in domains:
        sub = rpts[rpts["domains"].apply(lambda v: d in v)]
        near = gpd.sjoin_nearest(cpts, sub[["geometry"]], distance_col="dist")
        near = near.groupby("code")["dist"].min()
        cnt = gpd.sjoin(buf, sub[["geometry"]], predicate="contains").groupby("code").size()
        ins = set(inside.loc[inside.index.isin(sub.index), "code"])
        reached = pd.Series(False, index=cpts["code"])
        for sc, grp in sub.groupby("scale"):
            j = gpd.sjoin_nearest(cpts, grp[["geometry"]], max_distance=reach[sc], distance_col="dd")
            reached[j["code"].unique()] = True
        for code in cpts["code"]:
            dist = near.get(code, np.inf)
            local = code in ins or dist <= radius
            rows.append((code, d, dist, int(cnt.get(code, 0)),
                         "local" if local else ("supra_local" if reached[code] else "none")))
    base = pd.DataFrame(rows, columns=["area_code", "domain", "nearest_m", "count", "status"])
    t_gp = time.perf_counter() - t0
    m = table.merge(base, on=["area_code", "domain"], suffixes=("", "_gp"))
    same_dist = np.allclose(m["nearest_m"], m["nearest_m_gp"], atol=1e-6)
    same_status = bool((m["status"] == m["status_gp"]).all())
    # a 1,000 m buffer polygon (32 segments/quarter) slightly under-covers the circle: counts
    # may differ for points at the very edge; report the share that agrees.
    agree_counts = float((m[f"count_{int(radius)}"] == m["count"]).mean())
    print(f"[completeness] {len(gdf):,} neighbourhoods × {len(domains)} domains, {len(res):,} resources: "
          f"KD-tree {t_kd:.2f} s, geopandas {t_gp:.2f} s -> {t_gp / t_kd:.1f}x "
          f"(distances equal: {same_dist}, status equal: {same_status}, counts agree {agree_counts:.4%})")
    return {"areas": len(gdf), "domains": len(domains), "resources": len(res),
            "kdtree_s": round(t_kd, 3), "geopandas_s": round(t_gp, 3), "ratio": round(t_gp / t_kd, 2),
            "distances_equal": bool(same_dist), "status_equal": same_status,
            "count_agreement": round(agree_counts, 6)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER = r"""
import os, sys, uvicorn
os.environ["AANKOMST_REGISTRY_URL"] = sys.argv[1]
uvicorn.run("aankomst.registry.web:app_from_env", factory=True, host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning", access_log=False, workers=int(sys.argv[3]))
"""


def _start_server(url: str) -> tuple[subprocess.Popen, str]:
    """Start the registry server on a free 127.0.0.1 port; return (process, base URL) once it answers."""
    import httpx

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, url, str(port), str(WORKERS)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(base + "/api/resources?limit=1", timeout=2).status_code == 200:
                    return proc, base
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("registry server did not start")
            time.sleep(0.2)
    except BaseException:
        proc.terminate()
        proc.wait(10)
        raise


def bench_reads(url: str, clients: int, per_client: int, lonlat: np.ndarray, think_s: float = 0.0) -> dict:
    import httpx

    proc, base = _start_server(url)
    try:
        rng = np.random.default_rng(3)
        endpoints = {
            "search_near": lambda i: f"/api/resources?domain=health&near={lonlat[i, 1]:.5f},{lonlat[i, 0]:.5f}&radius_m=1000",
            "search_eligible": lambda i: "/api/resources?eligible=undocumented&sphere=reciprocity&limit=50",
            "detail": lambda i: f"/api/resources/{int(i) + 1}",
            "history": lambda i: f"/api/resources/{int(i) + 1}/history",
        }
        # warm-up (not measured): first use of each route, connection pool, read cache
        with httpx.Client(base_url=base, timeout=30) as c:
            for name, fn in endpoints.items():
                for i in range(3):
                    c.get(fn(i))
        lat: dict[str, list[float]] = {k: [] for k in endpoints}
        errors = []
        barrier = threading.Barrier(clients)

        def worker(seed: int) -> None:
            r = np.random.default_rng(seed)
            with httpx.Client(base_url=base, timeout=30) as c:
                barrier.wait()
                for j in range(per_client):
                    name = list(endpoints)[j % len(endpoints)]
                    path = endpoints[name](int(r.integers(0, len(lonlat))))
                    t0 = time.perf_counter()
                    resp = c.get(path)
                    dt = (time.perf_counter() - t0) * 1000
                    if resp.status_code != 200:
                        errors.append((path, resp.status_code))
                    lat[name].append(dt)
                    if think_s:
                        time.sleep(think_s * r.uniform(0.5, 1.5))

        ths = [threading.Thread(target=worker, args=(int(rng.integers(1 << 30)),)) for _ in range(clients)]
        t0 = time.perf_counter()
        [t.start() for t in ths]
        [t.join() for t in ths]
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(10)
    out = {"think_s": think_s, "clients": clients, "requests": sum(len(v) for v in lat.values()), "errors": len(errors),
           "throughput_rps": round(sum(len(v) for v in lat.values()) / wall, 1), "endpoints": {}}
    allv = [x for v in lat.values() for x in v]
    for k, v in {**lat, "all": allv}.items():
        q = np.percentile(v, [50, 95, 99])
        out["endpoints"][k] = {"n": len(v), "p50_ms": round(q[0], 1), "p95_ms": round(q[1], 1),
                               "p99_ms": round(q[2], 1), "mean_ms": round(statistics.mean(v), 1)}
        print(f"[reads think={think_s}s] {k:<16} n={len(v):4d} p50 {q[0]:6.1f} ms  p95 {q[1]:6.1f} ms  p99 {q[2]:6.1f} ms")
    p95 = out["endpoints"]["all"]["p95_ms"]
    print(f"[reads think={think_s}s] {clients} clients, {out['throughput_rps']} req/s, p95 {p95} ms "
          f"({'meets' if p95 < 50 else 'MISSES'} the 50 ms target), errors {len(errors)}")
    out["p95_target_met"] = bool(p95 < 50)
    return out


LOAD_JS = r"""// Minimal closed-loop HTTP load generator (node built-ins only, keep-alive).
const http = require("http");
const [base, clients, perClient, pathsFile] = process.argv.slice(2);
const paths = require("fs").readFileSync(pathsFile, "utf8").trim().split("\n");
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(clients) });
const u = new URL(base);
function get(path) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    http.get({ host: u.hostname, port: u.port, path, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve([res.statusCode, Number(process.hrtime.bigint() - t0) / 1e6]));
    }).on("error", () => resolve([0, Number(process.hrtime.bigint() - t0) / 1e6]));
  });
}
(async () => {
  const out = [];
  let k = 0;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: Number(clients) }, async (_, c) => {
    for (let i = 0; i < Number(perClient); i++) {
      const p = paths[(c * 7919 + i * 104729 + k++) % paths.length];
      const [st, ms] = await get(p);
      out.push([p.split("?")[0].replace(/\d+/g, "N"), st, ms]);
    }
  }));
  console.log(JSON.stringify({ wall_s: (Date.now() - t0) / 1000, results: out }));
})();
"""


def bench_reads_node(url: str, clients: int, per_client: int, lonlat: np.ndarray) -> dict | None:
    """Closed-loop load from a light node.js client (keeps the Python client's own CPU cost
    off the measurement); ``None`` when node is not installed."""
    import shutil

    import httpx

    node = shutil.which("node")
    if node is None:
        print("[reads node] node not found: skipped")
        return None
    rng = np.random.default_rng(5)
    paths = []
    for _ in range(400):
        i = int(rng.integers(0, len(lonlat)))
        paths += [f"/api/resources?domain=health&near={lonlat[i, 1]:.5f},{lonlat[i, 0]:.5f}&radius_m=1000",
                  "/api/resources?eligible=undocumented&sphere=reciprocity&limit=50",
                  f"/api/resources/{i + 1}", f"/api/resources/{i + 1}/history"]
    tmp = Path(tempfile.mkdtemp(prefix="bench_registry_js_"))
    (tmp / "load.js").write_text(LOAD_JS)
    (tmp / "paths.txt").write_text("\n".join(paths))
    proc, base = _start_server(url)
    try:
        with httpx.Client(base_url=base, timeout=30) as c:  # warm-up
            for p in paths[:12]:
                c.get(p)
        res = subprocess.run([node, str(tmp / "load.js"), base, str(clients), str(per_client),
                              str(tmp / "paths.txt")], capture_output=True, text=True, timeout=600,
                             check=True)
    finally:
        proc.terminate()
        proc.wait(10)
    data = json.loads(res.stdout)
    rows = data["results"]

    def label(p: str) -> str:
        return ("history" if p.endswith("/history") else "detail" if p.startswith("/api/resources/N")
                else "search")

    groups: dict[str, list[float]] = {}
    for p, st, ms in rows:
        groups.setdefault(label(p), []).append(ms)
    groups["all"] = [r[2] for r in rows]
    out = {"client": "node.js http (keep-alive)", "clients": clients, "requests": len(rows),
           "errors": sum(1 for r in rows if r[1] != 200),
           "throughput_rps": round(len(rows) / data["wall_s"], 1), "endpoints": {}}
    for k, v in groups.items():
        q = np.percentile(v, [50, 95, 99])
        out["endpoints"][k] = {"n": len(v), "p50_ms": round(q[0], 1), "p95_ms": round(q[1], 1),
                               "p99_ms": round(q[2], 1)}
        print(f"[reads node closed-loop] {k:<8} n={len(v):4d} p50 {q[0]:6.1f} ms  p95 {q[1]:6.1f} ms  p99 {q[2]:6.1f} ms")
    p95 = out["endpoints"]["all"]["p95_ms"]
    print(f"[reads node closed-loop] {clients} clients, {out['throughput_rps']} req/s, p95 {p95} ms "
          f"({'meets' if p95 < 50 else 'MISSES'} the 50 ms target), errors {out['errors']}")
    out["p95_target_met"] = bool(p95 < 50)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resources", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=30, help="requests per client")
    ap.add_argument("--pg", default=os.environ.get("AANKOMST_TEST_PG_URL"))
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes for the read test")
    args = ap.parse_args()
    global WORKERS
    WORKERS = args.workers

    import geopandas as gpd
    import scipy.spatial  # noqa: F401 - imported before timing, like geopandas
    import shapely

    from aankomst.paths import mirror_dir
    from aankomst.registry.areas import to_4326

    mirror = mirror_dir()
    if mirror is None:
        sys.exit("the offline mirror (../shared/data) is needed for the real neighbourhood geometry")
    gdf = gpd.read_file(mirror / "boundaries" / "ggw7.shp").to_crs(31370)
    gdf = gdf.rename(columns={"geoitem": "code"})[["code", "geometry"]]
    gdf["rep"] = shapely.point_on_surface(gdf.geometry.values)
    centres = np.column_stack([shapely.get_x(gdf["rep"].values), shapely.get_y(gdf["rep"].values)])
    nis = gdf["code"].str[:5].to_numpy()
    recs = _records(args.resources, centres, nis)
    results: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                 "platform": platform.platform(),
                                 "load_average_at_start": os.getloadavg()},
                     "workers": args.workers, "import": []}
    tmp = Path(tempfile.mkdtemp(prefix="bench_registry_"))
    sqlite_url = f"sqlite:///{tmp / 'bench.sqlite'}"
    results["import"].append(bench_import(sqlite_url, recs, "sqlite"))
    if args.pg:
        import uuid

        import sqlalchemy as sa

        from aankomst.registry.db import normalise_url

        name = "bench_" + uuid.uuid4().hex[:8]
        admin = sa.create_engine(normalise_url(args.pg), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            results["import"].append(bench_import(args.pg.rsplit("/", 1)[0] + "/" + name, recs, "postgresql"))
        finally:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    # completeness on the first import's 10,000 resources
    from aankomst.registry.analysis import active_resources

    res = active_resources(sqlite_url)
    res = res[res["name"].str.startswith("Voorziening")].drop_duplicates("name").reset_index(drop=True)
    results["completeness"] = bench_completeness(gdf, res)
    lonlat = np.column_stack(to_4326(*np.asarray(centres).T))
    # closed loop (each client fires its next request as soon as the previous one returns) and
    # paced (each client "clicks" every ~0.25 s, like 20 busy users)
    results["reads"] = bench_reads(sqlite_url, args.clients, args.requests, lonlat)
    results["reads_paced"] = bench_reads(sqlite_url, args.clients, args.requests, lonlat, think_s=0.25)
    results["reads_node"] = bench_reads_node(sqlite_url, args.clients, args.requests * 2, lonlat)
    out = ROOT / "benchmarks" / "results" / "bench_registry.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
