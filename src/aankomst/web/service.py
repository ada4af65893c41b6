"""What the API answers, as plain functions of an open atlas (no HTTP here).

Every function takes a read-only :class:`~aankomst.store.atlas.Atlas` and validated
arguments; unknown levels, areas and indicators raise :class:`~aankomst.errors.UnknownCodeError`
(HTTP 404), missing inputs :class:`~aankomst.errors.MissingInputError` (HTTP 404). Every
table passes the small-cell rule (:func:`aankomst.web.engine.protect`).
"""

from __future__ import annotations

import json
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from aankomst.errors import AankomstError, MissingInputError, UnknownCodeError
from aankomst.store.schema import CURRENT_LAYOUT, LEVELS
from aankomst.web import engine
from aankomst.web.geo import display_name
from aankomst.web.state import Busy, LRUCache

DATA_COLUMNS = ["area_code", "area_name", "level", "layout", "period", "group", "value", "unit",
                "numerator", "denominator", "suppressed"]
"""Columns of a values table (the indicator contract plus ``suppressed``)."""

COMPARE_LEVELS = ("municipality", "region", "area_type")
"""Comparison columns of an area profile, after the area itself (as in the studies' tables)."""


# --------------------------------------------------------------------------- levels & areas
_LEVELS: dict[str, list[dict[str, Any]]] = {}


def levels(atlas: Any) -> list[dict[str, Any]]:
    """Levels present in the atlas: level, layout used, number of areas, areas with geometry.

    Cached per atlas file (the web server opens atlases read-only)."""
    key = str(getattr(atlas, "path", id(atlas)))
    if getattr(atlas, "read_only", False) and key in _LEVELS:
        return _LEVELS[key]
    out = _levels(atlas)
    if getattr(atlas, "read_only", False):
        _LEVELS[key] = out
    return out


def _levels(atlas: Any) -> list[dict[str, Any]]:
    df = atlas.query(
        "SELECT level, layout, count(*) AS n, count(geometry) AS n_geom FROM areas GROUP BY level, layout"
    )
    out = []
    for lv in LEVELS:
        sub = df[df["level"] == lv]
        if sub.empty:
            continue
        cur = sub[sub["layout"] == CURRENT_LAYOUT.get(lv)]
        row = (cur if not cur.empty else sub.sort_values("n", ascending=False)).iloc[0]
        out.append({"level": lv, "layout": str(row["layout"]), "areas": int(row["n"]),
                    "with_geometry": int(row["n_geom"]),
                    "layouts": sorted(str(x) for x in sub["layout"])})
    return out


levels_of = levels


def resolve_level(atlas: Any, level: str, layout: str | None = None) -> str:
    """The layout to use for ``level`` (the current one unless given); 404 when absent."""
    present = {d["level"]: d for d in levels(atlas)}
    if level not in present:
        raise UnknownCodeError("level", level, known=list(present),
                               hint="GET /api/levels lists the levels of this atlas")
    if layout is None:
        return present[level]["layout"]
    if layout not in present[level]["layouts"]:
        raise UnknownCodeError(f"layout of level {level}", layout, known=present[level]["layouts"])
    return layout


