"""Upsert step of the sales-order flow: the Visma.net customer each order goes to.

Customers are matched by e-mail address. A customer whose mapped content is unchanged since the
last sync costs no call at all (ledger hash); a changed one is updated, a new one created
(company debtor plus its contact person, or person debtor). A configured default debtor takes
the orders always (``force``) or only those whose customer data is incomplete (``fallback``).
"""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.connectors.http import ApiError
from vismasync.connectors.vismanet.writes import ContactWrite, CustomerWrite
from vismasync.flows.runtime import RunContext
from vismasync.flows.summary import RunSummary
from vismasync.mappings.customers import (
    contact_person,
    customer_email,
    missing_fields,
    vismanet_customer,
)
from vismasync.mappings.hashing import content_hash
from vismasync.store.database import get_engine
from vismasync.store.ledger import Ledger
from vismasync.store.models import LedgerStatus
from vismasync.tasks.connections import vismanet_client
from vismasync.tasks.order_work import OrderWork

CUSTOMER = "customer"


def _ledger(ctx: RunContext) -> Ledger:
    return Ledger(get_engine(), ctx.integration, ctx.flow, CUSTOMER, ctx.run_id)


def _upsert_one(
    ctx: RunContext, ledger: Ledger, customer: dict[str, Any], summary: RunSummary
) -> str:
    """The Visma.net number of this eAccounting customer, creating or updating it as needed."""
    payload = vismanet_customer(customer)
    digest = content_hash(payload)
    known = ledger.get(customer["Id"])
    if known and known.status == LedgerStatus.DONE and known.content_hash == digest:
        summary.count(CUSTOMER, "unchanged")
        return known.target_key or ""
    client = vismanet_client(ctx.config)
    email = customer_email(customer)
    existing = client.find_customer_by_email(email) if email else None
    if existing is not None:
        if not ctx.dry_run:
            client.update_customer(existing.number, CustomerWrite.model_validate(payload))
            ledger.mark_done(customer["Id"], existing.number, digest)
        summary.count(CUSTOMER, "updated")
        return existing.number
    if ctx.dry_run:
        summary.count(CUSTOMER, "created")
        summary.notes.append(f"would create customer {payload['name']!r} ({email})")
        return f"(new: {email})"
    number = client.create_customer(CustomerWrite.model_validate(payload))
    ledger.mark_done(customer["Id"], number, digest)
    person = contact_person(customer, number)
    if person is not None:
        client.create_contact(ContactWrite.model_validate(person))
    summary.count(CUSTOMER, "created")
    return number


@task(name="upsert-customers", cache_policy=NO_CACHE)
def upsert_customers(ctx: RunContext, work: list[OrderWork]) -> tuple[list[OrderWork], RunSummary]:
    """Resolve the Visma.net customer of every pending document (one upsert per customer)."""
    settings = ctx.config.flows.sales_orders
    debtor = settings.default_debtor
    summary = RunSummary(flow=ctx.flow, integration=ctx.integration, dry_run=ctx.dry_run)
    ledger = _ledger(ctx)
    resolved: dict[str, str] = {}
    failures: dict[str, tuple[str, str]] = {}
    for item in work:
        if not item.pending:
            continue
        if debtor is not None and debtor.mode == "force":
            item.customer_number = debtor.customer_number
            continue
        customer = item.customer or {}
        missing = missing_fields(customer)
        if missing:
            if debtor is not None:
                item.customer_number = debtor.customer_number
                continue
            name = customer.get("Name") or customer.get("CustomerNumber") or "?"
            item.fail(
                "data",
                f"customer {name!r} (eAccounting customer {customer.get('CustomerNumber')}) "
                f"has no {' and no '.join(missing)}: add it in eAccounting, or configure a "
                "default debtor (flows.sales_orders.default_debtor)",
            )
            continue
        customer_id = customer["Id"]
        if customer_id not in resolved and customer_id not in failures:
            summary.count(CUSTOMER, "read")
            try:
                resolved[customer_id] = _upsert_one(ctx, ledger, customer, summary)
            except ApiError as exc:
                failures[customer_id] = (exc.error_class.value, f"customer upsert failed: {exc}")
                summary.fail(CUSTOMER, customer.get("CustomerNumber") or customer_id,
                             exc.error_class.value, str(exc))  # fmt: skip
                if not ctx.dry_run:
                    ledger.mark_failed(customer_id, exc.error_class.value, str(exc))
        if customer_id in failures:
            item.fail(*failures[customer_id])
        else:
            item.customer_number = resolved[customer_id]
    return work, summary
