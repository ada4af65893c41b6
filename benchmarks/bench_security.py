"""Bounded loopback load test of the registry under attack (issue 14, docs/security.md).

A uvicorn server (one process, as ``aankomst serve --registry URL`` runs it, no atlas) on
127.0.0.1 with a SQLite registry of generated resources and the production argon2
parameters. For a bounded time:

* **50 readers** (asyncio + httpx, ~0.5 s between requests): searches near a point, searches
  by domain and eligibility, single resources, ``/healthz``;
* **5 attackers** sending failing logins as fast as they get answers, each with another user
  name and a rotating ``X-Forwarded-For`` (the way to dodge a per-address lock when the
  server trusts that header from loopback);
* **1 importer** posting a large CSV import (``--import-rows`` rows, ``dry_run=1``: parsed
  and validated in full, not written, so the registry stays the same size) again and again.

Each scenario starts a fresh server and first asks every distinct search once (read
responses are cached until the registry changes; dry-run imports change nothing), so all
start equally warm. Reported: read latency p50/p95/p99/max, read errors, health-check p95,
login answers by status, imports done. Scenarios: ``quiet`` (readers only) and ``attack``; for the current
code also ``attack_trusted_proxy`` (the server is told to trust ``X-Forwarded-For`` from
127.0.0.1, so every attacker looks like a new address and every login costs a full argon2
check — a distributed attack), and the two parts of it alone: ``logins_only_trusted_proxy``
and ``import_only``. The servers keep idle connections 30 s (uvicorn's 5 s makes pooled
client connections race with the server closing them). With ``--before REV`` the same runs go against the code of
an earlier commit (checked out with ``git archive`` into a temporary folder; its server
trusts ``X-Forwarded-For`` from loopback, as uvicorn does by default and ``aankomst serve``
did before the fix).

Run: ``python benchmarks/bench_security.py [--seconds 20] [--before 5943e3c]``.
Results: printed as JSON and written to ``benchmarks/results/bench_security.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password 1"
CENTRE = (51.2194, 4.4025)  # Antwerpen (lat, lon)

SETUP = r"""
import sys, pathlib
from aankomst.registry.db import init_db, session_factory
from aankomst.registry.auth import add_user, create_token
from aankomst.registry.io import import_records, read_records
url, csv_path, password, out = sys.argv[1:5]
init_db(url)
with session_factory(url, write=True)() as s, s.begin():
    root = add_user(s, "root", password, "admin")
    _, token = create_token(s, root, "bench")
rep = import_records(session_factory(url, write=True), read_records(pathlib.Path(csv_path)), actor="bench")
assert rep["ok"], rep["problems"][:3]
pathlib.Path(out).write_text(token)
"""

SERVER = r"""
import sys, uvicorn
from aankomst.web.app import create_app
url, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
kw = {"default": {}, "none": {"proxy_headers": False},
      "trusted": {"proxy_headers": True, "forwarded_allow_ips": "127.0.0.1"}}[mode]
uvicorn.run(create_app(None, registry_url=url), host="127.0.0.1", port=port, log_level="warning",
            access_log=False, timeout_keep_alive=30, **kw)
