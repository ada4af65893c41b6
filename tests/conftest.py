"""Shared fixtures.

* ``mirror``: the offline mirror of official data (``../shared/data``); tests that need it are
  marked ``realdata`` and skip with a clear reason when it is absent (it is present in CI).
* ``real_atlas``: an atlas built once per test run from the whole mirror (read it, never
  write to it; copy it with ``tmp_path`` when a test must write).
* ``demo_atlas``: an atlas built once per run from the seeded demo generator.

Under pytest-xdist the workers share these two files (:func:`_built_once`).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aankomst.paths import mirror_dir


@pytest.fixture(scope="session")
def mirror() -> Path:
    d = mirror_dir()
    if d is None:
        pytest.skip("the offline mirror ../shared/data is not present (set AANKOMST_DATA)")
    return d


def _built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """The file ``name/atlas.duckdb`` built by ``build`` once per test run.

    Under pytest-xdist the workers share one copy: the first worker that needs it builds it
    while holding a file lock, the others wait for it and then open it read-only (session
    atlases are never written to by tests).
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's temporary directory, shared by the workers
    d = root / f"shared-{name}"
    d.mkdir(exist_ok=True)
    db = d / "atlas.duckdb"
    with open(d / "lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            if not (d / "built").exists():
                build(db)
                (d / "built").touch()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return db


@pytest.fixture(scope="session")
def real_atlas_path(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of an atlas built from the whole mirror (built once per run)."""
    from aankomst.sources.build import build_atlas

    return _built_once(tmp_path_factory, "real", lambda db: build_atlas(mirror, db, progress=False))


@pytest.fixture(scope="session")
def real_atlas(real_atlas_path: Path):
    import aankomst

    a = aankomst.open(str(real_atlas_path), read_only=True)
    yield a
    a.close()


@pytest.fixture(scope="session")
def demo_atlas_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of the demo atlas (seeded, offline) built once per session."""
    from aankomst.demo import build_demo

    return _built_once(tmp_path_factory, "demo", lambda db: build_demo(db, seed=42))


@pytest.fixture(scope="session")
def demo_atlas(demo_atlas_path: Path):
    import aankomst

    a = aankomst.open(str(demo_atlas_path), read_only=True)
    yield a
    a.close()


@pytest.fixture(scope="session", autouse=True)
def _session_atlases_built_side_by_side(request: pytest.FixtureRequest) -> None:
    """Under two or more xdist workers, the first builds the demo atlas and the second the real
    one at the start, side by side, when the collected tests need them: otherwise the first
    tests of both workers usually need the demo atlas and the second worker waits for it
    (~2.5 minutes) before building the real one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    wanted = {"gw0": "demo_atlas_path", "gw1": "real_atlas_path"}.get(worker)
    if wanted is None or wanted == "real_atlas_path" and mirror_dir() is None:
        return
    if any(wanted in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue(wanted)


@pytest.fixture()
def writable_copy(tmp_path: Path):
    """Return a function that copies an atlas file into ``tmp_path`` (for tests that write)."""

    def _copy(path: Path) -> Path:
        dst = tmp_path / Path(path).name
        shutil.copy(path, dst)
        return dst

    return _copy


@pytest.fixture(scope="session")
def chromium_path() -> str:
    p = os.environ.get("AANKOMST_CHROMIUM", "/usr/bin/chromium")
    if not Path(p).exists():
        pytest.skip(f"Debian chromium not found at {p} (scripts/setup.sh installs it)")
    return p


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """With ``CI=true`` a skipped test fails the run.

    The mirror, Debian chromium and PostgreSQL are present in CI (``scripts/test.sh`` installs
    and starts them), so a skip there means a broken install, not a missing optional part.
    """
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and os.environ.get("CI", "").lower() == "true" and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = "failed"
        rep.longrepr = (f"skipped with CI=true ({reason}); the mirror, chromium and PostgreSQL "
                        "must be present in CI")
