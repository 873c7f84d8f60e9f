"""Reading eAccounting sales documents (orders or customer invoices) for the order flow.

Reads go in ``ModifiedUtc`` order, one page per task run, so a run's progress is visible in the
Prefect UI page by page and a failed read is retried alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import task

from vismasync.config.model import IntegrationConfig
from vismasync.connectors.eaccounting.client import (
    MAX_PAGE_SIZE,
    ORDER_STATUS_CODES,
    EAccountingClient,
    ListPage,
)
from vismasync.engine.clients import eaccounting_client
from vismasync.engine.entity import Page
from vismasync.engine.run import RunContext
from vismasync.engine.task_retry import RETRIED
from vismasync.engine.work import SourceRecord

# Key under which an order read through its paid invoice carries that invoice's payment facts.
PAID_INVOICE = "PaidInvoice"
PAID_INVOICE_FIELDS = (
    "Id", "InvoiceNumber", "InvoiceDate", "PaymentDate", "CurrencyCode", "PaymentStatus",
    "TotalAmountInvoiceCurrency",
)  # fmt: skip


# Documents per read: the API's largest page (the engine cuts it into batches).
PAGE_SIZE = MAX_PAGE_SIZE


def as_utc(value: Any) -> datetime:
    """An eAccounting timestamp as an aware UTC datetime (offset-less values are UTC)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def source_entity(config: IntegrationConfig) -> str:
    """The ledger entity of the flow's source documents."""
    return "invoice" if config.flows.sales_orders.source_document == "invoice" else "order"


def document_label(record: SourceRecord) -> str:
    """How people recognise a document: its eAccounting number."""
    document = record.data
    kind = "invoice" if "InvoiceNumber" in document else "order"
    number = document.get("Number") or document.get("InvoiceNumber")
    return f"{kind} {number}" if number is not None else f"{kind} {record.key}"


def _record(document: dict[str, Any]) -> SourceRecord:
    return SourceRecord(document["Id"], as_utc(document["ModifiedUtc"]), document)


def _paid_facts(invoice: dict[str, Any]) -> dict[str, Any]:
    return {k: invoice.get(k) for k in PAID_INVOICE_FIELDS}


def _orders_directly(config: IntegrationConfig) -> bool:
    """Orders are the source and are read as orders (not through their paid invoices)."""
    return config.flows.sales_orders.source_document == "order" and not _through_paid_invoices(
        config
    )


def _through_paid_invoices(config: IntegrationConfig) -> bool:
    settings = config.flows.sales_orders
    return settings.source_document == "order" and "Paid" in settings.statuses


@task(name="fetch-documents", **RETRIED)
def fetch_documents(ctx: RunContext, cursor: datetime | None, page: int, size: int) -> Page:
    """One page of documents modified at or after ``cursor`` that pass the status filter.

    With the "Paid" status and orders as the source, the page is of paid invoices created from
    orders, each replaced by its order: an invoice's payment does not change its order.
    """
    settings = ctx.config.flows.sales_orders
    client = eaccounting_client(ctx.config)
    if _orders_directly(ctx.config):
        orders = _orders_page(ctx, cursor, page, size)
        return _page([_record(o) for o in orders.items], orders)
    invoices = _invoices_page(ctx, cursor, page, size)
    if settings.source_document == "invoice":
        return _page([_record(i) for i in invoices.items], invoices)
    # The page's orders in a few list calls (25 ids each), not one call per invoice.
    ids = sorted({i["CreatedFromOrderId"] for i in invoices.items if i.get("CreatedFromOrderId")})
    orders_by_id = {str(o["Id"]): o for o in client.orders_by_ids(ids)} if ids else {}
    records = []
    for invoice in invoices.items:
        order = orders_by_id.get(str(invoice.get("CreatedFromOrderId") or ""))
        if order is not None:
            # The invoice's change time drives the cursor: it is what was read in this order.
            # Its payment facts ride along for the financial mutation.
            changed = {**order, "ModifiedUtc": invoice["ModifiedUtc"],
                       PAID_INVOICE: _paid_facts(invoice)}  # fmt: skip
            records.append(_record(changed))
    return _page(records, invoices)


