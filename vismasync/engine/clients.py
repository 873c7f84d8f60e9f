"""Clients of both systems for one integration, built once per process and reused.

Tasks receive an integration name, never a client: clients hold sockets and tokens and must
not be hashed, pickled or shared across processes by the orchestrator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from vismasync.config.model import IntegrationConfig
from vismasync.connectors.eaccounting.client import EAccountingClient
from vismasync.connectors.vismanet.client import VismaNetClient
from vismasync.connectors.vismanet.salesorders import SalesOrderWriter, V2SalesOrderWriter
from vismasync.connectors.vismanet.salesorders_v3 import v3_writer_factory
from vismasync.connectors.vismanet.transport import VismaNetHttp
from vismasync.store.database import get_engine
from vismasync.store.tokens import OAuthTokenRepository

EACCOUNTING = "eaccounting"

_lock = threading.Lock()
_clients: dict[tuple[str, str], object] = {}


def eaccounting_token_store(config: IntegrationConfig) -> OAuthTokenRepository:
    return OAuthTokenRepository(get_engine(), config.name, EACCOUNTING)


def _cache_key(config: IntegrationConfig, system: str) -> tuple[str, str]:
    # The whole connection section: a changed setting builds a new client.
    section = getattr(config, system).model_dump_json()
    if system == "vismanet":  # and the settings that choose its sales-order writer
        section += repr(_writer_settings(config))
    return (config.name, f"{system}:{section}")


def _writer_settings(config: IntegrationConfig) -> tuple[str, str, str]:
    settings = config.flows.sales_orders
    return (settings.sales_order_api, settings.order_key, settings.order_numbering_id)


def sales_order_writer(config: IntegrationConfig) -> Callable[[VismaNetHttp], SalesOrderWriter]:
    """The writer the integration's sales orders go through: SalesOrders V3 unless the retired
    v2 endpoint is chosen (``flows.sales_orders.sales_order_api``)."""
    api, order_key, numbering_id = _writer_settings(config)
    if api == "v2":
        return V2SalesOrderWriter
    return v3_writer_factory(
        str(config.vismanet.salesorders_url).rstrip("/"),
        order_key=order_key,
        numbering_id=numbering_id,
    )


def build_eaccounting_client(
    config: IntegrationConfig, client_secret: str | None = None
) -> EAccountingClient:
    """A new eAccounting client (``client_secret`` overrides the configured reference)."""
    ea = config.eaccounting
    return EAccountingClient(
        api_base=str(ea.api_url).rstrip("/"),
        identity_base=str(ea.identity_url).rstrip("/"),
        client_id=ea.client_id,
        client_secret=client_secret or ea.client_secret.resolve(),
        redirect_uri=str(ea.redirect_uri),
        token_store=eaccounting_token_store(config),
        scopes=list(ea.scopes),
    )


def build_vismanet_client(
    config: IntegrationConfig, client_secret: str | None = None
) -> VismaNetClient:
    """A new Visma.net client (``client_secret`` overrides the configured reference)."""
    vn = config.vismanet
    return VismaNetClient(
        api_base_url=str(vn.api_url).rstrip("/"),
        token_url=str(vn.token_url),
        client_id=vn.client_id,
        client_secret=client_secret or vn.client_secret.resolve().get_secret_value(),
        tenant_id=vn.tenant_id,
        scopes=tuple(vn.scopes),
        sales_order_writer=sales_order_writer(config),
    )


def eaccounting_client(config: IntegrationConfig) -> EAccountingClient:
    """The process's shared eAccounting client of this integration."""
    key = _cache_key(config, EACCOUNTING)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = build_eaccounting_client(config)
        return client  # type: ignore[return-value]


def vismanet_client(config: IntegrationConfig) -> VismaNetClient:
    """The process's shared Visma.net client of this integration (one token cache)."""
    key = _cache_key(config, "vismanet")
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = build_vismanet_client(config)
        return client  # type: ignore[return-value]


def close_all() -> None:
    """Close every cached client (tests, and the end of a long-lived process)."""
    with _lock:
        for client in _clients.values():
            client.close()  # type: ignore[attr-defined]
        _clients.clear()


def eaccounting_authorize_url(config: IntegrationConfig, state: str) -> str:
    """Where the user connects an eAccounting company (step 1 of the authorization)."""
    return eaccounting_client(config).oauth.authorize_url(state=state)


def complete_eaccounting_authorization(config: IntegrationConfig, code: str) -> None:
    """Trade the code from the redirect for the first token pair and store it encrypted."""
    client = eaccounting_client(config)
    client.tokens.store.save(client.oauth.exchange_code(code))


def authorize_auto_approving_eaccounting(config: IntegrationConfig) -> None:
    """Complete the authorization against an identity server that approves without a login
    (the bundled emulator, like Visma's sandbox auto-consent): follow its redirect ourselves."""
    import httpx

    url = eaccounting_authorize_url(config, state="vismasync")
    response = httpx.get(url, follow_redirects=False, timeout=10)
    location = response.headers.get("location")
    if response.status_code != 302 or not location:
        raise RuntimeError(
            f"{config.eaccounting.identity_url} did not approve the authorization request "
            f"automatically (HTTP {response.status_code}); authorize in a browser instead."
        )
    code = httpx.URL(location).params.get("code")
    if not code:
        raise RuntimeError("the authorization redirect carried no code")
    complete_eaccounting_authorization(config, code)
