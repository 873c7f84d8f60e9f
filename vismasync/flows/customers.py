"""Customers: Visma.net customers -> eAccounting customers.

For each batch of customers changed since the watermark: map (company or private person,
addresses, contact, currency, payment terms, field mappings) -> match (the ledger's link, else
the e-mail address) -> create, update (read-modify-write, only when a mapped field differs), or
leave untouched. Customers in the failure queue are re-read from Visma.net and retried first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from vismasync.engine.entity import EntitySpec
from vismasync.engine.flow import sync_flow
from vismasync.engine.run import RunContext
from vismasync.engine.summary import RunSummary
from vismasync.engine.work import Batch
from vismasync.mappings.eaccounting_customers import LIMITS
from vismasync.tasks.customers import (
    CUSTOMER,
    customer_label,
    fetch_changed_customers,
    fetch_customers_by_key,
    plan_customers,
    write_customers,
)
from vismasync.tasks.reconcile_compare import ReconcileReport
from vismasync.tasks.reconcile_customers import compare_customers, read_customers
from vismasync.tasks.reconcile_products import read_ledger_rows


def settings_notes(ctx: RunContext, summary: RunSummary) -> None:
    maps = ctx.config.flows.customers.value_maps
    used = " ".join(
        str(rule.source or "") + str(rule.expression or "")
        for rule in ctx.config.flows.customers.field_mappings
    )
    for name, field in (("revenue_account_by_country", "revenue_account"),
                        ("tax_code_by_country", "tax_code")):  # fmt: skip
        value_map = getattr(maps, name)
        configured = value_map.table or value_map.default is not None
        if configured and field not in used:
            summary.notes.append(
                f"flows.customers.value_maps.{name}: not supported by the target (eAccounting "
                f"customers have no such field); use `{field}` in a field mapping to carry it"
            )


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value.strip()
    elif isinstance(value, Mapping):
        for inner in value.values():
            yield from _texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _texts(inner)


def cut_fields(source: Mapping[str, Any], payload: Mapping[str, Any]) -> list[str]:
    """The eAccounting fields of ``payload`` that hold a longer Visma.net value cut to the
    field's maximum length (a value at the limit that some source text continues)."""
    texts = list(_texts(source))
    return [
        f"{name} ({limit} characters)"
        for name, limit in LIMITS.items()
        if isinstance(payload.get(name), str)
        and len(payload[name]) == limit
        and any(len(text) > limit and text.startswith(payload[name]) for text in texts)
    ]


def note_cut_values(ctx: RunContext, batch: Batch, summary: RunSummary) -> None:
    """Name every synced customer whose values eAccounting could hold only in part: they are
    cut to the field's length (docs/reliability.md), never silently."""
    for item in batch.items:
        if item.outcome in ("created", "updated", "unchanged"):
            cut = cut_fields(item.source, item.payload)
            if cut:
                summary.notes.append(
                    f"customer {item.label}: {', '.join(cut)}: cut to eAccounting's maximum "
                    "length; shorten the value in Visma.net to keep it whole"
                )


def reconcile_customers(ctx: RunContext) -> ReconcileReport:
    ledger, cursor = read_ledger_rows(ctx, CUSTOMER)
    records, customers = read_customers(ctx)
    report = ReconcileReport(
        flow="customers", integration=ctx.integration, target="eAccounting customers",
        noun="Visma.net customer",
    )  # fmt: skip
    return compare_customers(ctx, report, records, customers, ledger, cursor)


CUSTOMERS = EntitySpec(
    flow="customers",
    prefect_name="sync-customers",
    description="Create or update eAccounting customers from Visma.net customers.",
    command="customers",
    keys_help="Visma.net customer numbers",
    noun="customers",
    source="Visma.net",
    entrypoint="vismasync.flows.customers:sync_customers",
    entity=lambda config: CUSTOMER,
    label=customer_label,
    read_changed=fetch_changed_customers,
    read_by_keys=fetch_customers_by_key,
    steps=(plan_customers, write_customers),
    after_batch=note_cut_values,
    after_run=settings_notes,
    reconcile=reconcile_customers,
    eaccounting_endpoints=("/customers", "/termsofpayments"),
)


sync_customers = sync_flow(CUSTOMERS)
