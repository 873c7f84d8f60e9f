"""A Visma.net emulator server for the connector tests, and clients pointed at it."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vismasync.connectors.vismanet import VismaNetClient
from vismasync.emulators.common import ThreadedServer
from vismasync.emulators.vismanet.server import create_app
from vismasync.emulators.vismanet.service import VismaNetService

# The spec validators live with the emulator tests; load them by path (no test packages).
_OPENAPI = Path(__file__).parents[2] / "emulators" / "vismanet" / "vismanet_openapi.py"
_module_spec = importlib.util.spec_from_file_location("vismanet_openapi", _OPENAPI)
assert _module_spec and _module_spec.loader
vismanet_openapi = importlib.util.module_from_spec(_module_spec)
sys.modules.setdefault("vismanet_openapi", vismanet_openapi)
_module_spec.loader.exec_module(vismanet_openapi)
sys.path.insert(0, str(Path(__file__).parent))

from vn_connector_helpers import Clock, Recorder, make_client  # noqa: E402


@pytest.fixture(scope="session")
def vn_connector_service() -> VismaNetService:
    return VismaNetService("demo", backend_options={"max_page_size": 25})


@pytest.fixture(scope="session")
def vn_base(vn_connector_service: VismaNetService) -> Iterator[str]:
    server = ThreadedServer(create_app(vn_connector_service))
    yield server.start()
    server.stop()


@pytest.fixture(autouse=True)
def vn_fresh(vn_base: str, vn_connector_service: VismaNetService) -> None:
    httpx.post(f"{vn_base}/_emulator/reset").raise_for_status()
    vn_connector_service.budget.clock = Clock()
    vn_connector_service.budget.limit = 15000


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(vn_base: str, recorder: Recorder, sleeps: list[float]) -> Iterator[VismaNetClient]:
    with make_client(vn_base, transport=recorder, page_size=7, sleep=sleeps.append) as c:
        yield c
