"""The OCMW dashboard as data (``aankomst ocmw dashboard``, ``/ocmw/{code}``).

:func:`dashboard` gathers, for one OCMW (a municipality code): key figures with their trend
(recipients; shares of Belgians, non-EU and EU nationals; recipients per 1,000 Belgian and per
1,000 foreign residents), breakdowns by measure, group, sex and age, the trajectory figures
(inflow, outflow, median duration, exits within 12/24 months, article 60 followed by regular
work), a comparison with municipalities of the same area type (or population size class) and
the region, and — for Brussels OCMWs — the IBSA neighbourhood series of the share of residents
on an OCMW income (2005–2023), and the neighbourhood map (:mod:`aankomst.ocmw.neighbourhoods`:
recipients per neighbourhood from an extract, else the IBSA share for Brussels, else the
outlines). Rendering (HTML) is :mod:`aankomst.web.ocmw_routes`'s; this
module returns plain data (JSON-ready) and the export table.

**Protection.** All counts of the OCMW go through :func:`aankomst.ocmw.protect.protect` as
*one* table per measure (groups × sex × age × period × recipients/inflow/outflow, with the
margin, nested-group and adjacent-period relations); shares and rates are blanked where their
numerator or denominator is withheld. Comparison values come from
:func:`aankomst.indicators.compute` (small-cell rule with complementary suppression along the
area hierarchy); so do the neighbourhood counts of the map (:mod:`aankomst.ocmw.neighbourhoods`:
the engine's published cells, the same as ``/api/values``).

**Cache.** The protected tables of one OCMW and measure are computed once per process and atlas
version (:func:`aankomst.store.hierarchy.atlas_version`), small-cell threshold and comparison
flag (LRU of :data:`CACHE_SIZE`); the page, its JSON and its CSV share them, the language is
applied afterwards.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.store.hierarchy import atlas_version

FLOW_STATS = ("recipients", "inflow", "outflow")
TRAJ_STATS = ("spells", "spells_obs12", "exits12", "spells_obs24", "exits24", "contracts_obs12", "work12")
KEY_GROUPS = (("eu_status", "belgian"), ("eu_status", "non_eu"), ("eu_status", "eu"))
SIZE_CLASSES = (0, 10_000, 25_000, 50_000, 100_000, 250_000, 10 ** 9)


def _rows(atlas: Any, code: str) -> tuple[pd.DataFrame, str]:
    """Stored OCMW rows of a municipality code: the layout with most rows first; other layouts
    fill keys it lacks (the same NIS code)."""
    df = atlas.con.execute(
        "SELECT m.layout, m.measure, m.period, m.scheme, m.grp, m.value, m.load_id, p.privacy, p.family "
        "FROM measures m JOIN provenance p USING (load_id) WHERE m.level = 'municipality' AND m.code = ? "
        "AND m.measure LIKE 'ocmw_%' AND m.value IS NOT NULL", [str(code)]).df()
    if df.empty:
        known = atlas.con.execute("SELECT DISTINCT code FROM measures WHERE level = 'municipality' AND "
                                  "measure LIKE 'ocmw_%' ORDER BY 1").fetchall()
        raise UnknownCodeError("OCMW (municipality code with OCMW figures)", code,
                               known=[r[0] for r in known],
                               hint="load OCMW figures first: aankomst ocmw load FILE --db ATLAS")
    order = df["layout"].value_counts().index.tolist()
    df["_rank"] = df["layout"].map({ly: i for i, ly in enumerate(order)})
    df = df.sort_values("_rank").drop_duplicates(["measure", "period", "scheme", "grp"])  # noqa.drop(columns="_rank")
    df = df.rename(columns={"measure": "key"})
    parts = df["key"].str.slice(5).str.split(":", expand=True)
    df["stat"], df["ocmw_measure"], df["sex"], df["age_band"] = parts[0], parts[1], parts[2], parts[3]
    return df, str(order[0])


def _cells(rows: pd.DataFrame) -> pd.DataFrame:
    """Count cells (exact where counted, else the published-table estimate, flagged)."""
    c = rows[rows["stat"].isin([*FLOW_STATS, "recipients_est"])].copy()
    c["estimate"] = c["stat"] == "recipients_est"
    c["stat"] = c["stat"].replace({"recipients_est": "recipients"})
    c = c.sort_values("estimate").drop_duplicates(["stat", "ocmw_measure", "period", "scheme", "grp", "sex",
                                                   "age_band"])
    return c.rename(columns={"ocmw_measure": "measure"})[
        ["stat", "measure", "period", "scheme", "grp", "sex", "age_band", "value", "estimate", "load_id",
         "privacy"]].reset_index(drop=True)


def _shown(c: pd.DataFrame) -> pd.DataFrame:
    """The cells the dashboard publishes (years): recipients of every group (all sexes and
    ages), of all persons by sex and by age band; inflow and outflow of the main groups."""
    tt = (c["sex"] == "T") & (c["age_band"] == "total")
    tot = (c["scheme"] == "total") & (c["grp"] == "total")
    one_way = tot & ((c["sex"] == "T") != (c["age_band"] == "total"))
    rec = c["stat"] == "recipients"
    flows = c["stat"].isin(["inflow", "outflow"]) & c["scheme"].isin(["total", "nationality", "eu_status"])
    return c[(rec & (tt | one_way)) | (flows & tt)].reset_index(drop=True)


def _population(atlas: Any, code: str, layout: str) -> pd.DataFrame:
    """Residents on 1 January per year and group (total, nationality, four-criteria origin)."""
    df = atlas.con.execute(
        "SELECT year(ref_date) AS year, scheme, grp, sum(count)::DOUBLE AS n FROM population WHERE "
        "level = 'municipality' AND layout = ? AND code = ? AND month(ref_date) = 1 AND day(ref_date) = 1 "
        "AND sex = 'T' AND age_band = 'total' AND scheme IN ('total', 'nationality', 'origin_4crit') "
        "GROUP BY ALL", [layout, str(code)]).df()
    piv = df.pivot_table(index="year", columns=["scheme", "grp"], values="n", aggfunc="sum")
    out = pd.DataFrame(index=piv.index)

    def col(s: str, g: str) -> pd.Series:
        return piv[(s, g)] if (s, g) in piv.columns else pd.Series(np.nan, index=piv.index)

    out["total/total"] = col("total", "total").fillna(col("nationality", "BEL") + col("nationality", "ETR"))
    out["nationality/BEL"] = col("nationality", "BEL")
    out["nationality/ETR"] = col("nationality", "ETR")
    out["ocmw_origin/belgian_origin"] = col("origin_4crit", "belgian")
    out["ocmw_origin/belgian_foreign_origin"] = (col("origin_4crit", "foreign") - col("nationality", "ETR"))
    out["ocmw_origin/foreign_nationality"] = col("nationality", "ETR")
    return out


@dataclass(frozen=True)
class _Core:
    """The language-independent, protected part of a dashboard (shared: do not modify)."""

    rows: pd.DataFrame
    layout: str
    prot: pd.DataFrame
    tprot: pd.DataFrame
    pop: pd.DataFrame
    name: tuple[str, str | None, str | None]
    threshold: int
    years: tuple[str, ...]
    latest: str
    comparison: dict[str, Any] | None
    brussels: dict[str, Any] | None
    neighbourhoods: dict[str, Any]
    index: dict[tuple[str, ...], tuple[Any, bool, bool]]
    """(stat, measure, period, scheme, grp, sex, age band) → (value, suppressed, estimate) of
    ``prot`` (the first row of a key)."""


CACHE_SIZE = 32
"""Dashboards kept per process (page, JSON and CSV of one OCMW share one computation)."""
_CACHE: OrderedDict[tuple[Any, ...], _Core] = OrderedDict()
_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget the dashboards computed by this process (tests; a new atlas version is seen
    without it: the cache key holds :func:`~aankomst.store.hierarchy.atlas_version`)."""
    with _LOCK:
        _CACHE.clear()


