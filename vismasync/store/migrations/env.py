"""Alembic environment: migrations run on a connection handed over by vismasync.store.migrate."""

from alembic import context

from vismasync.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
