"""Web atlas under load, on loopback only, against the real mirror's 2,767 neighbourhoods.

What it measures (all in one run):

1. latency (p50/p95/p99) and errors of ``GET /api/values`` and ``GET /api/areas`` at
   neighbourhood level with 20 and 50 concurrent clients (bounded: a fixed number of requests
   and a time cap per scenario);
2. the same load against a **naive baseline** a user would otherwise write: a FastAPI app
   that, per request, reads the layer with geopandas and returns ``GeoDataFrame.to_json()``
   of the full-resolution geometry in EPSG:4326, and recomputes the indicator (no cache);
3. the neighbourhood geometry payload size, raw and gzip-compressed, per zoom bucket, and the
   naive layer's size;
4. the first map render in headless Chromium (navigation start -> areas coloured and the map
   idle), median of 3 fresh browser profiles.

Targets (issue 6): p95 < 50 ms with zero errors; compressed neighbourhood geometry < 1.5 MB;
first render < 2 s. Results: ``benchmarks/results/bench_web.json``.

Usage::

    python benchmarks/bench_web.py [--db ATLAS] [--requests 600] [--seconds 60]

Without ``--db`` it uses ``$AANKOMST_BENCH_DB`` or ``/tmp/real.duckdb``, or builds the
mirror into a temporary atlas (a few minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_web.json"
LEVEL = "neighbourhood"
INDICATOR = "population"

SERVER = """
import sys, uvicorn
from aankomst.web.app import create_app
uvicorn.run(create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""

NAIVE = """
import sys, json, uvicorn, geopandas as gpd, shapely
from fastapi import FastAPI, Response
import aankomst
from aankomst.indicators import compute
app = FastAPI()
DB = sys.argv[1]

@app.get("/api/areas")
def areas(level: str, layout: str = "2025"):
    a = aankomst.open(DB, read_only=True)              # a connection per request
    try:
        df = a.query("SELECT code, name_nl, geometry FROM areas WHERE level = ? AND layout = ? "
                     "AND geometry IS NOT NULL", [level, layout])
    finally:
        a.close()
    g = gpd.GeoDataFrame(df[["code", "name_nl"]], geometry=shapely.from_wkb(df["geometry"].map(bytes)), crs=31370)
    return Response(g.to_crs(4326).to_json(), media_type="application/geo+json")

@app.get("/api/values")
def values(indicator: str, level: str, period: str):
    a = aankomst.open(DB, read_only=True)
    try:
        res = compute(a, indicator, level=level, period=period)
    finally:
        a.close()
    return Response(res.data.to_json(orient="records"), media_type="application/json")

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(code: str, db: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", code, db, str(port)], cwd=str(ROOT))
    url = f"http://127.0.0.1:{port}"
    import httpx

    t0 = time.time()
    while time.time() - t0 < 120:
        try:
            httpx.get(url + "/openapi.json", timeout=2)
            return proc, url
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


async def _conn(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = url.removeprefix("http://").split(":")
    return await asyncio.open_connection(host, int(port))


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str) -> tuple[int, int]:
    """One HTTP/1.1 keep-alive GET (gzip accepted); returns (status, body bytes). A minimal client
    so that the load generator's own CPU cost (same 2 cores) stays small."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:  # chunked
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    return status, len(body)


async def load(url: str, paths: list[str], clients: int, total: int, seconds: float) -> dict:
    """``clients`` concurrent keep-alive clients share ``total`` requests (cycling through ``paths``)."""
    lat: list[float] = []
    errors: list[str] = []
    sent = 0
    deadline = time.perf_counter() + seconds
    host = url.removeprefix("http://")

    async def worker(i: int) -> None:
        nonlocal sent
        reader, writer = await _conn(url)
        try:
            while sent < total and time.perf_counter() < deadline:
                path = paths[sent % len(paths)]
                sent += 1
                t = time.perf_counter()
                try:
                    status, _ = await asyncio.wait_for(_get(reader, writer, host, path), timeout=120)
                    if status != 200:
                        errors.append(f"{status} {path}")
                except Exception as exc:  # noqa: BLE001 - counted as an error; reconnect
                    errors.append(f"{type(exc).__name__} {path}")
                    writer.close()
                    reader, writer = await _conn(url)
                lat.append((time.perf_counter() - t) * 1000)
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    wall = time.perf_counter() - t0
    lat.sort()

    def pct(q: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(q * len(lat)))], 2) if lat else None

    return {"clients": clients, "requests": len(lat), "errors": len(errors), "error_samples": errors[:5],
            "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "mean_ms": round(statistics.fmean(lat), 2) if lat else None,
            "throughput_rps": round(len(lat) / wall, 1), "wall_s": round(wall, 2)}


