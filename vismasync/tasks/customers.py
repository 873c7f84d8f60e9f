"""The per-batch steps of the customer flow (Visma.net -> eAccounting): fetch, plan, write.

A customer is matched by the ledger's link (Visma.net number -> eAccounting id) once it has
one, else by e-mail address. A create goes through the exactly-once write path (looked up by
e-mail when an earlier attempt's outcome is unknown). An update is a read-modify-write
(eAccounting's PUT replaces the whole customer) sent only when a mapped field differs from what
eAccounting holds. eAccounting's customers are read once per run (or in bulk by ids and
e-mails, whichever costs fewer calls), never once per customer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.connectors.eaccounting.client import EAccountingClient, customer_from
from vismasync.connectors.vismanet.models import Customer as VismaNetCustomer
from vismasync.engine.clients import eaccounting_client, vismanet_client
from vismasync.engine.directory import run_scoped
from vismasync.engine.run import RunContext
from vismasync.engine.task_retry import RETRIED
from vismasync.engine.work import Batch, SourceRecord, WorkItem
from vismasync.engine.write_once import ledger_for, write_planned
from vismasync.mappings.data_mapper import MappingError, apply_rules
from vismasync.mappings.eaccounting_customers import (
    CustomerProblem,
    CustomerRules,
    eaccounting_customer,
    mapper_source,
)
from vismasync.mappings.field_diff import changed_fields
from vismasync.mappings.validity import country_codes
from vismasync.store.models import LedgerStatus
from vismasync.tasks import ea_directories
from vismasync.tasks.ea_directories import email_key
from vismasync.tasks.reference_data import lookup_table

CUSTOMER = "customer"


def customer_record(customer: VismaNetCustomer) -> SourceRecord:
    changed = customer.last_modified_date_time or customer.created_date_time or datetime.now(UTC)
    changed = changed.replace(tzinfo=UTC) if changed.tzinfo is None else changed.astimezone(UTC)
    data = customer.model_dump(by_alias=True)
    return SourceRecord(key=customer.number, changed_at=changed, data=data)


@task(name="fetch-changed-customers", **RETRIED)
def fetch_changed_customers(ctx: RunContext, cursor: datetime | None) -> list[SourceRecord]:
    """Visma.net customers changed at or after ``cursor``, oldest change first.

    Visma.net lists cannot be ordered by change time, so the changed set is read whole (every
    page) and ordered here; the flow then works through it in batches.
    """
    records = [customer_record(c) for c in vismanet_client(ctx.config).list_customers(cursor)]
    return sorted(records, key=lambda r: (r.changed_at, r.key))


@task(name="fetch-customers-by-key", **RETRIED)
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


def map_customer(
    ctx: RunContext,
    data: dict[str, Any],
    terms: dict[str, str],
    countries: dict[str, str] | None = None,
) -> dict[str, Any]:
    rules = _rules(ctx)
    payload = eaccounting_customer(data, rules, terms, countries)
    rules_from_config = ctx.config.flows.customers.field_mappings
    if rules_from_config:
        payload = apply_rules(rules_from_config, mapper_source(data, rules), payload)
    return payload


def _match_by_email(client: EAccountingClient, email: str) -> str | None:
    """The eAccounting customer with this e-mail (the lowest number when several share it),
    asked of eAccounting itself: to resolve a create whose outcome is unknown."""
    matches = [c.to_payload() for c in client.find_customers_by_email(email)]
    return _lowest(matches)


def _lowest(matches: list[dict[str, Any]]) -> str | None:
    if not matches:
        return None
    return str(min(matches, key=lambda c: (c.get("CustomerNumber") or "", str(c["Id"])))["Id"])


def _as_current(raw: dict[str, Any]) -> dict[str, Any]:
    """A customer as read, whole, as the base of a read-modify-write."""
    return customer_from(raw).to_payload()


def customer_label(record: SourceRecord) -> str:
    return f"{record.key} ({record.data.get('name') or '?'})"


def _fail_shared_emails(batch: Batch) -> None:
    """Customers are matched by e-mail: a customer whose e-mail an earlier one of the batch
    already has would overwrite that one's eAccounting customer, so it fails instead."""
    first: dict[str, WorkItem] = {}
    for item in batch.open():
        email = str(item.payload.get("EmailAddress") or "").strip().lower()
        if not email:
            continue
        owner = first.setdefault(email, item)
        if owner is not item:
            item.fail("data", f"Visma.net customer {item.label} has the e-mail address {email} "
                              f"of customer {owner.label}, and customers are matched by e-mail: "
                              "give each customer its own e-mail address in Visma.net")  # fmt: skip


def terms_table(ctx: RunContext) -> dict[str, str]:
    """Terms of payment by id, name or English name: one small list, read once per run."""
    client = eaccounting_client(ctx.config)
    return run_scoped(ctx, "eaccounting-terms", lambda: lookup_table(
        client.list_terms_of_payments(), "Name", "NameEnglish"))  # fmt: skip


