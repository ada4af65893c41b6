"""Measures of the demo: demographic events, taxable income, unemployment, deprivation.

Measure ids follow the Statbel readers (``tax_declarations``, ``total_net_taxable_income``,
``mean_taxable_income_declaration``, ``median_taxable_income_declaration``) and the Brussels
monitoring (``unemployment_rate``), so the same indicators work on the demo and on real data.

All measures are stored at every level of the hierarchy, computed from sector *counts*
(sums), never as means of rates; ratios (income per inhabitant, unemployment rate) are
recomputed from the summed numerators and denominators at each level. The median income per
declaration and the deprivation index exist at sector level only (a median or an index
cannot be summed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aankomst.demo.geography import LEVELS, Geography, layout_of
from aankomst.demo.params import DemoParams
from aankomst.demo.population import GROUPS, Simulation
from aankomst.demo.tables import indicator

MEASURE_DEFS: list[tuple[str, str, str, str, str, str | None]] = [
    # measure, label_nl, label_en, definition, unit, higher_is
    ("births", "Geboorten", "Births",
     ("Live births during the calendar year, by the child's nationality (scheme nationality) "
      "and in all (total)."),
     "persons", None),
    ("deaths", "Overlijdens", "Deaths",
     "Deaths during the calendar year, by nationality (scheme nationality) and in all (total).", "persons", None),
    ("naturalisations", "Nationaliteitswijzigingen", "Naturalisations",
     ("Non-Belgians who became Belgian during the calendar year (they leave group ETR and join "
      "BEL without moving)."), "persons", None),
    ("tax_declarations", "Aantal belastingaangiften", "Number of tax declarations",
     "Number of personal income-tax declarations for the income year.", "declarations", None),
    ("total_net_taxable_income", "Totaal netto belastbaar inkomen", "Total net taxable income",
     "Sum of net taxable income of all declarations for the income year.", "EUR", None),
    ("mean_taxable_income_declaration", "Gemiddeld belastbaar inkomen per aangifte",
     "Mean taxable income per declaration", "Total net taxable income / number of declarations.", "EUR", "better"),
    ("median_taxable_income_declaration", "Mediaan belastbaar inkomen per aangifte",
     "Median taxable income per declaration",
     "Median net taxable income per declaration (sector level only).", "EUR", "better"),
    ("labour_force", "Beroepsbevolking 18–64", "Labour force 18–64",
     "Employed persons and job seekers aged 18–64.", "persons", None),
    ("jobseekers", "Niet-werkende werkzoekenden", "Job seekers",
     "Unemployed job seekers aged 18–64.", "persons", None),
    ("unemployment_rate", "Werkloosheidsgraad", "Unemployment rate",
     "Job seekers / labour force (18–64), in %.", "%", "worse"),
    ("deprivation_index", "Synthetische kansarmoede-index", "Synthetic deprivation index",
     ("Mean of the standardised unemployment rate and the standardised negative log income per "
      "inhabitant over all sectors of the edition year (sector level only; like the Atlas of "
      "Neighbourhoods in Difficulty). 0 = average, higher = more deprived."), "score", "worse"),
]


def measure_defs_table() -> pd.DataFrame:
    """The ``measure_defs`` rows of the demo."""
    return pd.DataFrame(MEASURE_DEFS, columns=["measure", "label_nl", "label_en", "definition", "unit", "higher_is"])


def _rows(level: str, codes: list[str], measure: str, periods: list[str], values: np.ndarray,
          unit: str, scheme: str = "total", grp: str = "total") -> pd.DataFrame:
    """Rows for ``values`` shaped (periods, units)."""
    t, u = np.meshgrid(np.array(periods, dtype=object), np.array(codes, dtype=object), indexing="ij")
    return pd.DataFrame({"level": level, "layout": layout_of(level), "code": u.ravel(), "measure": measure,
                         "period": t.ravel(), "scheme": scheme, "grp": grp,
                         "value": np.asarray(values, dtype=float).ravel(), "unit": unit})


def measures_table(params: DemoParams, geo: Geography, sim: Simulation, rng: np.random.Generator) -> pd.DataFrame:
    """Generate the ``measures`` table (see the module docstring)."""
    sec = geo.sectors
    mun = geo.municipalities.set_index("code")
    nbh = geo.neighbourhoods.set_index("code")
    years = sim.years[:-1]
    periods = [str(y) for y in years]
    S = len(sec)
    pop = sim.pop[:-1]  # population on 1 January of each event/income year (Y, S, C, 2, A)
    tot = pop.sum((2, 3, 4)).astype(float)
    etr = pop[:, :, 1:].sum((2, 3, 4)).astype(float)
    etr_share = np.divide(etr, tot, out=np.zeros_like(tot), where=tot > 0)
    adults = pop[..., 1:].sum((2, 3, 4)).astype(float)
    working = pop[..., 1:4].sum((2, 3, 4)).astype(float)

    # income
    kind = mun.loc[sec["municipality"], "kind"].to_numpy()
    role = nbh.loc[sec["neighbourhood"], "role"].to_numpy()
    base = np.array([params.by("income_per_declaration", k) for k in kind])
    aff = np.where(role == "affluent", params.num("income_affluent_factor"), 1.0)
    persistent = rng.lognormal(0.0, params.num("income_noise_sd"), size=S)
    yearly = rng.lognormal(0.0, params.num("income_noise_sd") / 3, size=(len(years), S))
    growth = (1 + params.num("income_growth")) ** (np.array(years) - years[0])
    mean_decl = (base * aff * persistent)[None, :] * growth[:, None] * yearly \
        * (1 - params.num("income_foreign_penalty") * etr_share)
    decl = np.round(adults * params.num("declarations_per_adult"))
    income = decl * np.round(mean_decl)
    median = np.round(mean_decl * params.num("median_to_mean"))

    # unemployment
    lf = np.round(working * params.num("activity_rate")).astype(np.int64)
    rate = (params.num("unemployment_base") + params.num("unemployment_foreign_slope") * etr_share) \
        * rng.lognormal(0.0, params.num("unemployment_noise_sd"), size=(len(years), S))
    jobs = rng.binomial(lf, np.clip(rate, 0, 0.9))

    frames = []
    for level in LEVELS:
        codes, mat = indicator(geo, level)
        def agg(a: np.ndarray, mat: np.ndarray = mat) -> np.ndarray:  # (Y, S) -> (Y, U)
            return a @ mat

        for ev, arr in (("births", sim.births), ("deaths", sim.deaths)):
            by_g = np.swapaxes(arr, 1, 2) @ mat  # (Y, G, U)
            frames.append(_rows(level, codes, ev, periods, by_g.sum(1), "persons"))
            for gi, g in enumerate(GROUPS):
                frames.append(_rows(level, codes, ev, periods, by_g[:, gi], "persons", "nationality", g))
        frames.append(_rows(level, codes, "naturalisations", periods, agg(sim.naturalisations), "persons"))
        d, inc = agg(decl), agg(income)
        frames.append(_rows(level, codes, "tax_declarations", periods, d, "declarations"))
        frames.append(_rows(level, codes, "total_net_taxable_income", periods, inc, "EUR"))
        frames.append(_rows(level, codes, "mean_taxable_income_declaration", periods,
                            np.round(np.divide(inc, d, out=np.full_like(inc, np.nan), where=d > 0), 2), "EUR"))
        lfa, ja = agg(lf), agg(jobs)
        frames.append(_rows(level, codes, "labour_force", periods, lfa, "persons"))
        frames.append(_rows(level, codes, "jobseekers", periods, ja, "persons"))
        frames.append(_rows(level, codes, "unemployment_rate", periods,
                            np.round(100 * np.divide(ja, lfa, out=np.full(ja.shape, np.nan), where=lfa > 0), 3), "%"))
        if level == "sector":
            frames.append(_rows(level, codes, "median_taxable_income_declaration", periods, median, "EUR"))
            inc_inh = np.divide(income, tot, out=np.full_like(income, np.nan), where=tot > 0)
            urate = np.divide(jobs, lf, out=np.full(jobs.shape, np.nan), where=lf > 0)
            for ed in params.text("deprivation_editions").split(";"):
                i = years.index(int(ed)) if int(ed) in years else len(years) - 1
                z1 = _z(urate[i])
                z2 = _z(-np.log(np.where(inc_inh[i] > 0, inc_inh[i], np.nan)))
                frames.append(_rows(level, codes, "deprivation_index", [ed], np.round((z1 + z2) / 2, 4)[None, :], "score"))
    return pd.concat(frames, ignore_index=True)


def _z(x: np.ndarray) -> np.ndarray:
    m, s = np.nanmean(x), np.nanstd(x)
    return (x - m) / s if s > 0 else x * 0.0
