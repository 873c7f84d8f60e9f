"""The failure queue by hand: retry chosen failed records of one flow, or skip them.

Every sync run already retries its whole failure queue; this is for an operator who fixed a
record and wants it through now (`retry_failed`, runnable from the Prefect UI), or who decides a
record should never sync (`skip_failed`). A retry re-reads the records from their source system:
the ledger keeps keys, never payloads.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from prefect import flow

from vismasync.flows.customers import sync_customers
from vismasync.flows.products import sync_products
from vismasync.flows.sales_orders import sync_sales_orders
from vismasync.flows.stock import sync_stock
from vismasync.store.database import get_engine
from vismasync.store.ledger import Ledger, list_entries
from vismasync.store.models import Integration, LedgerRow, LedgerStatus
from vismasync.tasks.customer_sync import CUSTOMER
from vismasync.tasks.financial_mutation import PAYMENT
from vismasync.tasks.product_sync import ARTICLE
from vismasync.tasks.stock_sync import STOCK

SKIPPED_BY_HAND = "skipped by hand"


@dataclass(frozen=True)
class RetryEntry:
    """How to retry one flow's records: its flow function (which takes ``keys=``) and the
    ledger entities whose keys that function accepts (None: every entity of the flow)."""

    run: Callable[..., dict[str, Any]]
    entities: tuple[str, ...] | None = None


# One line per flow. A sales-order payment is keyed by its document, so retrying the document
# retries the payment; a failed customer fails its orders too, so the orders carry it along.
RETRY_ENTRIES: dict[str, RetryEntry] = {
    "sales_orders": RetryEntry(sync_sales_orders, ("order", "invoice", PAYMENT)),
    "customers": RetryEntry(sync_customers, (CUSTOMER,)),
    "products": RetryEntry(sync_products, (ARTICLE,)),
    "stock": RetryEntry(sync_stock, (STOCK,)),
}

# The flows above, as the choice list of the Prefect UI's run form.
RetryableFlow = Literal[tuple(RETRY_ENTRIES)]  # type: ignore[valid-type]


class UnknownRecords(ValueError):
    """Keys that are not in the ledger of the flow (or not in the state the action needs)."""

    def __init__(self, message: str, keys: list[str]):
        super().__init__(message)
        self.keys = keys


def failed_keys(integration: str, flow_name: str) -> list[str]:
    """Source keys of the flow's failed records that its flow function can retry, newest first."""
    entities = RETRY_ENTRIES[flow_name].entities
    entries = list_entries(
        get_engine(),
        integration=integration,
        flow=flow_name,
        statuses=[LedgerStatus.FAILED],
        limit=None,
    )
    keys = (e.source_key for e in entries if entities is None or e.entity in entities)
    return list(dict.fromkeys(keys))


def _rows(integration: str, flow_name: str, keys: list[str]) -> list[sa.Row]:
    """(entity, source_key, status) of the flow's ledger rows with these keys, one query."""
    query = (
        sa.select(LedgerRow.entity, LedgerRow.source_key, LedgerRow.status)
        .join(Integration, Integration.id == LedgerRow.integration_id)
        .where(
            Integration.name == integration,
            LedgerRow.flow == flow_name,
            LedgerRow.source_key.in_(keys),
        )
    )
    with get_engine().connect() as conn:
        return list(conn.execute(query))


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
    rows = [r for r in _rows(integration, flow_name, keys) if r.status == LedgerStatus.FAILED]
    _unknown(keys, {r.source_key for r in rows}, integration, flow_name)
    run_id = f"by-hand-{uuid.uuid4().hex[:12]}"
    for row in rows:
        Ledger(get_engine(), integration, flow_name, row.entity, run_id).mark_skipped(
            row.source_key, SKIPPED_BY_HAND
        )
    return len(rows)


@flow(name="retry-failed", log_prints=False)
def retry_failed(
    integration: str = "demo",
    flow: RetryableFlow = "sales_orders",  # type: ignore[valid-type]
    keys: list[str] | None = None,
) -> dict[str, Any]:
    """Retry failed records of one flow now, re-reading them from their source system.

    Args:
        integration: the integration's name (its configuration file).
        flow: the flow whose records to retry.
        keys: the records' source keys as `vismasync failures list` shows them; empty: every
            failed record of the flow.

    Raises:
        UnknownRecords: a key is not in the flow's ledger for this integration.
    """
    if flow not in RETRY_ENTRIES:
        raise ValueError(f"flow must be one of {', '.join(RETRY_ENTRIES)} (got {flow!r})")
    if keys:
        chosen = list(dict.fromkeys(keys))
        _unknown(
            chosen, {r.source_key for r in _rows(integration, flow, chosen)}, integration, flow
        )
    else:
        chosen = failed_keys(integration, flow)
    if not chosen:
        return {
            "summary": f"{flow} for {integration}: no failed records to retry",
            "failed": 0,
            "retried": 0,
        }
    result = RETRY_ENTRIES[flow].run(integration, keys=chosen)
    return {**result, "retried": len(chosen)}
