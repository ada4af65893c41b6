"""One writer per atlas, with real processes: while one process writes an atlas, a second
``aankomst build`` of it stops at once (or waits with ``--wait``) with a clear message naming the
file, no traceback, and the atlas unchanged."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from _foundation_data import good_dir, snapshot

from aankomst.errors import AankomstError
from aankomst.sources.build import build_atlas
from aankomst.store.lock import holder, lock_path, writer_lock

CLI = [sys.executable, "-c", "from aankomst.cli import main; main()"]

HOLD_LOCK = """
import sys, time
from aankomst.store.lock import writer_lock
with writer_lock(sys.argv[1], command="aankomst build (test holder)"):
    print("locked", flush=True)
    hold = float(sys.argv[2])
    time.sleep(hold) if hold else sys.stdin.read()
"""

HOLD_OPEN = """
import sys
from aankomst.store.atlas import Atlas
atlas = Atlas(sys.argv[1])
print("open", flush=True)
sys.stdin.read()
atlas.close()
"""


@pytest.fixture()
def built(tmp_path: Path) -> tuple[Path, Path]:
    data = good_dir(tmp_path / "data")
    db = tmp_path / "atlas.duckdb"
    build_atlas(data, db, progress=False)
    return data, db


def _hold(script: str, *args: str) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-c", script, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() in ("locked", "open")
    return p


def _build(data: Path, db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "build", "--data", str(data), "--db", str(db), "--quiet", *extra],
                          capture_output=True, text=True, timeout=120, check=False)


def test_second_build_stops_at_once(built):
    data, db = built
    before = snapshot(db)
    holder_proc = _hold(HOLD_LOCK, str(db), "0")
    try:
        t0 = time.perf_counter()
        res = _build(data, db)
        elapsed = time.perf_counter() - t0
    finally:
        holder_proc.communicate("", timeout=30)
    assert res.returncode == 2, res.stdout + res.stderr
    err = " ".join(res.stderr.split())  # the console wraps long lines
    assert "another process is writing this atlas" in err and str(db) in err
    assert f"PID {holder_proc.pid}" in err and "--wait" in err
    assert "Traceback" not in res.stderr + res.stdout
    assert elapsed < 30  # it did not wait for, nor read, anything
    assert snapshot(db) == before
    assert not lock_path(db).exists()  # released and removed by the holder


def test_wait_lets_the_second_build_run_after_the_first(built):
    data, db = built
    holder_proc = _hold(HOLD_LOCK, str(db), "2")
    t0 = time.perf_counter()
    res = _build(data, db, "--wait", "60")
    holder_proc.wait(timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr
    assert time.perf_counter() - t0 >= 1.5
    assert "user/population.csv" in res.stdout


def test_build_while_another_process_has_the_atlas_open(built):
    """DuckDB's own lock (e.g. another command writing through the store, or a server reading):
    the build fails with one clear message instead of a DuckDB traceback."""
    data, db = built
    before = snapshot(db)
    holder_proc = _hold(HOLD_OPEN, str(db))
    try:
        res = _build(data, db)
        sql = subprocess.run([*CLI, "sql", "--db", str(db), "SELECT 1"], capture_output=True, text=True, timeout=60,
                             check=False)
    finally:
        holder_proc.communicate("", timeout=30)
    for r in (res, sql):
        assert r.returncode == 2, r.stdout + r.stderr
        err = " ".join(r.stderr.split())
        assert "another process" in err and str(db) in err and f"PID {holder_proc.pid}" in err
        assert "Traceback" not in r.stderr + r.stdout
    assert snapshot(db) == before


def test_writer_lock_in_process(tmp_path: Path):
    db = tmp_path / "atlas.duckdb"
    with writer_lock(db, command="first"):
        assert holder(db)["command"] == "first"
        script = "import sys\nfrom aankomst.store.lock import writer_lock\nwith writer_lock(sys.argv[1], wait=0.5):\n    pass"
        proc = subprocess.run([sys.executable, "-c", script, str(db)], capture_output=True, text=True, timeout=60,
                              check=False)
        assert proc.returncode != 0 and "AtlasBusyError" in proc.stderr and "waited 0.5 s" in proc.stderr
    with writer_lock(db):  # released: free again
        pass
    with pytest.raises(AankomstError, match="cannot create the lock file"), writer_lock(tmp_path / "missing" / "atlas.duckdb"):
        pass
