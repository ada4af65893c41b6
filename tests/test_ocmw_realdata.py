"""Done-when checks on the real mirror (docs/ocmw.md §7): after ``aankomst build`` and loading the
published 2010 table, the dashboard of Antwerpen (11002) shows 8,303 recipients in 2010 with
62.1 / 30.9 / 7.0 % and the rates per 1,000 Belgian and per 1,000 foreign residents computed
from the 2010 Statbel population — checked against a hand computation in straight SQL."""

from __future__ import annotations

from pathlib import Path

import pytest

import aankomst
from aankomst.ocmw.load import load

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def atlas_2010(real_atlas_path: Path, mirror: Path, tmp_path_factory: pytest.TempPathFactory):
    import shutil

    db = tmp_path_factory.mktemp("ocmw") / "atlas.duckdb"
    shutil.copy(real_atlas_path, db)
    a = aankomst.open(str(db))
    res = load(mirror / "social_assistance" / "leefloon_ocmw_2010.csv", a)
    assert res.family == "leefloon_ocmw" and res.periods == ["2010"]
    a.close()
    a = aankomst.open(str(db), read_only=True)
    yield a
    a.close()


def test_antwerp_dashboard_matches_published_table_and_sql(atlas_2010) -> None:
    from aankomst.ocmw.dashboard import dashboard

    d = dashboard(atlas_2010, "11002", lang="nl")
    k = d["key_figures"]
    assert d["latest"] == "2010" and k["recipients"]["value"] == 8303
    assert [k["shares"][g]["value"] for g in ("belgian", "non_eu", "eu")] == [62.1, 30.9, 7.0]
    # hand computation: straight SQL on the atlas
    total, bel, etr = atlas_2010.con.execute("""
        SELECT max(value) FILTER (WHERE measure = 'ocmw_recipients:leefloon:T:total'),
               (SELECT sum(count) FROM population WHERE level = 'municipality' AND layout = '2018'
                  AND code = '11002' AND ref_date = DATE '2010-01-01' AND scheme = 'nationality' AND grp = 'BEL'
                  AND sex = 'T' AND age_band = 'total'),
               (SELECT sum(count) FROM population WHERE level = 'municipality' AND layout = '2018'
                  AND code = '11002' AND ref_date = DATE '2010-01-01' AND scheme = 'nationality' AND grp = 'ETR'
                  AND sex = 'T' AND age_band = 'total')
        FROM measures WHERE code = '11002' AND period = '2010'""").fetchall()[0]
    assert (total, bel, etr) == (8303, 404149, 79356)
    assert k["per_1000"]["BEL"]["value"] == pytest.approx(1000 * 8303 * 0.621 / bel)
    assert k["per_1000"]["ETR"]["value"] == pytest.approx(1000 * 8303 * 0.379 / etr)
    assert k["per_1000"]["BEL"]["estimate"] and k["per_1000"]["ETR"]["estimate"]
    assert any("schattingen" in n for n in d["notes"])
    # the same through the indicator engine
    from aankomst.indicators import compute
    from aankomst.ocmw.specs import install

    install()
    r = compute(atlas_2010, "ocmw_recipients_per_1000", level="municipality@2018", period=2010,
                group="nationality:ETR").data.set_index("area_code")
    assert r.loc["11002", "value"] == pytest.approx(1000 * 8303 * 0.379 / etr)
    share = compute(atlas_2010, "ocmw_recipient_share", level="municipality@2018", period=2010,
                    group="eu_status:non_eu")
    assert share.data.set_index("area_code").loc["11002", "value"] == 30.9


def test_comparison_and_html(atlas_2010) -> None:
    from aankomst.ocmw.dashboard import dashboard
    from aankomst.web.ocmw_routes import render_dashboard

    d = dashboard(atlas_2010, "11002", lang="fr")
    members = {m["code"]: m for m in d["comparison"]["members"]}
    assert d["comparison"]["basis"]["code"] == "centrumsteden13"
    assert {"11002", "44021", "24062", "35013"} <= set(members) and members["11002"]["self"]
    assert d["comparison"]["region"] is None       # 30 OCMWs: no complete figure for Flanders
    html = render_dashboard(d, standalone=True)
    assert "8\u202f303" in html and "62,1" in html and "<script" not in html


def test_brussels_ocmw_has_the_neighbourhood_series(atlas_2010) -> None:
    from aankomst.ocmw.dashboard import dashboard

    d = dashboard(atlas_2010, "21004", lang="nl")
    assert d["key_figures"]["recipients"]["value"] == 7114
    b = d["brussels"]
    assert b["years"][0] == "2005" and b["years"][-1] == "2023" and len(b["neighbourhoods"]) > 10
