"""SQLAlchemy 2.x data model of the arrival-infrastructure registry.

Tables
------
``terms``
    Taxonomy values (vocabulary, code, nl/en/fr labels), loaded from
    ``aankomst/data/registry/*.csv``.
``resources``
    One local resource (service, organisation, place). Location is stored as WGS84
    longitude/latitude (EPSG:4326, degrees); analyses project to EPSG:31370 (metres).
    ``valid_from``/``valid_to`` bound the period the resource existed: a closed service keeps
    its row (and history). ``deleted_at`` marks a soft delete (restorable). ``version`` is
    the optimistic-concurrency counter (every update increments it; a stale update fails).
``resource_terms``
    Multi-valued taxonomy links (domain, sphere, eligibility, function, language).
``users``, ``user_scopes``, ``api_tokens``, ``sessions``, ``login_attempts``
    Accounts (argon2 password hashes), editor scopes (municipality NIS codes), API tokens and
    browser sessions (stored as SHA-256 hashes of random secrets), failed-login log for
    throttling.
``audit_log``
    Every change of a resource (``resource_id``), a practice (``practice_id``) or an account:
    who, when, action, before and after (JSON).
``boundaries``
    The registry's own copy of the municipality polygons (WKB, EPSG:31370), copied from an
    atlas: editor scopes follow the municipality a resource's point lies in.
``practices``, ``practice_targets``, ``practice_links``
    The exchange of practices between OCMWs (issue 12): one practice of an OCMW (municipality
    NIS code), its domain, target groups and links; soft delete and optimistic concurrency as
    for resources. Validation and queries: :mod:`aankomst.registry.practices`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

MULTI_VOCABS: tuple[str, ...] = ("domain", "sphere", "eligibility", "function", "language")
"""Vocabularies with several values per resource (stored in ``resource_terms``)."""

SINGLE_VOCABS: tuple[str, ...] = ("provider_type", "formality", "scale")
"""Vocabularies with exactly one value per resource (columns of ``resources``)."""

ROLES: tuple[str, ...] = ("viewer", "editor", "admin")


class Base(DeclarativeBase):
    """Declarative base of the registry tables."""


class Term(Base):
    """One value of a taxonomy (e.g. vocabulary ``domain``, code ``health``)."""

    __tablename__ = "terms"
    vocabulary: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label_nl: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    label_fr: Mapped[str | None] = mapped_column(String(200))
    definition_en: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    extra: Mapped[dict | None] = mapped_column(JSON)


class Resource(Base):
    """A local resource newcomers rely on."""

    __tablename__ = "resources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    provider_type: Mapped[str] = mapped_column(String(64))
    formality: Mapped[str] = mapped_column(String(64))
    scale: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(500))
    municipality_nis: Mapped[str] = mapped_column(String(5), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    opening_hours: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str | None] = mapped_column(Text)
    last_verified: Mapped[date | None] = mapped_column(Date)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    terms: Mapped[list[ResourceTerm]] = relationship(
        back_populates="resource", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_resources_lat_lon", "lat", "lon"),
        Index("ix_resources_name", "name", "id"),
        Index("ix_resources_validity", "valid_from", "valid_to"),
    )


class ResourceTerm(Base):
    """Link of a resource to a taxonomy value (multi-valued vocabularies)."""

    __tablename__ = "resource_terms"
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
    )
    vocabulary: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource: Mapped[Resource] = relationship(back_populates="terms")
    __table_args__ = (
        ForeignKeyConstraint(["vocabulary", "code"], ["terms.vocabulary", "terms.code"]),
        Index("ix_resource_terms_vc", "vocabulary", "code"),
        Index("ix_resource_terms_code_resource", "vocabulary", "code", "resource_id"),
    )


class User(Base):
    """An account. ``role`` is viewer, editor or admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    scopes: Mapped[list[UserScope]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def scope_codes(self) -> list[str]:
        """Municipality NIS codes an editor may edit."""
        return sorted(s.nis for s in self.scopes)


class UserScope(Base):
    """One municipality (NIS code) an editor may edit."""

    __tablename__ = "user_scopes"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    nis: Mapped[str] = mapped_column(String(5), primary_key=True)


class ApiToken(Base):
    """An API token (only its SHA-256 hash is stored)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebSession(Base):
    """A browser session: hash of the cookie secret plus the CSRF token bound to it."""

    __tablename__ = "sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class LoginAttempt(Base):
    """A failed login (for throttling by user name and client address)."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    client: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class AuditEntry(Base):
    """One recorded change of a resource, a practice (or account)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int | None] = mapped_column(Integer, index=True)
    practice_id: Mapped[int | None] = mapped_column(Integer, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class Boundary(Base):
    """One area polygon of the registry's boundary copy (WKB in EPSG:31370)."""

    __tablename__ = "boundaries"
    level: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    layout: Mapped[str] = mapped_column(String(32))
    geometry: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(500))
    loaded_at: Mapped[datetime] = mapped_column(DateTime)


class Practice(Base):
    """One practice of an OCMW (exchange of practices)."""

    __tablename__ = "practices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    ocmw_code: Mapped[str] = mapped_column(String(16), index=True)
    domain: Mapped[str] = mapped_column(String(40), index=True)
    approach: Mapped[str] = mapped_column(Text)
    results: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    published_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    targets: Mapped[list[PracticeTarget]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    links: Mapped[list[PracticeLink]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __mapper_args__ = {"version_id_col": version}


class PracticeTarget(Base):
    """A target group of a practice."""

    __tablename__ = "practice_targets"
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True)
    target_group: Mapped[str] = mapped_column(String(40), primary_key=True)


class PracticeLink(Base):
    """A link of a practice (report, contact page, video)."""

    __tablename__ = "practice_links"
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(String(500), primary_key=True)
    label: Mapped[str] = mapped_column(String(200), default="")
