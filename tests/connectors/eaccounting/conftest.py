"""The connector against a real eAccounting emulator server (one per session)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from vismasync.connectors.eaccounting import EAccountingClient, InMemoryTokenStore
from vismasync.connectors.http import RetryPolicy
from vismasync.emulators.common import ThreadedServer
from vismasync.emulators.eaccounting.backend import EAccountingBackend
from vismasync.emulators.eaccounting.ratelimit import RateLimiter
from vismasync.emulators.eaccounting.seed import demo_seed
from vismasync.emulators.eaccounting.server import create_app

CLIENT_ID, CLIENT_SECRET = "vismasync-demo", "vismasync-demo-secret"
REDIRECT = "http://localhost:8765/callback"


@dataclass
class Harness:
    backend: EAccountingBackend
    base_url: str
    admin: httpx.Client
    sleeps: list[float] = field(default_factory=list)

    def client(self, store: InMemoryTokenStore | None = None, **kwargs: Any) -> EAccountingClient:
        """A connected client; with no (or an empty) store it runs the authorization-code
        flow first."""
        options: dict[str, Any] = {
            "retry_policy": RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.002),
            "sleep": self.sleeps.append,
        } | kwargs
        client = EAccountingClient(
            api_base=f"{self.base_url}/v2",
            identity_base=self.base_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=REDIRECT,
            token_store=store or InMemoryTokenStore(),
            **options,
        )
        if client.tokens.store.load() is None:
            connect(client)
        return client

    def requests(self, method: str, route: str) -> int:
        counts = self.admin.get("/_emulator/requests").json()["counts"]
        return sum(c["count"] for c in counts if (c["method"], c["route"]) == (method, route))


def connect(client: EAccountingClient) -> None:
    """The authorization-code flow as the ``init`` assistant runs it (browser = httpx)."""
    url = client.oauth.authorize_url(state="st-1")
    redirect = httpx.get(url, follow_redirects=False)
    assert redirect.status_code == 302
    location = httpx.URL(redirect.headers["location"])
    assert location.params["state"] == "st-1"
    tokens = client.oauth.exchange_code(location.params["code"])
    client.tokens.store.save(tokens)


@pytest.fixture(scope="session")
def ea_connector_backend() -> EAccountingBackend:
    return EAccountingBackend(demo_seed())


@pytest.fixture(scope="session")
def ea_connector_server(ea_connector_backend: EAccountingBackend) -> Iterator[str]:
    with ThreadedServer(create_app(ea_connector_backend)) as server:
        yield server.base_url


@pytest.fixture
def harness(
    ea_connector_backend: EAccountingBackend, ea_connector_server: str
) -> Iterator[Harness]:
    with httpx.Client(base_url=ea_connector_server, timeout=10) as admin:
        admin.post("/_emulator/reset")
        ea_connector_backend.limiter = RateLimiter(600, 60.0)
        yield Harness(ea_connector_backend, ea_connector_server, admin)
        admin.delete("/_emulator/faults")
    ea_connector_backend.identity.token_lifetime = 3600
    ea_connector_backend.limiter = RateLimiter(600, 60.0)


@pytest.fixture
def client(harness: Harness) -> Iterator[EAccountingClient]:
    with harness.client() as connected:
        yield connected
