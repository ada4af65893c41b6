"""Web pages and JSON API of the OCMW dashboard (issue 12).

* ``GET /ocmw/{code}?lang=nl|fr|en[&measure=leefloon]`` — the dashboard page (Jinja2, autoescaped,
  CSS from ``/ocmw/static/ocmw.css``, no inline script or style: the Content-Security-Policy of
  the app holds). The neighbourhood map is drawn by ``/static/js/ocmw.js`` (MapLibre from
  ``/static/vendor``, geometry from ``GET /api/areas``) from the protected figures the page
  carries in ``data-areas``; a standalone file (``--format html``) shows them as a table;
* ``GET /api/ocmw/{code}`` — the same data as JSON;
* ``GET /api/ocmw/{code}/export.csv`` — the protected cells as spreadsheet-safe CSV
  (:mod:`aankomst.csvsafe`).

Mount with ``app.include_router(make_router())`` (``docs/ocmw.md``, wiring). Errors are
Aankomst errors, answered in the app's one JSON error shape by its handlers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates" / "ocmw"
CODE = r"^[0-9]{5}$"
LANG = r"^(nl|fr|en)$"
MEASURE = r"^[a-z0-9_]{1,40}$"


def _env() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _fmt_num
    return env


def _fmt_num(v: Any, digits: int = 0, lang: str = "nl") -> str:
    """A number for display (thousands separator by language), ``–`` when missing."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    text = f"{float(v):,.{digits}f}"
    if lang in ("nl", "fr"):
        sep = "." if lang == "nl" else "\u202f"
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", sep)
    return text


def _spark(values: list[float | None], width: int = 220, height: int = 48) -> str:
    """SVG polyline points for a series (empty when fewer than two values)."""
    pts = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(pts) < 2:
        return ""
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    span = (hi - lo) or 1.0
    n = max(len(values) - 1, 1)
    return " ".join(f"{4 + i * (width - 8) / n:.1f},{height - 4 - (v - lo) * (height - 8) / span:.1f}"
                    for i, v in pts)


def render_dashboard(data: dict[str, Any], *, standalone: bool = False, practices: str | None = None) -> str:
    """HTML of a dashboard (:func:`aankomst.ocmw.dashboard.dashboard`).

    Parameters
    ----------
    data
        The dashboard data.
    standalone
        Embed the stylesheet (a file opened from disk, ``aankomst ocmw dashboard --format html``:
        no script, the neighbourhood figures as a table); otherwise link
        ``/ocmw/static/ocmw.css`` and the map's script (the web app forbids inline styles).
    practices
        Address of the exchange of practices for this OCMW (``/registry/practices?ocmw=CODE``),
        linked from the page; ``None`` (no registry mounted, a file on disk) shows no link.

    Returns
    -------
    str
        A complete HTML document (autoescaped).

    Examples
    --------
    >>> html = render_dashboard(dashboard(atlas, "11002"), standalone=True)  # doctest: +SKIP
    >>> "8.303" in html  # doctest: +SKIP
    True
    """
    from aankomst.ocmw.catalogue import group_label, ui_text

    lang = data.get("lang", "nl")
    trend = data.get("trend", [])
    sparks = {
        "recipients": _spark([t["recipients"]["value"] for t in trend]),
        "BEL": _spark([t["per_1000"]["BEL"]["value"] for t in trend]),
        "ETR": _spark([t["per_1000"]["ETR"]["value"] for t in trend]),
    }
    css = (TEMPLATES / "ocmw.css").read_text(encoding="utf-8") if standalone else None
    nb = data.get("neighbourhoods") or {"kind": "none", "areas": [], "classes": [], "map": False}
    tpl = _env().get_template("dashboard.html")
    return tpl.render(d=data, t=lambda k: ui_text(k, lang), lang=lang, sparks=sparks, css=css,
                      glabel=lambda s, g: group_label(s, g, lang), practices=practices,
                      nb=nb, nb_areas=map_areas(nb, lang), nb_nodata=sum(
                          1 for a in nb["areas"] if a.get("value") is None and not a.get("suppressed")))