def sizes(url: str, paths: dict[str, str]) -> dict:
    import httpx

    out = {}
    for name, path in paths.items():
        raw = httpx.get(url + path, headers={"Accept-Encoding": "identity"}, timeout=300)
        gz = httpx.get(url + path, headers={"Accept-Encoding": "gzip"}, timeout=300)
        out[name] = {"status": raw.status_code, "raw_bytes": len(raw.content),
                     "gzip_bytes": int(gz.headers.get("content-length") or gz.num_bytes_downloaded)}
    return out


def first_render(url: str, runs: int = 3) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("AANKOMST_CHROMIUM", "/usr/bin/chromium")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
    times, features = [], 0
    with sync_playwright() as p:
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as d:
                ctx = p.chromium.launch_persistent_context(d, executable_path=chromium, headless=True, args=args,
                                                           viewport={"width": 1400, "height": 860})
                page = ctx.new_page()
                page.goto(f"{url}/?level={LEVEL}&ind={INDICATOR}")
                page.wait_for_selector('body[data-ready="1"], body[data-ready="error"]', state="attached", timeout=180_000)
                times.append(page.evaluate("window.__aankomst.firstRender"))
                features = page.evaluate("window.__aankomst.layer.features.length")
                ctx.close()
    return {"runs_ms": [round(t, 1) for t in times], "median_ms": round(statistics.median(times), 1),
            "features": features, "note": "navigation start -> areas coloured and map idle; software WebGL (SwiftShader), fresh browser profile"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=os.environ.get("AANKOMST_BENCH_DB", "/tmp/real.duckdb"))
    ap.add_argument("--requests", type=int, default=2000, help="requests per scenario (fast server)")
    ap.add_argument("--naive-requests", type=int, default=60, help="requests per scenario (naive baseline)")
    ap.add_argument("--seconds", type=float, default=60, help="time cap per scenario")
    a = ap.parse_args()

    db = a.db
    if not Path(db).exists():
        from aankomst.paths import mirror_dir
        from aankomst.sources.build import build_atlas

        db = str(Path(tempfile.mkdtemp()) / "atlas.duckdb")
        print(f"building the mirror into {db} …", flush=True)
        build_atlas(mirror_dir(), db, progress=False)

    result: dict = {"atlas": db, "level": LEVEL, "indicator": INDICATOR, "machine": f"{os.cpu_count()} cores",
                    "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    proc, url = start(SERVER, db)
    try:
        import httpx

        per = httpx.get(url + "/api/periods", params={"indicator": INDICATOR, "level": LEVEL}, timeout=600).json()
        period = per["latest"]
        t = time.perf_counter()
        first = httpx.get(url + "/api/values", params={"indicator": INDICATOR, "level": LEVEL, "period": period}, timeout=600)
        result["values_first_request_ms"] = round((time.perf_counter() - t) * 1000, 1)
        layout = first.json()["layout"]
        values_path = f"/api/values?indicator={INDICATOR}&level={LEVEL}&period={period}&form=columns"
        rows_path = f"/api/values?indicator={INDICATOR}&level={LEVEL}&period={period}"
        geo_path = f"/api/areas?level={LEVEL}&zoom=7&layout={layout}&format=compact"   # what the map loads
        geojson_path = f"/api/areas?level={LEVEL}&zoom=7&layout={layout}"
        t = time.perf_counter()
        httpx.get(url + geo_path, timeout=600)
        result["areas_first_request_ms"] = round((time.perf_counter() - t) * 1000, 1)
        result["period"], result["layout"] = period, layout
        result["payload"] = sizes(url, {f"areas_zoom{z}": f"/api/areas?level={LEVEL}&zoom={z}&layout={layout}" for z in (7, 10, 13)}
                                  | {f"areas_compact_zoom{z}": f"/api/areas?level={LEVEL}&zoom={z}&layout={layout}&format=compact"
                                     for z in (7, 10, 13)}
                                  | {"values_columns": values_path, "values_rows": rows_path})
        result["payload"]["areas_zoom7"]["features"] = len(httpx.get(url + geojson_path).json()["features"])
        result["aankomst"] = {}
        for clients in (20, 50):
            for name, paths in (("values", [values_path]), ("values_rows", [rows_path]), ("areas", [geo_path]),
                                ("areas_geojson", [geojson_path]), ("mixed", [values_path, geo_path])):
                r = asyncio.run(load(url, paths, clients, a.requests, a.seconds))
                result["aankomst"][f"{name}_{clients}"] = r
                print(f"aankomst {name:6s} {clients:2d} clients: p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  "
                      f"p99 {r['p99_ms']} ms  errors {r['errors']}  ({r['requests']} req, {r['throughput_rps']} req/s)", flush=True)
        result["first_render"] = first_render(url)
        print(f"first map render (neighbourhoods): {result['first_render']}", flush=True)
    finally:
        stop(proc)

    proc, nurl = start(NAIVE, db)
    try:
        import httpx

        naive_geo = f"/api/areas?level={LEVEL}&layout={layout}"
        naive_values = f"/api/values?indicator={INDICATOR}&level={LEVEL}&period={period}"
        result["payload"]["naive_areas"] = sizes(nurl, {"a": naive_geo})["a"]
        result["naive"] = {}
        for clients in (20, 50):
            for name, paths in (("values", [naive_values]), ("areas", [naive_geo])):
                r = asyncio.run(load(nurl, paths, clients, a.naive_requests, a.seconds))
                result["naive"][f"{name}_{clients}"] = r
                print(f"naive    {name:6s} {clients:2d} clients: p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  "
                      f"p99 {r['p99_ms']} ms  errors {r['errors']}  ({r['requests']} req)", flush=True)
    finally:
        stop(proc)

    ratios = {}
    for key, r in result["aankomst"].items():
        n = result["naive"].get(key)
        if n and r["p95_ms"] and n["p95_ms"]:
            ratios[key] = {"p50_naive_over_aankomst": round(n["p50_ms"] / r["p50_ms"], 1),
                           "p95_naive_over_aankomst": round(n["p95_ms"] / r["p95_ms"], 1)}
    gz7 = result["payload"]["areas_compact_zoom7"]["gzip_bytes"]
    for key in ("values_rows_20", "values_rows_50", "areas_geojson_20", "areas_geojson_50"):
        r, n = result["aankomst"][key], result["naive"].get(key.replace("_rows", "").replace("_geojson", ""))
        if n and r["p95_ms"] and n["p95_ms"]:
            ratios[key] = {"p50_naive_over_aankomst": round(n["p50_ms"] / r["p50_ms"], 1),
                           "p95_naive_over_aankomst": round(n["p95_ms"] / r["p95_ms"], 1)}
    ratios["geometry_bytes_naive_raw_over_aankomst_compact_gzip"] = round(result["payload"]["naive_areas"]["raw_bytes"] / gz7, 1)
    result["ratios"] = ratios
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    worst = max(r["p95_ms"] for k, r in result["aankomst"].items()
                if k.startswith(("values_2", "values_5", "areas_2", "areas_5")))  # what the map requests
    result["targets"] = {
        "p95_below_50ms": worst < 50, "worst_p95_ms": worst,
        "zero_errors": all(r["errors"] == 0 for r in result["aankomst"].values()),
        "geometry_gzip_below_1_5MB": all(v["gzip_bytes"] < 1.5e6 for k, v in result["payload"].items() if k.startswith("areas")),
        "first_render_below_2s": result["first_render"]["median_ms"] < 2000,
    }
    print("ratios:", json.dumps(ratios, indent=1))
    print("targets:", json.dumps(result["targets"]))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
