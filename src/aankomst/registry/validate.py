"""Validation of resource records (from forms, the API and import files).

A record is a mapping of field name to value. Multi-valued fields (``domains``, ``spheres``,
``eligibility``, ``functions``, ``languages``) accept a list or a text with values separated
by ``;`` or ``,``. Every problem names the field, the bad value and what was expected.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from aankomst.errors import AankomstError
from aankomst.registry.limits import ID_MAX, Limits, current

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
        """JSON-ready form (the value shortened to 200 characters, never NaN/Infinity)."""
        return {"row": self.row, "column": self.column, "value": shown(self.value),
                "message": self.message, "expected": self.expected}

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        text = f"{where}column {self.column!r}: {self.message}"
        return text + (f" (expected: {self.expected})" if self.expected else "")


def shown(v: Any, width: int = 200) -> Any:
    """A JSON-safe, shortened copy of a bad value for error reports."""
    if v is None or isinstance(v, bool) or isinstance(v, int) and abs(v) < 10**15:
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    text = v if isinstance(v, str) else repr(v)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates
    return text if len(text) <= width else text[:width] + "…"


def type_name(v: Any) -> str:
    """The JSON name of a value's type (for messages: "expected a text, got a list")."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a text"
    if isinstance(v, (list, tuple)):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def parse_id(v: Any, column: str = "id", *, row: int | None = None,
             expected: str = "an integer id") -> int:
    """An integer id (or version) from JSON (an integer, not 1.9 or true) or text (digits).

    Raises
    ------
    ValidationFailed
        For any other value, or an integer outside 1..2,147,483,647.
    """
    n: int | None = None
    if isinstance(v, int) and not isinstance(v, bool):
        n = v
    elif isinstance(v, str) and re.fullmatch(r"\s*\d{1,10}\s*", v):
        n = int(v)
    if n is None:
        got = f"{type_name(v)} {shown(v, 40)!r}" if v is not None else "nothing"
        raise ValidationFailed([Problem(column, v, f"{column} must be a whole number, got {got}",
                                        f"{expected}: an integer 1..{ID_MAX}", row)])
    if not (1 <= n <= ID_MAX):
        raise ValidationFailed([Problem(column, v, f"{column} {shown(n, 40)} is out of range",
                                        f"{expected}: an integer 1..{ID_MAX}", row)])
    return n


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
    """Turn a list or a ``;``/``,``-separated text into a list of trimmed, non-empty codes.

    Duplicates are dropped (first occurrence kept) in linear time.
    """
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        items = [p for v in value for p in re.split(r"[;,|]", str(v))]
    else:
        items = re.split(r"[;,|]", str(value))
    return list(dict.fromkeys(i for i in (x.strip() for x in items) if i))


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip() == ""


