"""The eAccounting client the flows use: typed reads, changed-since iteration, safe writes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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
    Country,
    Customer,
    CustomerInvoice,
    DeliveryMethod,
    EAModel,
    Order,
    TermsOfPayment,
    Unit,
    VatCode,
)
from vismasync.connectors.eaccounting.transport import (
    DEFAULT_LIMIT,
    DEFAULT_WINDOW,
    Transport,
    list_page,
)
from vismasync.connectors.http import (
    DEFAULT_TIMEOUT,
    RetryPolicy,
    SlidingWindowLimiter,
    expect_shape,
    parse_model,
)

M = TypeVar("M", bound=EAModel)
Payload = dict[str, Any] | EAModel

# CustomerInvoiceApi.PaymentStatus "Paid" (1 Unpaid, 2 Overdue).
PAID_STATUS = 0
# OrderApi.Status by name.
ORDER_STATUS_CODES = {"Draft": 1, "Ongoing": 2, "Shipped": 3, "Invoiced": 4}
# Change time, then Id to break ties between documents changed in the same instant, so pages
# stay stable.
_BY_CHANGE = "ModifiedUtc,Id"
# The largest ``$pagesize`` the flows ask for. Visma does not publish the maximum (clients in
# the wild accept 1..1000; the emulator caps at 1000). A server capping lower still reads
# right: a page's fullness is taken from ``Meta.TotalNumberOfPages``, never from its length.
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class ListPage:
    """One page of a list endpoint: its ``Data`` items and what ``Meta`` says of the rest."""

    items: list[dict[str, Any]]
    page: int
    pages: int  # Meta.TotalNumberOfPages
    total: int  # Meta.TotalNumberOfResults

    @property
    def more(self) -> bool:
        """The list holds pages after this one."""
        return self.page < self.pages


def _list_page(answer: Any, page: int, response_of: str) -> ListPage:
    items, pages = list_page(answer, response_of)
    total = answer["Meta"].get("TotalNumberOfResults")
    return ListPage(items, page, pages, total if isinstance(total, int) else len(items))


def _selected(fields: Sequence[str] | None) -> dict[str, str]:
    """The ``$select`` option naming ``fields`` (none: every property)."""
    return {"$select": ",".join(fields)} if fields else {}


def customer_from(raw: dict[str, Any]) -> Customer:
    """A customer as a list answer carries it (``customers_page``, ``customers_by_ids_json``),
    typed; an item of the wrong shape is a malformed answer of the customer list."""
    return parse_model(Customer, raw, "GET /customers")


def article_from(raw: dict[str, Any]) -> Article:
    """An article as a list answer carries it, typed (see :func:`customer_from`)."""
    return parse_model(Article, raw, "GET /articles")


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
        page_size: int = MAX_PAGE_SIZE,
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
            yield parse_model(model, item, f"GET {path}")

    def _page(self, path: str, query: dict[str, Any]) -> ListPage:
        """One page of a list endpoint (``query`` names ``$page`` and ``$pagesize``)."""
        page = int(query["$page"])
        parse = lambda answer: _list_page(answer, page, f"GET {path}")  # noqa: E731
        return self.transport.request("GET", path, params=query, parse=parse)

    def _whole_list_page(self, path: str, page: int, page_size: int) -> ListPage:
        """One page of a whole list in a stable order (by ``Id``), for per-run directories."""
        query = {"$page": page, "$pagesize": page_size, "$orderby": "Id"}
        return self._page(path, query)

    def _by_keys(
        self, path: str, name: str, keys: Sequence[Any], also: f.Filter | None = None
    ) -> list[dict[str, Any]]:
        """Items whose ``name`` is one of ``keys`` (and match ``also``), one list call per
        chunk of keys (:func:`filters.chunked`) with a page as large as the chunk."""
        found: list[dict[str, Any]] = []
        for chunk in f.chunked(keys):
            query = {"$filter": str(f.all_of(f.any_of(name, chunk), also))}
            found.extend(self.transport.iter_data(path, query, page_size=len(chunk)))
        return found

    def _all_json(self, path: str, filter: f.Filter | None = None) -> list[dict[str, Any]]:
        query = {"$filter": str(filter)} if filter is not None else {}
        return list(self.transport.iter_data(path, query, self.page_size))

    def _get(self, path: str, model: type[M]) -> M:
        parse = lambda answer: parse_model(model, answer, f"GET {path}")  # noqa: E731
        return self.transport.request("GET", path, parse=parse)

    def _write(self, method: str, path: str, body: Payload, model: type[M]) -> M:
        answer = self.transport.request(method, path, body=_payload(body))
        return parse_model(model, answer, f"{method} {path}")

    def _object(self, path: str) -> dict[str, Any]:
        """One resource exactly as the API returns it (a JSON object)."""
        parse = lambda answer: dict(expect_shape(answer, dict, f"GET {path}"))  # noqa: E731
        return self.transport.request("GET", path, parse=parse)

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

    def get_customer_json(self, customer_id: str) -> dict[str, Any]:
        """One customer exactly as the API returns it, for a read-modify-write that keeps
        every property (also those :class:`Customer` does not name)."""
        return self._object(f"/customers/{customer_id}")

    def customers_by_ids(self, ids: Sequence[str]) -> list[Customer]:
        """The customers with these ids (absent ones are left out), 25 ids per request."""
        found: list[Customer] = []
        for id_filter in f.any_of_chunks("Id", ids):
            found.extend(self.iter_list("/customers", Customer, filter=id_filter))
        return found

    def customers_page(self, page: int, page_size: int = MAX_PAGE_SIZE) -> ListPage:
        """One page (1-based) of every customer, ordered by ``Id``, as the API returns them."""
        return self._whole_list_page("/customers", page, page_size)

    def customers_by_ids_json(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The customers with these ids as the API returns them (absent ones are left out),
        25 ids per request."""
        return self._by_keys("/customers", "Id", ids)

    def customers_by_emails_json(self, emails: Sequence[str]) -> list[dict[str, Any]]:
        """The customers whose ``EmailAddress`` is one of ``emails``, as the API returns them,
        25 addresses per request."""
        return self._by_keys("/customers", "EmailAddress", emails)

    def all_customers_json(self) -> list[dict[str, Any]]:
        """Every customer (all pages) exactly as the API returns them, for reconciliation."""
        return self._all_json("/customers")

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
        current = self.get_customer_json(customer_id)
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

    def articles_by_numbers(self, numbers: Sequence[str]) -> list[Article]:
        """The articles with these numbers (absent ones are left out), 25 per request."""
        found: list[Article] = []
        for number_filter in f.any_of_chunks("Number", numbers):
            found.extend(self.iter_list("/articles", Article, filter=number_filter))
        return found

    def articles_page(self, page: int, page_size: int = MAX_PAGE_SIZE) -> ListPage:
        """One page (1-based) of every article, ordered by ``Id``, as the API returns them."""
        return self._whole_list_page("/articles", page, page_size)

    def articles_by_numbers_json(self, numbers: Sequence[str]) -> list[dict[str, Any]]:
        """The articles with these numbers as the API returns them, 25 per request."""
        return self._by_keys("/articles", "Number", numbers)

    def articles_by_ids_json(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The articles with these ids as the API returns them, 25 per request."""
        return self._by_keys("/articles", "Id", ids)

    def create_article(self, article: Payload) -> Article:
        return self._write("POST", "/articles", article, Article)

    def update_article(self, article_id: str, article: Payload) -> Article:
        """PUT: replaces the whole article; prefer :meth:`modify_article` for changes."""
        return self._write("PUT", f"/articles/{article_id}", article, Article)

    def modify_article(self, article_id: str, changes: dict[str, Any]) -> Article:
        current = self._object(f"/articles/{article_id}")
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

    def get_order_json(self, order_id: str) -> dict[str, Any]:
        """One order exactly as the API returns it."""
        return self._object(f"/orders/{order_id}")

    def orders_page(
        self,
        *,
        changed_since: datetime | None,
        statuses: Sequence[int],
        page: int,
        page_size: int,
        fields: Sequence[str] | None = None,
    ) -> ListPage:
        """One page (1-based) of orders modified at or after ``changed_since`` (all when None)
        whose ``Status`` is one of ``statuses`` (see :data:`ORDER_STATUS_CODES`; at least
        one), oldest change first with ``Id`` breaking ties; only ``fields`` of each order
        (``$select``) when given."""
        since = f.ge("ModifiedUtc", changed_since) if changed_since else None
        query = {
            "$page": page,
            "$pagesize": page_size,
            "$orderby": _BY_CHANGE,
            "$filter": str(f.all_of(since, f.any_of("Status", statuses))),
            **_selected(fields),
        }
        return self._page("/orders", query)

    def orders_by_ids(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The orders with these ids as the API's ``Data`` items (deleted ones are left
        out), 25 ids per request."""
        return self._by_keys("/orders", "Id", ids)

    def all_orders(self) -> list[dict[str, Any]]:
        """Every order (all pages) as the API's ``Data`` items, for reconciliation."""
        return self._all_json("/orders")

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

    def customer_invoices_page(
        self,
        *,
        changed_since: datetime | None,
        paid_only: bool,
        page: int,
        page_size: int,
        fields: Sequence[str] | None = None,
    ) -> ListPage:
        """One page (1-based) of customer invoices modified at or after ``changed_since``
        (the API's ``modifiedSinceUtc``; all when None), only paid ones when ``paid_only``,
        oldest change first with ``Id`` breaking ties; only ``fields`` of each invoice
        (``$select``) when given."""
        query: dict[str, Any] = {
            "$page": page, "$pagesize": page_size, "$orderby": _BY_CHANGE, **_selected(fields)
        }  # fmt: skip
        if changed_since is not None:
            query["modifiedSinceUtc"] = f.literal(changed_since.astimezone(UTC))
        if paid_only:
            query["$filter"] = str(f.eq("PaymentStatus", PAID_STATUS))
        return self._page("/customerinvoices", query)

    def customer_invoices_by_ids(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The customer invoices with these ids as the API's ``Data`` items (deleted ones are
        left out), 25 ids per request."""
        return self._by_keys("/customerinvoices", "Id", ids)

    def paid_invoices_of_orders(self, order_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The paid customer invoices created from these orders (``CreatedFromOrderId``), as
        the API's ``Data`` items, 25 order ids per request."""
        paid = f.eq("PaymentStatus", PAID_STATUS)
        return self._by_keys("/customerinvoices", "CreatedFromOrderId", order_ids, paid)

    def all_customer_invoices(self, *, paid_only: bool = False) -> list[dict[str, Any]]:
        """Every customer invoice (all pages; only paid ones when ``paid_only``) as the API's
        ``Data`` items, for reconciliation."""
        paid = f.eq("PaymentStatus", PAID_STATUS) if paid_only else None
        return self._all_json("/customerinvoices", paid)

    # --- reference data ----------------------------------------------------------------------
    def list_units(self) -> list[Unit]:
        return list(self.iter_list("/units", Unit))

    def list_vat_codes(self) -> list[VatCode]:
        return list(self.iter_list("/vatcodes", VatCode))

    def list_terms_of_payments(self) -> list[TermsOfPayment]:
        return list(self.iter_list("/termsofpayments", TermsOfPayment))

    def list_countries(self) -> list[Country]:
        return list(self.iter_list("/countries", Country))

    def list_delivery_methods(self) -> list[DeliveryMethod]:
        return list(self.iter_list("/deliverymethods", DeliveryMethod))

    def list_article_account_codings(self) -> list[ArticleAccountCoding]:
        return list(self.iter_list("/articleaccountcodings", ArticleAccountCoding))

    def get_company_settings(self) -> CompanySettings:
        return self._get("/companysettings", CompanySettings)
