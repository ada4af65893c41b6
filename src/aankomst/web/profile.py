"""Area profiles and time series: the area against its municipality, region and area type.

The comparison columns follow the studies' tables (e.g. Antwerpen-Noord vs Antwerpen; Aalst vs
the 13 centre cities vs the Flemish Region). Each value is the indicator computed at the
column's own level (aggregation is always by sums of counts, inside the indicator engine), so
a municipality's share is the municipality's share, not a mean of neighbourhood shares.
Categorical indicators (``kind == "categorical"``: the arrival typology …) are listed apart,
with their class label and explanation.

Each indicator is shown for its newest period on offer at the area's level and layout; where the area has
no figure in that period, for the newest earlier period that has one (``earlier: true``, the
period used in ``period``, the newest in ``latest_period``; at most
:data:`~aankomst.web.profile_table.EARLIER_TRIES` periods back).

A profile is read from the atlas's profile table (:mod:`aankomst.web.profile_table`) when that
is fresh, else computed on the fly (:func:`build_profile_live`); both give the same answer.
"""

from __future__ import annotations

import json
from typing import Any

from aankomst.errors import AankomstError, UnknownCodeError
from aankomst.indicators import specs
from aankomst.indicators.spec import IndicatorSpec
from aankomst.web import profile_table, service
from aankomst.web.geo import display_name
from aankomst.web.service import Service


