"""Catalogue indicators of the arrival-infrastructure registry (rows in
``data/indicators/registry.csv``), following the indicator contract::

    fn(atlas, *, level, period, group=None, scheme=None, **params) -> DataFrame

Parameters common to all
------------------------
registry_url
    Registry database URL; default the environment variable ``AANKOMST_REGISTRY_URL``.
period
    Reference date for "active" resources: ``YYYY-MM-DD``; a year ``YYYY`` means 1 January of
    that year (the current or a future year means today); empty/``current`` means today.
local_radius_m
    Radius (m) within which a resource counts as local (default 1,000).
layout
    Layout of the level (default the current one).

Definitions are in :mod:`aankomst.registry.analysis`. Counts of resources are not counts of
persons: ``numerator``/``denominator`` are left empty so the small-cell rule (which protects
persons) does not hide them.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.indicators.result import VALUE_COLUMNS, Computed

REGISTRY_SOURCE = {"source_id": "aankomst/registry", "family": "registry",
                   "title": "Aankomst registry of arrival infrastructure (local resources)",
                   "publisher": "Aankomst registry", "licence": None, "privacy": "open",
                   "url": None, "path": None}
"""How a live registry appears among an indicator's sources (its URL is never published: it
may hold credentials)."""


def _as_of(period: Any) -> date:
    p = "" if period is None else str(period).strip()
    today = date.today()
    if p in ("", "current", "today", "now"):
        return today
    if len(p) == 4 and p.isdigit():
        y = int(p)
        return today if y >= today.year else date(y, 1, 1)
    try:
        return date.fromisoformat(p[:10])
    except ValueError:
        raise UnknownCodeError("period", period, hint="use YYYY, YYYY-MM-DD or 'current'") from None


def _url(registry_url: str | None, indicator: str) -> str:
    url = registry_url or os.environ.get("AANKOMST_REGISTRY_URL")
    if not url:
        raise MissingInputError(
            indicator, "a registry of local resources",
            fix="pass registry_url=… (CLI/API parameter) or set AANKOMST_REGISTRY_URL, e.g. "
            "sqlite:///registry.sqlite; create one with 'aankomst registry init'")
    return url


def _stored(atlas: Any, indicator: str, level: str, layout: str | None,
            group: str, period: Any = None) -> Computed | None:
    """The snapshot stored in the atlas as measures (the demo does this) for the year of
    ``period`` (the latest for ``current``), or ``None``."""
    from aankomst.registry.areas import _open, default_layout

    p = "" if period is None else str(period).strip()
    year = "%" if p in ("", "current", "today", "now") else p[:4] + "%"
    a, opened = _open(atlas)
    try:
        lay = layout or default_layout(level)
        df = a.query(
            "SELECT m.code AS area_code, coalesce(ar.name_nl, ar.name_fr, m.code) AS area_name, "
            "m.period, m.value, m.unit, m.load_id FROM measures m LEFT JOIN areas ar ON "
            "ar.level = m.level AND ar.layout = m.layout AND ar.code = m.code "
            "WHERE m.measure = ? AND m.level = ? AND m.layout = ? AND m.grp = ? "
            "AND m.period = (SELECT max(period) FROM measures WHERE measure = ? AND level = ? "
            "AND layout = ? AND grp = ? AND period LIKE ?) ORDER BY m.code",
            [indicator, level, lay, group, indicator, level, lay, group, year])
    finally:
        if opened:
            a.close()
    if df.empty:
        return None
    out = df.assign(level=level, layout=lay, group=group, numerator=np.nan, denominator=np.nan,
                    area_name_fr=np.nan)
    per = str(out["period"].iloc[0])
    return Computed(out[VALUE_COLUMNS], load_ids={int(x) for x in df["load_id"].unique()},
                    periods=[per], restricted=False,
                    notes=[f"values stored in the atlas (registry snapshot of {per}); pass "
                           "registry_url or set AANKOMST_REGISTRY_URL for live values"])


def _fallback(atlas: Any, registry_url: str | None, indicator: str, level: str,
              layout: str | None, group: str, period: Any = None) -> Computed | None:
    if registry_url or os.environ.get("AANKOMST_REGISTRY_URL"):
        return None
    return _stored(atlas, indicator, level, layout, group, period)


def _domain(domain: str | None, group: str | None, indicator: str, required: bool) -> str | None:
    from aankomst.registry.validate import taxonomy

    known = list(taxonomy()["domain"])
    d = domain or (group if group and group in known else None)
    if d is None and required:
        raise MissingInputError(indicator, "parameter domain", fix="one of " + ", ".join(known))
    if d is not None and d not in known:
        raise UnknownCodeError("domain", d, known=known)
    return d


def _required_domain(domain: str | None, group: str | None, indicator: str) -> str:
    d = _domain(domain, group, indicator, True)
    assert d is not None  # _domain raised otherwise
    return d


def _table(atlas: Any, level: str, period: Any, registry_url: str | None, indicator: str,
           layout: str | None, local_radius_m: float, radii: tuple[float, ...]) -> tuple[pd.DataFrame, Any, date]:
    from aankomst.registry.analysis import area_completeness

    as_of = _as_of(period)
    table, s = area_completeness(atlas, _url(registry_url, indicator), level=level, layout=layout,
                                 as_of=as_of, local_radius_m=float(local_radius_m), radii=radii)
    return table, s, as_of


def _frame(s: Any, level: str, as_of: date, values: pd.Series, unit: str, group: str) -> Computed:
    df = pd.DataFrame({"area_code": s.codes, "area_name": s.names})
    df["level"], df["layout"], df["period"], df["group"] = level, s.layout, as_of.isoformat(), group
    df["value"] = df["area_code"].map(values).astype(float)
    df["unit"] = unit
    df["numerator"] = np.nan
    df["denominator"] = np.nan
    df["area_name_fr"] = np.nan
    return Computed(df[VALUE_COLUMNS], periods=[as_of.isoformat()], restricted=False,
                    sources=[{**REGISTRY_SOURCE, "reference_date": as_of.isoformat()}],
                    notes=["resources active on " + as_of.isoformat() + "; centres: "
                           + ", ".join(sorted(set(map(str, s.basis))))])


def nearest_distance(atlas: Any, *, level: str, period: Any, group: str | None = None,
                     scheme: str | None = None, domain: str | None = None,
                     registry_url: str | None = None, layout: str | None = None,
                     local_radius_m: float = 1000.0, **_: Any) -> Computed:
    """Distance (m, straight line, EPSG:31370) from each area's centre to the nearest active
    resource of ``domain`` (``group`` may name the domain). Empty when there is none."""
    d = _required_domain(domain, group, "registry_nearest_m")
    st = _fallback(atlas, registry_url, "registry_nearest_m", level, layout, d, period)
    if st is not None:
        return st
    t, s, as_of = _table(atlas, level, period, registry_url, "registry_nearest_m", layout,
                         local_radius_m, ())
    sub = t[t["domain"] == d].set_index("area_code")["nearest_m"].replace(np.inf, np.nan)
    return _frame(s, level, as_of, sub, "m", d)


def count_within(atlas: Any, *, level: str, period: Any, group: str | None = None,
                 scheme: str | None = None, domain: str | None = None, radius_m: float = 1000.0,
                 registry_url: str | None = None, layout: str | None = None,
                 local_radius_m: float = 1000.0, **_: Any) -> Computed:
    """Number of active resources of ``domain`` (all domains when omitted) within
    ``radius_m`` metres of each area's centre (distance <= radius)."""
    from aankomst.registry.analysis import active_resources, nearest_and_counts
    from aankomst.registry.areas import area_set

    d = _domain(domain, group, "registry_count_within", False)
    as_of = _as_of(period)
    s = area_set(atlas, level, layout)
    res = active_resources(_url(registry_url, "registry_count_within"), as_of)
    if d is not None:
        res = res[res["domains"].apply(lambda v: d in v)]
    r = float(radius_m)
    _dist, _idx, within = nearest_and_counts(s.centres, res[["x", "y"]].to_numpy(float), (r,))
    vals = pd.Series(within[r], index=s.codes)
    return _frame(s, level, as_of, vals, "resources", d or "all")


