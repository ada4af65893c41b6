"""The neighbourhood map of the OCMW dashboard: recipients per sub-municipal area, protected.

:func:`neighbourhood_table` gives, for one OCMW and measure, what the dashboard's map draws:

* ``kind = "counts"`` — the recipients of the measure per neighbourhood (or statistical sector)
  of the municipality in the latest year for which the atlas has them (a person-level extract
  with addresses, ``aankomst ocmw load EXTRACT``: ``measures`` rows at ``level = 'sector'``,
  written by :func:`aankomst.ocmw.aggregate.aggregate`), exactly as the indicator engine
  publishes them (``ocmw_recipients`` at the finest neighbourhood layout that has them, else the
  sectors; the municipality's areas from the store's hierarchy,
  :class:`aankomst.store.hierarchy.Hierarchy`): its small-cell rule with complementary
  suppression along the area hierarchy, so the map withholds what ``/api/values`` withholds
  (see :func:`_counts`);
* ``kind = "share"`` — Brussels OCMWs without extract counts: the IBSA share of residents on an
  OCMW income (%, a published figure, not a count) per monitoring neighbourhood, latest year;
* ``kind = "none"`` — no sub-municipal OCMW figure in the atlas: the municipality's
  neighbourhoods (outlines only) and what to load to get figures.

The answer is language-independent (names in Dutch and French); the dashboard picks the
language.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from aankomst.store.hierarchy import Hierarchy, Node
from aankomst.store.schema import CURRENT_LAYOUT


def _nodes() -> tuple[Node, ...]:
    """Neighbourhood layouts tried, the current one first."""
    cur = CURRENT_LAYOUT["neighbourhood"]
    return tuple(dict.fromkeys([("neighbourhood", cur), ("neighbourhood", "2024"), ("neighbourhood", "2025")]))


def _muni_nodes(h: Hierarchy, code: str, layout: str) -> list[Node]:
    """Municipality layouts holding the OCMW's code: its own layout first."""
    lays = dict.fromkeys([layout, "2024", CURRENT_LAYOUT["municipality"], "2018"])
    return [("municipality", ly) for ly in lays if code in h.codes(("municipality", ly))]


def _members(h: Hierarchy, node: Node, munis: list[Node], code: str) -> list[str] | None:
    """Codes of the areas of ``node`` in the municipality (largest share wins), via the
    municipality layout the hierarchy links ``node`` to most directly (shortest crosswalk chain;
    ties: the order of ``munis``); ``None`` when none is linked."""
    paths = [(len(p), i, mn) for i, mn in enumerate(munis) if (p := h.path(node, mn)) is not None]
    for _, _, mn in sorted(paths):
        pm = h.parent_map(node, mn)
        got = sorted(pm.loc[pm["parent"] == code, "code"].astype(str))
        if got:
            return got
    return None


def _with_geometry(h: Hierarchy, node: Node, codes: list[str]) -> set[str]:
    a = h.areas(node)
    return set(a.loc[a["geometry"].notna() & a["code"].isin(codes), "code"].astype(str))


def _finish(out: dict[str, Any], digits: int) -> dict[str, Any]:
    """Classes (quantiles of the shown values, up to five, with the palette and limits of
    :func:`aankomst.classification.classify`, the atlas' one home of map classes), colours and
    class counts; ``digits`` decimals for the limits."""
    from aankomst.classification import classify

    shown = [float(a["value"]) for a in out["areas"] if a["value"] is not None]
    out["classes"] = []
    for a in out["areas"]:
        a["colour"], a["class"] = None, None
    if shown:
        k = max(1, min(5, len(set(shown))))
        cl = classify(shown, "quantiles", max(k, 2), decimals=digits) if k > 1 else None
        if cl is None:  # one distinct value: one class, the middle colour of the quantiles' palette
            mid = classify([0.0, 1.0, 2.0], "quantiles", 3).palette[1]
            out["classes"] = [{"lo": shown[0], "hi": shown[0], "colour": mid, "n": len(shown)}]
            ids = [0] * len(shown)
        else:
            out["classes"] = [{"lo": float(cl.edges[i]), "hi": float(cl.edges[i + 1]), "colour": cl.palette[i],
                               "n": int(cl.counts[i])} for i in range(cl.k)]
            ids = [int(x) for x in cl.classes]
        it = iter(ids)
        for a in out["areas"]:
            if a["value"] is not None:
                a["class"] = next(it)
                a["colour"] = out["classes"][a["class"]]["colour"]
    out["n_withheld"] = sum(1 for a in out["areas"] if a["suppressed"])
    out["map"] = any(a["geometry"] for a in out["areas"])
    return out


