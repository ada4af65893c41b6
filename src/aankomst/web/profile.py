"""Area profiles and time series: the area against its municipality, region and area type.

The comparison columns follow the studies' tables (e.g. Antwerpen-Noord vs Antwerpen; Aalst vs
the 13 centre cities vs the Flemish Region). Each value is the indicator computed at the
column's own level (aggregation is always by sums of counts, inside the indicator engine), so
a municipality's share is the municipality's share, not a mean of neighbourhood shares.
Categorical indicators (``kind == "categorical"``: the arrival typology …) are listed apart,
with their class label and explanation.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from aankomst.errors import AankomstError
from aankomst.indicators import specs
from aankomst.web import service
from aankomst.web.service import Service


def _columns(atlas: Any, code: str, level: str | None, layout: str | None = None
             ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    area = service.find_area(atlas, code, level, layout)
    par = service.parents(atlas, area)
    cols = [{"column": "area", "code": area["code"], "level": area["level"], "layout": area["layout"],
             "name": area["name"]}]
    for lv in service.COMPARE_LEVELS:
        p = par.get(lv)
        if p is None or (p["code"] == area["code"] and p["level"] == area["level"]):
            continue
        cols.append({"column": lv, **{k: p.get(k) for k in ("code", "level", "layout", "name", "basis")}})
    return area, cols


def _pick(df: pd.DataFrame, code: str) -> dict[str, Any] | None:
    r = df[df["area_code"] == code]
    if r.empty:
        return None
    rec = service.records(r.head(1))[0]
    return {k: rec.get(k) for k in rec if k not in ("area_code", "area_name", "level", "layout", "unit")}


def build_profile(atlas: Any, svc: Service, code: str, level: str | None, ids: list[str] | None,
                  period: str | None, layout: str | None = None) -> dict[str, Any]:
    """The profile of one area (see :func:`aankomst.web.api.profile`).

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
        Period (default: the newest on offer of each indicator at the area's level).

    Returns
    -------
    dict
        ``area, columns, indicators, classification, unavailable, provenance``.
    """
    area, cols = _columns(atlas, code, level, layout)
    chosen = [svc.spec(i) for i in ids] if ids else [s for s in specs() if s.has_level(area["level"])]
    out_rows: list[dict[str, Any]] = []
    classes: list[dict[str, Any]] = []
    unavailable: list[dict[str, str]] = []
    prov: dict[str, Any] = {}
    texts = {r["id"]: r for r in svc.catalogue()["indicators"]}
    for spec in chosen:
        ind = spec.id
        try:
            per = period or svc.latest(atlas, ind, area["level"])
        except AankomstError as exc:
            per, why = None, str(exc)
        else:
            why = f"no values at level {area['level']}"
        if not per:
            unavailable.append({"indicator": ind, "reason": why})
            continue
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
                    unavailable.append({"indicator": ind, "reason": str(exc)})
                vals[col["column"]] = None
                continue
            meta = meta or m
            vals[col["column"]] = _pick(df, col["code"])
        if all(v is None for v in vals.values()):
            continue
        for src in meta.get("sources") or []:
            prov[json.dumps(src, sort_keys=True, default=str)] = src
        row = texts.get(ind, {})
        item = {"id": ind, "kind": spec.kind, "theme": row.get("theme"),
                "label_nl": meta.get("label_nl") or row.get("label_nl"),
                "label_en": meta.get("label_en") or row.get("label_en"),
                "definition_nl": meta.get("definition_nl") or row.get("definition_nl"),
                "definition_en": meta.get("definition_en") or row.get("definition_en"),
                "unit": meta.get("unit") or row.get("unit"), "period": per, "values": vals}
        if spec.kind == "categorical":
            a = vals.get("area") or {}
            item["explanation"] = a.get("explanation") or item["definition_nl"] or ""
            item["explanation_en"] = a.get("explanation_en") or a.get("explanation") or item["definition_en"] or ""
            classes.append(item)
        else:
            out_rows.append(item)
    return {"area": area, "columns": cols, "indicators": out_rows, "classification": classes,
            "unavailable": unavailable, "provenance": list(prov.values()) or _all_sources(atlas)}


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
            r = _pick(df, col["code"])
            values.append(None if r is None else {"value": r.get("value"), "suppressed": bool(r.get("suppressed"))})
        series.append({**col, "values": values})
    return {"indicator": ind, "kind": spec.kind, "label_nl": texts.get("label_nl"),
            "label_en": texts.get("label_en"), "unit": unit, "group": group, "scheme": scheme,
            "area": area, "periods": periods, "series": series}
