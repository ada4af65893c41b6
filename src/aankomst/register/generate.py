"""Seeded synthetic population register (vectorised NumPy micro-simulation).

The generator builds a resident stock on 1 January of ``start_year`` as households on the
sectors of a :mod:`~aankomst.register.geography`, then simulates every year up to
``end_year``: deaths, births (with the parents' nationalities), arrivals from abroad
(concentrated in big-city arrival sectors), departures abroad, household moves (mostly inside
the municipality, from the big cities also to their suburbs), young adults leaving home, moves
to and from Wallonia, and naturalisations. Each person has at most one of {death, departure,
move, giving birth} per year, which keeps every history consistent by construction.

Output (``out`` directory, the documented input schema of :mod:`aankomst.register.schema`)::

    persons/part-*.parquet        one row per person
    nationalities/part-*.parquet  nationality periods
    addresses/part-*.parquet      address periods at sector level (with the household position)
    moves/part-*.parquet          every move with origin and destination
    geography.parquet             the sector frame (not person data)
    manifest.json                 seed, size, mode, parameter file, sector layout

All parameters are in ``data/register_params.csv`` (see ``docs/register.md``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from aankomst.register.params import RegisterParams, load_params
from aankomst.register.simulation import Simulation, day


@dataclass
class GenerateResult:
    """Summary of a generated register."""

    out: Path
    persons: int
    residents_end: int
    address_rows: int
    moves: int
    seconds: float
    mode: str


def _initial_state(geo: pd.DataFrame, foreign: pd.DataFrame | None, params: RegisterParams, scale: float,
                   start_year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Initial sector populations, sector foreign shares and municipal arrival shares.

    With calibration targets (``foreign``: municipal population and foreign counts 2009–2015 by
    ``mun_calib``) the 2005 population of a municipality is extrapolated back from 2009 with the
    2009–2015 growth, and its 2005 foreign share with half the 2009–2015 trend (the simulated
    arrivals supply the rest; bounded below by 40% of the 2009 share); sectors get the municipality's population in proportion to their 2019 target.
    Without targets, the standalone parameters are used.
    """
    target = geo["target"].to_numpy(float) * scale
    mun = geo["mun_calib"].astype(str).to_numpy()
    if foreign is not None and len(foreign):
        f = foreign.pivot_table(index="mun", columns="year", values=["population", "foreign"], aggfunc="sum")
        y0, y1 = int(foreign["year"].min()), int(foreign["year"].max())
        p0, p1 = f[("population", y0)], f[("population", y1)]
        span = max(y1 - y0, 1)
        back = y0 - start_year
        growth = (p0 / p1) ** (back / span)
        pop_start = (p0 * growth).rename("pop")
        s0 = f[("foreign", y0)] / p0
        s1 = f[("foreign", y1)] / p1
        share_start = np.maximum(s0 - 0.5 * (s1 - s0) / span * back, 0.4 * s0).rename("share")
        tsum = pd.Series(target).groupby(mun).transform("sum").to_numpy()
        ps = pd.Series(mun).map(pop_start).to_numpy(float)
        ok = np.isfinite(ps)
        sector_pop = np.where(ok, target / np.maximum(tsum, 1) * ps * scale, target * 0.92)
        mshare = pd.Series(mun).map(share_start).fillna(0.05).to_numpy(float)
        arrival_share = pd.Series(mun).map(s1).fillna(0.05).to_numpy(float)
    else:
        g = params["standalone_growth"]
        sector_pop = target * g
        fs = params.table("standalone_foreign_share")
        mshare = np.where(geo["city"].astype(str) != "", float(fs["big"]), float(fs["other"]))
        arrival_share = mshare
    return sector_pop, mshare, arrival_share


