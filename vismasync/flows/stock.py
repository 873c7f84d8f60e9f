"""Stock: Visma.net stock levels -> eAccounting article stock balances.

Runs independently of the product flow. Stock items whose availability changed since the
watermark are read with their warehouse details; each SKU's quantity (on hand or available,
summed over the configured warehouses) is written to its article's ``StockBalance`` when it
differs. A SKU without an article is reported and re-checked on every run until its article
exists. A company whose stock module is active (balances read-only) stops the run with one
configuration error.
"""

from __future__ import annotations

from vismasync.engine.entity import EntitySpec
from vismasync.engine.flow import sync_flow
from vismasync.engine.run import RunContext
from vismasync.store.models import LedgerStatus
from vismasync.tasks.reconcile_compare import ReconcileReport
from vismasync.tasks.reconcile_products import (
    compare_stock,
    read_articles,
    read_items,
    read_ledger_rows,
)
from vismasync.tasks.stock import (
    STOCK,
    check_stock_module,
    fetch_changed_stock,
    fetch_stock_by_key,
    note_missing_articles,
    plan_stock,
    sku_label,
    write_stock,
)


def reconcile_stock(ctx: RunContext) -> ReconcileReport:
    ledger, cursor = read_ledger_rows(ctx, STOCK)
    report = ReconcileReport(
        flow="stock", integration=ctx.integration, noun="stock item",
        target="the stock balances of eAccounting articles (stock items with an article)",
    )  # fmt: skip
    return compare_stock(ctx, report, read_items(ctx), read_articles(ctx), ledger, cursor)


STOCK_LEVELS = EntitySpec(
    flow="stock",
    prefect_name="sync-stock",
    description="Set eAccounting article stock balances from Visma.net stock.",
    command="stock",
    keys_help="SKUs",
    noun="SKUs",
    source="Visma.net",
    entrypoint="vismasync.flows.stock:sync_stock",
    entity=lambda config: STOCK,
    label=sku_label,
    read_changed=fetch_changed_stock,
    read_by_keys=fetch_stock_by_key,
    before_run=check_stock_module,
    steps=(plan_stock, write_stock),
    after_batch=note_missing_articles,
    queued=(LedgerStatus.FAILED, LedgerStatus.IN_FLIGHT, LedgerStatus.SKIPPED),
    reconcile=reconcile_stock,
    eaccounting_endpoints=("/articles",),
)


sync_stock = sync_flow(STOCK_LEVELS)
