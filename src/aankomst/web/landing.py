"""The map's first view: the richest view the atlas holds, or the one its settings name.

*Richest* means the most **drawable** areas (areas with geometry at the view's level and
layout) that have a value (categorical indicators: a class) at the view's latest period,
after the small-cell rule. Only views that the engine offers are considered
(:func:`aankomst.indicators.available_periods`, through the
:class:`~aankomst.web.service.Service`): every indicator × level of the atlas with geometry,
at its newest period, without a population group (indicators that need a group take the
first group :func:`~aankomst.indicators.available_groups` offers, and are tried only when no
view without a group has values). Ties go to the arrival and migration themes, then to the
catalogue order.

An atlas may name its own first view in its ``settings`` table, key ``default_view``, as a
query string of the map page (``ind=arrival_typology&level=neighbourhood&period=2016-2020``;
optional ``group``/``gscheme``); it is used when the engine offers it, and otherwise ignored
(with the reason in ``note``).

The answer is computed once per atlas file (it is cached in the service's
:class:`~aankomst.web.state.LRU`, whose keys carry the atlas identity).
"""

from __future__ import annotations

import logging
from typing import Any, cast
from urllib.parse import parse_qs

from aankomst.errors import AankomstError
from aankomst.indicators import listing as _listing

log = logging.getLogger("aankomst.web")

FIRST_THEMES: tuple[str, ...] = ("arrival", "migration")
"""Themes whose views win a tie (a theme counts when its name contains one of these)."""


def listing() -> list[dict[str, Any]]:
    """The catalogue records (:func:`aankomst.indicators.listing`)."""
    return cast(list[dict[str, Any]], _listing())


def _theme_rank(theme: str) -> int:
    return 0 if any(t in theme for t in FIRST_THEMES) else 1


def drawable_codes(atlas: Any, level: str, layout: str) -> set[str]:
    """Codes of the areas of ``level``/``layout`` that have geometry (what the map draws)."""
    rows = atlas.con.execute("SELECT code FROM areas WHERE level = ? AND layout = ? AND geometry IS NOT NULL",
                             [level, layout]).fetchall()
    return {str(r[0]) for r in rows}


def coloured(svc: Any, atlas: Any, ind: str, level: str, period: str, group: str | None = None,
             scheme: str | None = None) -> tuple[int, int, str]:
    """``(areas coloured, areas drawn, layout)`` of one view: drawn areas of the values' layout
    with a published value (categorical: a class).

    Example
    -------
    >>> coloured(svc, atlas, "population", "municipality", "2023")  # doctest: +SKIP
    (20, 20, '2025')
    """
    data, _ = svc.compute(atlas, ind, level, period, group, scheme)
    lays = [str(x) for x in data["layout"].dropna().unique()] if len(data) else []
    layout = lays[0] if len(lays) == 1 else svc.resolve_level(atlas, level)
    drawn = drawable_codes(atlas, level, layout)
    col = "class" if "class" in data.columns and svc.spec(ind).kind == "categorical" else "value"
    ok = data[~data["suppressed"].astype(bool) & data[col].notna()]
    return len(set(ok["area_code"].astype(str)) & drawn), len(drawn), layout


def _view(ind: str, level: str, period: str, group: str | None, scheme: str | None, n: int, drawn: int,
          layout: str, how: str, note: str = "") -> dict[str, Any]:
    return {"indicator": ind, "level": level, "period": period, "group": group, "scheme": scheme,
            "layout": layout, "coloured": n, "drawn": drawn, "how": how, "note": note}


def from_setting(svc: Any, atlas: Any, text: str) -> tuple[dict[str, Any] | None, str]:
    """The view named by a ``default_view`` setting, when the engine offers it; else ``None``
    and why not."""
    q = {k: v[0] for k, v in parse_qs(text.strip().lstrip("?")).items() if v}
    ind, level = q.get("ind") or q.get("indicator"), q.get("level")
    if not ind or not level:
        return None, f"setting default_view {text!r} names no ind= and level="
    group, scheme = q.get("group") or None, q.get("gscheme") or q.get("scheme") or None
    try:
        periods = svc.periods(atlas, ind, level, group, scheme)
    except AankomstError as exc:
        return None, f"setting default_view {text!r}: {exc}"
    period = q.get("period") or (periods[-1] if periods else "")
    if not period or period not in periods:
        return None, f"setting default_view {text!r}: period {period} is not on offer ({', '.join(periods[-5:])})"
    n, drawn, layout = coloured(svc, atlas, ind, level, period, group, scheme)
    return _view(ind, level, period, group, scheme, n, drawn, layout, "setting"), ""


TABLE_COUNTS = """
SELECT v.indicator, v.level, count(*) AS n
FROM profile_values v
JOIN profile_latest l ON l.indicator = v.indicator AND l.level = v.level AND l.layout = v.layout
     AND l.period = v.period
JOIN areas a ON a.level = v.level AND a.layout = v.layout AND a.code = v.code
WHERE a.geometry IS NOT NULL
  AND coalesce(json_extract_string(v.fields, '$.suppressed'), 'false') <> 'true'
  AND (json_extract_string(v.fields, '$.value') IS NOT NULL
       OR nullif(json_extract_string(v.fields, '$.class'), '') IS NOT NULL)
GROUP BY ALL
"""
"""Drawable areas with a published figure at each indicator's newest period, per indicator and
level, read from a fresh profile table (:mod:`aankomst.web.profile_table`)."""


