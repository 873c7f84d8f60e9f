"""Session-wide test fixtures: one real PostgreSQL server and isolated local state per run."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Isolate everything that would otherwise land in the user's home, before any import reads it.
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="vismasync-tests-"))
os.environ["VISMASYNC_HOME"] = str(_SESSION_HOME / "home")
os.environ["PREFECT_HOME"] = str(_SESSION_HOME / "prefect")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.pop("VISMASYNC_SECRET_KEY", None)

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from vismasync.store.database import (  # noqa: E402
    ServerLocation,
    create_state_engine,
    ensure_database,
    external_server,
    start_embedded_server,
)
from vismasync.store.migrate import upgrade  # noqa: E402


@pytest.fixture(scope="session")
def pg_server() -> ServerLocation:
    """A real PostgreSQL server: ``DATABASE_URL``'s when set, else an embedded one."""
    if os.environ.get("DATABASE_URL"):
        return external_server(os.environ["DATABASE_URL"])
    return start_embedded_server(_SESSION_HOME / "pgdata")


def new_database(server: ServerLocation, prefix: str = "test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    ensure_database(server, name)
    return name


@pytest.fixture(scope="session")
def engine(pg_server: ServerLocation) -> Iterator[Engine]:
    """The migrated state database shared by the session; tests isolate by integration name."""
    url = pg_server.database_url(new_database(pg_server, "state"))
    state_engine = create_state_engine(url)
    upgrade(state_engine)
    yield state_engine
    state_engine.dispose()


@pytest.fixture
def integration() -> str:
    """A fresh integration name: rows of other tests never interfere."""
    return f"it-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def empty_database(pg_server: ServerLocation) -> Iterator[Engine]:
    url = pg_server.database_url(new_database(pg_server, "empty"))
    fresh = sa.create_engine(url)
    yield fresh
    fresh.dispose()


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One Prefect test server for the whole session, started only if a test asks for it."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=60),
        # Heartbeats add ~1 s to every flow run and are only useful to detect zombie runs.
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield
