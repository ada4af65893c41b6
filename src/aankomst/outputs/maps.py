"""Static maps of any catalogue indicator: ``render_map`` (Python) = ``aankomst map`` (CLI).

::

    from aankomst.outputs.maps import render_map
    render_map("atlas.duckdb", "foreign_nationality_share", level="municipality@2018",
               year=2015, classes="jenks:5", out="share_2015.png")
    render_map(atlas, "group_share_change", level="brussels_neighbourhood", year=2010,
               base_year=1997, group="nationality_group6:north_africa",
               classes="diverging:0.5", out="north_africa_change.svg")

The indicator comes from :func:`aankomst.indicators.compute` (small-cell rule applied there;
applied again here when a frame arrives without a ``suppressed`` column); the geometry from
the atlas ``areas`` table (WKB, EPSG:31370). Sectors have no geometry in the offline mirror:
a sector map is drawn through the neighbourhoods (unions of whole sectors), recomputed from
counts at that level, and the map says so.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import AankomstError, MissingInputError
from aankomst.paths import package_data

MONTHS = {
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}


@dataclass
class MapResult:
    """What :func:`render_map` produced.

    Attributes
    ----------
    path
        The written file (``None`` when ``out`` was not given).
    classification
        The classes (limits, counts, labels, palette).
    data
        The indicator rows drawn, with a ``class`` column (``-1`` = no class).
    meta
        The indicator's metadata plus ``map_level``, ``texts`` and ``notes`` of the map.
    figure
        The matplotlib figure (kept only when ``keep_figure=True``).
    """

    path: Path | None
    classification: Any
    data: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    figure: Any = None


@lru_cache(maxsize=1)
def map_levels() -> dict[str, dict[str, str]]:
    """Level labels and context (outline) level per area level (``data/map_levels.csv``)."""
    with open(package_data("map_levels.csv"), encoding="utf-8", newline="") as fh:
        return {r["level"]: r for r in csv.DictReader(fh)}


def _open(atlas: Any) -> tuple[Any, bool]:
    if isinstance(atlas, (str, Path)):
        import aankomst

        return aankomst.open(str(atlas), read_only=True), True
    return atlas, False


def load_geometry(atlas: Any, level: str, layout: str) -> Any:
    """Geometries of the areas of ``level``/``layout`` with a geometry, as a GeoSeries indexed by
    code (EPSG:31370; from :meth:`aankomst.store.atlas.Atlas.areas_gdf`)."""
    g = atlas.areas_gdf(level, layout, with_geometry_only=True)
    return g.geometry.rename(None).set_axis(g["code"].astype(str).to_numpy())


def _map_geometry(atlas: Any, level: str, layout: str, data: pd.DataFrame, *,
                  only_data: bool = False) -> Any:
    """Areas to draw: those with a row in ``data`` plus the other areas of the layout that overlap
    their bounding box (drawn as "no data", so a partial map keeps its surroundings); every area
    of the layout for levels marked ``draw_all`` in ``data/map_levels.csv`` (e.g. the 145
    Brussels monitoring neighbourhoods)."""
    import shapely

    geo = load_geometry(atlas, level, layout)
    if geo.empty:
        return geo
    codes = set(data["area_code"].astype(str))
    if only_data:  # a selection (within=…): the areas outside it are not "no data"
        return geo[geo.index.isin(codes)]
    if map_levels().get(level, {}).get("draw_all") == "true":  # small, closed sets (data/map_levels.csv)
        return geo
    mine = geo[geo.index.isin(codes)]
    if mine.empty:
        return mine
    box = shapely.box(*mine.total_bounds)
    others = geo[~geo.index.isin(codes)]
    inside = others.intersection(box)
    # whole neighbouring areas that overlap the data's extent (not those that only touch it)
    others = others[(~inside.is_empty) & (inside.area > 0.05 * others.area)]
    return pd.concat([mine, others]) if len(others) else mine


def _geometry_sources(atlas: Any, level: str, layout: str, lang: str) -> str:
    rows = atlas.con.execute(
        "SELECT DISTINCT p.publisher, p.title FROM areas a JOIN provenance p ON a.load_id = p.load_id "
        "WHERE a.level = ? AND a.layout = ? AND a.geometry IS NOT NULL ORDER BY 1, 2",
        [level, layout],
    ).fetchall()
    if not rows:
        return ""
    what = "grenzen" if lang == "nl" else "boundaries"
    return f"{what}: " + "; ".join(" ".join(x for x in r if x) for r in rows)


def _context(atlas: Any, level: str, geo: Any) -> Any:
    """Outlines of the level above (``context_level`` in ``data/map_levels.csv``): the areas
    that contain at least one of the drawn areas, clipped to the map's extent."""
    import shapely

    from aankomst.store.schema import CURRENT_LAYOUT

    ctx_level = map_levels().get(level, {}).get("context_level") or ""
    if not ctx_level or geo.empty:
        return None
    ctx = load_geometry(atlas, ctx_level, CURRENT_LAYOUT.get(ctx_level, "2025"))
    if ctx.empty:
        return None
    pts = shapely.point_on_surface(geo.to_numpy())
    tree = shapely.STRtree(ctx.to_numpy())
    hit = np.unique(tree.query(pts, predicate="within")[1])
    if hit.size == 0:
        return None
    return ctx.iloc[hit]


