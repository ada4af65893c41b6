"""Indicators on the real mirror (``../shared/data``), checked against sums computed here
independently from the raw files with pandas.

* foreign-nationality share by municipality and region, 2009–2015 (Statbel TF_SOC_POP_STRUCT),
  and its change 2009 -> 2015 in percentage points;
* Brussels monitoring neighbourhoods: share of North Africans 2010 and change 1997 -> 2010
  (IBSA published shares);
* internal-migration balance per 1,000 for the 19 Brussels municipalities, 3-year windows
  (against the balance fields of the communes migration JSON).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aankomst.indicators import compute

pytestmark = pytest.mark.realdata

BRUSSELS = [f"210{i:02d}" for i in range(1, 20)]


@lru_cache(maxsize=8)
def statbel_nat(mirror: Path, year: int) -> pd.DataFrame:
    """Population by 2018-layout municipality, region and nationality, from the raw zip."""
    df = pd.read_csv(mirror / "statbel" / f"TF_SOC_POP_STRUCT_{year}.zip", sep="|",
                     usecols=["CD_MUNTY_REFNIS", "CD_RGN_REFNIS", "CD_NATLTY", "MS_POPULATION"],
                     dtype={"CD_MUNTY_REFNIS": str, "CD_RGN_REFNIS": str, "CD_NATLTY": str})
    df["muni"] = df["CD_MUNTY_REFNIS"].str.zfill(5)
    df["region"] = df["CD_RGN_REFNIS"].str.zfill(5)
    return df


def shares(df: pd.DataFrame, key: str) -> pd.Series:
    t = df.pivot_table(index=key, columns="CD_NATLTY", values="MS_POPULATION", aggfunc="sum")
    return 100 * t["ETR"] / (t["ETR"] + t["BEL"])


@pytest.mark.parametrize("year", [2009, 2012, 2015])
def test_foreign_share_by_municipality_matches_raw_file(real_atlas, mirror, year):
    raw = shares(statbel_nat(mirror, year), "muni")
    res = compute(real_atlas, "foreign_nationality_share", level="municipality", layout="2018",
                  period=year)
    d = res.data.set_index("area_code")
    got = d.loc[~d["suppressed"], "value"]
    common = got.index.intersection(raw.index)
    assert len(common) >= 300  # Flemish + Brussels municipalities of the 2018 layout at least
    np.testing.assert_allclose(got[common].to_numpy(), raw[common].to_numpy(), rtol=1e-9)
    # suppressed rows are exactly those with 1-4 foreign nationals (small-cell rule)
    t = statbel_nat(mirror, year).pivot_table(index="muni", columns="CD_NATLTY",
                                                values="MS_POPULATION", aggfunc="sum")
    small = set(t.index[(t["ETR"] >= 1) & (t["ETR"] < 5)])
    assert set(d.index[d["suppressed"]]) == small & set(d.index)
    assert got["11002"] == pytest.approx(raw["11002"])  # Antwerpen
    assert res.meta["sources"] and res.meta["reference_periods"] == [f"{year}-01-01"]


@pytest.mark.parametrize("year", [2009, 2015])
def test_foreign_share_by_region_matches_raw_file(real_atlas, mirror, year):
    raw = shares(statbel_nat(mirror, year), "region")
    res = compute(real_atlas, "foreign_nationality_share", level="region", period=year)
    got = res.data.set_index("area_code")["value"]
    for code in ("02000", "04000"):
        assert got[code] == pytest.approx(raw[code], rel=1e-9), code


def test_foreign_share_every_year_2009_2015_on_current_layout(real_atlas):
    for year in range(2009, 2016):
        res = compute(real_atlas, "foreign_nationality_share", level="municipality", period=year)
        d = res.data.set_index("area_code")
        assert len(d) >= 300 and d["value"].dropna().between(0, 100).all()
        assert d["value"].isna().sum() == d["suppressed"].sum() <= 3
        # Brussels Capital Region municipalities have the highest shares (Sint-Gillis > 30 %)
        assert d.loc["21013", "value"] > 30


def test_change_2009_2015_in_pp(real_atlas, mirror):
    a, b = statbel_nat(mirror, 2009), statbel_nat(mirror, 2015)
    raw = shares(b, "region") - shares(a, "region")
    res = compute(real_atlas, "group_share_change", level="region", period=2015, base_year=2009,
                  group="nationality:ETR")
    got = res.data.set_index("area_code")["value"]
    for code in ("02000", "04000"):
        assert got[code] == pytest.approx(raw[code], abs=1e-9)
    muni = compute(real_atlas, "foreign_nationality_share_change", level="municipality",
                   period=2015, base_year=2009)
    raw_m = shares(b, "muni") - shares(a, "muni")
    d = muni.data.set_index("area_code")["value"]
    # Leuven and Gent are the same units in the 2018 and 2025 layouts (Antwerpen absorbed Borsbeek)
    for code in ("24062", "44021"):
        assert d[code] == pytest.approx(raw_m[code])
    assert muni.meta["unit"] == "pp"
    # the change map uses diverging classes: values on both sides of zero exist
    assert (d < -0.5).any() or (d > 0.5).any()


def _ibsa(mirror: Path, year: int) -> pd.Series:
    df = pd.read_excel(mirror / "brussels" / "ibsa_monitoring_quartiers_export.xlsx", header=None,
                       engine="openpyxl")
    cols = [i for i in range(df.shape[1])
            if str(df.iloc[0, i]).startswith("Aandeel van Noord-Afrika")
            and str(df.iloc[2, i]).split(".")[0] == str(year)]
    assert len(cols) == 1
    body = df.iloc[3:]
    s = pd.Series(pd.to_numeric(body[cols[0]], errors="coerce").to_numpy(),
                  index=body[0].map(lambda c: str(int(c)) if pd.notna(c) else None))
    return s[s.index.notna()].dropna()


def test_brussels_neighbourhood_north_africans_2010_and_change(real_atlas, mirror):
    raw10, raw97 = _ibsa(mirror, 2010), _ibsa(mirror, 1997)
    res = compute(real_atlas, "group_share", level="brussels_neighbourhood", period=2010,
                  group="nationality_group6:north_africa")
    got = res.data.set_index("area_code")["value"]
    common = got.index.intersection(raw10.index)
    assert len(common) >= 50  # neighbourhoods with a published 2010 value in the atlas
    np.testing.assert_allclose(got[common].to_numpy(), raw10[common].to_numpy())
    assert any("published" in n for n in res.meta["notes"])
    ch = compute(real_atlas, "group_share_change", level="brussels_neighbourhood", period=2010,
                 base_year=1997, group="nationality_group6:north_africa")
    gch = ch.data.set_index("area_code")["value"].dropna()
    both = gch.index.intersection(raw10.index).intersection(raw97.index)
    assert len(both) >= 45
    np.testing.assert_allclose(gch[both].to_numpy(), (raw10 - raw97)[both].to_numpy(), atol=1e-9)


def _communes(mirror: Path) -> dict:
    return json.loads((mirror / "brussels" / "brussels_communes_migration_2000_2024.json")
                      .read_text(encoding="utf-8"))["communes"]


@pytest.mark.parametrize("last", [2002, 2012, 2018, 2024])
def test_brussels_internal_migration_balance_3_year_windows(real_atlas, mirror, last):
    com = _communes(mirror)
    years = [str(y) for y in range(last - 2, last + 1)]
    res = compute(real_atlas, "internal_migration_balance", level="municipality", period=last,
                  window=3)
    got = res.data.set_index("area_code")["value"]
    assert set(BRUSSELS) <= set(got.index)
    for code in BRUSSELS:
        ts = com[code]["timeseries"]
        bal = sum(ts["internal_balance_num"][y] for y in years)
        # the JSON's own balance = in - out
        assert bal == sum(ts["internal_in_num"][y] - ts["internal_out_num"][y] for y in years)
        pops = [res_pop for res_pop in (ts["total_population"][y] for y in years)]
        expected = 1000 * bal / 3 / np.mean(pops)
        assert got[code] == pytest.approx(expected, rel=2e-3), code
    assert res.data["period"].iloc[0] == f"{last - 2}-{last}"
    # the region: sum of the communes' balances over the sum of their populations (the
    # communes' in/out moves include moves between Brussels communes, which the JSON does not
    # separate); Brussels loses residents to the rest of Belgium in every such window
    reg = compute(real_atlas, "internal_migration_balance", level="region", period=last)
    bal = sum(com[c]["timeseries"]["internal_balance_num"][y] for c in BRUSSELS for y in years)
    pop = np.mean([sum(com[c]["timeseries"]["total_population"][y] for c in BRUSSELS)
                   for y in years])
    got_r = reg.data.set_index("area_code").loc["04000", "value"]
    assert got_r == pytest.approx(1000 * bal / 3 / pop, rel=2e-3)
    assert got_r < 0


def test_published_totals_by_aggregation(real_atlas):
    """Statbel: Belgium 1 January 2012 = 11,035,948; Flanders + Brussels sectors 2019 =
    7,797,611 (summed from 589 municipalities / ~10,000 sectors along crosswalks)."""
    be = compute(real_atlas, "population", level="country", period=2012)
    assert be.data.set_index("area_code").loc["BE", "value"] == 11_035_948
    reg = compute(real_atlas, "population", level="region", period=2019).data
    assert reg.set_index("area_code").loc[["02000", "04000"], "value"].sum() == 7_797_611


def test_ranking_drops_tiny_municipalities(real_atlas):
    """The thesis drops Herstappe (85 inhabitants) from a top 10 with a population filter."""
    res = compute(real_atlas, "internal_migration_balance", level="municipality", period=2012,
                  min_population=1000)
    assert list(res.data["rank"][:3]) == [1, 2, 3]
    assert res.data["value"].is_monotonic_decreasing
    share = compute(real_atlas, "foreign_nationality_share", level="municipality", period=2015,
                    layout="2018", min_population=1000)
    assert "73028" not in set(share.data["area_code"])  # Herstappe
    assert any("Herstappe" in n for n in share.meta["notes"])


def test_same_reexpression_as_the_layouts_module(real_atlas):
    """2015 counts of the 2018 municipalities on the 2025 layout: the indicator engine and
    ``aankomst.store.layouts.reexpress`` (foundation) sum the same crosswalks."""
    import aankomst.store.layouts as layouts
    ref = layouts.reexpress(real_atlas, from_level="municipality", from_layout="2018",
                            to_level="municipality", to_layout="2025",
                            where={"scheme": "nationality", "grp": "ETR", "sex": "T",
                                   "age_band": "total", "ref_date": "2015-01-01"})
    theirs = ref.data.groupby("code")["count"].sum()
    res = compute(real_atlas, "population", level="municipality", period=2015,
                  group="nationality:ETR")
    d = res.data.set_index("area_code")
    mine = d.loc[~d["suppressed"], "value"]
    common = mine.index.intersection(theirs.index)
    assert len(common) >= 300
    np.testing.assert_allclose(mine[common].to_numpy(), theirs[common].to_numpy())
