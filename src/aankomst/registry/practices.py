"""Exchange of practices between OCMWs (issue 12, item 5): validation, storage, search, changes.

OCMWs asked for "an exchange platform between OCMWs for practices" (language learning alongside
article-60 jobs, Roma, people without legal residence; ``../shared/docs/domain.md`` §8). A
practice lives in the registry database (SQLite or PostgreSQL, next to the local resources;
tables ``practices``, ``practice_targets``, ``practice_links`` in
:mod:`aankomst.registry.models`, migration ``0004``) and shares the registry's accounts, roles
(editors change the practices of the OCMWs of their municipalities, admins all), audit log and
optimistic concurrency.

Vocabularies are data tables: ``data/registry/practice_domains.csv`` (domains, nl/fr/en labels,
and the resource domains each one belongs to) and ``data/registry/practice_target_groups.csv``.

Functions: :func:`validate_practice` (every problem names the field, the bad value and what is
expected), :func:`add_practice` (validate + insert, no permission check: loaders, the demo),
:func:`create_practice` / :func:`update_practice` / :func:`delete_practice` (checked against the
user's role and scope, audited), :func:`get_practice`, :func:`list_practices` (filters by OCMW,
domain, target group, text), :func:`practice_dict`, :func:`practice_history`,
:func:`practices_for_resource_domains`, :func:`export_csv`.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from aankomst import csvsafe
from aankomst.errors import InputError, InputProblem
from aankomst.paths import package_data
from aankomst.registry import service as svc
from aankomst.registry.limits import ID_MAX
from aankomst.registry.models import AuditEntry, Practice, PracticeLink, PracticeTarget, User
from aankomst.registry.validate import Problem, ValidationFailed, parse_id

__all__ = [
    "Practice",
    "PracticeLink",
    "PracticeTarget",
    "add_practice",
    "count_practices",
    "create_practice",
    "delete_practice",
    "domain_terms",
    "export_csv",
    "get_practice",
    "list_practices",
    "practice_dict",
    "practice_domains_of",
    "practice_history",
    "practices_for_resource_domains",
    "target_terms",
    "update_practice",
    "validate_practice",
]

EXPORT_COLUMNS: tuple[str, ...] = ("id", "title", "ocmw_code", "domain", "target_groups", "approach",
                                   "results", "contact_name", "contact_email", "links", "published_on",
                                   "version")
"""Columns of the CSV export (lists joined by ``;``)."""

_URL = re.compile(r"^https?://[^\s<>\"']{3,490}$")
_MAIL = re.compile(r"^[^@\s]{1,100}@[^@\s]{1,100}\.[a-z]{2,}$", re.IGNORECASE)


def _vocabulary(name: str) -> dict[str, dict[str, str]]:
    path = package_data(f"registry/{name}")
    out: dict[str, dict[str, str]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            for col in ("code", "label_nl", "label_fr", "label_en"):
                if not (row.get(col) or "").strip():
                    raise InputError(str(path), f"empty {col}", row=i, column=col, expected="a non-empty value")
            out[row["code"].strip()] = {k: (v or "").strip() for k, v in row.items()}
    return out


@lru_cache(maxsize=1)
def domain_terms() -> dict[str, dict[str, str]]:
    """Practice domains: ``{code: {label_nl, label_fr, label_en, resource_domains, …}}``.

    Examples
    --------
    >>> domain_terms()["language"]["label_fr"]
    'Langue'
    """
    return _vocabulary("practice_domains.csv")


@lru_cache(maxsize=1)
def target_terms() -> dict[str, dict[str, str]]:
    """Target groups of practices: ``{code: {label_nl, label_fr, label_en}}``.

    Examples
    --------
    >>> target_terms()["roma"]["label_nl"]
    'Roma'
    """
    return _vocabulary("practice_target_groups.csv")


def validate_practice(data: dict[str, Any], *, source: str = "practice") -> dict[str, Any]:
    """Check and normalise a practice (a form, a JSON body or a CSV row).

    Parameters
    ----------
    data
        ``title, ocmw_code, domain, approach`` (required), ``results, contact_name,
        contact_email, published_on`` (``YYYY-MM-DD``, default today), ``target_groups``
        (list or ``;``-separated), ``links`` (list of ``{"url", "label"}`` or ``;``-separated URLs).
    source
        Name used in error messages (file or form).

    Returns
    -------
    dict
        The normalised values.

    Raises
    ------
    InputError
        One problem per bad field, naming the value and what is expected.

    Examples
    --------
    >>> v = validate_practice({"title": "Taal op de werkvloer", "ocmw_code": "44021",
    ...                        "domain": "language", "approach": "Dutch lessons during art. 60 jobs",
    ...                        "target_groups": "article_60_workers;newcomers"})
    >>> v["target_groups"]
    ['article_60_workers', 'newcomers']
    """
    problems: list[InputProblem] = []

    def bad(field: str, msg: str, expected: str) -> None:
        problems.append(InputProblem(source, None, field, msg, expected))

    out: dict[str, Any] = {}
    for f, n in (("title", 300), ("approach", 20000)):
        v = data.get(f)
        v = v.strip() if isinstance(v, str) else ""
        if not v or len(v) > n:
            bad(f, f"{f} {v[:40]!r} is empty or longer than {n} characters", f"a text of 1–{n} characters")
        out[f] = v
    code = str(data.get("ocmw_code") or "").strip()
    if not re.fullmatch(r"\d{5}", code):
        bad("ocmw_code", f"OCMW code {code[:40]!r} is not a five-digit NIS code", "e.g. 11002 (Antwerpen)")
    out["ocmw_code"] = code
    dom = str(data.get("domain") or "").strip()
    if dom not in domain_terms():
        bad("domain", f"domain {dom[:40]!r} is unknown", ", ".join(domain_terms()))
    out["domain"] = dom
    tg = data.get("target_groups") or []
    if not isinstance(tg, (str, list)):
        tg = [tg]
    tgs = [str(t).strip() for t in (tg.split(";") if isinstance(tg, str) else tg) if str(t).strip()]
    for t in tgs:
        if t not in target_terms():
            bad("target_groups", f"target group {t[:40]!r} is unknown", ", ".join(target_terms()))
    out["target_groups"] = sorted(set(tgs))
    links = data.get("links") or []
    if isinstance(links, str):
        links = [{"url": u.strip(), "label": ""} for u in re.split(r"[;\n]", links) if u.strip()]
    if not isinstance(links, list):
        links = [links]
    clean_links: list[dict[str, str]] = []
    for ln in links:
        ln = ln if isinstance(ln, dict) else {"url": str(ln)}
        url = str(ln.get("url", ""))
        if not _URL.match(url):
            bad("links", f"link {url[:60]!r} is not an http(s) address", "https://…")
        elif url not in {x["url"] for x in clean_links}:
            clean_links.append({"url": url, "label": str(ln.get("label") or "")[:200]})
    out["links"] = clean_links
    mail = str(data.get("contact_email") or "").strip()
    if mail and not _MAIL.match(mail):
        bad("contact_email", f"e-mail address {mail[:60]!r} is not valid", "name@example.be")
    out["contact_email"] = mail
    out["contact_name"] = str(data.get("contact_name") or "").strip()[:200]
    out["results"] = str(data.get("results") or "").strip()[:20000]
    pub = data.get("published_on") or date.today().isoformat()
    try:
        out["published_on"] = pub if isinstance(pub, date) else date.fromisoformat(str(pub))
    except ValueError:
        bad("published_on", f"date {str(pub)[:40]!r} is not YYYY-MM-DD", "a date such as 2026-05-01")
    if problems:
        raise InputError(source, problems[0].message, problems=problems)
    return out


def _apply(p: Practice, v: dict[str, Any]) -> None:
    for f in ("title", "ocmw_code", "domain", "approach", "results", "contact_name", "contact_email",
              "published_on"):
        setattr(p, f, v[f])
    keep_t = {t.target_group: t for t in p.targets}
    p.targets = [keep_t.get(t) or PracticeTarget(target_group=t) for t in v["target_groups"]]
    keep_l = {ln.url: ln for ln in p.links}
    links = []
    for ln in v["links"]:
        old = keep_l.get(ln["url"])
        if old is not None:
            old.label = ln["label"]
            links.append(old)
        else:
            links.append(PracticeLink(url=ln["url"], label=ln["label"]))
    p.links = links


def add_practice(session: Session, data: dict[str, Any], *, actor: str | None = None) -> Practice:
    """Validate and add a practice without permission check (loaders, the demo; the caller
    commits); with ``actor`` the addition is audited under that name (no account). Web and API
    writes use :func:`create_practice`.

    Raises
    ------
    InputError
        For a bad field (see :func:`validate_practice`).

    Examples
    --------
    >>> p = add_practice(session, {"title": "…", "ocmw_code": "11002", …})  # doctest: +SKIP
    """
    v = validate_practice(data)
    t = svc.now()
    p = Practice(created_at=t, updated_at=t, targets=[], links=[])
    _apply(p, v)
    session.add(p)
    session.flush()
    if actor is not None:
        session.add(AuditEntry(resource_id=None, practice_id=p.id, user_id=None, username=actor,
                               action="create", at=t, before=None, after=_audit_view(p)))
    return p


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    """:func:`validate_practice` with the registry's 422 error (one problem per field)."""
    try:
        return validate_practice(data)
    except InputError as exc:
        raise ValidationFailed([Problem(p.column or "", data.get(p.column or ""), p.message, p.expected)
                                for p in exc.problems]) from None