def _reference_text(periods: list[str], period: str, base_year: Any, lang: str) -> str:
    items = [str(p) for p in periods] if periods else ([str(base_year)] if base_year else []) + [str(period)]
    dated_years = {p[:4] for p in items if len(p) == 10 and p[4] == "-" and p[7] == "-"}
    out = []
    for p in items:
        if len(p) == 10 and p[4] == "-" and p[7] == "-":
            y, m, d = int(p[:4]), int(p[5:7]), int(p[8:10])
            out.append(f"{d} {MONTHS[lang][m - 1]} {y}")
        elif p in dated_years:  # '1997' next to '1997-01-01': say it once
            continue
        else:
            out.append(p)
    joiner = " en " if lang == "nl" else " and "
    return joiner.join(dict.fromkeys(out))


def _group_label(group: str | None, lang: str) -> str:
    if not group or group == "total":
        return ""
    scheme, _, grp = str(group).partition(":")
    try:
        from aankomst.indicators import groups as G

        t = G.scheme_table()
        hit = t[(t["scheme"] == scheme) & (t["grp"] == grp)]
        if len(hit):
            return str(hit.iloc[0][f"label_{lang}"])
    except Exception:  # noqa: BLE001, S110 - labels are cosmetic; the code is shown instead
        pass
    return grp or scheme


def map_texts(meta: dict[str, Any], *, level: str, year: Any, base_year: Any, lang: str,
              circles: bool, title: str | None = None, geometry_source: str = "",
              show_group: bool = True) -> Any:
    """The texts printed on a map of an indicator result (title, definition, dates, source)."""
    from aankomst.outputs.mapdraw import MapTexts

    label = meta.get(f"label_{lang}") or meta.get("id", "")
    glabel = _group_label(meta.get("group"), lang) if show_group else ""
    lvl = map_levels().get(level, {}).get(f"label_{lang}", level)
    when = f"{base_year}\u2013{year}" if base_year not in (None, "") else str(year)
    auto = f"{label}{': ' + glabel if glabel else ''}, {lvl}, {when}"
    src = meta.get("source_text") or ""
    if geometry_source:
        src = f"{src}; {geometry_source}" if src else geometry_source
    count = "aantal" if lang == "nl" else "count"
    if lang == "nl":
        g = _group_label(meta.get("group"), lang)
        num = g.lower() if g else "teller van de indicator"
    else:
        num = meta.get("numerator") or ""
    return MapTexts(
        title=title or auto,
        definition=meta.get(f"definition_{lang}") or "",
        reference=_reference_text(list(meta.get("reference_periods") or []), str(year), base_year, lang),
        source=src,
        unit=str(meta.get("unit") or ""),
        circle_title=f"{count}: {num}" if num else count,
        notes=[],
    )


def _neighbourhood_level_for(atlas: Any, sector_layout: str) -> str:
    """``neighbourhood@LAYOUT`` that the sectors of ``sector_layout`` nest in (crosswalks)."""
    rows = atlas.con.execute(
        "SELECT DISTINCT to_layout FROM crosswalks WHERE from_level = 'sector' AND from_layout = ? "
        "AND to_level = 'neighbourhood' ORDER BY to_layout DESC",
        [str(sector_layout)],
    ).fetchall()
    return f"neighbourhood@{rows[0][0]}" if rows else "neighbourhood"


def _compute(atlas: Any, indicator: str, level: str, year: Any, base_year: Any, group: Any,
             scheme: Any, params: dict[str, Any]) -> Any:
    from aankomst.indicators import compute

    kw = dict(params)
    if base_year not in (None, ""):
        kw["base_year"] = base_year
    return compute(atlas, indicator, level=level, period=year, group=group, scheme=scheme, **kw)


