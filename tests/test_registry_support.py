"""Shared helpers and fixtures for the registry tests (imported by tests/test_registry_*.py).

The hand-built atlas: four 1 km × 1 km square neighbourhoods in EPSG:31370 on a row
(x from 150,000 m; y 210,000–211,000 m), the fourth far east::

    N1 [150000,151000]  N2 [151000,152000]  N3 [152000,153000]  …  N4 [170000,171000]

municipality 11002 = N1 ∪ N2, municipality 11005 = N3 ∪ the gap ∪ N4. Neighbourhood centres
are the squares' centres (x = 150500, 151500, 152500, 170500; y = 210500).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PG_ENV = "AANKOMST_TEST_PG_URL"
# Cheap argon2id parameters for the test suite only (hashes still argon2id; production uses
# the library defaults). Set before any hash is made.
os.environ.setdefault("AANKOMST_REGISTRY_ARGON2", "1,8192,1")
SQUARES = {
    "N1": (150000, 151000),
    "N2": (151000, 152000),
    "N3": (152000, 153000),
    "N4": (170000, 171000),
}
Y0, Y1 = 210000, 211000
MUNIS = {"11002": (150000, 152000), "11005": (152000, 171000)}
PASSWORD = "correct horse battery"


def lonlat(x: float, y: float) -> tuple[float, float]:
    """EPSG:31370 -> (lon, lat)."""
    from aankomst.registry.areas import to_4326

    lon, lat = to_4326([x], [y])
    return float(lon[0]), float(lat[0])


def build_fixture_atlas(path: Path) -> Path:
    """Write the hand-built atlas described in the module docstring."""
    import pandas as pd
    import shapely

    from aankomst.sources.base import LoadBatch
    from aankomst.store.atlas import Atlas

    rows = []
    for code, (x0, x1) in SQUARES.items():
        rows.append(("neighbourhood", "2025", code, f"Buurt {code}", shapely.box(x0, Y0, x1, Y1)))
    for code, (x0, x1) in MUNIS.items():
        rows.append(("municipality", "2025", code, f"Gemeente {code}", shapely.box(x0, Y0, x1, Y1)))
    areas = pd.DataFrame({
        "level": [r[0] for r in rows], "layout": [r[1] for r in rows], "code": [r[2] for r in rows],
        "name_nl": [r[3] for r in rows], "name_fr": None, "name_en": None,
        "area_km2": [r[4].area / 1e6 for r in rows],
        "geometry": [shapely.to_wkb(r[4]) for r in rows],
    })
    pop = pd.DataFrame({
        "level": "neighbourhood", "layout": "2025", "code": ["N1", "N2", "N3", "N4"],
        "ref_date": pd.to_datetime("2025-01-01").date(), "scheme": "total", "grp": "total",
        "sex": "T", "age_band": "total", "count": [3000, 1000, 500, 500],
    })
    with Atlas(str(path)) as a:
        a.load([LoadBatch(source_id="test/registry-areas", family="test", path="fixture", sha256="0",
                          tables={"areas": areas, "population": pop}, rows_read=len(areas))])
    return path


def payload(**over: Any) -> dict[str, Any]:
    """A valid resource record in N1 (municipality 11002) unless overridden."""
    lon, lat = lonlat(150500, 210500)
    d = {
        "name": "Wijkgezondheidscentrum De Brug",
        "description": "Zorg ongeacht verblijfsstatus",
        "domains": ["health"],
        "spheres": ["redistribution"],
        "provider_type": "subsidised_ngo",
        "formality": "formal",
        "scale": "neighbourhood",
        "eligibility": ["status_all"],
        "functions": ["service"],
        "languages": ["nl", "ar"],
        "address": "Kerkstraat 1",
        "municipality_nis": "11002",
        "lon": lon,
        "lat": lat,
    }
    d.update(over)
    return d


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV)


@pytest.fixture(scope="session")
def _registry_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Migrated empty registries made once per session, copied for every test (fast)."""
    from aankomst.registry import db

    out: dict[str, str] = {}
    f = tmp_path_factory.mktemp("regtpl") / "template.sqlite"
    db.init_db(f"sqlite:///{f}")
    out["sqlite"] = str(f)
    admin = None
    base = _pg_admin_url()
    if base:
        import sqlalchemy as sa

        name = "regtpl_" + uuid.uuid4().hex[:10]
        admin = sa.create_engine(db.normalise_url(base), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        db.init_db(base.rsplit("/", 1)[0] + "/" + name)
        out["postgres"] = name
    db.dispose_all()
    yield out
    if admin is not None:
        import sqlalchemy as sa

        db.dispose_all()
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{out["postgres"]}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path,
                 _registry_templates: dict[str, str]) -> Iterator[str]:
    """An initialised, empty registry on SQLite or on PostgreSQL (a fresh database copied from
    a migrated template)."""
    import shutil

    from aankomst.registry import db

    if request.param == "sqlite":
        dst = tmp_path / "registry.sqlite"
        shutil.copy(_registry_templates["sqlite"], dst)
        url = f"sqlite:///{dst}"
        yield url
        db.dispose_all()
        return
    base = _pg_admin_url()
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (scripts/test.sh starts a throw-away server and sets it)")
    import sqlalchemy as sa

    name = "reg_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(db.normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{_registry_templates["postgres"]}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    yield url
    db.dispose_all()
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_user(url: str, name: str, role: str, scope: list[str] | None = None) -> None:
    """Add an account with :data:`PASSWORD`."""
    from aankomst.registry.auth import add_user
    from aankomst.registry.db import session_factory

    with session_factory(url, write=True)() as s, s.begin():
        add_user(s, name, PASSWORD, role, scope)


def app_for(url: str, atlas: Path | None = None) -> Any:
    """A FastAPI app with only the registry router mounted."""
    from fastapi import FastAPI

    from aankomst.registry.web import make_router

    app = FastAPI()
    app.include_router(make_router(url, str(atlas) if atlas else None))
    return app


@pytest.fixture(scope="module")
def atlas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-built atlas of the module docstring (once per test module)."""
    return build_fixture_atlas(tmp_path_factory.mktemp("atlas") / "fixture.duckdb")


def client(app: Any) -> Any:
    """A TestClient that answers errors as responses (never raises the app's exceptions)."""
    from fastapi.testclient import TestClient

    return TestClient(app, raise_server_exceptions=False)


def login(client: Any, name: str) -> str:
    """Log in through the API; returns the CSRF token."""
    r = client.post("/api/registry/login", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]