def find_area(atlas: Any, code: str, level: str | None = None, layout: str | None = None) -> dict[str, Any]:
    """The area with ``code`` (at ``level`` / ``layout`` if given; the current layout preferred)."""
    sql = "SELECT level, layout, code, name_nl, name_fr, name_en, area_km2 FROM areas WHERE code = ?"
    params: list[Any] = [code]
    if level:
        sql += " AND level = ?"
        params.append(level)
    if layout:
        sql += " AND layout = ?"
        params.append(layout)
    df = atlas.query(sql, params)
    if df.empty:
        hint = "search with GET /api/search?q=NAME"
        raise UnknownCodeError(f"{level} area" if level else "area", code, hint=hint)
    df["rank"] = [
        (LEVELS.index(lv) if lv in LEVELS else 99, 0 if CURRENT_LAYOUT.get(lv) == ly else 1)
        for lv, ly in zip(df["level"], df["layout"])
    ]
    df = df.assign(cur=[r[1] for r in df["rank"]]).sort_values(["cur"], kind="stable")
    if not level:
        df = df.assign(lv=[r[0] for r in df["rank"]]).sort_values(["cur", "lv"], kind="stable")
    row = df.iloc[0]
    return {
        "code": str(row["code"]), "level": str(row["level"]), "layout": str(row["layout"]),
        "name": display_name(row["name_nl"], row["name_fr"], row["name_en"]),
        "name_nl": _str(row["name_nl"]), "name_fr": _str(row["name_fr"]), "name_en": _str(row["name_en"]),
        "area_km2": None if pd.isna(row["area_km2"]) else float(row["area_km2"]),
        "other_levels": sorted({str(x) for x in df["level"]} - {str(row["level"])}),
    }


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def search(atlas: Any, q: str, level: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Areas whose Dutch, French or English name (or code) contains ``q`` (case-insensitive).

    Names that start with ``q`` come first, then the coarser levels.
    """
    pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    start = q.lower() + "%"
    sql = (
        "SELECT level, layout, code, name_nl, name_fr, name_en FROM areas WHERE "
        "(lower(name_nl) LIKE ? ESCAPE '\\' OR lower(name_fr) LIKE ? ESCAPE '\\' "
        "OR lower(name_en) LIKE ? ESCAPE '\\' OR lower(code) LIKE ? ESCAPE '\\')"
    )
    params: list[Any] = [pattern, pattern, pattern, pattern]
    if level:
        sql += " AND level = ?"
        params.append(level)
    sql += (" ORDER BY (lower(name_nl) LIKE ? OR lower(name_fr) LIKE ?) DESC, length(coalesce(name_nl, name_fr)),"
            " level LIMIT 500")
    params += [start, start]
    df = atlas.query(sql, params)
    df = df[[CURRENT_LAYOUT.get(lv) == ly for lv, ly in zip(df["level"], df["layout"])]] if not df.empty else df
    out = []
    for r in df.head(limit).itertuples(index=False):
        out.append({"code": r.code, "level": r.level, "layout": r.layout,
                    "name": display_name(r.name_nl, r.name_fr, r.name_en),
                    "name_nl": _str(r.name_nl), "name_fr": _str(r.name_fr)})
    return out


def parents(atlas: Any, area: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """The area's municipality, region and area type (the comparison columns).

    From ``crosswalks`` (largest weight first); for neighbourhood/sector/deelgemeente codes that
    start with a NIS municipality code the municipality is taken from the code when no link
    exists; the region follows from the municipality.
    """
    out: dict[str, dict[str, Any] | None] = {lv: None for lv in COMPARE_LEVELS}
    if area["level"] in COMPARE_LEVELS:
        out[area["level"]] = {"code": area["code"], "level": area["level"], "layout": area["layout"],
                              "name": area["name"], "basis": "self"}
    _links(atlas, area["level"], area["layout"], area["code"], out)
    mun = out.get("municipality")
    if mun is None and area["level"] in ("neighbourhood", "sector", "deelgemeente") and area["code"][:5].isdigit():
        try:
            m = find_area(atlas, area["code"][:5], "municipality")
            out["municipality"] = {**_brief(m), "basis": "code"}
        except UnknownCodeError:
            pass
    mun = out.get("municipality")
    if mun is not None and mun.get("basis") != "self":
        _links(atlas, "municipality", mun["layout"], mun["code"], out)
    if out.get("region") is None and mun is not None and mun["code"][:5].isdigit():
        reg = "04000" if mun["code"].startswith("21") else (
            "03000" if mun["code"][0] in "5689" or mun["code"].startswith("25") else "02000")
        try:
            out["region"] = {**_brief(find_area(atlas, reg, "region")), "basis": "code"}
        except UnknownCodeError:
            pass
    return out


def _brief(a: dict[str, Any]) -> dict[str, Any]:
    return {k: a[k] for k in ("code", "level", "layout", "name")}


def _links(atlas: Any, level: str, layout: str, code: str, out: dict[str, Any]) -> None:
    df = atlas.query(
        "SELECT c.to_level, c.to_layout, c.to_code, c.weight, a.name_nl, a.name_fr, a.name_en, "
        "(SELECT count(*) FROM crosswalks m WHERE m.to_level = c.to_level AND m.to_code = c.to_code) AS members "
        "FROM crosswalks c LEFT JOIN areas a ON a.level = c.to_level AND a.layout = c.to_layout "
        "AND a.code = c.to_code WHERE c.from_level = ? AND c.from_layout = ? AND c.from_code = ? "
        "AND c.to_level IN ('municipality', 'region', 'area_type') ORDER BY c.weight DESC",
        [level, layout, code],
    )
    for lv in COMPARE_LEVELS:
        if out.get(lv) is not None:
            continue
        sub = df[df["to_level"] == lv]
        if sub.empty:
            continue
        if lv == "area_type":  # the widest type the area belongs to (e.g. the 13 centre cities)
            sub = sub.sort_values("members", ascending=False)
        r = sub.iloc[0]
        out[lv] = {"code": str(r["to_code"]), "level": lv, "layout": str(r["to_layout"]),
                   "name": display_name(r["name_nl"], r["name_fr"], r["name_en"]) or str(r["to_code"]),
                   "basis": "crosswalk", "weight": float(r["weight"]),
                   "alternatives": [str(c) for c in sub["to_code"].iloc[1:]]}


# --------------------------------------------------------------------------- indicator values
class Service:
    """Cached answers for one atlas (the atlas never changes while the server runs)."""

    def __init__(self, registry_url: str | None = None) -> None:
        self.registry_url = registry_url
        self.results = LRUCache(512)   # (ind, level, period, group, scheme, params) -> (df, meta)
        self.periods_cache = LRUCache(512)
        self.misc = LRUCache(256)
        self.busy = Busy()
        self.stopping = threading.Event()
        self.responses = LRUCache(2048)  # (path, query) -> Payload of a finished answer
        self._rows: dict[str, dict[str, Any]] = {}
        self._bg: set[tuple[str, str]] = set()
        self.background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aankomst-bg")
        self._bg_lock = threading.Lock()

    def catalogue(self) -> pd.DataFrame:
        return self.misc.get_or_make("catalogue", engine.catalogue)

    def indicator(self, ind: str) -> dict[str, Any]:
        row = self._rows.get(ind)
        if row is None:
            row = engine.indicator_row(self.catalogue(), ind)
            self._rows[ind] = row
        return row

    def compute(self, atlas: Any, ind: str, level: str, period: str, group: str | None = None,
                scheme: str | None = None, params: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
        """Indicator values at a level for a period (cached), small-cell rule applied."""
        row = self.indicator(ind)  # 404 for an unknown id before any work
        if "registry_url" in engine.split_list(row.get("params")):
            if not self.registry_url:
                raise MissingInputError(ind, "the arrival-infrastructure registry",
                                        fix="start the server with --registry URL")
            params = {**(params or {}), "registry_url": self.registry_url}
        if params and "layout" in params and "layout" not in engine.split_list(row.get("params")):
            params = {k: v for k, v in params.items() if k != "layout"}  # one layout only
        key = (ind, level, period, group, scheme, tuple(sorted((params or {}).items())))

        def make() -> tuple[pd.DataFrame, dict[str, Any]]:
            with self.busy:
                data, meta = engine.compute(atlas, ind, level=level, period=period, group=group,
                                            scheme=scheme, params=params)
            for col in DATA_COLUMNS:
                if col not in data.columns:
                    data[col] = None
            extra = [c for c in data.columns if c not in DATA_COLUMNS]  # text only (engine.protect)
            data = data[DATA_COLUMNS + extra].copy()
            data["area_code"] = data["area_code"].astype(str)
            return data, meta

        return self.results.get_or_make(key, make)

    def _has_values(self, atlas: Any, ind: str, level: str, period: str) -> bool:
        try:
            df, _ = self.compute(atlas, ind, level, period)
        except AankomstError:
            return False
        return bool(df["value"].notna().any() or df["suppressed"].any())

    def periods(self, atlas: Any, ind: str, level: str) -> list[str]:
        """Periods with values for ``ind`` at ``level`` (engine list, else probed and cached).

        Candidates come from the indicator's input tables (:func:`engine.candidate_periods`);
        each is tried once (the computed values stay cached for the map).
        """
        row = self.indicator(ind)

        def make() -> list[str]:
            got = engine.available_periods(atlas, ind, level)
            if got is not None:
                return sorted(got)
            cands = engine.candidate_periods(atlas, row.get("inputs", ""))
            return [p for p in cands if self._has_values(atlas, ind, level, p)]

        return self.periods_cache.get_or_make((ind, level), make)

    def periods_quick(self, atlas: Any, get_atlas: Any, ind: str, level: str) -> tuple[list[str], bool]:
        """``(periods, verified)`` at once: the verified list when known, else the candidate
        periods of the inputs while a background thread verifies them (next call is exact)."""
        row = self.indicator(ind)
        done = self.periods_cache.get((ind, level))
        if done is not None and not isinstance(done, AankomstError):
            return list(done), True
        got = engine.available_periods(atlas, ind, level)
        if got is not None:
            self.periods_cache.put((ind, level), sorted(got))
            return sorted(got), True
        cands = engine.candidate_periods(atlas, row.get("inputs", ""))
        with self._bg_lock:
            start = (ind, level) not in self._bg
            self._bg.add((ind, level))
        if start:
            def verify() -> None:
                try:
                    self.periods(get_atlas(), ind, level)
                except Exception:  # noqa: BLE001 - verification is best effort
                    pass
                finally:
                    with self._bg_lock:
                        self._bg.discard((ind, level))

            self.background.submit(verify)
        return cands, False

    def stop(self, timeout: float = 120.0) -> None:
        """Stop background work and wait for computations in flight (call before closing connections)."""
        self.stopping.set()
        self.background.shutdown(wait=True, cancel_futures=True)
        self.busy.wait_idle(timeout)

    def warm(self, get_atlas: Any, levels: list[str]) -> None:
        """Compute, in the background worker, the latest values of every indicator at ``levels``
        and their comparison levels (what the map's first view and area profiles need)."""

        def run() -> None:
            atlas = get_atlas()
            try:
                present = {d["level"] for d in levels_of(atlas)}
                cat = self.catalogue()
            except Exception:  # noqa: BLE001 - warming is best effort
                return
            todo = [lv for lv in (*levels, *COMPARE_LEVELS) if lv in present]
            for row in cat.to_dict("records"):
                allowed = engine.split_list(row.get("levels"))
                for lv in dict.fromkeys(todo):
                    if self.stopping.is_set():
                        return
                    if allowed and lv not in allowed:
                        continue
                    try:
                        self.latest(atlas, str(row["id"]), lv)
                    except Exception:  # noqa: BLE001
                        continue

        self.background.submit(run)

    def _coverage(self, atlas: Any, ind: str, level: str, period: str) -> float:
        """Share of the level's areas (in the result's layout) that have a value or are suppressed."""
        try:
            df, _ = self.compute(atlas, ind, level, period)
        except AankomstError:
            return 0.0
        n = int((df["value"].notna() | df["suppressed"].astype(bool)).sum())
        if n == 0:
            return 0.0
        lays = [str(x) for x in df["layout"].dropna().unique()]
        total = atlas.query("SELECT count(*) AS n FROM areas WHERE level = ? AND layout IN (SELECT unnest(?))",
                            [level, lays or ["?"]])["n"].iloc[0]
        return n / max(int(total), n, 1)

    def latest(self, atlas: Any, ind: str, level: str) -> str | None:
        """The newest period with values for at least half of the level's areas (else the newest
        period with the best coverage). A period published for part of the areas only (e.g. the
        Brussels municipalities) is not taken as the map's default."""
        row = self.indicator(ind)
        done = self.periods_cache.get((ind, level))
        if done is not None and not isinstance(done, AankomstError):
            return done[-1] if done else None

        def make() -> str:
            got = engine.available_periods(atlas, ind, level)
            if got is not None:
                return sorted(got)[-1] if got else ""
            best, best_cov = "", 0.0
            for p in reversed(engine.candidate_periods(atlas, row.get("inputs", ""))):
                cov = self._coverage(atlas, ind, level, p)
                if cov >= 0.5:
                    return p
                if cov > best_cov:
                    best, best_cov = p, cov
            return best

        return self.misc.get_or_make(("latest", ind, level), make) or None


def meta_json(meta: dict[str, Any], row: dict[str, Any], lang: str = "nl") -> dict[str, Any]:
    """Meta of a result as JSON-safe dict, completed from the catalogue row."""
    out = {k: _safe(v) for k, v in meta.items()}
    for k in ("id", "theme", "label_nl", "label_en", "definition_nl", "definition_en", "unit",
              "numerator", "denominator", "source"):
        if out.get(k) in (None, "") and row.get(k) not in (None, ""):
            out[k] = row[k]
    out.setdefault("id", row.get("id"))
    return out


def _safe(v: Any) -> Any:
    try:
        json.dumps(v)
        return v
    except (TypeError, ValueError):
        if isinstance(v, pd.DataFrame):
            return json.loads(v.to_json(orient="records", date_format="iso"))
        if isinstance(v, (list, tuple, set)):
            return [_safe(x) for x in v]
        if isinstance(v, dict):
            return {str(k): _safe(x) for k, x in v.items()}
        if isinstance(v, float) and math.isnan(v):
            return None
        return str(v)


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts (NaN -> null)."""
    return json.loads(df.to_json(orient="records", date_format="iso"))


def change_table(a: pd.DataFrame, b: pd.DataFrame, unit: str) -> tuple[pd.DataFrame, str]:
    """Change between two periods per area: ``value = b - a``.

    Shares in % change in percentage points; other units in their own unit. An area is
    suppressed when either period is suppressed; areas missing in one period are left out.
    """
    m = a[["area_code", "area_name", "level", "layout", "group", "value", "suppressed"]].merge(
        b[["area_code", "value", "suppressed"]], on="area_code", suffixes=("_from", "_to"))
    out = m[["area_code", "area_name", "level", "layout", "group"]].copy()
    out["value_from"] = m["value_from"]
    out["value_to"] = m["value_to"]
    out["suppressed"] = m["suppressed_from"].astype(bool) | m["suppressed_to"].astype(bool)
    out["value"] = (m["value_to"] - m["value_from"]).where(~out["suppressed"])
    out.loc[out["suppressed"], ["value_from", "value_to"]] = float("nan")
    cunit = "percentage points" if unit.strip() in ("%", "percent", "pct") else unit
    out["unit"] = cunit
    return out, cunit


def missing_for(ind: str, level: str, period: str) -> MissingInputError:
    """A 404 for an indicator without values at a level for a period."""
    return MissingInputError(ind, f"values at level {level}", years=period,
                             fix=f"GET /api/periods?indicator={ind}&level={level} lists the periods with data")
