"""One Visma.net emulator server for this directory; state reset before every test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vismasync.emulators.common import ThreadedServer
from vismasync.emulators.vismanet.server import create_app
from vismasync.emulators.vismanet.service import VismaNetService

sys.path.insert(0, str(Path(__file__).parent))

from vn_emulator_helpers import FakeClock, token


@pytest.fixture(scope="session")
def vn_service() -> VismaNetService:
    return VismaNetService("demo", backend_options={"max_page_size": 50})


@pytest.fixture(scope="session")
def vn_server(vn_service: VismaNetService) -> Iterator[str]:
    server = ThreadedServer(create_app(vn_service))
    yield server.start()
    server.stop()


@pytest.fixture(autouse=True)
def vn_reset(vn_server: str, vn_service: VismaNetService) -> Iterator[None]:
    httpx.post(f"{vn_server}/_emulator/reset").raise_for_status()
    vn_service.budget.clock = FakeClock()
    vn_service.budget.limit = 15000
    yield


@pytest.fixture
def api(vn_server: str) -> Iterator[httpx.Client]:
    """An HTTP client authenticated as the demo client (all scopes)."""
    headers = {"Authorization": f"Bearer {token(vn_server)}"}
    with httpx.Client(base_url=vn_server, headers=headers) as client:
        yield client
