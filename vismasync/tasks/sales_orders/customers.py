"""Upsert step of the sales-order flow: the Visma.net customer each order goes to.

Customers are matched by e-mail address. A customer whose mapped content is unchanged since the
last sync costs no call at all (ledger hash); a changed one is updated, a new one created
through the exactly-once write path (looked up by e-mail when an earlier attempt's outcome is
unknown). Customers are upserted ``vismanet.write_concurrency`` at a time, those sharing an
e-mail address one after another. A company customer's contact person is a child write with
ledger rows of its own (entity ``contact``, keyed by the eAccounting customer): it is looked up
among the customer's contacts, created when absent, and retried until it lands. A configured
default debtor takes the orders always (``force``) or only those whose customer data is
incomplete (``fallback``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.connectors.http import ApiError
from vismasync.connectors.vismanet.client import VismaNetClient
from vismasync.connectors.vismanet.models import Customer
from vismasync.connectors.vismanet.writes import ContactWrite, CustomerWrite
from vismasync.engine.clients import eaccounting_client, vismanet_client
from vismasync.engine.concurrent import for_each_concurrently
from vismasync.engine.run import RunContext
from vismasync.engine.runner import count_items
from vismasync.engine.summary import RunSummary
from vismasync.engine.work import Batch, WorkItem
from vismasync.engine.write_once import ledger_for, settle_failure, write_once, write_update
from vismasync.mappings.hashing import content_hash
from vismasync.mappings.vismanet_customers import (
    contact_person,
    customer_differs,
    customer_email,
    missing_fields,
    vismanet_customer,
)
from vismasync.store.ledger import Ledger, LedgerEntry
from vismasync.store.models import LedgerStatus

CUSTOMER = "customer"
CONTACT = "contact"
CONTACT_NOUN = "contact person"


def _customer_item(customer: dict[str, Any]) -> WorkItem:
    number = customer.get("CustomerNumber") or customer["Id"]
    label = f"{number} ({customer.get('Name') or '?'})"
    return WorkItem(str(customer["Id"]), label, datetime.now(UTC), customer)


def _upsert(
    ctx: RunContext, ledger: Ledger, item: WorkItem, row: LedgerEntry | None, summary: RunSummary
) -> None:
    """Settle ``item`` (one eAccounting customer) with its Visma.net number as target key."""
    client = vismanet_client(ctx.config)
    item.payload = vismanet_customer(item.source)
    item.digest = content_hash(item.payload)
    if row is not None and row.status == LedgerStatus.DONE and row.content_hash == item.digest:
        item.settle("unchanged", row.target_key)
        return
    email = customer_email(item.source) or ""
    write = CustomerWrite.model_validate(item.payload)

    def update(number: str, current: Customer | None = None) -> str:
        current = current if current is not None else client.get_customer(number)
        if current is not None and not customer_differs(
            item.payload, current.model_dump(by_alias=True)
        ):
            return "unchanged"  # already as it should be: no write
        if not ctx.dry_run:
            client.update_customer(number, write)
        return "updated"

    def find() -> str | None:
        found = client.find_customer_by_email(email)
        return found.number if found else None

    in_flight = row is not None and row.status == LedgerStatus.IN_FLIGHT
    try:
        existing = None if in_flight else _linked_or_matched(client, row, email)
    except ApiError as exc:
        _fail_read(ctx, ledger, item, exc)
        return
    if existing is not None:
        item.target_key = existing.number
        write_update(ctx, ledger, item, what="customer",
                     update=lambda: update(existing.number, existing),
                     content_hash=item.digest)  # fmt: skip
        return
    if ctx.dry_run:
        summary.notes.append(f"would create customer {item.payload['name']!r} ({email})")
    write_once(
        ctx, ledger, item, what="customer",
        create=lambda: client.create_customer(write),
        find=find, adopt=update, content_hash=item.digest,
    )  # fmt: skip


def _linked_or_matched(
    client: VismaNetClient, row: LedgerEntry | None, email: str
) -> Customer | None:
    """The Visma.net customer this eAccounting customer is: the one the ledger links it to
    (its e-mail or address may have changed since), else the one with its e-mail address."""
    if row is not None and row.target_key and not row.target_key.startswith("("):
        linked = client.get_customer(row.target_key)
        if linked is not None:
            return linked
    return client.find_customer_by_email(email) if email else None


def _fail_read(ctx: RunContext, ledger: Ledger, item: WorkItem, exc: ApiError) -> None:
    if ctx.dry_run:
        item.fail(exc.error_class.value, f"customer {item.label}: {exc}")
    else:
        settle_failure(ledger, item, exc, "customer", claimed=False)


def _find_contact(client: VismaNetClient, number: str, person: dict[str, Any]) -> str | None:
    """The customer's contact with this person's e-mail (or, without one, name)."""
    email = (person.get("email") or "").strip().lower()
    name = ((person.get("firstName") or "") + " " + person["lastName"]).strip().lower()
    for contact in client.list_contacts(number):
        if email and (contact.email or "").strip().lower() == email:
            return str(contact.contact_id)
        full = f"{contact.first_name or ''} {contact.last_name or ''}".strip().lower()
        if not email and full == name:
            return str(contact.contact_id)
    return None


def _ensure_contact(
    ctx: RunContext, ledger: Ledger, customer: WorkItem, row: LedgerEntry | None
) -> WorkItem | None:
    """The company customer's contact person in Visma.net, exactly once (None: nothing to do)."""
    if customer.outcome not in ("created", "updated", "unchanged") or not customer.target_key:
        return None
    number = customer.target_key
    person = contact_person(customer.source, number)
    if person is None or (row is not None and row.status == LedgerStatus.DONE):
        return None
    client = vismanet_client(ctx.config)
    item = WorkItem(customer.key, f"{person['lastName']} of customer {number}",
                    customer.changed_at, customer.source)  # fmt: skip
    write_once(
        ctx, ledger, item, what=CONTACT_NOUN,
        create=lambda: str(client.create_contact(ContactWrite.model_validate(person))),
        find=lambda: _find_contact(client, number, person),
        # The customer may have existed before (found by e-mail) with this person already.
        look_first=True,
    )  # fmt: skip
    return item


