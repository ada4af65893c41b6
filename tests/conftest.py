"""Shared fixtures.

* ``mirror``: the offline mirror of official data (``../shared/data``); tests that need it are
  marked ``realdata`` and skip with a clear reason when it is absent (it is present in CI).
* ``real_atlas``: an atlas built once per test session from the whole mirror (read it, never
  write to it; copy it with ``tmp_path`` when a test must write).
* ``demo_atlas``: an atlas built once per session from the seeded demo generator.
"""

from __future__ import annotations

import os
import shutil
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


@pytest.fixture(scope="session")
def real_atlas_path(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of an atlas built from the whole mirror (built once per session)."""
    from aankomst.sources.build import build_atlas

    db = tmp_path_factory.mktemp("real") / "atlas.duckdb"
    build_atlas(mirror, db, progress=False)
    return db


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

    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(db, seed=42)
    return db


@pytest.fixture(scope="session")
def demo_atlas(demo_atlas_path: Path):
    import aankomst

    a = aankomst.open(str(demo_atlas_path), read_only=True)
    yield a
    a.close()


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
