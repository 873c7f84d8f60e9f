"""Session-wide test fixtures: one real PostgreSQL server and isolated local state per run."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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

from vismasync.deployments.prefect_server import (  # noqa: E402
    PrefectServerAddress,
    start_prefect_server,
    stop_process,
    wait_until_healthy,
)
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


# --- A real Prefect server (API, UI, automations, workers) -------------------------------------
# For the tests that need more than the in-process harness; started once, on the test
# PostgreSQL server, only when a test asks for it.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def free_port() -> Callable[[], int]:
    """A function returning a free TCP port on 127.0.0.1."""
    return _free_port


@pytest.fixture(scope="session")
def real_prefect(pg_server) -> Iterator[PrefectServerAddress]:
    address = PrefectServerAddress(port=_free_port())
    process = start_prefect_server(pg_server, address)
    try:
        wait_until_healthy(address, process=process)
        yield address
    finally:
        stop_process(process)


@pytest.fixture
def real_prefect_api(real_prefect: PrefectServerAddress) -> Iterator[PrefectServerAddress]:
    """This test's Prefect client calls and flow runs go to the real server."""
    from prefect.events.worker import EventsWorker
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings

    # The events worker is a process-wide singleton bound to the API it first talked to:
    # start a fresh one for this server, and again afterwards for the next test's server.
    EventsWorker.drain_all(timeout=10)
    updates = {PREFECT_API_URL: real_prefect.api_url, PREFECT_UI_URL: real_prefect.ui_url}
    with temporary_settings(updates):
        yield real_prefect
        EventsWorker.drain_all(timeout=10)


class WebhookReceiver:
    """A local HTTP endpoint that records every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        received = self.messages

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    received.append(json.loads(body).get("text", ""))
                except ValueError:
                    received.append(body.decode(errors="replace"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, matches: Callable[[str], bool], timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in list(self.messages):
                if matches(message):
                    return message
            time.sleep(0.2)
        raise AssertionError(f"no matching message within {timeout} s; got {self.messages}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()