"""


def resources_csv(n: int, seed: int) -> str:
    """``n`` resources scattered around Antwerpen (municipality 11002), as an import CSV."""
    rng = random.Random(seed)
    doms = ["health", "language", "work", "housing", "social_services", "documents_legal", "education"]
    lines = ["name,domains,spheres,provider_type,formality,scale,eligibility,languages,municipality_nis,lon,lat"]
    for i in range(n):
        lat = CENTRE[0] + rng.uniform(-0.03, 0.03)
        lon = CENTRE[1] + rng.uniform(-0.04, 0.04)
        lines.append(f"Voorziening {seed}-{i},{rng.choice(doms)};{rng.choice(doms)},"
                     f"{rng.choice(['market', 'redistribution', 'reciprocity'])},public,formal,"
                     f"{rng.choice(['neighbourhood', 'municipality'])},"
                     f"{rng.choice(['status_all', 'undocumented', 'belgian'])},nl;fr,11002,"
                     f"{lon:.6f},{lat:.6f}")
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(src: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "AANKOMST_REGISTRY_ARGON2"}  # production argon2
    env["PYTHONPATH"] = str(src)
    return env


def prepare(src: Path, work: Path, n: int) -> tuple[str, str]:
    """Initialise a registry with the code in ``src``: admin account, token, ``n`` resources."""
    work.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{work / 'registry.sqlite'}"
    csv_path = work / "resources.csv"
    csv_path.write_text(resources_csv(n, 1), encoding="utf-8")
    subprocess.run([sys.executable, "-c", SETUP, url, str(csv_path), PASSWORD, str(work / "token")],
                   env=_env(src), check=True, cwd=work)
    return url, (work / "token").read_text().strip()


class Server:
    """The app under test in its own process."""

    def __init__(self, src: Path, url: str, mode: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, url, str(self.port), mode],
                                     env=_env(src), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    async def ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(timeout=2) as c:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode()[-2000:] if self.proc.stderr else "server died")
                try:
                    if (await c.get(self.base + "/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


OFFSETS = (-0.02, -0.01, 0.0, 0.01, 0.02)
DOMAINS = ("health", "language", "work")


def _near(dlat: float, dlon: float) -> str:
    return f"/api/resources?near={CENTRE[0] + dlat:.4f},{CENTRE[1] + dlon:.4f}&radius_m=1500&limit=50"


def _by_domain(domain: str) -> str:
    return f"/api/resources?domain={domain}&eligible=undocumented&limit=50"


async def warm_up(base: str) -> None:
    """Ask every distinct search once (the server caches read responses until a change), so
    that every scenario starts from the same warm state."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=120) as c:
        for path in [_near(a, b) for a in OFFSETS for b in OFFSETS] + [_by_domain(d) for d in DOMAINS]:
            (await c.get(path)).raise_for_status()


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, round(q * (len(v) - 1)))] * 1000, 1)