def _audit_view(p: Practice) -> dict[str, Any]:
    return {k: v for k, v in practice_dict(p).items() if k != "id"}


def _audit(s: Session, user: User | None, action: str, p: Practice, before: dict[str, Any] | None,
           after: dict[str, Any] | None) -> None:
    s.add(AuditEntry(resource_id=None, practice_id=p.id, user_id=user.id if user else None,
                     username=user.name if user else "system", action=action, at=svc.now(),
                     before=before, after=after))


def _require_edit(user: User | None, code: str) -> None:
    """401 (anonymous) or 403 (role/scope) unless ``user`` may change practices of OCMW ``code``."""
    if user is None:
        raise svc.Unauthorized("log in or send an API token to change practices")
    if not svc.can_edit(user, code):
        scope = ", ".join(user.scope_codes) or "none"
        raise svc.Forbidden(f"user {user.name!r} ({user.role}) may not edit practices of OCMW {code}; "
                            f"their scope is: {scope}")


def create_practice(s: Session, user: User | None, data: dict[str, Any]) -> Practice:
    """Validate, check the user's scope (the OCMW's municipality) and insert (audited).

    Raises
    ------
    ValidationFailed
        422, one problem per bad field.
    Unauthorized, Forbidden
        401 anonymous, 403 outside the editor's scope or a viewer.

    Examples
    --------
    >>> create_practice(session, editor, {"title": "…", "ocmw_code": "11002", …})  # doctest: +SKIP
    """
    if user is None:
        raise svc.Unauthorized("log in or send an API token to add practices")
    v = _checked(data)
    _require_edit(user, v["ocmw_code"])
    t = svc.now()
    p = Practice(created_at=t, updated_at=t, targets=[], links=[])
    _apply(p, v)
    s.add(p)
    s.flush()
    _audit(s, user, "create", p, None, _audit_view(p))
    return p


