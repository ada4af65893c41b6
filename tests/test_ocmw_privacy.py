"""Small-number protection of OCMW crossings (``aankomst.ocmw.protect``, docs/ocmw.md §6).

Hand examples for each relation an attacker can use (margins, nested groups, adjacent periods)
and a Hypothesis property on random, internally consistent tables (measure × group × sex × age
× period × recipients/inflow/outflow): after protection no published cell lies in 1–4 and no
suppressed cell is recoverable from the published cells and all relations.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aankomst.ocmw.protect import protect, recoverable, relations


def test_margin_complement_by_hand() -> None:
    df = pd.DataFrame({"sex": ["T", "M", "F"], "value": [12, 2, 10]})
    out = protect(df)
    assert out["suppressed"].tolist() == [False, True, True]
    assert out["suppression"].tolist() == ["", "primary", "complementary"]


def test_nested_groups_identity_is_protected() -> None:
    # nationality/BEL equals eu_status/belgian (one child): both go together
    df = pd.DataFrame({"scheme": ["total", "nationality", "nationality", "eu_status", "eu_status",
                                  "eu_status"],
                       "grp": ["total", "BEL", "ETR", "belgian", "eu", "non_eu"],
                       "value": [40, 3, 37, 3, 10, 27]})
    out = protect(df).set_index(["scheme", "grp"])["suppressed"]
    assert out[("nationality", "BEL")] and out[("eu_status", "belgian")]
    assert not recoverable(out.to_numpy(), relations(df)).size


def test_adjacent_period_difference_is_protected() -> None:
    # R(2011) = R(2010) - O(2010) + I(2011): with I(2011) = 3 suppressed, R(2011) published
    # alone would give it away.
    df = pd.DataFrame({"stat": ["recipients", "outflow", "inflow", "recipients", "outflow", "inflow"],
                       "period": ["2010", "2010", "2010", "2011", "2011", "2011"],
                       "value": [50, 20, 30, 33, 10, 3]})
    out = protect(df)
    assert out.loc[5, "suppressed"]
    assert out["suppressed"].sum() >= 2
    assert not recoverable(out["suppressed"].to_numpy(), relations(df)).size


def test_zero_is_published() -> None:
    out = protect(pd.DataFrame({"sex": ["T", "M", "F"], "value": [8, 0, 8]}))
    assert not out["suppressed"].any()


GROUPS = [("eu_status", "belgian", "BEL"), ("eu_status", "eu", "ETR"), ("eu_status", "non_eu", "ETR")]


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    """Consistent tables: finest cells drawn (small counts likely), margins and the nationality /
    total groups summed, recipients built from inflow and outflow across periods."""
    n_periods = draw(st.integers(1, 3))
    bands = ["18-24", "25-34"][: draw(st.integers(1, 2))]
    sexes = ["M", "F"]
    small = st.integers(0, 12)
    rows = []
    for grp, sex, age in itertools.product(GROUPS, sexes, bands):
        r = draw(small)
        out_prev = 0
        for k in range(n_periods):
            inflow = draw(small) if k else draw(st.integers(0, r))
            if k:
                r = r - out_prev + inflow
            out_prev = draw(st.integers(0, r))
            per = str(2010 + k)
            rows += [("recipients", per, grp, sex, age, r), ("inflow", per, grp, sex, age, inflow),
                     ("outflow", per, grp, sex, age, out_prev)]
    fine = pd.DataFrame(rows, columns=["stat", "period", "g", "sex", "age_band", "value"])
    fine["scheme"] = [g[0] for g in fine["g"]]
    fine["grp"] = [g[1] for g in fine["g"]]
    fine["nat"] = [g[2] for g in fine["g"]]
    parts = [fine.drop(columns=["g", "nat"])]
    nat = fine.groupby(["stat", "period", "nat", "sex", "age_band"], as_index=False)["value"].sum()
    parts.append(nat.rename(columns={"nat": "grp"}).assign(scheme="nationality"))
    tot = fine.groupby(["stat", "period", "sex", "age_band"], as_index=False)["value"].sum()
    parts.append(tot.assign(scheme="total", grp="total"))
    df = pd.concat(parts, ignore_index=True)
    sx = df.groupby(["stat", "period", "scheme", "grp", "age_band"], as_index=False)["value"].sum()
    df = pd.concat([df, sx.assign(sex="T")], ignore_index=True)
    ag = df.groupby(["stat", "period", "scheme", "grp", "sex"], as_index=False)["value"].sum()
    df = pd.concat([df, ag.assign(age_band="total")], ignore_index=True)
    return df.assign(measure="leefloon")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_small_cell_published_or_recoverable(df: pd.DataFrame) -> None:
    out = protect(df, threshold=5)
    shown = out.loc[~out["suppressed"], "value"]
    assert not ((shown >= 1) & (shown <= 4)).any()
    rels = relations(df)
    # the relations hold on the exact values (the table is consistent) ...
    v = df["value"].to_numpy(dtype=float)
    assert all(abs(sum(c * v[i] for i, c in r.items())) < 1e-9 for r in rels)
    # ... and no suppressed cell follows from the published ones
    assert recoverable(out["suppressed"].to_numpy(), rels).size == 0
    assert np.isnan(out.loc[out["suppressed"], "value"]).all()