def _core(atlas: Any, code: str, measure: str, compare: bool) -> _Core:
    """The protected tables of one OCMW and measure, memoised (LRU of :data:`CACHE_SIZE`) on the
    atlas version, the code, the measure, the comparison flag and the small-cell threshold."""
    from aankomst.privacy import threshold

    thr = threshold(atlas)
    key = (atlas_version(atlas), code, measure, bool(compare), thr)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    got = _compute_core(atlas, code, measure, compare, thr)
    with _LOCK:
        _CACHE[key] = got
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return got


def _compute_core(atlas: Any, code: str, measure: str, compare: bool, thr: int) -> _Core:
    """:func:`_core` without the cache."""
    from aankomst.ocmw.neighbourhoods import neighbourhood_table
    from aankomst.ocmw.protect import protect

    rows, layout = _rows(atlas, code)
    cells = _shown(_cells(rows[rows["period"].str.len() == 4]))
    prot = pd.concat([protect(part, thr) for _, part in cells.groupby("measure", sort=False)],
                     ignore_index=True) if len(cells) else cells.assign(suppressed=False, suppression="")
    traj = rows[rows["stat"].isin(TRAJ_STATS) & (rows["period"].str.len() == 4)].rename(columns={"ocmw_measure": "measure"})
    tprot = protect(traj, thr) if len(traj) else traj.assign(suppressed=False)
    pop = _population(atlas, code, layout)
    names = atlas.con.execute("SELECT name_nl, name_fr, name_en FROM areas WHERE level = 'municipality' "
                              "AND layout = ? AND code = ?", [layout, code]).fetchall()
    name = (str(names[0][0]), names[0][1], names[0][2]) if names else (code, code, code)
    mine = prot[(prot["measure"] == measure) & (prot["sex"] == "T") & (prot["age_band"] == "total")]
    years = sorted({p for p in mine.loc[mine["stat"] == "recipients", "period"] if len(p) == 4})
    if not years:
        have = sorted(set(prot["measure"]))
        raise UnknownCodeError(f"measure with yearly recipients for OCMW {code}", measure, known=have)
    latest = years[-1]
    brussels = _brussels(atlas, code) if code.startswith("21") else None
    index: dict[tuple[str, ...], tuple[Any, bool, bool]] = {}
    for k in zip(prot["stat"], prot["measure"], prot["period"], prot["scheme"], prot["grp"], prot["sex"],
                 prot["age_band"], prot["value"], prot["suppressed"], prot["estimate"]):
        index.setdefault(tuple(str(x) for x in k[:7]), (k[7], bool(k[8]), bool(k[9])))
    return _Core(index=index, rows=rows, layout=layout, prot=prot, tprot=tprot, pop=pop, name=name, threshold=thr,
                 years=tuple(years), latest=latest,
                 comparison=_comparison(atlas, code, layout, latest, measure) if compare else None,
                 brussels=brussels,
                 neighbourhoods=neighbourhood_table(atlas, code, layout, measure, brussels))


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and not np.isfinite(x)) or pd.isna(x) else float(x)


