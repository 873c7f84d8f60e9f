"""Both emulators as real servers, a demo integration on them, and the Prefect test server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from vismasync.config.integrations import load_integration
from vismasync.config.model import IntegrationConfig
from vismasync.deployments.demo_integration import write_demo_config
from vismasync.emulators.common import ThreadedServer
from vismasync.emulators.eaccounting.backend import EAccountingBackend
from vismasync.emulators.eaccounting.seed import demo_seed
from vismasync.emulators.eaccounting.server import create_app as create_eaccounting_app
from vismasync.emulators.vismanet.server import create_app as create_vismanet_app
from vismasync.emulators.vismanet.service import VismaNetService
from vismasync.engine.clients import authorize_auto_approving_eaccounting, close_all
from vismasync.engine.directory import forget_runs
from vismasync.store.database import reset_engine


@dataclass
class Emulator:
    base_url: str
    admin: httpx.Client

    def counts(self) -> dict[tuple[str, str], int]:
        """Requests per (method, route template) since the last reset."""
        rows = self.admin.get("/_emulator/requests").json()["counts"]
        return {(row["method"], row["route"]): row["count"] for row in rows}

    def writes(self) -> int:
        """Write requests to the API (token requests are not writes of business data)."""
        return sum(
            n
            for (method, route), n in self.counts().items()
            if method != "GET" and not route.startswith("/connect/")
        )


@dataclass
class DemoIntegration:
    name: str
    eaccounting: Emulator
    vismanet: Emulator
    ea_backend: EAccountingBackend
    vn_service: VismaNetService
    config_dir: Path

    @property
    def config(self) -> IntegrationConfig:
        return load_integration(self.name)

    def reset_counts(self) -> None:
        for emulator in (self.eaccounting, self.vismanet):
            emulator.admin.delete("/_emulator/requests")


@pytest.fixture(scope="session")
def ea_backend() -> EAccountingBackend:
    return EAccountingBackend(demo_seed())


@pytest.fixture(scope="session")
def ea_emulator(ea_backend: EAccountingBackend) -> Iterator[Emulator]:
    with (
        ThreadedServer(create_eaccounting_app(ea_backend)) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as admin,
    ):
        yield Emulator(server.base_url, admin)


@pytest.fixture(scope="session")
def vn_service() -> VismaNetService:
    return VismaNetService("demo")


@pytest.fixture(scope="session")
def vn_emulator(vn_service: VismaNetService) -> Iterator[Emulator]:
    with (
        ThreadedServer(create_vismanet_app(vn_service)) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as admin,
    ):
        yield Emulator(server.base_url, admin)


@pytest.fixture
def demo(
    ea_emulator: Emulator,
    vn_emulator: Emulator,
    ea_backend: EAccountingBackend,
    vn_service: VismaNetService,
    engine,
    integration: str,
    prefect_server,
    tmp_path,
    monkeypatch,
) -> Iterator[DemoIntegration]:
    """A fresh demo integration on freshly reset emulators and its own ledger rows."""
    for emulator in (ea_emulator, vn_emulator):
        emulator.admin.post("/_emulator/reset").raise_for_status()
        emulator.admin.delete("/_emulator/faults")
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("VISMASYNC_CONFIG_DIR", str(tmp_path / "integrations"))
    reset_engine()
    close_all()
    forget_runs()
    write_demo_config(tmp_path / "integrations", integration, ea_emulator.base_url,
                      vn_emulator.base_url)  # fmt: skip
    authorize_auto_approving_eaccounting(load_integration(integration))
    demo = DemoIntegration(
        integration, ea_emulator, vn_emulator, ea_backend, vn_service, tmp_path / "integrations"
    )
    demo.reset_counts()
    yield demo
    close_all()
    reset_engine()
