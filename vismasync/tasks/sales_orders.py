"""The per-batch steps of the sales-order flow: enrich, check exists, verify products, commit.

Commit follows the exactly-once protocol: claim the ledger row, write carrying the source key,
record the target key; a claim whose earlier attempt has an unknown outcome first looks the
document up in Visma.net by that key.
"""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.connectors.eaccounting import filters as f
from vismasync.connectors.eaccounting.models import Article, Customer
from vismasync.connectors.http import ApiError, ErrorClass
from vismasync.connectors.vismanet.writes import CustomerInvoiceWrite, SalesOrderWrite
from vismasync.flows.runtime import RunContext
from vismasync.mappings.data_mapper import MappingError, apply_rules
from vismasync.mappings.sales_orders import (
    DocumentContext,
    MappingProblem,
    ShippingRule,
    map_customer_invoice,
    map_sales_order,
)
from vismasync.store.database import get_engine
from vismasync.store.ledger import Ledger
from vismasync.store.models import LedgerStatus
from vismasync.tasks.connections import eaccounting_client, vismanet_client
from vismasync.tasks.documents import as_utc, source_entity
from vismasync.tasks.order_work import OrderWork
from vismasync.tasks.product_index import inventory_index

# eAccounting articles' VAT rates per account coding, read once per process.
_coding_rates: dict[str, dict[str, str]] = {}
# Ids per $filter: "Id eq <uuid> or ..." must stay well inside common URL length limits.
FILTER_CHUNK = 25


def document_ledger(ctx: RunContext) -> Ledger:
    return Ledger(get_engine(), ctx.integration, ctx.flow, source_entity(ctx), ctx.run_id)


def target_ref(ctx: RunContext, document: dict[str, Any]) -> str:
    """The key written into Visma.net: short, stable, and a valid document number."""
    if "InvoiceNumber" in document and ctx.config.flows.sales_orders.source_document == "invoice":
        return f"EAI{document['InvoiceNumber']}"
    return f"EA{document.get('Number') or document['Id']}"


def _chunks(values: list[str], size: int = FILTER_CHUNK) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _customers(ctx: RunContext, ids: list[str]) -> dict[str, dict[str, Any]]:
    """eAccounting customers by id, a few list calls per batch instead of one call each."""
    client = eaccounting_client(ctx.config)
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for customer in client.iter_list("/customers", Customer, filter=f.any_of("Id", chunk)):
            found[str(customer.Id)] = customer.model_dump(mode="json")
    return found


def _vat_rates(ctx: RunContext, documents: list[dict[str, Any]]) -> dict[str, str]:
    """Article number -> VAT percent for the articles on these documents."""
    client = eaccounting_client(ctx.config)
    if ctx.integration not in _coding_rates:
        _coding_rates[ctx.integration] = {
            coding.Id: format(coding.VatRatePercent.normalize(), "f")
            for coding in client.list_article_account_codings()
            if coding.VatRatePercent is not None
        }
    codings = _coding_rates[ctx.integration]
    numbers = sorted(
        {row["ArticleNumber"] for d in documents for row in d.get("Rows") or []
         if row.get("ArticleNumber")}
    )  # fmt: skip
    rates: dict[str, str] = {}
    for chunk in _chunks(numbers):
        for article in client.iter_list("/articles", Article, filter=f.any_of("Number", chunk)):
            if article.CodingId in codings:
                rates[article.Number] = codings[article.CodingId]
    return rates