def _summary(atlas: Any, level: str, period: Any, registry_url: str | None, layout: str | None,
             local_radius_m: float, ind: str, column: str, unit: str) -> Computed:
    """One column of the per-area completeness summary (or the values stored in the atlas)."""
    from aankomst.registry.analysis import domain_codes, profile_summary

    st = _fallback(atlas, registry_url, ind, level, layout, "total", period)
    if st is not None:
        return st
    t, s, as_of = _table(atlas, level, period, registry_url, ind, layout, local_radius_m, ())
    p = profile_summary(t, len(domain_codes())).set_index("area_code")
    return _frame(s, level, as_of, p[column], unit, "total")


def domains_local(atlas: Any, *, level: str, period: Any, group: str | None = None,
                  scheme: str | None = None, registry_url: str | None = None,
                  layout: str | None = None, local_radius_m: float = 1000.0, **_: Any) -> Computed:
    """Institutional completeness: number of the 11 domains covered locally (0–11)."""
    return _summary(atlas, level, period, registry_url, layout, local_radius_m,
                    "registry_domains_local", "local", "domains")


def completeness_pct(atlas: Any, *, level: str, period: Any, group: str | None = None,
                     scheme: str | None = None, registry_url: str | None = None,
                     layout: str | None = None, local_radius_m: float = 1000.0, **_: Any) -> Computed:
    """Institutional completeness as % of the 11 domains covered locally."""
    return _summary(atlas, level, period, registry_url, layout, local_radius_m,
                    "registry_completeness_pct", "completeness_pct", "%")


