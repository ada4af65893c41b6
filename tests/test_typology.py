"""Arrival typology: classes follow the rule table and explanations state the rules held."""

from __future__ import annotations

import operator
import re

import numpy as np
import pandas as pd
import pytest

from aankomst.errors import InputError
from aankomst.register.typology import categories, class_table, classify, load_rules

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


def _features():
    """Hand-built areas; shares in % as published (first-entry share, new residents)."""
    rows = {  # code: (population, newcomers, NC, FE %, internal balance foreign, RM ratio, new 5y %)
        "gate": (5000, 400, 2.3, 79.0, -12.0, 1.6, 50.0),       # Antwerpen-Noord-like
        "mix": (4000, 200, 1.8, 52.0, 3.0, 1.1, 30.0),          # Aalst-like: balanced
        "second": (3000, 120, 1.4, 32.0, 8.0, 1.0, 30.0),       # Liedekerke-like
        "transit": (2500, 60, 0.9, 50.0, -1.0, 1.45, 48.0),     # turnover without arrival function
        "quiet": (6000, 40, 0.5, 40.0, -0.5, 0.8, 20.0),
        "tiny": (60, 20, 3.0, 100.0, -5.0, 2.0, 90.0),          # fewer than 100 residents
        "few": (300, np.nan, 3.0, 100.0, -5.0, 2.0, 90.0),      # newcomers withheld (1-4)
        "gate_but_gaining": (5000, 400, 2.0, 70.0, 4.0, 1.2, 30.0),  # fails gateway's balance
        # gateway-like, but the first-entry share is withheld: the class cannot be decided
        "gate_withheld": (5000, 400, 2.3, np.nan, -12.0, 1.6, 50.0),
        # not a gateway whatever the withheld share (concentration fails): classified on
        "quiet_withheld": (6000, 40, 0.5, np.nan, -0.5, 0.8, 20.0),
        # no register data for the new residents: the transit criterion fails (n/a)
        "transit_no_data": (2500, 60, 0.9, 50.0, -1.0, 1.45, np.nan),
    }
    cols = ["population", "newcomers_foreign", "newcomer_concentration", "first_entry_share",
            "internal_balance_foreign", "residential_mobility_ratio", "share_new_residents_5y"]
    df = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    for c in cols:
        df[f"{c}_suppressed"] = False
    df.loc["few", "newcomers_foreign_suppressed"] = True
    df.loc[["gate_withheld", "quiet_withheld"], "first_entry_share_suppressed"] = True
    return df.rename_axis("code").reset_index()


def test_classes_on_hand_built_areas():
    out = classify(_features()).set_index("code")["class"]
    assert out.to_dict() == {"gate": "gateway", "mix": "gateway_secondary", "second": "secondary_destination",
                             "transit": "transit", "quiet": "not_arrival", "tiny": "too_small",
                             "few": "too_small", "gate_but_gaining": "gateway_secondary", "gate_withheld": "too_small",
                             "quiet_withheld": "not_arrival", "transit_no_data": "not_arrival"}


def test_explanations_match_their_rules():
    rules = load_rules()
    feats = _features()
    out = classify(feats, rules)
    prio = rules.drop_duplicates("class").set_index("class")["priority"]
    pat = re.compile(r"(\w+) (-?[\d.]+(?:e-?\d+)?|suppressed \(small-cell rule\)|n/a) (not )?"
                     r"(<=|>=|<|>|==) (-?[\d.]+)")
    for _, row in out.iterrows():
        crit = rules[(rules["class"] == row["class"]) & (rules["indicator"] != "")]
        found = pat.findall(row["explanation"])
        if "withheld under the small-cell rule" in row["explanation"]:
            # undecided: the withheld criteria are named, and every one of them is withheld
            assert row["class"] == "too_small" and found
            assert all(val.startswith("suppressed") and row[f"{ind}_suppressed"]
                       for ind, val, *_ in found), row["explanation"]
        elif row["class"] != "not_arrival":
            # every criterion of the class appears with the area's value, and holds
            names = {f[0] for f in found}
            if crit["combine"].iloc[0] == "all":
                assert names == set(crit["indicator"]), row["explanation"]
            for ind, val, neg, op, thr in found:
                assert not neg
                assert OPS[op](row[ind], float(thr)), row["explanation"]
                if not val.startswith("suppressed"):
                    assert abs(float(val) - row[ind]) <= 0.01 * max(1, abs(row[ind]))
        else:
            # every arrival class is listed with a criterion that fails
            for ind, val, neg, op, thr in found:
                assert neg and not OPS[op](row[ind], float(thr)), row["explanation"]
        # no class of higher priority (lower number) holds
        for cls in prio[prio < prio[row["class"]]].index:
            c = rules[(rules["class"] == cls) & (rules["indicator"] != "")]
            held = [OPS[r.op](row[r.indicator], r.threshold) for r in c.itertuples()]
            assert not (all(held) if c["combine"].iloc[0] == "all" else any(held)), (row["code"], cls)


