"""What a sync run did, per entity, and how it is shown in the Prefect UI.

Each run publishes one table artifact (read / created / updated / unchanged / skipped / failed
per entity, and the watermark's move) and, when records failed, a markdown failure report naming
each record, its error class, the API's message and what to do about it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

OUTCOMES = ("read", "created", "updated", "unchanged", "skipped", "failed")
# Emitted when a run finishes with failed records; the alert automations listen for it.
RECORDS_FAILED_EVENT = "vismasync.run.records-failed"

# What to do per error class; ``{integration}`` and ``{flow}`` name the run's.
RETRY = "`vismasync failures retry --integration {integration} --flow {flow}`"
WHAT_TO_DO = {
    "data": "Fix the record in the source system (or the missing reference in the target); "
    "it is retried on the next run after it changes, or now with " + RETRY + ".",
    "config": "Fix the integration's settings or the API user's permissions "
    "(`vismasync check --integration {integration}` names what is wrong), then " + RETRY + ".",
    "auth": "The credentials were rejected: connect eAccounting again with "
    "`vismasync authorize --integration {integration}`, or correct the Visma.net client "
    "secret (`vismasync check --integration {integration}` tells which), then " + RETRY + ".",
    "transient": "Nothing: the record is retried automatically on the next run.",
    "stock": "Nothing, or restock in Visma.net: the order is retried on every run and sent once "
    "the stock is there (flows.sales_orders.stock_check.action: send_on_hold sends it on hold).",
    "rate_limited": "Nothing: the record is retried automatically on the next run.",
}


@dataclass(frozen=True)
class RecordFailure:
    entity: str
    key: str
    error_class: str
    message: str

    def what_to_do(self, integration: str, flow: str) -> str:
        advice = WHAT_TO_DO.get(self.error_class, "Check the message, then " + RETRY + ".")
        return advice.format(integration=integration, flow=flow)


@dataclass
class RunSummary:
    """Counts per (entity, outcome), failures, and the watermark's move."""

    flow: str
    integration: str
    dry_run: bool = False
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    failures: list[RecordFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    watermark_from: datetime | None = None
    watermark_to: datetime | None = None

    def count(self, entity: str, outcome: str, n: int = 1) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        self.counts.setdefault(entity, Counter())[outcome] += n

    def fail(self, entity: str, key: str, error_class: str, message: str) -> None:
        self.count(entity, "failed")
        self.failures.append(RecordFailure(entity, key, error_class, message))

    def merge(self, other: RunSummary) -> None:
        for entity, counter in other.counts.items():
            self.counts.setdefault(entity, Counter()).update(counter)
        self.failures.extend(other.failures)
        self.notes.extend(other.notes)

    @property
    def failed(self) -> int:
        return sum(counter["failed"] for counter in self.counts.values())

    def table(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for entity in sorted(self.counts):
            counter = self.counts[entity]
            rows.append({"entity": entity, **{outcome: counter[outcome] for outcome in OUTCOMES}})
        return rows

    def watermark_text(self) -> str:
        start = self.watermark_from.isoformat() if self.watermark_from else "start"
        end = self.watermark_to.isoformat() if self.watermark_to else "unchanged"
        return f"{start} -> {end}"

    def failure_report(self) -> str:
        title = f"# {self.flow} ({self.integration}): {len(self.failures)} record(s) failed\n\n"
        lines = [
            "| entity | record | error class | message | what to do |",
            "|---|---|---|---|---|",
        ]
        for failure in self.failures:
            message = failure.message.replace("|", "\\|").replace("\n", " ")
            lines.append(
                f"| {failure.entity} | {failure.key} | {failure.error_class} | {message} "
                f"| {failure.what_to_do(self.integration, self.flow)} |"
            )
        return title + "\n".join(lines) + "\n"

    def result(self) -> dict[str, object]:
        """What a flow returns: the summary text, the failed count, the counts table."""
        return {"summary": self.text(), "failed": self.failed, "table": self.table()}

    def text(self) -> str:
        """A plain-text rendering for the command line and logs."""
        prefix = "[dry run] " if self.dry_run else ""
        header = f"{prefix}{self.flow} for {self.integration}: watermark {self.watermark_text()}"
        body = [
            f"  {row['entity']}: " + ", ".join(f"{o} {row[o]}" for o in OUTCOMES)
            for row in self.table()
        ]
        failures = [
            f"  FAILED {f.entity} {f.key} [{f.error_class}]: {f.message}" for f in self.failures
        ]
        return "\n".join([header, *body, *failures, *(f"  note: {n}" for n in self.notes)])


def integration_resource(integration: str) -> str:
    """The Prefect event resource id of an integration."""
    return f"vismasync.integration.{integration}"


def publish(summary: RunSummary) -> None:
    """Publish the summary (and failure report) as artifacts of the current flow run, and tell
    the alert automations when records failed."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    key_base = f"{summary.integration}-{summary.flow}".replace("_", "-")
    description = (
        f"{'Dry run: ' if summary.dry_run else ''}{summary.flow} for {summary.integration}; "
        f"watermark {summary.watermark_text()}"
    )
    create_table_artifact(
        table=summary.table() or [{"entity": "-", **dict.fromkeys(OUTCOMES, 0)}],
        key=f"{key_base}-summary",
        description=description,
    )
    if summary.failures:
        create_markdown_artifact(
            markdown=summary.failure_report(),
            key=f"{key_base}-failures",
            description=f"{len(summary.failures)} failed record(s)",
        )
    if summary.failed and not summary.dry_run:
        from prefect.events import emit_event

        emit_event(
            event=RECORDS_FAILED_EVENT,
            resource={
                "prefect.resource.id": integration_resource(summary.integration),
                "prefect.resource.name": summary.integration,
            },
            payload={
                "flow": summary.flow,
                "failed": summary.failed,
                "counts": {row["entity"]: row["failed"] for row in summary.table()},
            },
        )
