"""The eAccounting emulator's backend: all state and rules, no HTTP.

``EAccountingBackend`` composes the data store (customers, articles, orders, invoices, ...),
the identity server (clients, codes, rotating tokens) and the rate limiter, and exposes one
method per API operation. The HTTP layer (``api.py``) only parses requests and renders answers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vismasync.emulators.eaccounting import invoices, masterdata, orders, spec, vouchers
from vismasync.emulators.eaccounting.errors import InvalidInput
from vismasync.emulators.eaccounting.oauth import DEMO_CLIENT, IdentityServer, RegisteredClient
from vismasync.emulators.eaccounting.odata import compile_select
from vismasync.emulators.eaccounting.odata_eval import parse_datetime
from vismasync.emulators.eaccounting.ratelimit import RateLimiter
from vismasync.emulators.eaccounting.store import COLLECTIONS, Page, Store, selected
from vismasync.emulators.eaccounting.validation import validate

# Collections whose list items carry properties computed from other records.
RENDERED = frozenset({"articles", "customerinvoices"})


@dataclass
class EmulatorSettings:
    """Knobs of the emulator; every default is the documented value (or noted in the docs)."""

    rate_limit: int = 600  # requests per window per (client, endpoint), Visma's API documentation
    rate_window: float = 60.0
    default_page_size: int = 50  # Visma's API documentation
    max_page_size: int = 1000  # undocumented upstream; larger requests are capped to this
    token_lifetime: int = 3600  # seconds, Visma's API documentation
    stock_module: bool = False  # when on, StockBalance is read-only
    clients: list[RegisteredClient] = field(default_factory=lambda: [DEMO_CLIENT])


class EAccountingBackend:
    """One emulated eAccounting company plus its identity server."""

    def __init__(
        self,
        seed: dict[str, Any] | None = None,
        settings: EmulatorSettings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings or EmulatorSettings()
        self.store = Store(clock=clock)
        self.identity = IdentityServer(
            self.settings.clients, self.settings.token_lifetime, clock=self.store.clock
        )
        self.limiter = RateLimiter(self.settings.rate_limit, self.settings.rate_window)
        self._startup_seed = copy.deepcopy(seed or {})
        self.reset()

    # --- admin -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the startup seed. Tokens survive: the identity server is another service."""
        self.store.load_state(self._startup_seed)
        self.limiter.reset()

    def load_seed(self, document: dict[str, Any]) -> None:
        self.store.load_state(document)
        self.limiter.reset()

    def describe(self) -> dict[str, Any]:
        return {name: len(items) for name, items in self.store.data.items()}

    # --- reads -------------------------------------------------------------------------------
    def list(
        self,
        collection: str,
        *,
        filter_text: str | None = None,
        orderby: str | None = None,
        page: int = 1,
        page_size: int | None = None,
        modified_since: str | None = None,
        select: str | None = None,
    ) -> Page:
        size = min(page_size or self.settings.default_page_size, self.settings.max_page_size)
        # Computed properties (an article's stock, an invoice's payments) are rendered from
        # the whole record, so those collections are cut to the selection after rendering.
        rendered = collection in RENDERED
        fields = compile_select(select, COLLECTIONS[collection][0]) if select else None
        where = None
        if modified_since is not None:
            since = _since(modified_since)
            where = lambda r: bool(r["ModifiedUtc"]) and parse_datetime(r["ModifiedUtc"]) >= since  # noqa: E731
        with self.store.lock:
            result = self.store.query(
                collection,
                filter_text=filter_text,
                orderby=orderby,
                page=page,
                page_size=size,
                where=where,
                fields=None if rendered else fields,
            )
            items = result.items
            if rendered:
                reserved = (
                    masterdata.reserved_by_article(self.store) if collection == "articles" else None
                )
                items = [self._render(collection, item, reserved) for item in items]
                if fields is not None:
                    items = [selected(item, fields) for item in items]
        return Page(items=items, page=result.page, page_size=result.page_size, total=result.total)

    def get(self, collection: str, key: str) -> dict[str, Any]:
        with self.store.lock:
            return self._render(collection, copy.deepcopy(self.store.get(collection, key)))

    def company_settings(self) -> dict[str, Any]:
        return copy.deepcopy(self.store.company)

    def replace_company_settings(self, payload: dict[str, Any]) -> dict[str, Any]:
        """PUT /v2/companysettings: the writable settings from ``payload`` (validated against
        the spec, lengths and ranges included); omitted ones keep their value, read-only ones
        are never changed."""
        validate("CompanySettingsApi", payload)
        with self.store.lock:
            current = self.store.company
            record = masterdata.replace_object("CompanySettingsApi", current, payload, current)
            # Nested settings objects keep only what their definition declares, writable
            # properties from the request, read-only ones as they were.
            for name, prop in spec.properties("CompanySettingsApi").items():
                nested = spec.ref_name(prop)
                if nested and isinstance(record.get(name), dict):
                    before = current.get(name) if isinstance(current.get(name), dict) else None
                    record[name] = masterdata.replace_object(nested, before, record[name], {})
            current.clear()
            current.update(record)
            return copy.deepcopy(current)

    def _render(
        self, collection: str, record: dict[str, Any], reserved: dict[str, float] | None = None
    ) -> dict[str, Any]:
        if collection == "articles":
            return masterdata.render_article(self.store, record, reserved)
        if collection == "customerinvoices":
            return invoices.render_invoice(self.store, record)
        return record

    # --- writes ------------------------------------------------------------------------------
    def create_customer(self, payload: dict[str, Any]) -> dict[str, Any]:
        return masterdata.save_customer(self.store, payload)

    def update_customer(self, customer_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        return masterdata.save_customer(self.store, payload, customer_id)

    def delete_customer(self, customer_id: str) -> None:
        masterdata.delete_customer(self.store, customer_id)

    def create_article(self, payload: dict[str, Any]) -> dict[str, Any]:
        return masterdata.save_article(self.store, payload, stock_module=self.settings.stock_module)

    def update_article(self, article_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        return masterdata.save_article(
            self.store, payload, article_id, stock_module=self.settings.stock_module
        )

    def create_order(self, payload: dict[str, Any]) -> dict[str, Any]:
        return orders.save_order(self.store, payload)

    def update_order(self, order_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        return orders.save_order(self.store, payload, order_id)

    def delete_order(self, order_id: str) -> None:
        orders.delete_order(self.store, order_id)

    def convert_order(self, order_id: str) -> dict[str, Any]:
        return invoices.convert_order(self.store, order_id)

    def create_invoice(self, payload: dict[str, Any]) -> dict[str, Any]:
        return invoices.create_invoice(self.store, payload)

    def add_invoice_payment(self, invoice_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        return invoices.add_payment(self.store, invoice_id, payload)

    def create_draft(self, payload: dict[str, Any]) -> dict[str, Any]:
        return invoices.save_draft(self.store, payload)

    def update_draft(self, draft_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        return invoices.save_draft(self.store, payload, draft_id)

    def delete_draft(self, draft_id: str) -> None:
        with self.store.lock:
            self.store.get("customerinvoicedrafts", draft_id)
            self.store.remove("customerinvoicedrafts", draft_id)

    def convert_draft(self, draft_id: str) -> dict[str, Any]:
        return invoices.convert_draft(self.store, draft_id)

    def create_voucher(
        self, payload: dict[str, Any], use_default_series: bool = True
    ) -> dict[str, Any]:
        return vouchers.create_voucher(self.store, payload, use_default_series)


def _since(text: str) -> datetime:
    try:
        return parse_datetime(text)
    except ValueError:
        raise InvalidInput(
            f"InvalidInput - The value '{text}' of modifiedSinceUtc is not a valid DateTime format."
        ) from None