def from_table(svc: Any, atlas: Any, tries: int = 5) -> dict[str, Any] | None:
    """The richest view read off a fresh profile table: candidates ranked by the table's counts
    (:data:`TABLE_COUNTS`, then theme and catalogue order), the first ``tries`` checked with
    :func:`coloured` (one computation each); ``None`` when the table is absent or stale.

    Example
    -------
    >>> from_table(svc, atlas)["how"]  # doctest: +SKIP
    'richest'
    """
    from aankomst.web.profile_table import status

    if status(atlas) != "fresh":
        return None
    rows = listing()
    order = {r["id"]: i for i, r in enumerate(rows)}
    theme = {r["id"]: _theme_rank(str(r.get("theme") or "")) for r in rows}
    counts = atlas.query(TABLE_COUNTS)
    cands = sorted(((-int(n), theme.get(i, 1), order.get(i, 10**6), str(i), str(lv))
                    for i, lv, n in zip(counts["indicator"], counts["level"], counts["n"]) if i in order))
    best: dict[str, Any] | None = None
    for *_, ind, level in cands[:tries]:
        view = _try(svc, atlas, ind, level, False)
        if view is not None and view["coloured"] > 0 and (best is None or view["coloured"] > best["coloured"]):
            best = view
    return best


def richest(svc: Any, atlas: Any) -> dict[str, Any] | None:
    """The offered view with the most coloured drawable areas (see the module text), ``None``
    when the atlas offers no view at any level with geometry. A fresh profile table answers at
    once (:func:`from_table`); otherwise every offered view is tried, largest levels first."""
    quick = from_table(svc, atlas)
    if quick is not None:
        return quick
    levels = sorted((d for d in svc.levels(atlas) if d["with_geometry"] > 0),
                    key=lambda d: -int(d["with_geometry"]))
    rows = listing()
    order = {r["id"]: i for i, r in enumerate(rows)}
    cands = sorted(rows, key=lambda r: (_theme_rank(str(r.get("theme") or "")), order[r["id"]]))
    best: tuple[int, int, int] | None = None   # (-coloured, theme rank, catalogue order)
    found: dict[str, Any] | None = None
    for with_groups in (False, True):
        for i, lv in enumerate(levels):
            for r in cands:
                if lv["level"] not in r["levels"]:
                    continue
                needs_group = r.get("groups") == "optional" and any(
                    p.get("name") == "group" and p.get("required") for p in r.get("parameters", []))
                if needs_group != with_groups:
                    continue
                rank = (_theme_rank(str(r.get("theme") or "")), order[r["id"]])
                if best is not None and (-best[0] > int(lv["with_geometry"]) or (
                        -best[0] == int(lv["with_geometry"]) and best[1:] <= rank)):
                    continue  # cannot do better than the best so far
                view = _try(svc, atlas, r["id"], lv["level"], needs_group)
                if view is None or view["coloured"] == 0:
                    continue
                key = (-view["coloured"], *rank)
                if best is None or key < best:
                    best, found = key, view
            nxt = levels[i + 1]["with_geometry"] if i + 1 < len(levels) else 0
            if best is not None and -best[0] > nxt:
                break
        if found is not None:
            return found
    return found


def _try(svc: Any, atlas: Any, ind: str, level: str, needs_group: bool) -> dict[str, Any] | None:
    try:
        group = scheme = None
        if needs_group:
            pairs = [p for p in svc.groups(atlas, ind, level) if p != ("total", "total")]
            if not pairs:
                return None
            scheme, group = pairs[0]
        latest = svc.latest(atlas, ind, level, group, scheme)
        if not latest:
            return None
        n, drawn, layout = coloured(svc, atlas, ind, level, latest, group, scheme)
    except AankomstError:
        return None
    return _view(ind, level, latest, group, scheme, n, drawn, layout, "richest")


def offered_indicators(svc: Any, atlas: Any, level: str) -> list[str]:
    """Ids of the indicators the engine offers at ``level`` (a period without a group, or, for
    indicators that need a group, at least one group), in catalogue order; cached.

    Example
    -------
    >>> "population" in offered_indicators(svc, atlas, "municipality")  # doctest: +SKIP
    True
    """

    def make() -> list[str]:
        out = []
        for r in listing():
            if level not in r["levels"]:
                continue
            needs_group = r.get("groups") == "optional" and any(
                p.get("name") == "group" and p.get("required") for p in r.get("parameters", []))
            try:
                ok = bool(svc.groups(atlas, r["id"], level)) if needs_group else bool(svc.periods(atlas, r["id"], level))
            except AankomstError:
                ok = False
            if ok:
                out.append(str(r["id"]))
        return out

    got: list[str] = svc.cache.get_or_make(("offered", level), make)
    return got


def landing_view(svc: Any, atlas: Any) -> dict[str, Any]:
    """The first view of the map: the ``default_view`` setting when offered, else the richest.

    Parameters
    ----------
    svc
        The :class:`~aankomst.web.service.Service` of the atlas (its cache keeps the answer).
    atlas
        An open :class:`~aankomst.store.atlas.Atlas`.

    Returns
    -------
    dict
        ``indicator, level, period, group, scheme, layout, coloured, drawn`` (areas with a value
        among the areas drawn), ``how`` (``setting``, ``richest`` or ``none``) and ``note``.

    Example
    -------
    >>> landing_view(svc, atlas)["how"]  # doctest: +SKIP
    'richest'
    """

    def make() -> dict[str, Any]:
        note = ""
        text = atlas.setting("default_view")
        if text:
            got, note = from_setting(svc, atlas, text)
            if got is not None:
                return got
            log.warning("%s; the richest view is shown instead", note)
        best = richest(svc, atlas)
        if best is None:
            return {"indicator": None, "level": None, "period": None, "group": None, "scheme": None,
                    "layout": None, "coloured": 0, "drawn": 0, "how": "none",
                    "note": note or "the atlas offers no indicator at a level with geometry"}
        return {**best, "note": note}

    result: dict[str, Any] = svc.cache.get_or_make(("landing",), make)
    return result
