"""The per-batch steps of the customer flow (Visma.net -> eAccounting): fetch, plan, write.

A customer is matched by the ledger's link (Visma.net number -> eAccounting id) once it has
one, else by e-mail address. A create follows the exactly-once protocol: claim, look up by
e-mail when an earlier attempt's outcome is unknown, create, record the link. An update is a
read-modify-write (eAccounting's PUT replaces the whole customer) sent only when a mapped field
differs from what eAccounting holds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.connectors.eaccounting.client import EAccountingClient
from vismasync.connectors.http import ApiError, DataError
from vismasync.connectors.vismanet.models import Customer as VismaNetCustomer
from vismasync.flows.runtime import RunContext
from vismasync.mappings.data_mapper import MappingError, apply_rules
from vismasync.mappings.eaccounting_customers import (
    CustomerProblem,
    CustomerRules,
    eaccounting_customer,
    mapper_source,
)
from vismasync.mappings.field_diff import changed_fields
from vismasync.mappings.hashing import content_hash
from vismasync.store.ledger import Ledger
from vismasync.store.models import LedgerStatus
from vismasync.tasks.connections import eaccounting_client, vismanet_client
from vismasync.tasks.master_data import (
    SourceRecord,
    SyncItem,
    create_exactly_once,
    ledger_for,
    lookup_table,
    record_planning_failures,
    register_pending,
    settle_failure,
)

CUSTOMER = "customer"


def customer_record(customer: VismaNetCustomer) -> SourceRecord:
    changed = customer.last_modified_date_time or customer.created_date_time or datetime.now(UTC)
    changed = changed.replace(tzinfo=UTC) if changed.tzinfo is None else changed.astimezone(UTC)
    data = customer.model_dump(by_alias=True)
    return SourceRecord(key=customer.number, changed_at=changed, data=data)


@task(name="fetch-changed-customers", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def fetch_changed_customers(ctx: RunContext, cursor: datetime | None) -> list[SourceRecord]:
    """Visma.net customers changed at or after ``cursor``, oldest change first.

    Visma.net lists cannot be ordered by change time, so the changed set is read whole (every
    page) and ordered here; the flow then works through it in batches.
    """
    records = [customer_record(c) for c in vismanet_client(ctx.config).list_customers(cursor)]
    return sorted(records, key=lambda r: (r.changed_at, r.key))


@task(name="fetch-customers-by-key", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def fetch_customers_by_key(ctx: RunContext, keys: list[str]) -> list[SourceRecord]:
    """Re-read customers from the failure queue; ones deleted in Visma.net are left out."""
    client = vismanet_client(ctx.config)
    found = [client.get_customer(key) for key in keys]
    return [customer_record(c) for c in found if c is not None]


def _rules(ctx: RunContext) -> CustomerRules:
    settings = ctx.config.flows.customers
    return CustomerRules(
        payment_terms=settings.value_maps.payment_terms,
        revenue_account_by_country=settings.value_maps.revenue_account_by_country,
        tax_code_by_country=settings.value_maps.tax_code_by_country,
        default_terms=settings.defaults.terms_of_payment_id,
        default_invoice_city=settings.defaults.invoice_city,
        default_invoice_postal_code=settings.defaults.invoice_postal_code,
    )


def map_customer(ctx: RunContext, data: dict[str, Any], terms: dict[str, str]) -> dict[str, Any]:
    rules = _rules(ctx)
    payload = eaccounting_customer(data, rules, terms)
    rules_from_config = ctx.config.flows.customers.field_mappings
    if rules_from_config:
        payload = apply_rules(rules_from_config, mapper_source(data, rules), payload)
    return payload


def _match_by_email(client: EAccountingClient, email: str) -> str | None:
    """The eAccounting customer with this e-mail (the lowest number when several share it)."""
    matches = client.find_customers_by_email(email)
    if not matches:
        return None
    return str(min(matches, key=lambda c: (c.CustomerNumber or "", str(c.Id))).Id)


@task(name="plan-customers", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def plan_customers(ctx: RunContext, records: list[SourceRecord]) -> list[SyncItem]:
    """Map each customer and decide: unchanged (same hash as last synced), update, or create."""
    client = eaccounting_client(ctx.config)
    terms = lookup_table(client.list_terms_of_payments(), "Name", "NameEnglish")
    ledger = ledger_for(ctx, CUSTOMER)
    known = ledger.get_many([r.key for r in records])
    items = []
    for record in records:
        name = record.data.get("name") or "?"
        item = SyncItem(record.key, f"{record.key} ({name})", record.changed_at, record.data)
        items.append(item)
        try:
            item.payload = map_customer(ctx, record.data, terms)
        except CustomerProblem as exc:
            item.fail(exc.error_class, str(exc))
            continue
        except MappingError as exc:
            item.fail("config", f"customer {item.label}: a field mapping failed: {exc}")
            continue
        item.digest = content_hash(item.payload)
        row = known.get(record.key)
        linked = row.target_key if row is not None else None
        if row is not None and row.status == LedgerStatus.DONE and row.content_hash == item.digest:
            item.action, item.outcome, item.target_id = "unchanged", "unchanged", linked
        elif linked:
            item.action, item.target_id = "update", linked
        elif row is not None and row.status == LedgerStatus.IN_FLIGHT:
            item.action = "create"  # the write step claims it and looks it up first
        else:
            item.target_id = _match_by_email(client, item.payload["EmailAddress"])
            item.action = "update" if item.target_id else "create"
    register_pending(ctx, ledger, items)
    record_planning_failures(ctx, ledger, items)
    return items


def _update(ctx: RunContext, ledger: Ledger, item: SyncItem) -> None:
    """Read-modify-write: only changed fields, everything else as eAccounting has it."""
    client = eaccounting_client(ctx.config)
    current = client.get_json(f"/customers/{item.target_id}")
    changes = changed_fields(item.payload, current)
    if changes and not ctx.dry_run:
        client.update_customer(str(item.target_id), {**current, **changes})
    item.outcome = "updated" if changes else "unchanged"
    if not ctx.dry_run:
        ledger.mark_done(item.key, item.target_id, item.digest)


def _create(ctx: RunContext, ledger: Ledger, item: SyncItem) -> None:
    client = eaccounting_client(ctx.config)
    create_exactly_once(
        ctx, ledger, item, noun="customer",
        find=lambda: _match_by_email(client, item.payload["EmailAddress"]),
        create=lambda: str(client.create_customer(item.payload).Id),
        adopt=lambda: _update(ctx, ledger, item),
    )  # fmt: skip


@task(name="write-customers", cache_policy=NO_CACHE)
def write_customers(ctx: RunContext, items: list[SyncItem]) -> list[SyncItem]:
    """Create or update each planned customer in eAccounting (no blind retries here)."""
    ledger = ledger_for(ctx, CUSTOMER)
    for item in items:
        if item.action not in ("create", "update"):
            continue
        try:
            if item.action == "update":
                try:
                    _update(ctx, ledger, item)
                except DataError as exc:
                    if exc.status_code != 404:
                        raise
                    # The linked customer was deleted in eAccounting: match or create anew.
                    item.target_id = _match_by_email(
                        eaccounting_client(ctx.config), item.payload["EmailAddress"]
                    )
                    if item.target_id:
                        _update(ctx, ledger, item)
                    else:
                        _create(ctx, ledger, item)
            else:
                _create(ctx, ledger, item)
        except ApiError as exc:
            settle_failure(ledger, item, exc, "customer")
    return items