def _columns(atlas: Any, code: str, level: str | None, layout: str | None = None
             ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    area = service.find_area(atlas, code, level, layout)
    par = profile_table.comparison_parents(atlas, area["level"], area["layout"], [area["code"]])
    return area, _column_list(area, profile_table.with_names(atlas, par))


def _column_list(area: dict[str, Any], par: Any) -> list[dict[str, Any]]:
    """The area column and its comparison columns (with names nl/fr) from ``col, to_level,
    to_layout, to_code, basis, name_nl, name_fr, name_en`` rows."""
    cols = [{"column": "area", "code": area["code"], "level": area["level"], "layout": area["layout"],
             "name": area["name"], "name_nl": area.get("name_nl"), "name_fr": area.get("name_fr")}]
    order = {lv: i for i, lv in enumerate(profile_table.COLUMN_LEVELS)}
    for r in sorted(par.itertuples(index=False), key=lambda r: order[r.col]):
        nl, fr = (r.name_nl or None), (r.name_fr or None)
        cols.append({"column": r.col, "code": r.to_code, "level": r.to_level, "layout": r.to_layout,
                     "name": display_name(nl, fr, r.name_en) or r.to_code, "basis": r.basis,
                     "name_nl": nl, "name_fr": fr})
    return cols


def _chosen(svc: Service, level: str, ids: list[str] | None) -> list[IndicatorSpec]:
    return [svc.spec(i) for i in ids] if ids else [s for s in specs() if s.has_level(level)]


def _live_only(svc: Service, spec: IndicatorSpec) -> bool:
    """Indicators that read the server's registry of local resources are never taken from the
    table (the registry changes apart from the atlas)."""
    return bool(svc.registry_url) and any(p.name == "registry_url" for p in spec.all_params)


class _Collect:
    """The parts of a profile as they are assembled (rows, classes, unavailable, provenance)."""

    def __init__(self, svc: Service) -> None:
        self.texts = {r["id"]: r for r in svc.catalogue()["indicators"]}
        self.rows: list[dict[str, Any]] = []
        self.classes: list[dict[str, Any]] = []
        self.unavailable: list[dict[str, str]] = []
        self.prov: dict[str, Any] = {}

    def add(self, spec: IndicatorSpec, per: str, newest: str, vals: dict[str, Any], meta: dict[str, Any]) -> None:
        if all(v is None for v in vals.values()):
            return
        for src in meta.get("sources") or []:
            self.prov[json.dumps(src, sort_keys=True, default=str)] = src
        row = self.texts.get(spec.id, {})
        item = {"id": spec.id, "kind": spec.kind, "theme": row.get("theme"),
                "label_nl": meta.get("label_nl") or row.get("label_nl"),
                "label_en": meta.get("label_en") or row.get("label_en"),
                "label_fr": row.get("label_fr") or None,
                "definition_nl": meta.get("definition_nl") or row.get("definition_nl"),
                "definition_en": meta.get("definition_en") or row.get("definition_en"),
                "definition_fr": row.get("definition_fr") or None,
                "unit": meta.get("unit") or row.get("unit"), "unit_nl": row.get("unit_nl"),
                "unit_fr": row.get("unit_fr"), "unit_en": row.get("unit_en"), "period": per, "latest_period": newest,
                "earlier": per != newest, "values": vals}
        if spec.kind == "categorical":
            a = vals.get("area") or {}
            item["explanation"] = a.get("explanation") or item["definition_nl"] or ""
            item["explanation_en"] = a.get("explanation_en") or a.get("explanation") or item["definition_en"] or ""
            self.classes.append(item)
        else:
            self.rows.append(item)

    def result(self, atlas: Any, area: dict[str, Any], cols: list[dict[str, Any]], source: str) -> dict[str, Any]:
        return {"area": area, "columns": cols, "indicators": self.rows, "classification": self.classes,
                "unavailable": self.unavailable, "provenance": list(self.prov.values()) or _all_sources(atlas),
                "computed": source}


def _newest(atlas: Any, svc: Service, ind: str, area: dict[str, Any], period: str | None) -> tuple[str | None, str]:
    """The newest period on offer at the area's level and layout (or ``period``), else why not."""
    level = area["level"]
    try:
        per = period or svc.latest(atlas, ind, level, params={"layout": area["layout"]})
    except AankomstError as exc:
        return None, str(exc)
    return per, f"no values at level {level}"


def _period_with_value(atlas: Any, svc: Service, ind: str, area: dict[str, Any], tries: int) -> str | None:
    """The newest period (of the newest ``tries + 1``) in which the area has a figure."""
    periods = svc.periods(atlas, ind, area["level"], params={"layout": area["layout"]})
    for per in list(reversed(periods))[:tries + 1]:
        try:
            df, _ = svc.compute(atlas, ind, area["level"], per, params={"layout": area["layout"]})
        except AankomstError:
            continue
        if area["code"] in profile_table._with_value(df[df["area_code"] == area["code"]]):
            return str(per)
    return None


def _live(atlas: Any, svc: Service, spec: IndicatorSpec, area: dict[str, Any], cols: list[dict[str, Any]],
          period: str | None, tries: int, out: _Collect) -> None:
    """One indicator of a profile, computed on the fly."""
    ind = spec.id
    newest, why = _newest(atlas, svc, ind, area, period)
    if not newest:
        out.unavailable.append({"indicator": ind, "reason": why})
        return
    per = newest if period else (_period_with_value(atlas, svc, ind, area, tries) or newest)
    vals: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for col in cols:
        if not spec.has_level(col["level"]):
            vals[col["column"]] = None
            continue
        try:
            df, m = svc.compute(atlas, ind, col["level"], per, params={"layout": col["layout"]})
        except AankomstError as exc:
            if col["column"] == "area":
                out.unavailable.append({"indicator": ind, "reason": str(exc)})
            vals[col["column"]] = None
            continue
        meta = meta or m
        got = profile_table.cells(df, [col["code"]]).get(col["code"])
        vals[col["column"]] = None if got is None else json.loads(got)
    out.add(spec, per, newest, vals, meta)


def build_profile_live(atlas: Any, svc: Service, code: str, level: str | None, ids: list[str] | None,
                       period: str | None, layout: str | None = None,
                       tries: int = profile_table.EARLIER_TRIES) -> dict[str, Any]:
    """The profile of one area computed on the fly with the indicator engine (the fallback of
    :func:`build_profile` when the atlas has no fresh profile table; the reference the table
    is checked against). Arguments and result as :func:`build_profile`.
    """
    area, cols = _columns(atlas, code, level, layout)
    out = _Collect(svc)
    for spec in _chosen(svc, area["level"], ids):
        _live(atlas, svc, spec, area, cols, period, tries, out)
    return out.result(atlas, area, cols, "live")


def table_fresh(atlas: Any, svc: Service) -> bool:
    """Whether the atlas holds a fresh profile table (asked once per server: the atlas it serves
    is read-only)."""
    return bool(svc.cache.get_or_make(("profile-table-status",), lambda: profile_table.status(atlas) == "fresh"))


def build_profile(atlas: Any, svc: Service, code: str, level: str | None, ids: list[str] | None,
                  period: str | None, layout: str | None = None, *, use_table: bool = True) -> dict[str, Any]:
    """The profile of one area (see ``GET /api/areas/{code}/profile``).

    Parameters
    ----------
    atlas
        An open atlas.
    svc
        The service (cache, registry URL).
    code, level, layout
        The area.
    ids
        Indicator ids (default: every declared indicator defined at the area's level).
    period
        Period for every indicator (default: the newest on offer of each indicator at the
        area's level, or the newest earlier one with a figure for the area).
    use_table
        Read the atlas's profile table when it is fresh (with ``period`` given, or a stale
        table, the profile is computed on the fly).

    Returns
    -------
    dict
        ``area, columns, indicators, classification, unavailable, provenance, computed``
        (``computed``: ``table`` or ``live``). Each indicator row: ``id, kind, theme,
        label_nl/en/fr, definition_nl/en/fr, unit, period, latest_period, earlier, values``
        (``values``: column -> published row or ``None``).

    Examples
    --------
    >>> p = build_profile(atlas, svc, "97001W01", "neighbourhood", ["population"], None)  # doctest: +SKIP
    >>> [c["column"] for c in p["columns"]]  # doctest: +SKIP
    ['area', 'municipality', 'region']
    """
    if period or not use_table or not table_fresh(atlas, svc):
        return build_profile_live(atlas, svc, code, level, ids, period, layout)
    area = service.find_area(atlas, code, level, layout)
    stored = profile_table.read(atlas, area["level"], area["layout"], area["code"])
    if not stored["latest"]:  # a layout the table does not hold (profile_table.default_nodes)
        return build_profile_live(atlas, svc, code, level, ids, period, layout)
    cols = _column_list(area, stored["columns"])
    out = _Collect(svc)
    for spec in _chosen(svc, area["level"], ids):
        if _live_only(svc, spec) or spec.id not in stored["latest"]:
            _live(atlas, svc, spec, area, cols, None, profile_table.EARLIER_TRIES, out)
            continue
        newest, reason = stored["latest"][spec.id]
        if not newest:
            out.unavailable.append({"indicator": spec.id, "reason": str(reason)})
            continue
        per = stored["earlier"].get(spec.id, newest)
        vals: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        for col in cols:
            if not spec.has_level(col["level"]):
                vals[col["column"]] = None
                continue
            m, err = stored["metas"].get((spec.id, col["level"], col["layout"], per), (None, "not computed"))
            if m is None:
                if col["column"] == "area":
                    out.unavailable.append({"indicator": spec.id, "reason": str(err)})
                vals[col["column"]] = None
                continue
            meta = meta or m
            vals[col["column"]] = stored["values"].get((col["level"], col["layout"], col["code"], spec.id, per))
        out.add(spec, per, newest, vals, meta)
    return out.result(atlas, area, cols, "table")


def build_comparison(atlas: Any, svc: Service, code: str, level: str | None, other: str,
                     other_level: str | None, ids: list[str] | None, period: str | None,
                     layout: str | None = None, other_layout: str | None = None) -> dict[str, Any]:
    """Two areas side by side: the profile of ``code`` with ``compare``, the profile of
    ``other`` (each with its own comparison columns, from the same source).

    Examples
    --------
    >>> p = build_comparison(atlas, svc, "41002", "municipality", "23044", None, None, None)  # doctest: +SKIP
    >>> p["compare"]["area"]["name"]  # doctest: +SKIP
    'Liedekerke'
    """
    first = build_profile(atlas, svc, code, level, ids, period, layout)
    lv = other_level
    if lv is None:  # the same level as the first area when the code exists there
        try:
            service.find_area(atlas, other, first["area"]["level"], other_layout)
            lv = first["area"]["level"]
        except UnknownCodeError:
            lv = None
    return {**first, "compare": build_profile(atlas, svc, other, lv, ids, period, other_layout)}


def _all_sources(atlas: Any) -> list[dict[str, Any]]:
    df = atlas.query("SELECT source_id, title, publisher, reference_date, licence, url FROM provenance ORDER BY load_id")
    return service.records(df)


def build_series(atlas: Any, svc: Service, code: str, level: str | None, ind: str, group: str | None,
                 scheme: str | None, layout: str | None = None) -> dict[str, Any]:
    """Time series of ``ind`` for the area and its comparison columns: every period on offer
    at the area's level (:func:`aankomst.indicators.available_periods`)."""
    spec = svc.spec(ind)
    area, cols = _columns(atlas, code, level, layout)
    periods = svc.periods(atlas, ind, area["level"], group, scheme)
    texts = {r["id"]: r for r in svc.catalogue()["indicators"]}.get(ind, {})
    series = []
    unit = texts.get("unit")
    for col in cols:
        if not spec.has_level(col["level"]):
            continue
        values: list[dict[str, Any] | None] = []
        for p in periods:
            try:
                df, meta = svc.compute(atlas, ind, col["level"], p, group, scheme, {"layout": col["layout"]})
            except AankomstError:
                values.append(None)
                continue
            unit = meta.get("unit") or unit
            got = profile_table.cells(df, [col["code"]]).get(col["code"])
            r = None if got is None else json.loads(got)
            values.append(None if r is None else {"value": r.get("value"), "suppressed": bool(r.get("suppressed"))})
        series.append({**col, "values": values})
    return {"indicator": ind, "kind": spec.kind, "label_nl": texts.get("label_nl"),
            "label_en": texts.get("label_en"), "label_fr": texts.get("label_fr"), "unit": unit, "group": group,
            "scheme": scheme, "area": area, "periods": periods, "series": series}
