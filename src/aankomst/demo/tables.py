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
* At the monitoring level (``brussels_neighbourhood``, the capital only) moves with the rest of
  Demoland have kind ``belgium`` and no code on the other side.
* Schemes: ``nationality`` (groups ``BEL``/``ETR``, the nationality at the time of the move) and
  ``total``/``total`` (their sum).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from aankomst.demo.geography import LEVELS, MONITOR, Geography, layout_of
from aankomst.demo.population import GROUPS, SEXES, Simulation

UNKNOWN_COUNTRY = "XXX"


def indicator(geo: Geography, level: str) -> tuple[list[str], np.ndarray]:
    """Unit codes at ``level`` and the (S, U) 0/1 matrix sector → unit (a sector outside every
    unit of the level has a zero row)."""
    members = geo.members(level)
    codes = [c for c in pd.unique(members) if c is not None]
    idx = pd.Index(codes).get_indexer(members)
    mat = np.zeros((len(members), len(codes)), dtype=np.int64)
    inside = idx >= 0
    mat[np.arange(len(members))[inside], idx[inside]] = 1
    return codes, mat


def _long(values: np.ndarray, axes: list[tuple[str, list]], drop_zero: bool = False) -> pd.DataFrame:
    """Long frame of an n-d array with one labelled axis per dimension.

    Text labels become categoricals (cheap to build; stored as text by the atlas).
    """
    v = values.ravel()
    idx = np.flatnonzero(v) if drop_zero else np.arange(v.size)
    multi = np.unravel_index(idx, values.shape)
    data: dict[str, object] = {}
    for (name, labels), m in zip(axes, multi):
        if all(isinstance(x, str) for x in labels):
            data[name] = pd.Categorical.from_codes(m, categories=list(labels))
        else:
            data[name] = np.asarray(labels)[m]
    data["count"] = v[idx].astype(np.int64)
    return pd.DataFrame(data)


def _agg(mat: np.ndarray, arr: np.ndarray, axis: int) -> np.ndarray:
    """Sum ``arr`` over sectors along ``axis`` into units (exact: float sums of integers)."""
    out = np.tensordot(np.moveaxis(arr, axis, -1).astype(float), mat.astype(float), axes=([-1], [0]))
    return np.rint(np.moveaxis(out, -1, axis)).astype(np.int64)


def population_table(geo: Geography, sim: Simulation, group6: dict[str, str]) -> pd.DataFrame:
    """The ``population`` table (schemes total, nationality, country, nationality_group6)."""
    dates = [np.datetime64(date(y, 1, 1), 'D') for y in sim.years]
    g6_codes = sorted(set(group6.values()))
    g6_idx = np.array([g6_codes.index(group6[c]) for c in sim.countries])
    frames = []
    for level in LEVELS:
        codes, mat = indicator(geo, level)
        p = _agg(mat, sim.pop, 1)  # (T, U, C, 2, A)
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
    out["layout"] = out["level"].map(layout_of)
    out["count"] = out["count"].astype("int64")
    return out[["level", "layout", "code", "ref_date", "scheme", "grp", "sex", "age_band", "count"]]


def flows_table(geo: Geography, sim: Simulation) -> pd.DataFrame:
    """The ``flows`` table at every level (see the module docstring)."""
    years = sim.years[:-1]
    dests = [*sim.countries, UNKNOWN_COUNTRY]
    frames = []
    for level in LEVELS:
        codes, mat = indicator(geo, level)
        lay = layout_of(level)
        mv = _agg(mat, _agg(mat, sim.moves, 2), 3)  # (Y, G, U, U)
        fa = _agg(mat, sim.from_abroad, 2)  # (Y, G, U, C+1)
        ta = _agg(mat, sim.to_abroad, 2)
        for scheme, grps, sel in (("nationality", list(GROUPS), slice(None)), ("total", ["total"], None)):
            m = mv if sel is not None else mv.sum(1, keepdims=True)
            f = fa if sel is not None else fa.sum(1, keepdims=True)
            t = ta if sel is not None else ta.sum(1, keepdims=True)
            d = _long(m, [("year", years), ("grp", grps), ("origin_code", codes), ("dest_code", codes)], drop_zero=True)
            d = d.assign(origin_kind="area", origin_level=level, origin_layout=lay,
                         dest_kind="area", dest_level=level, dest_layout=lay)
            a = _long(f, [("year", years), ("grp", grps), ("dest_code", codes), ("origin_code", dests)], drop_zero=True)
            a = a.assign(origin_kind="abroad", origin_level=None, origin_layout=None,
                         dest_kind="area", dest_level=level, dest_layout=lay)
            b = _long(t, [("year", years), ("grp", grps), ("origin_code", codes), ("dest_code", dests)], drop_zero=True)
            b = b.assign(origin_kind="area", origin_level=level, origin_layout=lay,
                         dest_kind="abroad", dest_level=None, dest_layout=None)
            for fr in (d, a, b):
                frames.append(fr.assign(scheme=scheme))
            if level == MONITOR:  # moves with the rest of Demoland: kind 'belgium', no code
                outside = mat.sum(1) == 0
                raw = sim.moves if sel is not None else sim.moves.sum(1, keepdims=True)
                fin = _agg(mat, raw[:, :, outside, :].sum(2), 2)  # (Y, G, U)
                fout = _agg(mat, raw[:, :, :, outside].sum(3), 2)
                c = _long(fin, [("year", years), ("grp", grps), ("dest_code", codes)], drop_zero=True)
                c = c.assign(origin_kind="belgium", origin_level=None, origin_layout=None, origin_code=None,
                             dest_kind="area", dest_level=level, dest_layout=lay)
                e = _long(fout, [("year", years), ("grp", grps), ("origin_code", codes)], drop_zero=True)
                e = e.assign(origin_kind="area", origin_level=level, origin_layout=lay, dest_kind="belgium",
                             dest_level=None, dest_layout=None, dest_code=None)
                frames += [c.assign(scheme=scheme), e.assign(scheme=scheme)]
    out = pd.concat(frames, ignore_index=True)
    out["year"] = out["year"].astype("int64")
    out["count"] = out["count"].astype("int64")
    return out[["year", "origin_kind", "origin_level", "origin_layout", "origin_code", "dest_kind",
                "dest_level", "dest_layout", "dest_code", "scheme", "grp", "count"]]
