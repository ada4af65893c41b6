"""Area reports: a printable profile of one municipality, neighbourhood or other area.

One report holds the area's key figures beside its municipality (for sub-municipal areas),
its area type (e.g. the 13 centre cities) and its region — each row with its unit, reference
date, denominator and sources —, the arrival typology with its explanation, the figures on
neighbourhoods in difficulty, a locator map and maps of the area's neighbourhoods, time-series
charts, the definitions and the small-cell rule, and the provenance of the data.

The figures are those of the web atlas's area profile (:func:`aankomst.web.profile.build_profile`,
the code behind ``GET /api/areas/{code}/profile``), computed through the same cached
:class:`~aankomst.web.service.Service`; the report is HTML from Jinja2 templates that are data
(:class:`~aankomst.web.report_text.TemplateFolder`), and PDF through headless chromium
(:mod:`aankomst.web.report_pdf`)::

    from aankomst.web.report import ReportContext
    with ReportContext.open("atlas.duckdb") as ctx:
        pdf = ctx.build("41002", lang="nl", fmt="pdf")

The command line is ``aankomst report`` (:mod:`aankomst.cli.report`), the web route
``GET /api/areas/{code}/report.pdf`` (:mod:`aankomst.web.report_routes`).
"""

from __future__ import annotations

import difflib
import math
from functools import cached_property
from pathlib import Path
from typing import Any, Self

from aankomst.errors import AankomstError, UnknownCodeError
from aankomst.web.report_text import NO_VALUE, TemplateFolder, check_lang

COLUMN_ORDER = ("area", "municipality", "area_type", "region")
"""Order of the comparison columns in a report (as in the studies' tables)."""

FORMATS = ("pdf", "html")
"""Output formats of a report."""


class ReportContext:
    """What building reports needs, kept between reports: an open atlas, the cached service
    (values of a whole level are computed once for all the reports of that level), the
    template folder and the boundaries.

    Parameters
    ----------
    atlas
        An open :class:`~aankomst.store.atlas.Atlas` (read-only is enough).
    svc
        The web :class:`~aankomst.web.service.Service` to compute through (default: a new one
        for the atlas's file); the web route passes the server's own, warm one.
    template_dir
        Folder of files overriding the packaged templates (branding), or ``None``.
    owns_atlas
        Close ``atlas`` in :meth:`close`.

    Examples
    --------
    >>> with ReportContext.open("atlas.duckdb") as ctx:  # doctest: +SKIP
    ...     html = ctx.build("41002", fmt="html", lang="fr")
    """

    def __init__(self, atlas: Any, svc: Any = None, template_dir: str | Path | None = None, *,
                 owns_atlas: bool = False) -> None:
        from aankomst.web.service import Service

        self.atlas = atlas
        self.svc = svc if svc is not None else Service(getattr(atlas, "path", None))
        self.folder = TemplateFolder(template_dir)
        self._owned = owns_atlas

    @classmethod
    def open(cls, path: str | Path, template_dir: str | Path | None = None) -> ReportContext:
        """A context on the atlas file ``path``, opened read-only (closed by :meth:`close`).

        Examples
        --------
        >>> ctx = ReportContext.open("atlas.duckdb")  # doctest: +SKIP
        """
        import aankomst

        return cls(aankomst.open(str(path), read_only=True), template_dir=template_dir, owns_atlas=True)

    def close(self) -> None:
        """Close the atlas when this context opened it."""
        if self._owned:
            self.atlas.close()
            self._owned = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def hierarchy(self) -> Any:
        """The atlas's :class:`~aankomst.store.hierarchy.Hierarchy` (its answers cached)."""
        from aankomst.store.hierarchy import Hierarchy

        return Hierarchy(self.atlas)

    def geometry(self, level: str, layout: str, simplify: bool = False) -> Any:
        """Boundaries of ``level``/``layout`` (GeoSeries by code, EPSG:31370), cached in the
        service's cache; ``simplify`` to ``locator_tolerance_m`` (for the locator map)."""
        tol = float(self.folder.settings.get("locator_tolerance_m") or 150) if simplify else 0.0

        def load() -> Any:
            import shapely

            from aankomst.outputs.maps import load_geometry

            g = load_geometry(self.atlas, level, layout)
            if tol and not g.empty:
                g = g.copy()
                g[:] = shapely.simplify(g.to_numpy(), tol, preserve_topology=True)
            return g

        return self.svc.cache.get_or_make(("report_geometry", level, layout, tol), load)

    def collect(self, code: str, level: str | None = None, lang: str = "nl") -> dict[str, Any]:
        """Everything one report shows, as plain data (see :func:`collect`)."""
        return collect(self, code, level, lang)

    def build(self, code: str, level: str | None = None, lang: str = "nl", fmt: str = "pdf",
              renderer: Any = None) -> bytes | str:
        """One report: HTML text (``fmt="html"``) or PDF bytes (``fmt="pdf"``, with
        ``renderer`` — a :class:`~aankomst.web.report_pdf.PdfRenderer` — or a fresh chromium).

        Examples
        --------
        >>> pdf = ctx.build("41002", fmt="pdf")  # doctest: +SKIP
        """
        if fmt not in FORMATS:
            raise AankomstError(f"report format {fmt!r} is not available; use pdf or html")
        data = self.collect(code, level, lang)
        html = render_html(data, self.folder)
        if fmt == "html":
            return html
        from aankomst.web.report_pdf import PdfRenderer

        footer = f"{data['area']['name']} \u00b7 {data['title']} \u00b7 {data['generated']}"
        if renderer is not None:
            return bytes(renderer.pdf(html, footer=footer))
        with PdfRenderer() as own:
            return own.pdf(html, footer=footer)


