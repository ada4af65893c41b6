"""Static maps: structure of the SVG (legend entries, texts, paths per class), determinism,
privacy, the sector-through-neighbourhood fallback, the CLI, and a PNG baseline comparison.

The atlas is the seeded synthetic one of ``tests/_map_fixtures.py`` (hand-set figures), so the
expected classes are known: foreign-nationality share 2015 per municipality =
M01 3, M02 8, M03 9, M04 5.5, M05 25, M06 18, M07 1.5, M08 15, M09 28, M10 23 (%), M11
suppressed (3 foreigners), M12 no data.
"""

from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _map_fixtures import FIGURES, build_map_atlas, geometries

from aankomst.errors import AankomstError

SVG = "{http://www.w3.org/2000/svg}"
BASELINES = Path(__file__).parent / "baselines"


@pytest.fixture(scope="session")
def map_atlas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_map_atlas(tmp_path_factory.mktemp("maps") / "maps.duckdb")


@pytest.fixture(scope="session")
def share_svg(map_atlas: Path, tmp_path_factory: pytest.TempPathFactory):
    from aankomst.outputs.maps import render_map

    out = tmp_path_factory.mktemp("svg") / "share.svg"
    res = render_map(map_atlas, "foreign_nationality_share", level="municipality", year=2015,
                     classes="jenks:5", circles=True, out=out)
    return res, out


def groups(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}


def n_drawn(g: ET.Element) -> int:
    """Shapes drawn in a group: ``<use>`` elements, or else ``<path>`` elements (matplotlib
    puts a collection's path in ``<defs>`` and draws it with ``<use>`` when that is shorter)."""
    uses = list(g.iter(f"{SVG}use"))
    if uses:
        return len(uses)
    return len(list(g.iter(f"{SVG}path")))


def styles(g: ET.Element) -> set[str]:
    """Style attributes of the shapes in a group (fill colours)."""
    return {el.get("style", "") for tag in ("path", "use") for el in g.iter(f"{SVG}{tag}")}


def texts(g: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in g.iter(f"{SVG}text")]


def test_classes_hand_computed(share_svg) -> None:
    res, _ = share_svg
    c = res.classification
    assert c.breaks.tolist() == [3.0, 9.0, 18.0, 25.0, 28.0]
    by_code = dict(zip(res.data["area_code"], res.data["class"]))
    assert by_code == {"M01": 0, "M07": 0, "M02": 1, "M03": 1, "M04": 1, "M06": 2, "M08": 2,
                       "M05": 3, "M10": 3, "M09": 4, "M11": -1}


def test_svg_paths_per_class_suppressed_and_missing(share_svg) -> None:
    res, path = share_svg
    g = groups(path)
    geoms = geometries()
    parts = {code: len(getattr(geom, "geoms", [geom])) for code, geom in geoms.items()}
    for i in range(res.classification.k):
        codes = res.data.loc[res.data["class"] == i, "area_code"]
        assert n_drawn(g[f"class-{i}"]) == sum(parts[c] for c in codes), f"class-{i}"
    assert n_drawn(g["suppressed"]) == 1  # M11
    assert n_drawn(g["no-data"]) == 1  # M12
    # M01 is drawn as two paths, M02's hole does not add a path: 13 polygon parts in all
    total = sum(n_drawn(g[k]) for k in g if k.startswith("class-") or k in ("suppressed", "no-data"))
    assert total == 13
    # class colours come from the palette
    assert any(res.classification.palette[4] in f for f in styles(g["class-4"]))


def test_svg_legend_and_texts(share_svg) -> None:
    _, path = share_svg
    g = groups(path)
    legend = texts(g["legend"])
    assert legend[0] == "% (gebieden per klasse)"
    assert legend[1:] == ["1,5 – 3,0  (2)", "3,0 – 9,0  (3)", "9,0 – 18,0  (2)",
                          "18,0 – 25,0  (2)", "25,0 – 28,0  (1)",
                          "afgeschermd (kleine aantallen)  (1)", "geen gegevens  (1)"]
    assert texts(g["title"]) == ["Aandeel vreemde nationaliteit, per gemeente, 2015"]
    assert "Belgische nationaliteit" in " ".join(texts(g["definition"]))
    assert texts(g["reference"]) == ["Referentiedatum: 1 januari 2015"]
    assert "Natuurlijke grenzen (Jenks)" in " ".join(texts(g["method"]))
    source = " ".join(texts(g["source"]))
    assert "Synthetische bevolking" in source and "Synthetische grenzen" in source
    notes = " ".join(texts(g["notes"]))
    assert "1 tot 4 personen" in notes and "Geen gegevens" in notes
    assert "context" in g  # province outlines


