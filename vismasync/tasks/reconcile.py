"""Reading both systems and the ledger for the sales-order reconciliation. Read-only.

Every read is a paged list (whole lists, O(pages) calls, never one call per record): all
eAccounting orders or invoices (the status filter is applied here, so documents that left the
filter are still known to exist), all Visma.net documents of the configured kind, and the
flow's ledger rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.connectors.eaccounting.client import ORDER_STATUS_CODES, PAID_STATUS
from vismasync.flows.runtime import RunContext
from vismasync.mappings.customers import missing_fields
from vismasync.mappings.sales_orders import document_status
from vismasync.store.database import get_engine
from vismasync.store.ledger import LedgerEntry, list_entries
from vismasync.store.watermarks import Watermarks
from vismasync.tasks.connections import eaccounting_client, vismanet_client
from vismasync.tasks.documents import as_utc, source_entity
from vismasync.tasks.order_customers import CUSTOMER
from vismasync.tasks.reconcile_compare import SourceDocument, TargetDocument, quantity
from vismasync.tasks.sales_orders import target_ref

# Every key the sales-order flow writes into Visma.net starts with this (EA1042, EAI2001).
KEY_PREFIX = "EA"


@task(name="read-ledger", cache_policy=NO_CACHE)
def read_ledger(ctx: RunContext) -> tuple[list[LedgerEntry], dict[str, str], datetime | None]:
    """The flow's document rows, eAccounting customer id -> Visma.net number, the watermark."""
    entity = source_entity(ctx)
    entries = list_entries(get_engine(), integration=ctx.integration, flow=ctx.flow, limit=None)
    documents = [e for e in entries if e.entity == entity]
    customers = {
        e.source_key: e.target_key for e in entries if e.entity == CUSTOMER and e.target_key
    }
    watermark = Watermarks(get_engine(), ctx.integration, ctx.flow, entity).get()
    return documents, customers, watermark


def _lines(ctx: RunContext, document: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The (SKU, quantity) lines the flow makes of a document's article rows."""
    shipping = ctx.config.flows.sales_orders.shipping
    lines = []
    for row in document.get("Rows") or []:
        article = row.get("ArticleNumber")
        if row.get("IsTextRow") or not article:
            continue
        sku = shipping.sku if shipping and article in shipping.source_articles else str(article)
        lines.append((sku, quantity(row.get("Quantity"))))
    return tuple(lines)


def _expected_customer(
    ctx: RunContext, document: dict[str, Any], customers: dict[str, str], ea_customers: dict
) -> str | None:
    """The Visma.net customer the flow sends this document to (None: unknown yet)."""
    debtor = ctx.config.flows.sales_orders.default_debtor
    if debtor is not None and debtor.mode == "force":
        return debtor.customer_number
    customer_id = document.get("CustomerId") or ""
    if debtor is not None and missing_fields(ea_customers.get(customer_id, {})):
        return debtor.customer_number
    return customers.get(customer_id)


@task(name="read-source-documents", cache_policy=NO_CACHE)
def read_source_documents(ctx: RunContext, customers: dict[str, str]) -> list[SourceDocument]:
    """Every eAccounting document of the configured kind, each marked eligible or not."""
    settings = ctx.config.flows.sales_orders
    is_invoice = settings.source_document == "invoice"
    paid_only = "Paid" in settings.statuses and "Invoiced" not in settings.statuses
    changed: dict[str, Any] = {}  # document id -> the change time the flow reads it by
    client = eaccounting_client(ctx.config)
    if is_invoice:
        documents = client.all_customer_invoices()
        eligible = {
            d["Id"] for d in documents if not paid_only or d.get("PaymentStatus") == PAID_STATUS
        }
    elif "Paid" in settings.statuses:
        # Orders are sent once their invoice is paid, read through that invoice.
        documents = client.all_orders()
        paid = client.all_customer_invoices(paid_only=True)
        changed = {
            i["CreatedFromOrderId"]: i["ModifiedUtc"] for i in paid if i.get("CreatedFromOrderId")
        }
        eligible = set(changed)
    else:
        documents = client.all_orders()
        codes = {ORDER_STATUS_CODES[s] for s in settings.statuses}
        eligible = {d["Id"] for d in documents if d.get("Status") in codes}
    ea_customers: dict[str, dict] = {}
    if settings.default_debtor is not None and settings.default_debtor.mode == "fallback":
        ea_customers = {c["Id"]: c for c in client.all_customers_json()}
    result = []
    for document in documents:
        number = document.get("InvoiceNumber") if is_invoice else document.get("Number")
        when = changed.get(document["Id"]) or document.get("ModifiedUtc")
        result.append(
            SourceDocument(
                key=document["Id"],
                ref=target_ref(ctx, document),
                label=f"{'invoice' if is_invoice else 'order'} {number or document['Id']}",
                eligible=document["Id"] in eligible,
                status=document_status(document, is_invoice=is_invoice),
                changed_at=as_utc(when) if when else None,
                lines=_lines(ctx, document),
                currency=document.get("CurrencyCode"),
                expected_customer=_expected_customer(ctx, document, customers, ea_customers),
            )
        )
    return result


@task(name="read-target-documents", cache_policy=NO_CACHE)
def read_target_documents(ctx: RunContext) -> list[TargetDocument]:
    """The Visma.net documents carrying a key the flow writes (sales orders of the configured
    type, or customer invoices), with their lines."""
    settings = ctx.config.flows.sales_orders
    client = vismanet_client(ctx.config)
    found = []
    if settings.target_document == "customer_invoice":
        for invoice in client.iter_customer_invoices():
            key = invoice.get("externalReference") or ""
            if not key.startswith(KEY_PREFIX):
                continue
            lines = tuple(
                (line.get("inventoryNumber") or "", quantity(line.get("quantity")))
                for line in invoice.get("invoiceLines") or []
            )
            customer = (invoice.get("customer") or {}).get("number")
            found.append(
                TargetDocument(
                    key, str(invoice["referenceNumber"]), lines, customer, invoice.get("currencyId")
                )
            )
        return found
    for order in client.list_sales_orders(order_type=settings.order_type):
        # The flow sets both the order number and the customer reference to the key; a copy
        # made in Visma.net gets a new number but keeps the reference.
        key = order.order_no if order.order_no.startswith(KEY_PREFIX) else order.customer_ref_no
        if not key or not key.startswith(KEY_PREFIX):
            continue
        lines = tuple(
            ((line.inventory.number if line.inventory else None) or "", quantity(line.quantity))
            for line in order.lines
        )
        customer = order.customer.number if order.customer else None
        found.append(TargetDocument(key, order.order_no, lines, customer, order.currency))
    return found
