"""Build the demo atlas: generate the synthetic region, load it, run the extension hooks."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aankomst.errors import AankomstError

GENERATOR_VERSION = "1"
"""Bumped when the generator changes its output for a given seed."""

SOURCE_PREFIX = "aankomst/demo"
"""``source_id`` prefix of the demo batches (``aankomst/demo/areas`` …)."""

Extension = tuple[str, Callable[..., Any]]
"""A demo extension: its name and ``extend(atlas, *, seed, workdir) -> list[str]``."""


def extensions() -> tuple[Extension, ...]:
    """The extensions that run after the base atlas, in order: the synthetic register, the
    deprivation outputs and the inventory of local resources (registered here, explicitly)."""
    from aankomst.analysis.demo import extend as analysis_extend
    from aankomst.register.demo import extend as register_extend
    from aankomst.registry.demo import extend as registry_extend

    return (("aankomst.register.demo", register_extend),
            ("aankomst.analysis.demo", analysis_extend),
            ("aankomst.registry.demo", registry_extend))

KEY_AREAS: dict[str, tuple[str, str]] = {
    "country": ("country", "XD"),
    "capital_region": ("region", "08000"),
    "laagland_region": ("region", "09000"),
    "hoofdstad": ("municipality", "96001"),
    "kanaalzijde": ("municipality", "96002"),
    "sint_remigius": ("municipality", "96003"),
    "havenstad": ("municipality", "97001"),
    "havenstad_noord": ("neighbourhood", "97001W01"),
    "aalstrode": ("municipality", "98001"),
    "liedevelde": ("municipality", "99001"),
    "denderhoek": ("municipality", "99002"),
    "polderbeke_rural": ("municipality", "97003"),
    "monitor_noordwijk": ("brussels_neighbourhood", "D002"),
}
"""Named areas of the demo (level, code) that tests and docs refer to."""


@dataclass
class DemoReport:
    """What :func:`build_demo` produced.

    Attributes
    ----------
    db_path
        The atlas file written.
    seed
        Seed of the generator.
    years
        Reference years of the population (1 January).
    counts
        Rows per table and areas per level, e.g. ``{'population': 812345, 'sector': 310}``.
    key_areas
        Named areas: ``{'havenstad_noord': ('neighbourhood', '97001W01'), …}`` plus
        ``'adjacent_to_havenstad_noord'`` (level, comma-separated codes).
    extensions
        Per extension module: ``'ran'``, ``'skipped: <reason>'``.
    lines
        Lines for the user (summary and the extensions' own lines).
    seconds
        Wall-clock time of the build.
    """

    db_path: Path
    seed: int
    years: list[int]
    counts: dict[str, int]
    key_areas: dict[str, tuple[str, str]]
    extensions: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _fingerprint(seed: int) -> str:
    """SHA-256 over the generator version, the seed and the parameter tables."""
    from aankomst.paths import package_data

    h = hashlib.sha256(f"aankomst-demo v{GENERATOR_VERSION} seed={seed}".encode())
    for name in ("demo_params.csv", "demo_upper_areas.csv", "demo_municipalities.csv",
                 "demo_neighbourhoods.csv", "demo_countries.csv", "demo_od_boosts.csv"):
        h.update(package_data(name).read_bytes())
    return h.hexdigest()


def generate(seed: int = 42, step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Generate the demo tables in memory (no database).

    Returns
    -------
    dict
        ``{'params', 'geography', 'simulation', 'tables': {table name: DataFrame}}``.
    """
    from aankomst.demo.geography import build_geography
    from aankomst.demo.measures import measure_defs_table, measures_table
    from aankomst.demo.params import load_params
    from aankomst.demo.population import simulate
    from aankomst.demo.tables import flows_table, population_table

    step = step or (lambda _msg: None)
    params = load_params()
    rng = np.random.default_rng(seed)
    step("geography")
    geo = build_geography(params, rng)
    step("population")
    sim = simulate(params, geo, rng)
    step("tables")
    group6 = dict(zip(params.countries["iso3"], params.countries["group6"]))
    tables = {
        "areas": geo.areas,
        "crosswalks": geo.crosswalks,
        "population": population_table(geo, sim, group6),
        "flows": flows_table(geo, sim),
        "measures": measures_table(params, geo, sim, rng),
        "measure_defs": measure_defs_table(),
    }
    return {"params": params, "geography": geo, "simulation": sim, "tables": tables}


def _batches(tables: dict[str, pd.DataFrame], seed: int, years: list[int]) -> list:
    from aankomst.store.batch import LoadBatch

    sha = _fingerprint(seed)
    common: dict[str, Any] = {
        "family": "demo", "path": f"aankomst.demo (seed {seed})", "sha256": sha,
        "publisher": "Aankomst (synthetic data generated by code)", "url": "", "licence": "CC0-1.0",
        "privacy": "open",
    }
    ref = f"{years[0]}-01-01/{years[-1]}-01-01"
    spec = [
        ("areas", "Demoland: areas, geometry and hierarchy", ("areas", "crosswalks"), "2025"),
        ("population", "Demoland: population by sex, age and nationality on 1 January", ("population",), ref),
        ("flows", "Demoland: moves between sectors and migration from/to abroad", ("flows",),
         f"{years[0]}/{years[-2]}"),
        ("measures", "Demoland: births, deaths, naturalisations, income, unemployment, deprivation",
         ("measures", "measure_defs"), f"{years[0]}/{years[-2]}"),
    ]
    out = []
    for sid, title, names, refdate in spec:
        tabs = {n: tables[n] for n in names}
        out.append(LoadBatch(source_id=f"{SOURCE_PREFIX}/{sid}", title=title, tables=tabs,
                             reference_date=refdate, rows_read=int(sum(len(t) for t in tabs.values())),
                             **common))
    return out


def run_extensions(atlas: Any, *, seed: int, workdir: Path, report: DemoReport,
                   extend: tuple[Extension, ...] | None = None) -> None:
    """Call each extension's ``extend(atlas, seed=…, workdir=…)``, in order.

    ``extend`` defaults to :func:`extensions`. An extension that needs a third-party package of
    an optional extra that is not installed (``ModuleNotFoundError`` for a non-``aankomst``
    module, e.g. ``sqlalchemy`` without ``aankomst[registry]``) is skipped and noted in
    ``report.extensions``; any other error raised *by* an extension is re-raised as
    :class:`~aankomst.errors.AankomstError` naming it.
    """
    for name, fn in (extensions() if extend is None else extend):
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            lines = fn(atlas, seed=seed, workdir=workdir)
        except AankomstError:
            raise
        except ModuleNotFoundError as exc:
            if not exc.name or exc.name.split(".")[0] == "aankomst":
                raise AankomstError(f"demo extension {name}.extend failed: {type(exc).__name__}: {exc}") from exc
            # an optional dependency (an extra such as aankomst[registry]) is not installed
            report.extensions[name] = (f"skipped: needs the package {exc.name!r}, not installed "
                                       "(pip install 'aankomst[web,registry]')")
            continue
        except Exception as exc:  # an extension's bug must be visible, with its name
            raise AankomstError(f"demo extension {name}.extend failed: {type(exc).__name__}: {exc}") from exc
        report.extensions[name] = "ran"
        report.lines.extend(str(x) for x in (lines or []))


DEMO_SOURCE_PREFIXES: tuple[str, ...] = (SOURCE_PREFIX, "demo/")
"""Source ids an atlas may already hold for ``build_demo`` to write into it (earlier demo runs)."""


def _refuse_foreign_atlas(db_path: Path) -> None:
    """Raise when ``db_path`` is an atlas holding other (e.g. real) data: the demo never mixes."""
    import aankomst

    atlas = aankomst.open(str(db_path), read_only=True)
    try:
        ids = [r[0] for r in atlas.con.execute("SELECT source_id FROM provenance ORDER BY load_id").fetchall()]
    finally:
        atlas.close()
    other = [i for i in ids if not i.startswith(DEMO_SOURCE_PREFIXES)]
    if other:
        raise AankomstError(
            f"{db_path} already holds {len(other)} non-demo source(s) (e.g. {other[0]!r}); the demo "
            "never writes into an atlas with other data: choose another --db (e.g. demo.duckdb) "
            "or delete the file"
        )


def build_demo(db_path: str | Path, *, seed: int = 42, progress: bool = False,
               extensions: bool = True, profiles: bool = True) -> DemoReport:
    """Build the seeded synthetic demo atlas *Demoland*, fully offline.

    Parameters
    ----------
    db_path
        Atlas file to create or update (the demo's sources are replaced if present).
    seed
        Seed of the generator: the same seed gives identical tables.
    progress
        Show a Rich progress display.
    extensions
        Run the extension hooks (:func:`extensions`) after the base atlas.
    profiles
        Precompute every area's profile (:func:`aankomst.web.profile_table.build_table`, about a
        minute on two cores); without it the web atlas computes profiles on the fly.

    Returns
    -------
    DemoReport
        Counts, named areas and lines for the user.
    """
    import aankomst
    from aankomst.web.profile_table import build_table

    t0 = time.perf_counter()
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if db_path.exists():
        _refuse_foreign_atlas(db_path)
    steps = ["geography", "population", "tables", "load", "extensions"]
    if progress:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        prog: Any = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                             TimeElapsedColumn(), transient=False)
    else:
        prog = None
    labels = {
        "geography": "Drawing Demoland (sectors, neighbourhoods, municipalities)",
        "population": "Simulating population and migration",
        "tables": "Aggregating to every level",
        "load": "Writing the atlas",
        "extensions": "Running demo extensions",
    }
    with prog if prog is not None else nullcontext():
        task = prog.add_task(labels["geography"], total=len(steps)) if prog is not None else None

        def step(name: str) -> None:
            if prog is not None:
                prog.update(task, completed=steps.index(name), description=labels[name])

        gen = generate(seed, step)
        sim, geo, tables = gen["simulation"], gen["geography"], gen["tables"]
        step("load")
        atlas = aankomst.open(str(db_path))
        try:
            atlas.con.execute("SET enable_progress_bar = false")
            # codes come from the generated geography itself, so the per-row area check is
            # skipped (tests check the hierarchy); the store still checks counts, keys, totals
            atlas.load(_batches(tables, seed, sim.years), check_areas=False)
            counts = {name: len(df) for name, df in tables.items()}
            for lv, n in tables["areas"].groupby("level").size().items():
                counts[str(lv)] = int(n)
            key = dict(KEY_AREAS)
            adj = geo.neighbourhoods
            adj = adj[(adj["municipality"] == "97001") & adj["adjacent_to_arrival"]]
            key["adjacent_to_havenstad_noord"] = ("neighbourhood", ",".join(adj["code"]))
            report = DemoReport(db_path, seed, list(sim.years), counts, key)
            step("extensions")
            if extensions:
                run_extensions(atlas, seed=seed, workdir=db_path.parent / f"{db_path.stem}_files",
                               report=report)
            # every area's profile, precomputed for the web atlas (after the extensions' loads)
            if profiles:
                table = build_table(atlas)
                report.lines.append(f"profile table: {table.areas} areas precomputed in {table.seconds:.1f} s")
        finally:
            atlas.close()
        if prog is not None:
            prog.update(task, completed=len(steps), description="Demo atlas ready")
    report.seconds = time.perf_counter() - t0
    return report
