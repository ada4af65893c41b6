"""Arrival typology: classes follow the rule table and explanations state the rules held."""

from __future__ import annotations

import operator
import re

import pandas as pd
import pytest

from aankomst.errors import InputError
from aankomst.register.typology import classify, load_rules

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


def _features():
    rows = {  # code: (population, newcomers, NC, FE, internal balance foreign, RM ratio, new 5y)
        "gate": (5000, 400, 2.3, 0.79, -12.0, 1.6, 0.5),       # Antwerpen-Noord-like
        "mix": (4000, 200, 1.8, 0.52, 3.0, 1.1, 0.3),          # Aalst-like: balanced
        "second": (3000, 120, 1.4, 0.32, 8.0, 1.0, 0.3),       # Liedekerke-like
        "transit": (2500, 60, 0.9, 0.5, -1.0, 1.45, 0.48),     # turnover without arrival function
        "quiet": (6000, 40, 0.5, 0.4, -0.5, 0.8, 0.2),
        "tiny": (60, 3, 3.0, 1.0, -5.0, 2.0, 0.9),
        "gate_but_gaining": (5000, 400, 2.0, 0.7, 4.0, 1.2, 0.3),  # fails gateway's internal balance
    }
    df = pd.DataFrame.from_dict(rows, orient="index", columns=[
        "population", "newcomers_foreign", "newcomer_concentration", "first_entry_share",
        "internal_balance_foreign", "residential_mobility_ratio", "share_new_residents_5y"])
    for c in df.columns:
        df[f"{c}_n"] = 100
    df.loc["tiny", "newcomers_foreign_n"] = 3
    return df.rename_axis("code").reset_index()


def test_classes_on_hand_built_areas():
    out = classify(_features()).set_index("code")["class"]
    assert out.to_dict() == {"gate": "gateway", "mix": "gateway_secondary", "second": "secondary_destination",
                             "transit": "transit", "quiet": "not_arrival", "tiny": "too_small",
                             "gate_but_gaining": "gateway_secondary"}


def test_explanations_match_their_rules():
    rules = load_rules()
    feats = _features()
    out = classify(feats, rules)
    prio = rules.drop_duplicates("class").set_index("class")["priority"]
    pat = re.compile(r"(\w+) (-?[\d.]+(?:e-?\d+)?|suppressed \(<\d\)) (not )?(<=|>=|<|>|==) (-?[\d.]+)")
    for _, row in out.iterrows():
        crit = rules[(rules["class"] == row["class"]) & (rules["indicator"] != "")]
        found = pat.findall(row["explanation"])
        if row["class"] != "not_arrival":
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


def test_small_counts_are_suppressed_in_explanations():
    out = classify(_features()).set_index("code")
    assert "suppressed (<5)" in out.loc["tiny", "explanation"]


def test_thresholds_are_configurable():
    rules = load_rules(overrides={"gateway.first_entry_share": 0.85})
    out = classify(_features(), rules).set_index("code")["class"]
    assert out["gate"] == "gateway_secondary"
    bad = load_rules().assign(op=lambda d: d["op"].replace({">=": "=>"}))
    with pytest.raises(InputError) as e:
        load_rules(bad)
    assert e.value.column == "op"
    with pytest.raises(InputError):
        load_rules(overrides={"gateway.no_such_feature": 1})


def test_rule_table_is_documented_data():
    rules = load_rules()
    assert {"gateway", "gateway_secondary", "secondary_destination", "transit", "not_arrival"} <= set(rules["class"])
    assert rules["label_nl"].str.len().min() > 3 and rules["label_en"].str.len().min() > 3
