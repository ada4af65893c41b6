"""Area profiles and time series: the area against its municipality, region and area type.

The comparison columns follow the studies' tables (e.g. Antwerpen-Noord vs Antwerpen; Aalst vs
the 13 centre cities vs the Flemish Region). Each value is the indicator computed at the
column's own level (aggregation is always by sums of counts, inside the indicator engine), so
a municipality's share is the municipality's share, not a mean of neighbourhood shares.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from aankomst.errors import AankomstError
from aankomst.web import engine, service

CLASS_UNITS = {"class", "category", "categorie", "klasse", "typology", "type", "label"}
"""Units of classification indicators (typology, difficulty class): shown with their explanation."""

CLASS_THEMES = {"typology", "difficulty", "arrival_typology", "classification"}


def _columns(atlas: Any, code: str, level: str | None, layout: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
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


def _levels_of(row: dict[str, Any]) -> list[str]:
    return engine.split_list(row.get("levels"))


def build_profile(atlas: Any, svc: Any, code: str, level: str | None, ids: list[str] | None,
                  period: str | None, layout: str | None = None) -> dict[str, Any]:
    """The profile of one area (see :func:`aankomst.web.api.profile`)."""
    area, cols = _columns(atlas, code, level, layout)
    cat = svc.catalogue()
    rows = [engine.indicator_row(cat, i) for i in ids] if ids else [
        r for r in cat.to_dict("records") if not _levels_of(r) or area["level"] in _levels_of(r)]
    out_rows: list[dict[str, Any]] = []
    classes: list[dict[str, Any]] = []
    unavailable: list[dict[str, str]] = []
    prov: dict[str, Any] = {}
    for row in rows:
        ind = str(row["id"])
        allowed = _levels_of(row)
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
            if allowed and col["level"] not in allowed:
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
        if vals.get("area") is None and all(v is None for v in vals.values()):
            continue
        m = service.meta_json(meta, row)
        for src in _sources(m):
            prov[json.dumps(src, sort_keys=True, default=str)] = src
        item = {"id": ind, "theme": row.get("theme"), "label_nl": row.get("label_nl"),
                "label_en": row.get("label_en"), "definition_nl": row.get("definition_nl"),
                "definition_en": row.get("definition_en"), "unit": m.get("unit") or row.get("unit"),
                "period": per, "values": vals}
        is_class = str(item["unit"] or "").strip().lower() in CLASS_UNITS or str(row.get("theme")) in CLASS_THEMES
        if is_class:
            a = vals.get("area") or {}
            item["explanation"] = a.get("explanation") or m.get("explanation") or row.get(
                "definition_nl") or ""
            item["explanation_en"] = a.get("explanation_en") or m.get("explanation_en") or row.get("definition_en") or ""
            classes.append(item)
        else:
            out_rows.append(item)
    return {"area": area, "columns": cols, "indicators": out_rows, "classification": classes,
            "unavailable": unavailable, "provenance": list(prov.values()) or _all_sources(atlas)}


def _sources(meta: dict[str, Any]) -> list[Any]:
    src = meta.get("sources") or meta.get("provenance") or []
    if isinstance(src, (str, dict)):
        src = [src]
    return [s for s in src if s]


def _all_sources(atlas: Any) -> list[dict[str, Any]]:
    df = atlas.query("SELECT source_id, title, publisher, reference_date, licence, url FROM provenance ORDER BY load_id")
    return service.records(df)


def build_series(atlas: Any, svc: Any, code: str, level: str | None, ind: str, group: str | None,
                 scheme: str | None, layout: str | None = None) -> dict[str, Any]:
    """Time series of ``ind`` for the area and its comparison columns."""
    row = svc.indicator(ind)
    area, cols = _columns(atlas, code, level, layout)
    allowed = _levels_of(row)
    periods = svc.periods(atlas, ind, area["level"])
    series = []
    unit = row.get("unit")
    for col in cols:
        if allowed and col["level"] not in allowed:
            continue
        values = []
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
    return {"indicator": ind, "label_nl": row.get("label_nl"), "label_en": row.get("label_en"), "unit": unit,
            "group": group, "scheme": scheme, "area": area, "periods": periods, "series": series}
