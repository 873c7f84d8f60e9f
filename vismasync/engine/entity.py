"""A synced entity, declared once (in the manner of the Singer SDK's streams).

A declaration names the flow, how its source is read (incremental pages by change cursor, or
the whole changed set, and by keys for the failure queue), how a record is labelled, the steps
of one batch, and the child writes those steps make. Everything per flow that the product lists
elsewhere (deployments, `run` commands, retries, reconciliation, setup checks) is derived from
the declarations in :mod:`vismasync.flows.catalog`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vismasync.config.model import FlowName, IntegrationConfig
from vismasync.engine.run import RunContext
from vismasync.engine.summary import RunSummary
from vismasync.engine.work import Batch, SourceRecord
from vismasync.store.models import LedgerStatus


@dataclass(frozen=True)
class Page:
    """One page of an incremental read, oldest change first."""

    records: list[SourceRecord]
    # The source holds more records after this page (the page was full before filtering).
    more: bool
    # The change time of the last record the source returned (the keyset cursor).
    last_changed_at: datetime | None


# Prefect tasks (or plain functions) with these shapes; the engine passes ``ctx`` and batches
# wrapped in ``quote`` so Prefect never walks them.
ReadPage = Callable[[RunContext, "datetime | None", int, int], Page]
ReadChanged = Callable[[RunContext, "datetime | None"], list[SourceRecord]]
ReadByKeys = Callable[[RunContext, list[str]], list[SourceRecord]]
Step = Callable[[RunContext, Batch], Any]
RetryChildren = Callable[[RunContext, list[str]], RunSummary]


@dataclass(frozen=True)
class ChildWrite:
    """A write a flow makes for a record besides the record itself, with ledger rows of its own
    (claimed, written with a searchable key, looked up when the outcome is unknown).

    Its unsettled rows are retried by re-reading the parent record (the child's ledger key is
    its parent's key) unless ``retry`` is given, which re-runs the child write for its keys.
    """

    entity: str  # the child's ledger entity
    noun: str  # as the run summary counts it
    retry: RetryChildren | None = None


@dataclass(frozen=True)
class EntitySpec:
    """Everything the engine needs to run one flow."""

    flow: FlowName
    prefect_name: str  # the Prefect flow's name, e.g. "sync-sales-orders"
    description: str  # one sentence: what a run does (flow docstring, `run --help`)
    command: str  # `vismasync run <command>`
    noun: str  # what a record is called in help texts ("documents", "customers")
    keys_help: str  # what a key is ("eAccounting document ids")
    source: str  # the source system, for messages
    entrypoint: str  # module:attribute of the Prefect flow
    entity: Callable[[IntegrationConfig], str]  # the source records' ledger entity
    label: Callable[[SourceRecord], str]
    read_by_keys: ReadByKeys
    steps: tuple[Step, ...]
    read_page: ReadPage | None = None
    # Records per ``read_page`` call, independent of the batch size: the source's largest page
    # costs the fewest list calls, and the engine cuts each page into batches. None: one batch.
    page_size: int | None = None
    read_changed: ReadChanged | None = None
    # ``read_page`` with each record's key and change time only (the source's field selection,
    # empty data): an overlap window is glanced at first and read whole only from its first
    # record the ledger does not hold settled at that change time. None: read it whole.
    glance_page: ReadPage | None = None
    children: tuple[ChildWrite, ...] = ()
    # Ledger statuses retried on every run (stock adds SKUs skipped for want of an article).
    queued: tuple[LedgerStatus, ...] = (LedgerStatus.FAILED, LedgerStatus.IN_FLIGHT)
    # Before the first batch (reference checks, index refresh); after each batch (reporting);
    # after the run (notes on settings).
    before_run: Callable[[RunContext], Any] | None = None
    after_batch: Callable[[RunContext, Batch, RunSummary], None] | None = None
    after_run: Callable[[RunContext, RunSummary], None] | None = None
    # Compares source, target and ledger (the daily reconciliation); returns a report.
    reconcile: Callable[[RunContext], Any] | None = None
    # eAccounting endpoints the flow reads or writes (checked by `vismasync check`).
    eaccounting_endpoints: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.read_page is None) == (self.read_changed is None):
            raise ValueError(f"{self.flow}: declare exactly one of read_page or read_changed")
        if self.glance_page is not None and self.read_page is None:
            raise ValueError(f"{self.flow}: glance_page glances at what read_page reads")

    def child(self, entity: str) -> ChildWrite | None:
        return next((c for c in self.children if c.entity == entity), None)
