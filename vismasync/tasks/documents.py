"""Fetching eAccounting sales documents (orders or customer invoices) for the order flow.

Reads go in ``ModifiedUtc`` order, one page per task run, so a run's progress is visible in the
Prefect UI batch by batch and a failed read is retried alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.connectors.eaccounting import filters as f
from vismasync.flows.runtime import RunContext
from vismasync.tasks.connections import eaccounting_client

ORDER_STATUS_CODES = {"Draft": 1, "Ongoing": 2, "Shipped": 3, "Invoiced": 4}
PAID = 0  # CustomerInvoiceApi.PaymentStatus
# Ids per $filter: "Id eq <uuid> or ..." must stay well inside common URL length limits.
KEYS_PER_FILTER = 25
# Key under which an order read through its paid invoice carries that invoice's payment facts.
PAID_INVOICE = "PaidInvoice"
PAID_INVOICE_FIELDS = (
    "Id", "InvoiceNumber", "InvoiceDate", "PaymentDate", "CurrencyCode", "PaymentStatus",
    "TotalAmountInvoiceCurrency",
)  # fmt: skip


def as_utc(value: Any) -> datetime:
    """An eAccounting timestamp as an aware UTC datetime (offset-less values are UTC)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def source_entity(ctx: RunContext) -> str:
    """The ledger entity of the flow's source documents."""
    return "invoice" if ctx.config.flows.sales_orders.source_document == "invoice" else "order"


@task(name="fetch-documents", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def fetch_documents(
    ctx: RunContext, cursor: datetime | None, page: int, size: int
) -> list[dict[str, Any]]:
    """One page of documents modified at or after ``cursor`` that pass the status filter.

    With the "Paid" status and orders as the source, the page is of paid invoices created from
    orders, each replaced by its order: an invoice's payment does not change its order.
    """
    settings = ctx.config.flows.sales_orders
    client = eaccounting_client(ctx.config)
    # Id breaks ties between documents changed in the same instant: pages stay stable.
    query: dict[str, Any] = {"$page": page, "$pagesize": size, "$orderby": "ModifiedUtc,Id"}
    if settings.source_document == "order" and "Paid" not in settings.statuses:
        codes = [ORDER_STATUS_CODES[s] for s in settings.statuses]
        since = f.ge("ModifiedUtc", cursor) if cursor else None
        query["$filter"] = str(f.all_of(since, f.any_of("Status", codes)))
        return client.get_json("/orders", params=query)["Data"]
    if cursor is not None:
        query["modifiedSinceUtc"] = f.literal(cursor.astimezone(UTC))
    paid_only = "Paid" in settings.statuses and "Invoiced" not in settings.statuses
    if paid_only:
        query["$filter"] = str(f.eq("PaymentStatus", PAID))
    invoices = client.get_json("/customerinvoices", params=query)["Data"]
    if settings.source_document == "invoice":
        return invoices
    orders = []
    for invoice in invoices:
        order_id = invoice.get("CreatedFromOrderId")
        if order_id:
            order = client.get_order(order_id).model_dump(mode="json")
            # The invoice's change time drives the cursor: it is what was read in this order.
            # Its payment facts ride along for the financial mutation.
            paid = {k: invoice.get(k) for k in PAID_INVOICE_FIELDS}
            orders.append({**order, "ModifiedUtc": invoice["ModifiedUtc"], PAID_INVOICE: paid})
    return orders


@task(name="fetch-documents-by-key", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def fetch_documents_by_key(ctx: RunContext, keys: list[str]) -> list[dict[str, Any]]:
    """Re-read documents from the failure queue, a few list calls per batch (25 ids per
    ``$filter``); ones deleted at the source are simply absent from the result."""
    settings = ctx.config.flows.sales_orders
    client = eaccounting_client(ctx.config)
    path = "/customerinvoices" if source_entity(ctx) == "invoice" else "/orders"
    through_paid_invoices = settings.source_document == "order" and "Paid" in settings.statuses
    documents: list[dict[str, Any]] = []
    for start in range(0, len(keys), KEYS_PER_FILTER):
        chunk = keys[start : start + KEYS_PER_FILTER]
        query = {"$filter": str(f.any_of("Id", chunk)), "$pagesize": len(chunk)}
        found = client.get_json(path, params=query)["Data"]
        if through_paid_invoices:
            found = _with_paid_invoices(client, found)
        documents.extend(found)
    return documents


def _with_paid_invoices(client: Any, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Orders re-read by id, with the payment facts of their paid invoice (as the paid-invoice
    read attaches them), so a retried order still gets its financial mutation."""
    if not orders:
        return orders
    query = {
        "$filter": str(
            f.all_of(
                f.any_of("CreatedFromOrderId", [o["Id"] for o in orders]),
                f.eq("PaymentStatus", PAID),
            )
        ),
        "$pagesize": len(orders),
    }
    invoices = client.get_json("/customerinvoices", params=query)["Data"]
    by_order = {invoice["CreatedFromOrderId"]: invoice for invoice in invoices}
    return [
        {**order, PAID_INVOICE: {k: by_order[order["Id"]].get(k) for k in PAID_INVOICE_FIELDS}}
        if order["Id"] in by_order
        else order
        for order in orders
    ]
