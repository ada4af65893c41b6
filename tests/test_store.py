"""The atlas store: schema, transactional and idempotent loading, sharing of areas and links
between sources, one figure per key across sources."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import aankomst
from aankomst.errors import AankomstError, InputError
from aankomst.store.batch import LoadBatch
from aankomst.store.schema import SCHEMA_VERSION


def _areas(codes, names=None, names_fr=None, level="municipality", layout="2025"):
    n = len(codes)
    return pd.DataFrame({"level": [level] * n, "layout": [layout] * n, "code": codes,
                         "name_nl": names or [None] * n, "name_fr": names_fr or [None] * n, "name_en": [None] * n,
                         "area_km2": [None] * n, "geometry": [None] * n})


def _pop(codes, counts, date="2024-01-01", level="municipality", layout="2025"):
    n = len(codes)
    return pd.DataFrame({"level": [level] * n, "layout": [layout] * n, "code": codes, "ref_date": [pd.Timestamp(date).date()] * n,
                         "scheme": ["total"] * n, "grp": ["total"] * n, "sex": ["T"] * n, "age_band": ["total"] * n,
                         "count": counts})


@pytest.fixture()
def atlas(tmp_path: Path):
    a = aankomst.open(str(tmp_path / "a.duckdb"))
    yield a
    a.close()


def test_new_atlas_has_current_schema(atlas):
    assert atlas.schema_version() == SCHEMA_VERSION
    assert atlas.setting("small_cell_threshold") == "5"
    assert set(atlas.query("SELECT table_name FROM information_schema.tables")["table_name"]) >= {
        "areas", "crosswalks", "population", "measures", "measure_defs", "flows", "provenance", "settings", "schema_version"}


def test_read_only_needs_existing_file(tmp_path: Path):
    with pytest.raises(AankomstError, match="does not exist"):
        aankomst.open(str(tmp_path / "missing.duckdb"), read_only=True)


def test_areas_first_source_owns_later_fill_in(atlas):
    a = LoadBatch("s/a", "t", "a.shp", "0", {"areas": _areas(["11001", "11002"], ["Aartselaar", None])})
    b = LoadBatch("s/b", "t", "b.xlsx", "0", {"areas": _areas(["11002", "11003"], ["Antwerpen", "Boechout"], ["Anvers", "Boechout"])})
    atlas.load([a, b])
    df = atlas.query("SELECT code, name_nl, name_fr FROM areas ORDER BY code")
    assert df.astype(object).where(df.notna(), None).values.tolist() == [["11001", "Aartselaar", None], ["11002", "Antwerpen", "Anvers"], ["11003", "Boechout", "Boechout"]]
    # a conflicting later name does not overwrite the first source's
    c = LoadBatch("s/c", "t", "c.csv", "0", {"areas": _areas(["11001"], ["Other name"])})
    atlas.load([c])
    assert atlas.query("SELECT name_nl FROM areas WHERE code = '11001'")["name_nl"][0] == "Aartselaar"


def test_reload_replaces_rows_idempotent(atlas):
    areas = LoadBatch("s/areas", "t", "a.csv", "0", {"areas": _areas(["11001", "11002"], ["A", "B"])})
    p1 = LoadBatch("s/pop", "t", "p.csv", "1", {"population": _pop(["11001", "11002"], [10, 20])})
    atlas.load([areas, p1])
    p2 = LoadBatch("s/pop", "t", "p.csv", "2", {"population": _pop(["11001"], [11])})
    atlas.load([p2])
    assert atlas.query("SELECT code, count FROM population").values.tolist() == [["11001", 11]]
    assert atlas.query("SELECT count(*) AS n FROM provenance WHERE source_id = 's/pop'")["n"][0] == 1
    assert atlas.query("SELECT sha256 FROM provenance WHERE source_id = 's/pop'")["sha256"][0] == "2"


def test_same_figure_from_two_sources_is_not_double_counted(atlas):
    areas = LoadBatch("s/areas", "t", "a.csv", "0", {"areas": _areas(["11001", "11002"])})
    first = LoadBatch("s/first", "t", "f.csv", "0", {"population": _pop(["11001", "11002"], [10, 20])})
    second = LoadBatch("s/second", "t", "g.csv", "0", {"population": _pop(["11001"], [12])})
    atlas.load([areas, first, second])
    assert atlas.query("SELECT sum(count) AS n FROM population")["n"][0] == 30
    w = json.loads(atlas.query("SELECT warnings FROM provenance WHERE source_id = 's/second'")["warnings"][0])
    assert any("1 population row(s) were already supplied" in x and "1 with a different value" in x for x in w)


def test_duplicate_key_within_batch_is_an_error(atlas):
    df = _pop(["11001", "11001"], [1, 2])
    df["source_row"] = [2, 5]
    with pytest.raises(InputError) as ei:
        atlas.load([LoadBatch("s/x", "t", "x.csv", "0", {"population": df})])
    assert ei.value.row == 5 and "duplicate key" in str(ei.value) and "[2, 5]" in str(ei.value)


def test_unknown_code_only_checked_where_layout_is_defined(atlas):
    atlas.load([LoadBatch("s/a", "t", "a.csv", "0", {"areas": _areas(["11001"])})])
    # a layout without definitions: accepted
    atlas.load([LoadBatch("s/p", "t", "p.csv", "0", {"population": _pop(["99999"], [3], layout="1977")})])
    with pytest.raises(InputError, match="unknown municipality code '99999'"):
        atlas.load([LoadBatch("s/q", "t", "q.csv", "0", {"population": _pop(["99999"], [3])})])


def test_crosswalk_links_shared_between_tables(atlas):
    cw = pd.DataFrame({"from_level": ["sector"], "from_layout": ["2025"], "from_code": ["11001A00-"], "to_level": ["municipality"],
                       "to_layout": ["2025"], "to_code": ["11001"], "weight": [1.0], "weight_basis": ["whole"], "split": [False]})
    atlas.load([LoadBatch("s/x", "t", "x", "0", {"crosswalks": cw}), LoadBatch("s/y", "t", "y", "0", {"crosswalks": cw})])
    assert atlas.query("SELECT count(*) AS n FROM crosswalks")["n"][0] == 1


def test_measure_defs_last_definition_wins(atlas):
    d = lambda label: pd.DataFrame({"measure": ["m"], "label_nl": [label], "label_en": [label], "definition": ["d"],
                                    "unit": ["EUR"], "higher_is": [None]})
    atlas.load([LoadBatch("s/1", "t", "1", "0", {"measure_defs": d("one")}), LoadBatch("s/2", "t", "2", "0", {"measure_defs": d("two")})])
    assert atlas.query("SELECT label_nl FROM measure_defs")["label_nl"].tolist() == ["two"]


def test_areas_gdf_reads_geometry(atlas):
    import shapely
    from shapely.geometry import box

    df = _areas(["11001", "11002"], ["A", "B"])
    df["geometry"] = [shapely.to_wkb(box(150000, 200000, 151000, 201000)), None]
    atlas.load([LoadBatch("s/a", "t", "a", "0", {"areas": df})])
    g = atlas.areas_gdf("municipality")
    assert g.crs.to_epsg() == 31370 and len(g) == 2
    assert g.geometry.iloc[0].area == pytest.approx(1_000_000) and g.geometry.iloc[1] is None
    assert len(atlas.areas_gdf("municipality", with_geometry_only=True)) == 1


def test_read_only_atlas_refuses_writes(tmp_path: Path):
    p = tmp_path / "r.duckdb"
    aankomst.open(str(p)).close()
    a = aankomst.open(str(p), read_only=True)
    with pytest.raises(AankomstError, match="read-only"):
        a.load([])
    a.close()


def test_contradicting_link_from_a_later_source_is_reported_not_loaded(atlas):
    def cw(to):
        return pd.DataFrame({"from_level": ["neighbourhood"], "from_layout": ["2024"], "from_code": ["46003H1"],
                             "to_level": ["municipality"], "to_layout": ["2024"], "to_code": [to], "weight": [1.0],
                             "weight_basis": ["whole"], "split": [False]})
    atlas.load([LoadBatch("s/basis", "t", "basis", "0", {"crosswalks": cw("46003")}),
                LoadBatch("s/agg", "t", "agg", "0", {"crosswalks": cw("46013")})])
    assert atlas.query("SELECT to_code FROM crosswalks")["to_code"].tolist() == ["46003"]
    w = json.loads(atlas.query("SELECT warnings FROM provenance WHERE source_id = 's/agg'")["warnings"][0])
    assert any("contradict" in x and "46003H1" in x for x in w)
