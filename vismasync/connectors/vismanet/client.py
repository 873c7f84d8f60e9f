"""The typed Visma.net ERP client the flows use: customers, contacts, inventory, stock,
sales orders, customer invoices, journal transactions and reference data."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from vismasync.connectors.http import (
    DEFAULT_TIMEOUT,
    BudgetLimiter,
    RetryPolicy,
    expect_shape,
    parse_model,
)
from vismasync.connectors.vismanet.auth import DEFAULT_SCOPES, ClientCredentialsAuth
from vismasync.connectors.vismanet.models import (
    Branch,
    Carrier,
    Contact,
    Country,
    CreditTerm,
    Customer,
    CustomerInvoice,
    InventoryItem,
    InventorySummary,
    JournalTransaction,
    PaymentMethod,
    SalesOrder,
    SalesOrderType,
    VatCategory,
    Warehouse,
)
from vismasync.connectors.vismanet.salesorders import (
    SalesOrderRef,
    SalesOrderWriter,
    V2SalesOrderWriter,
)
from vismasync.connectors.vismanet.transport import VismaNetHttp, filter_datetime
from vismasync.connectors.vismanet.writes import (
    ContactWrite,
    CustomerInvoiceWrite,
    CustomerWrite,
    InventoryWrite,
    JournalTransactionWrite,
    SalesOrderWrite,
)

M = TypeVar("M", bound=BaseModel)


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def _since(name: str, when: datetime | None, condition: str = ">=") -> dict[str, str]:
    if when is None:
        return {}
    return {name: filter_datetime(when), f"{name}Condition": condition}


def _credit_term_page(answer: Any) -> tuple[dict[str, Any], list[CreditTerm]]:
    page = expect_shape(answer, dict, "GET /v1/creditTerm")
    records = expect_shape(page.get("records") or [], list, "GET /v1/creditTerm")
    return page, [parse_model(CreditTerm, r, "GET /v1/creditTerm") for r in records]


class VismaNetClient:
    """One company's Visma.net API, authenticated as one service client.

    ``api_base_url`` is the API root (``https://api.finance.visma.net`` or an emulator's
    ``http://127.0.0.1:8092/API``); paths ``/v1/...`` are appended to it.
    """

    def __init__(
        self,
        api_base_url: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        tenant_id: str,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
        *,
        transport: httpx.BaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        page_size: int = 1000,
        sleep: Callable[[float], None] = time.sleep,
        sales_order_writer: Callable[[VismaNetHttp], SalesOrderWriter] = V2SalesOrderWriter,
    ) -> None:
        self._http_client = httpx.Client(transport=transport, timeout=timeout)
        policy = retry_policy or RetryPolicy()
        self.auth = ClientCredentialsAuth(
            self._http_client, token_url, client_id, client_secret, tenant_id, scopes,
            retry_policy=policy, sleep=sleep,
        )  # fmt: skip
        self.http = VismaNetHttp(
            self._http_client, api_base_url, self.auth, retry_policy=policy,
            limiter=BudgetLimiter(sleep=sleep), sleep=sleep, page_size=page_size,
        )  # fmt: skip
        self.sales_orders: SalesOrderWriter = sales_order_writer(self.http)

    @property
    def page_size(self) -> int:
        """Records per page of the list reads."""
        return self.http.page_size

    def __repr__(self) -> str:
        return f"VismaNetClient(api_base_url={self.http.base!r}, auth={self.auth!r})"

    def close(self) -> None:
        self._http_client.close()

    def __enter__(self) -> VismaNetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _one(self, model: type[M], path: str) -> M | None:
        return self.http.get_or_none(
            path, parse=lambda data: parse_model(model, data, f"GET {path}")
        )

    def _all(self, model: type[M], path: str, params: dict[str, Any] | None = None) -> list[M]:
        def parse(answer: Any) -> list[M]:
            items = expect_shape(answer, list, f"GET {path}")
            return [parse_model(model, item, f"GET {path}") for item in items]

        return self.http.get(path, params, parse)

    def _paged(
        self, model: type[M], path: str, params: dict[str, Any] | None = None
    ) -> Iterator[M]:
        for item in self.http.pages(path, params):
            yield parse_model(model, item, f"GET {path}")

    # ----- customers and contacts ------------------------------------------------------------
    def list_customers(
        self, changed_since: datetime | None = None, *, status: str | None = None
    ) -> Iterator[Customer]:
        """Customers modified at or after ``changed_since`` (all when None), every page."""
        params = {**_since("lastModifiedDateTime", changed_since)}
        if status:
            params["status"] = status
        return self._paged(Customer, "/v1/customer", params)

    def find_customer_by_email(self, email: str) -> Customer | None:
        """The customer whose main contact e-mail equals ``email`` (one request), or None.

        With several matches, the lowest customer number wins (a deterministic choice).
        """
        found = self._all(Customer, "/v1/customer", {"email": email, "pageNumber": 1,
                                                      "pageSize": self.http.page_size})  # fmt: skip
        return min(found, key=lambda c: c.number) if found else None

    def get_customer(self, number: str) -> Customer | None:
        return self._one(Customer, f"/v1/customer/{_seg(number)}")

    def create_customer(self, customer: CustomerWrite) -> str:
        """Create a customer; returns its number (from ``Location``)."""
        return self.http.create("/v1/customer", customer.payload())

    def update_customer(self, number: str, customer: CustomerWrite) -> None:
        """Change the fields set in ``customer``; the others stay as they are."""
        self.http.write("PUT", f"/v1/customer/{_seg(number)}", customer.payload())

    def list_contacts(
        self, customer_number: str | None = None, *, email: str | None = None
    ) -> list[Contact]:
        path = f"/v1/customer/{_seg(customer_number)}/contact" if customer_number else "/v1/contact"
        return self._all(Contact, path, {"email": email} if email else None)

    def create_contact(self, contact: ContactWrite) -> int:
        return int(self.http.create("/v1/contact", contact.payload()))

    # ----- inventory and stock ---------------------------------------------------------------
    def list_inventory(
        self,
        changed_since: datetime | None = None,
        *,
        availability_changed_since: datetime | None = None,
        status: str | None = None,
        expand_warehouse_detail: bool = True,
        expand_attribute: bool = True,
        expand_cross_reference: bool = True,
        expand_attachment: bool = True,
    ) -> Iterator[InventoryItem]:
        """Items changed (or whose stock changed) since the given times, every page.

        The expands the flows read are always sent explicitly: the API documents their
        defaults (true) as about to change.
        """
        params: dict[str, Any] = {
            **_since("lastModifiedDateTime", changed_since),
            **_since("availabilityLastModifiedDateTime", availability_changed_since),
            "expandWarehouseDetail": str(expand_warehouse_detail).lower(),
            "expandAttribute": str(expand_attribute).lower(),
            "expandCrossReference": str(expand_cross_reference).lower(),
            "expandAttachment": str(expand_attachment).lower(),
        }
        if status:
            params["status"] = status
        return self._paged(InventoryItem, "/v1/inventory", params)

    def get_inventory(self, inventory_number: str) -> InventoryItem | None:
        return self._one(InventoryItem, f"/v1/inventory/{_seg(inventory_number)}")

    def create_inventory(self, item: InventoryWrite) -> str:
        return self.http.create("/v1/inventory", item.payload())

    def update_inventory(self, inventory_number: str, item: InventoryWrite) -> None:
        payload = item.payload()
        payload.pop("inventoryNumber", None)  # "not applicable for PUT"
        self.http.write("PUT", f"/v1/inventory/{_seg(inventory_number)}", payload)

    def inventory_summary(
        self, inventory_number: str, warehouse: str | None = None
    ) -> list[InventorySummary]:
        params = {"warehouse": warehouse} if warehouse else None
        return self._all(InventorySummary, f"/v1/inventorysummary/{_seg(inventory_number)}", params)

    # ----- sales orders ----------------------------------------------------------------------
    def create_sales_order(self, order: SalesOrderWrite, key: str | None = None) -> SalesOrderRef:
        """Create an order; with ``key`` it can later be found by :meth:`find_sales_order`."""
        return self.sales_orders.create(order, key)

    def sales_order_create_finds_existing(self, order_type: str) -> bool:
        """Whether creating an order with a key finds an existing one by itself (see
        :meth:`SalesOrderWriter.create_finds_existing`): no lookup is needed before it."""
        return self.sales_orders.create_finds_existing(order_type)

    def find_sales_order(
        self,
        order_type: str,
        key: str,
        *,
        customer: str | None = None,
        since: datetime | None = None,
    ) -> SalesOrder | None:
        """The order created with ``key`` (see :class:`SalesOrderWriter.find`), or None."""
        return self.sales_orders.find(order_type, key, customer=customer, since=since)

    def numbering(self, numbering_id: str) -> dict[str, Any] | None:
        """A numbering sequence (``manualNumbering``, ...), or None when it does not exist."""
        return self.http.get_or_none(f"/v1/numberSequence/{_seg(numbering_id)}")

    def list_sales_orders(
        self,
        changed_since: datetime | None = None,
        *,
        order_type: str | None = None,
        status: str | None = None,
    ) -> Iterator[SalesOrder]:
        params = {**_since("lastModifiedDateTime", changed_since)}
        params.update({k: v for k, v in (("orderType", order_type), ("status", status)) if v})
        return self._paged(SalesOrder, "/v2/salesorder", params)

    # ----- customer invoices and journal transactions ----------------------------------------
    def create_customer_invoice(self, invoice: CustomerInvoiceWrite) -> str:
        return self.http.create("/v2/customerinvoice", invoice.payload())

    def iter_customer_invoices(self) -> Iterator[dict[str, Any]]:
        """Every customer invoice (GET /v1/customerinvoice, all pages) as the API's raw
        objects, for reconciliation."""
        yield from self.http.pages("/v1/customerinvoice")

    def find_customer_invoice_by_external_reference(self, reference: str) -> CustomerInvoice | None:
        """The invoice whose ``externalReference`` equals ``reference`` (one request), or None."""
        found = self._all(
            CustomerInvoice,
            "/v1/customerinvoice",
            {"externalReference": reference, "pageNumber": 1, "pageSize": self.http.page_size},
        )
        return min(found, key=lambda i: i.reference_number) if found else None

    def get_customer_invoice(self, number: str) -> CustomerInvoice | None:
        return self._one(CustomerInvoice, f"/v1/customerinvoice/{_seg(number)}")

    def create_journal_transaction(self, batch: JournalTransactionWrite) -> str:
        return self.http.create("/v2/journaltransaction", batch.payload())

    def get_journal_transaction(self, number: str) -> JournalTransaction | None:
        return self._one(JournalTransaction, f"/v2/journaltransaction/{_seg(number)}")

    # ----- reference data --------------------------------------------------------------------
    def list_branches(self) -> list[Branch]:
        return self._all(Branch, "/v1/branch")

    def list_countries(self) -> list[Country]:
        return self._all(Country, "/v1/country")

    def list_warehouses(self) -> list[Warehouse]:
        return self._all(Warehouse, "/v1/warehouse")

    def list_vat_categories(self) -> list[VatCategory]:
        return self._all(VatCategory, "/v1/vatCategory")

    def list_carriers(self) -> list[Carrier]:
        return self._all(Carrier, "/v1/carrier")

    def list_payment_methods(self) -> list[PaymentMethod]:
        return self._all(PaymentMethod, "/v1/paymentmethod")

    def list_sales_order_types(self) -> list[SalesOrderType]:
        return list(self._paged(SalesOrderType, "/v1/salesordertype"))

    def list_credit_terms(self) -> list[CreditTerm]:
        """All credit terms; this endpoint pages through a wrapper object, not an array."""
        terms: list[CreditTerm] = []
        number = 1
        while True:
            page, records = self.http.get(
                "/v1/creditTerm", {"pageNumber": number, "pageSize": self.http.page_size},
                _credit_term_page,
            )  # fmt: skip
            terms.extend(records)
            if not records or len(terms) >= int(page.get("totalCount") or 0):
                return terms
            number += 1
