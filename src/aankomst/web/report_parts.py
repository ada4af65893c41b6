"""The parts of an area report beyond the profile's key figures: comparison columns, figures of
an earlier period where the newest one has none for the area, the arrival typology, the
neighbourhoods in difficulty, maps, time series and the atlas's provenance summary.

Every figure is computed through the report's :class:`~aankomst.web.service.Service`
(:func:`aankomst.indicators.compute`, small-cell rule applied) and cached there, so the
reports of one batch share the values of a whole level.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from aankomst.errors import AankomstError
from aankomst.web.report import COLUMN_ORDER, area_name, catalogue_texts, cell, unit_text
from aankomst.web.report_charts import Line, line_chart
from aankomst.web.report_maps import children_of, locator, sub_map

if TYPE_CHECKING:
    from aankomst.web.report import ReportContext

COARSE = ("municipality", "arrondissement", "province", "region", "country")
"""Levels whose report maps the areas inside the area itself (finer levels: inside their
municipality)."""


def columns_of(ctx: ReportContext, profile: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The comparison columns of the profile (area, municipality, area type, region) with
    their names in ``lang`` and headings.

    Examples
    --------
    >>> [c["key"] for c in columns_of(ctx, profile, "nl")]  # doctest: +SKIP
    ['area', 'area_type', 'region']
    """
    from aankomst.web import service

    out = []
    for col in sorted(profile["columns"], key=lambda c: COLUMN_ORDER.index(c["column"])
                      if c["column"] in COLUMN_ORDER else 99):
        try:
            a = service.find_area(ctx.atlas, col["code"], col["level"], col["layout"])
        except AankomstError:
            a = {"name": col.get("name"), "code": col["code"]}
        key = col["column"]
        heading = (ctx.folder.text("level_" + col["level"], lang) if key == "area"
                   else ctx.folder.text("col_" + key, lang))
        out.append({"key": key, "code": col["code"], "level": col["level"], "layout": col["layout"],
                    "name": area_name(a, lang), "heading": heading[:1].upper() + heading[1:]})
    return out


def earlier_rows(ctx: ReportContext, area: dict[str, Any], profile: dict[str, Any],
                 ids: list[str] | None) -> list[dict[str, Any]]:
    """Profile rows of the indicators that the profile leaves out because their newest period
    has no figure for this area (e.g. a 2025 population file of Brussels only), each from the
    newest period that has one (at most ``earlier_tries`` periods back, ``report.json``).

    Each row is :func:`~aankomst.web.profile.build_profile`'s own row for that period, marked
    ``earlier: True``.
    """
    from aankomst.indicators import specs
    from aankomst.web.profile import build_profile

    atlas, svc = ctx.atlas, ctx.svc
    shown = {r["id"] for r in profile["indicators"]} | {r["id"] for r in profile["classification"]}
    tries = int(ctx.folder.settings.get("earlier_tries") or 6)
    out = []
    for spec in specs():
        if spec.id in shown or not spec.has_level(area["level"]) or spec.kind == "categorical":
            continue
        if ids and spec.id not in ids:
            continue
        try:
            periods = svc.periods(atlas, spec.id, area["level"])
        except AankomstError:
            continue
        for per in list(reversed(periods))[1:tries + 1]:
            try:
                df, _ = svc.compute(atlas, spec.id, area["level"], per, params={"layout": area["layout"]})
            except AankomstError:
                continue
            hit = df[df["area_code"] == area["code"]]
            if hit.empty or (hit["value"].isna() & ~hit["suppressed"]).all():
                continue
            got = build_profile(atlas, svc, area["code"], area["level"], [spec.id], per, area["layout"])
            out += [{**r, "earlier": True} for r in got["indicators"]]
            break
    return out


