"""Property tests (Hypothesis) of the demo generator: for any seed, people are conserved per
sector and group, and the gateway pattern holds; the table helpers keep every count."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_conserves_people_and_keeps_the_gateway(seed):
    from aankomst.demo.geography import build_geography
    from aankomst.demo.params import load_params
    from aankomst.demo.population import simulate

    p = load_params()
    rng = np.random.default_rng(seed)
    geo = build_geography(p, rng)
    sim = simulate(p, geo, rng)
    by_g = np.stack([sim.pop[:, :, 0].sum((2, 3)), sim.pop[:, :, 1:].sum((2, 3, 4))], axis=2)  # (T, S, 2)
    inflow = sim.moves.sum(2).transpose(0, 2, 1) + sim.from_abroad.sum(3).transpose(0, 2, 1)  # (Y, S, G)
    outflow = sim.moves.sum(3).transpose(0, 2, 1) + sim.to_abroad.sum(3).transpose(0, 2, 1)
    nat = np.stack([sim.naturalisations, -sim.naturalisations], axis=2)
    expected = by_g[:-1] + sim.births - sim.deaths + inflow - outflow + nat
    assert np.array_equal(expected, by_g[1:])
    assert (sim.pop >= 0).all()
    assert np.trace(sim.moves, axis1=2, axis2=3).sum() == 0  # a move changes sector
    nb = geo.sectors["neighbourhood"].to_numpy()
    arrivals = pd.Series(sim.from_abroad.sum((0, 1, 3))).groupby(nb).sum()
    pop = pd.Series(sim.pop[:-1].sum((0, 2, 3, 4))).groupby(nb).sum()
    assert (arrivals / pop).idxmax() == "97001W01"


@settings(max_examples=30, deadline=None)
@given(values=arrays(np.int64, (3, 6, 2), elements=st.integers(0, 50)),
       units=st.lists(st.integers(0, 2), min_size=6, max_size=6))
def test_aggregation_and_long_form_keep_every_count(values, units):
    from aankomst.demo.tables import _agg, _long

    mat = np.zeros((6, 3), dtype=np.int64)
    mat[np.arange(6), units] = 1
    agg = _agg(mat, values, 1)  # (3, U, 2)
    for u in range(3):
        assert np.array_equal(agg[:, u], values[:, np.array(units) == u].sum(1))
    df = _long(values, [("t", [2010, 2011, 2012]), ("code", [f"s{i}" for i in range(6)]), ("g", ["BEL", "ETR"])],
               drop_zero=True)
    assert df["count"].sum() == values.sum() and (df["count"] > 0).all()
    assert len(df) == int((values > 0).sum())
    row = df.sample(1, random_state=0) if len(df) else None
    if row is not None:
        t, c, g = row["t"].iloc[0], row["code"].iloc[0], row["g"].iloc[0]
        assert values[[2010, 2011, 2012].index(t), int(c[1:]), ["BEL", "ETR"].index(g)] == row["count"].iloc[0]
