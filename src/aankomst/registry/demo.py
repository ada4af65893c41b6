"""Seeded demo inventory of arrival infrastructure for the demo region.

``extend(atlas, seed=…, workdir=…)`` is called by :func:`aankomst.demo.build.build_demo` after
the base atlas exists. It

1. generates resources from ``data/registry/demo_templates.csv`` and
   ``demo_communities.csv`` (see the README there) inside the atlas's neighbourhood polygons —
   more in populous neighbourhoods with many foreign residents, public services once per
   municipality, some services closed in the past (kept in history);
2. writes them to a fresh SQLite registry ``WORKDIR/registry.sqlite`` (one audited import)
   with a copy of the atlas's municipality boundaries (editor scopes, maps without atlas);
3. stores the completeness indicators for neighbourhoods and municipalities as atlas
   ``measures`` (``registry_*``) so maps and profiles show them even when no registry URL is
   configured (the catalogue indicators read these stored values as a fallback).

The same seed gives the same inventory.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aankomst.paths import package_data

DEMO_AS_OF = date(2025, 1, 1)
"""Reference date of the stored demo indicators (fixed, so the demo is reproducible)."""


def _read(name: str) -> list[dict[str, str]]:
    with open(package_data(f"registry/{name}"), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _point_in(geom: Any, rng: np.random.Generator) -> tuple[float, float]:
    import shapely

    x0, y0, x1, y1 = geom.bounds
    for _ in range(200):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if geom.contains(shapely.Point(x, y)):
            return float(x), float(y)
    p = geom.representative_point()
    return float(p.x), float(p.y)


def generate(atlas: Any, seed: int = 42) -> list[dict[str, Any]]:
    """Demo resource records (dicts accepted by the importer) for the atlas's neighbourhoods."""
    from aankomst.registry.areas import _read_polys, neighbourhood_population, to_4326

    rng = np.random.default_rng(seed)
    nb = _read_polys(atlas, "neighbourhood", "2025")
    mu = _read_polys(atlas, "municipality", "2025")
    if nb.empty or mu.empty:
        return []
    import shapely

    pop = neighbourhood_population(atlas)
    foreign = neighbourhood_population(atlas, scheme="nationality", grp="ETR")
    nb["pop"] = nb["code"].map(pop).fillna(0.0)
    if nb["pop"].sum() <= 0:
        nb["pop"] = 2000.0
    nb["foreign_share"] = (nb["code"].map(foreign).fillna(0.0) / nb["pop"].where(nb["pop"] > 0)).fillna(0.1)
    rep = shapely.point_on_surface(nb["geom"].to_numpy())
    tree = shapely.STRtree(mu["geom"].to_numpy())
    ip, im = tree.query(rep, predicate="within")
    nb["muni"] = None
    nb.loc[nb.index[ip], "muni"] = mu["code"].to_numpy()[im]
    nb = nb[nb["muni"].notna()].reset_index(drop=True)
    mnames = dict(zip(mu["code"], mu["name"]))
    mshare = nb.groupby("muni").apply(lambda g: (g["foreign_share"] * g["pop"]).sum() / max(1.0, g["pop"].sum()),
                                      include_groups=False)
    arrival_munis = set(mshare[mshare >= mshare.median()].index)
    templates = _read("demo_templates.csv")
    comms = _read("demo_communities.csv")
    cw = np.array([float(c["weight"]) for c in comms])
    cw /= cw.sum()
    recs: list[dict[str, Any]] = []

    def add(t: dict[str, str], row: pd.Series) -> None:
        c = comms[int(rng.choice(len(comms), p=cw))]
        fill = {"municipality": mnames.get(row["muni"], row["muni"]), "neighbourhood": row["name"],
                "community": c["label_nl"], "lang": c["lang"]}
        x, y = _point_in(row["geom"], rng)
        lon, lat = to_4326([x], [y])
        start = date(1990, 1, 1) + timedelta(days=int(rng.integers(0, 12400)))
        closed = t["placement"] == "neighbourhood" and rng.random() < 0.06
        end = (start + timedelta(days=int(rng.integers(400, 6000)))) if closed else None
        if end is not None and end >= DEMO_AS_OF:
            end = DEMO_AS_OF - timedelta(days=int(rng.integers(30, 900)))
            start = min(start, end - timedelta(days=365))
        verified = DEMO_AS_OF - timedelta(days=int(rng.integers(10, 900)))
        langs = ";".join(dict.fromkeys(t["languages"].format(**fill).split(";")))
        recs.append({
            "name": t["name_nl"].format(**fill), "description": t["description_nl"].format(**fill),
            "domains": t["domains"], "spheres": t["spheres"], "provider_type": t["provider_type"],
            "formality": t["formality"], "scale": t["scale"], "eligibility": t["eligibility"],
            "functions": t["functions"], "languages": langs,
            "address": f"{row['name']} {int(rng.integers(1, 200))}", "municipality_nis": row["muni"],
            "lon": round(float(lon[0]), 6), "lat": round(float(lat[0]), 6),
            "opening_hours": t["opening_hours"] or None,
            "contact": None, "website": None,
            "source": "Aankomst demo (synthetic, seeded)",
            "last_verified": None if closed else verified.isoformat(),
            "valid_from": start.isoformat(), "valid_to": end.isoformat() if end else None,
        })

    for muni, g in nb.groupby("muni", sort=True):
        top = g.sort_values(["pop", "code"], ascending=[False, True]).iloc[0]
        for t in templates:
            if t["placement"] == "municipality" or (t["placement"] == "arrival_municipality" and muni in arrival_munis):
                if rng.random() < min(1.0, float(t["weight"])):
                    add(t, top)
    for _, row in nb.sort_values("code").iterrows():
        intensity = row["pop"] / 10000.0 * (0.5 + 3.0 * float(row["foreign_share"]))
        for t in templates:
            if t["placement"] != "neighbourhood":
                continue
            for _ in range(int(rng.poisson(float(t["weight"]) * intensity))):
                add(t, row)
    return recs