def eaccounting_countries(ctx: RunContext) -> dict[str, str]:
    """The country codes eAccounting lists: one small list, read once per run."""
    client = eaccounting_client(ctx.config)
    return run_scoped(ctx, "eaccounting-countries",
                      lambda: country_codes(c.Code for c in client.list_countries()))  # fmt: skip


@task(name="plan-customers", **RETRIED)
def plan_customers(ctx: RunContext, batch: Batch) -> None:
    """Map each customer and decide: update the linked or e-mail-matched customer, or create.

    eAccounting's customers come from the run's directory (the list read once per run, or by
    ids and e-mails in bulk), never one lookup per customer."""
    terms = terms_table(ctx)
    countries = eaccounting_countries(ctx)
    for item in batch.open():
        try:
            item.payload = map_customer(ctx, item.source, terms, countries)
        except CustomerProblem as exc:
            item.fail(exc.error_class, str(exc))
        except MappingError as exc:
            item.fail("config", f"customer {item.label}: a field mapping failed: {exc}")
    _fail_shared_emails(batch)
    open_items = batch.open()
    directory = ea_directories.customers(ctx)
    linked = {i.key: i.known.target_key for i in open_items if i.known and i.known.target_key}
    current = directory.one("id", linked.values())
    unlinked = [i for i in open_items if linked.get(i.key) not in current]
    by_email = directory.get("email", [email_key(i.payload["EmailAddress"]) for i in unlinked])
    for item in open_items:
        target = linked.get(item.key)
        if target in current:
            item.action, item.target_key = "update", target
            item.current = _as_current(current[target])
        elif item.known is not None and item.known.status == LedgerStatus.IN_FLIGHT:
            item.action = "create"  # the write path looks it up first
        else:
            # Never linked, or the linked customer was deleted in eAccounting: match anew.
            matches = by_email.get(email_key(item.payload["EmailAddress"]) or "", [])
            item.target_key = _lowest(matches)
            if item.target_key:
                match = next(m for m in matches if str(m["Id"]) == item.target_key)
                item.action, item.current = "update", _as_current(match)
            else:
                item.action = "create"
    _fail_taken_customers(ctx, batch)


def _fail_taken_customers(ctx: RunContext, batch: Batch) -> None:
    """A customer matched by e-mail to an eAccounting customer the ledger already links to
    another Visma.net customer would merge the two: it fails alone instead (whatever batch
    or run the other one was synced in)."""
    matched: dict[str, list[WorkItem]] = {}
    for item in batch.planned():
        if item.action == "update" and item.target_key:
            matched.setdefault(item.target_key, []).append(item)
    owners = ledger_for(ctx, CUSTOMER).by_target_keys(sorted(matched))
    for target, item in [(t, i) for t, items in matched.items() for i in items]:
        if item.known is not None and item.known.target_key == target:
            continue  # its own link
        others = sorted(
            row.source_key for row in owners.get(target, []) if row.source_key != item.key
        )
        if not others:
            continue
        current = item.current or {}
        name = current.get("Name") or "?"
        number = current.get("CustomerNumber") or target
        item.fail(
            "data",
            f"Visma.net customer {item.label} has the e-mail address "
            f"{item.payload['EmailAddress']} of eAccounting customer {number} ({name}), which "
            f"is already synced from Visma.net customer {', '.join(others)}; customers are "
            "matched by e-mail, so the two would become one: give each customer its own e-mail "
            "address in Visma.net, then retry this one",
        )


def _update(ctx: RunContext, item: WorkItem) -> str:
    """Read-modify-write: only changed fields, everything else as eAccounting has it."""
    client = eaccounting_client(ctx.config)
    # ``current`` is the planned copy (the run's directory); only an adopted create (found
    # after an unknown outcome) is read here.
    current = item.current or client.get_customer_json(str(item.target_key))
    changes = changed_fields(item.payload, current)
    if changes and not ctx.dry_run:
        written = client.update_customer(str(item.target_key), {**current, **changes})
        ea_directories.customers(ctx).put(written.to_payload())
    return "updated" if changes else "unchanged"


def _create(ctx: RunContext, item: WorkItem) -> str:
    created = eaccounting_client(ctx.config).create_customer(item.payload)
    # Later batches of the run match it by e-mail without asking eAccounting.
    ea_directories.customers(ctx).put(created.to_payload())
    return str(created.Id)


@task(name="write-customers", cache_policy=NO_CACHE)
def write_customers(ctx: RunContext, batch: Batch) -> None:
    """Create or update each planned customer in eAccounting (no blind retries here)."""
    client = eaccounting_client(ctx.config)
    write_planned(
        ctx, batch, entity=CUSTOMER, what="customer",
        update=lambda item: _update(ctx, item),
        create=lambda item: _create(ctx, item),
        find=lambda item: _match_by_email(client, item.payload["EmailAddress"]),
    )  # fmt: skip
