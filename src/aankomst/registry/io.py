"""Bulk import and export of resources (CSV and GeoJSON), all-or-nothing.

File formats
------------
CSV (UTF-8, ``,`` or ``;`` separated, header row): the columns of
:data:`aankomst.registry.validate.ALL_FIELDS` plus optional ``id`` and ``version``.
Multi-valued columns hold codes separated by ``;``. A row without ``id`` creates a resource;
a row with ``id`` updates that resource and must carry the ``version`` it was exported with
(a stale version is a conflict, reported per row). GeoJSON: a ``FeatureCollection`` of
``Point`` features (WGS84 lon/lat) whose ``properties`` are the same fields (lists allowed).

Import validates every row first and returns a report (rows, created, updated, problems with
row/column/value/expected). Any problem → nothing is written. Otherwise all rows are written
in **one transaction**: killing the process mid-way leaves the registry as it was.

Export protects spreadsheet users from formula injection through :mod:`aankomst.csvsafe`
(every text quoted; a text — or a piece after a ``,``/``;``/line break — that starts with
``= + - @``, a tab or CR gets a leading apostrophe, as does one that itself starts with an
apostrophe; plain numbers stay as they are). Import removes those apostrophes again
(:func:`aankomst.csvsafe.restore`), so export → import round-trips every text.

Imports are bounded: the web routes pass ``max_rows`` (see
:class:`aankomst.registry.limits.Limits`); GeoJSON is parsed strictly (no NaN/Infinity, no
lone surrogates, bounded nesting) and every malformed feature is an :class:`InputError`
naming the feature.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from aankomst import csvsafe
from aankomst.errors import InputError
from aankomst.registry.validate import ALL_FIELDS, MULTI_FIELDS, Problem, clean_record

EXPORT_COLUMNS: tuple[str, ...] = ("id", "version", *ALL_FIELDS)
_DERIVED = ("deleted", "active", "created_at", "updated_at")


def read_records(data: bytes | str | Path, *, fmt: str | None = None, name: str = "upload",
                 max_rows: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Parse an import file into ``[(row_number, record)]``.

    ``row_number`` is the spreadsheet row (header = 1) for CSV, the 1-based feature number
    for GeoJSON.

    Parameters
    ----------
    data
        The file's bytes or text, or its path.
    fmt
        ``csv`` or ``geojson`` (default: from the extension or the first character).
    name
        File name used in messages.
    max_rows
        Most data rows/features accepted (``None``: no limit, the command line).

    Raises
    ------
    InputError
        For undecodable bytes, malformed CSV/JSON/GeoJSON, a CSV without a header, or more
        rows than ``max_rows``.
    """
    if isinstance(data, Path) or (isinstance(data, str) and "\n" not in data and Path(data).exists()):
        p = Path(data)
        name = str(p)
        fmt = fmt or ("geojson" if p.suffix.lower() in (".geojson", ".json") else "csv")
        data = p.read_bytes()
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"not UTF-8 text (byte {exc.start})", expected="a UTF-8 encoded file") from None
    if fmt is None:
        fmt = "geojson" if text.lstrip().startswith("{") else "csv"
    if fmt == "geojson":
        out = _read_geojson(text, name)
    elif fmt == "csv":
        out = _read_csv(text, name)
    else:
        raise InputError(name, f"unknown format {str(fmt)[:40]!r}", expected="csv or geojson")
    if max_rows is not None and len(out) > max_rows:
        raise InputError(name, f"{len(out)} rows; at most {max_rows} are accepted in one import",
                         expected=f"a file of at most {max_rows} rows (split it)")
    return out


