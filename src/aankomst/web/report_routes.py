"""Web routes of the area reports (a FastAPI router the application includes).

* ``GET /api/areas/{code}/report.pdf?level=&lang=`` — the report as A4 PDF (download);
* ``GET /api/areas/{code}/report.html?level=&lang=`` — the same report as a web page (its
  stylesheet linked, not inline: the server's Content-Security-Policy forbids inline styles);
* ``GET /api/reports/report.css`` — that stylesheet.

The figures come from the server's own warm :class:`~aankomst.web.service.Service` and its
per-thread read-only atlas; the PDF is printed by one chromium in one background thread
(:class:`~aankomst.web.report_pdf.SharedRenderer`, started on the first PDF, closed when the
application shuts down). Finished reports are cached like every other answer.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from aankomst.web.api import CODE_PATTERN, Lang, Level
from aankomst.web.report import ReportContext, render_html, report_filename
from aankomst.web.report_pdf import SharedRenderer
from aankomst.web.report_text import TemplateFolder
from aankomst.web.state import AtlasUnavailable, Payload

_renderer: SharedRenderer | None = None
_lock = threading.Lock()


def shared_renderer() -> SharedRenderer:
    """The process's one PDF renderer (created on first use)."""
    global _renderer
    with _lock:
        if _renderer is None:
            _renderer = SharedRenderer()
        return _renderer


def close_renderer() -> None:
    """Close the shared renderer (application shutdown); a later PDF starts a new one."""
    global _renderer
    with _lock:
        r, _renderer = _renderer, None
    if r is not None:
        r.close()


router = APIRouter(on_shutdown=[close_renderer])

Q_LEVEL = Query(None, description="level of the code when it is ambiguous (municipality, neighbourhood …)")
Q_LANG = Query("nl", description="language of the report: nl, fr or en")


def _ctx(request: Request) -> tuple[Any, Any]:
    pool = request.app.state.pool
    if pool is None:
        raise AtlasUnavailable("this server was started without an atlas (aankomst serve --db FILE)")
    return pool.get(), request.app.state.service


def _query(level: str | None, lang: str) -> str:
    return f"lang={lang}" + (f"&level={level}" if level else "")


@router.get("/api/areas/{code}/report.pdf", tags=["areas"], summary="Area report as PDF (A4)",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
async def report_pdf(request: Request, code: str = Path(..., pattern=CODE_PATTERN),
                     level: Level | None = Q_LEVEL, lang: Lang = Q_LANG) -> Response:  # type: ignore[valid-type]
    """The printable report of an area: its key figures beside its municipality, area type and
    region (unit, reference date, denominator and source per row), arrival typology with
    explanation, neighbourhoods in difficulty, maps, time series, definitions, the small-cell
    rule and the provenance of the data. The first report of a level can take a while (the
    values of the whole level are computed once); later ones come from the cache."""

    def make() -> Payload:
        atlas, svc = _ctx(request)
        pdf = ReportContext(atlas, svc).build(code, level, str(lang), "pdf", renderer=shared_renderer())
        assert isinstance(pdf, bytes)
        return Payload.make(pdf, "application/pdf")

    payload = await _cached(request, ("report", code, level, lang, "pdf"), make)
    return Response(payload.body, media_type="application/pdf", headers={
        "content-disposition": f'attachment; filename="{report_filename(code, str(lang), "pdf")}"',
        "etag": payload.etag, "cache-control": "public, max-age=300"})


@router.get("/api/areas/{code}/report.html", tags=["areas"], summary="Area report as a web page",
            response_class=HTMLResponse)
async def report_html(request: Request, code: str = Path(..., pattern=CODE_PATTERN),
                      level: Level | None = Q_LEVEL, lang: Lang = Q_LANG) -> Response:  # type: ignore[valid-type]
    """The report of ``/api/areas/{code}/report.pdf`` as HTML, with a link to the PDF."""

    def make() -> Payload:
        atlas, svc = _ctx(request)
        ctx = ReportContext(atlas, svc)
        data = ctx.collect(code, level, str(lang))
        html = render_html(data, ctx.folder, css_href="/api/reports/report.css",
                           pdf_href=f"/api/areas/{code}/report.pdf?{_query(level, str(lang))}")
        return Payload.make(html.encode("utf-8"), "text/html; charset=utf-8")

    payload = await _cached(request, ("report", code, level, lang, "html"), make)
    return Response(payload.body, media_type=payload.media_type,
                    headers={"etag": payload.etag, "cache-control": "public, max-age=300"})


@router.get("/api/reports/report.css", tags=["areas"], summary="Stylesheet of the report pages",
            response_class=Response)
def report_css() -> Response:
    """The packaged report stylesheet (``templates/report/report.css``)."""
    return Response(TemplateFolder().css(), media_type="text/css; charset=utf-8",
                    headers={"cache-control": "public, max-age=300"})


async def _cached(request: Request, key: tuple[Any, ...], make: Any) -> Payload:
    """A report from the service's cache, or made once in the thread pool (errors cached too)."""
    svc = request.app.state.service
    hit = svc.cache.get(key)
    if isinstance(hit, Payload):
        return hit
    return await run_in_threadpool(svc.cache.get_or_make, key, make)
