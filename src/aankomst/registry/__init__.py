"""aankomst.registry: the arrival-infrastructure registry (see docs/registry.md).

Modules: ``models`` (SQLAlchemy tables), ``db`` (engines, Alembic migrations, taxonomies),
``validate`` (record validation), ``service`` (search, audited writes, optimistic
concurrency, scopes that follow geometry), ``auth`` (argon2id, tokens, sessions,
throttling), ``limits`` (request and work limits), ``io`` (CSV/GeoJSON import and export,
all-or-nothing; spreadsheet-safe CSV through :mod:`aankomst.csvsafe`), ``areas``/``analysis``
(centres, municipality boundaries, KD-tree accessibility, institutional completeness),
``indicators`` (catalogue functions), ``web`` (FastAPI router:
``make_router(registry_url, atlas_path)``) with its routes in ``web_api``, ``web_pages`` and
``web_practices`` and their shared helpers in ``http``, ``maps`` and ``i18n`` (nl/fr/en pages
and error messages from ``data/registry/ui_strings.csv``), ``practices`` (the exchange of
practices between OCMWs: validation, search, audited changes), ``demo`` (seeded demo
inventory and practices: ``extend``). Threat model and limits: docs/security.md.
Nothing is imported at package import time.
"""