def resolve_customers(
    ctx: RunContext, customers: list[dict[str, Any]], summary: RunSummary
) -> dict[str, WorkItem]:
    """Upsert each eAccounting customer (and its contact person) in Visma.net; returns the
    settled customer per eAccounting id (``target_key``: the Visma.net number)."""
    ledger, contacts = ledger_for(ctx, CUSTOMER), ledger_for(ctx, CONTACT)
    ids = [str(c["Id"]) for c in customers]
    known, known_contacts = ledger.get_many(ids), contacts.get_many(ids)
    items = [_customer_item(customer) for customer in customers]
    contact_of: dict[str, WorkItem] = {}

    def settle(item: WorkItem) -> None:
        try:
            _upsert(ctx, ledger, item, known.get(item.key), summary)
        except ApiError as exc:
            _fail_read(ctx, ledger, item, exc)
        contact = _ensure_contact(ctx, contacts, item, known_contacts.get(item.key))
        if contact is not None:
            contact_of[item.key] = contact

    def settle_in_order(group: list[WorkItem]) -> None:
        for item in group:
            settle(item)

    # Customers sharing an e-mail address are matched to one Visma.net customer: they are
    # upserted one after another (the second finds what the first created), other customers
    # several at a time.
    for_each_concurrently(
        list(_by_email(items).values()), settle_in_order, ctx.config.vismanet.write_concurrency
    )
    count_items(summary, CUSTOMER, items)
    contact_items = [contact_of[item.key] for item in items if item.key in contact_of]
    if contact_items:
        count_items(summary, CONTACT_NOUN, contact_items)
    return {item.key: item for item in items}


def _by_email(items: list[WorkItem]) -> dict[str, list[WorkItem]]:
    """The customers grouped by e-mail address as matched (each without one on its own)."""
    groups: dict[str, list[WorkItem]] = {}
    for item in items:
        email = (customer_email(item.source) or "").strip().lower()
        groups.setdefault(email or f"(no e-mail) {item.key}", []).append(item)
    return groups


@task(name="upsert-customers", cache_policy=NO_CACHE)
def upsert_customers(ctx: RunContext, batch: Batch) -> None:
    """Resolve the Visma.net customer of every open document (one upsert per customer)."""
    debtor = ctx.config.flows.sales_orders.default_debtor
    waiting: dict[str, list[WorkItem]] = {}
    customers: dict[str, dict[str, Any]] = {}
    for item in batch.open():
        if debtor is not None and debtor.mode == "force":
            item.extra["customer_number"] = debtor.customer_number
            continue
        customer = item.extra.get("customer") or {}
        missing = missing_fields(customer)
        if missing and debtor is not None:
            item.extra["customer_number"] = debtor.customer_number
        elif missing:
            name = customer.get("Name") or customer.get("CustomerNumber") or "?"
            item.fail(
                "data",
                f"customer {name!r} (eAccounting customer {customer.get('CustomerNumber')}) "
                f"has no {' and no '.join(missing)}: add it in eAccounting, or configure a "
                "default debtor (flows.sales_orders.default_debtor)",
            )
        else:
            customers[str(customer["Id"])] = customer
            waiting.setdefault(str(customer["Id"]), []).append(item)
    resolved = resolve_customers(ctx, list(customers.values()), batch.summary)
    for customer_id, items in waiting.items():
        customer = resolved[customer_id]
        for item in items:
            if customer.outcome == "failed":
                item.fail(customer.error_class or "data",
                          f"its customer could not be upserted: {customer.message}")  # fmt: skip
            elif customer.outcome == "skipped":
                # Not settled: the order waits in the failure queue for its customer.
                held = f"its customer is held by another writer ({customer.message})"
                item.fail("transient", f"{held}: retried on the next run")
            else:
                item.extra["customer_number"] = customer.target_key or (
                    f"(new: {customer_email(customer.source)})"
                )


@task(name="retry-customers", cache_policy=NO_CACHE)
def retry_customers(ctx: RunContext, keys: list[str]) -> RunSummary:
    """The failure queue's customers and contact persons (keyed by eAccounting customer id):
    re-read from eAccounting and upserted again."""
    summary = RunSummary(flow=ctx.flow, integration=ctx.integration, dry_run=ctx.dry_run)
    client = eaccounting_client(ctx.config)
    found = [c.model_dump(mode="json") for c in client.customers_by_ids(keys)]
    resolve_customers(ctx, found, summary)
    gone = set(keys) - {str(c["Id"]) for c in found}
    if gone and not ctx.dry_run:
        for ledger in (ledger_for(ctx, CUSTOMER), ledger_for(ctx, CONTACT)):
            rows = ledger.get_many(sorted(gone))
            for key in rows:
                ledger.mark_skipped(key, "the customer no longer exists in eAccounting")
    return summary
