"""The loop every master-data flow (Visma.net -> eAccounting) shares, written once.

Each flow describes its entity (:class:`MasterDataEntity`: ledger entity, how to read changed
records and records by key, and the steps of one batch); this module does the rest: the queue
of records to retry first (re-read from Visma.net), the read since the watermark (minus the
overlap), batches, the run's limit, and the watermark's advance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from vismasync.flows.runtime import RunContext
from vismasync.flows.summary import RunSummary
from vismasync.store.database import get_engine
from vismasync.store.ledger import list_entries
from vismasync.store.models import LedgerStatus
from vismasync.store.watermarks import Watermarks
from vismasync.tasks.master_data import SourceRecord

FetchChanged = Callable[[RunContext, datetime | None], list[SourceRecord]]
FetchByKey = Callable[[RunContext, list[str]], list[SourceRecord]]
ProcessBatch = Callable[[RunContext, list[SourceRecord], RunSummary], None]


@dataclass(frozen=True)
class MasterDataEntity:
    """One synced entity, described once."""

    entity: str  # the ledger entity, e.g. "customer"
    fetch_changed: FetchChanged  # records changed at or after a time, oldest first
    fetch_by_key: FetchByKey  # records re-read by key (the retry queue)
    process: ProcessBatch  # every step of one batch
    # Ledger statuses retried on every run: failures, and for stock also the SKUs waiting
    # for their article.
    queued: tuple[LedgerStatus, ...] = (LedgerStatus.FAILED,)


def retry_queue(ctx: RunContext, spec: MasterDataEntity) -> list[str]:
    """Keys of this flow's records to retry first, re-read from Visma.net."""
    entries = list_entries(
        get_engine(), integration=ctx.integration, flow=ctx.flow, statuses=list(spec.queued),
        limit=None,
    )  # fmt: skip
    return sorted({e.source_key for e in entries if e.entity == spec.entity})


def run_master_data(
    ctx: RunContext,
    spec: MasterDataEntity,
    summary: RunSummary,
    *,
    since: datetime | None,
    limit: int | None,
    keys: list[str] | None,
) -> None:
    """Retry the queue (or just ``keys``), then read everything changed since the watermark,
    in batches, and advance the watermark to the newest change processed."""
    settings = getattr(ctx.config.flows, ctx.flow)
    size = settings.batch_size
    watermarks = Watermarks(get_engine(), ctx.integration, ctx.flow, spec.entity)
    summary.watermark_from = watermarks.get()
    budget = limit if limit is not None else len(keys or []) + 10**12
    seen: set[str] = set()

    queue = list(dict.fromkeys(keys)) if keys is not None else retry_queue(ctx, spec)
    for start in range(0, min(len(queue), budget), size):
        chunk = queue[start : min(start + size, budget)]
        records = spec.fetch_by_key(ctx, chunk)
        if records:
            spec.process(ctx, records, summary)
        seen.update(chunk)
    budget -= len(seen)
    if keys is not None or budget <= 0:
        return

    overlap = timedelta(minutes=settings.overlap_minutes)
    cursor = since or (summary.watermark_from - overlap if summary.watermark_from else None)
    # Oldest first: with a limit, the records left for later are all newer than those done.
    fresh = [r for r in spec.fetch_changed(ctx, cursor) if r.key not in seen][:budget]
    for start in range(0, len(fresh), size):
        spec.process(ctx, fresh[start : start + size], summary)
    if fresh and not ctx.dry_run:
        summary.watermark_to = watermarks.advance(max(r.changed_at for r in fresh))