def render_map(
    atlas: Any,
    indicator: str,
    *,
    level: str,
    year: Any,
    base_year: Any = None,
    group: str | None = None,
    scheme: str | None = None,
    classes: str | None = None,
    circles: bool = False,
    lang: str = "nl",
    out: str | Path | None = None,
    title: str | None = None,
    palette: str | None = None,
    context: bool = True,
    dpi: int = 110,
    compact: bool = False,
    keep_figure: bool = False,
    **params: Any,
) -> MapResult:
    """Compute an indicator and draw it as a classed map (PNG or SVG).

    Parameters
    ----------
    atlas
        An open atlas or the path of an atlas file (opened read-only).
    indicator
        Indicator id (``aankomst indicators``), e.g. ``foreign_nationality_share``.
    level
        Area level (``municipality``, ``neighbourhood``, ``brussels_neighbourhood`` …;
        ``level@layout`` for an older layout, e.g. ``municipality@2018``).
    year, base_year
        Reference year (1 January for stocks; window end or ``'Y0-Y1'`` for flows) and, for
        change indicators, the base year.
    group, scheme
        Population group, e.g. ``group="nationality_group6:north_africa"``.
    classes
        Class scheme: ``jenks:5``, ``quantiles:5``, ``equal:5``, ``manual:0,5,10``,
        ``diverging:0.5`` …; default the indicator's class hint, else ``jenks:5``.
    circles
        Add proportional circles of the counts (the numerator; the value for count indicators).
    lang
        ``nl`` (default) or ``en``.
    out
        ``.png`` or ``.svg`` file to write.
    title, palette, context, dpi, compact
        Override the title, the palette (``data/palettes.csv``), draw outlines of the level
        above (default on), PNG resolution, 256-colour PNG (smaller file).
    **params
        Further indicator parameters (``window``, ``reference``, ``within`` …).

    Returns
    -------
    MapResult
    """
    _check_args(lang, [out] if out is not None else [])
    at, opened = _open(atlas)
    try:
        prep = _prepare(at, indicator, level, year, base_year, group, scheme, params, lang=lang,
                        classes=classes, circles=circles, title=title, context=context)
        return _draw(prep, prep["cls_text"], out=out, lang=lang, palette=palette, dpi=dpi,
                     compact=compact, keep_figure=keep_figure)
    finally:
        if opened:
            at.close()


def render_maps(
    atlas: Any,
    indicator: str,
    *,
    level: str,
    years: list[Any],
    out: str | Path,
    base_year: Any = None,
    group: str | None = None,
    scheme: str | None = None,
    classes: str | None = None,
    circles: bool = False,
    lang: str = "nl",
    title: str | None = None,
    palette: str | None = None,
    context: bool = True,
    dpi: int = 110,
    compact: bool = False,
    **params: Any,
) -> list[MapResult]:
    """Maps of one indicator for several years with **shared** class limits (and circle scale).

    The limits come from the values of all years pooled
    (:func:`aankomst.classification.classify_shared`), so the maps can be compared class by
    class. ``out`` must contain ``{year}``, e.g. ``"share_{year}.png"``. Other parameters as
    in :func:`render_map`.
    """
    from aankomst.classification import classify_shared

    years = list(years)
    if not years:
        raise AankomstError("give at least one year")
    if len(years) > 1 and "{year}" not in str(out):
        raise AankomstError(f"several years need '{{year}}' in the output name, e.g. map_{{year}}.png (got {str(out)!r})")
    outs = [Path(str(out).replace("{year}", str(y))) for y in years]
    _check_args(lang, outs)
    at, opened = _open(atlas)
    try:
        preps = [_prepare(at, indicator, level, y, base_year, group, scheme, params, lang=lang,
                          classes=classes, circles=circles, title=title, context=context)
                 for y in years]
        cls_text = preps[0]["cls_text"]
        shared = classify_shared([_values(p["data"]) for p in preps], cls_text, palette=palette)
        cmax = None
        if circles:
            cmax = max((float(pd.to_numeric(p["data"][p["count_col"]], errors="coerce").max())
                        for p in preps if p["count_col"] in p["data"]), default=None)
        shown = ", ".join(map(str, years))
        results = []
        for p, c, o in zip(preps, shared, outs):
            p["texts"].notes.append(
                f"Klassen gedeeld met de kaarten van {shown}." if lang == "nl"
                else f"Classes shared with the maps of {shown}."
            )
            results.append(_draw(p, c, out=o, lang=lang, palette=palette, dpi=dpi,
                                 compact=compact, keep_figure=False, circle_max=cmax))
        return results
    finally:
        if opened:
            at.close()


def _check_args(lang: str, outs: list[Any]) -> None:
    if lang not in ("nl", "en"):
        raise AankomstError(f"language {lang!r}: use nl or en")
    for out in outs:
        if Path(out).suffix.lower() not in (".png", ".svg"):
            raise AankomstError(f"map output {str(out)!r}: use a .png or .svg file name")


def _values(data: pd.DataFrame) -> np.ndarray:
    v = pd.to_numeric(data["value"], errors="coerce")
    if "suppressed" in data.columns:
        v = v.where(~data["suppressed"].fillna(False).astype(bool))
    return v.to_numpy(dtype=float)


