"""Done-when checks on the real mirror (docs/ocmw.md §7): ``aankomst build`` on ``../shared/data``
reads the published 2010 leefloon table (``social_assistance/leefloon_ocmw_2010.csv``), and the
dashboard of Antwerpen (11002) shows 8,303 recipients in 2010 with 62.1 / 30.9 / 7.0 % and the
rates per 1,000 Belgian and per 1,000 foreign residents — checked against a hand computation from
the raw CSV and the raw Statbel population file (``TF_SOC_POP_STRUCT_2010.zip``), not from the
atlas. Uses the session's real atlas (built once, ``tests/conftest.py``)."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.realdata


def _published_row(mirror: Path, code: str) -> dict[str, str]:
    with open(mirror / "social_assistance" / "leefloon_ocmw_2010.csv", encoding="utf-8-sig", newline="") as fh:
        return next(r for r in csv.DictReader(fh) if r["nis_code"] == code)


def _statbel_2010(mirror: Path, code: str) -> dict[str, int]:
    """Residents on 1 January 2010 by nationality (BEL/ETR), summed from the raw Statbel file."""
    out: dict[str, int] = {}
    with zipfile.ZipFile(mirror / "statbel" / "TF_SOC_POP_STRUCT_2010.zip") as z:
        with z.open(z.namelist()[0]) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig"), delimiter="|")
            head = next(reader)
            c_code, c_nat, c_n = (head.index(x) for x in ("CD_MUNTY_REFNIS", "CD_NATLTY", "MS_POPULATION"))
            for r in reader:
                if r[c_code] == code:
                    out[r[c_nat]] = out.get(r[c_nat], 0) + int(r[c_n])
    return out


def test_build_stores_the_published_table_with_provenance(real_atlas, mirror: Path) -> None:
    path = mirror / "social_assistance" / "leefloon_ocmw_2010.csv"
    prov = real_atlas.con.execute(
        "SELECT family, sha256, reference_date, privacy, warnings, load_id FROM provenance "
        "WHERE source_id = 'social_assistance/leefloon_ocmw_2010'").fetchall()
    assert len(prov) == 1
    family, sha, ref, privacy, warnings, load_id = prov[0]
    assert (family, ref, privacy) == ("leefloon_ocmw", "2010", "open")
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "ESTIMATES" in str(warnings)
    n_rows = sum(1 for _ in csv.DictReader(path.open(encoding="utf-8-sig")))
    got = real_atlas.con.execute(
        "SELECT count(DISTINCT code), count(*) FILTER (WHERE measure LIKE 'ocmw_recipients_est:%') "
        "FROM measures WHERE load_id = ?", [load_id]).fetchall()[0]
    assert got == (n_rows, 5 * n_rows)  # 30 OCMWs; 5 estimated group counts each
    (definition,) = real_atlas.con.execute(
        "SELECT definition FROM measure_defs WHERE measure = 'ocmw_recipients_est:leefloon:T:total'").fetchall()[0]
    assert definition.startswith("ESTIMATE")


def test_antwerp_dashboard_matches_a_hand_computation_from_the_raw_files(real_atlas, mirror: Path) -> None:
    from aankomst.ocmw.dashboard import dashboard

    row = _published_row(mirror, "11002")
    pop = _statbel_2010(mirror, "11002")
    total = int(row["recipients_total"])
    assert (total, pop["BEL"], pop["ETR"]) == (8303, 404149, 79356)
    d = dashboard(real_atlas, "11002", lang="nl")
    k = d["key_figures"]
    assert d["latest"] == "2010" and k["recipients"]["value"] == total == 8303
    assert [k["shares"][g]["value"] for g in ("belgian", "non_eu", "eu")] == [
        float(row["pct_belgian"]), float(row["pct_non_eu"]), float(row["pct_eu"])] == [62.1, 30.9, 7.0]
    per_bel = 1000 * total * float(row["pct_belgian"]) / 100 / pop["BEL"]
    per_etr = 1000 * total * float(row["pct_non_belgian"]) / 100 / pop["ETR"]
    assert k["per_1000"]["BEL"]["value"] == pytest.approx(per_bel)
    assert k["per_1000"]["ETR"]["value"] == pytest.approx(per_etr)
    assert round(per_bel, 1) == 12.8 and round(per_etr, 1) == 39.7
    assert k["per_1000"]["BEL"]["estimate"] and k["per_1000"]["ETR"]["estimate"]
    assert k["per_1000"]["BEL"]["denominator"] == pop["BEL"]
    assert any("schattingen" in n for n in d["notes"])
    # the same through the indicator engine
    from aankomst.indicators import compute
    from aankomst.ocmw.specs import install

    install()
    r = compute(real_atlas, "ocmw_recipients_per_1000", level="municipality@2018", period=2010,
                group="nationality:ETR").data.set_index("area_code")
    assert r.loc["11002", "value"] == pytest.approx(per_etr)
    share = compute(real_atlas, "ocmw_recipient_share", level="municipality@2018", period=2010,
                    group="eu_status:non_eu")
    assert share.data.set_index("area_code").loc["11002", "value"] == 30.9


def test_comparison_and_html(real_atlas) -> None:
    from aankomst.ocmw.dashboard import dashboard
    from aankomst.web.ocmw_routes import render_dashboard

    d = dashboard(real_atlas, "11002", lang="fr")
    members = {m["code"]: m for m in d["comparison"]["members"]}
    assert d["comparison"]["basis"]["code"] == "centrumsteden13"
    assert {"11002", "44021", "24062", "35013"} <= set(members) and members["11002"]["self"]
    assert d["comparison"]["region"] is None       # 30 OCMWs: no complete figure for Flanders
    html = render_dashboard(d, standalone=True)
    assert "8\u202f303" in html and "62,1" in html and "<script" not in html


def test_brussels_ocmw_has_the_neighbourhood_series(real_atlas) -> None:
    from aankomst.ocmw.dashboard import dashboard

    d = dashboard(real_atlas, "21004", lang="nl")
    assert d["key_figures"]["recipients"]["value"] == 7114
    b = d["brussels"]
    assert b["years"][0] == "2005" and b["years"][-1] == "2023" and len(b["neighbourhoods"]) > 10


def test_loading_the_table_again_replaces_it(real_atlas_path: Path, mirror: Path, tmp_path: Path) -> None:
    """``aankomst ocmw load`` of the same file on a built atlas: same source id, same rows."""
    import shutil

    import aankomst
    from aankomst.ocmw.load import load

    db = tmp_path / "atlas.duckdb"
    shutil.copy(real_atlas_path, db)
    a = aankomst.open(str(db))
    try:
        before = a.con.execute("SELECT count(*) FROM measures WHERE measure LIKE 'ocmw_%:%'").fetchall()[0][0]
        res = load(mirror / "social_assistance" / "leefloon_ocmw_2010.csv", a)
        after = a.con.execute("SELECT count(*) FROM measures WHERE measure LIKE 'ocmw_%:%'").fetchall()[0][0]
        n_sources = a.con.execute("SELECT count(*) FROM provenance WHERE family = 'leefloon_ocmw'").fetchall()[0][0]
    finally:
        a.close()
    assert res.source_id == "social_assistance/leefloon_ocmw_2010" and res.periods == ["2010"]
    assert before == after == 11 * 30 and n_sources == 1   # total, 5 shares, 5 estimates per OCMW
