"""Alembic environment of the registry (run programmatically by ``aankomst registry init``)."""

from __future__ import annotations

from alembic import context

from aankomst.registry.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the alembic command line, for maintainers
    from aankomst.errors import AankomstError
    from aankomst.registry.db import make_engine

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise AankomstError("set sqlalchemy.url in the alembic configuration to the registry URL")
    engine = make_engine(url)
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