def typology_of(ctx: ReportContext, profile: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The categorical classifications of the profile (the arrival typology …): the area's
    class, its colour, its explanation, the period and the legend of all classes."""
    folder = ctx.folder
    out = []
    for item in profile["classification"]:
        spec = ctx.svc.spec(item["id"])
        cats = spec.category_list()
        v = (item.get("values") or {}).get("area") or {}
        current = str(v.get("class") or "")
        cat = next((c for c in cats if c.value == current), None)
        if v.get("suppressed"):
            label, explanation = "\u2014", ""
        else:
            label = str(v.get(f"class_label_{lang}") or (cat.label(lang) if cat else "")
                        or folder.text("no_data_short", lang))
            explanation = str(item.get("explanation") if lang == "nl" else item.get("explanation_en") or "")
        out.append({"id": item["id"], "label": folder.label(item, lang), "class_label": label,
                    "colour": cat.colour if cat else "#d9d9d9", "explanation": explanation,
                    "suppressed": bool(v.get("suppressed")),
                    "period": folder.period(v.get("period") or item.get("period"), lang),
                    "legend": [{"label": c.label(lang), "colour": c.colour, "current": c.value == current}
                               for c in cats]})
    return out


def _sub_plan(ctx: ReportContext, area: dict[str, Any], municipality: dict[str, Any] | None,
              lang: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The area whose sub-areas the maps show (the area itself for coarse levels, else its
    municipality) and the sub-levels to try (``sub_levels`` in ``report.json``)."""
    levels = list((ctx.folder.settings.get("sub_levels") or {}).get(area["level"]) or [])
    if area["level"] in COARSE:
        return {**area, "name": area_name(area, lang)}, levels
    return municipality, levels


def maps_of(ctx: ReportContext, area: dict[str, Any], municipality: dict[str, Any] | None,
            lang: str) -> dict[str, Any]:
    """The locator map and up to ``max_sub_maps`` maps of the sub-areas (``sub_maps`` of
    ``report.json``, in order; the first sub-level that has any)."""
    st = ctx.folder.settings
    loc = locator(ctx, area, municipality)
    if loc is not None:
        ctx_name = municipality["name"] if municipality else ""
        loc["caption"] = ctx.folder.text("locator_caption", lang, area=area_name(area, lang),
                                         context=ctx_name or ctx.folder.text("level_" + area["level"], lang))
    host, levels = _sub_plan(ctx, area, municipality, lang)
    subs: list[dict[str, Any]] = []
    if host is not None:
        for lv in levels:
            for ind in st.get("sub_maps") or []:
                if len(subs) >= int(st.get("max_sub_maps") or 2):
                    break
                m = sub_map(ctx, str(ind), lv, host, area, lang)
                if m is not None:
                    subs.append(m)
            if subs:
                break
    return {"locator": loc, "sub": subs}


def difficulty_table(ctx: ReportContext, area: dict[str, Any], municipality: dict[str, Any] | None,
                     lang: str) -> dict[str, Any] | None:
    """The sub-areas with the highest value of ``difficulty_table`` (``report.json``, default
    ``in_difficulty``: share of residents in BIMD decile-1 sectors) inside the area (or its
    municipality), the report's own area marked; ``None`` when the atlas has none."""
    st = ctx.folder.settings
    ind = str(st.get("difficulty_table") or "")
    host, levels = _sub_plan(ctx, area, municipality, lang)
    if not ind or host is None:
        return None
    svc = ctx.svc
    for lv in levels:
        if not svc.spec(ind).has_level(lv):
            continue
        try:
            per = svc.latest(ctx.atlas, ind, lv)
            if not per:
                continue
            df, meta = svc.compute(ctx.atlas, ind, lv, per)
        except AankomstError:
            continue
        if df.empty:
            continue
        inside = children_of(ctx, lv, str(df["layout"].mode().iloc[0]), host)
        sub = df[df["area_code"].astype(str).isin(inside)].copy()
        if sub.empty:
            continue
        sub["_sort"] = pd.to_numeric(sub["value"], errors="coerce").where(~sub["suppressed"].astype(bool))
        sub = sub.sort_values(["_sort", "area_name"], ascending=[False, True], na_position="last")
        rows = []
        for r in sub.head(int(st.get("difficulty_table_rows") or 10)).to_dict("records"):
            rows.append({"code": r["area_code"], "name": r.get("area_name") or r["area_code"],
                         "cell": cell(ctx, r, meta.get("unit"), lang), "self": r["area_code"] == area["code"]})
        label = ctx.folder.label({**meta, "id": ind}, lang)
        return {"title": ctx.folder.text("difficulty_table", lang, indicator=label,
                                         period=ctx.folder.period(per, lang)),
                "unit": unit_text(ctx, meta.get("unit"), lang), "rows": rows, "n": len(sub)}
    return None


def series_of(ctx: ReportContext, area: dict[str, Any], columns: list[dict[str, Any]],
              lang: str) -> list[dict[str, Any]]:
    """Time-series charts of the ``series`` indicators (``report.json``): the last
    ``series_max_periods`` periods on offer at the area's level, one line per comparison
    column; counts are drawn as an index (first year = 100) so that areas of any size compare."""
    folder, svc, atlas = ctx.folder, ctx.svc, ctx.atlas
    colours = list(folder.settings.get("chart_colours") or ["#1f5f8b"])
    n_max = int(folder.settings.get("series_max_periods") or 12)
    out = []
    for ind in folder.settings.get("series") or []:
        spec = svc.spec(str(ind))
        if not spec.has_level(area["level"]) or spec.kind == "categorical":
            continue
        try:
            periods = svc.periods(atlas, spec.id, area["level"])[-n_max:]
        except AankomstError:
            continue
        lines, unit = [], ""
        for col in columns:
            if not spec.has_level(col["level"]):
                continue
            vals: list[float | None] = []
            for p in periods:
                try:
                    df, meta = svc.compute(atlas, spec.id, col["level"], p, params={"layout": col["layout"]})
                except AankomstError:
                    vals.append(None)
                    continue
                unit = str(meta.get("unit") or unit)
                hit = df[(df["area_code"] == col["code"]) & ~df["suppressed"].astype(bool)]
                v = pd.to_numeric(hit["value"], errors="coerce").dropna()
                vals.append(float(v.iloc[0]) if len(v) else None)
            lines.append(Line(col["name"], vals))
        have = [i for i, v in enumerate(lines[0].values) if v is not None] if lines else []
        if len(have) < 2:
            continue
        keep = slice(have[0], have[-1] + 1)  # the periods with a figure for the area
        periods = periods[keep]
        for ln in lines:
            ln.values = ln.values[keep]
        index = spec.kind == "count"
        if index:
            for ln in lines:
                first = next((v for v in ln.values if v), None)
                ln.values = [None if v is None or not first else 100.0 * v / first for v in ln.values]
        y_label = folder.text("series_index", lang) if index else unit_text(ctx, unit, lang)
        label = folder.label({**catalogue_texts(ctx, spec.id), "id": spec.id}, lang)
        tick_unit = "index" if index else unit

        def tick(v: float, u: str = tick_unit) -> str:
            return _tick(ctx, v, u, lang)

        svg = line_chart([str(p)[:4] if len(str(p)) == 10 else str(p) for p in periods], lines,
                         y_label=y_label, colours=colours, title=label, fmt=tick)
        out.append({"id": spec.id, "label": label, "svg": svg, "unit": y_label})
    return out


def _tick(ctx: ReportContext, v: float, unit: str, lang: str) -> str:
    d = 0 if unit == "index" or abs(v) >= 100 or float(v).is_integer() else 1
    return ctx.folder.number(v, unit, lang, decimals=d) if math.isfinite(v) else ""


def provenance_of(ctx: ReportContext, lang: str) -> dict[str, Any]:
    """The atlas file, its build date and its number of source files (for the provenance
    section)."""
    df = ctx.atlas.query("SELECT count(*) AS n, max(loaded_at) AS built FROM provenance")
    built = df["built"].iloc[0]
    when = ctx.folder.period(pd.Timestamp(built).date().isoformat(), lang) if pd.notna(built) else "?"
    path = Path(str(getattr(ctx.atlas, "path", "atlas.duckdb"))).name
    return {"file": path, "built": when, "n": int(df["n"].iloc[0]),
            "text": ctx.folder.text("prov_atlas", lang, file=path, built=when, n=int(df["n"].iloc[0]))}