def get_practice(s: Session, pid: int, *, include_deleted: bool = False) -> Practice:
    """A practice or 404 (also for ids no database can hold).

    Examples
    --------
    >>> get_practice(session, 1).title  # doctest: +SKIP
    """
    if not (1 <= pid <= ID_MAX):
        raise svc.NotFound(f"no practice with id {pid}")
    p = s.get(Practice, pid)
    if p is None or (p.deleted_at is not None and not include_deleted):
        raise svc.NotFound(f"no practice with id {pid}")
    return p


def update_practice(s: Session, user: User | None, pid: int, data: dict[str, Any],
                    expected_version: Any) -> Practice:
    """Replace a practice's fields (PUT) if its version is still ``expected_version`` (audited).

    Moving a practice to another OCMW needs edit rights on both.

    Raises
    ------
    Conflict
        409 when the stored version differs (the current record is in ``details["current"]``).

    Examples
    --------
    >>> update_practice(session, editor, 1, {...}, 1)  # doctest: +SKIP
    """
    if user is None:
        raise svc.Unauthorized("log in or send an API token to change practices")
    expected = parse_id(expected_version, "version", expected="the version you read (optimistic concurrency)")
    p = get_practice(s, pid)
    _require_edit(user, p.ocmw_code)
    if p.version != expected:
        raise svc.Conflict(f"practice {pid} was changed by someone else (your version {expected}, current "
                           f"{p.version}); reload, re-apply your change and save again",
                           current=practice_dict(p))
    v = _checked({k: val for k, val in data.items() if k not in ("id", "version")})
    _require_edit(user, v["ocmw_code"])
    before = _audit_view(p)
    _apply(p, v)
    p.updated_at = svc.now()
    try:
        s.flush()
    except StaleDataError:
        raise svc.Conflict(f"practice {pid} was changed by someone else while you saved; reload "
                           "and try again") from None
    _audit(s, user, "update", p, before, _audit_view(p))
    return p


