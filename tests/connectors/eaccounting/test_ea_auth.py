"""Token persistence and rotation: one refresh per version, secrets never shown."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from vismasync.connectors.eaccounting import (
    EAccountingOAuth,
    InMemoryTokenStore,
    TokenManager,
    TokenSet,
)
from vismasync.connectors.http import AuthError, TransientError

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def tokens(n: int, expires_in: float = 3600) -> TokenSet:
    return TokenSet(f"access-{n}", f"refresh-{n}", NOW + timedelta(seconds=expires_in))


def test_rotate_refreshes_once_per_version_even_under_concurrency() -> None:
    store = InMemoryTokenStore()
    first = store.save(tokens(1))
    calls: list[str] = []

    def refresh(current: TokenSet) -> TokenSet:
        calls.append(current.refresh_token)
        time.sleep(0.01)  # widen the race window
        return tokens(len(calls) + 1)

    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(store.rotate(first.version, refresh)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["refresh-1"]
    assert {r.version for r in results} == {first.version + 1}
    assert {r.tokens.access_token for r in results} == {"access-2"}


def test_rotate_without_tokens_is_an_auth_error() -> None:
    with pytest.raises(AuthError):
        InMemoryTokenStore().rotate(1, lambda t: t)


def test_manager_refreshes_proactively_before_expiry() -> None:
    store = InMemoryTokenStore()
    store.save(tokens(1, expires_in=30))  # inside the 60 s margin
    oauth = _FakeOAuth()
    manager = TokenManager(store, oauth, clock=lambda: NOW)  # type: ignore[arg-type]
    assert manager.current().tokens.access_token == "access-2"
    assert oauth.refreshed == ["refresh-1"]
    assert manager.current().tokens.access_token == "access-2"  # fresh now: no refresh
    assert oauth.refreshed == ["refresh-1"]


class _FakeOAuth:
    def __init__(self) -> None:
        self.refreshed: list[str] = []

    def refresh(self, current: TokenSet) -> TokenSet:
        self.refreshed.append(current.refresh_token)
        return tokens(len(self.refreshed) + 1)


def _oauth(handler: Any) -> EAccountingOAuth:
    return EAccountingOAuth(
        "https://identity.example.com",
        "client-1",
        "very-secret-value",
        "http://localhost:8765/callback",
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        clock=lambda: NOW,
    )


def test_a_refused_refresh_token_is_not_sent_again_until_authorized_again() -> None:
    """After invalid_grant every request of the run would refresh again, one refusal each: the
    manager raises the refusal it has until the store holds a new pair."""
    requests: list[str] = []

    def identity(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path)
        return httpx.Response(400, json={"error": "invalid_grant"})

    store = InMemoryTokenStore(tokens(1, expires_in=-10))
    manager = TokenManager(store, _oauth(identity), clock=lambda: NOW)
    for _ in range(3):
        with pytest.raises(AuthError, match="authorize the connection again"):
            manager.current()
    with pytest.raises(AuthError):
        manager.after_unauthorized(store.load().version)
    assert requests == ["/connect/token"]
    store.save(tokens(2))  # authorized again
    assert manager.current().tokens.access_token == "access-2"


def test_secrets_stay_out_of_reprs_and_errors() -> None:
    oauth = _oauth(lambda request: httpx.Response(400, json={"error": "invalid_grant"}))
    assert "very-secret-value" not in repr(oauth)
    assert "access-1" not in repr(tokens(1)) and "refresh-1" not in repr(tokens(1))
    with pytest.raises(AuthError) as raised:
        oauth.refresh(tokens(1))
    text = f"{raised.value} {raised.value!r} {raised.value.url}"
    assert "very-secret-value" not in text and "refresh-1" not in text
    assert raised.value.code == "invalid_grant"


def test_token_requests_are_form_encoded_with_basic_auth() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"access_token": "a2", "refresh_token": "r2", "expires_in": 1800}
        )

    fresh = _oauth(handler).refresh(tokens(1))
    assert fresh == TokenSet("a2", "r2", NOW + timedelta(seconds=1800))
    request = seen[0]
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["authorization"].startswith("Basic ")
    assert b"grant_type=refresh_token" in request.content
    assert b"very-secret-value" not in request.content


def test_refresh_is_not_retried_and_server_errors_are_transient() -> None:
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        return httpx.Response(503)

    with pytest.raises(TransientError):
        _oauth(handler).refresh(tokens(1))
    assert len(attempts) == 1

    def no_refresh_token(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"access_token": "a", "expires_in": 3600})

    with pytest.raises(AuthError, match="offline_access"):
        _oauth(no_refresh_token).refresh(tokens(1))


def test_authorize_url_carries_the_request() -> None:
    url = httpx.URL(_oauth(lambda r: httpx.Response(500)).authorize_url("st", prompt="login"))
    assert url.path == "/connect/authorize"
    assert url.params["client_id"] == "client-1" and url.params["state"] == "st"
    assert url.params["response_type"] == "code" and url.params["prompt"] == "login"
    assert set(url.params["scope"].split()) >= {"ea:api", "offline_access"}
    assert "very-secret-value" not in str(url)