# --------------------------------------------------------------------------- the area
def resolve_area(atlas: Any, code: str, level: str | None = None) -> dict[str, Any]:
    """The area ``code`` (at ``level`` when given; ``level@layout`` for an older layout, e.g.
    ``sector@2019``), as :func:`aankomst.web.service.find_area`.

    Raises
    ------
    UnknownCodeError
        An unknown level (listing the levels) or code; the message lists the closest codes
        and names of the atlas and how to search.

    Examples
    --------
    >>> resolve_area(atlas, "41002")["name"]  # doctest: +SKIP
    'Aalst'
    """
    from aankomst.store.schema import LEVELS
    from aankomst.web import service

    layout = None
    if level is not None and "@" in level:
        level, layout = level.split("@", 1)
    if level is not None and level not in LEVELS:
        raise UnknownCodeError("level", level, known=list(LEVELS))
    try:
        return service.find_area(atlas, str(code), level, layout)
    except UnknownCodeError:
        pass
    sql = "SELECT code, level, coalesce(name_nl, name_fr, '') AS name FROM areas"
    df = atlas.query(sql + (" WHERE level = ?" if level else ""), [level] if level else [])
    labels = {f"{r.code} {r.name} ({r.level})": str(r.code) for r in df.itertuples(index=False)}
    by_code = difflib.get_close_matches(str(code), list(dict.fromkeys(labels.values())), n=6, cutoff=0.6)
    by_name = difflib.get_close_matches(str(code).lower(), [str(n).lower() for n in df["name"]], n=4, cutoff=0.7)
    known = [lab for lab, c in labels.items() if c in by_code]
    known += [lab for lab in labels if lab.split(" ", 1)[1].rsplit(" (", 1)[0].lower() in by_name]
    what = f"{level} area" if level else "area"
    hint = ("give one of these codes" if known else "no close match") + \
        "; find codes with: aankomst sql --db ATLAS \"SELECT code, name_nl FROM areas WHERE name_nl ILIKE '%NAME%'\""
    raise UnknownCodeError(what, code, known=list(dict.fromkeys(known))[:10], hint=hint)


