"""The per-batch steps of the sales-order flow: enrich, check exists, verify products, commit.

Each step takes the run context and a :class:`~vismasync.engine.work.Batch` and changes its
items in place. Commit goes through the one exactly-once write path with the document's key
(``EA<number>``) as the searchable key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import ValidationError

from vismasync.connectors.eaccounting.client import customer_from
from vismasync.connectors.vismanet.writes import CustomerInvoiceWrite, SalesOrderWrite
from vismasync.engine.clients import eaccounting_client, vismanet_client
from vismasync.engine.concurrent import for_each_concurrently
from vismasync.engine.directory import run_scoped
from vismasync.engine.run import RunContext
from vismasync.engine.task_retry import RETRIED
from vismasync.engine.work import Batch, WorkItem
from vismasync.engine.write_once import ledger_for, write_once
from vismasync.mappings.data_mapper import MappingError, apply_rules
from vismasync.mappings.order_countries import unknown_countries
from vismasync.mappings.sales_orders import (
    DocumentContext,
    MappingProblem,
    ShippingRule,
    map_customer_invoice,
    map_sales_order,
)
from vismasync.mappings.validity import country_codes
from vismasync.mappings.vismanet_customers import missing_fields
from vismasync.store.models import LedgerStatus
from vismasync.tasks import ea_directories
from vismasync.tasks.sales_orders.product_index import refreshed_index
from vismasync.tasks.sales_orders.read import source_entity

CLOCK_MARGIN = timedelta(days=1)


def target_ref(ctx: RunContext, document: dict[str, Any]) -> str:
    """The key written into Visma.net: short, stable, and a valid document number."""
    if "InvoiceNumber" in document and ctx.config.flows.sales_orders.source_document == "invoice":
        return f"EAI{document['InvoiceNumber']}"
    return f"EA{document.get('Number') or document['Id']}"


def _codings(ctx: RunContext) -> dict[str, str]:
    """VAT percent per eAccounting account coding: one small list, read once per run."""

    def read() -> dict[str, str]:
        return {
            coding.Id: format(coding.VatRatePercent.normalize(), "f")
            for coding in eaccounting_client(ctx.config).list_article_account_codings()
            if coding.VatRatePercent is not None
        }

    return run_scoped(ctx, "eaccounting-vat-rates", read)


def _vat_rates(ctx: RunContext, documents: list[dict[str, Any]]) -> dict[str, str]:
    """Article number -> VAT percent for the articles on these documents, from the run's
    articles (read once per run, see :mod:`vismasync.tasks.ea_directories`)."""
    numbers = {row["ArticleNumber"] for d in documents for row in d.get("Rows") or []
               if row.get("ArticleNumber")}  # fmt: skip
    if not numbers:
        return {}
    codings = _codings(ctx)
    found = ea_directories.articles(ctx).one("number", numbers)
    return {
        number: rate
        for number, article in found.items()
        if (rate := codings.get(str(article.get("CodingId") or ""))) is not None
    }


def _customers(ctx: RunContext, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The documents' customers, by id, shaped as the flow's mappings read them."""
    found = ea_directories.customers(ctx).one("id", ids)
    return {key: customer_from(raw).model_dump(mode="json") for key, raw in found.items()}


def _countries(ctx: RunContext) -> dict[str, str]:
    """The country codes Visma.net knows: one small list, read once per run."""

    def read() -> dict[str, str]:
        return country_codes(country.id for country in vismanet_client(ctx.config).list_countries())

    return run_scoped(ctx, "vismanet-countries", read)


def _customer_sent(ctx: RunContext, customer: dict[str, Any] | None) -> dict[str, Any] | None:
    """The eAccounting customer the upsert step will send to Visma.net with the document."""
    debtor = ctx.config.flows.sales_orders.default_debtor
    if debtor is not None and (debtor.mode == "force" or missing_fields(customer or {})):
        return None
    return customer


def _fail_unknown_countries(ctx: RunContext, item: WorkItem) -> None:
    """Fail a document whose countries Visma.net does not know, before anything is written.

    A document already done, skipped or in flight is left to the later steps: it may be in
    Visma.net already, and failing it would only hide that.
    """
    if item.known is not None and item.known.status not in (
        LedgerStatus.PENDING, LedgerStatus.FAILED
    ):  # fmt: skip
        return
    customer = _customer_sent(ctx, item.extra.get("customer"))
    problems = unknown_countries(item.source, customer, _countries(ctx))
    if problems:
        item.fail("data", f"{item.label}: {'; '.join(problems)}")