def dashboard(atlas: Any, code: str, *, measure: str = "leefloon", lang: str = "nl",
              compare: bool = True) -> dict[str, Any]:
    """The dashboard data of one OCMW.

    Parameters
    ----------
    atlas
        An atlas with OCMW figures (``aankomst ocmw load``).
    code
        NIS code of the OCMW's municipality (``11002`` Antwerpen).
    measure
        The measure of the key figures and trends (``leefloon`` by default).
    lang
        ``nl``, ``fr`` or ``en``: labels of groups, measures and texts.
    compare
        Add the comparison with similar municipalities and the region.

    Returns
    -------
    dict
        ``area``, ``measure``, ``latest``, ``key_figures`` (latest year), ``trend`` (per year),
        ``by_measure``, ``by_group``, ``by_sex``, ``by_age``, ``trajectories``, ``comparison``,
        ``brussels``, ``neighbourhoods`` (the map: :func:`aankomst.ocmw.neighbourhoods.neighbourhood_table`,
        area names in ``lang`` as ``name``), ``sources``, ``notes``, ``threshold``, ``cells`` (the
        protected export table, the neighbourhood counts included). Counts are persons; rates per 1,000 residents of the group on 1 January; shares
        in %; ``estimate`` marks counts derived from published shares.

    Raises
    ------
    UnknownCodeError
        A code without OCMW figures (the message lists the OCMWs that have some) or an unknown
        measure.

    Examples
    --------
    >>> d = dashboard(atlas, "11002")  # doctest: +SKIP
    >>> d["key_figures"]["recipients"]["value"], d["latest"]  # doctest: +SKIP
    (8303.0, '2010')
    """
    from aankomst.ocmw import catalogue as K

    if measure not in K.measure_ids():
        raise UnknownCodeError("OCMW measure", measure, known=K.measure_ids())
    lang = lang if lang in ("nl", "fr", "en") else "nl"
    code = str(code).strip()
    core = _core(atlas, code, measure, compare)
    rows, layout, prot, tprot, pop, thr = core.rows, core.layout, core.prot, core.tprot, core.pop, core.threshold
    name = core.name
    years, latest = list(core.years), core.latest

    def cell(stat: str, period: str, scheme: str = "total", grp: str = "total", m: str = measure,
             sex: str = "T", age: str = "total") -> dict[str, Any]:
        r = core.index.get((stat, m, period, scheme, grp, sex, age))
        if r is None:
            return {"value": None, "suppressed": False, "estimate": False, "available": False}
        return {"value": _num(r[0]), "suppressed": bool(r[1]), "estimate": bool(r[2]), "available": True}

    def published_share(period: str, scheme: str, grp: str) -> float | None:
        hit = rows[(rows["stat"] == "share") & (rows["ocmw_measure"] == measure) & (rows["period"] == period)
                   & (rows["scheme"] == scheme) & (rows["grp"] == grp)]
        return _num(hit["value"].iloc[0]) if len(hit) else None

    def share(period: str, scheme: str, grp: str) -> dict[str, Any]:
        pub = published_share(period, scheme, grp)
        num, den = cell("recipients", period, scheme, grp), cell("recipients", period)
        if num["available"] and not num["estimate"] and num["value"] is not None and den["value"]:
            return {"value": 100.0 * num["value"] / den["value"], "published": False, "suppressed": False}
        if pub is not None:
            return {"value": pub, "published": True, "suppressed": False}
        return {"value": None, "published": False, "suppressed": num["suppressed"] or den["suppressed"]}

    def rate(period: str, scheme: str, grp: str) -> dict[str, Any]:
        num = cell("recipients", period, scheme, grp)
        y = int(period[:4])
        col = f"{scheme}/{grp}"
        den = _num(pop.loc[y, col]) if (y in pop.index and col in pop.columns) else None
        if num["value"] is None or not den:
            return {"value": None, "numerator": num["value"], "denominator": den,
                    "suppressed": num["suppressed"] or bool(den is not None and 1 <= den < thr),
                    "estimate": num["estimate"]}
        return {"value": 1000.0 * num["value"] / den, "numerator": num["value"], "denominator": den,
                "suppressed": False, "estimate": num["estimate"]}

    def key(period: str) -> dict[str, Any]:
        return {"recipients": cell("recipients", period),
                "shares": {g: share(period, s, g) for s, g in KEY_GROUPS},
                "per_1000": {"BEL": rate(period, "nationality", "BEL"),
                             "ETR": rate(period, "nationality", "ETR"),
                             "total": rate(period, "total", "total")},
                "inflow": cell("inflow", period), "outflow": cell("outflow", period)}

    trend = [{"period": y, **key(y)} for y in years]
    glabel = lambda s, g: K.group_label(s, g, lang)
    by_group: list[dict[str, Any]] = []
    for s in ("nationality", "eu_status", "nationality_group6", "ocmw_origin", "residence", "arrival_cohort"):
        for g in K.scheme_groups(s):
            c = cell("recipients", latest, s, g)
            if c["available"] and not any(x["label"] == glabel(s, g) for x in by_group):  # Belgians once
                by_group.append({"scheme": s, "grp": g, "label": glabel(s, g), **c,
                                 "share": share(latest, s, g)["value"] if not c["suppressed"] else None,
                                 "per_1000": rate(latest, s, g)["value"]
                                 if s in ("nationality", "ocmw_origin") else None})
    mlab = K.measures().set_index("measure")[f"label_{lang}"]
    by_measure = [{"measure": m, "label": str(mlab.get(m, m)), **cell("recipients", latest, m=m)}
                  for m in K.measure_ids() if cell("recipients", latest, m=m)["available"]]
    by_sex = [{"sex": s, **cell("recipients", latest, sex=s)} for s in ("M", "F")
              if cell("recipients", latest, sex=s)["available"]]
    by_age = [{"age_band": a, **cell("recipients", latest, age=a)} for a in K.age_band_ids()
              if cell("recipients", latest, age=a)["available"]]
    trajectories = _trajectories(tprot, rows, measure)
    out: dict[str, Any] = {
        "area": {"code": code, "level": "municipality", "layout": layout, "name_nl": name[0],
                 "name_fr": name[1] or name[0], "name": name[1] if lang == "fr" and name[1] else name[0]},
        "measure": {"id": measure, "label": str(mlab.get(measure, measure))},
        "lang": lang, "latest": latest, "years": years, "key_figures": key(latest), "trend": trend,
        "by_measure": by_measure, "by_group": by_group, "by_sex": by_sex, "by_age": by_age,
        "trajectories": trajectories, "threshold": thr,
        "restricted": bool((rows["privacy"] == "restricted").any()),
        "sources": _sources(atlas, sorted(set(rows["load_id"]))),
        "notes": _notes(prot, lang, thr),
    }
    out["comparison"] = copy.deepcopy(core.comparison)
    out["brussels"] = copy.deepcopy(core.brussels)
    nb = copy.deepcopy(core.neighbourhoods)
    for a in nb["areas"]:
        a["name"] = a["name_fr"] if lang == "fr" and a.get("name_fr") else a["name_nl"]
    out["neighbourhoods"] = nb
    out["cells"] = pd.concat([prot.drop(columns=["load_id", "privacy"]).assign(area_code=code, level="municipality",
                                                                               layout=layout),
                              _area_cells(nb, measure)], ignore_index=True)
    return out


