"""One writer per (integration, flow): a PostgreSQL session-level advisory lock.

The lock lives on a dedicated connection held for the whole run, so it is released when the run
ends and also when its process dies (the server drops the session), never left behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine


class AlreadyRunning(RuntimeError):
    """Another run of the same flow for the same integration holds the lock."""


def lock_key(integration: str, flow: str) -> int:
    """A stable signed 64-bit key for the advisory lock of (integration, flow)."""
    digest = hashlib.blake2b(f"vismasync:{integration}:{flow}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def flow_lock(engine: Engine, integration: str, flow: str) -> Iterator[None]:
    """Hold the (integration, flow) lock for the duration of the block.

    Raises:
        AlreadyRunning: another run holds it; this run must not write anything.
    """
    key = lock_key(integration, flow)
    with engine.connect() as conn:
        acquired = conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        conn.commit()
        if not acquired:
            raise AlreadyRunning(
                f"Flow {flow!r} of integration {integration!r} is already running; "
                "wait for that run to finish (see the Prefect UI) before starting another."
            )
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()
