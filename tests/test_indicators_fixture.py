"""A tiny hand-made atlas for the indicator tests (all expected values are computed by hand in
``tests/test_indicators.py`` from the numbers below).

Geography: regions 02000 (Flanders) and 04000 (Brussels); municipalities of the 2018 layout
11002 Antwerpen, 23044 Liedekerke, 21004 Brussel, 44011 Deinze, 44049 Nevele; in the 2025
layout Deinze and Nevele are merged into 44083 Deinze. Antwerpen has two neighbourhoods
(11002W01 = sectors 11002A00- + 11002A01-, 11002W02 = sector 11002B00-). Brussels has two
monitoring neighbourhoods (1, 2) with published shares only.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from aankomst.sources.base import LoadBatch


def _batch(sid: str, tables: dict[str, pd.DataFrame], **kw) -> LoadBatch:
    return LoadBatch(source_id=sid, family="test", path=f"{sid}.csv", sha256="0" * 64,
                     tables=tables, title=f"test {sid}", publisher="tests", **kw)


def _areas(rows):
    return pd.DataFrame([{"level": lv, "layout": ly, "code": c, "name_nl": n, "name_fr": fr,
                          "name_en": None, "area_km2": km2, "geometry": None}
                         for lv, ly, c, n, fr, km2 in rows])


def _cw(rows):
    return pd.DataFrame([{"from_level": a, "from_layout": b, "from_code": c, "to_level": d,
                          "to_layout": e, "to_code": f, "weight": 1.0, "weight_basis": "whole",
                          "split": False} for a, b, c, d, e, f in rows])


def _pop(level, layout, code, year, scheme, grp, count, sex="T", age="total"):
    return {"level": level, "layout": layout, "code": code, "ref_date": date(year, 1, 1),
            "scheme": scheme, "grp": grp, "sex": sex, "age_band": age, "count": count}


NAT = {  # municipality 2018: year -> (BEL, ETR)
    "11002": {2010: (800, 200), 2011: (790, 230), 2012: (780, 260), 2015: (760, 300)},
    "23044": {2010: (95, 5), 2011: (94, 8), 2012: (93, 11), 2015: (90, 20)},
    "21004": {2010: (300, 300), 2011: (300, 310), 2012: (300, 320), 2015: (290, 350)},
    "44011": {2010: (50, 2), 2011: (50, 2), 2012: (50, 2), 2015: (48, 3)},
    "44049": {2010: (40, 1), 2011: (40, 1), 2012: (40, 1), 2015: (40, 3)},
}

#: flows between municipalities (2025 layout), scheme nationality:
#: (year, origin_kind, origin_code, dest_kind, dest_code, grp, count)
MUNI_FLOWS = [
    (2010, "area", "21004", "area", "23044", "ETR", 6),
    (2010, "area", "21004", "area", "23044", "BEL", 4),
    (2010, "area", "23044", "area", "21004", "ETR", 1),
    (2010, "area", "23044", "area", "21004", "BEL", 2),
    (2010, "abroad", "MAR", "area", "23044", "ETR", 3),
    (2010, "area", "11002", "area", "23044", "BEL", 5),
    (2010, "belgium", None, "area", "11002", "ETR", 10),
    (2010, "area", "11002", "belgium", None, "BEL", 20),
    (2010, "abroad", "MAR", "area", "11002", "ETR", 30),
    (2010, "area", "11002", "abroad", "NLD", "BEL", 3),
    (2011, "area", "21004", "area", "23044", "ETR", 8),
    (2011, "area", "21004", "area", "23044", "BEL", 4),
    (2011, "abroad", "ROU", "area", "23044", "ETR", 2),
    (2011, "area", "23044", "area", "11002", "BEL", 3),
    (2012, "area", "21004", "area", "23044", "ETR", 10),
    (2012, "area", "21004", "area", "23044", "BEL", 6),
    (2012, "area", "23044", "area", "21004", "ETR", 2),
]

#: 2013 flows between sectors of Antwerpen (ETR): (origin_kind, level, code, dest_kind, level, code, n)
SECTOR_FLOWS = [
    ("abroad", None, "MAR", "area", "sector", "11002A00-", 20),
    ("belgium", None, None, "area", "sector", "11002B00-", 10),
    ("area", "sector", "11002A01-", "area", "sector", "11002B00-", 7),
    ("area", "sector", "11002A00-", "area", "sector", "11002A01-", 5),
    ("area", "sector", "11002B00-", "area", "municipality", "23044", 6),
    ("area", "sector", "11002B00-", "abroad", None, "NLD", 4),
]


def build(db: Path, *, with_area_types: bool = True) -> Path:
    """Create the fixture atlas at ``db`` and return the path."""
    import aankomst
    from aankomst.sources import area_types

    areas = _areas([
        ("region", "2025", "02000", "Vlaams Gewest", "Région flamande", 13625.0),
        ("region", "2025", "04000", "Brussels Hoofdstedelijk Gewest", "Région de Bruxelles-Capitale", 161.4),
        ("municipality", "2018", "11002", "Antwerpen", "Anvers", 204.5),
        ("municipality", "2018", "23044", "Liedekerke", "Liedekerke", 10.1),
        ("municipality", "2018", "21004", "Brussel", "Bruxelles", 32.6),
        ("municipality", "2018", "44011", "Deinze", "Deinze", 75.0),
        ("municipality", "2018", "44049", "Nevele", "Nevele", 51.0),
        ("municipality", "2025", "11002", "Antwerpen", "Anvers", 204.5),
        ("municipality", "2025", "23044", "Liedekerke", "Liedekerke", 10.0),
        ("municipality", "2025", "21004", "Brussel", "Bruxelles", 32.6),
        ("municipality", "2025", "44083", "Deinze", "Deinze", 126.0),
        ("neighbourhood", "2025", "11002W01", "Noord", None, 1.5),
        ("neighbourhood", "2025", "11002W02", "Zuid", None, 4.0),
        ("sector", "2025", "11002A00-", "A00", None, 0.5),
        ("sector", "2025", "11002A01-", "A01", None, 1.0),
        ("sector", "2025", "11002B00-", "B00", None, 4.0),
        ("brussels_neighbourhood", "monitor", "1", "Grote Markt", "Grand-Place", 0.5),
        ("brussels_neighbourhood", "monitor", "2", "Dansaert", "Dansaert", 0.7),
    ])
    cw = _cw([
        ("sector", "2025", "11002A00-", "neighbourhood", "2025", "11002W01"),
        ("sector", "2025", "11002A01-", "neighbourhood", "2025", "11002W01"),
        ("sector", "2025", "11002B00-", "neighbourhood", "2025", "11002W02"),
        ("neighbourhood", "2025", "11002W01", "municipality", "2025", "11002"),
        ("neighbourhood", "2025", "11002W02", "municipality", "2025", "11002"),
        *[("municipality", "2018", c, "municipality", "2025", c) for c in ("11002", "23044", "21004")],
        ("municipality", "2018", "44011", "municipality", "2025", "44083"),
        ("municipality", "2018", "44049", "municipality", "2025", "44083"),
        ("municipality", "2025", "11002", "region", "2025", "02000"),
        ("municipality", "2025", "23044", "region", "2025", "02000"),
        ("municipality", "2025", "44083", "region", "2025", "02000"),
        ("municipality", "2025", "21004", "region", "2025", "04000"),
    ])
    pop = []
    for code, years in NAT.items():
        for y, (bel, etr) in years.items():
            pop += [_pop("municipality", "2018", code, y, "nationality", "BEL", bel),
                    _pop("municipality", "2018", code, y, "nationality", "ETR", etr),
                    _pop("municipality", "2018", code, y, "total", "total", bel + etr)]
    for y in (2013, 2019):
        for code, n in (("11002A00-", 100), ("11002A01-", 50), ("11002B00-", 200)):
            pop.append(_pop("sector", "2025", code, y, "total", "total", n))
    for iso, n in (("BEL", 100), ("MAR", 30), ("NLD", 10), ("ROU", 8), ("GBR", 6), ("HRV", 4),
                   ("TUR", 12), ("XXX", 2)):
        pop.append(_pop("municipality", "2025", "21004", 2020, "country", iso, n))
    flows = [{"year": y, "origin_kind": ok, "origin_level": "municipality" if ok == "area" else None,
              "origin_layout": "2025" if ok == "area" else None,
              "origin_code": oc, "dest_kind": dk,
              "dest_level": "municipality" if dk == "area" else None,
              "dest_layout": "2025" if dk == "area" else None, "dest_code": dc,
              "scheme": "nationality", "grp": g, "count": n}
             for y, ok, oc, dk, dc, g, n in MUNI_FLOWS]
    flows += [{"year": 2013, "origin_kind": ok, "origin_level": ol,
               "origin_layout": "2025" if ok == "area" else None, "origin_code": oc,
               "dest_kind": dk, "dest_level": dl, "dest_layout": "2025" if dk == "area" else None,
               "dest_code": dc, "scheme": "nationality", "grp": "ETR", "count": n}
              for ok, ol, oc, dk, dl, dc, n in SECTOR_FLOWS]
    # the same 2013 moves pre-aggregated at neighbourhood level in the same file (as register
    # extracts and the demo do): must not be counted twice
    W = {"11002A00-": "11002W01", "11002A01-": "11002W01", "11002B00-": "11002W02"}
    for ok, ol, oc, dk, dl, dc, n in SECTOR_FLOWS:
        flows.append({"year": 2013, "origin_kind": ok,
                      "origin_level": "neighbourhood" if ol == "sector" else ol,
                      "origin_layout": "2025" if ok == "area" else None,
                      "origin_code": W.get(oc, oc), "dest_kind": dk,
                      "dest_level": "neighbourhood" if dl == "sector" else dl,
                      "dest_layout": "2025" if dk == "area" else None,
                      "dest_code": W.get(dc, dc), "scheme": "nationality", "grp": "ETR",
                      "count": n})
    # 2014: flows by country of nationality only (group schemes are derived from them)
    for ok, oc, grp, n in (("abroad", "ROU", "ROU", 6), ("abroad", "MAR", "MAR", 5),
                           ("area", "21004", "MAR", 7)):
        flows.append({"year": 2014, "origin_kind": ok,
                      "origin_level": "municipality" if ok == "area" else None,
                      "origin_layout": "2025" if ok == "area" else None, "origin_code": oc,
                      "dest_kind": "area", "dest_level": "municipality", "dest_layout": "2025",
                      "dest_code": "23044", "scheme": "country", "grp": grp, "count": n})
    meas = []

    def m(level, layout, code, measure, period, value, unit, scheme="total", grp="total"):
        meas.append({"level": level, "layout": layout, "code": code, "measure": measure,
                     "period": period, "scheme": scheme, "grp": grp, "value": value, "unit": unit})

    for code, inc, dec in (("11002A00-", 1_000_000, 50), ("11002A01-", 600_000, 30),
                           ("11002B00-", 2_000_000, 100)):
        m("sector", "2025", code, "total_net_taxable_income", "2019", inc, "EUR")
        m("sector", "2025", code, "tax_declarations", "2019", dec, "declarations")
    m("sector", "2025", "11002A00-", "median_taxable_income_declaration", "2019", 15000, "EUR")
    for code, inc, res in (("44011", 500_000, 52), ("44049", 410_000, 41)):
        m("municipality", "2018", code, "total_net_taxable_income", "2012", inc, "EUR")
        m("municipality", "2018", code, "residents_income_statistics", "2012", res, "persons")
    for code, v10, v97 in (("1", 10.0, 8.0), ("2", 20.0, 25.0)):
        m("brussels_neighbourhood", "monitor", code, "group_share", "2010", v10, "%",
          "nationality_group6", "north_africa")
        m("brussels_neighbourhood", "monitor", code, "group_share", "1997", v97, "%",
          "nationality_group6", "north_africa")
    batches = [
        _batch("test/areas", {"areas": areas, "crosswalks": cw}),
        _batch("test/population", {"population": pd.DataFrame(pop)}, reference_date="2010-2020"),
        _batch("test/flows", {"flows": pd.DataFrame(flows)}, reference_date="2010-2013"),
        _batch("test/measures", {"measures": pd.DataFrame(meas)}),
    ]
    if with_area_types:
        batches += area_types.batches()
    with aankomst.open(str(db)) as atlas:
        atlas.load(batches)
    return db
