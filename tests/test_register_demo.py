"""The demo atlas carries the synthetic register's origin figures and the arrival typology."""

from __future__ import annotations


def check_demo(a) -> None:
    schemes = set(a.query("SELECT DISTINCT scheme FROM population")["scheme"])
    assert {"origin_vsa", "origin_4crit", "origin_antwerp", "nationality_at_birth"} <= schemes
    prov = a.query("SELECT source_id, privacy FROM provenance WHERE source_id LIKE 'aankomst/demo/register%' "
                   "OR source_id LIKE 'aankomst/demo/typology%'")
    assert set(prov["privacy"]) == {"restricted"} and len(prov) == 2
    t = a.query("SELECT code, grp FROM measures WHERE measure = 'arrival_typology' AND level = 'neighbourhood'")
    cls = dict(zip(t["code"], t["grp"]))
    assert cls["97001W01"] == "gateway"          # Havenstad-Noord, the demo's Antwerpen-Noord
    assert {"gateway", "not_arrival"} <= set(cls.values())
    # register origin counts never exceed the register-covered totals: VSA <= four criteria <= Antwerp
    o = a.query("""SELECT scheme, sum(count) AS n FROM population WHERE level = 'country' AND grp = 'foreign'
                   AND sex = 'T' AND age_band = 'total' AND scheme LIKE 'origin_%' GROUP BY scheme""").set_index("scheme")["n"]
    assert o["origin_vsa"] <= o["origin_4crit"] <= o["origin_antwerp"]


def test_demo_has_register_figures_and_typology(demo_atlas):
    check_demo(demo_atlas)
