"""OAuth token pairs, rotated atomically.

eAccounting refresh tokens are single-use: the new pair must be stored in the same transaction
that read the old one, under a row lock, so two workers never spend the same refresh token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from vismasync.store.crypto import SecretBox
from vismasync.store.integrations import integration_id
from vismasync.store.models import OAuthToken


@dataclass(frozen=True)
class TokenPair:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime


@dataclass(frozen=True)
class StoredTokenPair:
    tokens: TokenPair
    version: int


class TokenProtocolError(RuntimeError):
    """``rotate`` was asked to refresh tokens that were never stored."""


class OAuthTokenRepository:
    """The token pair of one (integration, system), encrypted at rest.

    Structurally the ``TokenStore`` a connector expects: ``load``, ``save``, ``rotate``.
    """

    def __init__(self, engine: Engine, integration: str, system: str, box: SecretBox | None = None):
        self.engine = engine
        self.system = system
        self.box = box or SecretBox()
        with engine.begin() as conn:
            self.integration_id = integration_id(conn, integration)

    def _key(self) -> sa.ColumnElement[bool]:
        return sa.and_(
            OAuthToken.integration_id == self.integration_id, OAuthToken.system == self.system
        )

    def _decode(self, row: sa.Row) -> StoredTokenPair:
        return StoredTokenPair(
            tokens=TokenPair(
                access_token=self.box.decrypt(row.access_token_encrypted),
                refresh_token=self.box.decrypt(row.refresh_token_encrypted),
                expires_at=row.expires_at,
            ),
            version=row.version,
        )

    def load(self) -> StoredTokenPair | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(OAuthToken).where(self._key())).first()
        return self._decode(row) if row is not None else None

    def save(self, tokens: TokenPair) -> StoredTokenPair:
        """Store a pair obtained outside a rotation (the initial authorization)."""
        values = {
            "access_token_encrypted": self.box.encrypt(tokens.access_token),
            "refresh_token_encrypted": self.box.encrypt(tokens.refresh_token),
            "expires_at": tokens.expires_at,
        }
        with self.engine.begin() as conn:
            version = conn.execute(
                insert(OAuthToken)
                .values(integration_id=self.integration_id, system=self.system, version=1, **values)
                .on_conflict_do_update(
                    index_elements=["integration_id", "system"],
                    set_={
                        **values,
                        "version": OAuthToken.version + 1,
                        "updated_at": sa.func.now(),
                    },
                )
                .returning(OAuthToken.version)
            ).scalar_one()
        return StoredTokenPair(tokens=_plain(tokens), version=version)

    def rotate(self, seen_version: int, refresh: Callable[[TokenPair], object]) -> StoredTokenPair:
        """Replace the pair the caller saw (``seen_version``) with ``refresh(current)``.

        If another worker rotated since the caller read the pair, its result is returned and
        ``refresh`` is not called: the current refresh token has not been spent yet by us.
        The row stays locked while ``refresh`` runs, so concurrent rotators queue up here.
        """
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(OAuthToken).where(self._key()).with_for_update()).first()
            if row is None:
                raise TokenProtocolError(
                    f"No {self.system} tokens are stored; authorize the connection first."
                )
            current = self._decode(row)
            if current.version != seen_version:
                return current
            fresh = _plain(refresh(current.tokens))
            version = current.version + 1
            conn.execute(
                sa.update(OAuthToken)
                .where(self._key())
                .values(
                    access_token_encrypted=self.box.encrypt(fresh.access_token),
                    refresh_token_encrypted=self.box.encrypt(fresh.refresh_token),
                    expires_at=fresh.expires_at,
                    version=version,
                    updated_at=sa.func.now(),
                )
            )
            return StoredTokenPair(tokens=fresh, version=version)


def _plain(tokens: object) -> TokenPair:
    """Accept any object with the three token attributes (the connector's own type)."""
    return TokenPair(
        access_token=tokens.access_token,  # type: ignore[attr-defined]
        refresh_token=tokens.refresh_token,  # type: ignore[attr-defined]
        expires_at=tokens.expires_at,  # type: ignore[attr-defined]
    )
