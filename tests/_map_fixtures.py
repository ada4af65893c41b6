"""Seeded synthetic atlas for the map tests (no real data needed).

Twelve square municipalities (layout 2025) in a 4 x 3 grid of 2 km cells in Belgian Lambert 72
coordinates, two provinces (left/right half) for the outlines, population on 1 January 2009
and 2015 by nationality (BEL/ETR) and in total. Hand-set figures make the classes known:

* ``M01`` is a MultiPolygon of two parts (2 paths on the map), ``M02`` has a hole (1 path);
* ``M11`` has 3 foreign inhabitants in 2015 (a count 1-4: suppressed by the small-cell rule);
* ``M12`` has geometry but no population rows (no data).

Statistical sectors (``S01`` … ``S11``, one per municipality cell, **no geometry**, as in the
offline mirror) carry the same 2015 counts; four neighbourhoods ``N1`` … ``N4`` (the grid's
columns, with geometry) are unions of whole sectors, so a sector map is drawn through them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import shapely

X0, Y0, CELL = 150_000.0, 180_000.0, 2_000.0

# code: (total 2009, foreign 2009, total 2015, foreign 2015)
FIGURES = {
    "M01": (1000, 20, 1000, 30),
    "M02": (2000, 100, 2000, 160),
    "M03": (1500, 150, 1500, 135),
    "M04": (800, 40, 800, 44),
    "M05": (5000, 1000, 5000, 1250),
    "M06": (3000, 600, 3000, 540),
    "M07": (1200, 12, 1200, 18),
    "M08": (4000, 400, 4000, 600),
    "M09": (2500, 500, 2500, 700),
    "M10": (1000, 250, 1000, 230),
    "M11": (600, 6, 600, 3),
}


def geometries() -> dict[str, object]:
    out = {}
    for i in range(12):
        code = f"M{i + 1:02d}"
        col, row = i % 4, i // 4
        x, y = X0 + col * CELL, Y0 + row * CELL
        g = shapely.box(x, y, x + CELL, y + CELL)
        if code == "M01":  # two parts
            g = shapely.MultiPolygon([shapely.box(x, y, x + CELL / 2 - 100, y + CELL),
                                      shapely.box(x + CELL / 2 + 100, y, x + CELL, y + CELL)])
        if code == "M02":  # a hole
            g = shapely.Polygon(shapely.box(x, y, x + CELL, y + CELL).exterior.coords,
                                [shapely.box(x + 600, y + 600, x + 1400, y + 1400).exterior.coords])
        out[code] = g
    return out


def build_map_atlas(path: Path) -> Path:
    """Write the synthetic atlas to ``path`` and return it."""
    import aankomst
    from aankomst.sources.base import LoadBatch

    geoms = geometries()
    names = {c: f"Gemeente {c[1:]}" for c in geoms}
    areas = pd.DataFrame({
        "level": "municipality", "layout": "2025", "code": list(geoms),
        "name_nl": [names[c] for c in geoms], "name_fr": [names[c] for c in geoms],
        "name_en": [names[c] for c in geoms], "area_km2": 4.0,
        "geometry": [shapely.to_wkb(g) for g in geoms.values()],
    })
    prov = pd.DataFrame({
        "level": "province", "layout": "2025", "code": ["P1", "P2"],
        "name_nl": ["Provincie West", "Provincie Oost"], "name_fr": ["Ouest", "Est"],
        "name_en": ["West", "East"], "area_km2": 24.0,
        "geometry": [shapely.to_wkb(shapely.box(X0, Y0, X0 + 2 * CELL, Y0 + 3 * CELL)),
                     shapely.to_wkb(shapely.box(X0 + 2 * CELL, Y0, X0 + 4 * CELL, Y0 + 3 * CELL))],
    })
    rows = []
    for code, (t09, f09, t15, f15) in FIGURES.items():
        for date, tot, etr in (("2009-01-01", t09, f09), ("2015-01-01", t15, f15)):
            for scheme, grp, n in (("total", "total", tot), ("nationality", "ETR", etr),
                                   ("nationality", "BEL", tot - etr)):
                rows.append({"level": "municipality", "layout": "2025", "code": code,
                             "ref_date": pd.Timestamp(date).date(), "scheme": scheme, "grp": grp,
                             "sex": "T", "age_band": "total", "count": n})
    for code, (_, _, t15, f15) in FIGURES.items():
        for scheme, grp, n in (("total", "total", t15), ("nationality", "ETR", f15),
                               ("nationality", "BEL", t15 - f15)):
            rows.append({"level": "sector", "layout": "2025", "code": "S" + code[1:],
                         "ref_date": pd.Timestamp("2015-01-01").date(), "scheme": scheme,
                         "grp": grp, "sex": "T", "age_band": "total", "count": n})
    pop = pd.DataFrame(rows)
    sectors = pd.DataFrame({
        "level": "sector", "layout": "2025", "code": ["S" + c[1:] for c in FIGURES],
        "name_nl": [f"Sector {c[1:]}" for c in FIGURES], "name_fr": [f"Secteur {c[1:]}" for c in FIGURES],
        "name_en": [f"Sector {c[1:]}" for c in FIGURES], "area_km2": 4.0, "geometry": None,
    })
    nbh = pd.DataFrame({
        "level": "neighbourhood", "layout": "2025", "code": [f"N{c + 1}" for c in range(4)],
        "name_nl": [f"Wijk {c + 1}" for c in range(4)], "name_fr": [f"Quartier {c + 1}" for c in range(4)],
        "name_en": [f"Neighbourhood {c + 1}" for c in range(4)], "area_km2": 12.0,
        "geometry": [shapely.to_wkb(shapely.box(X0 + c * CELL, Y0, X0 + (c + 1) * CELL, Y0 + 3 * CELL))
                     for c in range(4)],
    })
    sx = pd.DataFrame([
        {"from_level": "sector", "from_layout": "2025", "from_code": "S" + c[1:],
         "to_level": lvl, "to_layout": "2025",
         "to_code": (f"N{(int(c[1:]) - 1) % 4 + 1}" if lvl == "neighbourhood" else c),
         "weight": 1.0, "weight_basis": "whole", "split": False}
        for c in FIGURES for lvl in ("neighbourhood", "municipality")
    ])
    xw = pd.DataFrame({
        "from_level": "municipality", "from_layout": "2025", "from_code": list(geoms),
        "to_level": "province", "to_layout": "2025",
        "to_code": ["P1" if (int(c[1:]) - 1) % 4 < 2 else "P2" for c in geoms],
        "weight": 1.0, "weight_basis": "whole", "split": False,
    })
    a = aankomst.open(str(path))
    a.load([
        LoadBatch("test/areas", "test_areas", "synthetic-areas", "0" * 64,
                  {"areas": pd.concat([areas, prov, nbh, sectors], ignore_index=True),
                   "crosswalks": pd.concat([xw, sx], ignore_index=True)},
                  title="Synthetische grenzen", publisher="Testbureau"),
        LoadBatch("test/population", "test_pop", "synthetic-population", "1" * 64,
                  {"population": pop}, title="Synthetische bevolking", publisher="Testbureau",
                  reference_date="2009/2015"),
    ])
    a.close()
    return path
