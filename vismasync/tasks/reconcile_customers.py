"""Reconciliation of the customer flow (Visma.net customers -> eAccounting customers).

Reads whole lists (O(pages)): every Visma.net customer, every eAccounting customer and the
flow's ledger rows. A Visma.net customer's eAccounting customers are the one the ledger links
it to and every one carrying its e-mail address, the two ways the flow matches; more than one
is a duplicate. Content compares every field the flow's mapping writes, as its update would.
Read-only on both systems and the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.engine.clients import eaccounting_client, vismanet_client
from vismasync.engine.run import RunContext
from vismasync.engine.work import SourceRecord
from vismasync.mappings.data_mapper import MappingError
from vismasync.mappings.eaccounting_customers import CustomerProblem
from vismasync.mappings.field_diff import changed_fields
from vismasync.store.ledger import LedgerEntry
from vismasync.tasks.customers import (
    customer_record,
    eaccounting_countries,
    map_customer,
    terms_table,
)
from vismasync.tasks.reconcile_compare import (
    Discrepancy,
    ReconcileReport,
    SourceDocument,
    TargetDocument,
    compare,
)
from vismasync.tasks.reconcile_products import accounted_for, due_hash


@task(name="read-customers", cache_policy=NO_CACHE)
def read_customers(ctx: RunContext) -> tuple[list[SourceRecord], list[dict[str, Any]]]:
    """Every Visma.net customer (as the flow reads it) and every eAccounting customer."""
    sources = [customer_record(c) for c in vismanet_client(ctx.config).list_customers(None)]
    # Raw objects, as the flow's read-modify-write compares them.
    targets = eaccounting_client(ctx.config).all_customers_json()
    return sources, targets


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) or value is None else str(value)


def compare_customers(
    ctx: RunContext,
    report: ReconcileReport,
    records: list[SourceRecord],
    customers: list[dict[str, Any]],
    ledger: list[LedgerEntry],
    cursor: datetime | None,
) -> ReconcileReport:
    """Fill ``report``: existence and ledger rules by the shared comparison, then content."""
    terms, countries = terms_table(ctx), eaccounting_countries(ctx)
    rows = {entry.source_key: entry for entry in ledger}
    by_id = {str(c.get("Id")): c for c in customers}
    by_email: dict[str, list[str]] = defaultdict(list)
    for customer in customers:
        if customer.get("EmailAddress"):
            by_email[customer["EmailAddress"]].append(str(customer.get("Id")))
    expected: dict[str, tuple[SourceRecord, dict[str, Any]]] = {}
    owned: dict[str, list[str]] = {}  # Visma.net number -> its eAccounting customer ids
    sources: list[SourceDocument] = []
    targets: list[TargetDocument] = []
    for record in records:
        try:
            payload: dict[str, Any] | None = map_customer(ctx, record.data, terms, countries)
        except (CustomerProblem, MappingError):
            # The flow fails such a customer and queues it; it is not judged here.
            report.failure_queue += 1
            payload = None
        row = rows.get(record.key)
        linked = row.target_key if row is not None else None
        held: set[str] = {linked} if linked is not None and linked in by_id else set()
        if payload is not None:
            expected[record.key] = (record, payload)
            held.update(by_email.get(payload.get("EmailAddress") or "", []))
        owned[record.key] = sorted(held)
        targets += [TargetDocument(record.key, number, ()) for number in owned[record.key]]
        sources.append(
            SourceDocument(
                key=record.key,
                ref=record.key,
                label=f"customer {record.key}",
                eligible=payload is not None,
                status=str(record.data.get("status")),
                changed_at=record.changed_at,
                lines=(),
            )
        )
    # Every eAccounting id, so a ledger row whose customer still exists is told apart.
    targets += [TargetDocument("", number, ()) for number in by_id]
    compare(report, sources, targets, ledger, cursor)

    reported = {d.source_key for d in report.discrepancies}
    for key, (record, payload) in expected.items():
        mine = owned[key]
        if key in reported or len(mine) != 1:
            continue
        current = by_id[mine[0]]
        changes = changed_fields(payload, current)
        if changes and not accounted_for(
            report, rows.get(key), due_hash(ctx, record), record.changed_at, cursor
        ):
            detail = f"{mine[0]}: " + "; ".join(
                f"{name} {_shown(current.get(name))} in the target, {_shown(value)} expected"
                for name, value in changes.items()
            )
            report.discrepancies.append(Discrepancy("content_mismatch", key, key, detail))
    return report
