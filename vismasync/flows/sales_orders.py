"""Sales orders: eAccounting orders (or invoices) -> Visma.net sales orders (or invoices).

For each batch of documents changed since the watermark: enrich -> check exists -> upsert
customers -> verify products -> commit; then advance the watermark and publish the summary.
Documents in the failure queue are re-read from eAccounting and retried first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prefect import flow

from vismasync.flows.runtime import RunContext, sync_run
from vismasync.flows.summary import RunSummary, publish
from vismasync.store.database import get_engine
from vismasync.store.ledger import list_entries
from vismasync.store.models import LedgerStatus
from vismasync.store.watermarks import Watermarks
from vismasync.tasks.documents import (
    as_utc,
    fetch_documents,
    fetch_documents_by_key,
    source_entity,
)
from vismasync.tasks.financial_mutation import PAYMENT, post_financial_mutations
from vismasync.tasks.order_customers import upsert_customers
from vismasync.tasks.order_work import count_outcomes
from vismasync.tasks.product_index import refresh_product_index
from vismasync.tasks.sales_orders import (
    check_exists,
    commit,
    document_ledger,
    enrich,
    record_failures,
    verify_products,
)

FLOW = "sales_orders"


def _process(ctx: RunContext, documents: list[dict[str, Any]], summary: RunSummary) -> datetime:
    """Run one batch through every step; returns the newest change time in it."""
    entity = source_entity(ctx)
    work = enrich(ctx, documents)
    work = check_exists(ctx, work)
    work, customers = upsert_customers(ctx, work)
    work = verify_products(ctx, work)
    work = commit(ctx, work)
    record_failures(ctx, work)
    summary.merge(post_financial_mutations(ctx, work))
    summary.count(entity, "read", len(work))
    summary.merge(customers)
    count_outcomes(summary, entity, work)
    return max(item.changed_at for item in work)


def _failure_queue(ctx: RunContext) -> list[str]:
    """Keys of this flow's failed documents and payments: retried on every run, re-read from
    eAccounting (a payment's key is its document's)."""
    entries = list_entries(
        get_engine(), integration=ctx.integration, flow=FLOW, statuses=[LedgerStatus.FAILED],
        limit=None,
    )  # fmt: skip
    entity = source_entity(ctx)
    return list(dict.fromkeys(e.source_key for e in entries if e.entity in (entity, PAYMENT)))


def _leave_deleted_documents(
    ctx: RunContext, keys: list[str], documents: list[dict[str, Any]]
) -> None:
    """Queued documents that no longer exist in eAccounting leave the queue as skipped."""
    found = {document["Id"] for document in documents}
    gone = [key for key in keys if key not in found]
    if gone and not ctx.dry_run:
        ledger = document_ledger(ctx)
        for key in gone:
            ledger.mark_skipped(key, "the document no longer exists in eAccounting")


@flow(name="sync-sales-orders", log_prints=False)
def sync_sales_orders(
    integration: str = "demo",
    dry_run: bool = False,
    since: datetime | None = None,
    limit: int | None = None,
    keys: list[str] | None = None,
) -> dict[str, Any]:
    """Send eAccounting sales documents to Visma.net, each exactly once.

    Args:
        integration: the integration's name (its configuration file).
        dry_run: compute the whole plan and write nothing to either system or the ledger.
        since: read documents changed since this time instead of the watermark (backfill).
        limit: process at most this many documents in this run.
        keys: retry only these eAccounting documents (ids), re-read from eAccounting; no
            incremental read and no watermark move.
    """
    with sync_run(integration, FLOW, dry_run=dry_run) as ctx:
        settings = ctx.config.flows.sales_orders
        summary = RunSummary(flow=FLOW, integration=integration, dry_run=dry_run)
        watermarks = Watermarks(get_engine(), integration, FLOW, source_entity(ctx))
        summary.watermark_from = watermarks.get()
        refresh_product_index(ctx)

        seen: set[str] = set()
        newest: datetime | None = None
        budget = limit if limit is not None else float("inf")

        queue = list(keys) if keys is not None else _failure_queue(ctx)
        for start in range(0, len(queue), settings.batch_size):
            if budget <= 0:
                break
            chunk = queue[start : start + settings.batch_size]
            documents = fetch_documents_by_key(ctx, chunk)
            _leave_deleted_documents(ctx, chunk, documents)
            documents = documents[: int(min(budget, len(documents)))]
            if documents:
                _process(ctx, documents, summary)
                seen.update(d["Id"] for d in documents)
                budget -= len(documents)

        overlap = timedelta(minutes=settings.overlap_minutes)
        cursor = since or (summary.watermark_from - overlap if summary.watermark_from else None)
        page = 1
        while budget > 0 and keys is None:
            documents = fetch_documents(ctx, cursor, page, settings.batch_size)
            fresh = [d for d in documents if d["Id"] not in seen]
            fresh = fresh[: int(min(budget, len(fresh)))]
            if fresh:
                batch_newest = _process(ctx, fresh, summary)
                newest = max(newest, batch_newest) if newest else batch_newest
                seen.update(d["Id"] for d in fresh)
                budget -= len(fresh)
            if len(documents) < settings.batch_size:
                break
            # Keyset paging: continue from the newest change time read; documents sharing one
            # instant beyond a full page are reached by paging within that instant.
            last = as_utc(documents[-1]["ModifiedUtc"])
            if cursor is not None and last <= cursor:
                page += 1
            else:
                cursor, page = last, 1

        if newest is not None and not dry_run:
            summary.watermark_to = watermarks.advance(newest)
        publish(summary)
        return summary.result()
