"""Atomic OAuth token rotation, encrypted at rest."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from vismasync.store.crypto import SecretBox, SecretKeyError
from vismasync.store.tokens import OAuthTokenRepository, TokenPair, TokenProtocolError

EXPIRES = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ConnectorTokens:  # a connector's own token type: the store accepts any such shape
    access_token: str
    refresh_token: str
    expires_at: datetime


def test_concurrent_refreshers_spend_the_refresh_token_once(engine, integration):
    repo = OAuthTokenRepository(engine, integration, "eaccounting")
    first = repo.save(TokenPair("access-0", "refresh-0", EXPIRES))
    spent: list[str] = []
    results = []
    barrier = threading.Barrier(2)

    def refresh(current):
        spent.append(current.refresh_token)
        time.sleep(0.2)  # keep the row locked while the other refresher arrives
        n = len(spent)
        return ConnectorTokens(f"access-{n}", f"refresh-{n}", EXPIRES + timedelta(hours=n))

    def refresher():
        barrier.wait()
        results.append(
            OAuthTokenRepository(engine, integration, "eaccounting").rotate(first.version, refresh)
        )

    threads = [threading.Thread(target=refresher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert spent == ["refresh-0"]
    assert [r.tokens.refresh_token for r in results] == ["refresh-1", "refresh-1"]
    assert {r.version for r in results} == {first.version + 1}
    assert repo.load().tokens.access_token == "access-1"


def test_tokens_are_encrypted_at_rest(engine, integration):
    repo = OAuthTokenRepository(engine, integration, "eaccounting")
    repo.save(TokenPair("very-secret-access", "very-secret-refresh", EXPIRES))
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT t.* FROM oauth_token t JOIN integration i ON i.id = t.integration_id "
                "WHERE i.name = :name"
            ),
            {"name": integration},
        ).one()
    stored = " ".join(str(value) for value in row)
    assert "very-secret" not in stored
    assert repo.load().tokens.refresh_token == "very-secret-refresh"


def test_token_pair_repr_hides_tokens():
    text = repr(TokenPair("very-secret-access", "very-secret-refresh", EXPIRES))
    assert "very-secret" not in text


def test_rotate_without_stored_tokens_explains(engine, integration):
    repo = OAuthTokenRepository(engine, integration, "eaccounting")
    with pytest.raises(TokenProtocolError, match="authorize"):
        repo.rotate(1, lambda current: current)


def test_a_different_key_cannot_read_stored_tokens(engine, integration):
    OAuthTokenRepository(engine, integration, "eaccounting").save(TokenPair("a", "r", EXPIRES))
    other_key = SecretBox(b"A" * 43 + b"=")
    with pytest.raises(SecretKeyError, match="cannot be decrypted"):
        OAuthTokenRepository(engine, integration, "eaccounting", other_key).load()


def test_malformed_key_is_named():
    with pytest.raises(SecretKeyError, match="VISMASYNC_SECRET_KEY"):
        SecretBox(b"not-a-key")
