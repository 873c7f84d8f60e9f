"""Visma Connect, as the emulator needs it: client-credentials tokens bound to one company.

A token carries the client, the tenant (= one Visma.net company) and the granted scopes
(``vismanet_erp_service_api:read|create|update|delete``). A tenant id that names a customer
rather than a company authenticates but cannot call the API (Visma's "fix401error" how-to).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from vismasync.emulators.vismanet.errors import ForbiddenError, IPPError, OAuthError, VismaNetError

SCOPE_PREFIX = "vismanet_erp_service_api:"
ALL_SCOPES = tuple(f"{SCOPE_PREFIX}{s}" for s in ("read", "create", "update", "delete"))
METHOD_SCOPES = {
    "GET": f"{SCOPE_PREFIX}read",
    "HEAD": f"{SCOPE_PREFIX}read",
    "POST": f"{SCOPE_PREFIX}create",
    "PUT": f"{SCOPE_PREFIX}update",
    "PATCH": f"{SCOPE_PREFIX}update",
    "DELETE": f"{SCOPE_PREFIX}delete",
}
# The SalesOrders V3 service's scopes (its API description), granted by the same Visma Connect.
V3_SCOPE_PREFIX = "visma.net.erp.salesorder:"
V3_SCOPES = (f"{V3_SCOPE_PREFIX}read", f"{V3_SCOPE_PREFIX}write")
V3_METHOD_SCOPES = {"GET": V3_SCOPES[0], "HEAD": V3_SCOPES[0]}  # any other method: write
TOKEN_LIFETIME = 3600  # the documented example's expires_in


@dataclass(frozen=True)
class ServiceClient:
    """A service application registered in the Developer Portal and approved for tenants."""

    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ALL_SCOPES
    tenants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grant:
    client_id: str
    tenant_id: str
    scopes: frozenset[str]
    expires_at: float


class Unauthorized(VismaNetError):
    """401 from the API gateway for a missing, unknown or expired bearer token."""

    status_code = 401

    def body(self) -> dict[str, object]:
        return {"statusCode": 401, "message": self.message}


class TokenIssuer:
    """Issues and checks access tokens. ``companies`` maps company tenant ids to company keys;
    ``customer_tenants`` are tenant ids that authenticate but own no company."""

    def __init__(
        self,
        clients: list[ServiceClient],
        companies: dict[str, str],
        customer_tenants: tuple[str, ...] = (),
        *,
        lifetime: int = TOKEN_LIFETIME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clients = {c.client_id: c for c in clients}
        self.companies = dict(companies)
        self.customer_tenants = frozenset(customer_tenants)
        self.lifetime = lifetime
        self.clock = clock
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, form: dict[str, str]) -> dict[str, object]:
        """Answer a token request (form fields) or raise :class:`OAuthError`."""
        if form.get("grant_type") != "client_credentials":
            raise OAuthError("unsupported_grant_type", "Only client_credentials is supported.")
        client = self.clients.get(form.get("client_id", ""))
        if client is None or not secrets.compare_digest(
            client.client_secret, form.get("client_secret", "")
        ):
            raise OAuthError("invalid_client", "Unknown client or wrong client secret.")
        requested = form.get("scope", "").split()
        if not requested:
            requested = list(client.scopes)
        if any(scope not in client.scopes for scope in requested):
            raise OAuthError("invalid_scope", "The client is not allowed the requested scope.")
        tenant = form.get("tenant_id", "")
        if not tenant:
            raise OAuthError("invalid_request", "tenant_id is required for this API.")
        known = tenant in self.companies or tenant in self.customer_tenants
        if not known or (client.tenants and tenant not in client.tenants):
            raise OAuthError(
                "invalid_tenant",
                "The application user or subscription is not entitled to use the API.",
            )
        token = secrets.token_urlsafe(32)
        grant = Grant(client.client_id, tenant, frozenset(requested), self.clock() + self.lifetime)
        with self._lock:
            self._grants[token] = grant
        return {
            "access_token": token,
            "expires_in": self.lifetime,
            "token_type": "Bearer",
            "scope": " ".join(requested),
        }

    def authorize(
        self, authorization: str | None, method: str, *, v3: bool = False
    ) -> tuple[str, Grant]:
        """The company key and grant behind a bearer header, checked for the method's scope
        (``v3``: a SalesOrders V3 operation, which needs that service's scopes)."""
        token = ""
        if authorization and authorization[:7].lower() == "bearer ":
            token = authorization[7:].strip()
        with self._lock:
            grant = self._grants.get(token)
        if grant is None or grant.expires_at <= self.clock():
            raise Unauthorized("Unauthorized. Access token is missing or invalid.")
        company = self.companies.get(grant.tenant_id)
        if company is None:
            raise IPPError("No license for this company.", fault_code="12027", status_code=401)
        if v3:
            needed = V3_METHOD_SCOPES.get(method.upper(), V3_SCOPES[1])
        else:
            needed = METHOD_SCOPES.get(method.upper(), f"{SCOPE_PREFIX}read")
        if needed not in grant.scopes:
            raise ForbiddenError(f"Insufficient scope: this operation requires '{needed}'.")
        return company, grant

    def expire_all(self) -> None:
        with self._lock:
            self._grants = {
                token: Grant(g.client_id, g.tenant_id, g.scopes, 0.0)
                for token, g in self._grants.items()
            }
