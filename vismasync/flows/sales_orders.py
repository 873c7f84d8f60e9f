"""Sales orders: eAccounting orders (or invoices) -> Visma.net sales orders (or invoices).

For each page of documents changed since the watermark: enrich -> check exists -> upsert
customers (and their contact persons) -> verify products -> commit -> post financial mutation;
then advance the watermark and publish the summary. Documents in the failure queue are re-read
from eAccounting and retried first.
"""

from __future__ import annotations

from vismasync.engine.entity import ChildWrite, EntitySpec
from vismasync.engine.flow import sync_flow
from vismasync.engine.run import RunContext
from vismasync.tasks.reconcile import read_ledger, read_source_documents, read_target_documents
from vismasync.tasks.reconcile_compare import ReconcileReport, compare
from vismasync.tasks.sales_orders.customers import (
    CONTACT,
    CONTACT_NOUN,
    CUSTOMER,
    retry_customers,
    upsert_customers,
)
from vismasync.tasks.sales_orders.journal import NOUN as JOURNAL
from vismasync.tasks.sales_orders.journal import PAYMENT, post_financial_mutations
from vismasync.tasks.sales_orders.read import (
    PAGE_SIZE,
    document_label,
    fetch_documents,
    fetch_documents_by_key,
    glance_documents,
    source_entity,
)
from vismasync.tasks.sales_orders.steps import check_exists, commit, enrich, verify_products
from vismasync.tasks.sales_orders.stock_check import check_stock


def reconcile_sales_orders(ctx: RunContext) -> ReconcileReport:
    settings = ctx.config.flows.sales_orders
    target = (
        "Visma.net customer invoices"
        if settings.target_document == "customer_invoice"
        else f"Visma.net sales orders (type {settings.order_type})"
    )
    ledger, customers, cursor = read_ledger(ctx)
    sources = read_source_documents(ctx, customers)
    targets = read_target_documents(ctx)
    report = ReconcileReport(flow="sales_orders", integration=ctx.integration, target=target)
    return compare(report, sources, targets, ledger, cursor)


SALES_ORDERS = EntitySpec(
    flow="sales_orders",
    prefect_name="sync-sales-orders",
    description="Send eAccounting sales documents to Visma.net, each exactly once.",
    command="orders",
    keys_help="eAccounting document or customer ids",
    noun="documents",
    source="eAccounting",
    entrypoint="vismasync.flows.sales_orders:sync_sales_orders",
    entity=source_entity,
    label=document_label,
    read_page=fetch_documents,
    glance_page=glance_documents,
    page_size=PAGE_SIZE,
    read_by_keys=fetch_documents_by_key,
    steps=(
        enrich,
        check_exists,
        upsert_customers,
        verify_products,
        check_stock,
        commit,
        post_financial_mutations,
    ),
    children=(
        ChildWrite(CUSTOMER, "customer", retry=retry_customers),
        ChildWrite(CONTACT, CONTACT_NOUN, retry=retry_customers),
        ChildWrite(PAYMENT, JOURNAL),
    ),
    reconcile=reconcile_sales_orders,
    eaccounting_endpoints=("/customers", "/articles", "/articleaccountcodings"),
)


sync_sales_orders = sync_flow(SALES_ORDERS)
