"""Validation of resource records (from forms, the API and import files).

A record is a mapping of field name to value. Multi-valued fields (``domains``, ``spheres``,
``eligibility``, ``functions``, ``languages``) accept a list or a text with values separated
by ``;`` or ``,``. Every problem names the field, the bad value and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from aankomst.errors import AankomstError

MULTI_FIELDS: dict[str, str] = {
    "domains": "domain",
    "spheres": "sphere",
    "eligibility": "eligibility",
    "functions": "function",
    "languages": "language",
}
"""Record field -> vocabulary, for multi-valued fields."""

SINGLE_FIELDS: dict[str, str] = {
    "provider_type": "provider_type",
    "formality": "formality",
    "scale": "scale",
}
"""Record field -> vocabulary, for single-valued fields."""

TEXT_FIELDS: dict[str, int] = {
    "name": 300,
    "description": 10000,
    "address": 500,
    "opening_hours": 2000,
    "contact": 2000,
    "website": 500,
    "source": 2000,
}
"""Free-text fields and their maximum length (characters)."""

DATE_FIELDS: tuple[str, ...] = ("last_verified", "valid_from", "valid_to")
REQUIRED: tuple[str, ...] = (
    "name", "domains", "spheres", "provider_type", "formality", "scale", "lon", "lat",
)
ALL_FIELDS: tuple[str, ...] = (
    "name", "description", "domains", "spheres", "provider_type", "formality", "scale",
    "eligibility", "functions", "languages", "address", "municipality_nis", "lon", "lat",
    "opening_hours", "contact", "website", "source", "last_verified", "valid_from", "valid_to",
)
"""Editable fields of a resource, in display/export order."""

BELGIUM_LON = (2.3, 6.5)
BELGIUM_LAT = (49.4, 51.6)
"""Plausible WGS84 ranges (degrees) for a resource in Belgium (catches swapped lon/lat)."""


@dataclass
class Problem:
    """One validation problem of a record."""

    column: str
    value: Any
    message: str
    expected: str = ""
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        v = self.value
        if v is not None and not isinstance(v, (int, float, bool, str, list)):
            v = str(v)
        return {"row": self.row, "column": self.column, "value": v, "message": self.message,
                "expected": self.expected}

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        text = f"{where}column {self.column!r}: {self.message}"
        return text + (f" (expected: {self.expected})" if self.expected else "")


class ValidationFailed(AankomstError):
    """A record (or import file) failed validation; ``problems`` lists every issue."""

    status = 422

    def __init__(self, problems: list[Problem], file: str | None = None) -> None:
        self.problems = problems
        self.file = file
        head = f"{file}: " if file else ""
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{head}{problems[0]}{more}" if problems else f"{head}invalid record")


@lru_cache(maxsize=1)
def taxonomy() -> dict[str, dict[str, dict[str, Any]]]:
    """All vocabularies: ``{vocabulary: {code: term dict}}`` (from the package CSV files)."""
    from aankomst.registry.db import VOCAB_FILES, read_vocabulary

    return {v: {t["code"]: t for t in read_vocabulary(v)} for v in VOCAB_FILES}


def eligible_codes(code: str) -> list[str]:
    """Eligibility codes under which a person of category ``code`` is admitted.

    ``code`` itself plus every broader code whose ``includes`` names it (for example
    ``undocumented`` -> ``["status_all", "undocumented"]``).
    """
    terms = taxonomy()["eligibility"]
    if code not in terms:
        from aankomst.errors import UnknownCodeError

        raise UnknownCodeError("eligibility", code, known=list(terms))
    out = {code}
    for c, t in terms.items():
        inc = ((t.get("extra") or {}).get("includes") or "").split(";")
        if code in [i.strip() for i in inc]:
            out.add(c)
    return sorted(out)


def split_multi(value: Any) -> list[str]:
    """Turn a list or a ``;``/``,``-separated text into a list of trimmed, non-empty codes."""
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        items = [p for v in value for p in re.split(r"[;,|]", str(v))]
    else:
        items = re.split(r"[;,|]", str(value))
    out: list[str] = []
    for i in items:
        i = i.strip()
        if i and i not in out:
            out.append(i)
    return out


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and v != v:
        return True
    return isinstance(v, str) and v.strip() == ""


def clean_record(
    data: Mapping[str, Any], *, partial: bool = False, row: int | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """Validate and normalise one record.

    Parameters
    ----------
    data
        Field -> value (strings from forms/CSV, or typed values from JSON).
    partial
        Only the fields present are checked (PATCH); required fields may be absent.
    row
        Row number reported in problems (import files).

    Returns
    -------
    (clean, problems)
        ``clean`` holds the normalised values of the fields present (lists of codes, floats,
        ``datetime.date``, ``None`` for emptied optional fields); ``problems`` is empty when
        the record is valid.
    """
    tax = taxonomy()
    clean: dict[str, Any] = {}
    probs: list[Problem] = []

    def bad(col: str, val: Any, msg: str, exp: str = "") -> None:
        probs.append(Problem(col, val, msg, exp, row))

    unknown = [k for k in data if k not in ALL_FIELDS and k not in ("id", "version")]
    for k in unknown:
        bad(k, data[k], f"unknown field {k!r}", "one of " + ", ".join(ALL_FIELDS))
    for f in ALL_FIELDS:
        if f not in data:
            if not partial and f in REQUIRED:
                bad(f, None, "missing required field", _expect(f))
            continue
        v = data[f]
        if f in MULTI_FIELDS:
            codes = split_multi(v)
            known = tax[MULTI_FIELDS[f]]
            wrong = [c for c in codes if c not in known]
            if wrong:
                bad(f, ";".join(wrong), f"unknown {MULTI_FIELDS[f]} code(s) {', '.join(map(repr, wrong))}",
                    _expect(f))
            elif f in REQUIRED and not codes:
                bad(f, v, "at least one value is required", _expect(f))
            clean[f] = codes
        elif f in SINGLE_FIELDS:
            if _blank(v):
                if f in REQUIRED:
                    bad(f, v, "missing required value", _expect(f))
                continue
            c = str(v).strip()
            if c not in tax[SINGLE_FIELDS[f]]:
                bad(f, c, f"unknown {f} code {c!r}", _expect(f))
            clean[f] = c
        elif f in TEXT_FIELDS:
            if _blank(v):
                if f in REQUIRED:
                    bad(f, v, "missing required value", "a non-empty text")
                else:
                    clean[f] = None
                continue
            t = str(v).strip()
            if len(t) > TEXT_FIELDS[f]:
                bad(f, t[:40] + "…", f"text too long ({len(t)} characters)",
                    f"at most {TEXT_FIELDS[f]} characters")
            elif "\x00" in t:
                bad(f, t[:40], "text contains a NUL character", "printable text")
            clean[f] = t
        elif f in ("lon", "lat"):
            rng = BELGIUM_LON if f == "lon" else BELGIUM_LAT
            try:
                x = float(str(v).replace(",", ".")) if not isinstance(v, (int, float)) else float(v)
            except (TypeError, ValueError):
                bad(f, v, "not a number", f"decimal degrees WGS84 (EPSG:4326) between {rng[0]} and {rng[1]}")
                continue
            if not (rng[0] <= x <= rng[1]):
                bad(f, v, f"{f} {x} lies outside Belgium",
                    f"decimal degrees WGS84 (EPSG:4326) between {rng[0]} and {rng[1]}; lon and lat swapped?")
            clean[f] = x
        elif f in DATE_FIELDS:
            if _blank(v):
                clean[f] = None
                continue
            if isinstance(v, date):
                clean[f] = v
                continue
            try:
                clean[f] = date.fromisoformat(str(v).strip()[:10])
            except ValueError:
                bad(f, v, "not a date", "YYYY-MM-DD")
        elif f == "municipality_nis":
            if _blank(v):
                clean[f] = None
                continue
            t = str(v).strip()
            t = t.removesuffix(".0")
            if not re.fullmatch(r"\d{5}", t):
                bad(f, v, "not a 5-digit NIS code", "e.g. 11002 (Antwerpen) or 21004 (Brussel)")
            clean[f] = t
    vf, vt = clean.get("valid_from"), clean.get("valid_to")
    if vf and vt and vt < vf:
        bad("valid_to", vt.isoformat(), f"closing date before opening date {vf.isoformat()}",
            "valid_to on or after valid_from")
    return clean, probs


def _expect(f: str) -> str:
    if f in MULTI_FIELDS:
        codes = list(taxonomy()[MULTI_FIELDS[f]])
        return "codes separated by ';' from: " + ", ".join(codes)
    if f in SINGLE_FIELDS:
        return "one of: " + ", ".join(taxonomy()[SINGLE_FIELDS[f]])
    if f in ("lon", "lat"):
        return "decimal degrees WGS84 (EPSG:4326)"
    return "a value"
