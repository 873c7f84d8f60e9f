"""Reconciliation of the master-data flows that write eAccounting articles: products and stock.

Reads are whole lists (O(pages), never one call per record): every Visma.net inventory item,
every eAccounting article, and the flow's ledger rows. Both comparisons run the flows' own
mapping (filter, article mapping with its field mappings, stock quantity), so they agree with
what a run would write. Read-only on both systems and the ledger.

A difference a coming run writes anyway is counted as awaiting, not reported: the record
changed at or after the flow's next read cursor (watermark minus overlap) and its mapped
content is not the one the ledger recorded. A difference the ledger calls ``done`` with the
same content is reported, because the flow skips such records without looking at the target.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.flows.runtime import RunContext
from vismasync.mappings.articles import ArticleProblem, is_sellable, passes_filter
from vismasync.mappings.data_mapper import MappingError
from vismasync.mappings.field_diff import same_value
from vismasync.mappings.hashing import content_hash
from vismasync.mappings.stock import same_balance, stock_quantity
from vismasync.store.database import get_engine
from vismasync.store.ledger import LedgerEntry, list_entries
from vismasync.store.models import LedgerStatus
from vismasync.store.watermarks import Watermarks
from vismasync.tasks.connections import eaccounting_client, vismanet_client
from vismasync.tasks.master_data import SourceRecord
from vismasync.tasks.product_sync import article_reference, as_record, item_filter, map_item
from vismasync.tasks.reconcile_compare import (
    Discrepancy,
    ReconcileReport,
    SourceDocument,
    TargetDocument,
    compare,
)
from vismasync.tasks.stock_sync import STOCK, stock_record

# The article fields whose content is compared (the ones people check against the ERP); the
# product mapping decides their values, create-only fields are left out.
COMPARED_FIELDS = ("Name", "NetPrice", "IsActive")


def _shown(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return repr(value) if isinstance(value, str) else str(value)


@task(name="read-ledger-rows", cache_policy=NO_CACHE)
def read_ledger_rows(ctx: RunContext, entity: str) -> tuple[list[LedgerEntry], datetime | None]:
    """The flow's rows of ``entity`` and the cursor its next run reads from (None: all)."""
    entries = list_entries(get_engine(), integration=ctx.integration, flow=ctx.flow, limit=None)
    watermark = Watermarks(get_engine(), ctx.integration, ctx.flow, entity).get()
    overlap = timedelta(minutes=getattr(ctx.config.flows, ctx.flow).overlap_minutes)
    cursor = watermark - overlap if watermark is not None else None
    return [e for e in entries if e.entity == entity], cursor


@task(name="read-items", cache_policy=NO_CACHE)
def read_items(ctx: RunContext) -> list[SourceRecord]:
    """Every Visma.net item, as the flow being reconciled reads it (same expands, same change
    time: the item's own for products, the stock's for stock)."""
    stock = ctx.flow == STOCK
    items = vismanet_client(ctx.config).list_inventory(
        None, expand_warehouse_detail=stock, expand_attribute=not stock
    )
    if stock:
        return [stock_record(item) for item in items if item.stock_item]
    return [as_record(item) for item in items]


