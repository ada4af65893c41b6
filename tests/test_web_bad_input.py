"""Every malformed input to the atlas API gets a 4xx in the one JSON error shape, never a 500
(issue 14): ids and numbers of 21+ digits, texts of 50,000 characters, NaN and infinities,
misspelt or mistyped indicator parameters, unknown levels, indicators, groups and areas.

The probes run against the real application over the seeded demo atlas.
"""

from __future__ import annotations

import pytest
from web_support import client_for, error_of

pytest.importorskip("fastapi")

BIG = "9" * 21
HUGE = "x" * 50_001
V = {"indicator": "population", "level": "municipality"}
W = {"indicator": "internal_migration_balance", "level": "municipality"}
NUMBERS = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", BIG, "-" + BIG, "0x10"]

PROBES: list[tuple[str, dict[str, str]]] = [
    # indicator, level, group, scheme, layout
    *[("/api/values", {**V, "indicator": x}) for x in ("nope", "x" * 81, "../etc/passwd", HUGE)],
    *[("/api/values", {**V, "level": x}) for x in ("galaxy", "deelgemeente", "", HUGE)],
    ("/api/values", {"indicator": "external_balance", "level": "municipality"}),  # not a level of it
    *[("/api/values", {**V, "group": x}) for x in ("nope", "nationality:NOPE", "x" * 61, "a b", HUGE)],
    ("/api/values", {"indicator": "income_per_inhabitant", "level": "municipality", "group": "nationality:ETR"}),
    ("/api/values", {**V, "layout": "1800"}),
    ("/api/values", {**V, "layout": BIG}),
    # periods
    *[("/api/values", {**V, "period": x}) for x in ("0000", "1999", "2019-13-45", "2019/2020/2021",
                                                    "2019-2017", BIG, "nan", "-2019", HUGE)],
    ("/api/values", {**W, "period": "2019-2017"}),
    # numbers of the map
    *[("/api/values", {**V, "k": x}) for x in [*NUMBERS, "1", "13"]],
    *[("/api/values", {**V, "band": x}) for x in [*NUMBERS, "0", "-1"]],
    *[("/api/values", {**V, "classes": "manual", "limits": x}) for x in ("1.2.3", ".", "-", "9" * 13, "")],
    ("/api/values", {**V, "classes": "astrology"}),
    ("/api/values", {**V, "palette": "nope"}),
    ("/api/values", {**V, "form": "xml"}),
    # indicator parameters
    *[("/api/values", {**W, "p_window": x}) for x in [*NUMBERS, "abc", "0", "-5", "2.5", "100000000", ""]],
    *[("/api/values", {**V, "p_min_population": x}) for x in NUMBERS],
    *[("/api/values", {**V, "p_within": x}) for x in (BIG, "nope")],
    ("/api/values", {**V, "p_rank": "maybe"}),
    ("/api/values", {**W, "p_windw": "3"}),
    ("/api/values", {**W, "p_registry_url": "x"}),
    ("/api/values", {**W, "p_layout": "2025"}),
    ("/api/values", {**W, "p_WINDOW": "3"}),
    ("/api/values", {**W, "p_window": "3;DROP"}),
    ("/api/values", {**W, "p_" + "w" * 40: "3"}),
    ("/api/values", {"indicator": "bilateral_balance", "level": "municipality", "p_reference": BIG}),
    ("/api/values", {"indicator": "bilateral_balance", "level": "municipality", "p_reference_level": "galaxy"}),
    ("/api/values", {"indicator": "income_per_declaration", "level": "municipality", "p_statistic": "mode"}),
    # the other value routes
    ("/api/periods", {**W, "p_window": "abc"}),
    ("/api/periods", {**W, "p_windw": "3"}),
    ("/api/periods", {**V, "group": "nope"}),
    ("/api/periods", {"indicator": "nope", "level": "municipality"}),
    ("/api/groups", {"indicator": "population"}),
    ("/api/groups", {"level": "municipality"}),
    ("/api/groups", {**W, "p_window": "nan"}),
    ("/api/change", {**V, "from": "2015"}),
    ("/api/change", {**V, "from": "0000", "to": "2020"}),
    ("/api/change", {**V, "from": "2015", "to": BIG}),
    ("/api/change", {**V, "from": "2015", "to": "2020", "band": "nan"}),
    ("/api/change", {"indicator": "arrival_typology", "level": "neighbourhood", "from": "2015-2019",
                     "to": "2016-2020", "focus": "galaxy"}),
    ("/api/export", {**V, "format": "xls"}),
    ("/api/export", {**V, "from": "2015"}),
    ("/api/export", {**V, "period": "2015", "lang": "de"}),
    ("/api/export", {**W, "p_window": "inf"}),
    # areas, search
    *[("/api/areas", {"level": "municipality", "zoom": x}) for x in [*NUMBERS, "-1", "25"]],
    ("/api/areas", {"level": "municipality", "format": "shp"}),
    ("/api/areas", {"level": "municipality", "layout": "1800"}),
    *[("/api/search", {"q": x}) for x in (HUGE, "", "x" * 81)],
    ("/api/search", {"q": "Gent", "level": "galaxy"}),
    # area codes of 21+ digits, unknown areas
    (f"/api/areas/{BIG}/profile", {}),
    (f"/api/areas/{'9' * 41}/profile", {}),
    ("/api/areas/97001/profile", {"indicators": "nope"}),
    ("/api/areas/97001/profile", {"period": "0000"}),
    ("/api/areas/97001/profile", {"level": "galaxy"}),
    (f"/api/areas/{BIG}/series", {"indicator": "population"}),
    ("/api/areas/97001/series", {"indicator": "population", "group": "nope"}),
    ("/api/areas/97001/series", {"indicator": "x" * 81}),
]


@pytest.fixture(scope="module")
def client(demo_atlas_path):
    with client_for(demo_atlas_path) as c:
        yield c


def _id(probe: tuple[str, dict[str, str]]) -> str:
    path, params = probe
    return path + "?" + "&".join(f"{k}={v[:12]}{'…' if len(v) > 12 else ''}" for k, v in params.items())


@pytest.mark.parametrize("probe", PROBES, ids=[_id(p) for p in PROBES])
def test_malformed_input_is_a_4xx_in_the_error_shape(client, probe):
    path, params = probe
    r = client.get(path, params=params)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    e = error_of(r)
    assert len(r.content) < 20_000  # the error does not echo a huge input back
    assert e["code"] in {"invalid_parameter", "invalid", "not_available", "not_found"} or e["code"].startswith(
        "unknown_"), e


def test_parameter_errors_name_the_bad_value_and_the_fix(client):
    e = error_of(client.get("/api/values", params={**W, "p_windw": "3"}), 422, "invalid_parameter")
    assert "'windw'" in e["message"] and "known: window" in e["message"]
    e = error_of(client.get("/api/values", params={**W, "p_window": "abc"}), 422, "invalid_parameter")
    assert "'abc'" in e["message"] and "whole number" in e["message"]
    e = error_of(client.get("/api/values", params={**W, "p_window": BIG}), 422, "invalid_parameter")
    assert BIG in e["message"] and "<= 50" in e["message"]
    e = error_of(client.get("/api/values", params={**W, "p_registry_url": "x"}), 422, "invalid_parameter")
    assert "--registry" in e["message"]
