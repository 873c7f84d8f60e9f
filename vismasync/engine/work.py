"""One record on its way through a flow, and the batch handle the steps pass around.

Every flow uses the same :class:`WorkItem` and the same outcome vocabulary. Steps receive a
:class:`Batch`, a plain object Prefect does not walk (see :func:`vismasync.engine.steps.call`), and
change its items in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from vismasync.engine.summary import RunSummary
from vismasync.store.ledger import LedgerEntry

# What a step decided to do with the record in its target.
Action = Literal["pending", "create", "update", "none"]
# What happened to it: None while it is still moving through the steps.
Outcome = Literal["created", "updated", "unchanged", "skipped", "failed"]


@dataclass(frozen=True)
class SourceRecord:
    """One source record as read, with its ledger key and change time."""

    key: str
    changed_at: datetime
    data: dict[str, Any]


class TakenKeys:
    """The records a run has taken, as far as its later reads can return them again.

    A record retried from the failure queue can come back anywhere in the incremental read; an
    incremental page starts at the newest change time read so far, inclusive, so only records
    of that instant come back from it. Older ones cannot, and are not kept: a run of any length
    holds the queue's keys and one instant's.
    """

    def __init__(self) -> None:
        self.retried: set[str] = set()
        self.instant: datetime | None = None
        self.at_instant: set[str] = set()

    def __contains__(self, record: SourceRecord) -> bool:
        return record.key in self.retried or (
            record.changed_at == self.instant and record.key in self.at_instant
        )

    def add(self, records: list[SourceRecord], *, from_queue: bool = False) -> None:
        if from_queue:
            self.retried.update(r.key for r in records)
            return
        for record in records:
            if self.instant is None or record.changed_at > self.instant:
                self.instant, self.at_instant = record.changed_at, {record.key}
            elif record.changed_at == self.instant:
                self.at_instant.add(record.key)


@dataclass(eq=False)
class WorkItem:
    """One source record on its way through the steps, and what happened to it."""

    key: str  # ledger key of the source record
    label: str  # how people recognise it in reports ("order 1042", "SKU A-1")
    changed_at: datetime
    source: dict[str, Any]
    # Hash of the source record and the settings that shape its mapping (engine-computed).
    source_hash: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    # Hash of the mapped payload, when a flow compares payloads (master data).
    digest: str | None = None
    target_key: str | None = None
    # The target record as read while planning, when a step reads it in bulk.
    current: dict[str, Any] | None = None
    action: Action = "pending"
    outcome: Outcome | None = None
    error_class: str | None = None
    message: str | None = None
    # True once the ledger holds this outcome (written by the step that produced it).
    recorded: bool = False
    # The record's ledger row as the read found it (None: never seen before).
    known: LedgerEntry | None = None
    # What a flow's steps attach on the way (customer, branch, VAT rates, SKUs ...).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        """Still moving through the steps (no outcome yet)."""
        return self.outcome is None

    def fail(self, error_class: str, message: str, *, recorded: bool = False) -> None:
        self.action = "none"
        self.outcome = "failed"
        self.error_class = error_class
        self.message = message
        self.recorded = recorded

    def skip(self, reason: str) -> None:
        self.action = "none"
        self.outcome = "skipped"
        self.message = reason

    def settle(self, outcome: Outcome, target_key: str | None = None) -> None:
        self.action = "none"
        self.outcome = outcome
        if target_key is not None:
            self.target_key = target_key


class Batch:
    """The records of one batch and the counts of the child writes made for them.

    Deliberately a plain class (not a dataclass, list or model): Prefect walks those looking
    for futures in every task argument, which costs more than the work for large batches.
    """

    __slots__ = ("entity", "items", "summary")

    def __init__(self, entity: str, items: list[WorkItem], summary: RunSummary) -> None:
        self.entity = entity
        self.items = items
        # Child writes (customers, contacts, journal transactions) count here.
        self.summary = summary

    def __iter__(self) -> Iterator[WorkItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def open(self) -> list[WorkItem]:
        return [item for item in self.items if item.open]

    def planned(self) -> list[WorkItem]:
        """Items a write step has to carry out."""
        return [item for item in self.items if item.open and item.action in ("create", "update")]

    def __repr__(self) -> str:
        return f"Batch({self.entity!r}, {len(self.items)} records)"