def domains_supralocal_only(atlas: Any, *, level: str, period: Any, group: str | None = None,
                            scheme: str | None = None, registry_url: str | None = None,
                            layout: str | None = None, local_radius_m: float = 1000.0,
                            **_: Any) -> Computed:
    """Number of domains reachable only supra-locally (a resource's scale reaches the area)."""
    return _summary(atlas, level, period, registry_url, layout, local_radius_m,
                    "registry_domains_supralocal_only", "supra_local_only", "domains")


def domains_missing(atlas: Any, *, level: str, period: Any, group: str | None = None,
                    scheme: str | None = None, registry_url: str | None = None,
                    layout: str | None = None, local_radius_m: float = 1000.0, **_: Any) -> Computed:
    """Number of domains not covered at all (neither locally nor by any resource's reach)."""
    return _summary(atlas, level, period, registry_url, layout, local_radius_m,
                    "registry_domains_missing", "missing", "domains")


def coverage(atlas: Any, *, level: str, period: Any, group: str | None = None,
             scheme: str | None = None, domain: str | None = None, registry_url: str | None = None,
             layout: str | None = None, local_radius_m: float = 1000.0, **_: Any) -> Computed:
    """Coverage of one domain: 2 = local, 1 = supra-local only, 0 = none."""
    from aankomst.registry.analysis import STATUS_CODE

    d = _required_domain(domain, group, "registry_coverage")
    st = _fallback(atlas, registry_url, "registry_coverage", level, layout, d, period)
    if st is not None:
        return st
    t, s, as_of = _table(atlas, level, period, registry_url, "registry_coverage", layout,
                         local_radius_m, ())
    sub = t[t["domain"] == d].set_index("area_code")["status"].map(STATUS_CODE)
    return _frame(s, level, as_of, sub, "status (0 none, 1 supra-local, 2 local)", d)