@task(name="enrich", **RETRIED)
def enrich(ctx: RunContext, batch: Batch) -> None:
    """Add what Visma.net needs and eAccounting lacks: customer, country, branch, VAT rates;
    fail a document with a country Visma.net does not know."""
    settings = ctx.config.flows.sales_orders
    documents = [item.source for item in batch]
    ids = sorted({d["CustomerId"] for d in documents if d.get("CustomerId")})
    customers = _customers(ctx, ids)
    rates = _vat_rates(ctx, documents)
    for item in batch:
        document = item.source
        customer = customers.get(document.get("CustomerId", ""))
        country = (
            document.get("DeliveryCountryCode")
            or document.get("InvoiceCountryCode")
            or (customer or {}).get("InvoiceCountryCode")
        )
        item.extra.update(
            ref=target_ref(ctx, document),
            customer=customer,
            country=country,
            branch=settings.branch.for_country(country),
            vat_rates=rates,
        )
        _fail_unknown_countries(ctx, item)


def written_after(document: dict[str, Any]) -> datetime | None:
    """A time before any order for ``document`` can have been written: its creation in
    eAccounting, less a day for the two services' clocks."""
    created = document.get("CreatedUtc")
    if not created:
        return None
    when = created if isinstance(created, datetime) else datetime.fromisoformat(str(created))
    return when - CLOCK_MARGIN


def find_existing(ctx: RunContext, item: WorkItem) -> str | None:
    """The Visma.net document carrying the item's key (``extra["ref"]``), if any (its number).

    A sales order keyed by its customer reference is found by listing orders modified since
    the document was created (of its customer, once that is known)."""
    settings = ctx.config.flows.sales_orders
    client = vismanet_client(ctx.config)
    ref = item.extra["ref"]
    if settings.target_document == "customer_invoice":
        invoice = client.find_customer_invoice_by_external_reference(ref)
        return invoice.reference_number if invoice else None
    order = client.find_sales_order(
        settings.order_type,
        ref,
        customer=item.extra.get("customer_number") or None,
        since=written_after(item.source),
    )
    return order.order_no if order else None


@task(name="check-exists", **RETRIED)
def check_exists(ctx: RunContext, batch: Batch) -> None:
    """Settle documents already in Visma.net: by the ledger first, else by one lookup each,
    unless the create itself finds an existing order (V3 with a fixed orderId: a taken id is a
    409 the writer resolves), which saves that call for every new document."""
    settings = ctx.config.flows.sales_orders
    create_is_the_check = settings.target_document == "sales_order" and vismanet_client(
        ctx.config
    ).sales_order_create_finds_existing(settings.order_type)
    for item in batch.open():
        row = item.known
        if row is not None and row.status == LedgerStatus.DONE:
            item.settle("unchanged", row.target_key)
        elif row is not None and row.status == LedgerStatus.SKIPPED:
            # Skipped by hand (or its source was deleted): never sent unless retried by key.
            item.skip(row.message or "skipped")
            item.recorded = True
        elif row is not None and row.status in (LedgerStatus.IN_FLIGHT, LedgerStatus.FAILED):
            # In flight: the commit looks it up before writing. Failed: no write of it was
            # ever applied by Visma.net (an unknown outcome stays in flight instead).
            continue
        elif not create_is_the_check:
            found = find_existing(ctx, item)
            if found is not None:
                item.settle("unchanged", found)


def _shipping_rule(ctx: RunContext) -> ShippingRule | None:
    shipping = ctx.config.flows.sales_orders.shipping
    if shipping is None:
        return None
    return ShippingRule(
        frozenset(shipping.source_articles), shipping.sku, shipping.description, shipping.tax_code
    )