@task(name="read-articles", cache_policy=NO_CACHE)
def read_articles(ctx: RunContext) -> dict[str, list[dict[str, Any]]]:
    """Every eAccounting article, grouped by number (more than one: a duplicate)."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for article in eaccounting_client(ctx.config).iter_articles():
        found[article.Number].append(article.to_payload())
    return found


def accounted_for(
    report: ReconcileReport,
    entry: LedgerEntry | None,
    digest: str,
    changed_at: datetime,
    cursor: datetime | None,
) -> bool:
    """Whether the product already accounts for a difference (counted in the report)."""
    status = entry.status if entry else None
    # The next run reads it and, its content being new to the ledger, writes it.
    rewritten = (entry is None or entry.content_hash != digest) and (
        cursor is None or changed_at >= cursor
    )
    if status == LedgerStatus.FAILED:
        report.failure_queue += 1
    elif status == LedgerStatus.SKIPPED:
        report.skipped += 1
    elif status in (LedgerStatus.PENDING, LedgerStatus.IN_FLIGHT) or rewritten:
        report.awaiting += 1
    else:
        return False
    return True


def _expected_article(ctx: RunContext, record: SourceRecord, reference: Any) -> dict | None:
    """What the product flow writes for this item; None: the flow leaves its article alone.

    Raises:
        ArticleProblem, MappingError: the flow cannot map the item (it fails it).
    """
    if passes_filter(record.data, item_filter(ctx)):
        return map_item(ctx, record.data, reference)
    # Outside the filter: only an item that is no longer sellable has its article deactivated.
    return None if is_sellable(record.data) else {"Number": record.key, "IsActive": False}


def compare_products(
    ctx: RunContext,
    report: ReconcileReport,
    records: list[SourceRecord],
    articles: dict[str, list[dict[str, Any]]],
    ledger: list[LedgerEntry],
    cursor: datetime | None,
) -> ReconcileReport:
    """Fill ``report``: existence and ledger rules by the shared comparison, then content."""
    reference = article_reference(ctx)
    rows = {entry.source_key: entry for entry in ledger}
    expected: dict[str, tuple[SourceRecord, dict[str, Any]]] = {}
    sources: list[SourceDocument] = []
    for record in records:
        try:
            payload = _expected_article(ctx, record, reference)
        except (ArticleProblem, MappingError):
            # The flow fails such an item and queues it; its article is not judged here.
            report.failure_queue += 1
            payload = None
        if payload is not None:
            expected[record.key] = (record, payload)
        sources.append(
            SourceDocument(
                key=record.key,
                ref=record.key,
                label=f"item {record.key}",
                # The flow creates an article only for a selected item that is still sellable.
                eligible=payload is not None and payload.get("IsActive") is not False,
                status=str(record.data.get("status")),
                changed_at=record.changed_at,
                lines=(),
            )
        )
    targets = [
        TargetDocument(number, str(article.get("Id")), ())
        for number, held in articles.items()
        for article in held
    ]
    compare(report, sources, targets, ledger, cursor)

    reported = {d.source_key for d in report.discrepancies}
    keep = set(ctx.config.flows.products.create_only_fields)
    for key, (record, payload) in expected.items():
        held = articles.get(key, [])
        if key in reported or len(held) != 1:
            continue
        article = held[0]
        compared = [name for name in COMPARED_FIELDS if name in payload and name not in keep]
        differences = [
            f"{name} {_shown(article.get(name))} in the target, {_shown(payload[name])} expected"
            for name in compared
            if not same_value(payload[name], article.get(name))
        ]
        if differences and not accounted_for(
            report, rows.get(key), content_hash(payload), record.changed_at, cursor
        ):
            detail = f"{article.get('Id')}: " + "; ".join(differences)
            report.discrepancies.append(Discrepancy("content_mismatch", key, key, detail))
    return report


def compare_stock(
    ctx: RunContext,
    report: ReconcileReport,
    records: list[SourceRecord],
    articles: dict[str, list[dict[str, Any]]],
    ledger: list[LedgerEntry],
    cursor: datetime | None,
) -> ReconcileReport:
    """Fill ``report`` with the articles whose stock balance is not the Visma.net quantity.

    A stock item without an article is the product flow's concern (the stock flow only waits
    for it), so only mismatches are reported.
    """
    settings = ctx.config.flows.stock
    rows = {entry.source_key: entry for entry in ledger}
    for record in records:
        held = articles.get(record.key, [])
        if not held:
            continue
        report.checked += 1
        report.in_target += 1
        wanted = stock_quantity(record.data, settings.warehouses, settings.quantity)
        wrong = [a for a in held if not same_balance(a.get("StockBalance"), wanted)]
        if not wrong:
            continue
        digest = content_hash({"StockBalance": wanted})
        if accounted_for(report, rows.get(record.key), digest, record.changed_at, cursor):
            continue
        where = ", ".join(settings.warehouses) or "every warehouse"
        balances = ", ".join(
            f"{a.get('Id')}: StockBalance {_shown(a.get('StockBalance'))}" for a in wrong
        )
        report.discrepancies.append(
            Discrepancy(
                "content_mismatch",
                record.key,
                record.key,
                f"{balances} in the target, Visma.net {settings.quantity.replace('_', ' ')} "
                f"quantity {_shown(wanted)} ({where})",
            )
        )
    return report