@task(name="glance-documents", **RETRIED)
def glance_documents(ctx: RunContext, cursor: datetime | None, page: int, size: int) -> Page:
    """The page :func:`fetch_documents` would read, as keys and change times only (the API's
    ``$select``): what the engine compares with the ledger before reading an overlap window
    whole. A paid invoice stands for the order it was created from, as in the full read."""
    settings = ctx.config.flows.sales_orders
    if _orders_directly(ctx.config):
        orders = _orders_page(ctx, cursor, page, size, GLANCE_FIELDS)
        return _page([_record(o) for o in orders.items], orders)
    if settings.source_document == "invoice":
        invoices = _invoices_page(ctx, cursor, page, size, GLANCE_FIELDS)
        return _page([_record(i) for i in invoices.items], invoices)
    invoices = _invoices_page(ctx, cursor, page, size, (*GLANCE_FIELDS, "CreatedFromOrderId"))
    stamps = [
        {"Id": i["CreatedFromOrderId"], "ModifiedUtc": i["ModifiedUtc"]}
        for i in invoices.items
        if i.get("CreatedFromOrderId")
    ]
    return _page([_record(stamp) for stamp in stamps], invoices)


# What a glance reads of each document: its ledger key and its change time.
GLANCE_FIELDS = ("Id", "ModifiedUtc")


def _orders_page(
    ctx: RunContext, cursor: datetime | None, page: int, size: int, fields: tuple[str, ...] = ()
) -> ListPage:
    statuses = ctx.config.flows.sales_orders.statuses
    return eaccounting_client(ctx.config).orders_page(
        changed_since=cursor, statuses=[ORDER_STATUS_CODES[s] for s in statuses], page=page,
        page_size=size, fields=fields or None,
    )  # fmt: skip


def _invoices_page(
    ctx: RunContext, cursor: datetime | None, page: int, size: int, fields: tuple[str, ...] = ()
) -> ListPage:
    statuses = ctx.config.flows.sales_orders.statuses
    paid_only = "Paid" in statuses and "Invoiced" not in statuses
    return eaccounting_client(ctx.config).customer_invoices_page(
        changed_since=cursor, paid_only=paid_only, page=page, page_size=size,
        fields=fields or None,
    )  # fmt: skip


def _page(records: list[SourceRecord], read: ListPage) -> Page:
    # Whether more follow is the API's word (Meta), judged before any document was left out.
    last = as_utc(read.items[-1]["ModifiedUtc"]) if read.items else None
    return Page(records, more=read.more, last_changed_at=last)


@task(name="fetch-documents-by-key", **RETRIED)
def fetch_documents_by_key(ctx: RunContext, keys: list[str]) -> list[SourceRecord]:
    """Re-read queued documents, a few list calls per batch; ones deleted at the source are
    simply absent from the result."""
    client = eaccounting_client(ctx.config)
    if source_entity(ctx.config) == "invoice":
        return [_record(d) for d in client.customer_invoices_by_ids(keys)]
    orders = client.orders_by_ids(keys)
    if _through_paid_invoices(ctx.config):
        orders = _with_paid_invoices(client, orders)
    return [_record(o) for o in orders]


def _with_paid_invoices(
    client: EAccountingClient, orders: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Orders re-read by id, with the payment facts of their paid invoice (as the paid-invoice
    read attaches them, change time included), so a retried order reads as it was first read."""
    if not orders:
        return orders
    invoices = client.paid_invoices_of_orders([o["Id"] for o in orders])
    by_order = {invoice["CreatedFromOrderId"]: invoice for invoice in invoices}
    return [
        {**order, "ModifiedUtc": by_order[order["Id"]]["ModifiedUtc"],
         PAID_INVOICE: _paid_facts(by_order[order["Id"]])}
        if order["Id"] in by_order
        else order
        for order in orders
    ]  # fmt: skip
