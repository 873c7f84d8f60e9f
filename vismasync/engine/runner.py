"""The one loop every flow runs: read -> skip unchanged -> steps -> settle -> advance -> report.

1. Retry the failure queue (or only the keys given): re-read those records by key; records
   that no longer exist at the source leave the queue as skipped.
2. Read what changed since the watermark minus the overlap window: page by page when the
   source orders by change time, else the whole changed set, ordered here, in batches.
   A flow that can glance at its source (keys and change times only) glances at the overlap
   window first and reads whole only from the first record not settled at its change time:
   a window of records already synced costs one light list call per page.
3. Drop, right after the read, every record whose change time and content hash match its
   settled ledger row: the overlap window costs the list calls and nothing else.
4. Register the rest as pending (they hold the watermark until they settle), run the flow's
   steps over each batch, settle what the steps left unrecorded, count the outcomes.
5. Advance the watermark to the newest change read (never past an unsettled row).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any

from prefect.utilities.annotations import quote

from vismasync.connectors.http import AuthError
from vismasync.engine.change import cursor_for, settings_fingerprint, source_hash
from vismasync.engine.directory import forget_run
from vismasync.engine.entity import EntitySpec, ReadPage
from vismasync.engine.preflight import (
    START_ERRORS,
    RunNotStarted,
    failed_state,
    not_started,
    preflight,
    refused_on_the_way,
    refused_state,
)
from vismasync.engine.progress import RunProgress, window_fraction
from vismasync.engine.queue import QueuedKeys, failure_queue, sort_keys
from vismasync.engine.run import RunContext, sync_run
from vismasync.engine.summary import RunSummary, publish
from vismasync.engine.work import Batch, SourceRecord, TakenKeys, WorkItem
from vismasync.engine.write_once import ledger_for
from vismasync.store.database import get_engine
from vismasync.store.ledger import Ledger, LedgerEntry
from vismasync.store.locks import AlreadyRunning
from vismasync.store.models import SETTLED, LedgerStatus
from vismasync.store.watermarks import Watermarks

_NEVER = object()  # no change time a record was settled at
_KEEP_STATUS = (LedgerStatus.IN_FLIGHT, LedgerStatus.SKIPPED)


def _settled_at(row: LedgerEntry | None, changed_at: datetime) -> bool:
    """The ledger holds the record settled at this change time."""
    return row is not None and row.status in SETTLED and row.source_changed_at == changed_at


def count_items(summary: RunSummary, entity: str, items: list[WorkItem]) -> None:
    """Per-record outcomes into the run summary (a dry run counts what it would do)."""
    summary.count(entity, "read", len(items))
    for item in items:
        if item.outcome == "failed":
            summary.fail(entity, item.label, item.error_class or "data", item.message or "")
        elif item.outcome is not None:
            summary.count(entity, item.outcome)


class SyncEngine:
    """One run of one flow."""

    def __init__(
        self,
        ctx: RunContext,
        spec: EntitySpec,
        summary: RunSummary,
        progress: RunProgress | None = None,
    ) -> None:
        self.ctx = ctx
        self.spec = spec
        self.summary = summary
        # The reporter hook: told after every batch how far the run is.
        self.progress = progress or RunProgress(summary, publish=False)
        self.fraction: float | None = None
        self.entity = spec.entity(ctx.config)
        self.settings = getattr(ctx.config.flows, spec.flow)
        self.ledger: Ledger = ledger_for(ctx, self.entity)
        self.fingerprint = settings_fingerprint(self.settings)
        self.taken = TakenKeys()
        self.newest: datetime | None = None

    # --- the run ---------------------------------------------------------------------------
    def run(self, *, since: datetime | None, limit: int | None, keys: list[str] | None) -> None:
        watermarks = Watermarks(get_engine(), self.ctx.integration, self.spec.flow, self.entity)
        self.summary.watermark_from = watermarks.get()
        self.budget = limit if limit is not None else float("inf")
        if self.spec.before_run is not None:
            self.spec.before_run(quote(self.ctx))
        if keys is not None:
            self._retry(sort_keys(self.ctx, self.spec, list(dict.fromkeys(keys))))
            return
        self._retry(failure_queue(self.ctx, self.spec))
        cursor = since or cursor_for(self.summary.watermark_from, self.settings.overlap_minutes)
        if self.spec.read_changed is not None:
            self._read_whole(cursor)
        elif since is not None or not self._glances(cursor):
            self._read_pages(cursor)
        else:
            due = self._glance(cursor)
            if due is not None:
                self._read_pages(due)
        if self.newest is not None and not self.ctx.dry_run:
            self.summary.watermark_to = watermarks.advance(self.newest)

    def _retry(self, queued: QueuedKeys) -> None:
        for child, keys in queued.children.items():
            self.summary.merge(child.retry(quote(self.ctx), keys))
        size = self.settings.batch_size
        keys = queued.records
        for start in range(0, len(keys), size):
            if self.budget <= 0:
                return
            chunk = keys[start : start + size]
            records = self.spec.read_by_keys(quote(self.ctx), chunk)
            self._leave_gone(chunk, records)
            self._process(records, from_queue=True)

    def _pages(
        self, read: ReadPage, cursor: datetime | None
    ) -> Iterator[tuple[list[SourceRecord], float]]:
        """Keyset paging, each page's records with the share of the read done after it: each
        page starts at the newest change time read so far; records sharing one instant beyond
        a full page are reached by paging within that instant.

        One page of records is alive at a time: the records are taken out of the page the task
        returned (its task-run state may outlive the task), and let go of before the next read.
        """
        size = self.spec.page_size or self.settings.batch_size
        page_number, start = 1, cursor
        while self.budget > 0:
            page = read(quote(self.ctx), cursor, page_number, size)
            more, last = page.more, page.last_changed_at
            records = page.records[:]
            page.records.clear()
            del page
            yield records, 1.0 if not more else window_fraction(start, last)
            del records
            if not more or last is None:
                return
            if cursor is not None and last <= cursor:
                page_number += 1
            else:
                cursor, page_number = last, 1

    def _read_pages(self, cursor: datetime | None) -> None:
        assert self.spec.read_page is not None
        for records, done in self._pages(self.spec.read_page, cursor):
            self._in_batches(records, done)
            del records  # before the next page is read

    def _glances(self, cursor: datetime | None) -> bool:
        """Whether the read starts in an overlap window the flow can glance at first."""
        return (
            self.spec.glance_page is not None
            and cursor is not None
            and self.settings.overlap_minutes > 0
        )

    def _glance(self, cursor: datetime) -> datetime | None:
        """Where the overlap window must be read whole: the change time of its first record
        that the ledger does not hold settled at that change time (None: no such record, the
        window holds nothing to do). The records before it are read and unchanged, counted
        here without their content ever being transferred."""
        assert self.spec.glance_page is not None
        for stamps, _ in self._pages(self.spec.glance_page, cursor):
            records = [r for r in stamps if r not in self.taken]
            settled = self.ledger.settled_change_times([r.key for r in records])
            for position, record in enumerate(records):
                if settled.get(record.key, _NEVER) != record.changed_at:
                    self._glanced_unchanged(records[:position])
                    return record.changed_at
            self._glanced_unchanged(records)
        return None

    def _glanced_unchanged(self, records: list[SourceRecord]) -> None:
        if not records:
            return
        self.summary.count(self.entity, "read", len(records))
        self.summary.count(self.entity, "unchanged", len(records))
        newest = max(r.changed_at for r in records)
        self.newest = max(self.newest, newest) if self.newest else newest
        # The next page (of the glance, or of the whole read from ``due``) starts at the newest
        # instant here, inclusive: what shares it has been counted.
        self.taken.add(records)

    def _read_whole(self, cursor: datetime | None) -> None:
        """Sources that cannot order by change time are read whole and ordered oldest first,
        so a limit leaves only newer records for later and the watermark stays right."""
        assert self.spec.read_changed is not None
        records = self.spec.read_changed(quote(self.ctx), cursor)
        size = self.settings.batch_size
        for start in range(0, len(records), size):
            if self.budget <= 0:
                return
            self.fraction = min(1.0, (start + size) / len(records))
            self._process(records[start : start + size])

    def _in_batches(self, records: list[SourceRecord], done: float | None) -> None:
        """One page of records, processed a batch at a time (oldest first) and let go of as
        it is processed; the share of the read done moves from where the last page left it to
        ``done`` batch by batch."""
        size = self.settings.batch_size
        before, total, taken = self.fraction or 0.0, len(records), 0
        while records and self.budget > 0:
            batch = records[:size]
            del records[:size]
            taken += len(batch)
            if done is not None:
                self.fraction = before + (done - before) * taken / total
            self._process(batch)
        self.fraction = done

    def _room(self, n: int) -> int:
        return int(min(self.budget, n))

    # --- one batch ---------------------------------------------------------------------------
    def _process(self, records: list[SourceRecord], *, from_queue: bool = False) -> None:
        records = [r for r in records if r not in self.taken]
        if not records:
            return
        items = self._fresh(records, from_queue)
        if len(items) > self.budget:
            # Oldest first: what the limit leaves out is newer than everything processed.
            items = items[: self._room(len(items))]
            records = [r for r in records if r.changed_at <= items[-1].changed_at] if items else []
        self.taken.add(records, from_queue=from_queue)
        if records and not from_queue:
            newest = max(r.changed_at for r in records)
            self.newest = max(self.newest, newest) if self.newest else newest
        self.budget -= len(items)
        if not items:
            return
        if not self.ctx.dry_run:
            self.ledger.record_pending(
                [(i.key, i.changed_at) for i in items
                 if i.known is None or i.known.status not in _KEEP_STATUS]
            )  # fmt: skip
        batch = Batch(self.entity, items, RunSummary(self.spec.flow, self.ctx.integration,
                                                     self.ctx.dry_run))  # fmt: skip
        for step in self.spec.steps:
            step(quote(self.ctx), quote(batch))
        self._settle(batch)
        count_items(self.summary, self.entity, items)
        self.summary.merge(batch.summary)
        if self.spec.after_batch is not None:
            self.spec.after_batch(self.ctx, batch, self.summary)
        self.progress.batch_done(self.fraction)

    def _fresh(self, records: list[SourceRecord], from_queue: bool) -> list[WorkItem]:
        """Work items for the records that changed since they last settled; the others are
        counted as read and unchanged and go no further."""
        known = self.ledger.get_many([r.key for r in records])
        items, unchanged = [], 0
        for record in records:
            digest = source_hash(record.data, self.fingerprint)
            row = known.get(record.key)
            if (
                not from_queue
                and _settled_at(row, record.changed_at)
                and row is not None
                and row.content_hash == digest
            ):
                unchanged += 1
                continue
            items.append(
                WorkItem(record.key, self.spec.label(record), record.changed_at, record.data,
                         source_hash=digest, known=row)
            )  # fmt: skip
        if unchanged:
            self.summary.count(self.entity, "read", unchanged)
            self.summary.count(self.entity, "unchanged", unchanged)
        return items

    def _settle(self, batch: Batch) -> None:
        """Record in the ledger every outcome the steps did not record themselves."""
        for item in batch.open():
            item.fail("data", f"{item.label}: no step decided what to do with this record")
        if self.ctx.dry_run:
            return
        done = [i for i in batch if not i.recorded and i.outcome in ("created", "updated",
                                                                      "unchanged")]  # fmt: skip
        self.ledger.mark_done_many(
            [(i.key, i.target_key, i.source_hash, i.changed_at) for i in done]
        )
        for item in batch:
            if item.recorded or item.outcome in ("created", "updated", "unchanged"):
                continue
            if item.outcome == "failed":
                self.ledger.mark_failed(
                    item.key, item.error_class or "data", item.message or "",
                    source_changed_at=item.changed_at,
                )  # fmt: skip
            elif item.outcome == "skipped":
                self.ledger.mark_skipped(item.key, item.message or "")

    def _leave_gone(self, keys: list[str], records: list[SourceRecord]) -> None:
        """Queued records that no longer exist at the source leave the queue as skipped."""
        found = {r.key for r in records}
        gone = [key for key in keys if key not in found]
        if not gone or self.ctx.dry_run:
            return
        rows = self.ledger.get_many(gone)
        for key in gone:
            if key in rows:
                self.ledger.mark_skipped(key, f"the record no longer exists in {self.spec.source}")


def run_sync(
    spec: EntitySpec,
    integration: str,
    *,
    dry_run: bool = False,
    since: datetime | None = None,
    limit: int | None = None,
    keys: list[str] | None = None,
) -> Any:
    """Run one flow for one integration under its lock, publish and return the summary.

    A run that cannot start returns its final state instead (see :mod:`.preflight`): Failed
    naming the cause and the fix, or Cancelled when another run holds the lock.
    """
    start = ExitStack()
    try:
        ctx = start.enter_context(sync_run(integration, spec.flow, dry_run=dry_run))
        preflight(ctx.config)
    except AlreadyRunning as exc:
        start.close()
        return refused_state(exc)
    except START_ERRORS as exc:
        start.close()
        return failed_state(not_started(exc, integration))
    with start:
        summary = RunSummary(flow=spec.flow, integration=integration, dry_run=dry_run)
        progress = RunProgress(summary, publish=not ctx.run_id.startswith("local-"))
        try:
            SyncEngine(ctx, spec, summary, progress).run(since=since, limit=limit, keys=keys)
        except RunNotStarted as exc:  # a condition found by the flow's first call (stock)
            return failed_state(exc)
        except AuthError as exc:
            from prefect.states import Failed

            return Failed(message=refused_on_the_way(exc, ctx.config), data=exc)
        finally:
            forget_run(ctx.run_id)  # the run's directories and reference data
        progress.batch_done(1.0, final=True)
        if spec.after_run is not None:
            spec.after_run(ctx, summary)
        publish(summary)
        return summary.result()
