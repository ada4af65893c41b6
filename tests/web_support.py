"""Support for the web/API tests: a test client of the real application and the error check.

The API tests run the real indicator engine (``aankomst.indicators.compute``) over the seeded
demo atlas (``demo_atlas_path`` in ``conftest.py``); their expected values are computed in the
tests themselves with plain SQL over the atlas tables (:func:`sql`), never taken from the
engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

TOTAL = "sex = 'T' AND age_band = 'total'"
"""The rows of ``population`` that hold the totals over sex and age."""


@contextmanager
def client_for(db: Path | str | None, **kw: Any) -> Iterator[Any]:
    """A ``TestClient`` of ``create_app(db)`` whose bugs answer 500 (not raised in the test)."""
    from fastapi.testclient import TestClient

    from aankomst.web.app import create_app

    with TestClient(create_app(str(db) if db else None, **kw), raise_server_exceptions=False) as c:
        yield c


def error_of(r: Any, status: int | None = None, code: str | None = None) -> dict[str, Any]:
    """Check the one error shape of the API (and status/code when given); return the error."""
    if status is not None:
        assert r.status_code == status, r.text[:500]
    assert 400 <= r.status_code < 600, r.text[:500]
    body = r.json()
    assert set(body) == {"error"}, body
    e = body["error"]
    assert set(e) == {"status", "code", "message", "detail"}, e
    assert e["status"] == r.status_code
    assert isinstance(e["message"], str) and e["message"]
    if code:
        assert e["code"] == code, e
    assert "Traceback" not in r.text
    return e


def sql(atlas: Any, query: str, params: list[Any] | None = None) -> pd.DataFrame:
    """A plain SQL query over the atlas tables (the tests' independent computation)."""
    return atlas.query(query, params or [])


def population(atlas: Any, level: str, year: int, scheme: str = "total", grp: str = "total") -> pd.Series:
    """Stored counts on 1 January ``year`` of one group at ``level``, by area code."""
    df = sql(atlas, f"SELECT code, sum(count) AS n FROM population WHERE level = ? AND scheme = ? "
                    f"AND grp = ? AND {TOTAL} AND ref_date = ? GROUP BY code",
             [level, scheme, grp, f"{year}-01-01"])
    return df.set_index("code")["n"].astype(float)


def summed(atlas: Any, finer: str, level: str, year: int, scheme: str = "total",
           grp: str = "total") -> pd.Series:
    """Counts of ``finer`` areas summed along the crosswalks to ``level`` (weights applied)."""
    df = sql(atlas, "SELECT c.to_code AS code, sum(p.count * c.weight) AS n FROM population p "
                    "JOIN crosswalks c ON c.from_level = p.level AND c.from_layout = p.layout "
                    "AND c.from_code = p.code AND c.to_level = ? WHERE p.level = ? AND p.scheme = ? "
                    "AND p.grp = ? AND p.sex = 'T' AND p.age_band = 'total' AND p.ref_date = ? "
                    "GROUP BY 1", [level, finer, scheme, grp, f"{year}-01-01"])
    return df.set_index("code")["n"].astype(float)


def by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The rows of a values answer by area code."""
    return {r["area_code"]: r for r in body["data"]}
