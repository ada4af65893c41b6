"""aankomst.registry: the arrival-infrastructure registry (see docs/registry.md).

Modules: ``models`` (SQLAlchemy tables), ``db`` (engines, Alembic migrations, taxonomies),
``validate`` (record validation), ``service`` (search, audited writes, optimistic
concurrency), ``auth`` (argon2id, tokens, sessions, throttling), ``io`` (CSV/GeoJSON import
and export, all-or-nothing), ``areas``/``analysis`` (centres, KD-tree accessibility,
institutional completeness), ``indicators`` (catalogue functions), ``web`` (FastAPI router:
``make_router(registry_url, atlas_path)``), ``demo`` (seeded demo inventory: ``extend``).
Nothing is imported at package import time.
"""