def _prepare(at: Any, indicator: str, level: str, year: Any, base_year: Any, group: Any,
             scheme: Any, params: dict[str, Any], *, lang: str, classes: Any, circles: bool,
             title: str | None, context: bool) -> dict[str, Any]:
    """Compute the indicator and collect everything a map of it needs (not drawn yet)."""
    from aankomst.privacy import protect_indicator

    res = _compute(at, indicator, level, year, base_year, group, scheme, params)
    data, meta = res.data.copy(), dict(res.meta)
    notes: list[str] = []
    only_data = params.get("within") not in (None, "")
    map_level, map_layout = meta.get("level", level), meta.get("layout")
    if map_layout is None:
        from aankomst.store.schema import CURRENT_LAYOUT

        map_layout = CURRENT_LAYOUT.get(map_level, "2025")
    geo = _map_geometry(at, map_level, map_layout, data, only_data=only_data)
    if geo.empty and map_level == "sector":
        nb_level = _neighbourhood_level_for(at, map_layout)
        res = _compute(at, indicator, nb_level, year, base_year, group, scheme,
                       {k: v for k, v in params.items() if k != "layout"})
        data, meta = res.data.copy(), dict(res.meta)
        map_level, map_layout = meta.get("level", "neighbourhood"), meta.get("layout", "2025")
        geo = _map_geometry(at, map_level, map_layout, data, only_data=only_data)
        notes.append(
            "Sectoren hebben geen geometrie: getoond per wijk (som van de tellingen van de sectoren)."
            if lang == "nl" else
            "Sectors have no geometry: shown by neighbourhood (sums of the sectors' counts)."
        )
    if geo.empty:
        raise MissingInputError(
            f"map of {indicator}", f"geometry of the {map_level} areas (layout {map_layout})",
            fix="load the boundary files with 'aankomst build' or choose another --level",
        )
    has_geo = data["area_code"].astype(str).isin(set(geo.index))
    if not has_geo.all():
        n_out = int((~has_geo).sum())
        notes.append(
            f"{n_out} gebieden zonder geometrie in de atlas (bv. buiten Vlaanderen en Brussel) "
            "zijn niet getoond en niet gebruikt voor de klassen." if lang == "nl" else
            f"{n_out} areas without geometry in the atlas (e.g. outside Flanders and Brussels) "
            "are not shown and not used for the classes."
        )
        data = data[has_geo.to_numpy()].reset_index(drop=True)
    thr = int(meta.get("small_cell_threshold") or 5)
    if "suppressed" not in data.columns:
        data = protect_indicator(data, thr)
    cls_text = classes or meta.get("class_hint") or "jenks:5"
    if len(data) and data["value"].notna().sum() == 0 and not str(cls_text).startswith(("manual", "diverging")):
        raise MissingInputError(
            f"map of {indicator}", "at least one unsuppressed value",
            years=year, fix="all values are missing or suppressed; try another level or year",
        )
    texts = map_texts(meta, level=map_level, year=year, base_year=base_year, lang=lang,
                      circles=circles, title=title, show_group=group not in (None, ""),
                      geometry_source=_geometry_sources(at, map_level, map_layout, lang))
    texts.notes = notes + [str(n) for n in (meta.get("notes") or [])][:3]
    count_col = None
    if circles:
        count_col = "value" if str(meta.get("unit")) == "persons" else "numerator"
    return {
        "data": data.reset_index(drop=True), "meta": meta, "geo": geo, "texts": texts,
        "ctx": _context(at, map_level, geo) if context else None, "thr": thr,
        "count_col": count_col, "cls_text": cls_text, "map_level": map_level,
        "map_layout": map_layout,
    }


def _draw(prep: dict[str, Any], classes: Any, *, out: Any, lang: str, palette: str | None,
          dpi: int, compact: bool, keep_figure: bool, circle_max: float | None = None) -> MapResult:
    from aankomst.outputs.mapdraw import draw_choropleth, save_figure

    data, meta, texts = prep["data"], prep["meta"], prep["texts"]
    fig, classification = draw_choropleth(
        data, prep["geo"], classes, texts, lang=lang, circles=prep["count_col"],
        context=prep["ctx"], threshold=prep["thr"], palette=palette, circle_max=circle_max,
    )
    path = save_figure(fig, out, dpi=dpi, compact=compact) if out is not None else None
    data = data.copy()
    data["class"] = classification.classes
    meta.update({"map_level": prep["map_level"], "map_layout": prep["map_layout"],
                 "classes": prep["cls_text"], "map_notes": texts.notes, "title": texts.title})
    return MapResult(path, classification, data, meta, fig if keep_figure else None)