def _measures(atlas: Any, url: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from aankomst.registry.analysis import area_completeness, domain_codes, profile_summary

    frames = []
    for level in ("neighbourhood", "municipality"):
        try:
            table, s = area_completeness(atlas, url, level=level, as_of=DEMO_AS_OF)
        except Exception:  # noqa: BLE001 - a level without geometry is simply skipped
            continue
        summ = profile_summary(table, len(domain_codes()))
        base = {"level": level, "layout": s.layout, "period": DEMO_AS_OF.isoformat()}
        for col, mid, unit in (("local", "registry_domains_local", "domains"),
                               ("completeness_pct", "registry_completeness_pct", "%"),
                               ("supra_local_only", "registry_domains_supralocal_only", "domains"),
                               ("missing", "registry_domains_missing", "domains")):
            frames.append(pd.DataFrame({**base, "code": summ["area_code"], "measure": mid,
                                        "scheme": "total", "grp": "total",
                                        "value": summ[col].astype(float), "unit": unit}))
        from aankomst.registry.analysis import STATUS_CODE

        t = table.copy()
        frames.append(pd.DataFrame({**base, "code": t["area_code"], "measure": "registry_coverage",
                                    "scheme": "registry_domain", "grp": t["domain"],
                                    "value": t["status"].map(STATUS_CODE).astype(float),
                                    "unit": "status (0 none, 1 supra-local, 2 local)"}))
        frames.append(pd.DataFrame({**base, "code": t["area_code"], "measure": "registry_nearest_m",
                                    "scheme": "registry_domain", "grp": t["domain"],
                                    "value": t["nearest_m"].replace(np.inf, np.nan).round(1),
                                    "unit": "m"}))
    meas = pd.concat(frames, ignore_index=True)[
        ["level", "layout", "code", "measure", "period", "scheme", "grp", "value", "unit"]]
    from aankomst.indicators.catalog import catalogue

    cat = catalogue()
    ids = sorted(meas["measure"].unique())
    defs = pd.DataFrame({
        "measure": ids,
        "label_nl": [cat.loc[i, "label_nl"] if i in cat.index else i for i in ids],
        "label_en": [cat.loc[i, "label_en"] if i in cat.index else i for i in ids],
        "definition": [cat.loc[i, "definition_en"] if i in cat.index else "" for i in ids],
        "unit": [str(meas.loc[meas["measure"] == i, "unit"].iloc[0]) for i in ids],
        "higher_is": ["better" if i in ("registry_domains_local", "registry_completeness_pct", "registry_coverage")
                      else "worse" for i in ids],
    })
    return meas, defs


def seed_practices(url: str, municipalities: list[str]) -> int:
    """Add the demo practices of ``data/registry/demo_practices.csv`` (``municipality_rank`` 1,
    2, … = ``municipalities`` in the given order; rows beyond the list are skipped), audited
    as ``demo``. Returns the number added.

    Examples
    --------
    >>> seed_practices("sqlite:///demo-registry.sqlite", ["21001", "21004"])  # doctest: +SKIP
    3
    """
    from aankomst.registry.db import session_factory
    from aankomst.registry.practices import add_practice

    n = 0
    with session_factory(url, write=True)() as s, s.begin():
        for row in _read("demo_practices.csv"):
            rank = int(row["municipality_rank"])
            if not 1 <= rank <= len(municipalities):
                continue
            data = {k: v for k, v in row.items() if k != "municipality_rank"}
            add_practice(s, {**data, "ocmw_code": municipalities[rank - 1]}, actor="demo")
            n += 1
    return n


def extend(atlas: Any, *, seed: int, workdir: Path) -> list[str]:
    """Build the demo registry next to the demo atlas and store its completeness indicators.

    Returns the lines the demo command prints.
    """
    from aankomst.registry.db import dispose_all, init_db, session_factory
    from aankomst.registry.io import import_records
    from aankomst.sources.base import LoadBatch

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "registry.sqlite"
    dispose_all()
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{path.resolve()}"
    init_db(url)
    recs = generate(atlas, seed)
    if not recs:
        return ["registry: the demo atlas has no neighbourhood/municipality geometry; no demo inventory"]
    report = import_records(session_factory(url, write=True), [(i + 2, r) for i, r in enumerate(recs)],
                            actor="demo", file="demo inventory")
    if not report["ok"]:
        from aankomst.errors import AankomstError

        raise AankomstError(f"demo inventory invalid: {report['problems'][:3]}")
    from aankomst.registry.areas import load_boundaries

    load_boundaries(url, atlas, actor="demo")  # editor scopes work also without --db
    n_practices = seed_practices(url, sorted({r["municipality_nis"] for r in recs}))
    meas, defs = _measures(atlas, url)
    atlas.load([LoadBatch(source_id="demo/registry-completeness", family="registry_demo",
                          path=str(path), sha256="seed-%d" % seed,
                          tables={"measures": meas, "measure_defs": defs},
                          title="Demoland: institutional completeness from the demo registry",
                          publisher="Aankomst (synthetic)", reference_date=DEMO_AS_OF.isoformat(),
                          rows_read=len(meas))], check_areas=True)
    n_closed = sum(1 for r in recs if r["valid_to"])
    spheres = pd.Series([s for r in recs for s in r["spheres"].split(";")]).value_counts()
    return [
        f"registry: {len(recs)} demo resources ({n_closed} closed, kept in history) in {path}",
        "registry: spheres " + ", ".join(f"{k} {v}" for k, v in spheres.items()),
        f"registry: {n_practices} demo practices of OCMWs (exchange of practices, /registry/practices)",
        f"registry: completeness indicators stored for {meas['code'].nunique()} areas "
        "(registry_domains_local, registry_completeness_pct, …)",
        f"registry: browse it with: aankomst serve --db {getattr(atlas, 'path', 'ATLAS')} --registry {url}",
        f"registry: add an editor with: aankomst registry user add NAME --role admin --url {url}",
    ]
