"""What the master-data flows (customers, products, stock: Visma.net -> eAccounting) share:
the records read from Visma.net, each record's way through the steps, and its ledger outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from vismasync.connectors.http import ApiError, ErrorClass
from vismasync.flows.runtime import RunContext
from vismasync.flows.summary import RunSummary
from vismasync.store.database import get_engine
from vismasync.store.ledger import Ledger

Action = Literal["pending", "create", "update", "unchanged", "skip", "fail"]


@dataclass(frozen=True)
class SourceRecord:
    """One Visma.net record as read (camelCase JSON), with its ledger key and change time."""

    key: str
    changed_at: datetime
    data: dict[str, Any]


@dataclass
class SyncItem:
    """One record on its way through a master-data flow's steps, and what happened to it."""

    key: str
    label: str
    changed_at: datetime
    source: dict[str, Any]
    payload: dict[str, Any] = field(default_factory=dict)
    digest: str | None = None
    target_id: str | None = None
    # The target record as read while planning (when the plan step reads it in bulk).
    current: dict[str, Any] | None = None
    # Written by the plan step, carried out (or not, in a dry run) by the write step.
    action: Action = "pending"
    # What the write step did: created / updated / unchanged / skipped / failed.
    outcome: str | None = None
    error_class: str | None = None
    message: str | None = None

    def fail(self, error_class: str, message: str) -> None:
        self.action = "fail"
        self.outcome = "failed"
        self.error_class = error_class
        self.message = message

    def skip(self, reason: str) -> None:
        self.action = "skip"
        self.outcome = "skipped"
        self.message = reason


def create_exactly_once(
    ctx: RunContext,
    ledger: Ledger,
    item: SyncItem,
    *,
    noun: str,
    find: Callable[[], str | None],
    create: Callable[[], str],
    adopt: Callable[[], None],
) -> None:
    """The exactly-once create: claim, look up when an earlier attempt's outcome is unknown
    (``find`` by the natural key; a hit is ``adopt``ed as an update), else ``create``."""
    if ctx.dry_run:
        item.outcome = "created"
        return
    claim = ledger.claim(item.key, source_changed_at=item.changed_at, recover_in_flight=True)
    if not claim.owned:
        item.skip(f"another writer holds this {noun}")
        return
    if claim.outcome_unknown:
        item.target_id = find()
        if item.target_id is not None:
            adopt()
            return
    item.target_id, item.outcome = create(), "created"
    ledger.mark_done(item.key, item.target_id, item.digest)


def ledger_for(ctx: RunContext, entity: str) -> Ledger:
    return Ledger(get_engine(), ctx.integration, ctx.flow, entity, ctx.run_id)


def is_unknown_outcome(exc: ApiError) -> bool:
    """A write that failed this way may still have reached eAccounting."""
    return exc.error_class in (ErrorClass.TRANSIENT, ErrorClass.RATE_LIMITED)


def settle_failure(ledger: Ledger, item: SyncItem, exc: ApiError, what: str) -> None:
    """Record a refused or unanswered write: unknown outcomes stay in flight (looked up before
    the next attempt), refusals go to the failure queue with eAccounting's message."""
    if is_unknown_outcome(exc):
        item.fail(exc.error_class.value, f"outcome unknown, checked on the next run: {exc}")
        return
    item.fail(exc.error_class.value, f"eAccounting refused {what} {item.label}: {exc}")
    ledger.mark_failed(item.key, exc.error_class.value, item.message or "")


def register_pending(ctx: RunContext, ledger: Ledger, items: list[SyncItem]) -> None:
    """Records about to be written hold the watermark back until they settle."""
    if not ctx.dry_run:
        ledger.record_pending(
            [(i.key, i.changed_at) for i in items if i.action in ("create", "update")]
        )


def record_planning_failures(ctx: RunContext, ledger: Ledger, items: list[SyncItem]) -> None:
    """Failures found before any write (mapping, missing references) into the failure queue."""
    if ctx.dry_run:
        return
    for item in items:
        if item.action == "fail":
            ledger.mark_failed(
                item.key, item.error_class or "data", item.message or "",
                source_changed_at=item.changed_at,
            )  # fmt: skip


def count_items(summary: RunSummary, entity: str, items: list[SyncItem]) -> None:
    """Per-record outcomes into the run summary (a dry run counts what it would do)."""
    summary.count(entity, "read", len(items))
    for item in items:
        outcome = item.outcome or {"create": "created", "update": "updated"}.get(item.action)
        if outcome == "failed":
            summary.fail(entity, item.label, item.error_class or "data", item.message or "")
        elif outcome is not None:
            summary.count(entity, outcome)


def lookup_table(records: list[Any], *names: str) -> dict[str, str]:
    """``{value of any of names (lower-case): Id}`` for eAccounting reference records, so a
    setting may name a record by id, code or name."""
    table: dict[str, str] = {}
    for record in records:
        for name in ("Id", *names):
            value = getattr(record, name, None) or (record.model_extra or {}).get(name)
            if isinstance(value, str) and value.strip():
                table.setdefault(value.strip().lower(), str(record.Id))
    return table
