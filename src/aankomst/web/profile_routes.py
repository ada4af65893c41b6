"""HTTP routes of area profiles: one area, two areas side by side, and time series.

``GET /api/areas/{code}/profile`` reads the atlas's profile table when it is fresh
(:mod:`aankomst.web.profile_table`, cold answers in milliseconds) and computes on the fly
otherwise; ``?compare=CODE`` adds a second area with its own comparison columns.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from aankomst.web.api import (
    CODE_PATTERN,
    Q_GROUP,
    Q_IND,
    Q_LAYOUT,
    Q_PERIOD,
    Q_SCHEME,
    Level,
    _cached,
    _ctx,
    _json,
)
from aankomst.web.profile import build_comparison, build_profile, build_series
from aankomst.web.state import Payload

router = APIRouter()

Q_INDICATORS = Query(None, pattern=r"^[A-Za-z0-9_.\-,]{1,800}$",
                     description="comma-separated indicator ids (default: all at this level)")


@router.get("/api/areas/{code}/profile", tags=["areas"], summary="Area profile with comparison columns")
async def profile(request: Request, code: str = Path(..., pattern=CODE_PATTERN),
                  level: Level | None = Query(None, description="level of the code when it is ambiguous"),  # type: ignore[valid-type]
                  indicators: str | None = Q_INDICATORS, period: str | None = Q_PERIOD,
                  layout: str | None = Q_LAYOUT,
                  compare: str | None = Query(None, pattern=CODE_PATTERN,
                                              description="code of a second area shown side by side"),
                  compare_level: Level | None = Query(None, description="level of the second area (default: "  # type: ignore[valid-type]
                                                      "the first area's level when the code exists there)"),
                  compare_layout: str | None = Q_LAYOUT) -> Response:
    """The area (names nl/fr, level, area), its municipality, region and area type, the value
    of each indicator for the area and for each comparison column — the newest period on offer
    (``latest_period``), or where the area has no figure then, the newest earlier period that
    has one (``period``, ``earlier: true``) — unless ``period``; its categorical
    classifications (arrival typology …) with their explanation, and the provenance of the
    figures. With ``compare``: the same for a second area under ``compare`` (its own
    comparison columns). ``computed`` says whether the profile came from the atlas's profile
    table (``table``) or was computed on the fly (``live``)."""

    def make() -> Payload:
        atlas, svc = _ctx(request)
        ids = [i for i in (indicators or "").split(",") if i] or None
        if compare:
            body: dict[str, Any] = build_comparison(atlas, svc, code, level, compare, compare_level, ids, period,
                                                    layout, compare_layout)
        else:
            body = build_profile(atlas, svc, code, level, ids, period, layout)
        return Payload.make(_json(body))

    return await _cached(request, make)


@router.get("/api/areas/{code}/series", tags=["areas"], summary="Time series of an indicator for an area")
async def series(request: Request, code: str = Path(..., pattern=CODE_PATTERN), indicator: str = Q_IND,
                 level: Level | None = Query(None),  # type: ignore[valid-type]
                 group: str | None = Q_GROUP, scheme: str | None = Q_SCHEME, layout: str | None = Q_LAYOUT) -> Response:
    """Every period on offer of ``indicator`` for the area and its comparison columns
    (municipality, region, area type): ``{"periods": [...], "series": [{"column", "code",
    "name", "values": [...]}]}``."""

    def make() -> Payload:
        atlas, svc = _ctx(request)
        return Payload.make(_json(build_series(atlas, svc, code, level, indicator, group, scheme, layout)))

    return await _cached(request, make)
