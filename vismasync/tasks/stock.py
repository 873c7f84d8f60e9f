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

from vismasync.connectors.vismanet.models import InventoryItem
from vismasync.engine.clients import eaccounting_client, vismanet_client
from vismasync.engine.preflight import RunNotStarted
from vismasync.engine.run import RunContext
from vismasync.engine.summary import RunSummary
from vismasync.engine.task_retry import RETRIED
from vismasync.engine.work import Batch, SourceRecord, WorkItem
from vismasync.engine.write_once import ledger_for, write_planned
from vismasync.mappings.stock import availability_changed_at, same_balance, stock_quantity
from vismasync.tasks import ea_directories
from vismasync.tasks.products import articles_by_number

STOCK = "stock"


class StockModuleActive(RunNotStarted):
    """The eAccounting company keeps stock itself: ``StockBalance`` is read-only there."""

    def __init__(self) -> None:
        super().__init__(
            "The eAccounting company has the stock module active, which makes article stock "
            "balances read-only (eAccounting keeps stock itself). The stock flow cannot write "
            "them.",
            "disable the flow (flows.stock.enabled: false) or deactivate the stock module",
        )

    def __reduce__(self) -> tuple[type, tuple[()]]:
        return (StockModuleActive, ())


def stock_record(item: InventoryItem) -> SourceRecord:
    data = item.model_dump(by_alias=True)
    changed = availability_changed_at(data) or datetime.now(UTC)
    return SourceRecord(item.inventory_number, changed, data)


@task(name="check-stock-module", **RETRIED)
def check_stock_module(ctx: RunContext) -> None:
    """Refuse the run at once when the company's activated modules include stock.

    Raises:
        StockModuleActive: eAccounting's stock module is on.
    """
    modules = eaccounting_client(ctx.config).get_company_settings().ActivatedModules or []
    if any("stock" in module.lower() for module in modules):
        raise StockModuleActive()


@task(name="fetch-changed-stock", **RETRIED)
def fetch_changed_stock(ctx: RunContext, cursor: datetime | None) -> list[SourceRecord]:
    """Stock items whose availability changed at or after ``cursor``, oldest change first."""
    items = vismanet_client(ctx.config).list_inventory(
        availability_changed_since=cursor, expand_warehouse_detail=True, expand_attribute=False
    )
    records = [stock_record(i) for i in items if i.stock_item]
    return sorted(records, key=lambda r: (r.changed_at, r.key))


@task(name="fetch-stock-by-key", **RETRIED)
def fetch_stock_by_key(ctx: RunContext, keys: list[str]) -> list[SourceRecord]:
    """Re-read queued items (failed, or waiting for their article); deleted ones are left out.

    One read per item, or the stock list read whole when that takes fewer calls (the items the
    ledger has seen, a page of the client's size at a time, against one call per queued item).
    """
    client = vismanet_client(ctx.config)
    pages = -(-ledger_for(ctx, STOCK).size() // client.page_size)
    if len(keys) > max(pages, 1):
        wanted = set(keys)
        found = [item for item in client.list_inventory(
            expand_warehouse_detail=True, expand_attribute=False, expand_cross_reference=False,
            expand_attachment=False) if item.inventory_number in wanted]  # fmt: skip
    else:
        found = [i for i in (client.get_inventory(key) for key in keys) if i is not None]
    return [stock_record(i) for i in found if i.stock_item]


def sku_label(record: SourceRecord) -> str:
    return f"SKU {record.key}"


@task(name="plan-stock", **RETRIED)
def plan_stock(ctx: RunContext, batch: Batch) -> None:
    """Each SKU's quantity, and whether its article's balance must change."""
    settings = ctx.config.flows.stock
    items = batch.open()
    for item in items:
        quantity = stock_quantity(item.source, settings.warehouses, settings.quantity)
        item.payload = {"StockBalance": quantity}
    articles = articles_by_number(ctx, [item.key for item in items])
    for item in items:
        article = articles.get(item.key)
        if article is None:
            item.skip(
                f"{item.label} has no eAccounting article: create it (the product flow does) "
                "and its stock follows on the next run"
            )
        elif same_balance(article.get("StockBalance"), item.payload["StockBalance"]):
            item.settle("unchanged", str(article["Id"]))
        else:
            item.action, item.target_key, item.current = "update", str(article["Id"]), article


def _set_balance(ctx: RunContext, item: WorkItem) -> str:
    if ctx.dry_run:
        return "updated"
    wanted: Decimal = item.payload["StockBalance"]
    # eAccounting has no stock endpoint: the article is written back whole with its new
    # balance, from the copy the plan read (the run's directory): one PUT, no read of its own.
    article = eaccounting_client(ctx.config).update_article(
        str(item.target_key), {**(item.current or {}), "StockBalance": wanted}
    )
    ea_directories.articles(ctx).put(article.to_payload())
    if not same_balance(article.StockBalance, wanted):
        # The spec: "When stock module is active, this is read only" -- the PUT succeeds
        # and the balance stays. One configuration error, not one failure per SKU.
        raise StockModuleActive()
    return "updated"


@task(name="write-stock", cache_policy=NO_CACHE)
def write_stock(ctx: RunContext, batch: Batch) -> None:
    """Set each changed article's stock balance (absolute values: a repeat is harmless, so no
    claim is needed).

    Raises:
        StockModuleActive: eAccounting kept the old balance (its stock module is on).
    """
    write_planned(ctx, batch, entity=STOCK, what="the stock balance of",
                  update=lambda item: _set_balance(ctx, item))  # fmt: skip


def note_missing_articles(ctx: RunContext, batch: Batch, summary: RunSummary) -> None:
    """SKUs waiting for their article, named in the run's notes."""
    summary.notes.extend(item.message or "" for item in batch if item.outcome == "skipped")