def test_withheld_values_never_decide_a_class():
    out = classify(_features()).set_index("code")
    assert out.loc["tiny", "explanation"] == "too small to classify: population 60 < 100"
    assert out.loc["few", "explanation"] == (
        "too small to classify: newcomers_foreign suppressed (small-cell rule) < 10 "
        "(withheld under the small-cell rule)")
    assert out.loc["gate_withheld", "explanation"].startswith(
        "too small to classify: gateway cannot be decided: first_entry_share suppressed")
    # a withheld value that cannot change the outcome is shown, and the area classified on
    assert out.loc["quiet_withheld", "class"] == "not_arrival"
    assert "gateway: newcomer_concentration 0.5 not >= 1.5" in out.loc["quiet_withheld", "explanation"]
    assert "share_new_residents_5y n/a not >= 40" in out.loc["transit_no_data", "explanation"]


def test_thresholds_are_configurable():
    rules = load_rules(overrides={"gateway.first_entry_share": 85})
    out = classify(_features(), rules).set_index("code")["class"]
    assert out["gate"] == "gateway_secondary"
    with pytest.raises(InputError) as e:  # shares are in % as published: 0.85 is a slip
        load_rules(overrides={"gateway.first_entry_share": 0.85})
    assert "85" in str(e.value) and e.value.column == "threshold"
    bad = load_rules().assign(op=lambda d: d["op"].replace({">=": "=>"}))
    with pytest.raises(InputError) as e:
        load_rules(bad)
    assert e.value.column == "op"
    with pytest.raises(InputError):
        load_rules(overrides={"gateway.no_such_feature": 1})
    typo = load_rules().assign(indicator=lambda d: d["indicator"].replace(
        {"first_entry_share": "first_entry"}))
    with pytest.raises(InputError) as e:
        load_rules(typo)
    assert e.value.column == "indicator" and "first_entry_share" in str(e.value)


def test_rule_table_is_documented_data():
    rules = load_rules()
    assert {"gateway", "gateway_secondary", "secondary_destination", "transit", "not_arrival"} <= set(rules["class"])
    assert rules["rationale"].str.len().min() > 10
    classes = class_table()
    # every class of the rules has labels and a value in the class table (too small: no value)
    assert set(rules["class"]) <= set(classes["class"])
    assert classes[["label_nl", "label_en", "label_fr"]].map(len).min().min() > 3
    assert classes.set_index("class")["value"].drop("too_small").notna().all()
    assert [c.value for c in categories()] == list(classes["class"])


def test_declared_inputs_match_the_rules():
    """The spec declares exactly the indicators the packaged rules need (no drift)."""
    from aankomst.indicators.registry import get
    from aankomst.plugins import install
    from aankomst.register.features import FEATURES, RULE_FEATURES, TYPOLOGY_INPUTS, typology_calls

    install()
    used = set(load_rules()["indicator"]) - {""}
    assert set(RULE_FEATURES) == used and used <= set(FEATURES)
    calls = typology_calls("neighbourhood")
    assert tuple(dict.fromkeys(c.indicator for c in calls)) == TYPOLOGY_INPUTS
    assert {f for c in calls for f in c.columns} == used
    spec = get("arrival_typology")
    assert spec.inputs[0].ids == TYPOLOGY_INPUTS and spec.param("window").default == 5
    assert calls[0].level is None and "city_level" not in calls[0].kwargs  # fixes the layout
    every = typology_calls("brussels_neighbourhood", features=FEATURES)
    assert {f for c in every for f in c.columns} == set(FEATURES)
    assert {c.kwargs.get("city_level") for c in every[1:-1]} == {"region"}
