"""Stock: Visma.net stock levels -> eAccounting article stock balances.

Runs independently of the product flow. Stock items whose availability changed since the
watermark are read with their warehouse details; each SKU's quantity (on hand or available,
summed over the configured warehouses) is written to its article's ``StockBalance`` when it
differs. A SKU without an article is reported and re-checked on every run until its article
exists. A company whose stock module is active (balances read-only) stops the run with one
configuration error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from vismasync.flows.master_data import MasterDataEntity, run_master_data
from vismasync.flows.runtime import RunContext, sync_run
from vismasync.flows.summary import RunSummary, publish
from vismasync.store.models import LedgerStatus
from vismasync.tasks.master_data import SourceRecord, count_items
from vismasync.tasks.stock_sync import (
    STOCK,
    check_stock_module,
    fetch_changed_stock,
    fetch_stock_by_key,
    plan_stock,
    write_stock,
)

FLOW = "stock"


def _process(ctx: RunContext, records: list[SourceRecord], summary: RunSummary) -> None:
    items = plan_stock(ctx, records)
    items = write_stock(ctx, items)
    count_items(summary, STOCK, items)
    summary.notes.extend(item.message or "" for item in items if item.action == "skip")


STOCK_LEVELS = MasterDataEntity(
    entity=STOCK,
    fetch_changed=fetch_changed_stock,
    fetch_by_key=fetch_stock_by_key,
    process=_process,
    queued=(LedgerStatus.FAILED, LedgerStatus.SKIPPED),
)


@flow(name="sync-stock", log_prints=False)
def sync_stock(
    integration: str = "demo",
    dry_run: bool = False,
    since: datetime | None = None,
    limit: int | None = None,
    keys: list[str] | None = None,
) -> dict[str, Any]:
    """Set eAccounting article stock balances from Visma.net stock.

    Args:
        integration: the integration's name (its configuration file).
        dry_run: compute the whole plan and write nothing to either system or the ledger.
        since: read stock changed since this time instead of the watermark (backfill).
        limit: process at most this many SKUs in this run.
        keys: re-check only these SKUs; no incremental read and no watermark move.

    Raises:
        StockModuleActive: the eAccounting company keeps stock itself (read-only balances).
    """
    with sync_run(integration, FLOW, dry_run=dry_run) as ctx:
        summary = RunSummary(flow=FLOW, integration=integration, dry_run=dry_run)
        check_stock_module(ctx)
        run_master_data(ctx, STOCK_LEVELS, summary, since=since, limit=limit, keys=keys)
        publish(summary)
        return summary.result()
