"""Parameters of the synthetic register, read from ``data/register_params.csv``.

The table has one row per parameter (``param``, optional ``key``, ``value``, ``unit``,
descriptions nl/en and the ``source`` of the value). ``docs/register.md`` explains each one.
Callers may override single values (``overrides={"move_rate": 0.08}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aankomst.errors import InputError


@dataclass
class RegisterParams:
    """Parsed parameter table.

    Attributes
    ----------
    scalars
        ``param -> float`` for rows without a key.
    keyed
        ``param -> {key: value}`` for rows with a key (values as float when numeric, else text).
    path
        File the table was read from.
    """

    scalars: dict[str, float] = field(default_factory=dict)
    keyed: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: str = ""

    def __getitem__(self, name: str) -> float:
        if name not in self.scalars:
            raise KeyError(f"register parameter {name!r} is not in {self.path}")
        return self.scalars[name]

    def table(self, name: str) -> dict[str, Any]:
        """Return the keyed rows of parameter ``name`` (e.g. ``country``)."""
        return dict(self.keyed.get(name, {}))


def load_params(path: str | Path | None = None, overrides: dict[str, float] | None = None) -> RegisterParams:
    """Read the parameter table (default: the packaged ``register_params.csv``).

    Raises
    ------
    InputError
        When a row has an empty ``param`` or a non-numeric value where a number is expected.
    """
    import csv

    from aankomst.paths import package_data

    p = Path(path) if path else package_data("register_params.csv")
    out = RegisterParams(path=str(p))
    with open(p, newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            name = (row.get("param") or "").strip()
            if not name:
                raise InputError(str(p), "empty parameter name", row=i, column="param",
                                 expected="a parameter name such as move_rate")
            key = (row.get("key") or "").strip()
            raw = (row.get("value") or "").strip()
            try:
                val: Any = float(raw)
            except ValueError:
                if not key:
                    raise InputError(str(p), f"value {raw!r} is not a number", row=i,
                                     column="value", expected="a number") from None
                val = raw
            if key:
                out.keyed.setdefault(name, {})[key] = val
            else:
                out.scalars[name] = val
    for k, v in (overrides or {}).items():
        out.scalars[k] = float(v)
    return out


def country_groups(params: RegisterParams | None = None) -> dict[str, str]:
    """ISO alpha-3 -> nationality_group6 for the countries the generator uses.

    Uses the project-wide table ``data/nationality_groups.csv`` when it exists (columns
    ``iso3`` and ``group6``), the ``country_group`` rows of the register parameters otherwise.
    """
    import csv

    from aankomst.paths import package_data

    groups = {k: str(v) for k, v in (params or load_params()).table("country_group").items()}
    shared = package_data("nationality_groups.csv")
    if shared.exists():
        try:
            with open(shared, newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    iso = (row.get("iso3") or row.get("country") or "").strip()
                    g = (row.get("group6") or row.get("group") or "").strip()
                    if iso and g:
                        groups[iso] = g
        except OSError:  # pragma: no cover - unreadable shared table: keep ours
            pass
    return groups