def _area_cells(nb: dict[str, Any], measure: str) -> pd.DataFrame:
    """The protected neighbourhood counts as export rows (none for shares or outlines)."""
    if nb["kind"] != "counts":
        return pd.DataFrame()
    return pd.DataFrame([{"area_code": a["code"], "level": nb["level"], "layout": nb["layout"], "measure": measure,
                          "stat": "recipients", "period": nb["period"], "scheme": "total", "grp": "total",
                          "sex": "T", "age_band": "total", "value": a["value"], "estimate": False,
                          "suppressed": a["suppressed"], "suppression": "withheld" if a["suppressed"] else ""}
                         for a in nb["areas"]])


def _trajectories(t: pd.DataFrame, rows: pd.DataFrame, measure: str) -> list[dict[str, Any]]:
    """Per start/end year: spells, exits within 12/24 months (%), median duration, article 60."""
    if t.empty and not (rows["stat"] == "duration_median").any():
        return []
    tt = t[(t["scheme"] == "total") & (t["grp"] == "total")]
    med = rows[(rows["stat"] == "duration_median") & (rows["ocmw_measure"] == measure)
               & (rows["scheme"] == "total")]
    out = []
    for y in sorted(set(tt["period"]) | set(med["period"])):
        def v(stat: str, m: str = measure, y: str = y) -> float | None:
            h = tt[(tt["stat"] == stat) & (tt["period"] == y) & (tt["measure"] == m)]
            return _num(h["value"].iloc[0]) if len(h) else None

        def pct(a: float | None, b: float | None) -> float | None:
            return 100.0 * a / b if a is not None and b else None

        mm = med[med["period"] == y]
        out.append({"period": y, "spells": v("spells"), "exit12": pct(v("exits12"), v("spells_obs12")),
                    "exit24": pct(v("exits24"), v("spells_obs24")),
                    "median_months": _num(mm["value"].iloc[0]) if len(mm) else None,
                    "art60_work12": pct(v("work12", "article_60"), v("contracts_obs12", "article_60"))})
    return out