def map_areas(nb: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The areas of the neighbourhood map as the page's script reads them (``data-areas``).

    Parameters
    ----------
    nb
        ``neighbourhoods`` of a dashboard (:func:`aankomst.ocmw.neighbourhoods.neighbourhood_table`).
    lang
        ``nl``, ``fr`` or ``en``: names and texts.

    Returns
    -------
    list of dict
        Per area: ``c`` code, ``n`` name, ``f`` fill colour (``None``: withheld or no figure),
        ``s`` withheld (0/1), ``v`` the text of its figure (a number in the language's format,
        "withheld" or "no data" translated; empty for outlines).
    """
    from aankomst.ocmw.catalogue import ui_text

    digits = 1 if nb.get("unit") == "%" else 0
    unit = " %" if nb.get("unit") == "%" else ""
    out = []
    for a in nb.get("areas", []):
        if nb.get("kind") == "none":
            text = ""
        elif a.get("suppressed"):
            text = ui_text("withheld", lang)
        elif a.get("value") is None:
            text = ui_text("no_data", lang)
        else:
            text = _fmt_num(a["value"], digits, lang) + unit
        name = a.get("name") or (a.get("name_fr") if lang == "fr" else None) or a.get("name_nl") or a["code"]
        out.append({"c": a["code"], "n": name, "f": a.get("colour"), "s": int(bool(a.get("suppressed"))), "v": text})
    return out


def json_ready(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k != "cells"}
    return json.loads(json.dumps(out, default=str))


def make_router() -> APIRouter:
    """The OCMW router (pages and API), reading the app's atlas pool.

    Examples
    --------
    >>> app.include_router(make_router())  # doctest: +SKIP
    """
    router = APIRouter()

    def _atlas(request: Request) -> Any:
        from aankomst.web.state import AtlasUnavailable

        pool = request.app.state.pool
        if pool is None:
            raise AtlasUnavailable("this server was started without an atlas (aankomst serve --db FILE)")
        return pool.get()

    def _data(request: Request, code: str, lang: str, measure: str) -> dict[str, Any]:
        from aankomst.ocmw.dashboard import dashboard

        return dashboard(_atlas(request), code, lang=lang, measure=measure)

    @router.get("/ocmw/static/ocmw.css", include_in_schema=False)
    def css() -> Response:
        return FileResponse(TEMPLATES / "ocmw.css", media_type="text/css")

    @router.get("/ocmw/{code}", include_in_schema=False)
    def page(request: Request, code: str = PathParam(..., pattern=CODE),
             lang: str = Query("nl", pattern=LANG), measure: str = Query("leefloon", pattern=MEASURE)
             ) -> HTMLResponse:
        # the exchange of practices lives in the registry: linked only when it is mounted
        mounted = getattr(request.app.state, "registry_path", None) is not None
        html = render_dashboard(_data(request, code, lang, measure),
                                practices=f"/registry/practices?ocmw={code}" if mounted else None)
        return HTMLResponse(html, headers={"cache-control": "no-cache"})

    @router.get("/api/ocmw/{code}", tags=["values"])
    def api(request: Request, code: str = PathParam(..., pattern=CODE),
            lang: str = Query("nl", pattern=LANG), measure: str = Query("leefloon", pattern=MEASURE)
            ) -> JSONResponse:
        """OCMW dashboard data: key figures, trend, breakdowns, trajectories, comparison."""
        return JSONResponse(json_ready(_data(request, code, lang, measure)))

    @router.get("/api/ocmw/{code}/export.csv", tags=["values"])
    def export(request: Request, code: str = PathParam(..., pattern=CODE),
               measure: str = Query("leefloon", pattern=MEASURE)) -> Response:
        """The dashboard's protected cells as CSV (suppressed cells empty)."""
        from aankomst.csvsafe import to_csv
        from aankomst.ocmw.dashboard import export_table

        text = to_csv(export_table(_data(request, code, "en", measure)))
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="ocmw_{code}.csv"'})

    return router