async def run_scenario(base: str, token: str, *, seconds: float, readers: int, attackers: int,
                       importer: bool, import_csv: str, n_resources: int, think: float) -> dict[str, Any]:
    """Readers, attackers and importer against ``base`` for ``seconds``."""
    import httpx

    deadline = time.monotonic() + seconds
    reads: list[float] = []
    health: list[float] = []
    read_errors: dict[str, int] = {}
    logins: dict[str, int] = {}
    login_times: list[float] = []
    imports: dict[str, int] = {}
    import_times: list[float] = []
    limits = httpx.Limits(max_connections=readers + attackers + 4, max_keepalive_connections=readers + attackers + 4)
    timeout = httpx.Timeout(60.0)

    async def reader(c: httpx.AsyncClient, k: int) -> None:
        rng = random.Random(k)
        await asyncio.sleep(rng.uniform(0, think))
        while time.monotonic() < deadline:
            pick = rng.random()
            if pick < 0.35:
                path = _near(rng.choice(OFFSETS), rng.choice(OFFSETS))
            elif pick < 0.6:
                path = _by_domain(rng.choice(DOMAINS))
            elif pick < 0.85:
                path = f"/api/resources/{rng.randint(1, n_resources)}"
            else:
                path = "/healthz"
            t = time.perf_counter()
            try:
                r = await c.get(path)
                dt = time.perf_counter() - t
                if r.status_code >= 400:
                    read_errors[str(r.status_code)] = read_errors.get(str(r.status_code), 0) + 1
            except httpx.HTTPError as exc:
                dt = time.perf_counter() - t
                read_errors[type(exc).__name__] = read_errors.get(type(exc).__name__, 0) + 1
            reads.append(dt)
            if path == "/healthz":
                health.append(dt)
            await asyncio.sleep(think)

    async def attacker(c: httpx.AsyncClient, k: int) -> None:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            xff = f"198.51.{(k * 37 + i) % 250}.{(i * 13) % 250 + 1}"
            t = time.perf_counter()
            try:
                r = await c.post("/api/registry/login", json={"name": f"attacker{k}-{i}", "password": "wrong password!"},
                                 headers={"X-Forwarded-For": xff})
                key = str(r.status_code)
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            login_times.append(time.perf_counter() - t)
            logins[key] = logins.get(key, 0) + 1

    async def uploader(c: httpx.AsyncClient) -> None:
        body = import_csv.encode()
        while time.monotonic() < deadline:
            t = time.perf_counter()
            try:
                r = await c.post("/api/resources/import?format=csv&dry_run=1", content=body,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
                key = str(r.status_code)
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            import_times.append(time.perf_counter() - t)
            imports[key] = imports.get(key, 0) + 1

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as rc, \
            httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as ac, \
            httpx.AsyncClient(base_url=base, timeout=timeout) as ic:
        tasks = [asyncio.create_task(reader(rc, k)) for k in range(readers)]
        tasks += [asyncio.create_task(attacker(ac, k)) for k in range(attackers)]
        if importer:
            tasks.append(asyncio.create_task(uploader(ic)))
        await asyncio.gather(*tasks)
    return {
        "reads": len(reads), "read_errors": sum(read_errors.values()), "read_error_kinds": read_errors,
        "read_p50_ms": _pct(reads, 0.50), "read_p95_ms": _pct(reads, 0.95), "read_p99_ms": _pct(reads, 0.99),
        "read_max_ms": _pct(reads, 1.0), "healthz_p95_ms": _pct(health, 0.95), "healthz_max_ms": _pct(health, 1.0),
        "logins": logins, "login_p50_ms": _pct(login_times, 0.5),
        "imports": imports, "import_mean_s": round(statistics.mean(import_times), 2) if import_times else None,
    }


def run_version(name: str, src: Path, work: Path, scenarios: list[tuple[str, str, bool, bool]],
                args: argparse.Namespace) -> dict[str, Any]:
    """Prepare a registry with this code and run its scenarios (each with a fresh server)."""
    url, token = prepare(src, work, args.resources)
    import_csv = resources_csv(args.import_rows, 2)
    out: dict[str, Any] = {}
    for label, mode, logins, imports in scenarios:
        if args.only and label not in args.only.split(","):
            continue
        server = Server(src, url, mode)
        try:
            asyncio.run(server.ready())
            asyncio.run(warm_up(server.base))
            res = asyncio.run(run_scenario(
                server.base, token, seconds=args.seconds if logins or imports else args.quiet_seconds,
                readers=args.readers, attackers=args.attackers if logins else 0, importer=imports,
                import_csv=import_csv, n_resources=args.resources, think=args.think))
        finally:
            server.stop()
        res["server_proxy_headers"] = mode
        out[label] = res
        print(f"[{name}] {label}: {json.dumps(res)}", file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="duration of each attack run")
    ap.add_argument("--quiet-seconds", type=float, default=10.0, help="duration of each readers-only run")
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--attackers", type=int, default=5)
    ap.add_argument("--think", type=float, default=0.5, help="seconds between a reader's requests")
    ap.add_argument("--resources", type=int, default=5000, help="resources in the registry")
    ap.add_argument("--import-rows", type=int, default=5000, help="rows of the large import")
    ap.add_argument("--before", default=None, help="also run against the code of this git commit")
    ap.add_argument("--only", default="", help="run only these scenarios (comma separated), e.g. import_only")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bench_security.json"))
    args = ap.parse_args()

    result: dict[str, Any] = {
        "benchmark": "bench_security",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
        "config": {k: getattr(args, k) for k in ("seconds", "quiet_seconds", "readers", "attackers", "think",
                                                 "resources", "import_rows", "before")},
        "runs": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-security-") as tmp:
        t = Path(tmp)
        result["runs"]["after"] = run_version(
            "after", ROOT / "src", t / "after",
            [("quiet", "none", False, False), ("attack", "none", True, True),
             ("attack_trusted_proxy", "trusted", True, True), ("logins_only_trusted_proxy", "trusted", True, False),
             ("import_only", "none", False, True)], args)
        if args.before:
            old = t / "before-src"
            old.mkdir()
            tar = subprocess.run(["git", "-C", str(ROOT), "archive", args.before, "src"], check=True,
                                 capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=tar, check=True)
            result["runs"]["before"] = run_version(
                f"before {args.before}", old / "src", t / "before",
                [("quiet", "default", False, False), ("attack", "default", True, True)], args)
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(result, indent=1)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
