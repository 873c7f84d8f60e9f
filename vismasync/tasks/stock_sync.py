"""The per-batch steps of the stock flow (Visma.net stock -> eAccounting article stock balance).

Independent of the product flow: stock items whose availability changed are read with their
warehouse details, their quantity (on hand or available, summed over the configured warehouses)
is compared with the article's ``StockBalance``, and only differences are written. Setting a
balance is idempotent, so a repeated write is harmless and needs no lookup-before-retry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.connectors.http import ApiError
from vismasync.connectors.vismanet.models import InventoryItem
from vismasync.flows.runtime import RunContext
from vismasync.mappings.hashing import content_hash
from vismasync.mappings.stock import availability_changed_at, same_balance, stock_quantity
from vismasync.store.models import LedgerStatus
from vismasync.tasks.connections import eaccounting_client, vismanet_client
from vismasync.tasks.master_data import (
    SourceRecord,
    SyncItem,
    ledger_for,
    register_pending,
    settle_failure,
)
from vismasync.tasks.product_sync import articles_by_number

STOCK = "stock"


class StockModuleActive(RuntimeError):
    """The eAccounting company keeps stock itself: ``StockBalance`` is read-only there."""

    def __init__(self) -> None:
        super().__init__(
            "The eAccounting company has the stock module active, which makes article stock "
            "balances read-only (eAccounting keeps stock itself). The stock flow cannot write "
            "them: disable it (flows.stock.enabled: false) or deactivate the stock module."
        )


def stock_record(item: InventoryItem) -> SourceRecord:
    data = item.model_dump(by_alias=True)
    changed = availability_changed_at(data) or datetime.now(UTC)
    return SourceRecord(item.inventory_number, changed, data)


@task(name="check-stock-module", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def check_stock_module(ctx: RunContext) -> None:
    """Refuse the run at once when the company's activated modules include stock.

    Raises:
        StockModuleActive: eAccounting's stock module is on.
    """
    modules = eaccounting_client(ctx.config).get_company_settings().ActivatedModules or []
    if any("stock" in module.lower() for module in modules):
        raise StockModuleActive()


@task(name="fetch-changed-stock", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def fetch_changed_stock(ctx: RunContext, cursor: datetime | None) -> list[SourceRecord]:
    """Stock items whose availability changed at or after ``cursor``, oldest change first."""
    items = vismanet_client(ctx.config).list_inventory(
        availability_changed_since=cursor, expand_warehouse_detail=True, expand_attribute=False
    )
    records = [stock_record(i) for i in items if i.stock_item]
    return sorted(records, key=lambda r: (r.changed_at, r.key))


@task(name="fetch-stock-by-key", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def fetch_stock_by_key(ctx: RunContext, keys: list[str]) -> list[SourceRecord]:
    """Re-read queued items (failed, or waiting for their article); deleted ones are left out."""
    client = vismanet_client(ctx.config)
    found = [client.get_inventory(key) for key in keys]
    return [stock_record(i) for i in found if i is not None and i.stock_item]


@task(name="plan-stock", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def plan_stock(ctx: RunContext, records: list[SourceRecord]) -> list[SyncItem]:
    """Each SKU's quantity, and whether its article's balance must change."""
    settings = ctx.config.flows.stock
    ledger = ledger_for(ctx, STOCK)
    known = ledger.get_many([r.key for r in records])
    items = []
    for record in records:
        item = SyncItem(record.key, f"SKU {record.key}", record.changed_at, record.data)
        quantity = stock_quantity(record.data, settings.warehouses, settings.quantity)
        item.payload = {"StockBalance": quantity}
        item.digest = content_hash(item.payload)
        row = known.get(record.key)
        if row is not None and row.status == LedgerStatus.DONE and row.content_hash == item.digest:
            item.action, item.outcome = "unchanged", "unchanged"
        items.append(item)
    pending = [item for item in items if item.action == "pending"]
    articles = articles_by_number(ctx, [item.key for item in pending])
    for item in pending:
        article = articles.get(item.key)
        if article is None:
            item.skip(
                f"{item.label} has no eAccounting article: create it (the product flow does) "
                "and its stock follows on the next run"
            )
        elif same_balance(article.get("StockBalance"), item.payload["StockBalance"]):
            item.action, item.outcome, item.target_id = "unchanged", "unchanged", article["Id"]
            if not ctx.dry_run:
                ledger.mark_done(item.key, str(article["Id"]), item.digest)
        else:
            item.action, item.target_id = "update", str(article["Id"])
    register_pending(ctx, ledger, items)
    if not ctx.dry_run:
        for item in items:
            if item.action == "skip":
                ledger.mark_skipped(item.key, item.message or "")
    return items


@task(name="write-stock", cache_policy=NO_CACHE)
def write_stock(ctx: RunContext, items: list[SyncItem]) -> list[SyncItem]:
    """Set each changed article's stock balance.

    Raises:
        StockModuleActive: eAccounting kept the old balance (its stock module is on).
    """
    ledger = ledger_for(ctx, STOCK)
    client = eaccounting_client(ctx.config)
    for item in items:
        if item.action != "update":
            continue
        if ctx.dry_run:
            item.outcome = "updated"
            continue
        wanted: Decimal = item.payload["StockBalance"]
        try:
            article = client.set_article_stock_balance(str(item.target_id), wanted)
        except ApiError as exc:
            settle_failure(ledger, item, exc, "the stock balance of")
            continue
        if not same_balance(article.StockBalance, wanted):
            # The spec: "When stock module is active, this is read only" -- the PUT succeeds
            # and the balance stays. One configuration error, not one failure per SKU.
            raise StockModuleActive()
        item.outcome = "updated"
        ledger.mark_done(item.key, item.target_id, item.digest)
    return items