def _sources(atlas: Any, load_ids: list[int]) -> list[dict[str, Any]]:
    if not load_ids:
        return []
    df = atlas.con.execute("SELECT load_id, source_id, title, publisher, reference_date, privacy, warnings "
                           "FROM provenance WHERE load_id IN (SELECT unnest(?)) ORDER BY load_id",
                           [[int(x) for x in load_ids]]).df()
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in df.to_dict("records")]


def _notes(prot: pd.DataFrame, lang: str, threshold: int) -> list[str]:
    from aankomst.ocmw.catalogue import ui_text

    notes = [ui_text("privacy_note", lang).format(max=threshold - 1)]
    if prot["estimate"].any():
        notes.append({"nl": "Aantallen per groep uit de gepubliceerde tabel 2010 zijn schattingen (totaal × "
                            "gepubliceerd aandeel, afgerond op 0,1 %).",
                      "fr": "Les effectifs par groupe du tableau publié de 2010 sont des estimations (total × "
                            "part publiée, arrondie à 0,1 %).",
                      "en": "Counts per group from the published 2010 table are estimates (total × published "
                            "share, rounded to 0.1 %)."}[lang])
    n = int(prot["suppressed"].sum())
    if n:
        kinds = prot.loc[prot["suppressed"], "suppression"].value_counts()
        notes.append(ui_text("withheld_cells", lang).format(
            n=n, max=threshold - 1, **{k: int(kinds.get(k, 0)) for k in ("primary", "complementary", "detail")}))
    return notes


