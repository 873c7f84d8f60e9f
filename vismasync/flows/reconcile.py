"""Reconciliation: does the target hold exactly what the source says it should?

Compares, by key, the source documents a flow should have sent, what the target holds and what
the ledger says, and publishes a report (markdown + table artifacts). Read-only on both systems
and on the ledger; it takes no flow lock, so it may run beside the syncs.

When anything is off the flow emits the event ``vismasync.reconcile.discrepancies`` (resource
``vismasync.integration.<name>``, the counts per kind in the payload) and then ends **Failed**
(raising :class:`DiscrepanciesFound`), so the failure automations that watch every flow run
alert on it too. A clean reconciliation completes and emits nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from prefect import flow

from vismasync.config.integrations import load_integration
from vismasync.engine.run import RunContext, current_run_id
from vismasync.flows.catalog import SYNC_FLOWS
from vismasync.tasks.reconcile_compare import KINDS, ReconcileReport

EVENT = "vismasync.reconcile.discrepancies"


class DiscrepanciesFound(RuntimeError):
    """The reconciliation found discrepancies; ``result`` holds the whole outcome."""

    def __init__(self, message: str, result: dict[str, Any]):
        super().__init__(message)
        self.result = result


# Every sync flow whose declaration names a reconciler.
RECONCILERS: dict[str, Callable[[RunContext], ReconcileReport]] = {
    spec.flow: spec.reconcile for spec in SYNC_FLOWS if spec.reconcile is not None
}
ReconcilableFlow = Literal[tuple(RECONCILERS)]  # type: ignore[valid-type]


def _publish(integration: str, reports: list[ReconcileReport]) -> None:
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    total = sum(report.total for report in reports)
    title = f"# Reconciliation of {integration}: {total} discrepancy(ies)\n\n"
    create_markdown_artifact(
        markdown=title + "\n".join(report.markdown() for report in reports),
        key=f"{integration}-reconcile-report",
        description=f"{total} discrepancy(ies)",
    )
    rows = [row for report in reports for row in report.table()]
    create_table_artifact(
        table=rows
        or [
            {
                "flow": ", ".join(r.flow for r in reports) or "-",
                "problem": "none",
                "key": "",
                "source key": "",
                "detail": "",
            }
        ],
        key=f"{integration}-reconcile",
        description=" ".join(report.headline() for report in reports),
    )


def _alert(integration: str, counts: dict[str, int], flows: list[str]) -> None:
    from prefect.events import emit_event

    emit_event(
        event=EVENT,
        resource={
            "prefect.resource.id": f"vismasync.integration.{integration}",
            "prefect.resource.name": integration,
        },
        payload={
            "integration": integration,
            "flows": flows,
            "total": sum(counts.values()),
            **counts,
        },
    )


@flow(name="reconcile", log_prints=False)
def reconcile(
    integration: str = "demo",
    flows: list[ReconcilableFlow] | None = None,  # type: ignore[valid-type]
) -> dict[str, Any]:
    """Compare what each flow should have sent with what the target and the ledger hold.

    Args:
        integration: the integration's name (its configuration file).
        flows: the flows to reconcile; empty: every enabled flow that can be reconciled.

    Returns counts per kind of discrepancy (all zero), the report text and table rows.

    Raises:
        DiscrepanciesFound: something is off (the run ends Failed); ``.result`` has the report.
        ConfigError: the integration's file is missing or invalid.
    """
    config = load_integration(integration)
    chosen = list(dict.fromkeys(flows or [f for f in config.flows.enabled() if f in RECONCILERS]))
    unknown = [name for name in chosen if name not in RECONCILERS]
    if unknown:
        raise ValueError(f"cannot reconcile {unknown}: choose from {', '.join(RECONCILERS)}")
    # dry_run: the tasks reconciliation shares with the syncs treat the context as read-only.
    reports = [
        RECONCILERS[name](RunContext(config, name, current_run_id(), dry_run=True))
        for name in chosen
    ]
    _publish(integration, reports)
    counts = {kind: sum(report.counts()[kind] for report in reports) for kind in KINDS}
    text = "\n".join(report.text() for report in reports) or "no flow to reconcile"
    result = {
        "flows": chosen,
        "discrepancies": counts,
        "summary": text,
        "table": [row for report in reports for row in report.table()],
    }
    total = sum(counts.values())
    if total:
        _alert(integration, counts, chosen)
        raise DiscrepanciesFound(f"{total} discrepancy(ies) in {integration}:\n{text}", result)
    return result
