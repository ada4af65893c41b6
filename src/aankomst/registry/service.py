"""Registry operations: search, create, update (optimistic concurrency), soft delete/restore,
history — each change checked against the user's role and scope and written to the audit log.

All functions take an open SQLAlchemy ``Session``; the caller commits (one transaction per
request or import).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from aankomst.errors import AankomstError
from aankomst.registry.limits import ID_MAX
from aankomst.registry.models import AuditEntry, Resource, ResourceTerm, User
from aankomst.registry.validate import (
    ALL_FIELDS,
    MULTI_FIELDS,
    Problem,
    ValidationFailed,
    clean_record,
    eligible_codes,
    parse_id,
)


class RegistryHTTPError(AankomstError):
    """An error with an HTTP status (mapped to one JSON error shape by the API)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        self.details = details
        super().__init__(message)


class Unauthorized(RegistryHTTPError):
    status, code = 401, "unauthorized"


class Forbidden(RegistryHTTPError):
    status, code = 403, "forbidden"


class NotFound(RegistryHTTPError):
    status, code = 404, "not_found"


class Conflict(RegistryHTTPError):
    status, code = 409, "conflict"


class TooManyAttempts(RegistryHTTPError):
    status, code = 429, "too_many_attempts"


class PayloadTooLarge(RegistryHTTPError):
    status, code = 413, "too_large"


class Busy(RegistryHTTPError):
    status, code = 503, "busy"