def _comparison(atlas: Any, code: str, layout: str, period: str, measure: str) -> dict[str, Any]:
    """The OCMW beside municipalities of its area type (else its population size class) and the
    region: recipients and recipients per 1,000 Belgian / foreign residents."""
    from aankomst.indicators import compute
    from aankomst.ocmw.specs import install

    install()  # the OCMW indicators (idempotent)
    node = f"municipality@{layout}"
    got: dict[str, pd.DataFrame] = {}
    for key, grp in (("recipients", None), ("per_1000_BEL", "nationality:BEL"),
                     ("per_1000_ETR", "nationality:ETR"), ("per_1000", None)):
        ind = "ocmw_recipients" if key == "recipients" else "ocmw_recipients_per_1000"
        try:
            got[key] = compute(atlas, ind, level=node, period=period, group=grp, measure=measure).data
        except (MissingInputError, UnknownCodeError):
            continue
    if "recipients" not in got:
        return {"basis": None, "members": [], "region": None}
    types = atlas.con.execute(
        "SELECT c.to_code, a.name_nl FROM crosswalks c LEFT JOIN areas a ON a.level = 'area_type' AND "
        "a.layout = c.to_layout AND a.code = c.to_code WHERE c.from_level = 'municipality' AND "
        "c.from_layout = ? AND c.from_code = ? AND c.to_level = 'area_type' ORDER BY 1", [layout, code]).fetchall()
    members: set[str] = set()
    basis = None
    for t, tname in types:
        mem = {r[0] for r in atlas.con.execute(
            "SELECT from_code FROM crosswalks WHERE from_level = 'municipality' AND from_layout = ? AND "
            "to_level = 'area_type' AND to_code = ?", [layout, t]).fetchall()}
        if len(mem & set(got["recipients"]["area_code"])) > 1:
            members, basis = mem, {"kind": "area_type", "code": t, "name": tname}
            break
    if not members:
        pop = atlas.con.execute(
            "SELECT code, sum(count) FROM population WHERE level = 'municipality' AND layout = ? AND "
            "ref_date = ? AND scheme = 'total' AND sex = 'T' AND age_band = 'total' GROUP BY code",
            [layout, f"{period[:4]}-01-01"]).fetchall()
        sizes = {c: float(n) for c, n in pop}
        if code in sizes:
            k = int(np.searchsorted(SIZE_CLASSES, sizes[code], side="right")) - 1
            lo, hi = SIZE_CLASSES[k], SIZE_CLASSES[k + 1]
            members = {c for c, n in sizes.items() if lo <= n < hi}
            basis = {"kind": "size_class", "code": f"{lo}-{hi}", "name": f"{lo:,}–{hi:,} inhabitants"}
    rec = got["recipients"].set_index("area_code")
    rows = []
    for c in sorted(members & set(rec.index)):
        r = {"code": c, "name": rec.loc[c, "area_name"], "self": c == code,
             "recipients": _num(rec.loc[c, "value"]), "suppressed": bool(rec.loc[c, "suppressed"])}
        for what in ("per_1000_BEL", "per_1000_ETR", "per_1000"):
            d = got.get(what)
            hit = d[d["area_code"] == c] if d is not None else pd.DataFrame()
            r[what] = _num(hit["value"].iloc[0]) if len(hit) else None
        rows.append(r)
    region = None
    try:
        reg = compute(atlas, "ocmw_recipients", level="region", period=period, measure=measure).data
        parent = "04000" if code.startswith("21") else ("03000" if code[0] in "56789" else "02000")
        hit = reg[reg["area_code"] == parent]
        if len(hit):
            region = {"code": parent, "name": hit["area_name"].iloc[0], "recipients": _num(hit["value"].iloc[0])}
    except MissingInputError:
        region = None
    return {"basis": basis, "members": rows, "region": region}