@task(name="enrich", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def enrich(ctx: RunContext, documents: list[dict[str, Any]]) -> list[OrderWork]:
    """Add what Visma.net needs and eAccounting lacks: customer, country, branch, VAT rates."""
    settings = ctx.config.flows.sales_orders
    customers = _customers(ctx, sorted({d["CustomerId"] for d in documents if d.get("CustomerId")}))
    rates = _vat_rates(ctx, documents)
    work = []
    for document in documents:
        customer = customers.get(document.get("CustomerId", ""))
        country = (
            document.get("DeliveryCountryCode")
            or document.get("InvoiceCountryCode")
            or (customer or {}).get("InvoiceCountryCode")
        )
        work.append(
            OrderWork(
                key=document["Id"],
                ref=target_ref(ctx, document),
                number=document.get("Number") or document.get("InvoiceNumber"),
                changed_at=as_utc(document["ModifiedUtc"]),
                document=document,
                customer=customer,
                country=country,
                branch=settings.branch.for_country(country),
                vat_rates=rates,
            )
        )
    return work


def _find_existing(ctx: RunContext, ref: str) -> str | None:
    settings = ctx.config.flows.sales_orders
    client = vismanet_client(ctx.config)
    if settings.target_document == "customer_invoice":
        invoice = client.find_customer_invoice_by_external_reference(ref)
        return invoice.reference_number if invoice else None
    order = client.find_sales_order(settings.order_type, ref)
    return order.order_no if order else None


@task(name="check-exists", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def check_exists(ctx: RunContext, work: list[OrderWork]) -> list[OrderWork]:
    """Skip documents already in Visma.net: by the ledger first, else by one lookup each."""
    ledger = document_ledger(ctx)
    known = ledger.get_many([item.key for item in work])
    for item in work:
        row = known.get(item.key)
        if row is not None and row.status == LedgerStatus.DONE:
            item.outcome, item.target_key = "exists", row.target_key
            continue
        if row is not None and row.status == LedgerStatus.SKIPPED:
            # Skipped by hand (or its source was deleted): never sent unless retried by key.
            item.outcome, item.message = "skipped", row.message
            continue
        if row is not None and row.status in (LedgerStatus.IN_FLIGHT, LedgerStatus.FAILED):
            # In flight: the commit step looks it up before retrying. Failed: no write of it
            # ever reached Visma.net (failures are recorded before writing or on a refusal).
            continue
        target_key = _find_existing(ctx, item.ref)
        if target_key is not None:
            item.outcome, item.target_key = "exists", target_key
            if not ctx.dry_run:
                ledger.mark_done(item.key, target_key, None)
    if not ctx.dry_run:
        # Until each settles, these hold the watermark back: a crash cannot skip them.
        ledger.record_pending([(item.key, item.changed_at) for item in work if item.pending])
    return work


def _shipping_rule(ctx: RunContext) -> ShippingRule | None:
    shipping = ctx.config.flows.sales_orders.shipping
    if shipping is None:
        return None
    return ShippingRule(
        frozenset(shipping.source_articles), shipping.sku, shipping.description, shipping.tax_code
    )


def _map(ctx: RunContext, item: OrderWork) -> tuple[dict[str, Any], list[str]]:
    settings = ctx.config.flows.sales_orders
    customer = item.customer or {}
    terms = customer.get("TermsOfPayment") or {}
    context = DocumentContext(
        source_key=item.ref,
        customer_number=item.customer_number or "",
        branch_number=item.branch or settings.branch.default,
        country_code=item.country,
        terms_name=terms.get("Name") if isinstance(terms, dict) else None,
        vat_rates=item.vat_rates,
    )
    mapper = (
        map_customer_invoice if settings.target_document == "customer_invoice" else map_sales_order
    )
    payload, skus = mapper(
        item.document, settings, settings.value_maps, context, _shipping_rule(ctx)
    )
    if settings.field_mappings:
        source = {**item.document, "Customer": customer}
        payload = apply_rules(settings.field_mappings, source, payload)
    return payload, skus


@task(name="verify-products", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def verify_products(ctx: RunContext, work: list[OrderWork]) -> list[OrderWork]:
    """Map each document and check every SKU against the local index of Visma.net items."""
    for item in work:
        if not item.pending:
            continue
        try:
            item.payload, item.skus = _map(ctx, item)
        except (MappingProblem, MappingError) as exc:
            item.fail("data", f"{item.label} cannot be mapped: {exc}")
    needed = sorted({sku for item in work if item.pending for sku in item.skus})
    known = set(inventory_index(ctx.integration).lookup(needed))
    unknown = [sku for sku in needed if sku not in known]
    client = vismanet_client(ctx.config)
    # The index may trail Visma.net by a few seconds: confirm each miss before failing on it.
    missing = {sku for sku in unknown if client.get_inventory(sku) is None}
    for item in work:
        absent = [sku for sku in item.skus if sku in missing]
        if item.pending and absent:
            names = ", ".join(repr(sku) for sku in absent)
            item.fail(
                "data",
                f"{item.label}: article {names} does not exist in Visma.net. Create the item "
                f"with inventory number {names} in Visma.net; the order is retried on the next "
                "run.",
            )
    return work


def _write(ctx: RunContext, item: OrderWork) -> str:
    settings = ctx.config.flows.sales_orders
    client = vismanet_client(ctx.config)
    payload = item.payload or {}
    if settings.target_document == "customer_invoice":
        return client.create_customer_invoice(CustomerInvoiceWrite.model_validate(payload))
    created = client.create_sales_order(SalesOrderWrite.model_validate(payload), key=item.ref)
    return created.order_number


@task(name="commit", cache_policy=NO_CACHE)
def commit(ctx: RunContext, work: list[OrderWork]) -> list[OrderWork]:
    """Create each verified document in Visma.net exactly once (no blind retries here)."""
    ledger = document_ledger(ctx)
    for item in work:
        if not item.pending:
            continue
        if ctx.dry_run:
            item.outcome = "would_create"
            continue
        claim = ledger.claim(item.key, source_changed_at=item.changed_at, recover_in_flight=True)
        if not claim.owned:
            item.outcome = "skipped"
            item.message = "another writer holds this document"
            continue
        try:
            existing = _find_existing(ctx, item.ref) if claim.outcome_unknown else None
            item.target_key = existing or _write(ctx, item)
        except ApiError as exc:
            if exc.error_class in (ErrorClass.TRANSIENT, ErrorClass.RATE_LIMITED):
                # The write may have reached Visma.net: the row stays in flight (holding the
                # watermark), and the next attempt looks the document up before writing again.
                item.fail(exc.error_class.value, f"outcome unknown, checked on the next run: {exc}")
            else:
                item.fail(exc.error_class.value, f"Visma.net refused {item.label}: {exc}")
                ledger.mark_failed(item.key, exc.error_class.value, item.message or "")
            item.recorded = True
            continue
        item.outcome = "created" if existing is None else "exists"
        ledger.mark_done(item.key, item.target_key, None)
    return work


@task(name="record-failures", cache_policy=NO_CACHE)
def record_failures(ctx: RunContext, work: list[OrderWork]) -> None:
    """Put the failures found before any write (customer, mapping, product) in the ledger."""
    if ctx.dry_run:
        return
    ledger = document_ledger(ctx)
    for item in work:
        if item.outcome == "failed" and not item.recorded:
            ledger.mark_failed(
                item.key, item.error_class or "data", item.message or "",
                source_changed_at=item.changed_at,
            )  # fmt: skip
