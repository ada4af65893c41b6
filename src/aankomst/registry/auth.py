"""Accounts, password hashing (argon2id), API tokens, browser sessions, login throttling.

Secrets are never stored: passwords as argon2id hashes, API tokens and session ids as SHA-256
hashes of 256-bit random values (a fast hash is safe for such high-entropy secrets).

Throttling: at most :data:`MAX_FAILURES_PER_USER` failed logins per user name and
:data:`MAX_FAILURES_PER_CLIENT` per client address within :data:`THROTTLE_WINDOW`; further
attempts get HTTP 429 until the window has passed (the check happens before the password is
verified, so a correct password does not help an attacker either). The client address is the
TCP peer unless the server was told to trust a proxy (``aankomst serve
--forwarded-allow-ips``), so a forged ``X-Forwarded-For`` cannot dodge the per-address limit.

Every login that reaches the password check does the same work — one argon2 verification —
whether the account exists, is deactivated, has an unusable hash or a wrong password, so the
answer time says nothing about the account.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from aankomst.errors import AankomstError
from aankomst.registry.limits import ID_MAX
from aankomst.registry.models import ROLES, ApiToken, LoginAttempt, User, UserScope, WebSession
from aankomst.registry.service import TooManyAttempts, Unauthorized, audit, now

MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 20
THROTTLE_WINDOW = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
TOKEN_PREFIX = "akr_"

_HASHER: Any = None


def _hasher() -> Any:
    global _HASHER
    if _HASHER is None:
        import os

        from argon2 import PasswordHasher

        cost = os.environ.get("AANKOMST_REGISTRY_ARGON2", "")
        if cost:  # "time_cost,memory_kib,parallelism" — lower only for test suites
            t, m, p = (int(v) for v in cost.split(","))
            _HASHER = PasswordHasher(time_cost=t, memory_cost=m, parallelism=p)
        else:  # argon2id, library defaults (RFC 9106 low-memory profile: t=3, 64 MiB, p=4)
            _HASHER = PasswordHasher()
    return _HASHER


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(hashed: str, password: str) -> bool:
    """Check a password against its hash (constant-time; ``False`` on any mismatch)."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(hashed, password.encode("utf-8", "surrogatepass")))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def sha256(text: str) -> str:
    """Hex SHA-256 of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Dummy hash so that unknown or unusable accounts cost as much time as wrong passwords.
_DUMMY: str | None = None


def _dummy_hash() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password("dummy-password-for-timing")
    return _DUMMY


def _usable_hash(hashed: str | None) -> bool:
    return bool(hashed) and str(hashed).startswith("$argon2")


def add_user(s: Session, name: str, password: str, role: str, scope: list[str] | None = None,
             *, actor: str = "cli") -> User:
    """Create an account.

    Raises
    ------
    AankomstError
        For an existing name, an unknown role, a short password or a malformed scope code.
    """
    if not re.fullmatch(r"[A-Za-z0-9_.@-]{2,100}", name or ""):
        raise AankomstError(f"user name {name!r} is not allowed; use 2-100 letters, digits, _ . @ -")
    if role not in ROLES:
        raise AankomstError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if len(password or "") < 10:
        raise AankomstError("password too short; use at least 10 characters")
    scope = [c.strip() for c in (scope or []) if c.strip()]
    bad = [c for c in scope if not re.fullmatch(r"\d{5}", c)]
    if bad:
        raise AankomstError(f"scope code(s) {', '.join(bad)} are not 5-digit NIS municipality codes")
    if role == "editor" and not scope:
        raise AankomstError("an editor needs --scope NIS,… (the municipalities they may edit)")
    if s.scalar(select(User).where(User.name == name)) is not None:
        raise AankomstError(f"user {name!r} exists already")
    u = User(name=name, password_hash=hash_password(password), role=role, active=True,
             created_at=now(), scopes=[UserScope(nis=c) for c in sorted(set(scope))])
    s.add(u)
    s.flush()
    audit(s, None, "user_add", None, None, {"user": name, "role": role, "scope": sorted(set(scope))},
          username=actor)
    return u


def _failures(s: Session, column: Any, value: str) -> int:
    return int(s.scalar(select(func.count()).select_from(LoginAttempt)
                        .where(column == value, LoginAttempt.at >= now() - THROTTLE_WINDOW)) or 0)


def _throttled(s: Session, name: str, client: str) -> bool:
    return (_failures(s, LoginAttempt.username, name) >= MAX_FAILURES_PER_USER
            or _failures(s, LoginAttempt.client, client) >= MAX_FAILURES_PER_CLIENT)


def _check_password(hashed: str | None, active: bool, password: str) -> bool:
    """Exactly one argon2 verification whatever the account state (dummy hash for a missing
    account or an unusable hash); ``True`` only for an active account and the right password."""
    usable = hashed is not None and _usable_hash(hashed)
    verified = verify_password(hashed if hashed is not None and usable else _dummy_hash(), password or "")
    return usable and verified and active


def check_throttle(read: Any, name: str, client: str = "unknown") -> None:
    """Raise 429 when this user name or client address has too many recent failures (cheap:
    callers check it before queueing for a password check; :func:`login` checks again).

    Raises
    ------
    TooManyAttempts
        Too many failures for this name or client address.
    """
    with read() as s:
        if _throttled(s, (name or "")[:100], (client or "unknown")[:100]):
            raise TooManyAttempts("too many failed logins; wait 15 minutes and try again")


def login(read: Any, write: Any, name: str, password: str,
          client: str = "unknown") -> tuple[dict[str, Any], str, str]:
    """Log in: throttle check and password verification outside any write transaction (the
    argon2 work does not hold a database lock), then record the failure or start a session.

    Parameters
    ----------
    read, write
        Read and write session factories of the registry.
    name, password
        The credentials.
    client
        The client address (per-address throttling).

    Returns
    -------
    (info, cookie_secret, csrf_token)
        ``info`` = ``{"user", "role", "scope"}``.

    Raises
    ------
    Unauthorized
        Wrong name or password, or a deactivated account (one message for all).
    TooManyAttempts
        Too many failures for this name or client address.
    """
    name = (name or "")[:100]
    client = (client or "unknown")[:100]
    with read() as s:
        if _throttled(s, name, client):
            raise TooManyAttempts("too many failed logins; wait 15 minutes and try again")
        u = s.scalar(select(User).where(User.name == name))
        uid, hashed, active = (u.id, u.password_hash, bool(u.active)) if u is not None else (None, None, False)
    ok = _check_password(hashed, active, password)
    started: tuple[dict[str, Any], str, str] | None = None
    with write() as s, s.begin():
        user = s.get(User, uid) if ok and uid is not None else None
        if user is None or not user.active:  # wrong, or removed/deactivated meanwhile
            s.add(LoginAttempt(username=name, client=client, at=now()))
        else:
            s.execute(delete(LoginAttempt).where(LoginAttempt.username == name))
            secret, csrf = create_session(s, user)
            started = ({"user": user.name, "role": user.role, "scope": user.scope_codes}, secret, csrf)
    if started is None:
        raise Unauthorized("wrong user name or password")
    return started


def create_session(s: Session, user: User) -> tuple[str, str]:
    """Start a browser session. Returns ``(cookie_secret, csrf_token)``."""
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    t = now()
    s.execute(delete(WebSession).where(WebSession.expires_at < t))
    s.add(WebSession(id_hash=sha256(secret), user_id=user.id, csrf_token=csrf, created_at=t,
                     expires_at=t + SESSION_LIFETIME))
    return secret, csrf


def session_user(s: Session, secret: str | None) -> tuple[User, WebSession] | None:
    """User and session of a cookie secret (``None`` when absent, unknown or expired)."""
    if not secret or len(secret) > 200:
        return None
    ws = s.get(WebSession, sha256(secret))
    if ws is None or ws.expires_at < now():
        return None
    u = s.get(User, ws.user_id)
    if u is None or not u.active:
        return None
    return u, ws


def end_session(s: Session, secret: str | None) -> None:
    """Log out: forget the session."""
    if secret:
        s.execute(delete(WebSession).where(WebSession.id_hash == sha256(secret)))


def create_token(s: Session, user: User, name: str = "token") -> tuple[ApiToken, str]:
    """Create an API token; returns the row and the secret (shown once, stored hashed)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    t = ApiToken(user_id=user.id, name=(name or "token")[:100], token_hash=sha256(secret),
                 prefix=secret[:10], created_at=now())
    s.add(t)
    s.flush()
    audit(s, user, "token_create", None, None, {"token_id": t.id, "name": t.name, "prefix": t.prefix})
    return t, secret


def token_user(s: Session, secret: str | None) -> User | None:
    """User of a bearer token (``None`` when unknown or revoked)."""
    if not secret or len(secret) > 200:
        return None
    t = s.scalar(select(ApiToken).where(ApiToken.token_hash == sha256(secret)))
    if t is None or t.revoked_at is not None:
        return None
    u = s.get(User, t.user_id)
    return u if u is not None and u.active else None


def user_tokens(s: Session, user_id: int) -> list[ApiToken]:
    """The API tokens of one user (revoked ones included), oldest first."""
    return list(s.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)).all())


def revoke_token(s: Session, user: User, token_id: int) -> None:
    """Revoke one of the user's tokens (admins: any token)."""
    from aankomst.registry.service import NotFound

    t = s.get(ApiToken, token_id) if 1 <= token_id <= ID_MAX else None
    if t is None or (t.user_id != user.id and user.role != "admin"):
        raise NotFound(f"no token {token_id}")
    t.revoked_at = now()
    audit(s, user, "token_revoke", None, {"token_id": t.id}, None)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of CSRF tokens (both must be non-empty texts)."""
    if not (isinstance(expected, str) and isinstance(given, str) and expected and given):
        return False
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))
