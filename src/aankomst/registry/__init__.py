"""aankomst.registry: the arrival-infrastructure registry (see docs/registry.md).

Modules: ``models`` (SQLAlchemy tables), ``db`` (engines, Alembic migrations, taxonomies),
``validate`` (record validation), ``service`` (search, audited writes, optimistic
concurrency, scopes that follow geometry), ``auth`` (argon2id, tokens, sessions,
throttling), ``limits`` (request and work limits), ``io`` (CSV/GeoJSON import and export,
all-or-nothing; spreadsheet-safe CSV through :mod:`aankomst.csvsafe`), ``areas``/``analysis``
(centres, municipality boundaries, KD-tree accessibility, institutional completeness),
``indicators`` (catalogue functions), ``web`` (FastAPI router:
``make_router(registry_url, atlas_path)``) with its routes in ``web_api`` and ``web_pages``
and their shared helpers in ``http`` and ``maps``, ``demo`` (seeded demo inventory:
``extend``). Threat model and limits: docs/security.md.
Nothing is imported at package import time.
"""
