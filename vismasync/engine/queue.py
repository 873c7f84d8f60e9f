"""The failure queue: every unsettled ledger row of every entity of a flow, read in one place.

``failed`` rows (refused, bad data, not sent) and ``in_flight`` rows (a write whose outcome is
unknown, or a process killed between claim and mark) are retried on every run: the records are
re-read from their source by key. A child write's row is retried through its parent record,
or through the child's own retry when its key is not a parent's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from vismasync.engine.entity import ChildWrite, EntitySpec
from vismasync.engine.run import RunContext
from vismasync.store.database import get_engine
from vismasync.store.ledger import LedgerEntry, list_entries
from vismasync.store.models import Integration, LedgerRow, LedgerStatus

UNSETTLED = (LedgerStatus.FAILED, LedgerStatus.IN_FLIGHT)
SKIPPED_BY_HAND = "skipped by hand"


def unsettled_entries(
    integration: str | None = None,
    flow: str | None = None,
    statuses: Sequence[LedgerStatus] = UNSETTLED,
    limit: int | None = None,
) -> list[LedgerEntry]:
    """The failure queue as rows, newest first (what `vismasync failures list` shows)."""
    return list_entries(
        get_engine(), integration=integration, flow=flow, statuses=list(statuses), limit=limit
    )


@dataclass
class QueuedKeys:
    """Queued keys, sorted by who retries them."""

    records: list[str] = field(default_factory=list)  # re-read as source records
    children: dict[ChildWrite, list[str]] = field(default_factory=dict)  # by the child's retry

    def __bool__(self) -> bool:
        return bool(self.records or self.children)


def sort_rows(spec: EntitySpec, entity: str, rows: list[tuple[str, str]]) -> QueuedKeys:
    queued = QueuedKeys()
    for row_entity, key in rows:
        child = spec.child(row_entity)
        if child is not None and child.retry is not None:
            queued.children.setdefault(child, [])
            if key not in queued.children[child]:
                queued.children[child].append(key)
        elif (row_entity == entity or child is not None) and key not in queued.records:
            queued.records.append(key)
    return queued


def failure_queue(ctx: RunContext, spec: EntitySpec) -> QueuedKeys:
    """The flow's queue, oldest first."""
    rows = list_entries(
        get_engine(), integration=ctx.integration, flow=spec.flow, statuses=list(spec.queued),
        limit=None,
    )  # fmt: skip
    rows = [r for r in reversed(rows) if r.message != SKIPPED_BY_HAND]
    return sort_rows(spec, spec.entity(ctx.config), [(r.entity, r.source_key) for r in rows])


def ledger_entities(integration: str, flow: str, keys: Sequence[str]) -> list[tuple[str, str]]:
    """(entity, source key) of the flow's ledger rows with these keys, one query."""
    query = (
        sa.select(LedgerRow.entity, LedgerRow.source_key)
        .join(Integration, Integration.id == LedgerRow.integration_id)
        .where(
            Integration.name == integration,
            LedgerRow.flow == flow,
            LedgerRow.source_key.in_(list(keys)),
        )
    )
    with get_engine().connect() as conn:
        return [(row.entity, row.source_key) for row in conn.execute(query)]


def sort_keys(ctx: RunContext, spec: EntitySpec, keys: Sequence[str]) -> QueuedKeys:
    """Keys given by hand, sorted like the queue by their ledger rows; a key the ledger does
    not know is taken for a source record's."""
    entity = spec.entity(ctx.config)
    rows = ledger_entities(ctx.integration, spec.flow, keys)
    known = {key for _, key in rows}
    rows += [(entity, key) for key in keys if key not in known]
    order = {key: i for i, key in enumerate(keys)}
    return sort_rows(spec, entity, sorted(rows, key=lambda r: order.get(r[1], 0)))
