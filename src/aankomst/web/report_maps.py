"""Maps of the area reports: a locator map and maps of the area's neighbourhoods.

Both are drawn with matplotlib and embedded in the report as ``data:`` URIs (SVG by default,
PNG with ``"map_format": "png"`` in ``report.json``), so the report loads nothing from
anywhere. The neighbourhood maps use the static-map machinery of :mod:`aankomst.outputs`
(:func:`~aankomst.outputs.maps.load_geometry`, :func:`~aankomst.outputs.mapdraw.draw_choropleth`) and the classes *as in the web atlas*:
limits computed over every area of the level (not only the municipality's), categories with
their declared colours for categorical indicators (the arrival typology).
"""

from __future__ import annotations

import base64
import dataclasses
import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aankomst.errors import AankomstError

if TYPE_CHECKING:
    from aankomst.classification import Classification
    from aankomst.web.report import ReportContext


def figure_uri(fig: Any, fmt: str = "svg", dpi: int = 110) -> str:
    """A matplotlib figure as a ``data:`` URI (``svg`` or ``png``), deterministic.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure_uri(Figure(figsize=(1, 1)), "png", 20).startswith("data:image/png;base64,")
    True
    """
    import matplotlib

    from aankomst.outputs.mapdraw import RC

    buf = io.BytesIO()
    with matplotlib.rc_context(RC):
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "Aankomst"})
            mime = "image/svg+xml"
        else:
            fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": "Aankomst"})
            mime = "image/png"
    return f"data:{mime};base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def geometry_sources(atlas: Any, level: str, layout: str) -> list[dict[str, Any]]:
    """Provenance rows of the boundary files of ``level``/``layout`` (for the report's table)."""
    df = atlas.query(
        "SELECT DISTINCT p.load_id, p.source_id, p.title, p.publisher, p.url, p.reference_date, p.licence "
        "FROM areas a JOIN provenance p ON a.load_id = p.load_id "
        "WHERE a.level = ? AND a.layout = ? AND a.geometry IS NOT NULL ORDER BY p.load_id",
        [level, layout])
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in df.to_dict("records")]


def category_classes(spec: Any, classes: pd.Series, suppressed: pd.Series, lang: str) -> Classification:
    """A :class:`~aankomst.classification.Classification` of a categorical indicator's
    classes (declared order and colours; the legend in ``lang``)."""
    from aankomst.classification import Classification

    cats = spec.category_list()
    order = {c.value: i for i, c in enumerate(cats)}
    idx = np.array([-1 if s else order.get(str(c), -1) for c, s in zip(classes, suppressed)], dtype=int)
    k = len(cats)
    method = {"nl": "categorieën van de indicator", "en": "categories of the indicator",
              "fr": "catégories de l'indicateur"}
    return Classification(
        scheme="categories", k=k, breaks=np.arange(1, k + 1, dtype=float), edges=np.arange(k + 1, dtype=float),
        classes=idx, counts=np.bincount(idx[idx >= 0], minlength=k), labels_nl=[c.label("nl") for c in cats],
        labels_en=[c.label("fr" if lang == "fr" else "en") for c in cats], method_nl=method["nl"],
        method_en=method["fr" if lang == "fr" else "en"], palette=[c.colour for c in cats],
        palette_id="categories", n_missing=int((idx < 0).sum()))


def atlas_classes(all_values: pd.Series, values: pd.Series, scheme: str, n_level: int, level_label: str,
                  lang: str) -> Classification:
    """Classes of ``values`` with the limits the web atlas uses: computed over ``all_values``
    (every area of the level) by ``scheme`` and carried over as manual limits."""
    from aankomst.classification import classify

    kind = scheme.split(":")[0]
    if kind not in ("jenks", "quantiles", "equal"):
        return classify(values.to_numpy(dtype=float), scheme)
    full = classify(all_values.to_numpy(dtype=float), scheme)
    inner = [float(b) for b in full.edges[1:-1]]
    if not inner:
        return full
    sub = classify(values.to_numpy(dtype=float), "manual:" + ",".join(repr(b) for b in inner),
                   palette=full.palette_id)
    over = {"nl": f"; grenzen berekend over alle {n_level} {level_label}",
            "en": f"; limits computed over all {n_level} {level_label}",
            "fr": f" ; limites calculées sur les {n_level} {level_label}"}
    labels = sub.labels_nl if lang == "fr" else sub.labels_en
    return dataclasses.replace(sub, method_nl=full.method("nl") + over["nl"],
                               method_en=full.method("en") + over["fr" if lang == "fr" else "en"],
                               labels_en=labels)


def children_of(ctx: ReportContext, level: str, layout: str, parent: dict[str, Any]) -> set[str]:
    """Codes of the areas of ``level``/``layout`` inside ``parent`` (``code, level, layout``),
    by :meth:`aankomst.store.hierarchy.Hierarchy.parent_map`; empty when no crosswalk links them."""
    try:
        links = ctx.hierarchy.parent_map((level, layout), (parent["level"], parent["layout"]))
    except AankomstError:
        return set()
    return set(links.loc[links["parent"].astype(str) == str(parent["code"]), "code"].astype(str))


def locator(ctx: ReportContext, area: dict[str, Any], municipality: dict[str, Any] | None) -> dict[str, Any] | None:
    """The locator map: every municipality of the atlas, the area's municipality and the area.

    Returns
    -------
    dict or None
        ``uri`` (data URI), ``sources`` (boundary provenance); ``None`` when the atlas has no
        municipal boundaries.
    """
    import geopandas as gpd
    from matplotlib.figure import Figure

    base = ctx.geometry("municipality", "2025", simplify=True)
    if base.empty:
        return None
    colour = str(ctx.folder.settings.get("highlight_colour") or "#1f5f8b")
    minx, miny, maxx, maxy = base.total_bounds
    fig = Figure(figsize=(6.4, min(max(6.4 * (maxy - miny) / max(maxx - minx, 1.0), 2.0), 6.4)))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_aspect("equal")
    gpd.GeoSeries(base.to_numpy()).plot(ax=ax, color="#e4e4e4", edgecolor="#ffffff", linewidth=0.3)
    outline = ctx.geometry("province", "2025", simplify=True)
    if not outline.empty:
        gpd.GeoSeries(outline.to_numpy()).boundary.plot(ax=ax, color="#8a8a8a", linewidth=0.5)
    sources = geometry_sources(ctx.atlas, "municipality", "2025")
    shapes = []
    if municipality is not None and municipality.get("code") != area["code"]:
        mg = base.get(municipality["code"])
        if mg is not None:
            shapes.append((mg, "#9ecae1", 0.4))
    own = ctx.geometry(area["level"], area["layout"], simplify=area["level"] != "neighbourhood")
    geom = own.get(area["code"]) if not own.empty else None
    if geom is not None:
        shapes.append((geom, colour, 0.6))
        if area["level"] != "municipality":
            sources += geometry_sources(ctx.atlas, area["level"], area["layout"])
    for g, col, lw in shapes:
        gpd.GeoSeries([g]).plot(ax=ax, color=col, edgecolor="#000000", linewidth=lw)
    if geom is not None and geom.area < 2e7:  # small areas: a marker so that they can be found
        pt = geom.representative_point()
        ax.plot([pt.x], [pt.y], marker="o", markersize=9, markerfacecolor="none", markeredgecolor="#000000",
                markeredgewidth=1.4)
    ax.set_xlim(minx - 2000, maxx + 2000)
    ax.set_ylim(miny - 2000, maxy + 2000)
    fmt = str(ctx.folder.settings.get("map_format") or "svg")
    return {"uri": figure_uri(fig, fmt, int(ctx.folder.settings.get("map_dpi") or 110)), "sources": sources}


