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

Export protects spreadsheet users from formula injection: a text starting with ``= + - @`` is
written with a leading apostrophe (as is a text that itself starts with one), which import
strips again, so export → import round-trips every text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from aankomst.errors import InputError
from aankomst.registry.validate import ALL_FIELDS, MULTI_FIELDS, Problem, clean_record

EXPORT_COLUMNS: tuple[str, ...] = ("id", "version", *ALL_FIELDS)
_FORMULA = ("=", "+", "-", "@")


def _unguard(v: Any) -> Any:
    if isinstance(v, str) and len(v) > 1 and v[0] == "'" and (v[1] in _FORMULA or v[1] == "'"):
        return v[1:]
    return v


def _guard(v: Any) -> Any:
    if isinstance(v, str) and ((v[:1] in _FORMULA and not _is_number(v)) or v[:1] == "'"):
        return "'" + v
    return v


def _is_number(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


def read_records(data: bytes | str | Path, *, fmt: str | None = None,
                 name: str = "upload") -> list[tuple[int, dict[str, Any]]]:
    """Parse an import file into ``[(row_number, record)]``.

    ``row_number`` is the spreadsheet row (header = 1) for CSV, the 1-based feature number
    for GeoJSON.

    Raises
    ------
    InputError
        For undecodable bytes, malformed JSON/GeoJSON or a CSV without a header.
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
        return _read_geojson(text, name)
    if fmt != "csv":
        raise InputError(name, f"unknown format {fmt!r}", expected="csv or geojson")
    return _read_csv(text, name)


def _read_csv(text: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    first = text.split("\n", 1)[0]
    delim = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(name, "empty file", row=1, expected="a header row with column names") from None
    header = [h.strip() for h in header]
    allowed = set(EXPORT_COLUMNS) | {"deleted", "active", "created_at", "updated_at"}
    unknown = [h for h in header if h not in allowed]
    if unknown:
        raise InputError(name, f"unknown column(s) {', '.join(map(repr, unknown))}", row=1,
                         column=unknown[0], expected="columns among " + ", ".join(EXPORT_COLUMNS))
    if "name" not in header:
        raise InputError(name, "no 'name' column", row=1, column="name",
                         expected="a header row with at least " + ", ".join(("name", "domains", "lon", "lat")))
    out = []
    for i, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(name, f"{len(row)} fields instead of {len(header)}", row=i,
                             expected=f"{len(header)} fields separated by {delim!r}")
        rec = {h: _unguard(v) for h, v in zip(header, row)
               if h not in ("deleted", "active", "created_at", "updated_at")}
        out.append((i, rec))
    return out


def _read_geojson(text: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"invalid JSON: {exc.msg} at line {exc.lineno}",
                         expected="a GeoJSON FeatureCollection") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError(name, "not a GeoJSON FeatureCollection", expected='{"type": "FeatureCollection", …}')
    out = []
    for i, f in enumerate(doc.get("features") or [], start=1):
        geom = (f or {}).get("geometry") or {}
        if geom.get("type") != "Point" or not isinstance(geom.get("coordinates"), list) \
                or len(geom["coordinates"]) < 2:
            raise InputError(name, f"feature {i} has geometry {geom.get('type')!r}", row=i,
                             column="geometry", expected="a Point with [lon, lat] in WGS84")
        rec = {k: v for k, v in (f.get("properties") or {}).items()
               if k not in ("deleted", "active", "created_at", "updated_at")}
        rec["lon"], rec["lat"] = geom["coordinates"][0], geom["coordinates"][1]
        if f.get("id") is not None and "id" not in rec:
            rec["id"] = f["id"]
        out.append((i, rec))
    return out


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

    from aankomst.registry.models import AuditEntry, Resource, ResourceTerm
    from aankomst.registry.service import (
        Conflict,
        _fill_municipality,
        can_edit,
        now,
        update_resource,
    )
    from aankomst.registry.validate import ValidationFailed

    problems: list[Problem] = []
    creates: list[tuple[int, dict[str, Any]]] = []
    updates: list[tuple[int, int, Any, dict[str, Any]]] = []
    for row, rec in records:
        rid = rec.pop("id", None)
        ver = rec.pop("version", None)
        rid = None if rid in (None, "") else rid
        if rid is not None:
            try:
                rid = int(rid)
            except (TypeError, ValueError):
                problems.append(Problem("id", rid, "not an integer id", "empty (new) or an existing id", row))
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
        if not probs:
            try:
                _fill_municipality(clean, atlas_path, row)
            except ValidationFailed as exc:
                probs += exc.problems
        if not probs and user is not None and not can_edit(user, clean.get("municipality_nis")):
            probs.append(Problem("municipality_nis", clean.get("municipality_nis"),
                                 f"outside the scope of user {user.name!r}",
                                 "one of " + (", ".join(user.scope_codes) or "(no municipalities)"), row))
        problems += probs
        creates.append((row, clean))
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
                except (Conflict, ValidationFailed, Exception) as exc:  # noqa: BLE001 - reported per row
                    msg = getattr(exc, "args", [str(exc)])[0] if getattr(exc, "args", None) else str(exc)
                    problems.append(Problem("id", rid, str(msg), "an up-to-date row", row))
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


def to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV text (comma separated, multi-valued fields joined by ``;``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # RFC 4180; quotes fields holding \r or \n
    w.writerow(EXPORT_COLUMNS)
    for r in rows:
        w.writerow(["" if r.get(c) is None else
                    (";".join(r[c]) if isinstance(r[c], list) else _guard(r[c])) for c in EXPORT_COLUMNS])
    return buf.getvalue()


def to_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """GeoJSON FeatureCollection (WGS84 points, properties = the other fields)."""
    feats = []
    for r in rows:
        props = {k: v for k, v in r.items() if k not in ("lon", "lat")}
        feats.append({"type": "Feature", "id": r["id"],
                      "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                      "properties": props})
    return {"type": "FeatureCollection", "features": feats}