def generate(out: str | Path, *, persons: int | None = None, seed: int = 0,
             geography: pd.DataFrame | None = None, calibrate_from: str | Path | None = None,
             params: RegisterParams | None = None, start_year: int | None = None,
             end_year: int | None = None, progress: bool = False,
             calibration: pd.DataFrame | None = None) -> GenerateResult:
    """Generate a synthetic register into ``out`` (Parquet, the documented input schema).

    Parameters
    ----------
    out
        Output directory (created; earlier part files are replaced).
    persons
        Target number of residents on the calibration date (1 January 2019 with
        ``calibrate_from``; the last simulated 1 January otherwise). The files hold more
        persons: everyone who lived in the area at some time (deaths, departures). ``None`` keeps
        the geography's own targets (7.8 million for the real sector file).
    seed
        Seed of the random generator: the same seed, size and parameters give identical files.
    geography
        Sector frame (:mod:`aankomst.register.geography`); default: the real geography when
        ``calibrate_from`` is given, else :func:`~aankomst.register.geography.standalone_geography`.
    calibrate_from
        Mirror folder with ``statbel/OPEN DATA_SECTOREN_2019.xlsx`` and
        ``statbel/TF_SOC_POP_STRUCT_2009..2015.zip``: sector populations and municipal foreign
        shares become the calibration targets (see :func:`aankomst.register.calibration.fit_report`).
    params
        Parameter table (default ``data/register_params.csv``).
    start_year, end_year
        Simulated years (default from the parameter table: 2005–2020).
    calibration
        Municipal foreign-share targets (as from :func:`~aankomst.register.geography.calibration_geography`)
        to use with an explicit ``geography`` (then the run counts as calibrated).
    """
    from aankomst.register.geography import calibration_geography, standalone_geography

    t0 = time.perf_counter()
    params = params or load_params()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start_year = int(start_year or params["start_year"])
    end_year = int(end_year or params["end_year"])
    foreign = None
    mode = "standalone"
    if geography is None and calibrate_from is not None:
        geography, foreign = calibration_geography(calibrate_from, params)
        mode = "calibrated"
    elif geography is None:
        geography = standalone_geography(seed=seed)
    else:
        mode = "geography"
        if calibration is not None:
            foreign, mode = calibration, "calibrated"
    geo = geography.reset_index(drop=True).copy()
    total = float(geo["target"].sum())
    scale = (persons / total) if persons else 1.0
    sector_pop, mshare, arrival_share = _initial_state(geo, foreign, params, scale, start_year)
    sim = Simulation(geo, params, seed, out)
    dens_rel = sim.rel_dens ** params["arrival_density_exponent"]
    w = pd.Series(sector_pop * dens_rel).groupby(sim.sec_mun).transform("sum").to_numpy()
    wp = pd.Series(sector_pop).groupby(sim.sec_mun).transform("sum").to_numpy()
    sector_fshare = np.clip(mshare * dens_rel * wp / np.maximum(w, 1e-9), 0, 0.85)
    mun_share = pd.Series(arrival_share).groupby(sim.sec_mun).mean().reindex(range(sim.M)).to_numpy()
    sim.prepare_weights(mun_share)
    sim.build_stock(sector_pop, sector_fshare, day(start_year))
    for year in range(start_year, end_year + 1):
        resident = int(sim.cols["present"].sum())
        rate = params["arrivals_per_1000"] / 1000 * (1 + params["arrivals_growth"]) ** (year - start_year)
        sim.step(year, int(round(resident * rate)))
        if progress:
            print(f"  {year}: {int(sim.cols['present'].sum()):,} residents, {sim.n:,} persons", flush=True)
    n = sim.finish()
    geo_out = geo.copy()
    geo_out.to_parquet(out / "geography.parquet", index=False)
    if foreign is not None:
        foreign.to_parquet(out / "calibration_foreign.parquet", index=False)
    manifest = {
        "generator": "aankomst.register.generate", "seed": seed, "persons_target": persons,
        "scale": scale, "mode": mode, "years": [start_year, end_year], "params": params.path,
        "sector_layout": geography.attrs.get("layout", "2019" if mode == "calibrated" else "synthetic"),
        "persons": n, "residents_end": int(sim.cols["present"].sum()),
        "calibrate_from": str(calibrate_from) if calibrate_from else None,
        "calibration_date": "2019-01-01" if mode == "calibrated" else f"{end_year + 1}-01-01",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return GenerateResult(out, n, manifest["residents_end"], sim.w["addresses"].rows,
                          sim.w["moves"].rows, time.perf_counter() - t0, mode)
