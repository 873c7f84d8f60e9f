"""A real Prefect server (API, UI, automations) on the test PostgreSQL server, for the tests
that need more than the in-process test harness: automations, workers, the UI."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vismasync.deployments.prefect_server import (
    PrefectServerAddress,
    start_prefect_server,
    stop_process,
    wait_until_healthy,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def real_prefect(pg_server) -> Iterator[PrefectServerAddress]:
    address = PrefectServerAddress(port=free_port())
    process = start_prefect_server(pg_server, address)
    try:
        wait_until_healthy(address, process=process)
        yield address
    finally:
        stop_process(process)


@pytest.fixture
def real_prefect_api(real_prefect: PrefectServerAddress) -> Iterator[PrefectServerAddress]:
    """This test's Prefect client calls and flow runs go to the real server."""
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings

    updates = {PREFECT_API_URL: real_prefect.api_url, PREFECT_UI_URL: real_prefect.ui_url}
    with temporary_settings(updates):
        yield real_prefect


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