def sub_map(ctx: ReportContext, ind: str, level: str, parent: dict[str, Any], area: dict[str, Any],
            lang: str) -> dict[str, Any] | None:
    """A map of ``ind`` for the areas of ``level`` inside ``parent`` (e.g. Aalst's
    neighbourhoods), the report's area outlined; ``None`` when there is nothing to draw.

    Returns
    -------
    dict or None
        ``uri``, ``caption``, ``indicator``, ``period``, ``sources`` (of the figures and the
        boundaries), ``meta`` (the indicator's metadata).
    """
    from aankomst.outputs.mapdraw import MapTexts, draw_choropleth

    svc, atlas, folder = ctx.svc, ctx.atlas, ctx.folder
    spec = svc.spec(ind)
    if not spec.has_level(level):
        return None
    try:
        per = svc.latest(atlas, ind, level)
        if not per:
            return None
        df, meta = svc.compute(atlas, ind, level, per)
    except AankomstError:
        return None
    if df.empty:
        return None
    layout = str(df["layout"].mode().iloc[0])
    inside = children_of(ctx, level, layout, parent)
    if not inside:
        return None
    geo = ctx.geometry(level, layout)
    geo = geo[geo.index.isin(inside)]
    sub = df[df["area_code"].astype(str).isin(inside)].reset_index(drop=True)
    sup = sub["suppressed"].fillna(False).astype(bool)
    if geo.empty or sub.empty or (sub["value"].isna() & ~sup).all():
        return None
    map_lang = "nl" if lang == "nl" else "en"
    lvl_label = folder.text("levels_" + level, lang) if ("levels_" + level) in folder.strings else level
    if spec.kind == "categorical":
        cls = category_classes(spec, sub.get("class", pd.Series([None] * len(sub))), sup, lang)
    else:
        vals = pd.to_numeric(df["value"], errors="coerce").where(~df["suppressed"].fillna(False).astype(bool))
        mine = pd.to_numeric(sub["value"], errors="coerce").where(~sup)
        cls = atlas_classes(vals, mine, str(meta.get("class_hint") or "jenks:5"), int(vals.notna().sum()),
                            lvl_label, lang)
    label = folder.label({**meta, "id": ind}, lang)
    bsources = geometry_sources(atlas, level, layout)
    src = "; ".join(dict.fromkeys(f"{s.get('publisher') or ''} {s.get('title') or ''}".strip()
                                  for s in [*(meta.get("sources") or []), *bsources]))
    notes = [folder.text("highlight_note", lang)] if area["code"] != parent["code"] else []
    from aankomst.web.report import unit_text

    # the definition is in the report's definitions section (and would not wrap to this size)
    texts = MapTexts(title=f"{label} \u2014 {parent['name']}", definition="",
                     reference=folder.period((meta.get("reference_periods") or [per])[0], lang), source=src,
                     unit=unit_text(ctx, meta.get("unit"), lang), notes=notes)
    minx, miny, maxx, maxy = geo.total_bounds
    wide = (maxx - minx) / max(maxy - miny, 1.0) > 1.35  # draw_choropleth's own rule
    fig, _ = draw_choropleth(sub, geo, cls, texts, lang=map_lang, figsize=(7.6, 5.4) if wide else (6.8, 6.0),
                             threshold=int(meta.get("small_cell_threshold") or 5))
    own = ctx.geometry(area["level"], area["layout"])
    geom = own.get(area["code"]) if not own.empty else None
    if geom is not None and area["code"] != parent["code"]:
        import geopandas as gpd

        gpd.GeoSeries([geom]).boundary.plot(ax=fig.axes[0], color="#000000", linewidth=2.2)
    fmt = str(folder.settings.get("map_format") or "svg")
    caption = folder.text("sub_map_caption", lang, indicator=label, level=lvl_label, parent=parent["name"],
                          period=folder.period(per, lang))
    return {"uri": figure_uri(fig, fmt, int(folder.settings.get("map_dpi") or 110)), "caption": caption,
            "indicator": ind, "period": per, "meta": meta,
            "sources": [*(meta.get("sources") or []), *bsources]}
