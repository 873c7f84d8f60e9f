"""The emulated service as a whole: its companies, Visma Connect and the rate-limit budget."""

from __future__ import annotations

import threading
from typing import Any

from vismasync.emulators.vismanet.auth import (
    ALL_SCOPES,
    SCOPE_PREFIX,
    V3_SCOPES,
    ServiceClient,
    TokenIssuer,
)
from vismasync.emulators.vismanet.backend import VismaNetBackend
from vismasync.emulators.vismanet.ratelimit import DEFAULT_LIMIT, DEFAULT_WINDOW, RateBudget
from vismasync.emulators.vismanet.seed import build_backend, empty_backend, populate

# Demo credentials (documented in docs/emulator-vismanet.md).
DEMO_TENANT = "demo-company"
CUSTOMER_TENANT = "demo-customer-tenant"  # a customer-level tenant: tokens work, calls get 401
DEMO_CLIENT_ID = "vismasync-demo"
READONLY_CLIENT_ID = "vismasync-demo-readonly"
DEMO_CLIENT_SECRET = "demo-secret"
DEMO_CLIENTS = [
    ServiceClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, ALL_SCOPES + V3_SCOPES),
    ServiceClient(READONLY_CLIENT_ID, DEMO_CLIENT_SECRET, (f"{SCOPE_PREFIX}read", V3_SCOPES[0])),
]


class VismaNetService:
    """One emulated Visma.net installation with one company (tenant ``demo-company``)."""

    def __init__(
        self,
        seed: str = "demo",
        *,
        rate_limit: int = DEFAULT_LIMIT,
        rate_window: float = DEFAULT_WINDOW,
        token_lifetime: int = 3600,
        backend_options: dict[str, Any] | None = None,
    ) -> None:
        self.seed = seed
        self.backend_options = dict(backend_options or {})
        self._lock = threading.Lock()
        self.companies: dict[str, VismaNetBackend] = {
            DEMO_TENANT: build_backend(seed, **self.backend_options)
        }
        self.issuer = TokenIssuer(
            DEMO_CLIENTS,
            {DEMO_TENANT: DEMO_TENANT},
            (CUSTOMER_TENANT,),
            lifetime=token_lifetime,
        )
        self.budget = RateBudget(limit=rate_limit, window=rate_window)

    def backend(self, company: str = DEMO_TENANT) -> VismaNetBackend:
        return self.companies[company]

    def reset(self) -> None:
        """Back to the startup seed; the rate-limit budget starts afresh."""
        with self._lock:
            self.companies[DEMO_TENANT] = build_backend(self.seed, **self.backend_options)
            self.budget.clear()

    def load_seed(self, document: Any) -> None:
        """Replace the demo company with a seed document (the seed-file format)."""
        if not isinstance(document, dict):
            raise ValueError("the seed must be a JSON object")
        backend = empty_backend(**self.backend_options)
        try:
            populate(backend, document)
        except Exception as exc:  # a bad record in the seed: report it to the admin caller
            raise ValueError(str(exc)) from exc
        with self._lock:
            self.companies[DEMO_TENANT] = backend

    def describe(self) -> dict[str, Any]:
        state = self.backend().state
        return {
            "company": DEMO_TENANT,
            "seed": self.seed,
            "customers": len(state.customers),
            "inventory": len(state.inventory),
            "salesOrders": len(state.sales_orders),
            "customerInvoices": len(state.invoices),
            "journalTransactions": len(state.journal_transactions),
            "rateLimit": {"limit": self.budget.limit, "window": self.budget.window},
        }