def now() -> datetime:
    """Current UTC time without tzinfo (stored as UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------- serialisation
def to_dict(r: Resource) -> dict[str, Any]:
    """JSON-ready dict of a resource (dates ISO, multi-valued fields as sorted lists)."""
    d: dict[str, Any] = {"id": r.id}
    for f in ALL_FIELDS:
        if f in MULTI_FIELDS:
            voc = MULTI_FIELDS[f]
            d[f] = sorted(t.code for t in r.terms if t.vocabulary == voc)
        else:
            v = getattr(r, f)
            d[f] = v.isoformat() if isinstance(v, (date, datetime)) else v
    d["version"] = r.version
    d["created_at"] = r.created_at.isoformat() if r.created_at else None
    d["updated_at"] = r.updated_at.isoformat() if r.updated_at else None
    d["deleted"] = r.deleted_at is not None
    d["active"] = is_active(r)
    return d


def is_active(r: Resource, on: date | None = None) -> bool:
    """Not deleted and valid on ``on`` (default today)."""
    on = on or date.today()
    return (r.deleted_at is None and (r.valid_from is None or r.valid_from <= on)
            and (r.valid_to is None or r.valid_to >= on))


def _audit_view(r: Resource) -> dict[str, Any]:
    d = to_dict(r)
    for k in ("created_at", "updated_at", "active"):
        d.pop(k, None)
    return d


# --------------------------------------------------------------------------- permissions
def can_edit(user: User | None, nis: str | None) -> bool:
    """Whether ``user`` may change resources in municipality ``nis``."""
    if user is None or not user.active:
        return False
    if user.role == "admin":
        return True
    return user.role == "editor" and nis is not None and nis in user.scope_codes


def require_edit(user: User | None, nis: str | None) -> None:
    """Raise 401 (anonymous) or 403 (role/scope) unless ``user`` may edit in ``nis``."""
    if user is None:
        raise Unauthorized("log in or send an API token to change the registry")
    if not can_edit(user, nis):
        scope = ", ".join(user.scope_codes) or "none"
        raise Forbidden(
            f"user {user.name!r} ({user.role}) may not edit resources in municipality {nis}; "
            f"their scope is: {scope}"
        )


def may_see_deleted(user: User | None, r: Resource) -> bool:
    """Deleted resources (and their history) are shown to editors of their scope and admins."""
    return can_edit(user, r.municipality_nis)


_UNKNOWN: Any = object()


def place(user: User | None, declared: str | None, lon: float, lat: float, lookup: Any, *,
          row: int | None = None, at: Any = _UNKNOWN) -> str:
    """Check where a resource may be put and return the municipality code to store.

    The point decides: it must lie in the declared municipality (a missing code is taken
    from the point), and an editor may only place resources in their own municipalities —
    by the point as well as by the code. Without any municipality boundaries (no atlas, no
    registry copy) editors cannot place resources; admins and the command line
    (``user=None``) can, trusting the declared code.

    Parameters
    ----------
    user
        The acting user; ``None`` for the command line (full rights).
    declared
        The municipality code sent, or ``None``.
    lon, lat
        The point (WGS84 degrees, already validated).
    lookup
        The :class:`~aankomst.registry.areas.Lookup` to locate the point in
        (:func:`~aankomst.registry.areas.municipality_lookup`), or ``None`` when there are no
        boundaries.
    row
        Import row number for problems.
    at
        The municipality of the point when already located (imports locate all rows at once).

    Raises
    ------
    Forbidden
        The code or the point lies outside the editor's municipalities (both codes named).
    ValidationFailed
        The point lies in another municipality than declared, or in none (both named).
    """
    if at is _UNKNOWN:
        at = lookup.municipality(lon, lat) if lookup is not None else None
    where = f"the point (lon {lon:.6f}, lat {lat:.6f})"
    if declared is None:
        if at is None:
            why = ("does not fall in any municipality of " + lookup.source if lookup is not None else
                   "cannot be located: no municipality boundaries are available (attach an atlas or "
                   "load them with 'aankomst registry boundaries --db ATLAS')")
            raise ValidationFailed([Problem("municipality_nis", None, f"missing, and {where} {why}",
                                            "the 5-digit NIS code of the municipality (e.g. 11002)", row)])
        declared = at
    if user is not None:
        require_edit(user, declared)
    if lookup is None:
        if user is not None and user.role != "admin":
            raise Forbidden(
                f"cannot check that {where} lies in your municipalities "
                f"({', '.join(user.scope_codes) or 'none'}): this registry has no municipality "
                "boundaries; an admin loads them with 'aankomst registry boundaries --db ATLAS'")
        return declared
    if at is None:
        raise ValidationFailed([Problem(
            "lon", lon, f"{where} lies in no municipality of {lookup.source} (declared municipality_nis "
            f"{declared})", f"a point inside municipality {declared}", row)])
    if at != declared:
        if user is not None and not can_edit(user, at):
            raise Forbidden(
                f"{where} lies in municipality {at}, outside the scope of user {user.name!r} "
                f"({', '.join(user.scope_codes) or 'none'}); declared municipality_nis {declared}")
        raise ValidationFailed([Problem(
            "municipality_nis", declared,
            f"municipality_nis {declared} does not agree with the location: {where} lies in "
            f"municipality {at} ({lookup.source})",
            f"municipality_nis {at}, or a point inside municipality {declared}", row)])
    return declared


# --------------------------------------------------------------------------- writes
def _apply(s: Session, r: Resource, clean: Mapping[str, Any]) -> None:
    for f, v in clean.items():
        if f in MULTI_FIELDS:
            voc = MULTI_FIELDS[f]
            keep = [t for t in r.terms if t.vocabulary != voc]
            r.terms = keep + [ResourceTerm(vocabulary=voc, code=c) for c in v]
        else:
            setattr(r, f, v)


def audit(s: Session, user: User | None, action: str, resource_id: int | None,
          before: dict | None, after: dict | None, username: str | None = None) -> None:
    """Append an entry to the audit log."""
    s.add(AuditEntry(resource_id=resource_id, user_id=user.id if user else None,
                     username=username or (user.name if user else "system"), action=action,
                     at=now(), before=before, after=after))


def create_resource(s: Session, user: User | None, data: Mapping[str, Any], *,
                    atlas_path: str | None = None) -> Resource:
    """Validate and insert a resource (audited). Raises 401/403/422 errors."""
    if user is None:
        raise Unauthorized("log in or send an API token to add resources")
    clean, probs = clean_record(data)
    if probs:
        raise ValidationFailed(probs)
    from aankomst.registry.areas import municipality_lookup

    clean["municipality_nis"] = place(user, clean.get("municipality_nis"), clean["lon"], clean["lat"],
                                      municipality_lookup(s, atlas_path))
    t = now()
    r = Resource(created_at=t, updated_at=t, terms=[])
    _apply(s, r, clean)
    s.add(r)
    s.flush()
    audit(s, user, "create", r.id, None, _audit_view(r))
    return r


def get_resource(s: Session, rid: int, *, include_deleted: bool = False) -> Resource:
    """Load a resource or raise 404 (also for ids no database can hold)."""
    if not (1 <= rid <= ID_MAX):
        raise NotFound(f"no resource with id {rid}")
    r = s.get(Resource, rid)
    if r is None or (r.deleted_at is not None and not include_deleted):
        raise NotFound(f"no resource with id {rid}")
    return r


def update_resource(s: Session, user: User | None, rid: int, data: Mapping[str, Any],
                    expected_version: Any, *, atlas_path: str | None = None) -> Resource:
    """Change fields of a resource if its version is still ``expected_version``.

    Raises
    ------
    Conflict
        When the stored version differs (someone else saved first); the message carries the
        current record so the client can merge. Nothing is overwritten.
    """
    if user is None:
        raise Unauthorized("log in or send an API token to change resources")
    expected = parse_id(expected_version, "version", expected="the version you read (optimistic concurrency)")
    r = get_resource(s, rid)
    require_edit(user, r.municipality_nis)
    if r.version != expected:
        raise Conflict(
            f"resource {rid} was changed by someone else (your version {expected}, current "
            f"{r.version}); reload, re-apply your change and save again",
            current=to_dict(r))
    fields = {k: v for k, v in data.items() if k not in ("id", "version")}
    clean, probs = clean_record(fields, partial=True)
    if probs:
        raise ValidationFailed(probs)
    # where it lies decides who may edit it: check any move or change of municipality
    moved = any(f in clean and clean[f] != getattr(r, f) for f in ("lon", "lat"))
    code_sent = "municipality_nis" in clean
    declared = clean.pop("municipality_nis", None)
    if moved or (code_sent and declared != r.municipality_nis):
        from aankomst.registry.areas import municipality_lookup

        look = municipality_lookup(s, atlas_path)
        if declared is None and look is None:
            declared = r.municipality_nis  # nothing to derive a new code from: keep it
        clean["municipality_nis"] = place(user, declared, clean.get("lon", r.lon), clean.get("lat", r.lat), look)
    before = _audit_view(r)
    _apply(s, r, clean)
    vf, vt = r.valid_from, r.valid_to
    if vf and vt and vt < vf:
        raise ValidationFailed([Problem("valid_to", vt.isoformat(), "closing date before opening date",
                                        "valid_to on or after valid_from")])
    r.updated_at = now()
    try:
        s.flush()
    except StaleDataError:
        raise Conflict(f"resource {rid} was changed by someone else while you saved; reload "
                       "and try again") from None
    after = _audit_view(r)
    audit(s, user, "update", r.id, before, after)
    return r


def delete_resource(s: Session, user: User | None, rid: int, expected_version: Any = None) -> Resource:
    """Soft-delete (restorable); with ``expected_version``, refuse a stale delete (409)."""
    if user is None:
        raise Unauthorized("log in or send an API token to delete resources")
    r = get_resource(s, rid)
    require_edit(user, r.municipality_nis)
    if expected_version not in (None, "") and parse_id(expected_version, "version") != r.version:
        raise Conflict(f"resource {rid} was changed since version {expected_version} (now "
                       f"{r.version}); reload before deleting", current=to_dict(r))
    before = _audit_view(r)
    r.deleted_at = now()
    r.updated_at = r.deleted_at
    try:
        s.flush()
    except StaleDataError:
        raise Conflict(f"resource {rid} was changed by someone else; reload") from None
    audit(s, user, "delete", r.id, before, _audit_view(r))
    return r


def restore_resource(s: Session, user: User | None, rid: int) -> Resource:
    """Undo a soft delete (audited)."""
    if user is None:
        raise Unauthorized("log in or send an API token to restore resources")
    r = get_resource(s, rid, include_deleted=True)
    require_edit(user, r.municipality_nis)
    if r.deleted_at is None:
        raise Conflict(f"resource {rid} is not deleted")
    before = _audit_view(r)
    r.deleted_at = None
    r.updated_at = now()
    s.flush()
    audit(s, user, "restore", r.id, before, _audit_view(r))
    return r


def history(s: Session, rid: int, *, viewer: User | None | bool = True) -> list[dict[str, Any]]:
    """Audit entries of a resource, oldest first, with the changed fields listed.

    Parameters
    ----------
    viewer
        Who asks. ``True`` (the command line, tests): everything. Otherwise the entries of a
        deleted resource are only for editors of its scope and admins (others get 404), and
        account names (``user``) only for them too: everyone else sees the ``role`` only
        (``admin``, ``editor``, ``system`` for the command line and imports without account).

    Raises
    ------
    NotFound
        No such resource or history, or a deleted resource the viewer may not see.
    """
    if not (1 <= rid <= ID_MAX):
        raise NotFound(f"no history for resource {rid}")
    privileged = viewer is True
    if viewer is not True:
        r = s.get(Resource, rid)
        user = viewer if isinstance(viewer, User) else None
        if r is not None:
            privileged = may_see_deleted(user, r)
            if r.deleted_at is not None and not privileged:
                raise NotFound(f"no history for resource {rid}")
    rows = s.scalars(select(AuditEntry).where(AuditEntry.resource_id == rid)
                     .order_by(AuditEntry.at, AuditEntry.id)).all()
    if not rows:
        raise NotFound(f"no history for resource {rid}")
    ids = {e.user_id for e in rows if e.user_id is not None}
    roles = dict(s.execute(select(User.id, User.role).where(User.id.in_(ids))).tuples().all()) if ids else {}
    out = []
    for e in rows:
        b, a = e.before or {}, e.after or {}
        changed = sorted(k for k in set(b) | set(a) if b.get(k) != a.get(k) and k != "version")
        role = "system" if e.user_id is None else roles.get(e.user_id, "former account")
        out.append({"id": e.id, "at": e.at.isoformat(), "user": e.username if privileged else None,
                    "role": role, "action": e.action, "changed": changed, "before": e.before,
                    "after": e.after})
    return out


# --------------------------------------------------------------------------- search
def parse_near(near: str | None) -> tuple[float, float] | None:
    """Parse ``"LAT,LON"`` (WGS84 degrees)."""
    if near in (None, ""):
        return None
    try:
        lat_s, lon_s = str(near).split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise ValidationFailed([Problem("near", near, "not LAT,LON", "e.g. near=51.2194,4.4025")]) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed([Problem("near", near, "coordinates out of range", "LAT,LON in degrees")])
    return lat, lon


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (sphere of radius 6,371,008.8 m)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(h)))


def _codes(v: Any, vocab: str) -> list[str]:
    from aankomst.errors import UnknownCodeError
    from aankomst.registry.validate import split_multi, taxonomy

    codes = split_multi(v)
    known = taxonomy()[vocab]
    for c in codes:
        if c not in known:
            raise UnknownCodeError(vocab, c, known=list(known))
    return codes


def search(
    s: Session,
    *,
    q: str | None = None,
    domain: str | None = None,
    sphere: str | None = None,
    eligible: str | None = None,
    provider_type: str | None = None,
    function: str | None = None,
    language: str | None = None,
    municipality: str | None = None,
    near: str | None = None,
    radius_m: float | None = None,
    as_of: date | None = None,
    include_closed: bool = False,
    include_deleted: bool = False,
    deleted_in: Iterable[str] | None = None,
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[tuple[Resource, float | None]], int]:
    """Find resources. Filters combine with AND; several codes in one filter (``a;b``) with OR.

    ``eligible=undocumented`` also matches resources open "regardless of residence status"
    (see ``includes`` in ``eligibility.csv``). ``near=LAT,LON`` with ``radius_m`` (default
    1,000 m) keeps resources within that great-circle distance and sorts by distance.
    By default only resources active today (or on ``as_of``) are returned; ``include_deleted``
    adds soft-deleted ones — only those in the municipalities ``deleted_in`` when given (an
    editor's scope).

    Returns ``([(resource, distance_m or None)], total_before_paging)``.
    """
    conds: list[Any] = []
    if not include_deleted:
        conds.append(Resource.deleted_at.is_(None))
    elif deleted_in is not None:
        conds.append(or_(Resource.deleted_at.is_(None), Resource.municipality_nis.in_(list(deleted_in))))
    if not include_closed:
        d = as_of or date.today()
        conds += [or_(Resource.valid_from.is_(None), Resource.valid_from <= d),
                  or_(Resource.valid_to.is_(None), Resource.valid_to >= d)]

    def has(vocab: str, codes: list[str]) -> Any:
        return exists().where(and_(ResourceTerm.resource_id == Resource.id,
                                   ResourceTerm.vocabulary == vocab, ResourceTerm.code.in_(codes)))

    for vocab, val in (("domain", domain), ("sphere", sphere), ("function", function),
                       ("language", language)):
        if val:
            conds.append(has(vocab, _codes(val, vocab)))
    if eligible:
        for e in _codes(eligible, "eligibility"):  # several: all must hold
            conds.append(has("eligibility", eligible_codes(e)))
    if provider_type:
        conds.append(Resource.provider_type.in_(_codes(provider_type, "provider_type")))
    if municipality:
        conds.append(Resource.municipality_nis.in_([m.strip() for m in str(municipality).split(",")]))
    if q:
        pat = "%" + str(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(or_(Resource.name.ilike(pat, escape="\\"), Resource.description.ilike(pat, escape="\\"),
                         Resource.address.ilike(pat, escape="\\")))
    centre = parse_near(near)
    if centre:
        radius = float(radius_m if radius_m is not None else 1000.0)
        if not (0 < radius <= 200_000):
            raise ValidationFailed([Problem("radius_m", radius_m, "out of range", "0 < radius_m <= 200000")])
        lat0, lon0 = centre
        dlat = radius / 111_000.0 + 1e-4
        dlon = radius / (111_000.0 * max(0.1, math.cos(math.radians(lat0)))) + 1e-4
        conds += [Resource.lat.between(lat0 - dlat, lat0 + dlat), Resource.lon.between(lon0 - dlon, lon0 + dlon)]
    stmt = select(Resource).where(*conds)
    if centre:
        rows = s.scalars(stmt).all()
        dist = [(r, haversine_m(lat0, lon0, r.lat, r.lon)) for r in rows]
        found: list[tuple[Resource, float | None]] = sorted(
            [h for h in dist if h[1] <= radius], key=lambda h: (h[1], h[0].id))
        return found[offset: offset + limit], len(found)
    from sqlalchemy import func

    rows = s.scalars(stmt.order_by(Resource.name, Resource.id).offset(offset).limit(limit)).all()
    if offset == 0 and len(rows) < limit:
        total = len(rows)  # the page holds everything: no second query
    else:
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return [(r, None) for r in rows], int(total)


def all_resources(s: Session, *, include_deleted: bool = False) -> Iterable[Resource]:
    """Every resource (export), by id."""
    stmt = select(Resource).order_by(Resource.id)
    if not include_deleted:
        stmt = stmt.where(Resource.deleted_at.is_(None))
    return s.scalars(stmt).all()