def _counts(atlas: Any, h: Hierarchy, code: str, layout: str, measure: str) -> dict[str, Any] | None:
    """``kind = "counts"``: recipients per neighbourhood (else sector) of the municipality, as
    the indicator engine publishes them (``ocmw_recipients`` at that level, latest offered
    year): the map shows exactly the cells of ``/api/values``, withheld where the engine's
    small-cell rule (with complementary suppression along the area hierarchy) withholds them.
    A second protection of the same counts here could withhold other cells than the API and so
    give away by difference what each hides."""
    from aankomst.errors import MissingInputError
    from aankomst.indicators import available_periods, compute

    lays = [str(r[0]) for r in atlas.con.execute(
        "SELECT DISTINCT layout FROM measures WHERE level = 'sector' AND measure = ? AND value IS NOT NULL "
        "ORDER BY 1", [f"ocmw_recipients:{measure}:T:total"]).fetchall()]
    if not lays:
        return None
    munis = _muni_nodes(h, code, layout)
    spare: tuple[Node, list[str], str] | None = None
    for node in (*_nodes(), *(("sector", ly) for ly in lays)):
        areas = _members(h, node, munis, code)
        if not areas:
            continue
        level = f"{node[0]}@{node[1]}"
        try:
            periods = [p for p in available_periods(atlas, "ocmw_recipients", level=level, measure=measure)
                       if len(p) == 4]
        except MissingInputError:
            continue
        if not periods:
            continue
        if _with_geometry(h, node, areas):
            spare = (node, areas, max(periods))
            break
        spare = spare or (node, areas, max(periods))
    if spare is None:
        return None
    node, areas, period = spare
    res = compute(atlas, "ocmw_recipients", level=f"{node[0]}@{node[1]}", period=period, measure=measure)
    got = res.data.set_index(res.data["area_code"].astype(str))
    names = h.names(node, areas).set_index("code")
    geo = _with_geometry(h, node, areas)

    def cell(c: str) -> dict[str, Any]:
        if c not in got.index:
            return {"value": None, "suppressed": False}
        r = got.loc[c]
        sup = bool(r["suppressed"]) if pd.notna(r["suppressed"]) else False
        v = r["value"]
        return {"value": None if sup or pd.isna(v) else float(v), "suppressed": sup}

    return _finish({
        "kind": "counts", "level": node[0], "layout": node[1], "period": period, "unit": "persons",
        "areas": [{"code": c, "name_nl": names.loc[c, "area_name"], "name_fr": names.loc[c, "area_name_fr"],
                   **cell(c), "geometry": c in geo} for c in areas],
        "source": "ocmw extract (aankomst ocmw load); small-cell rule of the indicator engine"}, 0)


def _share(h: Hierarchy, brussels: dict[str, Any]) -> dict[str, Any] | None:
    """``kind = "share"``: the IBSA share (%) per monitoring neighbourhood, latest year."""
    years = list(brussels["years"])
    for i in range(len(years) - 1, -1, -1):
        vals = [n["series"][i] for n in brussels["neighbourhoods"]]
        if any(v is not None for v in vals):
            break
    else:
        return None
    node: Node = ("brussels_neighbourhood", "monitor")
    codes = [str(n["code"]) for n in brussels["neighbourhoods"]]
    geo = _with_geometry(h, node, codes)
    areas = [{"code": str(n["code"]), "name_nl": n["name_nl"], "name_fr": n["name_fr"] or n["name_nl"],
              "value": n["series"][i], "suppressed": False, "geometry": str(n["code"]) in geo}
             for n in brussels["neighbourhoods"]]
    return _finish({"kind": "share", "level": node[0], "layout": node[1], "period": years[i], "unit": "%",
                    "areas": areas,
                    "source": brussels["source"]}, 1)


def _outline(h: Hierarchy, code: str, layout: str) -> dict[str, Any]:
    """``kind = "none"``: the municipality's neighbourhoods, outlines only."""
    node: Node = ("neighbourhood", CURRENT_LAYOUT["neighbourhood"])
    areas: list[str] | None = []
    # the OCMW's own municipality layout first (Antwerpen 2018 is not Antwerpen 2025)
    for mn in _muni_nodes(h, code, layout):
        hit = next(((nd, got) for nd in _nodes() if (got := _members(h, nd, [mn], code))
                    and _with_geometry(h, nd, got)), None)
        if hit:
            node, areas = hit
            break
    names = h.names(node, areas or []).set_index("code")
    geo = _with_geometry(h, node, areas or [])
    out = {"kind": "none", "level": node[0], "layout": node[1], "period": None, "unit": None,
           "areas": [{"code": c, "name_nl": names.loc[c, "area_name"], "name_fr": names.loc[c, "area_name_fr"],
                      "value": None, "suppressed": False, "geometry": c in geo} for c in areas or []],
           "source": None}
    return _finish(out, 0)


def neighbourhood_table(atlas: Any, code: str, layout: str, measure: str,
                        brussels: dict[str, Any] | None) -> dict[str, Any]:
    """What the dashboard's neighbourhood map shows for one OCMW and measure.

    Parameters
    ----------
    atlas
        An open atlas.
    code, layout
        The OCMW's municipality code and the layout of its figures.
    measure
        OCMW measure id (``leefloon``).
    brussels
        The IBSA series of the dashboard (``None`` outside Brussels).

    Returns
    -------
    dict
        ``kind`` (``counts``, ``share`` or ``none``), ``level``, ``layout`` (the areas drawn),
        ``period``, ``unit`` (``persons`` or ``%``), ``areas`` (``code``, ``name_nl``,
        ``name_fr``, ``value`` — ``None`` where withheld —, ``suppressed``, ``geometry``,
        ``colour``), ``classes`` (``lo``, ``hi``, ``colour``, ``n``), ``n_withheld``, ``map``
        (some area has geometry), ``source``.

    Examples
    --------
    >>> nb = dashboard(atlas, "21004")["neighbourhoods"]  # doctest: +SKIP
    >>> nb["kind"], nb["unit"]  # doctest: +SKIP
    ('share', '%')
    """
    h = Hierarchy(atlas)
    got = _counts(atlas, h, code, layout, measure)
    if got is None and brussels:
        got = _share(h, brussels)
    return got if got is not None else _outline(h, code, layout)
