"""Client of the Visma eAccounting API v2 (httpx + pydantic only)."""

from vismasync.connectors.eaccounting.auth import (
    EAccountingOAuth,
    InMemoryTokenStore,
    StoredTokens,
    TokenManager,
    TokenSet,
    TokenStore,
)
from vismasync.connectors.eaccounting.client import EAccountingClient

__all__ = [
    "EAccountingClient",
    "EAccountingOAuth",
    "InMemoryTokenStore",
    "StoredTokens",
    "TokenManager",
    "TokenSet",
    "TokenStore",
]