def delete_practice(s: Session, user: User | None, pid: int, expected_version: Any = None) -> Practice:
    """Soft-delete a practice (audited); with ``expected_version`` a stale delete is a 409.

    Examples
    --------
    >>> delete_practice(session, editor, 1)  # doctest: +SKIP
    """
    if user is None:
        raise svc.Unauthorized("log in or send an API token to delete practices")
    p = get_practice(s, pid)
    _require_edit(user, p.ocmw_code)
    if expected_version not in (None, "") and parse_id(expected_version, "version") != p.version:
        raise svc.Conflict(f"practice {pid} was changed since version {expected_version} (now "
                           f"{p.version}); reload before deleting", current=practice_dict(p))
    before = _audit_view(p)
    p.deleted_at = svc.now()
    p.updated_at = p.deleted_at
    s.flush()
    _audit(s, user, "delete", p, before, None)
    return p


def list_practices(session: Session, *, ocmw: str | None = None, domain: str | None = None,
                   target: str | None = None, text: str | None = None, limit: int | None = None,
                   offset: int = 0) -> list[Practice]:
    """Practices (not deleted), newest first, filtered by OCMW (one code or a comma-separated
    list), domain, target group and text (title, approach, results; case-insensitive).

    Examples
    --------
    >>> [p.title for p in list_practices(session, target="roma")]  # doctest: +SKIP
    ['Roma-brugfiguren']
    """
    q = _filtered(select(Practice), ocmw=ocmw, domain=domain, target=target, text=text)
    q = q.order_by(Practice.published_on.desc(), Practice.id.desc()).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def count_practices(session: Session, **filters: Any) -> int:
    """Number of practices :func:`list_practices` finds with the same filters.

    Examples
    --------
    >>> count_practices(session, domain="language")  # doctest: +SKIP
    3
    """
    q = _filtered(select(func.count(Practice.id)), **filters)
    return int(session.scalar(q) or 0)


def _filtered(q: Any, *, ocmw: str | None = None, domain: str | None = None, target: str | None = None,
              text: str | None = None, domains: list[str] | None = None) -> Any:
    q = q.where(Practice.deleted_at.is_(None))
    if ocmw:
        codes = [c.strip() for c in str(ocmw).split(",") if c.strip()]
        q = q.where(Practice.ocmw_code.in_(codes))
    if domain:
        q = q.where(Practice.domain == domain)
    if domains is not None:
        q = q.where(Practice.domain.in_(domains))
    if target:
        q = q.where(Practice.id.in_(select(PracticeTarget.practice_id)
                                    .where(PracticeTarget.target_group == target)))
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        q = q.where(Practice.title.ilike(like, escape="\\") | Practice.approach.ilike(like, escape="\\")
                    | Practice.results.ilike(like, escape="\\"))
    return q


