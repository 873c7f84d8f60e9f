"""What `vismasync init` produces, without the prompts: the configuration text from the answers,
the authorization code from what the user pasted, and the defaults it suggests.

Secrets appear here only as references (``env:NAME``, ``prefect-secret:NAME``): the file written
never holds a secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from vismasync.config.loader import parse_config
from vismasync.config.model import FlowName, IntegrationConfig
from vismasync.flows.catalog import FLOWS

HEADER = (
    "# vismasync integration, written by `vismasync init`.\n"
    "# Every key is documented in docs/example-integration.yaml; check the file with\n"
    "# `vismasync config validate` and the connections with `vismasync check`.\n"
)


@dataclass
class Connections:
    """The answers about both systems."""

    name: str
    ea_api_url: str
    ea_identity_url: str
    ea_client_id: str
    ea_client_secret: str  # a reference
    ea_redirect_uri: str
    ea_scopes: list[str]
    vn_api_url: str
    vn_token_url: str
    vn_client_id: str
    vn_client_secret: str  # a reference
    vn_tenant: str
    vn_scopes: list[str]

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "eaccounting": {
                "api_url": self.ea_api_url,
                "identity_url": self.ea_identity_url,
                "client_id": self.ea_client_id,
                "client_secret": self.ea_client_secret,
                "redirect_uri": self.ea_redirect_uri,
                "scopes": self.ea_scopes,
            },
            "vismanet": {
                "api_url": self.vn_api_url,
                "token_url": self.vn_token_url,
                "client_id": self.vn_client_id,
                "client_secret": self.vn_client_secret,
                "tenant_id": self.vn_tenant,
                "scopes": self.vn_scopes,
            },
        }


@dataclass
class SalesOrderChoices:
    statuses: list[str] = field(default_factory=lambda: ["Shipped"])
    source_document: str = "order"
    target_document: str = "sales_order"
    order_type: str = "SO"
    branch: str = "1"
    warehouse: str | None = None
    default_debtor: str | None = None
    default_debtor_mode: str = "fallback"

    def as_dict(self) -> dict[str, object]:
        settings: dict[str, object] = {
            "source_document": self.source_document,
            "statuses": self.statuses,
            "target_document": self.target_document,
            "order_type": self.order_type,
            "branch": {"default": self.branch},
        }
        if self.warehouse:
            settings["warehouse"] = self.warehouse
        if self.default_debtor:
            settings["default_debtor"] = {
                "customer_number": self.default_debtor,
                "mode": self.default_debtor_mode,
            }
        return settings


def config_data(
    connections: Connections,
    flows: list[FlowName],
    orders: SalesOrderChoices | None,
    chosen: dict[FlowName, dict[str, Any]] | None = None,
) -> dict[str, object]:
    """The configuration as plain data: every flow listed, enabled or not, with the settings
    ``chosen`` for it (see `setup_flows`)."""
    flow_settings: dict[str, object] = {}
    for name in FLOWS:
        settings: dict[str, object] = {"enabled": name in flows}
        if name == "sales_orders" and orders is not None:
            settings.update(orders.as_dict())
        if name in flows:
            settings.update((chosen or {}).get(name, {}))
        flow_settings[name] = settings
    return {**connections.as_dict(), "flows": flow_settings}


def config_text(data: dict[str, object]) -> tuple[str, IntegrationConfig]:
    """The YAML to write and the configuration it validates to.

    Raises ConfigError (with dotted key paths) when the answers do not make a valid file.
    """
    text = HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return text, parse_config(text, "the answers")


def code_from_redirect(pasted: str, state: str) -> str:
    """The authorization code in what the user pasted: the code itself, or the whole address
    the identity server sent the browser to.

    Raises ValueError saying what is wrong: the server's error, a foreign ``state`` (the
    address belongs to another authorization request), or no code at all.
    """
    text = pasted.strip()
    if "?" not in text and "=" not in text:
        if not text:
            raise ValueError("nothing was pasted")
        return text
    query = parse_qs(urlsplit(text).query if "?" in text else text)
    if "error" in query:
        raise ValueError(
            f"eAccounting answered {query['error'][0]!r} instead of a code: approve the access "
            "(and check eaccounting.scopes against the scopes the application may request)"
        )
    if query.get("state", [state])[0] != state:
        raise ValueError(
            "this address belongs to another authorization request (its state differs): open "
            "the address printed above and paste where it leads"
        )
    codes = query.get("code")
    if not codes:
        raise ValueError("the address carries no 'code' parameter")
    return codes[0]


def default_secret_env(name: str, system: str) -> str:
    """A suggested environment variable for a system's client secret."""
    return "env:" + re.sub(r"[^A-Z0-9]", "_", f"VISMASYNC_{name}_{system}_SECRET".upper())
