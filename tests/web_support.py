"""Support for the web/API tests: a tiny hand-made atlas and a hand-computed stand-in engine.

The tiny atlas (built with ``Atlas.load``) has one region, four municipalities laid out as
2×2 squares of 10 km in Belgian Lambert 72 near Brussels, and four neighbourhoods in
municipality ``91001``. Population on 1 January 2019 and 2020 (total / ETR = foreign nationals):

* 91001 Aa: 1000 / 200 (2019), 1100 / 242 (2020)
* 91002 Bé: 500 / 3 — a small cell — (2019), 520 / 26 (2020)
* 91003 Ce: 0 / 0 (both years)
* 91004 Brussel / Bruxelles: 2000 / 700 (2019), 2000 / 760 (2020)

The stand-in engine (:func:`fake_compute`) is independent of the real indicator engine so
that the API layer is tested against hand-computed values: ``share_foreign`` = ETR / total ×
100 (%), numerator ETR, denominator total; ``population`` = total (persons). Region values
are sums over the four municipalities.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import shapely

from aankomst.errors import MissingInputError, UnknownCodeError
from aankomst.sources.base import LoadBatch

MUNIS = {
    "91001": ("Aa", None, (140000, 160000)),
    "91002": ("Bé", None, (150000, 160000)),
    "91003": ("Ce", None, (140000, 170000)),
    "91004": ("Brussel", "Bruxelles", (150000, 170000)),
}
POP = {  # (total, ETR) per year
    2019: {"91001": (1000, 200), "91002": (500, 3), "91003": (0, 0), "91004": (2000, 700)},
    2020: {"91001": (1100, 242), "91002": (520, 26), "91003": (0, 0), "91004": (2000, 760)},
}


def _square(x: float, y: float, size: float = 10000) -> bytes:
    return shapely.to_wkb(shapely.box(x, y, x + size, y + size))


def tiny_batches() -> list[LoadBatch]:
    """Batches of the tiny atlas (areas, crosswalks, population)."""
    areas = [{"level": "region", "layout": "2025", "code": "09000", "name_nl": "Testgewest", "name_fr": "Région test",
              "name_en": "Test region", "area_km2": 400.0, "geometry": shapely.to_wkb(shapely.box(140000, 160000, 160000, 180000))}]
    for code, (nl, fr, (x, y)) in MUNIS.items():
        areas.append({"level": "municipality", "layout": "2025", "code": code, "name_nl": nl, "name_fr": fr,
                      "name_en": None, "area_km2": 100.0, "geometry": _square(x, y)})
    for i, (dx, dy) in enumerate([(0, 0), (5000, 0), (0, 5000), (5000, 5000)], start=1):
        areas.append({"level": "neighbourhood", "layout": "2025", "code": f"91001W0{i}", "name_nl": f"Wijk {i}",
                      "name_fr": None, "name_en": None, "area_km2": 25.0, "geometry": _square(140000 + dx, 160000 + dy, 5000)})
    cw = [{"from_level": "municipality", "from_layout": "2025", "from_code": c, "to_level": "region",
           "to_layout": "2025", "to_code": "09000", "weight": 1.0, "weight_basis": "whole", "split": False} for c in MUNIS]
    cw += [{"from_level": "neighbourhood", "from_layout": "2025", "from_code": f"91001W0{i}", "to_level": "municipality",
            "to_layout": "2025", "to_code": "91001", "weight": 1.0, "weight_basis": "whole", "split": False} for i in range(1, 5)]
    pop = []
    for year, rows in POP.items():
        for code, (tot, etr) in rows.items():
            for grp, n, scheme in (("total", tot, "total"), ("ETR", etr, "nationality"), ("BEL", tot - etr, "nationality")):
                pop.append({"level": "municipality", "layout": "2025", "code": code, "ref_date": pd.Timestamp(f"{year}-01-01").date(),
                            "scheme": scheme, "grp": grp, "sex": "T", "age_band": "total", "count": n})
    return [
        LoadBatch("test/areas", "test", "areas.csv", "0" * 64, {"areas": pd.DataFrame(areas)}, title="Test areas",
                  publisher="tests", reference_date="2025", licence="CC0"),
        LoadBatch("test/crosswalks", "test", "cw.csv", "1" * 64, {"crosswalks": pd.DataFrame(cw)}),
        LoadBatch("test/population", "test", "pop.csv", "2" * 64, {"population": pd.DataFrame(pop)},
                  title="Test population", publisher="tests", reference_date="2019-01-01/2020-01-01", licence="CC0"),
    ]


def build_tiny_atlas(path: Path) -> Path:
    """Write the tiny atlas to ``path`` and return it."""
    import aankomst

    a = aankomst.open(str(path))
    try:
        a.load(tiny_batches())
    finally:
        a.close()
    return path


CATALOGUE = pd.DataFrame([
    {"id": "share_foreign", "theme": "population", "label_nl": "Aandeel vreemdelingen", "label_en": "Share of foreign nationals",
     "definition_nl": "ETR / totaal × 100", "definition_en": "ETR / total × 100", "unit": "%", "numerator": "ETR",
     "denominator": "total", "inputs": "population", "levels": "region;municipality", "params": "",
     "implementation": "tests:fake", "source": "Test population"},
    {"id": "population", "theme": "population", "label_nl": "Inwoners", "label_en": "Inhabitants",
     "definition_nl": "aantal inwoners", "definition_en": "number of inhabitants", "unit": "persons", "numerator": "",
     "denominator": "", "inputs": "population", "levels": "region;municipality", "params": "",
     "implementation": "tests:fake", "source": "Test population"},
])


def fake_catalogue() -> pd.DataFrame:
    return CATALOGUE.copy()


def fake_compute(atlas: Any, ind: str, *, level: str, period: str, group: str | None = None,
                 scheme: str | None = None, **params: Any) -> Any:
    """Hand-computable stand-in for ``aankomst.indicators.compute`` (no suppression: the API must do it)."""
    if ind not in set(CATALOGUE["id"]):
        raise UnknownCodeError("indicator", ind, known=list(CATALOGUE["id"]))
    year = int(str(period)[:4])
    if year not in POP:
        raise MissingInputError(ind, "population", years=period)
    rows = POP[year]
    if level == "municipality":
        items = [(c, MUNIS[c][0] if MUNIS[c][1] is None else f"{MUNIS[c][0]} / {MUNIS[c][1]}", *rows[c]) for c in MUNIS]
    elif level == "region":
        items = [("09000", "Testgewest", sum(v[0] for v in rows.values()), sum(v[1] for v in rows.values()))]
    else:
        raise MissingInputError(ind, f"population at level {level}", years=period)
    out = []
    for code, name, tot, etr in items:
        if ind == "share_foreign":
            val = etr / tot * 100 if tot else np.nan
            out.append((code, name, val, "%", float(etr), float(tot)))
        elif group == "ETR":  # a count of persons of a group: 3 must never be published
            out.append((code, name, float(etr), "persons", float(etr), np.nan))
        else:
            out.append((code, name, float(tot), "persons", float(tot), np.nan))
    df = pd.DataFrame(out, columns=["area_code", "area_name", "value", "unit", "numerator", "denominator"])
    df.insert(2, "level", level)
    df.insert(3, "layout", "2025")
    df.insert(4, "period", f"{year}-01-01")
    df.insert(5, "group", group or ("ETR" if ind == "share_foreign" else "total"))
    meta = {"id": ind, "unit": df["unit"].iloc[0], "sources": [{"title": "Test population", "publisher": "tests"}],
            "reference_period": f"{year}-01-01"}
    return SimpleNamespace(data=df, meta=meta)


def fake_periods(atlas: Any, ind: str, level: str) -> list[str]:
    return ["2019", "2020"]
