"""Turn the simulation into atlas tables (``population``, ``flows``) at every level.

Every level of the hierarchy (sector → … → country) gets its own rows, obtained by summing
the sector counts, so an indicator can read a level directly or aggregate sectors along the
crosswalks and get the same numbers.

Flows
-----
* A *move* is a change of statistical sector inside Demoland. At the sector level origin and
  destination always differ; at a coarser level a move whose two ends lie in the same unit is
  stored with ``origin_code == dest_code`` (a move *inside* the unit, needed for residential
  mobility; it cancels out of every balance and is not an arrival).
* Arrivals from abroad: ``origin_kind = 'abroad'``, ``origin_code`` = ISO alpha-3 country of
  previous residence; departures abroad: ``dest_kind = 'abroad'``, ``dest_code`` = country of
  destination or ``XXX`` (unknown: removals from the register).
* Schemes: ``nationality`` (groups ``BEL``/``ETR``, the nationality at the time of the move) and
  ``total``/``total`` (their sum).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from aankomst.demo.geography import HIERARCHY, LAYOUT, Geography
from aankomst.demo.population import GROUPS, SEXES, Simulation

UNKNOWN_COUNTRY = "XXX"


def indicator(geo: Geography, level: str) -> tuple[list[str], np.ndarray]:
    """Unit codes at ``level`` and the (S, U) 0/1 matrix sector → unit."""
    members = geo.members(level)
    codes = list(pd.unique(members))
    idx = pd.Index(codes).get_indexer(members)
    mat = np.zeros((len(members), len(codes)), dtype=np.int64)
    mat[np.arange(len(members)), idx] = 1
    return codes, mat


def _long(values: np.ndarray, axes: list[tuple[str, list]]) -> pd.DataFrame:
    """Long frame of an n-d array with one labelled axis per dimension."""
    grids = np.meshgrid(*[np.asarray(lab, dtype=object) for _, lab in axes], indexing="ij")
    data = {name: g.ravel() for (name, _), g in zip(axes, grids)}
    data["count"] = values.ravel()
    return pd.DataFrame(data)


def population_table(geo: Geography, sim: Simulation, group6: dict[str, str]) -> pd.DataFrame:
    """The ``population`` table (schemes total, nationality, country, nationality_group6)."""
    dates = [date(y, 1, 1) for y in sim.years]
    g6_codes = sorted(set(group6.values()))
    g6_idx = np.array([g6_codes.index(group6[c]) for c in sim.countries])
    frames = []
    for level in HIERARCHY:
        codes, mat = indicator(geo, level)
        p = np.einsum("tscxa,su->tucxa", sim.pop, mat)  # (T, U, C, 2, A)
        by_nat = np.stack([p[:, :, 0], p[:, :, 1:].sum(2)], axis=2)  # (T, U, 2, 2, A)
        # sex margins: T, M, F ; age margins: total + bands
        def margins(a: np.ndarray) -> np.ndarray:  # (..., 2, A) -> (..., 3, A+1)
            a = np.concatenate([a.sum(-2, keepdims=True), a], axis=-2)
            return np.concatenate([a.sum(-1, keepdims=True), a], axis=-1)
        ages = ["total", *sim.age_bands]
        sexes = ["T", *SEXES]
        tot = margins(by_nat.sum(2))
        frames.append(_long(tot, [("ref_date", dates), ("code", codes), ("sex", sexes), ("age_band", ages)])
                      .assign(scheme="total", grp="total", level=level))
        nat = margins(by_nat)
        frames.append(_long(nat, [("ref_date", dates), ("code", codes), ("grp", list(GROUPS)),
                                  ("sex", sexes), ("age_band", ages)]).assign(scheme="nationality", level=level))
        cs = p.sum(-1)  # (T, U, C, 2)
        cs = np.concatenate([cs.sum(-1, keepdims=True), cs], axis=-1)
        frames.append(_long(cs, [("ref_date", dates), ("code", codes), ("grp", sim.countries), ("sex", sexes)])
                      .assign(scheme="country", age_band="total", level=level))
        g6 = np.zeros(cs.shape[:2] + (len(g6_codes), 3), dtype=np.int64)
        for k in range(len(g6_codes)):
            g6[:, :, k] = cs[:, :, g6_idx == k].sum(2)
        frames.append(_long(g6, [("ref_date", dates), ("code", codes), ("grp", g6_codes), ("sex", sexes)])
                      .assign(scheme="nationality_group6", age_band="total", level=level))
    out = pd.concat(frames, ignore_index=True)
    out["layout"] = LAYOUT
    out["count"] = out["count"].astype("int64")
    return out[["level", "layout", "code", "ref_date", "scheme", "grp", "sex", "age_band", "count"]]


def flows_table(geo: Geography, sim: Simulation) -> pd.DataFrame:
    """The ``flows`` table at every level (see the module docstring)."""
    years = sim.years[:-1]
    dests = [*sim.countries, UNKNOWN_COUNTRY]
    frames = []
    for level in HIERARCHY:
        codes, mat = indicator(geo, level)
        mv = np.einsum("ygso,su,ov->yguv", sim.moves, mat, mat)
        fa = np.einsum("ygsc,su->yguc", sim.from_abroad, mat)
        ta = np.einsum("ygsc,su->yguc", sim.to_abroad, mat)
        for scheme, grps, sel in (("nationality", list(GROUPS), slice(None)), ("total", ["total"], None)):
            m = mv if sel is not None else mv.sum(1, keepdims=True)
            f = fa if sel is not None else fa.sum(1, keepdims=True)
            t = ta if sel is not None else ta.sum(1, keepdims=True)
            d = _long(m, [("year", years), ("grp", grps), ("origin_code", codes), ("dest_code", codes)])
            d = d.assign(origin_kind="area", origin_level=level, origin_layout=LAYOUT,
                         dest_kind="area", dest_level=level, dest_layout=LAYOUT)
            a = _long(f, [("year", years), ("grp", grps), ("dest_code", codes), ("origin_code", dests)])
            a = a.assign(origin_kind="abroad", origin_level=None, origin_layout=None,
                         dest_kind="area", dest_level=level, dest_layout=LAYOUT)
            b = _long(t, [("year", years), ("grp", grps), ("origin_code", codes), ("dest_code", dests)])
            b = b.assign(origin_kind="area", origin_level=level, origin_layout=LAYOUT,
                         dest_kind="abroad", dest_level=None, dest_layout=None)
            for fr in (d, a, b):
                frames.append(fr[fr["count"] > 0].assign(scheme=scheme))
    out = pd.concat(frames, ignore_index=True)
    out["year"] = out["year"].astype("int64")
    out["count"] = out["count"].astype("int64")
    return out[["year", "origin_kind", "origin_level", "origin_layout", "origin_code", "dest_kind",
                "dest_level", "dest_layout", "dest_code", "scheme", "grp", "count"]]
