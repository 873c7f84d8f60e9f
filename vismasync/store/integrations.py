"""Integration names to ids: every other table is keyed by the integration's id."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from vismasync.store.models import Integration


def integration_id(conn: Connection, name: str) -> int:
    """The id of integration ``name``, registering it on first use."""
    conn.execute(insert(Integration).values(name=name).on_conflict_do_nothing())
    return conn.execute(sa.select(Integration.id).where(Integration.name == name)).scalar_one()


def resolve_integration(engine: Engine, name: str) -> int:
    with engine.begin() as conn:
        return integration_id(conn, name)


def integration_names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(Integration.name).order_by(Integration.name)).scalars())


def forget_integration(engine: Engine, name: str) -> bool:
    """Delete everything stored for integration ``name`` (ledger, watermarks, target index,
    tokens: they cascade); False when nothing was stored."""
    with engine.begin() as conn:
        result = conn.execute(sa.delete(Integration).where(Integration.name == name))
        return result.rowcount > 0
