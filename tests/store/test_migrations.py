"""Migrations build the schema from an empty database, and agree with the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from vismasync.store.migrate import current_revision, head_revision, upgrade
from vismasync.store.models import Base


def test_migrations_run_from_an_empty_database(empty_database):
    assert current_revision(empty_database) is None

    assert upgrade(empty_database) == head_revision()

    tables = set(sa.inspect(empty_database).get_table_names())
    assert {"integration", "ledger", "watermark", "target_index", "oauth_token"} <= tables
    assert current_revision(empty_database) == head_revision()
    assert upgrade(empty_database) == head_revision()  # idempotent


def test_migrated_schema_matches_the_models(empty_database):
    upgrade(empty_database)
    with empty_database.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []
