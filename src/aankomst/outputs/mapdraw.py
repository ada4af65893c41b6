"""Draw a classed choropleth (with optional proportional circles) and save it as PNG or SVG.

This module knows nothing about the atlas: it takes a table of values and a table of
geometries (EPSG:31370) and the texts to print. :mod:`aankomst.outputs.maps` feeds it from an
atlas (``render_map``).

Every map shows: title, definition, reference date(s), source, class method, a legend with the
class limits and the number of areas per class, and — distinctly and explained — areas whose
value is suppressed by the small-cell rule (hatched) and areas without data (grey).

SVG output is deterministic (fixed ``svg.hashsalt``, no date, text kept as ``<text>``) and its
groups carry ids that tests and scripts can rely on:

``class-0`` … ``class-{k-1}`` (areas per class, one ``<path>`` per polygon part), ``no-data``,
``suppressed``, ``context`` (outlines), ``circles``, ``legend``, ``circle-legend``, ``title``,
``definition``, ``reference``, ``source``, ``method``, ``notes``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aankomst.classification import Classification, classify
from aankomst.classification.core import format_number
from aankomst.classification.schemes import special_colours
from aankomst.privacy import is_small

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "aankomst",
    "svg.fonttype": "none",
    "svg.id": "aankomst-map",
    "font.family": "DejaVu Sans",
    "path.simplify": True,
    "hatch.linewidth": 0.6,
}
"""Matplotlib settings used for every map (deterministic SVG, text as text)."""

TEXTS = {
    "nl": {
        "no_data": "geen gegevens",
        "suppressed": "afgeschermd (kleine aantallen)",
        "suppressed_note": "Afgeschermd: tellingen van 1 tot {t} personen (en aandelen daarop) worden niet "
        "getoond (privacyregel kleine aantallen).",
        "no_data_note": "Geen gegevens: het gebied heeft geen waarde voor deze periode.",
        "source": "Bron",
        "method": "Klassen",
        "reference": "Referentiedatum",
        "count": "aantal",
        "areas": "gebieden",
    },
    "en": {
        "no_data": "no data",
        "suppressed": "suppressed (small numbers)",
        "suppressed_note": "Suppressed: counts of 1 to {t} persons (and shares based on them) are not "
        "shown (small-cell privacy rule).",
        "no_data_note": "No data: the area has no value for this period.",
        "source": "Source",
        "method": "Classes",
        "reference": "Reference date",
        "count": "count",
        "areas": "areas",
    },
}


@dataclass
class MapTexts:
    """Texts printed on a map (already in the map's language)."""

    title: str
    definition: str = ""
    reference: str = ""
    source: str = ""
    unit: str = ""
    circle_title: str = ""
    notes: list[str] = field(default_factory=list)


def _explode(geoms: Any) -> tuple[Any, np.ndarray]:
    """Polygon parts of each geometry and the index of the geometry each part belongs to."""
    import shapely

    parts, idx = shapely.get_parts(np.asarray(geoms), return_index=True)
    keep = shapely.get_type_id(parts) == 3  # polygons only
    return parts[keep], idx[keep]


def _poly_collection(geoms: Any, **kw: Any) -> Any:
    """A matplotlib PathCollection with one path per polygon part (holes kept)."""
    import shapely
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path as MPath
    from shapely.geometry.polygon import orient

    parts, _ = _explode(geoms)
    paths = []
    for poly in parts:
        poly = orient(poly, 1.0)  # exterior counter-clockwise, holes clockwise: holes stay empty
        n_holes = int(shapely.get_num_interior_rings(poly))
        rings = [shapely.get_exterior_ring(poly), *(shapely.get_interior_ring(poly, h) for h in range(n_holes))]
        verts, codes = [], []
        for ring in rings:
            xy = shapely.get_coordinates(ring)
            if len(xy) < 3:
                continue
            verts.append(xy)
            c = np.full(len(xy), MPath.LINETO, dtype=np.uint8)
            c[0] = MPath.MOVETO
            c[-1] = MPath.CLOSEPOLY
            codes.append(c)
        if verts:
            paths.append(MPath(np.concatenate(verts), np.concatenate(codes)))
    coll = PathCollection(paths, **kw)
    coll.set_transform(None)
    return coll


def _add(ax: Any, geoms: Any, gid: str, **kw: Any) -> Any:
    if len(geoms) == 0:
        return None
    coll = _poly_collection(geoms, **kw)
    coll.set_transform(ax.transData)
    coll.set_gid(gid)
    ax.add_collection(coll, autolim=True)
    return coll


def _nice_circle_values(vmax: float) -> list[float]:
    if vmax <= 0:
        return []
    p = 10 ** np.floor(np.log10(vmax))
    top = max(m * p for m in (1, 2, 5, 10) if m * p <= vmax) if vmax >= p else vmax
    vals = sorted({top, _round_sig(top / 4), _round_sig(top / 16)})
    return [v for v in vals if v >= 1]


def _round_sig(v: float) -> float:
    if v <= 0:
        return 0.0
    p = 10 ** np.floor(np.log10(v))
    return float(round(v / p) * p)


def draw_choropleth(
    frame: pd.DataFrame,
    geometry: Any,
    classification: Classification | str = "jenks:5",
    texts: MapTexts | None = None,
    *,
    lang: str = "nl",
    circles: str | None = None,
    context: Any = None,
    threshold: int = 5,
    figsize: tuple[float, float] | None = None,
    palette: str | None = None,
    simplify: bool = True,
    circle_max: float | None = None,
) -> tuple[Any, Classification]:
    """Draw a classed choropleth.

    Parameters
    ----------
    frame
        One row per area: ``area_code``, ``value`` and optionally ``suppressed`` (bool) and a
        count column for circles (``numerator`` or the column named by ``circles``).
    geometry
        ``geopandas.GeoSeries`` (or GeoDataFrame with ``geometry``) indexed by area code, in a
        projected CRS (EPSG:31370). Areas in ``geometry`` without a row in ``frame`` are drawn
        as "no data".
    classification
        A :class:`Classification` of ``frame.value`` (same order) or a class-scheme string.
    texts
        Title, definition, reference date(s), source, unit, notes.
    lang
        ``nl`` or ``en`` (legend labels and fixed texts).
    circles
        Name of a count column to draw as proportional circles (area ∝ count), or ``None``.
        Counts ``1 .. threshold-1`` are never drawn (small-cell rule).
    context
        Optional GeoSeries of outlines drawn on top (e.g. municipal boundaries).
    threshold
        Small-cell threshold (counts below it are suppressed).
    figsize, palette
        Figure size in inches (default by the map's shape) and palette id (``data/palettes.csv``).
    circle_max
        Count given the largest circle (default: the largest count on this map); give the same
        value to several maps to compare their circles.
    simplify
        Simplify outlines to 1/4000 of the map's extent (far below a pixel; default on).

    Returns
    -------
    (matplotlib.figure.Figure, Classification)
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    t = TEXTS["en" if lang == "en" else "nl"]
    texts = texts or MapTexts(title="")
    sc = special_colours()
    geo = geometry.geometry if hasattr(geometry, "geometry") and not hasattr(geometry, "get_parts") else geometry
    geo = geo[~geo.isna()]
    df = frame.copy()
    df["area_code"] = df["area_code"].astype(str)
    df = df.drop_duplicates("area_code").set_index("area_code")
    if "suppressed" not in df.columns:
        df["suppressed"] = False
    df["suppressed"] = df["suppressed"].fillna(False).astype(bool)
    values = pd.to_numeric(df["value"], errors="coerce").where(~df["suppressed"])
    if isinstance(classification, str):
        classification = classify(values.to_numpy(), classification, palette=palette)
    cls = pd.Series(classification.classes, index=df.index)
    codes = pd.Index(geo.index.astype(str))
    geo = geo.set_axis(codes)
    in_data = codes.isin(df.index)
    cls_geo = cls.reindex(codes).fillna(-1).astype(int)
    sup_geo = df["suppressed"].reindex(codes).fillna(False).astype(bool)

    minx, miny, maxx, maxy = geo.total_bounds
    if simplify:  # drop detail far below one pixel (keeps SVG files small); topology preserved
        import shapely

        tol = max(maxx - minx, maxy - miny) / 4000.0
        geo = geo.set_axis(geo.index).copy()
        geo[:] = shapely.simplify(geo.to_numpy(), tol, preserve_topology=True)
    aspect = (maxx - minx) / max(maxy - miny, 1.0)
    wide = aspect > 1.35
    if figsize is None:
        figsize = (10.0, 7.2) if wide else (8.6, 8.4)
    fig_h_pt = figsize[1] * 72.0
    lh = 7.5 * 1.32 / fig_h_pt  # one line of small text, in figure fraction
    n_sup = int(sup_geo.sum())
    nodata = (~in_data) | ((cls_geo.to_numpy() < 0) & ~sup_geo.to_numpy())
    n_missing = int(nodata.sum())

    # ------------------------------------------------------------ text block (bottom)
    blocks: list[tuple[str, str]] = []
    if texts.reference:
        blocks.append(("reference", f"{t['reference']}: {texts.reference}"))
    blocks.append(("method", f"{t['method']}: {classification.method(lang)}"))
    if texts.source:
        blocks.append(("source", f"{t['source']}: {texts.source}"))
    notes = list(texts.notes)
    if n_sup:
        notes.append(t["suppressed_note"].format(t=threshold - 1))
    if n_missing:
        notes.append(t["no_data_note"])
    if notes:
        blocks.append(("notes", " ".join(n.strip() if n.strip().endswith(".") else n.strip() + "."
                                          for n in notes)))
    text_x = 0.60 if wide else 0.02
    wrap_r = int((0.38 if wide else 0.96) * figsize[0] * 72 / 4.3)
    wrapped = [(gid, "\n".join(textwrap.wrap(txt, wrap_r)[:6])) for gid, txt in blocks]
    text_h = sum(lh * (w.count("\n") + 1) + 0.6 * lh for _, w in wrapped)
    n_leg = classification.k + (1 if n_sup else 0) + (1 if n_missing else 0) + 1
    leg_h = n_leg * 8 * 1.75 / fig_h_pt + 0.02
    title_lines = textwrap.wrap(texts.title, int(0.96 * figsize[0] * 72 / (14 * 0.66)))[:2] or [""]
    def_top = 0.965 - len(title_lines) * 14 * 1.25 / fig_h_pt - 0.012
    def_lines = textwrap.wrap(texts.definition, 150 if wide else 125)[:3] if texts.definition else []
    map_top = def_top - len(def_lines) * 8.5 * 1.3 / fig_h_pt - 0.015
    if wide:
        bottom_block = max(text_h, leg_h) + 0.03
        map_rect = (0.02, bottom_block, 0.96, max(map_top - bottom_block, 0.25))
    else:
        bottom_block = text_h + 0.03
        map_rect = (0.02, bottom_block, 0.62, max(map_top - bottom_block, 0.3))

    with matplotlib.rc_context(RC):
        fig = Figure(figsize=figsize, dpi=100)
        ax = fig.add_axes(map_rect)
        ax.set_axis_off()
        ax.set_aspect("equal")
        edge = {"edgecolor": "#ffffff", "linewidth": 0.15}
        for i in range(classification.k):
            sel = (cls_geo == i) & ~sup_geo
            _add(ax, geo[sel.to_numpy()].to_numpy(), f"class-{i}", facecolor=classification.palette[i], **edge)
        _add(ax, geo[nodata].to_numpy(), "no-data", facecolor=sc["missing"], **edge)
        _add(ax, geo[sup_geo.to_numpy()].to_numpy(), "suppressed", facecolor=sc["suppressed"],
             edgecolor=sc["hatch"], linewidth=0.15, hatch="//////")
        if context is not None and len(context):
            import shapely
            from matplotlib.collections import LineCollection

            cgeo = context.to_numpy() if hasattr(context, "to_numpy") else np.asarray(context)
            segs = []
            clip = shapely.box(minx, miny, maxx, maxy)
            for ln in shapely.intersection(shapely.boundary(cgeo), clip):
                if ln is None:
                    continue
                for part in shapely.get_parts(ln):
                    xy = shapely.get_coordinates(part)
                    if len(xy) > 1:
                        segs.append(xy)
            lc = LineCollection(segs, colors="#3a3a3a", linewidths=0.45)
            lc.set_gid("context")
            ax.add_collection(lc, autolim=False)
        pad_x, pad_y = (maxx - minx) * 0.01, (maxy - miny) * 0.01
        ax.set_xlim(minx - pad_x, maxx + pad_x)
        ax.set_ylim(miny - pad_y, maxy + pad_y)

        # ---------------------------------------------------------------- circles
        circle_handles = []
        if circles:
            import shapely

            counts = pd.to_numeric(df[circles], errors="coerce") if circles in df.columns else pd.Series(dtype=float)
            counts = counts.where(~df["suppressed"])
            counts = counts.where(~is_small(counts, threshold))
            counts = counts.reindex(codes)
            ok = counts.notna().to_numpy() & (counts.fillna(0).to_numpy() > 0)
            if ok.any():
                pts = shapely.point_on_surface(geo[ok].to_numpy())
                xy = shapely.get_coordinates(pts)
                c = counts.to_numpy()[ok]
                vmax = float(circle_max) if circle_max and circle_max > 0 else float(c.max())
                smax = 900.0 if wide else 1100.0  # marker area (pt²) of the largest count
                sizes = smax * c / vmax
                order = np.argsort(-sizes)  # big circles below small ones
                sc_art = ax.scatter(xy[order, 0], xy[order, 1], s=sizes[order], facecolor="none",
                                    edgecolor="#222222", linewidth=0.6, zorder=5)
                sc_art.set_gid("circles")
                for v in _nice_circle_values(vmax):
                    h = ax.scatter([], [], s=smax * v / vmax, facecolor="none", edgecolor="#222222", linewidth=0.6)
                    circle_handles.append((h, format_number(v, 0, lang)))

        # ---------------------------------------------------------------- legend
        labels = classification.labels(lang)
        handles = [
            Patch(facecolor=classification.palette[i], edgecolor="#777777", linewidth=0.4,
                  label=f"{labels[i]}  ({int(np.sum((cls_geo == i) & ~sup_geo))})")
            for i in range(classification.k)
        ]
        if n_sup:
            handles.append(Patch(facecolor=sc["suppressed"], edgecolor=sc["hatch"], hatch="//////",
                                 linewidth=0.4, label=f"{t['suppressed']}  ({n_sup})"))
        if n_missing:
            handles.append(Patch(facecolor=sc["missing"], edgecolor="#777777", linewidth=0.4,
                                 label=f"{t['no_data']}  ({n_missing})"))
        per = "per klasse" if lang == "nl" else "per class"
        leg_title = f"{texts.unit} ({t['areas']} {per})" if texts.unit else f"{t['areas']} {per}"
        leg_title = "\n".join(textwrap.wrap(leg_title, 36 if not wide else 44))
        anchor = (0.02, bottom_block - 0.01) if wide else (0.655, map_top)
        leg = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=anchor, frameon=False,
                         fontsize=8, title=leg_title, title_fontsize=8.5, alignment="left",
                         handlelength=1.8, handleheight=1.1)
        leg.set_gid("legend")
        if circle_handles:
            anchor2 = (0.33, bottom_block - 0.01) if wide else (0.655, map_top - leg_h - 0.03)
            ctitle = "\n".join(textwrap.wrap(texts.circle_title, 34)[:3])
            cleg = fig.legend(handles=[h for h, _ in circle_handles], labels=[s for _, s in circle_handles],
                              loc="upper left", bbox_to_anchor=anchor2, frameon=False, fontsize=8,
                              title=ctitle, title_fontsize=8.5, alignment="left",
                              labelspacing=2.4, borderpad=1.2, scatterpoints=1,
                              handlelength=4.8, handletextpad=1.0)
            cleg.set_gid("circle-legend")

        # ---------------------------------------------------------------- texts
        fig.text(0.02, 0.965, "\n".join(title_lines), fontsize=14, fontweight="bold", va="top",
                 gid="title")
        if def_lines:
            fig.text(0.02, def_top, "\n".join(def_lines), fontsize=8.5, va="top", color="#333333",
                     gid="definition")
        y = (bottom_block - 0.015) if wide else (text_h + 0.01)
        for gid, w in wrapped:
            fig.text(text_x, y, w, fontsize=7.5, va="top", color="#222222", gid=gid)
            y -= lh * (w.count("\n") + 1) + 0.6 * lh
    return fig, classification


def save_figure(fig: Any, out: str | Path, *, dpi: int = 110, compact: bool = False) -> Path:
    """Save a map as PNG or SVG (by extension), deterministically (no dates in the file).

    ``compact=True`` stores a PNG with a 256-colour palette (typically a third of the size;
    class colours stay exact, anti-aliased edges are approximated).
    """
    import io

    import matplotlib

    out = Path(out)
    ext = out.suffix.lower()
    if ext not in (".png", ".svg"):
        from aankomst.errors import AankomstError

        raise AankomstError(f"map output {str(out)!r}: use a .png or .svg file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(RC):
        if ext == ".svg":
            fig.savefig(out, format="svg", metadata={"Date": None, "Creator": "Aankomst"})
        elif compact:
            from PIL import Image

            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
            img = Image.open(buf).convert("RGB")
            img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
                out, format="PNG", optimize=True)
        else:
            fig.savefig(out, format="png", dpi=dpi, metadata={"Software": "Aankomst"},
                        pil_kwargs={"optimize": True})
    return out
