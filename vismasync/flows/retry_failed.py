"""The failure queue by hand: retry chosen failed records of one flow, or skip them.

Every sync run already retries its whole failure queue; this is for an operator who fixed a
record and wants it through now (`retry_failed`, runnable from the Prefect UI), or who decides a
record should never sync (`skip_failed`). A retry re-reads the records from their source system:
the ledger keeps keys, never payloads.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from prefect import flow

from vismasync.engine.queue import SKIPPED_BY_HAND, ledger_entities, unsettled_entries
from vismasync.flows.catalog import BY_FLOW, load_flow
from vismasync.store.database import get_engine
from vismasync.store.ledger import Ledger
from vismasync.store.models import LedgerStatus

# The sync flows, as the choice list of the Prefect UI's run form.
RetryableFlow = Literal[tuple(BY_FLOW)]  # type: ignore[valid-type]
RETRYABLE: tuple[str, ...] = tuple(BY_FLOW)


class UnknownRecords(ValueError):
    """Keys that are not in the ledger of the flow (or not in the state the action needs)."""

    def __init__(self, message: str, keys: list[str]):
        super().__init__(message)
        self.keys = keys


def failed_keys(integration: str, flow_name: str) -> list[str]:
    """Source keys of the flow's unsettled records (failed or in flight), newest first."""
    entries = unsettled_entries(integration, flow_name)
    return list(dict.fromkeys(e.source_key for e in entries))


def _unknown(keys: list[str], found: set[str], integration: str, flow_name: str) -> None:
    missing = [key for key in keys if key not in found]
    if missing:
        raise UnknownRecords(
            f"not in the {flow_name} ledger of {integration!r}: {', '.join(missing)} "
            "(`vismasync failures list` shows each record's source key)",
            missing,
        )


def skip_failed(integration: str, flow_name: str, keys: list[str]) -> int:
    """Mark these failed records skipped (they leave the failure queue); returns rows changed.

    Checks every key first and changes nothing when one is not a failed record of the flow:
    records in flight must be resolved by a run, not skipped.
    """
    failed = unsettled_entries(integration, flow_name, statuses=[LedgerStatus.FAILED])
    rows = [r for r in failed if r.source_key in set(keys)]
    _unknown(keys, {r.source_key for r in rows}, integration, flow_name)
    run_id = f"by-hand-{uuid.uuid4().hex[:12]}"
    for row in rows:
        Ledger(get_engine(), integration, flow_name, row.entity, run_id).mark_skipped(
            row.source_key, SKIPPED_BY_HAND
        )
    return len(rows)


def chosen_keys(integration: str, flow_name: str, keys: list[str] | None) -> list[str]:
    """The keys to retry: ``keys`` when each is in the flow's ledger, else every failed key.

    Raises:
        UnknownRecords: a key is not in the flow's ledger for this integration.
    """
    if flow_name not in BY_FLOW:
        raise ValueError(f"flow must be one of {', '.join(BY_FLOW)} (got {flow_name!r})")
    if not keys:
        return failed_keys(integration, flow_name)
    chosen = list(dict.fromkeys(keys))
    known = {key for _, key in ledger_entities(integration, flow_name, chosen)}
    _unknown(chosen, known, integration, flow_name)
    return chosen


@flow(name="retry-failed", log_prints=False)
def retry_failed(
    integration: str = "demo",
    flow: RetryableFlow = "sales_orders",  # type: ignore[valid-type]
    keys: list[str] | None = None,
) -> Any:
    """Retry failed records of one flow now, re-reading them from their source system.

    Args:
        integration: the integration's name (its configuration file).
        flow: the flow whose records to retry.
        keys: the records' source keys as `vismasync failures list` shows them; empty: every
            failed record of the flow.

    Raises:
        UnknownRecords: a key is not in the flow's ledger for this integration.
    """
    chosen = chosen_keys(integration, flow, keys)
    if not chosen:
        return {
            "summary": f"{flow} for {integration}: no failed records to retry",
            "failed": 0,
            "retried": 0,
        }
    state = load_flow(BY_FLOW[flow])(integration, keys=chosen, return_state=True)
    if not state.is_completed():
        return state  # it did not start, or failed: this run ends the same way
    return {**state.result(), "retried": len(chosen)}
