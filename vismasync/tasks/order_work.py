"""One source document on its way through the sales-order steps, and what happened to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from vismasync.flows.summary import RunSummary

Outcome = Literal[
    "pending",  # still moving through the steps
    "exists",  # already in Visma.net: never created twice
    "created",
    "would_create",  # dry run
    "skipped",
    "failed",
]


class OrderWork(BaseModel):
    key: str  # the eAccounting document id (ledger key)
    ref: str  # the key written into Visma.net, e.g. EA1042
    number: int | None
    changed_at: datetime
    document: dict[str, Any]
    customer: dict[str, Any] | None = None
    country: str | None = None
    branch: str | None = None
    vat_rates: dict[str, str] = {}
    customer_number: str | None = None
    payload: dict[str, Any] | None = None
    skus: list[str] = []
    target_key: str | None = None
    outcome: Outcome = "pending"
    error_class: str | None = None
    message: str | None = None
    # True once the commit step stored this document's outcome in the ledger itself.
    recorded: bool = False

    @property
    def pending(self) -> bool:
        return self.outcome == "pending"

    def fail(self, error_class: str, message: str) -> None:
        self.outcome = "failed"
        self.error_class = error_class
        self.message = message

    @property
    def label(self) -> str:
        """How people recognise the document: its eAccounting number."""
        kind = "invoice" if "InvoiceNumber" in self.document else "order"
        return f"{kind} {self.number}" if self.number is not None else f"{kind} {self.key}"


def count_outcomes(summary: RunSummary, entity: str, work: list[OrderWork]) -> None:
    for item in work:
        if item.outcome == "failed":
            summary.fail(entity, item.label, item.error_class or "data", item.message or "")
        elif item.outcome in ("created", "would_create"):
            summary.count(entity, "created")
        elif item.outcome == "exists":
            summary.count(entity, "unchanged")
        elif item.outcome == "skipped":
            summary.count(entity, "skipped")