def area_name(a: dict[str, Any], lang: str) -> str:
    """An area's name in ``lang`` (the Dutch or French official name as fallback).

    Examples
    --------
    >>> area_name({"name_nl": "Sint-Gillis", "name_fr": "Saint-Gilles"}, "fr")
    'Saint-Gilles'
    """
    order = {"nl": ("name_nl", "name_fr"), "fr": ("name_fr", "name_nl"), "en": ("name_en", "name_nl", "name_fr")}
    for key in order.get(lang, ("name_nl",)):
        if a.get(key):
            return str(a[key])
    return str(a.get("name") or a.get("code") or "")


# --------------------------------------------------------------------------- collecting
def collect(ctx: ReportContext, code: str, level: str | None = None, lang: str = "nl") -> dict[str, Any]:
    """Everything one report shows, as plain data for the templates.

    Parameters
    ----------
    ctx
        The report context (atlas, service, template folder).
    code
        Area code, e.g. ``41002`` (Aalst) or ``97001W01``.
    level
        Level of the code when ambiguous (``municipality``, ``neighbourhood`` …;
        ``level@layout`` for an older layout, e.g. ``sector@2019``).
    lang
        ``nl``, ``fr`` or ``en``.

    Returns
    -------
    dict
        ``lang, title, generated, logo, intro, area, columns, rows, notes (footnotes of the
        rows), difficulty, classification, maps, series, definitions, small_cell, provenance,
        atlas, unavailable, profile`` (``profile``: the web profile the figures come from).

    Examples
    --------
    >>> data = collect(ctx, "41002")  # doctest: +SKIP
    >>> data["area"]["name"], data["columns"][1]["name"]  # doctest: +SKIP
    ('Aalst', '13 centrumsteden')
    """
    from aankomst.indicators import ids as indicator_ids
    from aankomst.web.profile import build_profile
    from aankomst.web.report_parts import (
        columns_of,
        difficulty_table,
        earlier_rows,
        maps_of,
        provenance_of,
        series_of,
        typology_of,
    )

    check_lang(lang)
    folder, atlas, svc = ctx.folder, ctx.atlas, ctx.svc
    area = resolve_area(atlas, code, level)
    ids = folder.settings.get("indicators") or None
    profile = build_profile(atlas, svc, area["code"], area["level"], ids, None, area["layout"])
    extra = earlier_rows(ctx, area, profile, ids)
    columns = columns_of(ctx, profile, lang)
    sources = _SourceList()
    rows: list[dict[str, Any]] = []
    threshold, restricted = 5, False
    order = {ind: i for i, ind in enumerate(indicator_ids())}  # catalogue order, earlier periods in place
    for item in sorted([*profile["indicators"], *extra], key=lambda it: order.get(it["id"], len(order))):
        row, meta = _row(ctx, item, columns, area, lang, sources)
        rows.append(row)
        threshold = int(meta.get("small_cell_threshold") or threshold)
        restricted = restricted or bool(meta.get("restricted"))
    diff_ids = list(folder.settings.get("difficulty_indicators") or [])
    municipality = next((c for c in columns if c["key"] == "municipality"), None)
    typology = typology_of(ctx, profile, lang)
    maps = maps_of(ctx, area, municipality, lang)
    for m in maps["sub"]:
        sources.add(m["sources"])
        restricted = restricted or bool(m["meta"].get("restricted"))
    sources.add(maps["locator"]["sources"] if maps["locator"] else [])
    table = difficulty_table(ctx, area, municipality, lang)
    name = area_name(area, lang)
    other = [n for n in (area.get("name_nl"), area.get("name_fr")) if n and n != name]
    defs = _definitions(ctx, [*profile["indicators"], *extra, *profile["classification"],
                              *[m["meta"] for m in maps["sub"]]], lang)
    generated = folder.today(lang)
    return {
        "lang": lang, "title": folder.text("report_title", lang), "generated": generated,
        "logo": folder.data_uri(str(folder.settings.get("logo") or "")),
        "intro": folder.text("intro", lang, area=name),
        "area": {**area, "name": name, "other_names": other,
                 "level_label": folder.text("level_" + area["level"], lang),
                 "surface": (folder.number(area["area_km2"], "km2", lang) + " km²") if area.get("area_km2") else ""},
        "columns": columns,
        "rows": [r for r in rows if r["id"] not in diff_ids],
        "notes": notes_of([r for r in rows if r["id"] not in diff_ids]),
        "difficulty": {"rows": [r for r in rows if r["id"] in diff_ids],
                       "notes": notes_of([r for r in rows if r["id"] in diff_ids]
                                         + [{"cells": [t["cell"]]} for t in (table or {}).get("rows", [])]),
                       "table": table},
        "classification": typology,
        "maps": maps,
        "series": series_of(ctx, area, columns, lang),
        "definitions": defs,
        "small_cell": {"threshold": threshold, "t": threshold - 1, "restricted": restricted},
        "provenance": sources.rows,
        "atlas": provenance_of(ctx, lang),
        "unavailable": [folder.label({"id": u["indicator"], **catalogue_texts(ctx, u["indicator"])}, lang)
                        for u in profile["unavailable"] if u["indicator"] not in {r["id"] for r in rows}
                        and u["indicator"] not in {c["id"] for c in profile["classification"]}],
        "profile": profile,
    }


