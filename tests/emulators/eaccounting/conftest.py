"""One eAccounting emulator server per test session; state reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from vismasync.emulators.common import ThreadedServer
from vismasync.emulators.eaccounting.backend import EAccountingBackend, EmulatorSettings
from vismasync.emulators.eaccounting.oauth import DEMO_CLIENT
from vismasync.emulators.eaccounting.ratelimit import RateLimiter
from vismasync.emulators.eaccounting.seed import demo_seed
from vismasync.emulators.eaccounting.server import create_app

REDIRECT = "http://localhost:8765/callback"
FULL_SCOPES = "ea:api offline_access ea:sales ea:accounting"


@dataclass
class Emulator:
    backend: EAccountingBackend
    base_url: str
    http: httpx.Client

    def tokens(self, scopes: str = FULL_SCOPES) -> dict[str, object]:
        """A token answer through the real authorize + token endpoints."""
        answer = self.http.get(
            "/connect/authorize",
            params={
                "client_id": DEMO_CLIENT.client_id,
                "redirect_uri": REDIRECT,
                "response_type": "code",
                "scope": scopes,
                "state": "s1",
            },
        )
        assert answer.status_code == 302, answer.text
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        token = self.http.post(
            "/connect/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
            auth=(DEMO_CLIENT.client_id, DEMO_CLIENT.client_secret),
        )
        assert token.status_code == 200, token.text
        return token.json()

    def auth(self, scopes: str = FULL_SCOPES) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens(scopes)['access_token']}"}


@pytest.fixture(scope="session")
def ea_backend() -> EAccountingBackend:
    return EAccountingBackend(demo_seed(), EmulatorSettings())


@pytest.fixture(scope="session")
def ea_server(ea_backend: EAccountingBackend) -> Iterator[str]:
    with ThreadedServer(create_app(ea_backend)) as server:
        yield server.base_url


@pytest.fixture
def emulator(ea_backend: EAccountingBackend, ea_server: str) -> Iterator[Emulator]:
    with httpx.Client(base_url=ea_server, timeout=10) as http:
        assert http.post("/_emulator/reset").status_code == 200
        ea_backend.limiter = RateLimiter(600, 60.0)
        yield Emulator(ea_backend, ea_server, http)
    ea_backend.settings.rate_limit, ea_backend.settings.rate_window = 600, 60.0
    ea_backend.limiter = RateLimiter(600, 60.0)
    ea_backend.identity.token_lifetime = 3600