def practice_domains_of(resource_domains: list[str]) -> list[str]:
    """Practice domains mapped to any of ``resource_domains`` (``resource_domains`` column of
    ``practice_domains.csv``), in the table's order.

    Examples
    --------
    >>> practice_domains_of(["social_services"])
    ['debt', 'income']
    """
    wanted = set(resource_domains)
    return [c for c, t in domain_terms().items()
            if wanted & {x.strip() for x in t.get("resource_domains", "").split(";") if x.strip()}]


def practices_for_resource_domains(session: Session, resource_domains: list[str],
                                   limit: int = 50) -> list[Practice]:
    """Practices of the practice domains mapped to any of ``resource_domains`` (the mapping is
    the ``resource_domains`` column of ``practice_domains.csv``), newest first.

    Examples
    --------
    >>> practices_for_resource_domains(session, ["language"])  # doctest: +SKIP
    [<Practice …>]
    """
    doms = practice_domains_of(resource_domains)
    if not doms:
        return []
    q = _filtered(select(Practice), domains=doms)
    return list(session.scalars(q.order_by(Practice.published_on.desc(), Practice.id.desc()).limit(limit)))


def practice_dict(p: Practice) -> dict[str, Any]:
    """JSON-ready form of a practice.

    Examples
    --------
    >>> practice_dict(p)["target_groups"]  # doctest: +SKIP
    ['article_60_workers', 'newcomers']
    """
    return {"id": p.id, "title": p.title, "ocmw_code": p.ocmw_code, "domain": p.domain,
            "target_groups": sorted(t.target_group for t in p.targets), "approach": p.approach,
            "results": p.results, "contact_name": p.contact_name, "contact_email": p.contact_email,
            "links": sorted(({"url": ln.url, "label": ln.label} for ln in p.links), key=lambda x: x["url"]),
            "published_on": p.published_on.isoformat(), "version": p.version,
            "deleted": p.deleted_at is not None}


def practice_history(s: Session, pid: int, *, privileged: bool) -> list[dict[str, Any]]:
    """Audit entries of a practice, oldest first; account names only when ``privileged``
    (editors of its OCMW and admins), roles otherwise.

    Examples
    --------
    >>> practice_history(session, 1, privileged=True)[0]["action"]  # doctest: +SKIP
    'create'
    """
    rows = s.scalars(select(AuditEntry).where(AuditEntry.practice_id == pid)
                     .order_by(AuditEntry.at, AuditEntry.id)).all()
    ids = {e.user_id for e in rows if e.user_id is not None}
    roles = dict(s.execute(select(User.id, User.role).where(User.id.in_(ids))).tuples().all()) if ids else {}
    out = []
    for e in rows:
        b, a = e.before or {}, e.after or {}
        out.append({"id": e.id, "at": e.at.isoformat(), "user": e.username if privileged else None,
                    "role": "system" if e.user_id is None else roles.get(e.user_id, "former account"),
                    "action": e.action, "changed": sorted(k for k in set(b) | set(a)
                                                         if b.get(k) != a.get(k) and k != "version"),
                    "before": e.before, "after": e.after})
    return out


def export_csv(practices: list[Practice]) -> str:
    """Spreadsheet-safe CSV of practices (:data:`EXPORT_COLUMNS`; lists joined by ``;``).

    Examples
    --------
    >>> export_csv(list_practices(session)).splitlines()[0]  # doctest: +SKIP
    'id,title,ocmw_code,…'
    """
    rows = []
    for p in practices:
        d = practice_dict(p)
        d["target_groups"] = ";".join(d["target_groups"])
        d["links"] = ";".join(ln["url"] for ln in d["links"])
        rows.append({c: d[c] for c in EXPORT_COLUMNS})
    text = csvsafe.to_csv(rows, columns=EXPORT_COLUMNS)
    assert text is not None
    return text
