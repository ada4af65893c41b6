"""CLI: deprivation indices, neighbourhoods in difficulty, change, rings, segregation, clusters.

Commands (all read an atlas ``--db FILE`` read-only and write ``--format csv|json|parquet`` to
stdout or ``--out FILE``; JSON/parquet carry ``meta`` with the definition and the sources, a CSV
written with ``--out`` gets a ``FILE.meta.json`` sidecar):

* ``aankomst deprivation bimd --edition 2011 --level sector|municipality [--without-health]``
* ``aankomst deprivation check --edition 2011`` (recomputed vs published)
* ``aankomst deprivation composite --spec FILE --level L --layout Y --period P [--method …]``
* ``aankomst difficulty --rule R … [--city C …] [--by city|urban_region|neighbourhood|sector]``
* ``aankomst difficulty-change --from R --to R [--city C] [--detail]``
* ``aankomst rings --city C [--rule R …]``
* ``aankomst segregation --scheme S --level L [--area CODE] [--years 1997-2025]``
* ``aankomst clusters [--income-year 2019 | --measure M --level L --layout Y --period P]``
* ``aankomst arrival-difficulty --rule R [--level L]``
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from aankomst.errors import AankomstError
from aankomst.privacy import threshold as small_cell_threshold

DB = typer.Option(..., "--db", help="Atlas database (DuckDB file).")
FMT = typer.Option("csv", "--format", "-f", help="csv, json or parquet.")
OUT = typer.Option(None, "--out", "-o", help="Output file (default: stdout).")


def parse_years(items: list[str] | None) -> list[int] | None:
    """``["1997-2000", "2005,2010"]`` -> ``[1997, 1998, 1999, 2000, 2005, 2010]``."""
    if not items:
        return None
    out: list[int] = []
    for it in items:
        for part in str(it).split(","):
            part = part.strip()
            if not part:
                continue
            try:
                if "-" in part:
                    a, b = part.split("-", 1)
                    out += list(range(int(a), int(b) + 1))
                else:
                    out.append(int(part))
            except ValueError:
                raise typer.BadParameter(f"years {part!r}: use e.g. 1997-2025 or 2009,2015") from None
    return sorted(set(out))


def _sources(atlas: Any, like: list[str]) -> list[dict[str, Any]]:
    rows = []
    for pat in like:
        df = atlas.query("SELECT source_id, title, publisher, url, reference_date, licence FROM provenance "
                         "WHERE source_id LIKE ?", [pat])
        rows += df.to_dict("records")
    return rows


def _emit(df: Any, fmt: str, out: Path | None, meta: dict[str, Any]) -> None:
    from aankomst.cli._common import write_frame

    write_frame(df, fmt, out, meta)
    if out and fmt.lower() == "csv":
        Path(str(out) + ".meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str),
                                                  encoding="utf-8")


COUNT_COLUMNS = ("population", "residents", "residents_urban_region", "city_population", "covered_population",
                 "urban_region_population", "population_before", "population_after", "arrivals",
                 "arrivals_in_difficulty")


def _protect(df: Any, atlas: Any) -> Any:
    """Small-cell rule on the count columns of a table (counts 1..threshold-1 -> empty, with a
    ``suppressed`` flag); shares computed from a suppressed count are emptied too."""
    import numpy as np

    from aankomst.privacy import is_small

    threshold = small_cell_threshold(atlas)
    cols = [c for c in COUNT_COLUMNS if c in df.columns]
    if not cols:
        return df
    mask = np.zeros(len(df), dtype=bool)
    for c in cols:
        mask |= is_small(df[c], threshold)
    if mask.any():
        df = df.copy()
        for c in cols + [c for c in df.columns if c.startswith("share")]:
            df[c] = df[c].astype(float)
            df.loc[mask, c] = np.nan
    if "suppressed" not in df.columns:
        df = df.assign(suppressed=mask)
    return df


def _open(db: Path) -> Any:
    import aankomst

    return aankomst.open(str(db), read_only=True)


def _run(fn: Any) -> None:
    from aankomst.cli._common import fail

    try:
        fn()
    except AankomstError as exc:
        fail(exc)


def register(app: typer.Typer) -> None:
    """Add this subsystem's commands to ``app``."""
    dep = typer.Typer(help="Deprivation indices (BIMD, Atlas, composite).", no_args_is_help=True)
    app.add_typer(dep, name="deprivation")

    @dep.command("bimd")
    def bimd_cmd(edition: str = typer.Option(..., "--edition", help="2001 or 2011."),
                 level: str = typer.Option("sector", "--level", help="sector or municipality."),
                 without_health: bool = typer.Option(False, "--without-health", help="Variant without health."),
                 db: Path = DB, fmt: str = FMT, out: Path | None = OUT) -> None:
        """Recompute the BIMD from its domain scores (score, rank, decile; 1 = most deprived)."""
        def go() -> None:
            from aankomst.analysis.bimd import bimd_weights
            from aankomst.analysis.deprivation import bimd_table

            with _open(db) as a:
                df = bimd_table(a, edition, level, without_health=without_health)
                w = bimd_weights(without_health)
                meta = {"id": "bimd_score" if level == "sector" else "bimd_mun_score", "edition": edition,
                        "level": level, "layout": edition if level == "sector" else "2018",
                        "definition": ("score = " + " + ".join(f"{v:g}·{k}" for k, v in w.items())
                                       + " (exponentially transformed domain scores, 0–100, higher = more deprived); "
                                       "rank 1 = most deprived; decile 1 = most deprived 10 %"
                                       + ("; municipalities: population-weighted average of the sector scores, "
                                          "its rank and decile among the 589 municipalities" if level == "municipality" else "")),
                        "sources": _sources(a, ["bimd/%"])}
            _emit(df, fmt, out, meta)
        _run(go)

    @dep.command("check")
    def check_cmd(edition: str = typer.Option(..., "--edition"), db: Path = DB) -> None:
        """Compare the recomputed BIMD with the published scores, ranks and deciles."""
        def go() -> None:
            from aankomst.analysis.deprivation import compare_published

            with _open(db) as a:
                for lv, wh in (("sector", False), ("sector", True), ("municipality", False)):
                    typer.echo(json.dumps(compare_published(a, edition, lv, without_health=wh)))
        _run(go)

    @dep.command("composite")
    def composite_cmd(spec: Path = typer.Option(..., "--spec", help="CSV: indicator, weight, direction[, source]."),
                      level: str = typer.Option(..., "--level"), layout: str = typer.Option(..., "--layout"),
                      period: str = typer.Option(..., "--period"),
                      method: str = typer.Option("zscore", "--method", help="zscore or rank_exp."),
                      db: Path = DB, fmt: str = FMT, out: Path | None = OUT) -> None:
        """Build a composite deprivation index from measures/indicators in the atlas."""
        def go() -> None:
            from aankomst.analysis.composite import component_values, composite, read_spec

            s = read_spec(spec)
            with _open(db) as a:
                vals = component_values(a, s, level=level, layout=layout, period=period)
                df = composite(vals, s, method=method)
            meta = {"id": "composite", "method": method, "components": s.to_dict("records"),
                    "level": level, "layout": layout, "period": period, "dropped_areas": df.attrs.get("dropped", 0),
                    "definition": "see docs/deprivation.md#composite-index"}
            _emit(df, fmt, out, meta)
        _run(go)

    @app.command("difficulty")
    def difficulty_cmd(rule: list[str] = typer.Option(["bimd2011_d1"], "--rule", help="Rule id(s) of data/difficulty_rules.csv."),
                       city: list[str] | None = typer.Option(None, "--city", help="City id(s) of data/city_centres.csv."),
                       by: str = typer.Option("city", "--by", help="city, urban_region, neighbourhood or sector."),
                       min_share: float = typer.Option(0.5, "--min-share", help="Neighbourhood in difficulty when this share of residents lives in sectors in difficulty."),
                       db: Path = DB, fmt: str = FMT, out: Path | None = OUT) -> None:
        """Residents of neighbourhoods in difficulty, with the denominator of every share."""
        def go() -> None:
            import pandas as pd

            from aankomst.analysis import difficulty as d

            with _open(db) as a:
                if by == "city":
                    df = d.city_table(a, list(rule), list(city) if city else None)
                elif by == "urban_region":
                    df = pd.concat([d.urban_region_table(a, r) for r in rule], ignore_index=True)
                elif by == "neighbourhood":
                    df = pd.concat([d.neighbourhood_table(a, r, min_share=min_share).assign(rule=r) for r in rule],
                                   ignore_index=True)
                elif by == "sector":
                    df = pd.concat([d.sectors_in_difficulty(a, r).assign(rule=r) for r in rule], ignore_index=True)
                else:
                    raise typer.BadParameter(f"--by {by!r}: use city, urban_region, neighbourhood or sector")
                df = _protect(df, a)
                rules = d.rules()
                meta = {"rules": rules[rules["rule"].isin(rule)].to_dict("records"),
                        "denominators": {"share_city": "all residents of the city's sectors",
                                         "share_covered": "residents of the city's sectors that have a value",
                                         "share_urban_region": "all residents of the urban region (data/urban_regions.csv)"},
                        "sources": _sources(a, ["bimd/%", "atlas/%"])}
            _emit(df, fmt, out, meta)
        _run(go)

    @app.command("difficulty-change")
    def change_cmd(rule_from: str = typer.Option("bimd2001_d1", "--from"), rule_to: str = typer.Option("bimd2011_d1", "--to"),
                   city: str | None = typer.Option(None, "--city"),
                   detail: bool = typer.Option(False, "--detail", help="One row per area instead of the summary."),
                   level: str = typer.Option("sector", "--level", help="sector or neighbourhood (ggw7, 2024 version)."),
                   min_share: float = typer.Option(0.5, "--min-share", help="Neighbourhoods: share of residents in sectors in difficulty."),
                   db: Path = DB, fmt: str = FMT, out: Path | None = OUT) -> None:
        """Sectors that entered, left, stayed in or were never in difficulty between two editions."""
        def go() -> None:
            from aankomst.analysis.change import (
                neighbourhood_transitions,
                transition_summary,
                transitions,
            )

            with _open(db) as a:
                if level == "neighbourhood":
                    tr = neighbourhood_transitions(a, rule_from, rule_to, min_share=min_share, city=city)
                elif level == "sector":
                    tr = transitions(a, rule_from, rule_to, city)
                else:
                    raise typer.BadParameter(f"--level {level!r}: use sector or neighbourhood")
                df = _protect(tr if detail else transition_summary(tr), a)
                meta = {"from": rule_from, "to": rule_to, "city": city,
                        "caution": "BIMD ranks are relative within an edition: 'left' means less deprived relative "
                                   "to other sectors, not necessarily in absolute terms (Otavova et al. 2023)",
                        "sources": _sources(a, ["bimd/%"])}
            _emit(df, fmt, out, meta)
        _run(go)

    @app.command("rings")
    def rings_cmd(city: str = typer.Option(..., "--city"),
                  rule: list[str] = typer.Option(["bimd2001_d1", "bimd2011_d1"], "--rule"),
                  db: Path = DB, fmt: str = FMT, out: Path | None = OUT) -> None:
        """Deprived population by distance ring from the city centre, per edition."""
        def go() -> None:
            from aankomst.analysis.change import ring_definitions, ring_table

            with _open(db) as a:
                df = _protect(ring_table(a, city, tuple(rule)), a)
                meta = {"city": city, "rings": ring_definitions(city).to_dict("records"),
                        "method": "distance from the centre point (centroid of the centre ggw7 neighbourhood) to the "
                                  "centroid of the ggw7 neighbourhood holding each sector (sector geometry is not available)",
                        "caution": "ranks are relative within an edition", "sources": _sources(a, ["bimd/%", "boundaries/ggw7"])}
            _emit(df, fmt, out, meta)
        _run(go)

    @app.command("segregation")
    def segregation_cmd(scheme: str = typer.Option(..., "--scheme", help="e.g. ibsa_nationality, nationality, country."),
                        level: str = typer.Option(..., "--level", help="brussels_neighbourhood, sector or municipality."),
                        area: str | None = typer.Option(None, "--area", help="Region/municipality code, e.g. 04000."),
                        years: list[str] | None = typer.Option(None, "--years", help="e.g. 1997-2025 or 2009,2015."),
                        groups: list[str] | None = typer.Option(None, "--group", help="Restrict to these groups."),
                        layout: str | None = typer.Option(None, "--layout"),
                        all_areas: bool = typer.Option(False, "--all-areas", help="Brussels neighbourhoods: use every neighbourhood with data in each year (default: a balanced panel, the same neighbourhoods in every year)."),
                        db: Path = DB, fmt: str = FMT, out: Path | None = OUT) -> None:
        """Dissimilarity, isolation, exposure, entropy and multigroup indices per year (PySAL segregation)."""
        def go() -> None:
            from aankomst.analysis.segregation import segregation_table

            with _open(db) as a:
                df = segregation_table(a, scheme=scheme, level=level, area=area, years=parse_years(years),
                                       groups=list(groups) if groups else None, layout=layout,
                                       balanced=not all_areas)
                meta = {"scheme": scheme, "level": level, "area": area, "definition": "see docs/segregation.md",
                        "sources": _sources(a, ["brussels/%", "statbel/TF_SOC_POP_STRUCT%"])}
            _emit(df, fmt, out, meta)
        _run(go)

    @app.command("clusters")
    def clusters_cmd(income_year: str | None = typer.Option(None, "--income-year", help="Sector income of this year aggregated to ggw7 (2024)."),
                     measure: str | None = typer.Option(None, "--measure"), level: str = typer.Option("neighbourhood", "--level"),
                     layout: str | None = typer.Option(None, "--layout"), period: str | None = typer.Option(None, "--period"),
                     permutations: int = typer.Option(999, "--permutations"), seed: int = typer.Option(12345, "--seed"),
                     alpha: float = typer.Option(0.05, "--alpha"), map_out: Path | None = typer.Option(None, "--map", help="PNG/SVG map."),
                     db: Path = DB, fmt: str = FMT, out: Path | None = OUT) -> None:
        """Local Moran's I and Getis-Ord Gi* hot/cold spots with an FDR correction."""
        def go() -> None:
            from aankomst.analysis import clusters as cl

            with _open(db) as a:
                if measure:
                    g = cl.measure_geometries(a, measure, level=level, layout=layout, period=period)
                    col, label = "value", measure
                else:
                    g = cl.income_by_neighbourhood(a, year=income_year or "2019")
                    col, label = "mean_income", f"mean net taxable income per declaration {income_year or '2019'}"
                res = cl.local_clusters(g, col, permutations=permutations, seed=seed, alpha=alpha)
                if map_out:
                    cl.cluster_map(g, res, str(map_out), title=f"Hot/cold spots: {label}",
                                   source="Sources: " + ", ".join(s["source_id"] for s in _sources(a, ["statbel/fisc%"])))
                meta = {"variable": label, **res.attrs, "weights": "queen contiguity, row-standardised",
                        "fdr": "Benjamini-Hochberg"}
            _emit(res, fmt, out, meta)
        _run(go)

    @app.command("arrival-difficulty")
    def arrival_cmd(rule: str = typer.Option("bimd2011_d1", "--rule"),
                    level: str | None = typer.Option(None, "--level", help="Destination level of the flows."),
                    db: Path = DB, fmt: str = FMT, out: Path | None = OUT) -> None:
        """Share of newcomers from abroad (by group) settling in neighbourhoods in difficulty, per city and year."""
        def go() -> None:
            from aankomst.analysis.arrival import arrival_in_difficulty

            with _open(db) as a:
                df = arrival_in_difficulty(a, rule, level=level)
                meta = {"rule": rule, "definition": "arrivals from abroad into sectors in difficulty / all arrivals "
                                                    "from abroad into the city, per year and group"}
            _emit(df, fmt, out, meta)
        _run(go)