def clean_record(
    data: Mapping[str, Any], *, partial: bool = False, row: int | None = None,
    limits: Limits | None = None,
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
    limits
        Most values of a multi-valued field (default :func:`aankomst.registry.limits.current`).

    Types are strict: a text field takes a text (not a list, object, number or boolean), a
    multi-valued field a list of texts or one text with ``;``-separated codes, ``lon``/``lat``
    a finite number or a text holding one.

    Returns
    -------
    (clean, problems)
        ``clean`` holds the normalised values of the fields present (lists of codes, floats,
        ``datetime.date``, ``None`` for emptied optional fields); ``problems`` is empty when
        the record is valid.
    """
    tax = taxonomy()
    lim = limits or current()
    clean: dict[str, Any] = {}
    probs: list[Problem] = []

    def bad(col: str, val: Any, msg: str, exp: str = "") -> None:
        probs.append(Problem(col, val, msg, exp, row))

    unknown = [k for k in data if k not in ALL_FIELDS and k not in ("id", "version")]
    for k in unknown[:20]:
        bad(str(k)[:100], data[k], f"unknown field {str(k)[:100]!r}", "one of " + ", ".join(ALL_FIELDS))
    for f in ALL_FIELDS:
        if f not in data:
            if not partial and f in REQUIRED:
                bad(f, None, "missing required field", _expect(f))
            continue
        v = data[f]
        if f in MULTI_FIELDS:
            if isinstance(v, (list, tuple)) and len(v) > lim.list_items:
                bad(f, f"{len(v)} values", f"too many values ({len(v)})", f"at most {lim.list_items}")
                continue
            if not (v is None or isinstance(v, str)
                    or isinstance(v, (list, tuple)) and all(isinstance(i, str) for i in v)):
                odd = next((i for i in v if not isinstance(i, str)), v) if isinstance(v, (list, tuple)) else v
                bad(f, v, f"expected a list of texts or a text, got {type_name(odd)}"
                    + (" in the list" if odd is not v else ""), _expect(f))
                continue
            codes = split_multi(v)
            if len(codes) > lim.list_items:
                bad(f, f"{len(codes)} values", f"too many values ({len(codes)})", f"at most {lim.list_items}")
                continue
            known = tax[MULTI_FIELDS[f]]
            wrong = [c for c in codes if c not in known]
            if wrong:
                more = f" (and {len(wrong) - 10} more)" if len(wrong) > 10 else ""
                bad(f, ";".join(wrong[:10]),
                    f"unknown {MULTI_FIELDS[f]} code(s) {', '.join(repr(w[:40]) for w in wrong[:10])}{more}",
                    _expect(f))
            elif f in REQUIRED and not codes:
                bad(f, v, "at least one value is required", _expect(f))
            clean[f] = codes
        elif not (v is None or isinstance(v, str) or isinstance(v, float) and math.isnan(v)
                  or f in ("lon", "lat") and isinstance(v, (int, float)) and not isinstance(v, bool)
                  or f in DATE_FIELDS and isinstance(v, date)
                  or f == "municipality_nis" and isinstance(v, int) and not isinstance(v, bool)):
            bad(f, v, f"expected {_kind(f)}, got {type_name(v)}", _expect(f))
        elif f in SINGLE_FIELDS:
            if _blank(v):
                if f in REQUIRED:
                    bad(f, v, "missing required value", _expect(f))
                continue
            c = str(v).strip()
            if c not in tax[SINGLE_FIELDS[f]]:
                bad(f, c, f"unknown {f} code {c[:40]!r}", _expect(f))
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
            except (TypeError, ValueError, OverflowError):
                bad(f, v, "not a number", f"decimal degrees WGS84 (EPSG:4326) between {rng[0]} and {rng[1]}")
                continue
            if not math.isfinite(x):
                bad(f, v, f"{f} must be a finite number, got {x}",
                    f"decimal degrees WGS84 (EPSG:4326) between {rng[0]} and {rng[1]}")
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
                bad(f, str(v)[:40], "not a date", "YYYY-MM-DD")
        elif f == "municipality_nis":
            if _blank(v):
                clean[f] = None
                continue
            t = str(v).strip()
            t = t.removesuffix(".0")
            if not re.fullmatch(r"\d{5}", t):
                bad(f, t[:40], "not a 5-digit NIS code", "e.g. 11002 (Antwerpen) or 21004 (Brussel)")
            clean[f] = t
    vf, vt = clean.get("valid_from"), clean.get("valid_to")
    if vf and vt and vt < vf:
        bad("valid_to", vt.isoformat(), f"closing date before opening date {vf.isoformat()}",
            "valid_to on or after valid_from")
    return clean, probs


def _kind(f: str) -> str:
    if f in ("lon", "lat"):
        return "a number"
    if f in DATE_FIELDS:
        return "a date text YYYY-MM-DD"
    if f == "municipality_nis":
        return "a 5-digit NIS code"
    return "a text"


def _expect(f: str) -> str:
    if f in MULTI_FIELDS:
        codes = list(taxonomy()[MULTI_FIELDS[f]])
        return "codes separated by ';' from: " + ", ".join(codes)
    if f in SINGLE_FIELDS:
        return "one of: " + ", ".join(taxonomy()[SINGLE_FIELDS[f]])
    if f in ("lon", "lat"):
        return "decimal degrees WGS84 (EPSG:4326)"
    return "a value"


class JSONProblem(ValueError):
    """A JSON document that is malformed or exceeds a limit (the message says which)."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json(raw: bytes | str, *, max_depth: int = 20, max_items: int | None = None,
               max_string: int | None = None) -> Any:
    """Parse JSON strictly: no ``NaN``/``Infinity``/overflowing numbers, no lone surrogates,
    bounded nesting, array sizes and text lengths.

    Parameters
    ----------
    raw
        The document (UTF-8/16/32 bytes or text).
    max_depth
        Deepest nesting of arrays and objects.
    max_items
        Most items in one array (``None``: unbounded).
    max_string
        Longest text (``None``: unbounded).

    Raises
    ------
    JSONProblem
        Naming what is wrong and the limit that applies.

    Examples
    --------
    >>> parse_json(b'{"version": 2}')
    {'version': 2}
    >>> try:
    ...     parse_json(b'[NaN]')
    ... except JSONProblem as exc:
    ...     print(exc)
    NaN is not a JSON number (expected a finite number)
    """
    def constant(c: str) -> Any:
        raise JSONProblem(f"{c} is not a JSON number (expected a finite number)")

    def number(t: str) -> float:
        v = float(t)
        if not math.isfinite(v):
            raise JSONProblem(f"number {t[:40]} is out of range (expected a finite number)")
        return v

    try:
        doc = json.loads(raw, parse_constant=constant, parse_float=number)
    except RecursionError:
        raise JSONProblem(f"nested too deeply (at most {max_depth} levels of arrays/objects)") from None
    except json.JSONDecodeError as exc:
        raise JSONProblem(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except UnicodeDecodeError as exc:
        raise JSONProblem(f"not UTF-8 text (byte {exc.start})") from None
    except JSONProblem:
        raise
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise JSONProblem(f"not valid JSON: {str(exc)[:200]}") from None
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, str):
            if _SURROGATE.search(v):
                raise JSONProblem("text contains a lone surrogate (\\ud800-\\udfff), which is not Unicode text")
            if max_string is not None and len(v) > max_string:
                raise JSONProblem(f"text too long ({len(v)} characters; at most {max_string})")
        elif isinstance(v, (list, dict)):
            if depth + 1 > max_depth:
                raise JSONProblem(f"nested too deeply (at most {max_depth} levels of arrays/objects)")
            if isinstance(v, list):
                if max_items is not None and len(v) > max_items:
                    raise JSONProblem(f"array too long ({len(v)} items; at most {max_items})")
                stack.extend((i, depth + 1) for i in v)
            else:
                stack.extend((k, depth + 1) for k in v)
                stack.extend((i, depth + 1) for i in v.values())
    return doc