def _brussels(atlas: Any, code: str) -> dict[str, Any] | None:
    """IBSA share of residents on an OCMW income (%) per monitoring neighbourhood of a Brussels
    municipality (the neighbourhoods most of whose sectors lie in it), 2005–2023."""
    df = atlas.con.execute("""
        WITH nb AS (
            SELECT b.to_code AS nb, arg_max(m.to_code, 1) AS muni, count(*) AS n
            FROM crosswalks b JOIN crosswalks m ON m.from_level = 'sector' AND m.from_layout = b.from_layout
                 AND m.from_code = b.from_code AND m.to_level = 'municipality' AND m.to_layout = '2018'
            WHERE b.from_level = 'sector' AND b.to_level = 'brussels_neighbourhood' AND b.from_layout = '2019'
            GROUP BY b.to_code, m.to_code),
        best AS (SELECT nb, arg_max(muni, n) AS muni FROM nb GROUP BY nb)
        SELECT s.code, a.name_nl, a.name_fr, s.period, s.value
        FROM measures s JOIN best ON best.nb = s.code
        LEFT JOIN areas a ON a.level = 'brussels_neighbourhood' AND a.layout = s.layout AND a.code = s.code
        WHERE s.level = 'brussels_neighbourhood' AND s.measure = 'ocmw_income_share' AND best.muni = ?
          AND s.scheme = 'total' ORDER BY s.code, s.period""", [code]).df()
    if df.empty:
        return None
    years = sorted(df["period"].unique())
    series = []
    for (c, nl, fr), g in df.groupby(["code", "name_nl", "name_fr"], sort=False, dropna=False):
        vals = dict(zip(g["period"], g["value"]))
        series.append({"code": c, "name_nl": nl, "name_fr": fr, "series": [_num(vals.get(y)) for y in years]})
    return {"measure": "ocmw_income_share", "unit": "%", "years": years, "neighbourhoods": series,
            "source": "IBSA/BISA neighbourhood monitoring (monitoringdesquartiers.brussels)"}


def export_table(d: dict[str, Any]) -> pd.DataFrame:
    """The protected cells of a dashboard as one long table (for CSV export): the OCMW's cells,
    then its neighbourhood counts (``level`` neighbourhood or sector)."""
    c = d["cells"].copy()
    cols = ["area_code", "level", "layout", "measure", "stat", "period", "scheme", "grp", "sex", "age_band",
            "value", "estimate", "suppressed", "suppression"]
    c["_sub"] = c["level"] != "municipality" if "level" in c.columns else False
    c = c.sort_values(["_sub", "measure", "stat", "period", "scheme", "grp", "sex", "age_band", "area_code"])
    return c[[x for x in cols if x in c.columns]].reset_index(drop=True)