def _read_csv(text: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        return _parse_csv(text, name)
    except csv.Error as exc:
        raise InputError(name, f"malformed CSV: {exc}", expected="RFC 4180 CSV in UTF-8") from None


def _parse_csv(text: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    first = text.split("\n", 1)[0]
    delim = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(name, "empty file", row=1, expected="a header row with column names") from None
    header = [h.strip() for h in header]
    allowed = set(EXPORT_COLUMNS) | {"deleted", "active", "created_at", "updated_at"}
    unknown = [h[:60] for h in header if h not in allowed]
    if unknown:
        raise InputError(name, f"unknown column(s) {', '.join(map(repr, unknown[:10]))}", row=1,
                         column=unknown[0], expected="columns among " + ", ".join(EXPORT_COLUMNS))
    if "name" not in header and "id" not in header:  # update rows (with id) may change only some fields
        raise InputError(name, "no 'name' column", row=1, column="name",
                         expected="a header row with at least name, domains, lon, lat")
    out = []
    for i, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(name, f"{len(row)} fields instead of {len(header)}", row=i,
                             expected=f"{len(header)} fields separated by {delim!r}")
        rec = {h: csvsafe.restore(v) for h, v in zip(header, row, strict=True) if h not in _DERIVED}
        out.append((i, rec))
    return out


def _read_geojson(text: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    from aankomst.registry.limits import current
    from aankomst.registry.validate import JSONProblem, parse_json

    lim = current()
    try:
        doc = parse_json(text, max_depth=lim.json_depth, max_string=lim.string_chars)
    except JSONProblem as exc:
        raise InputError(name, f"invalid JSON: {exc}", expected="a GeoJSON FeatureCollection") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError(name, "not a GeoJSON FeatureCollection", expected='{"type": "FeatureCollection", …}')
    feats = doc.get("features")
    if feats is None:
        feats = []
    if not isinstance(feats, list):
        raise InputError(name, f"'features' is {_json_type(feats)}", column="features",
                         expected="a list of Point features")
    out = []
    for i, f in enumerate(feats, start=1):
        if not isinstance(f, dict):
            raise InputError(name, f"feature {i} is {_json_type(f)}", row=i,
                             expected='a Feature object {"type": "Feature", "geometry": …, "properties": {…}}')
        geom = f.get("geometry")
        gtype = geom.get("type") if isinstance(geom, dict) else None
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        if gtype != "Point" or not isinstance(coords, list) or len(coords) < 2:
            what = f"geometry {str(gtype)[:40]!r}" if isinstance(geom, dict) else f"geometry {_json_type(geom)}"
            raise InputError(name, f"feature {i} has {what}", row=i,
                             column="geometry", expected="a Point with [lon, lat] in WGS84")
        props = f.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            raise InputError(name, f"feature {i} has properties that are {_json_type(props)}", row=i,
                             column="properties", expected="an object of resource fields")
        rec = {k: v for k, v in props.items() if k not in _DERIVED}
        rec["lon"], rec["lat"] = coords[0], coords[1]
        if f.get("id") is not None and "id" not in rec:
            rec["id"] = f["id"]
        out.append((i, rec))
    return out


def _json_type(v: Any) -> str:
    from aankomst.registry.validate import type_name

    return type_name(v)


def import_records(
    session_factory: Any,
    records: list[tuple[int, dict[str, Any]]],
    *,
    user: Any = None,
    actor: str = "import",
    atlas_path: str | None = None,
    dry_run: bool = False,
    file: str = "upload",
    on_progress: Callable[[int], None] | None = None,
    chunk: int = 1000,
) -> dict[str, Any]:
    """Validate and (unless ``dry_run`` or invalid) write records in one transaction.

    Parameters
    ----------
    session_factory
        A write session factory (:func:`aankomst.registry.db.session_factory` with
        ``write=True``).
    user
        The acting :class:`~aankomst.registry.models.User` (scope checked per row); ``None``
        for the command line (full rights, audited as ``actor``).
    on_progress
        Called with the number of rows written after each flushed chunk (inside the open
        transaction).

    Returns
    -------
    dict
        The validation report: ``ok, file, rows, created, updated, problems`` (list of
        ``{row, column, value, message, expected}``), ``written`` (bool).
    """
    from sqlalchemy import insert

    from aankomst.registry.areas import municipality_lookup
    from aankomst.registry.models import AuditEntry, Resource, ResourceTerm
    from aankomst.registry.service import Conflict, RegistryHTTPError, now, place, update_resource
    from aankomst.registry.validate import ValidationFailed, parse_id

    problems: list[Problem] = []
    creates: list[tuple[int, dict[str, Any]]] = []
    updates: list[tuple[int, int, Any, dict[str, Any]]] = []
    for i, (row, rec) in enumerate(records):
        if i % 25 == 24:
            time.sleep(0)  # let the server's other threads take the GIL (imports run in a worker)
        rid = rec.pop("id", None)
        ver = rec.pop("version", None)
        rid = None if rid in (None, "") else rid
        if rid is not None:
            try:
                rid = parse_id(rid, "id", row=row, expected="empty (new) or an existing id")
            except ValidationFailed as exc:
                problems += exc.problems
                continue
            rec = {k: v for k, v in rec.items() if v not in (None,)}
            clean, probs = clean_record(rec, partial=True, row=row)
            if ver in (None, ""):
                probs.append(Problem("version", ver, f"updating resource {rid} needs its version",
                                     "the version column from the export", row))
            problems += probs
            updates.append((row, rid, ver, rec))
            continue
        clean, probs = clean_record(rec, row=row)
        problems += probs
        if not probs:
            creates.append((row, clean))
    if creates:
        # where each new resource lies decides whether this user may add it (one vectorised lookup)
        with _read_session(session_factory) as rs:
            look = municipality_lookup(rs, atlas_path)
        ats = (look.municipalities([c["lon"] for _, c in creates], [c["lat"] for _, c in creates])
               if look is not None else [None] * len(creates))
        for (row, clean), at in zip(creates, ats, strict=True):
            try:
                clean["municipality_nis"] = place(user, clean.get("municipality_nis"), clean["lon"],
                                                  clean["lat"], look, row=row, at=at)
            except ValidationFailed as exc:
                problems += exc.problems
            except RegistryHTTPError as exc:
                problems.append(Problem("municipality_nis", clean.get("municipality_nis"), str(exc),
                                        "a location inside one of " + (", ".join(user.scope_codes) or "(none)")
                                        if user is not None else "", row))
    report: dict[str, Any] = {"ok": not problems, "file": file, "rows": len(records),
                              "created": 0, "updated": 0, "written": False}
    if problems or dry_run:
        report["problems"] = [p.as_dict() for p in problems[:1000]]
        report["problems_total"] = len(problems)
        if not problems:
            report["created"], report["updated"] = len(creates), len(updates)
        return report
    username = user.name if user is not None else actor
    with session_factory() as s:
        with s.begin():
            done = 0
            t = now()
            for start in range(0, len(creates), chunk):
                part = creates[start: start + chunk]
                rows = []
                for _, c in part:
                    r = {k: v for k, v in c.items() if k not in MULTI_FIELDS}
                    r.update(created_at=t, updated_at=t, version=1)
                    rows.append(r)
                ids = s.scalars(insert(Resource).returning(Resource.id, sort_by_parameter_order=True),
                                rows).all()
                terms, audits = [], []
                for rid, (_, c) in zip(ids, part):
                    for f, voc in MULTI_FIELDS.items():
                        for code in c.get(f) or []:
                            terms.append({"resource_id": rid, "vocabulary": voc, "code": code})
                    after = {"id": rid, **{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                           for k, v in c.items()}, "version": 1, "deleted": False}
                    audits.append({"resource_id": rid, "user_id": getattr(user, "id", None),
                                   "username": username, "action": "import", "at": t,
                                   "before": None, "after": after})
                if terms:
                    s.execute(insert(ResourceTerm), terms)
                s.execute(insert(AuditEntry), audits)
                s.flush()
                done += len(part)
                if on_progress:
                    on_progress(done)
            for row, rid, ver, rec in updates:
                try:
                    if user is None:
                        from aankomst.registry.models import User

                        sys_user = User(id=None, name=actor, role="admin", active=True, password_hash="")
                        update_resource(s, sys_user, rid, rec, ver, atlas_path=atlas_path)
                    else:
                        update_resource(s, user, rid, rec, ver, atlas_path=atlas_path)
                except (Conflict, ValidationFailed, RegistryHTTPError) as exc:  # reported per row
                    problems.append(Problem("id", rid, str(exc), "an up-to-date row you may edit", row))
                done += 1
                if on_progress and done % chunk == 0:
                    on_progress(done)
            if problems:
                s.rollback()
                report.update(ok=False, problems=[p.as_dict() for p in problems],
                              problems_total=len(problems))
                return report
    report.update(created=len(creates), updated=len(updates), written=True, problems=[],
                  problems_total=0)
    return report


def export_rows(resources: Iterable[Any]) -> list[dict[str, Any]]:
    """Resources as flat dicts in :data:`EXPORT_COLUMNS` order (lists kept as lists)."""
    from aankomst.registry.service import to_dict

    return [{k: to_dict(r).get(k) for k in EXPORT_COLUMNS} for r in resources]


def to_csv(rows: list[dict[str, Any]], sep: str = ",") -> str:
    """Spreadsheet-safe CSV text (:func:`aankomst.csvsafe.to_csv`; multi-valued fields joined
    by ``;``, numbers bare, every text quoted and neutralised)."""
    flat = [{c: (";".join(r[c]) if isinstance(r.get(c), list) else r.get(c)) for c in EXPORT_COLUMNS}
            for r in rows]
    text = csvsafe.to_csv(flat, sep=sep, columns=EXPORT_COLUMNS)
    assert text is not None
    return text


def _read_session(write_factory: Any) -> Any:
    """A read-only session on the same database as a write session factory (SQLite readers
    must not take the write lock)."""
    from aankomst.registry.db import session_factory

    bind = write_factory.kw["bind"]
    return session_factory(bind.url.render_as_string(hide_password=False))()


def to_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """GeoJSON FeatureCollection (WGS84 points, properties = the other fields)."""
    feats = []
    for r in rows:
        props = {k: v for k, v in r.items() if k not in ("lon", "lat")}
        feats.append({"type": "Feature", "id": r["id"],
                      "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                      "properties": props})
    return {"type": "FeatureCollection", "features": feats}
