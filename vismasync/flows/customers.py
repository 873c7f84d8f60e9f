"""Customers: Visma.net customers -> eAccounting customers.

For each batch of customers changed since the watermark: map (company or private person,
addresses, contact, currency, payment terms, field mappings) -> match (the ledger's link, else
the e-mail address) -> create, update (read-modify-write, only when a mapped field differs), or
leave untouched. Customers in the failure queue are re-read from Visma.net and retried first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from vismasync.flows.master_data import MasterDataEntity, run_master_data
from vismasync.flows.runtime import RunContext, sync_run
from vismasync.flows.summary import RunSummary, publish
from vismasync.tasks.customer_sync import (
    CUSTOMER,
    fetch_changed_customers,
    fetch_customers_by_key,
    plan_customers,
    write_customers,
)
from vismasync.tasks.master_data import SourceRecord, count_items

FLOW = "customers"


def _process(ctx: RunContext, records: list[SourceRecord], summary: RunSummary) -> None:
    items = plan_customers(ctx, records)
    items = write_customers(ctx, items)
    count_items(summary, CUSTOMER, items)


CUSTOMERS = MasterDataEntity(
    entity=CUSTOMER,
    fetch_changed=fetch_changed_customers,
    fetch_by_key=fetch_customers_by_key,
    process=_process,
)


def _notes(ctx: RunContext, summary: RunSummary) -> None:
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


@flow(name="sync-customers", log_prints=False)
def sync_customers(
    integration: str = "demo",
    dry_run: bool = False,
    since: datetime | None = None,
    limit: int | None = None,
    keys: list[str] | None = None,
) -> dict[str, Any]:
    """Create or update eAccounting customers from Visma.net customers.

    Args:
        integration: the integration's name (its configuration file).
        dry_run: compute the whole plan and write nothing to either system or the ledger.
        since: read customers changed since this time instead of the watermark (backfill).
        limit: process at most this many customers in this run.
        keys: retry only these Visma.net customer numbers; no incremental read and no
            watermark move.
    """
    with sync_run(integration, FLOW, dry_run=dry_run) as ctx:
        summary = RunSummary(flow=FLOW, integration=integration, dry_run=dry_run)
        run_master_data(ctx, CUSTOMERS, summary, since=since, limit=limit, keys=keys)
        _notes(ctx, summary)
        publish(summary)
        return summary.result()