def notes_of(rows: list[dict[str, Any]]) -> dict[str, bool]:
    """Which footnotes a table of rows needs: ``suppressed`` (—), ``missing`` (n.b.),
    ``earlier`` (†, a row from an earlier period).

    Examples
    --------
    >>> notes_of([{"cells": [{"kind": "suppressed"}], "earlier": False}])
    {'suppressed': True, 'missing': False, 'earlier': False}
    """
    kinds = {c["kind"] for r in rows for c in r["cells"]}
    return {"suppressed": "suppressed" in kinds, "missing": "missing" in kinds,
            "earlier": any(r.get("earlier") for r in rows)}


class _SourceList:
    """Sources in order of first use, numbered from 1 (the provenance table)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self._n: dict[str, int] = {}

    def add(self, sources: list[dict[str, Any]]) -> list[int]:
        out = []
        for s in sources:
            key = str(s.get("source_id") or s.get("title") or s.get("load_id"))
            if key not in self._n:
                self._n[key] = len(self.rows) + 1
                self.rows.append({"n": self._n[key], **{k: s.get(k) for k in (
                    "source_id", "publisher", "title", "reference_date", "licence", "url")}})
            out.append(self._n[key])
        return sorted(set(out))


def catalogue_texts(ctx: ReportContext, ind: str) -> dict[str, Any]:
    """The catalogue row of ``ind`` (labels, definitions, unit …; empty when unknown)."""
    return next((r for r in ctx.svc.catalogue()["indicators"] if r["id"] == ind), {})


def cell(ctx: ReportContext, value: dict[str, Any] | None, unit: str | None, lang: str) -> dict[str, Any]:
    """One figure of the key-figure table: ``{"text", "kind"}`` with kind ``value``,
    ``suppressed`` (text ``—``, never the number) or ``missing`` (no figure).

    Examples
    --------
    >>> cell(ctx, {"value": 3.0, "suppressed": True}, "persons", "nl")  # doctest: +SKIP
    {'text': '—', 'kind': 'suppressed'}
    """
    if value is not None and value.get("suppressed"):
        return {"text": NO_VALUE, "kind": "suppressed"}
    v = None if value is None else value.get("value")
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return {"text": ctx.folder.text("no_data_short", lang), "kind": "missing"}
    return {"text": ctx.folder.number(float(v), unit, lang), "kind": "value"}


def _row(ctx: ReportContext, item: dict[str, Any], columns: list[dict[str, Any]], area: dict[str, Any],
         lang: str, sources: _SourceList) -> tuple[dict[str, Any], dict[str, Any]]:
    folder = ctx.folder
    unit = item.get("unit")
    vals = item.get("values") or {}
    mine = vals.get("area") or {}
    meta: dict[str, Any] = {}
    try:
        _, meta = ctx.svc.compute(ctx.atlas, item["id"], area["level"], item["period"],
                                  params={"layout": area["layout"]})
    except AankomstError:
        meta = {}
    denominator = ""
    d = mine.get("denominator")
    thr = int(meta.get("small_cell_threshold") or 5)
    if not mine.get("suppressed") and d is not None and not math.isnan(float(d)) and float(d) >= thr:
        denominator = folder.number(float(d), "persons", lang)
    return {
        "id": item["id"], "label": folder.label(item, lang),
        "unit": unit_text(ctx, unit, lang),
        "period": folder.period(mine.get("period") or item.get("period"), lang),
        "earlier": bool(item.get("earlier")),
        "denominator": denominator,
        "sources": sources.add(list(meta.get("sources") or [])),
        "cells": [cell(ctx, vals.get(c["key"]), unit, lang) for c in columns],
    }, meta


def unit_text(ctx: ReportContext, unit: Any, lang: str) -> str:
    """A unit in ``lang`` (``unit:…`` rows of ``strings.csv``; the catalogue's text otherwise)."""
    key = f"unit:{unit}"
    return ctx.folder.text(key, lang) if key in ctx.folder.strings else str(unit or "")


def _definitions(ctx: ReportContext, items: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for it in items:
        ind = str(it.get("id") or "")
        if not ind or ind in out:
            continue
        texts = {**catalogue_texts(ctx, ind), **{k: v for k, v in it.items() if v}}
        definition, english = ctx.folder.definition(texts, lang)
        out[ind] = {"id": ind, "label": ctx.folder.label(texts, lang), "definition": definition,
                    "english": english, "unit": unit_text(ctx, texts.get("unit"), lang),
                    "numerator": texts.get("numerator") if lang == "en" else "",
                    "denominator": texts.get("denominator") if lang == "en" else ""}
    return list(out.values())


# --------------------------------------------------------------------------- HTML
def render_html(data: dict[str, Any], folder: TemplateFolder, *, css_href: str | None = None,
                pdf_href: str | None = None) -> str:
    """The report as one HTML document (``report.html`` of the template folder).

    Parameters
    ----------
    data
        :func:`collect`'s answer.
    folder
        The template folder (packaged templates, overridden by a brand folder).
    css_href
        ``None`` (default): the stylesheet is inlined, so the file is self-contained (what
        the PDF and ``aankomst report --format html`` use). A URL: a ``<link>`` to it
        instead (the web route, whose Content-Security-Policy forbids inline styles).
    pdf_href
        A link to the PDF of the same report (web route), or ``None``.

    Returns
    -------
    str
        The HTML text (autoescaped; images as ``data:`` URIs, no external URL).

    Examples
    --------
    >>> html = render_html(collect(ctx, "41002"), ctx.folder)  # doctest: +SKIP
    """
    env = template_env(folder)
    lang = data["lang"]

    def t(key: str, **kw: Any) -> str:
        return folder.text(key, lang, **kw)

    return env.get_template("report.html").render(
        r=data, t=t, css=None if css_href else folder.css(), css_href=css_href, pdf_href=pdf_href)


def template_env(folder: TemplateFolder) -> Any:
    """The Jinja2 environment of a template folder (autoescape on, strict undefined)."""
    import jinja2

    from aankomst.web.report_text import PACKAGED

    paths = ([str(folder.user)] if folder.user is not None else []) + [str(PACKAGED)]
    return jinja2.Environment(loader=jinja2.FileSystemLoader(paths), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def report_filename(code: str, lang: str, fmt: str) -> str:
    """File name of a report, e.g. ``aankomst_rapport_41002_nl.pdf``.

    Examples
    --------
    >>> report_filename("41002", "nl", "pdf")
    'aankomst_rapport_41002_nl.pdf'
    """
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(code))
    return f"aankomst_rapport_{safe}_{lang}.{fmt}"
