"""Seeded cohort simulation of the demo population per statistical sector.

State: persons per sector × nationality (``BEL`` + the countries of ``demo_countries.csv``) ×
sex (M, F) × age band. Each calendar year ``t`` (from the population on 1 January ``t`` to
1 January ``t+1``) applies, in this order:

1. deaths (age-specific probabilities),
2. births (to women aged 18–44; children of non-Belgian mothers are Belgian with probability
   ``child_belgian_share``),
3. naturalisations (non-Belgian → Belgian, same sector, sex and age),
4. ageing (a person leaves an age band with probability 1 / band width),
5. departures abroad (destination: own nationality country, the emigrant destination mix,
   or ``XXX`` unknown),
6. moves between sectors (gravity model inside and between municipalities, with the roles and
   boosts of the parameter tables),
7. arrivals from abroad (concentrated in gateway neighbourhoods).

Every step is integer bookkeeping, so for every sector, year and nationality group
``P(t+1) = P(t) + births − deaths ± naturalisations + inflows − outflows`` holds exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aankomst.demo.geography import Geography
from aankomst.demo.params import DemoParams

GROUPS: tuple[str, ...] = ("BEL", "ETR")
"""Nationality groups of the flows (scheme ``nationality``)."""
SEXES: tuple[str, ...] = ("M", "F")
ARRIVAL_ROLES: tuple[str, ...] = ("gateway", "arrival")
"""Neighbourhood roles whose adjacent neighbourhoods receive onward movers."""


@dataclass
class Simulation:
    """Result of :func:`simulate` (all counts are persons).

    Attributes
    ----------
    years
        Reference years; ``pop[i]`` is the population on 1 January ``years[i]``.
    countries
        Nationality codes, ``countries[0] == 'BEL'``.
    age_bands
        Age band labels (``'0-17'`` …, ``'65+'``).
    pop
        ``(T, S, C, 2, A)`` persons by year, sector, nationality, sex, age band.
    births, deaths
        ``(T-1, S, 2)`` by event year, sector, nationality group (BEL, ETR) of the person.
    naturalisations
        ``(T-1, S)`` non-Belgians who became Belgian.
    moves
        ``(T-1, 2, S, S)`` moves by year, group, origin sector, destination sector.
    from_abroad, to_abroad
        ``(T-1, 2, S, C+1)`` by year, group, sector and country of origin / destination
        (index ``C`` is ``XXX``, unknown country).
    """

    years: list[int]
    countries: list[str]
    age_bands: list[str]
    pop: np.ndarray
    births: np.ndarray
    deaths: np.ndarray
    naturalisations: np.ndarray
    moves: np.ndarray
    from_abroad: np.ndarray
    to_abroad: np.ndarray


def _norm(w: np.ndarray, axis: int = -1) -> np.ndarray:
    s = w.sum(axis=axis, keepdims=True)
    return np.divide(w, s, out=np.zeros_like(w, dtype=float), where=s > 0)


def simulate(params: DemoParams, geo: Geography, rng: np.random.Generator) -> Simulation:
    """Run the simulation (see the module docstring)."""
    sec, nbh, mun = geo.sectors, geo.neighbourhoods.set_index("code"), geo.municipalities.set_index("code")
    ctry = params.countries
    countries = list(ctry["iso3"])
    C, S, A = len(countries), len(sec), len(params.age_bands)
    years = params.years
    is_etr = np.arange(C) > 0
    g_of_c = is_etr.astype(int)
    eu = ctry["eu"].to_numpy() > 0

    s_mun = sec["municipality"].to_numpy()
    s_nbh = sec["neighbourhood"].to_numpy()
    s_kind = mun.loc[s_mun, "kind"].to_numpy()
    s_role = nbh.loc[s_nbh, "role"].to_numpy()
    s_adj = nbh.loc[s_nbh, "adjacent_to_arrival"].to_numpy().astype(bool)
    s_capital = np.char.startswith(s_kind.astype(str), "capital")
    s_region = sec["region"].to_numpy()

    # ---------------------------------------------------------------- initial population
    nb_w = nbh["weight"] / nbh.groupby("municipality")["weight"].transform("sum")
    pop0 = mun.loc[s_mun, "population_2010"].to_numpy() * nb_w.loc[s_nbh].to_numpy() * sec["weight"].to_numpy()
    ff = nbh["foreign_factor"] * nbh["weight"]
    ff_norm = nbh["foreign_factor"] / (ff.groupby(nbh["municipality"]).transform("sum")
                                       / nbh.groupby("municipality")["weight"].transform("sum"))
    etr_share = np.clip(mun.loc[s_mun, "foreign_share_2010"].to_numpy() * ff_norm.loc[s_nbh].to_numpy(), 0, 0.75)
    mix_stock = np.where(s_capital[:, None], ctry["stock_capital"].to_numpy()[None, :],
                         ctry["stock_laagland"].to_numpy()[None, :]).astype(float)
    aff = (s_role == "affluent")[:, None]
    mix_stock = np.where(aff, 0.5 * _norm(mix_stock) + 0.5 * _norm(ctry["affluent"].to_numpy()[None, :].astype(float)),
                         _norm(mix_stock))
    age_bel, age_etr = np.array(params.nums("age_share.BEL")), np.array(params.nums("age_share.ETR"))
    male = np.array([params.num("male_share.BEL"), params.num("male_share.ETR")])
    p_c = np.concatenate([(1 - etr_share)[:, None], etr_share[:, None] * mix_stock[:, 1:]], axis=1)
    p_sex = np.where(is_etr[:, None], [male[1], 1 - male[1]], [male[0], 1 - male[0]])
    p_age = np.where(is_etr[:, None], age_etr[None, :], age_bel[None, :])
    p_cell = p_c[:, :, None, None] * p_sex[None, :, :, None] * p_age[None, :, None, :]
    N = rng.multinomial(np.round(pop0).astype(np.int64), p_cell.reshape(S, -1)).reshape(S, C, 2, A)

    # ---------------------------------------------------------------- static rates
    death = np.array(params.nums("death_rate"))
    fert = np.array([params.num("fertility.BEL"), params.num("fertility.ETR")])
    nat_rate = np.where(eu, params.num("naturalisation_rate.eu"), params.num("naturalisation_rate.noneu"))
    nat_rate[0] = 0.0
    emig = np.array([params.num("emigration_rate.BEL"), params.num("emigration_rate.ETR")])
    bands = params.age_bands
    widths = []
    for b in bands[:-1]:
        lo, hi = b.split("-")
        widths.append(int(hi) - int(lo) + 1)
    age_up = 1.0 / np.array(widths, dtype=float)
    mob = np.array([params.num("move_rate.BEL"), params.num("move_rate.ETR")])
    role_mob = np.array([params.by("role_mobility", r, 1.0) if r else 1.0 for r in s_role])
    role_abroad = np.array([params.by("role_abroad", r, 1.0) if r else 1.0 for r in s_role])
    role_attr = np.array([params.by("role_attraction", r, 1.0) if r else 1.0 for r in s_role])
    role_attr = np.where(s_adj, role_attr * params.num("adjacent_attraction"), role_attr)
    imm_foreign = np.array([params.by("immigration_foreign_share", r, params.num("immigration_foreign_share"))
                            if r else params.num("immigration_foreign_share") for r in s_role])
    imm_rate = np.array([params.by("immigration_per_1000", k) for k in s_kind]) / 1000.0
    leave_share = params.num("leave_share")
    dest_mix = _norm(ctry["emigrant_destination"].to_numpy().astype(float))
    in_mix = np.where(s_capital[:, None], ctry["inflow_capital"].to_numpy()[None, :],
                      ctry["inflow_laagland"].to_numpy()[None, :]).astype(float)
    in_mix = np.where(aff, 0.5 * _norm(in_mix) + 0.5 * _norm(ctry["affluent"].to_numpy()[None, :].astype(float)),
                      _norm(in_mix))
    in_mix[:, 0] = 0.0
    in_mix = _norm(in_mix)
    age_imm = np.array(params.nums("age_share.immigrant"))

    # distances and the static part of the destination kernel
    xy = sec[["x", "y"]].to_numpy() / 1000.0
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    same_mun = s_mun[:, None] == s_mun[None, :]
    local = np.exp(-dist / params.num("local_decay_km")) * same_mun
    np.fill_diagonal(local, 0.0)
    arrival_o = np.isin(s_role, ARRIVAL_ROLES)[:, None] & s_adj[None, :] & same_mun
    adjacent = np.where(arrival_o, params.num("adjacent_boost"), 1.0)
    far = np.exp(-dist / params.num("distance_decay_km")) * ~same_mun
    boost = np.ones((2, S, S))
    for _, b in params.od_boosts.iterrows():
        o_mask = (s_mun == b["origin"]) | (s_region == b["origin"])
        d_mask = (s_mun == b["destination"]) | (s_region == b["destination"])
        gs = [0, 1] if b["group"] == "all" else [GROUPS.index(b["group"])]
        for g in gs:
            boost[g][np.ix_(o_mask, d_mask)] *= float(b["factor"])
    boost[:, same_mun] = 1.0

    T = len(years)
    pops = np.zeros((T, S, C, 2, A), dtype=np.int64)
    births = np.zeros((T - 1, S, 2), dtype=np.int64)
    deaths = np.zeros((T - 1, S, 2), dtype=np.int64)
    nats = np.zeros((T - 1, S), dtype=np.int64)
    moves = np.zeros((T - 1, 2, S, S), dtype=np.int64)
    f_abroad = np.zeros((T - 1, 2, S, C + 1), dtype=np.int64)
    t_abroad = np.zeros((T - 1, 2, S, C + 1), dtype=np.int64)
    pops[0] = N

    def by_group(a: np.ndarray) -> np.ndarray:  # (S, C, ...) -> (S, 2)
        a = a.reshape(S, C, -1).sum(-1)
        return np.stack([a[:, 0], a[:, 1:].sum(1)], axis=1)

    for i in range(T - 1):
        # 1. deaths
        D = rng.binomial(N, death[None, None, None, :])
        N -= D
        deaths[i] = by_group(D)
        # 2. births
        women = N[:, :, 1, 1:3].sum(-1)
        B = rng.poisson(women * fert[g_of_c][None, :])
        to_bel = rng.binomial(B, params.num("child_belgian_share") * is_etr[None, :])
        Bc = B - to_bel
        Bc[:, 0] += to_bel.sum(1)
        boys = rng.binomial(Bc, params.num("male_birth_share"))
        N[:, :, 0, 0] += boys
        N[:, :, 1, 0] += Bc - boys
        births[i] = by_group(Bc)
        # 3. naturalisations
        Z = rng.binomial(N, nat_rate[None, :, None, None])
        N -= Z
        N[:, 0] += Z.sum(1)
        nats[i] = Z.sum((1, 2, 3))
        # 4. ageing
        U = rng.binomial(N[..., :-1], age_up[None, None, None, :])
        N[..., :-1] -= U
        N[..., 1:] += U
        # 5. departures abroad
        E = rng.binomial(N, emig[g_of_c][None, :, None, None])
        N -= E
        Esc = E.sum((2, 3))
        unk = rng.binomial(Esc, params.num("emigration_unknown_share"))
        rest = Esc - unk
        own = rng.binomial(rest, params.num("emigration_own_country") * is_etr[None, :])
        other = rng.multinomial(rest - own, dest_mix)  # (S, C, C)
        out = other.copy()
        out[:, np.arange(C), np.arange(C)] += own
        for g, cs in ((0, slice(0, 1)), (1, slice(1, None))):
            t_abroad[i, g, :, :C] = out[:, cs].sum(1)
            t_abroad[i, g, :, C] = unk[:, cs].sum(1)
        # 6. moves between sectors: symmetric gravity kernels (flows o→d and d→o balance
        # except for roles, the adjacency boost and the origin–destination boosts)
        popw = N.sum((1, 2, 3)).astype(float)
        attr = popw * role_attr
        flat = N.reshape(S, -1)
        cell_g = np.repeat(g_of_c, 2 * A)
        newflat = flat.copy()
        inside = local * attr[None, :]
        z_in = pd.Series(popw * inside.sum(1)).groupby(s_mun).transform("sum").to_numpy()
        z_in = z_in / pd.Series(popw).groupby(s_mun).transform("sum").to_numpy()
        inside = np.divide(inside, z_in[:, None], out=np.zeros_like(inside), where=z_in[:, None] > 0)
        for g in (0, 1):
            outside = far * boost[g] * attr[None, :]
            outside /= (popw * outside.sum(1)).sum() / popw.sum()
            q = (inside * (1 - leave_share) + outside * leave_share) * (mob[g] * role_mob)[:, None]
            rate = np.minimum(q.sum(1), 0.9)
            # movers leaving an arrival neighbourhood prefer the adjacent ones (same rate)
            q_in = inside * adjacent * np.divide(inside.sum(1), (inside * adjacent).sum(1),
                                                  out=np.zeros(S), where=(inside * adjacent).sum(1) > 0)[:, None]
            P = _norm((q_in * (1 - leave_share) + outside * leave_share) * (mob[g] * role_mob)[:, None])
            cols = np.nonzero(cell_g == g)[0]
            M = rng.binomial(flat[:, cols], rate[:, None])
            newflat[:, cols] -= M
            for o in range(S):
                k = int(M[o].sum())
                if k == 0:
                    continue
                dest = rng.choice(S, size=k, p=P[o])
                cells = np.repeat(cols, M[o])
                np.add.at(newflat, (dest, cells), 1)
                moves[i, g, o] += np.bincount(dest, minlength=S)
        N = newflat.reshape(S, C, 2, A)
        # 7. arrivals from abroad
        mun_pop = pd.Series(popw).groupby(s_mun).transform("sum").to_numpy()
        attr_abroad = popw * role_abroad
        share = attr_abroad / pd.Series(attr_abroad).groupby(s_mun).transform("sum").to_numpy()
        arrivals = rng.poisson(imm_rate * mun_pop * share)
        etr_n = rng.binomial(arrivals, imm_foreign)
        nat_n = np.zeros((S, C), dtype=np.int64)
        nat_n[:, 0] = arrivals - etr_n
        nat_n += rng.multinomial(etr_n, in_mix)
        men = rng.binomial(nat_n, male[1])
        for x, n in ((0, men), (1, nat_n - men)):
            N[:, :, x, :] += rng.multinomial(n, age_imm)
        own = rng.binomial(nat_n, params.num("immigration_own_country") * is_etr[None, :])
        orig = rng.multinomial(nat_n - own, dest_mix)
        orig[:, np.arange(C), np.arange(C)] += own
        f_abroad[i, 0, :, :C] = orig[:, 0]
        f_abroad[i, 1, :, :C] = orig[:, 1:].sum(1)
        pops[i + 1] = N
    return Simulation(years, countries, list(bands), pops, births, deaths, nats, moves, f_abroad, t_abroad)