def test_circles_leave_out_suppressed_counts(share_svg) -> None:
    res, path = share_svg
    g = groups(path)
    # 10 areas with a published foreign count; M11 (3 persons) and M12 (no data) get none
    assert n_drawn(g["circles"]) == 10
    assert texts(g["circle-legend"])[0].startswith("aantal")
    assert res.data.loc[res.data["area_code"] == "M11", "value"].isna().all()


def test_svg_is_deterministic(map_atlas: Path, tmp_path: Path) -> None:
    from aankomst.outputs.maps import render_map

    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    for out in (a, b):
        render_map(map_atlas, "foreign_nationality_share", level="municipality", year=2015, out=out)
    assert a.read_bytes() == b.read_bytes()
    assert b"<dc:date>" not in a.read_bytes()


def test_diverging_change_map_english(map_atlas: Path, tmp_path: Path) -> None:
    from aankomst.outputs.maps import render_map

    out = tmp_path / "change.svg"
    res = render_map(map_atlas, "foreign_nationality_share_change", level="municipality",
                     year=2015, base_year=2009, classes="diverging:0.5:2,5", lang="en", out=out)
    # changes (pp): M01 +1, M02 +3, M03 -1, M04 +0.5, M05 +5, M06 -2, M07 +0.5, M08 +5,
    # M09 +8, M10 -2; M11 suppressed
    by_code = dict(zip(res.data["area_code"], res.data["class"]))
    assert by_code == {"M01": 4, "M02": 5, "M03": 2, "M04": 3, "M05": 5, "M06": 2, "M07": 3,
                       "M08": 5, "M09": 6, "M10": 2, "M11": -1}
    g = groups(out)
    assert texts(g["reference"]) == ["Reference date: 1 January 2009 and 1 January 2015"]
    assert texts(g["legend"])[1:8] == ["< −5.0  (0)", "−5.0 – −2.0  (0)", "−2.0 – −0.5  (3)",
                                       "−0.5 – 0.5  (2)", "0.5 – 2.0  (1)", "2.0 – 5.0  (3)",
                                       "> 5.0  (1)"]
    assert "class-0" not in g  # empty classes draw nothing but keep their legend entry
    assert any("#ffffbf" in s for s in styles(g["class-3"]))
    assert texts(g["title"]) == ["Change in foreign-nationality share, by municipality, 2009–2015"]


def test_sector_map_drawn_through_neighbourhoods(map_atlas: Path, tmp_path: Path) -> None:
    from aankomst.outputs.maps import render_map

    res = render_map(map_atlas, "foreign_nationality_share", level="sector", year=2015,
                     classes="quantiles:2", out=tmp_path / "s.svg")
    assert res.meta["map_level"] == "neighbourhood"
    assert set(res.data["area_code"]) == {"N1", "N2", "N3", "N4"}
    # N1 = sectors 01, 05, 09: (30 + 1250 + 700) / (1000 + 5000 + 2500)
    n1 = float(res.data.loc[res.data["area_code"] == "N1", "value"].iloc[0])
    assert n1 == pytest.approx(100 * 1980 / 8500)
    assert "geen geometrie" in " ".join(texts(groups(tmp_path / "s.svg")["notes"]))


def test_bad_output_and_scheme_are_clear_errors(map_atlas: Path, tmp_path: Path) -> None:
    from aankomst.errors import UnknownCodeError
    from aankomst.outputs.maps import render_map

    with pytest.raises(AankomstError, match=r"\.png or \.svg"):
        render_map(map_atlas, "foreign_nationality_share", level="municipality", year=2015,
                   out=tmp_path / "x.pdf")
    with pytest.raises(UnknownCodeError, match="class scheme"):
        render_map(map_atlas, "foreign_nationality_share", level="municipality", year=2015,
                   classes="kmeans:4", out=tmp_path / "x.svg")
    with pytest.raises(AankomstError, match="language"):
        render_map(map_atlas, "foreign_nationality_share", level="municipality", year=2015,
                   lang="fr")
    assert not (tmp_path / "x.svg").exists()