def _map(ctx: RunContext, item: WorkItem) -> tuple[dict[str, Any], list[str]]:
    settings = ctx.config.flows.sales_orders
    customer = item.extra.get("customer") or {}
    terms = customer.get("TermsOfPayment") or {}
    context = DocumentContext(
        source_key=item.extra["ref"],
        customer_number=item.extra.get("customer_number") or "",
        branch_number=item.extra.get("branch") or settings.branch.default,
        country_code=item.extra.get("country"),
        terms_name=terms.get("Name") if isinstance(terms, dict) else None,
        payment_type=terms.get("TermsOfPaymentTypeText") if isinstance(terms, dict) else None,
        vat_rates=item.extra.get("vat_rates") or {},
    )
    mapper = (
        map_customer_invoice if settings.target_document == "customer_invoice" else map_sales_order
    )
    payload, skus = mapper(item.source, settings, settings.value_maps, context, _shipping_rule(ctx))
    if settings.field_mappings:
        source = {**item.source, "Customer": customer}
        payload = apply_rules(settings.field_mappings, source, payload)
    return payload, skus


@task(name="verify-products", **RETRIED)
def verify_products(ctx: RunContext, batch: Batch) -> None:
    """Map each document and check every SKU against the local index of Visma.net items."""
    for item in batch.open():
        try:
            item.payload, item.extra["skus"] = _map(ctx, item)
        except MappingProblem as exc:
            item.fail("data", f"{item.label} cannot be mapped: {exc}")
            continue
        except MappingError as exc:
            item.fail("config", f"{item.label}: a field mapping failed: {exc} "
                                "(flows.sales_orders.field_mappings)")  # fmt: skip
            continue
        try:
            # Checked before any claim: a document the writer cannot take fails alone, here.
            item.extra["write"] = _write_model(ctx).model_validate(item.payload)
        except ValidationError as exc:
            item.fail(
                "config",
                f"{item.label}: the mapped document is not one vismasync can write: "
                f"{_fields(exc)} (check flows.sales_orders.field_mappings)",
            )
    pending = batch.open()
    needed = sorted({sku for item in pending for sku in item.extra["skus"]})
    known = set(refreshed_index(ctx).lookup(needed)) if needed else set()
    client = vismanet_client(ctx.config)
    # The index may trail Visma.net by a few seconds: confirm each miss before failing on it.
    missing = {sku for sku in needed if sku not in known and client.get_inventory(sku) is None}
    for item in pending:
        absent = [sku for sku in item.extra["skus"] if sku in missing]
        if absent:
            names = ", ".join(repr(sku) for sku in absent)
            item.fail(
                "data",
                f"{item.label}: article {names} does not exist in Visma.net. Create the item "
                f"with inventory number {names} in Visma.net; the order is retried on the next "
                "run.",
            )
        else:
            item.action = "create"


def _write_model(ctx: RunContext) -> type[SalesOrderWrite] | type[CustomerInvoiceWrite]:
    if ctx.config.flows.sales_orders.target_document == "customer_invoice":
        return CustomerInvoiceWrite
    return SalesOrderWrite


def _fields(exc: ValidationError) -> str:
    """Each offending field and what is wrong with it, without echoing values."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    )


def _create(ctx: RunContext, item: WorkItem) -> str:
    client = vismanet_client(ctx.config)
    write = item.extra["write"]
    if isinstance(write, CustomerInvoiceWrite):
        return client.create_customer_invoice(write)
    return client.create_sales_order(write, key=item.extra["ref"]).order_number


@task(name="commit", cache_policy=NO_CACHE)
def commit(ctx: RunContext, batch: Batch) -> None:
    """Create each verified document in Visma.net exactly once (no blind retries here),
    ``vismanet.write_concurrency`` documents at a time."""
    ledger = ledger_for(ctx, source_entity(ctx.config))
    noun = (
        "customer invoice"
        if ctx.config.flows.sales_orders.target_document == "customer_invoice"
        else "sales order"
    )

    def commit_one(item: WorkItem) -> None:
        write_once(
            ctx, ledger, item, what=noun,
            create=lambda: _create(ctx, item),
            find=lambda: find_existing(ctx, item),
            content_hash=item.source_hash,
        )  # fmt: skip

    # Each document is still claimed before and marked after its own write (see
    # engine/concurrent.py); only the waiting for Visma.net's answers overlaps.
    for_each_concurrently(batch.planned(), commit_one, ctx.config.vismanet.write_concurrency)
