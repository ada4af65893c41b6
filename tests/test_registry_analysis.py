"""Accessibility and institutional-completeness analyses on a hand-built fixture with known
distances, the catalogue indicators, the KD-tree against brute force (Hypothesis), the demo
inventory."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_registry_support import build_fixture_atlas, lonlat, payload

# Resources (EPSG:31370): health in N1 at N1's centre (scale neighbourhood, reach 1.5 km);
# language in N3 at (152800, 210900) (scale municipality, reach 6 km); work in the gap
# between N3 and N4 at (160000, 210500) (scale regional, reach 20 km); a closed health
# service in N4 (must be ignored).
RESOURCES = [
    ("Gezondheid N1", 150500, 210500, ["health"], "neighbourhood", "11002", None),
    ("Taal N3", 152800, 210900, ["language"], "municipality", "11005", None),
    ("Werk tussenin", 160000, 210500, ["work"], "regional", "11005", None),
    ("Gesloten zorg N4", 170500, 210500, ["health"], "neighbourhood", "11005", "2020-01-01"),
]
CENTRES = {"N1": 150500, "N2": 151500, "N3": 152500, "N4": 170500}


def _expected_nearest(code, domain):
    x0, y0 = CENTRES[code], 210500
    pts = [(x, y) for _, x, y, d, _, _, vt in RESOURCES if domain in d and vt is None]
    return min(math.hypot(x - x0, y - y0) for x, y in pts) if pts else math.inf


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    from aankomst.registry import service as svc
    from aankomst.registry.db import init_db, session_factory
    from aankomst.registry.models import User

    d = tmp_path_factory.mktemp("analysis")
    atlas = build_fixture_atlas(d / "atlas.duckdb")
    url = f"sqlite:///{d / 'reg.sqlite'}"
    init_db(url)
    admin = User(id=None, name="t", role="admin", active=True, password_hash="")
    with session_factory(url, write=True)() as s, s.begin():
        for name, x, y, dom, scale, nis, vt in RESOURCES:
            lon, lat = lonlat(x, y)
            svc.create_resource(s, admin, payload(name=name, lon=lon, lat=lat, domains=dom, scale=scale,
                                                  municipality_nis=nis, valid_from="2010-01-01", valid_to=vt))
    return atlas, url


def test_centres_representative_and_population_weighted(fixture):
    from aankomst.registry.areas import area_set

    atlas, _ = fixture
    nb = area_set(str(atlas), "neighbourhood")
    assert list(nb.codes) == ["N1", "N2", "N3", "N4"]
    assert np.allclose(nb.centres, [[150500, 210500], [151500, 210500], [152500, 210500], [170500, 210500]])
    mu = area_set(str(atlas), "municipality")
    # 11002: (3000·150500 + 1000·151500) / 4000 = 150750; 11005: (500·152500 + 500·170500)/1000 = 161500
    assert np.allclose(mu.centres, [[150750, 210500], [161500, 210500]])
    assert set(mu.basis) == {"population_weighted"}


def test_distances_counts_and_status(fixture):
    from aankomst.registry.analysis import area_completeness

    atlas, url = fixture
    table, _ = area_completeness(str(atlas), url, radii=(1500.0,), local_radius_m=1200.0)
    t = table.set_index(["area_code", "domain"])
    for code in CENTRES:
        for dom in ("health", "language", "work", "religion"):
            exp = _expected_nearest(code, dom)
            got = t.loc[(code, dom), "nearest_m"]
            assert (math.isinf(exp) and math.isinf(got)) or got == pytest.approx(exp, abs=0.01), (code, dom)
    assert t.loc[("N2", "language"), "nearest_m"] == pytest.approx(math.hypot(1300, 400), abs=0.01)
    assert t.loc[("N4", "health"), "nearest_m"] == pytest.approx(20000, abs=0.01)  # closed one ignored
    assert list(t.xs("health", level="domain")["count_1500"]) == [1, 1, 0, 0]
    status = {(a, d): t.loc[(a, d), "status"] for a in CENTRES for d in ("health", "language", "work", "religion")}
    assert status == {
        ("N1", "health"): "local", ("N2", "health"): "local",       # inside / 1,000 m <= 1,200 m
        ("N3", "health"): "none", ("N4", "health"): "none",         # 2 km > reach 1.5 km
        ("N1", "language"): "supra_local", ("N2", "language"): "supra_local",  # within 6 km
        ("N3", "language"): "local", ("N4", "language"): "none",    # inside N3 / 17.7 km > 6 km
        ("N1", "work"): "supra_local", ("N2", "work"): "supra_local",
        ("N3", "work"): "supra_local", ("N4", "work"): "supra_local",  # regional: 20 km
        ("N1", "religion"): "none", ("N2", "religion"): "none", ("N3", "religion"): "none",
        ("N4", "religion"): "none",
    }
    assert t.loc[("N1", "health"), "nearest_name"] == "Gezondheid N1"


def test_indicators_through_the_engine(fixture):
    import aankomst
    from aankomst.indicators import compute

    atlas, url = fixture
    with aankomst.open(str(atlas), read_only=True) as a:
        r = compute(a, "registry_domains_local", level="neighbourhood", period="current", registry_url=url,
                    local_radius_m=1200)
        vals = dict(zip(r.data["area_code"], r.data["value"]))
        assert vals == {"N1": 1, "N2": 1, "N3": 1, "N4": 0}
        assert not r.data["suppressed"].any()  # resource counts are not person counts
        r = compute(a, "registry_domains_missing", level="neighbourhood", period="current", registry_url=url,
                    local_radius_m=1200)
        assert dict(zip(r.data["area_code"], r.data["value"])) == {"N1": 8, "N2": 8, "N3": 9, "N4": 10}
        r = compute(a, "registry_completeness_pct", level="neighbourhood", period="current", registry_url=url)
        assert r.data.set_index("area_code").loc["N1", "value"] == pytest.approx(100 / 11)
        r = compute(a, "registry_nearest_m", level="neighbourhood", period="current", registry_url=url,
                    domain="language")
        got = r.data.set_index("area_code")["value"]
        assert got["N3"] == pytest.approx(500, abs=0.01) and r.meta["unit"] == "m"
        r = compute(a, "registry_count_within", level="municipality", period="current", registry_url=url,
                    radius_m=10000)
        # 11002's weighted centre x=150750: health 250 m, language ~2,088 m, work 9,250 m -> 3;
        # 11005's x=161500: health 11,000 m (out), language ~8,709 m, work 1,500 m -> 2
        assert dict(zip(r.data["area_code"], r.data["value"])) == {"11002": 3, "11005": 2}
        r = compute(a, "registry_coverage", level="neighbourhood", period="2015", registry_url=url,
                    domain="health", local_radius_m=1200)
        # on 1 Jan 2015 the N4 health service was still open
        assert dict(zip(r.data["area_code"], r.data["value"])) == {"N1": 2, "N2": 2, "N3": 0, "N4": 2}


def test_indicator_errors_are_clear(fixture, monkeypatch):
    import aankomst
    from aankomst.errors import MissingInputError, UnknownCodeError
    from aankomst.registry import indicators as ind

    atlas, url = fixture
    monkeypatch.delenv("AANKOMST_REGISTRY_URL", raising=False)
    with aankomst.open(str(atlas), read_only=True) as a:
        with pytest.raises(MissingInputError, match="AANKOMST_REGISTRY_URL"):
            ind.domains_local(a, level="neighbourhood", period="current")
        with pytest.raises(UnknownCodeError, match="domain 'astrology'"):
            ind.nearest_distance(a, level="neighbourhood", period="current", domain="astrology", registry_url=url)
        with pytest.raises(MissingInputError, match="parameter domain"):
            ind.coverage(a, level="neighbourhood", period="current", registry_url=url)
        with pytest.raises(MissingInputError, match="geometry for level 'sector'"):
            ind.domains_local(a, level="sector", period="current", registry_url=url)
        monkeypatch.setenv("AANKOMST_REGISTRY_URL", url)
        df = ind.domains_local(a, level="neighbourhood", period="current", local_radius_m=1200).values
        assert list(df["value"]) == [1, 1, 1, 0]


@settings(max_examples=60, deadline=None)
@given(
    centres=st.lists(st.tuples(st.floats(0, 5000), st.floats(0, 5000)), min_size=1, max_size=20),
    points=st.lists(st.tuples(st.floats(0, 5000), st.floats(0, 5000)), min_size=0, max_size=30),
    radius=st.floats(1, 3000),
)
def test_kdtree_matches_brute_force(centres, points, radius):
    from aankomst.registry.analysis import nearest_and_counts

    c = np.array(centres, float)
    p = np.array(points, float).reshape(-1, 2)
    dist, idx, counts = nearest_and_counts(c, p, (radius,))
    for i, (x, y) in enumerate(centres):
        d = [math.hypot(px - x, py - y) for px, py in points]
        if not d:
            assert math.isinf(dist[i]) and idx[i] == -1 and counts[radius][i] == 0
            continue
        assert dist[i] == pytest.approx(min(d), abs=1e-6)
        strict_in = sum(v < radius - 1e-6 for v in d)
        loose_in = sum(v <= radius + 1e-6 for v in d)
        assert strict_in <= counts[radius][i] <= loose_in


def test_demo_extend_builds_registry_and_stores_indicators(tmp_path, fixture, monkeypatch):
    import aankomst
    from aankomst.indicators import compute
    from aankomst.registry.demo import DEMO_AS_OF, extend, generate
    from aankomst.registry.indicators import domains_local

    atlas, _ = fixture
    own = tmp_path / "atlas.duckdb"
    shutil.copy(atlas, own)
    monkeypatch.delenv("AANKOMST_REGISTRY_URL", raising=False)
    with aankomst.open(str(own)) as a:
        recs1, recs2 = generate(a, seed=7), generate(a, seed=7)
        assert recs1 == recs2 and len(recs1) >= 10  # seeded, reproducible
        assert generate(a, seed=8) != recs1
        assert {r["provider_type"] for r in recs1} >= {"public", "subsidised_ngo"}
        lines = extend(a, seed=7, workdir=tmp_path / "work")
    assert any("demo resources" in ln for ln in lines)
    url = f"sqlite:///{tmp_path / 'work' / 'registry.sqlite'}"
    with aankomst.open(str(own), read_only=True) as a:
        stored = compute(a, "registry_domains_local", level="neighbourhood", period="current")
        live = domains_local(a, level="neighbourhood", period=DEMO_AS_OF.isoformat(), registry_url=url).values
        assert list(stored.data["value"]) == list(live["value"])
        assert any("stored in the atlas" in n for n in stored.meta["notes"])


@pytest.mark.realdata
@pytest.mark.slow
def test_real_mirror_centres_population_and_profile(real_atlas, tmp_path):
    """Real geometry: 2,767 neighbourhoods, centres inside their polygons, 2019 sector
    populations carried to 2025 neighbourhoods (Flanders + Brussels = 7,797,611 in the Statbel
    file), population-weighted municipal centres, and a full profile for one neighbourhood."""
    import shapely

    from aankomst.registry import service as svc
    from aankomst.registry.analysis import area_completeness, domain_codes
    from aankomst.registry.areas import area_set, neighbourhood_population, to_4326
    from aankomst.registry.db import init_db, session_factory
    from aankomst.registry.models import User

    nb = area_set(real_atlas, "neighbourhood")
    assert len(nb) == 2767
    assert all(g.contains(shapely.Point(*c)) for g, c in zip(nb.geoms, nb.centres))
    pop = neighbourhood_population(real_atlas)
    assert pop.sum() == pytest.approx(7_797_611, rel=0.005)
    mu = area_set(real_atlas, "municipality")
    assert len(mu) == 304 and (mu.basis == "population_weighted").mean() > 0.95
    assert all(g.contains(shapely.Point(*c)) for g, c in zip(mu.geoms, mu.centres))
    # one resource of every domain at the centre of Antwerp's first neighbourhood
    i = [k for k, c in enumerate(nb.codes) if str(c).startswith("11002")][0]
    lon, lat = to_4326([nb.centres[i, 0]], [nb.centres[i, 1]])
    url = f"sqlite:///{tmp_path / 'real.sqlite'}"
    init_db(url)
    admin = User(id=None, name="t", role="admin", active=True, password_hash="")
    with session_factory(url, write=True)() as s, s.begin():
        for d in domain_codes():
            svc.create_resource(s, admin, payload(name=d, domains=[d], lon=float(lon[0]), lat=float(lat[0]),
                                                  municipality_nis="11002"))
    table, _ = area_completeness(real_atlas, url)
    mine = table[table["area_code"] == nb.codes[i]]
    assert (mine["status"] == "local").all() and (mine["nearest_m"] < 0.01).all()
    assert len(table) == 2767 * 11


@pytest.mark.slow
def test_demo_atlas_has_registry_with_realistic_mix(demo_atlas_path, demo_atlas):
    """``aankomst demo`` (build_demo) ran our extension: a registry next to the atlas with all
    spheres and provider types, closed services, and stored completeness indicators."""
    from sqlalchemy import text

    from aankomst.indicators import compute
    from aankomst.registry.db import check_ready, get_engine

    reg = demo_atlas_path.parent / f"{demo_atlas_path.stem}_files" / "registry.sqlite"
    assert reg.exists()
    url = f"sqlite:///{reg}"
    check_ready(url)
    with get_engine(url).connect() as c:
        n, closed = c.execute(text("SELECT count(*), sum(valid_to IS NOT NULL) FROM resources")).one()
        ptypes = {r[0] for r in c.execute(text("SELECT DISTINCT provider_type FROM resources"))}
        spheres = {r[0] for r in c.execute(text(
            "SELECT DISTINCT code FROM resource_terms WHERE vocabulary = 'sphere'"))}
    assert n > 100 and 0 < closed < n / 5
    assert len(ptypes) == 6 and spheres == {"market", "redistribution", "reciprocity"}
    r = compute(demo_atlas, "registry_domains_local", level="neighbourhood", period="current")
    assert r.data["value"].between(0, 11).all() and r.data["value"].max() > 5
