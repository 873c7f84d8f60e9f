"""Client of the Visma.net ERP service API (``api.finance.visma.net``): httpx + pydantic only."""

from vismasync.connectors.vismanet.auth import DEFAULT_SCOPES, ClientCredentialsAuth
from vismasync.connectors.vismanet.client import VismaNetClient
from vismasync.connectors.vismanet.salesorders import (
    SalesOrderRef,
    SalesOrderWriter,
    V2SalesOrderWriter,
)

__all__ = [
    "DEFAULT_SCOPES",
    "ClientCredentialsAuth",
    "SalesOrderRef",
    "SalesOrderWriter",
    "V2SalesOrderWriter",
    "VismaNetClient",
]
