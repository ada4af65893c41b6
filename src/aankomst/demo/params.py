"""Parameters of the synthetic demo region, read from the documented tables in ``aankomst/data``.

Tables (all CSV, UTF-8, documented in ``docs/demo.md``):

``demo_params.csv``
    ``key, value, unit, description_en, description_nl``: scalar parameters; list values are
    separated by ``;``; keys with a suffix (``immigration_per_1000.big_city``) vary by
    municipality kind, role or nationality group.
``demo_upper_areas.csv``
    country, regions, provinces and arrondissements with their parent codes.
``demo_municipalities.csv``
    municipalities: code, names, arrondissement, kind, centre (km), population and share of
    non-Belgians on 1 January of the first year, sectors per neighbourhood.
``demo_neighbourhoods.csv``
    neighbourhoods per municipality: names, population weight, foreign factor, role
    (``arrival``, ``centre``, ``affluent``, ``secondary`` or empty), optional seed offset (km).
``demo_countries.csv``
    nationalities (ISO 3166 alpha-3) with their group in ``nationality_group6`` and the weights
    of the stock, the inflow and the emigrant destinations.
``demo_od_boosts.csv``
    extra weight of moves from an origin (municipality or region code) to a destination
    municipality, by nationality group.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from aankomst.errors import InputError
from aankomst.paths import package_data

KINDS: tuple[str, ...] = (
    "capital_centre", "capital_arrival", "capital_residential", "big_city", "centre_city",
    "suburb", "rural",
)
"""Municipality kinds of the demo region."""


@dataclass
class DemoParams:
    """All parameter tables of the demo generator."""

    scalars: dict[str, str]
    upper: pd.DataFrame
    municipalities: pd.DataFrame
    neighbourhoods: pd.DataFrame
    countries: pd.DataFrame
    od_boosts: pd.DataFrame

    def num(self, key: str) -> float:
        """Return a numeric scalar parameter."""
        return float(self._get(key))

    def nums(self, key: str) -> list[float]:
        """Return a ``;``-separated list of numbers."""
        return [float(v) for v in self._get(key).split(";")]

    def text(self, key: str) -> str:
        """Return a text parameter."""
        return self._get(key)

    def by(self, key: str, suffix: str, default: float | None = None) -> float:
        """Return ``key.suffix`` (e.g. a kind- or role-specific value), or ``default``."""
        full = f"{key}.{suffix}"
        if full not in self.scalars:
            if default is None:
                raise InputError("demo_params.csv", f"parameter {full!r} is missing", column="key",
                                 expected=f"a row with key {full!r}")
            return default
        return float(self.scalars[full])

    def _get(self, key: str) -> str:
        if key not in self.scalars:
            raise InputError("demo_params.csv", f"parameter {key!r} is missing", column="key",
                             expected=f"a row with key {key!r}")
        return self.scalars[key]

    @property
    def age_bands(self) -> list[str]:
        """Age band labels, e.g. ``['0-17', '18-24', …, '65+']``."""
        return self.text("age_bands").split(";")

    @property
    def years(self) -> list[int]:
        """Reference years (population on 1 January of each)."""
        return list(range(int(self.num("first_year")), int(self.num("last_year")) + 1))


def _read(name: str, directory: Path | None) -> pd.DataFrame:
    path = (directory / name) if directory else package_data(name)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(str(path), "demo parameter table not found",
                         expected="the table shipped in aankomst/data") from exc


def load_params(directory: Path | None = None) -> DemoParams:
    """Read the demo parameter tables (from ``aankomst/data`` unless ``directory`` is given).

    Raises
    ------
    InputError
        When a table is missing, a column is absent or a number does not parse.
    """
    scal = _read("demo_params.csv", directory)
    scalars = dict(zip(scal["key"], scal["value"]))
    upper = _read("demo_upper_areas.csv", directory)
    mun = _read("demo_municipalities.csv", directory)
    nbh = _read("demo_neighbourhoods.csv", directory)
    ctry = _read("demo_countries.csv", directory)
    od = _read("demo_od_boosts.csv", directory)
    numeric = {
        "demo_municipalities.csv": (mun, ["x_km", "y_km", "population_2010", "foreign_share_2010",
                                          "sectors_per_neighbourhood"]),
        "demo_neighbourhoods.csv": (nbh, ["weight", "foreign_factor"]),
        "demo_countries.csv": (ctry, ["eu", "stock_capital", "stock_laagland", "inflow_capital",
                                      "inflow_laagland", "affluent", "emigrant_destination"]),
        "demo_od_boosts.csv": (od, ["factor"]),
    }
    for fname, (df, cols) in numeric.items():
        for c in cols:
            if c not in df.columns:
                raise InputError(fname, f"column {c!r} is missing", column=c,
                                 expected=f"columns {cols}")
            vals = pd.to_numeric(df[c], errors="coerce")
            if vals.isna().any():
                i = int(vals.isna().to_numpy().nonzero()[0][0])
                raise InputError(fname, f"value {df[c].iloc[i]!r} is not a number", row=i + 2,
                                 column=c, expected="a number")
            df[c] = vals
    for c in ("dx_km", "dy_km"):
        nbh[c] = pd.to_numeric(nbh[c].replace("", None), errors="coerce")
    bad = set(mun["kind"]) - set(KINDS)
    if bad:
        raise InputError("demo_municipalities.csv", f"unknown municipality kind {min(bad)!r}",
                         column="kind", expected=f"one of {', '.join(KINDS)}")
    unknown = set(nbh["municipality"]) - set(mun["code"])
    if unknown:
        raise InputError("demo_neighbourhoods.csv", f"unknown municipality {min(unknown)!r}",
                         column="municipality", expected="a code of demo_municipalities.csv")
    return DemoParams(scalars, upper, mun, nbh, ctry, od)
