"""The eAccounting client the flows use: typed reads, changed-since iteration, safe writes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from vismasync.connectors.eaccounting import filters as f
from vismasync.connectors.eaccounting.auth import (
    DEFAULT_SCOPES,
    EAccountingOAuth,
    TokenManager,
    TokenStore,
)
from vismasync.connectors.eaccounting.models import (
    Article,
    ArticleAccountCoding,
    CompanySettings,
    Customer,
    CustomerInvoice,
    DeliveryMethod,
    EAModel,
    Order,
    TermsOfPayment,
    Unit,
    VatCode,
)
from vismasync.connectors.eaccounting.transport import DEFAULT_LIMIT, DEFAULT_WINDOW, Transport
from vismasync.connectors.http import DEFAULT_TIMEOUT, RetryPolicy, SlidingWindowLimiter

M = TypeVar("M", bound=EAModel)
Payload = dict[str, Any] | EAModel


def _payload(value: Payload) -> dict[str, Any]:
    return value.to_payload() if isinstance(value, EAModel) else dict(value)


class EAccountingClient:
    """A client of one eAccounting company (one connection's token pair).

    ``api_base`` is e.g. ``https://eaccountingapi.vismaonline.com/v2`` (or the emulator's
    ``http://127.0.0.1:8091/v2``); ``identity_base`` the host serving ``/connect/...``.
    """

    def __init__(
        self,
        *,
        api_base: str,
        identity_base: str,
        client_id: str,
        client_secret: str | SecretStr,
        redirect_uri: str,
        token_store: TokenStore,
        scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES,
        transport: httpx.BaseTransport | None = None,
        limiter: SlidingWindowLimiter | None = None,
        retry_policy: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        page_size: int = 500,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = httpx.Client(transport=transport, timeout=timeout)
        self.oauth = EAccountingOAuth(
            identity_base, client_id, client_secret, redirect_uri, scopes, http=self.http
        )
        self.tokens = TokenManager(token_store, self.oauth)
        self.page_size = page_size
        self.transport = Transport(
            api_base,
            self.tokens,
            self.http,
            limiter or SlidingWindowLimiter(DEFAULT_LIMIT, DEFAULT_WINDOW),
            retry_policy or RetryPolicy(),
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"EAccountingClient(api_base={self.transport.api_base!r})"

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> EAccountingClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- generic -----------------------------------------------------------------------------
    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.transport.request("GET", path, params=params)

    def iter_list(
        self,
        path: str,
        model: type[M],
        *,
        filter: f.Filter | None = None,
        orderby: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> Iterator[M]:
        """Every item of a list endpoint (all pages), as ``model``."""
        query = dict(params or {})
        if filter is not None:
            query["$filter"] = str(filter)
        if orderby:
            query["$orderby"] = orderby
        for item in self.transport.iter_data(path, query, self.page_size):
            yield model.model_validate(item)

    def _get(self, path: str, model: type[M]) -> M:
        return model.model_validate(self.transport.request("GET", path))

    def _write(self, method: str, path: str, body: Payload, model: type[M]) -> M:
        return model.model_validate(self.transport.request(method, path, body=_payload(body)))

    # --- customers ---------------------------------------------------------------------------
    def iter_customers(
        self, changed_since: datetime | None = None, *, filter: f.Filter | None = None
    ) -> Iterator[Customer]:
        """Customers changed at or after ``changed_since`` (all when None), oldest change first."""
        since = f.ge("ChangedUtc", changed_since) if changed_since else None
        return self.iter_list(
            "/customers", Customer, filter=f.all_of(since, filter), orderby="ChangedUtc"
        )

    def get_customer(self, customer_id: str) -> Customer:
        return self._get(f"/customers/{customer_id}", Customer)

    def find_customers_by_email(self, email: str) -> list[Customer]:
        """Customers whose ``EmailAddress`` is exactly ``email`` (safely escaped)."""
        return list(self.iter_list("/customers", Customer, filter=f.eq("EmailAddress", email)))

    def create_customer(self, customer: Payload) -> Customer:
        return self._write("POST", "/customers", customer, Customer)

    def update_customer(self, customer_id: str, customer: Payload) -> Customer:
        """PUT: replaces the whole customer; prefer :meth:`modify_customer` for changes."""
        return self._write("PUT", f"/customers/{customer_id}", customer, Customer)

    def modify_customer(self, customer_id: str, changes: dict[str, Any]) -> Customer:
        """Read the customer, apply ``changes``, write the whole object back."""
        current = self.transport.request("GET", f"/customers/{customer_id}")
        return self.update_customer(customer_id, {**current, **changes})

    # --- articles ----------------------------------------------------------------------------
    def iter_articles(
        self, changed_since: datetime | None = None, *, filter: f.Filter | None = None
    ) -> Iterator[Article]:
        since = f.ge("ChangedUtc", changed_since) if changed_since else None
        return self.iter_list(
            "/articles", Article, filter=f.all_of(since, filter), orderby="ChangedUtc"
        )

    def get_article(self, article_id: str) -> Article:
        return self._get(f"/articles/{article_id}", Article)

    def find_article_by_number(self, number: str) -> Article | None:
        found = list(self.iter_list("/articles", Article, filter=f.eq("Number", number)))
        return found[0] if found else None

    def create_article(self, article: Payload) -> Article:
        return self._write("POST", "/articles", article, Article)

    def update_article(self, article_id: str, article: Payload) -> Article:
        """PUT: replaces the whole article; prefer :meth:`modify_article` for changes."""
        return self._write("PUT", f"/articles/{article_id}", article, Article)

    def modify_article(self, article_id: str, changes: dict[str, Any]) -> Article:
        current = self.transport.request("GET", f"/articles/{article_id}")
        return self.update_article(article_id, {**current, **changes})

    def set_article_stock_balance(self, article_id: str, balance: Decimal | int) -> Article:
        """Set ``StockBalance`` (read-modify-write; the API has no stock endpoint)."""
        return self.modify_article(article_id, {"StockBalance": Decimal(balance)})

    # --- orders and invoices -----------------------------------------------------------------
    def iter_orders(
        self, modified_since: datetime | None = None, statuses: list[int] | None = None
    ) -> Iterator[Order]:
        """Orders modified at or after ``modified_since``, optionally only these statuses
        (1 Draft, 2 Ongoing, 3 Shipped, 4 Invoiced)."""
        since = f.ge("ModifiedUtc", modified_since) if modified_since else None
        status = f.any_of("Status", statuses) if statuses else None
        return self.iter_list(
            "/orders", Order, filter=f.all_of(since, status), orderby="ModifiedUtc"
        )

    def get_order(self, order_id: str) -> Order:
        return self._get(f"/orders/{order_id}", Order)

    def iter_customer_invoices(
        self, modified_since: datetime | None = None, payment_statuses: list[int] | None = None
    ) -> Iterator[CustomerInvoice]:
        """Invoices modified since (the API's ``modifiedSinceUtc``), optionally only these
        payment statuses (0 Paid, 1 Unpaid, 2 Overdue)."""
        params = {}
        if modified_since is not None:
            params["modifiedSinceUtc"] = f.literal(modified_since.astimezone(UTC))
        status = f.any_of("PaymentStatus", payment_statuses) if payment_statuses else None
        return self.iter_list(
            "/customerinvoices", CustomerInvoice, filter=status, orderby="ModifiedUtc",
            params=params,
        )  # fmt: skip

    def get_customer_invoice(self, invoice_id: str) -> CustomerInvoice:
        return self._get(f"/customerinvoices/{invoice_id}", CustomerInvoice)

    # --- reference data ----------------------------------------------------------------------
    def list_units(self) -> list[Unit]:
        return list(self.iter_list("/units", Unit))

    def list_vat_codes(self) -> list[VatCode]:
        return list(self.iter_list("/vatcodes", VatCode))

    def list_terms_of_payments(self) -> list[TermsOfPayment]:
        return list(self.iter_list("/termsofpayments", TermsOfPayment))

    def list_delivery_methods(self) -> list[DeliveryMethod]:
        return list(self.iter_list("/deliverymethods", DeliveryMethod))

    def list_article_account_codings(self) -> list[ArticleAccountCoding]:
        return list(self.iter_list("/articleaccountcodings", ArticleAccountCoding))

    def get_company_settings(self) -> CompanySettings:
        return self._get("/companysettings", CompanySettings)
