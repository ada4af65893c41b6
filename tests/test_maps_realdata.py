"""Maps from the real mirror (``real_atlas`` fixture, built once per session)."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_maps import groups, n_drawn, texts

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_foreign_share_municipalities_2015(real_atlas, tmp_path: Path) -> None:
    from aankomst.outputs.maps import render_map

    out = tmp_path / "share.svg"
    res = render_map(real_atlas, "foreign_nationality_share", level="municipality@2018",
                     year=2015, classes="jenks:5", out=out)
    # the 2009-2015 Statbel files cover the 589 municipalities of Belgium; the mirror has the
    # geometry of the 327 of Flanders and Brussels (pre-2019 layout): only those are classed
    assert len(res.data) == 327
    c = res.classification
    assert int(c.counts.sum()) + int(res.data["suppressed"].sum()) == 327
    g = groups(out)
    drawn = sum(n_drawn(g[k]) for k in g if k.startswith("class-") or k in ("suppressed", "no-data"))
    assert drawn >= 327  # municipalities with several polygon parts add paths
    legend = texts(g["legend"])
    assert len(legend) == 1 + c.k + (1 if res.data["suppressed"].any() else 0)
    assert "Statbel" in " ".join(texts(g["source"]))
    assert texts(g["reference"]) == ["Referentiedatum: 1 januari 2015"]
    # Sint-Joost-ten-Node (21014) is among the municipalities with the highest share
    top = res.data.loc[res.data["class"] == c.k - 1, "area_code"].tolist()
    assert "21014" in top


def test_brussels_neighbourhoods_change_diverging(real_atlas, tmp_path: Path) -> None:
    from aankomst.outputs.maps import render_map

    out = tmp_path / "na.svg"
    res = render_map(real_atlas, "group_share_change", level="brussels_neighbourhood",
                     group="ibsa_nationality:north_africa", year=2010, base_year=1997,
                     classes="diverging:0.5:2,5", out=out, lang="en")
    g = groups(out)
    # all 145 monitoring neighbourhoods are drawn; those without the series as "no data"
    total = sum(n_drawn(g[k]) for k in g if k.startswith("class-") or k in ("suppressed", "no-data"))
    assert total >= 145
    assert res.classification.neutral_class == 3
    assert "1 January 1997 and 1 January 2010" in texts(g["reference"])[0]
    ET.parse(out)  # well-formed