def test_cli_map(map_atlas: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aankomst.cli import make_app

    runner = CliRunner()
    out = tmp_path / "cli.png"
    r = runner.invoke(make_app(), ["map", "foreign_nationality_share", "--db", str(map_atlas),
                                   "--level", "municipality", "--year", "2015",
                                   "--classes", "quantiles:4", "--circles", "--lang", "en",
                                   "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "4 classes" in r.output
    bad = runner.invoke(make_app(), ["map", "foreign_nationality_share", "--db", str(map_atlas),
                                     "--level", "municipality", "--year", "2015",
                                     "--classes", "kmeans:4", "--out", str(tmp_path / "b.svg")])
    assert bad.exit_code == 2 and "unknown class scheme" in bad.output
    missing = runner.invoke(make_app(), ["map", "foreign_nationality_share", "--db",
                                         str(tmp_path / "none.duckdb"), "--level", "municipality",
                                         "--year", "2015", "--out", str(tmp_path / "c.svg")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_shared_classes_across_years(map_atlas: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aankomst.cli import make_app

    r = CliRunner().invoke(make_app(), [
        "map", "foreign_nationality_share", "--db", str(map_atlas), "--level", "municipality",
        "--year", "2009,2015", "--classes", "jenks:4", "--circles",
        "--out", str(tmp_path / "share_{year}.svg")])
    assert r.exit_code == 0, r.output
    g09, g15 = groups(tmp_path / "share_2009.svg"), groups(tmp_path / "share_2015.svg")
    strip = lambda labels: [x.rsplit("  (", 1)[0] for x in labels]
    legend09, legend15 = texts(g09["legend"]), texts(g15["legend"])
    assert strip(legend09[1:5]) == strip(legend15[1:5])  # same limits
    assert legend09[1:5] != legend15[1:5]  # different counts per year
    assert "Klassen gedeeld met de kaarten van 2009, 2015." in " ".join(texts(g09["notes"]))
    # one circle scale for both maps: the legends show the same reference counts
    assert texts(g09["circle-legend"]) == texts(g15["circle-legend"])
    # pooled shares 2009 + 2015 (hand-set figures), 4 classes: limits from classify() of all
    from aankomst.classification import classify

    pooled = [100 * f[1] / f[0] for f in FIGURES.values() if f[1] >= 5] + \
             [100 * f[3] / f[2] for f in FIGURES.values() if f[3] >= 5]
    want = classify(pooled, "jenks:4").labels_nl
    assert strip(legend09[1:5]) == want
    bad = CliRunner().invoke(make_app(), [
        "map", "foreign_nationality_share", "--db", str(map_atlas), "--level", "municipality",
        "--year", "2009,2015", "--out", str(tmp_path / "same.svg")])
    assert bad.exit_code == 2 and "{year}" in bad.output


def _baseline_figure(palette: str | None = None):
    """A small map drawn from seeded data without an atlas (for the PNG baseline)."""
    import geopandas as gpd

    from aankomst.outputs.mapdraw import MapTexts, draw_choropleth

    geoms = geometries()
    geo = gpd.GeoSeries(list(geoms.values()), index=list(geoms), crs="EPSG:31370")
    codes = list(FIGURES)
    share = [100 * f[3] / f[2] for f in FIGURES.values()]
    df = pd.DataFrame({"area_code": codes, "value": share,
                       "suppressed": [c == "M11" for c in codes]})
    df.loc[df["suppressed"], "value"] = np.nan
    fig, _ = draw_choropleth(df, geo, "jenks:4", MapTexts(title="Baseline", unit="%"),
                             figsize=(4.0, 3.6), palette=palette)
    return fig


def test_png_matches_committed_baseline(tmp_path: Path) -> None:
    from matplotlib.testing.compare import compare_images

    from aankomst.outputs.mapdraw import save_figure

    out = save_figure(_baseline_figure(), tmp_path / "baseline_map.png", dpi=60)
    base = BASELINES / "baseline_map.png"
    if os.environ.get("AANKOMST_UPDATE_BASELINES") == "1":  # regenerate deliberately
        base.parent.mkdir(exist_ok=True)
        base.write_bytes(out.read_bytes())
    assert base.exists(), "run with AANKOMST_UPDATE_BASELINES=1 once to create the baseline"
    result = compare_images(str(base), str(out), tol=2.0)
    assert result is None, result
    # negative control: the same map in another palette must not pass the comparison
    other = save_figure(_baseline_figure("seq_ylgnbu"), tmp_path / "other_map.png", dpi=60)
    assert compare_images(str(base), str(other), tol=2.0) is not None
