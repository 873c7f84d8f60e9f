"""The naive baseline the sales-order flow is measured against: one Prefect task per order.

Per order, with the product's own connectors and mappings but none of the engine (no batches,
ledger, local index or exactly-once protocol): an exists lookup in Visma.net by the order's key,
the order's customer from eAccounting (the order carries only its id, and the e-mail address is
the match), a Visma.net customer lookup by that e-mail, a customer upsert (update when found,
else create), a Visma.net item lookup per line, then the commit. Orders are read a page at a
time; the VAT rates (account codings and articles) are read once per run, as any design must
to map an order at all. Contact persons are not written: a naive design has no child writes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from vismasync.config.integrations import load_integration
from vismasync.config.model import IntegrationConfig
from vismasync.connectors.eaccounting.client import ORDER_STATUS_CODES, EAccountingClient
from vismasync.connectors.http import ApiError
from vismasync.connectors.vismanet.client import VismaNetClient
from vismasync.connectors.vismanet.writes import CustomerWrite, SalesOrderWrite
from vismasync.engine.clients import build_eaccounting_client, build_vismanet_client
from vismasync.mappings.sales_orders import (
    DocumentContext,
    MappingProblem,
    ShippingRule,
    map_sales_order,
)
from vismasync.mappings.vismanet_customers import customer_email, vismanet_customer
from vismasync.tasks.sales_orders.steps import written_after

PAGE_SIZE = 100


@dataclass
class _Run:
    """What every order's task needs; held here, not passed, because clients hold sockets and
    tokens and Prefect would try to hash them as task arguments."""

    config: IntegrationConfig
    eaccounting: EAccountingClient
    vismanet: VismaNetClient
    vat_rates: dict[str, str]


_run: _Run | None = None


def _vat_rates(client: EAccountingClient) -> dict[str, str]:
    """Article number -> VAT percent, from the account codings and every article."""
    codings = {
        coding.Id: format(coding.VatRatePercent.normalize(), "f")
        for coding in client.list_article_account_codings()
        if coding.VatRatePercent is not None
    }
    return {
        article.Number: codings[article.CodingId]
        for article in client.iter_articles()
        if article.CodingId in codings
    }


def _shipping_rule(config: IntegrationConfig) -> ShippingRule | None:
    shipping = config.flows.sales_orders.shipping
    if shipping is None:
        return None
    return ShippingRule(
        frozenset(shipping.source_articles), shipping.sku, shipping.description, shipping.tax_code
    )


def _upsert_customer(run: _Run, customer: dict[str, Any]) -> str:
    """The order's Visma.net customer number: found by e-mail and updated, or created."""
    write = CustomerWrite.model_validate(vismanet_customer(customer))
    found = run.vismanet.find_customer_by_email(customer_email(customer) or "")
    if found is None:
        return run.vismanet.create_customer(write)
    run.vismanet.update_customer(found.number, write)
    return found.number


@task(name="naive-sync-order", cache_policy=NO_CACHE)
def sync_order(order: dict[str, Any]) -> str:
    """Send one eAccounting order to Visma.net; returns its outcome (created, unchanged,
    failed)."""
    assert _run is not None, "sync_order runs inside naive_sales_orders"
    run, settings = _run, _run.config.flows.sales_orders
    ref = f"EA{order.get('Number') or order['Id']}"
    try:
        if run.vismanet.find_sales_order(settings.order_type, ref, since=written_after(order)):
            return "unchanged"
        customer = run.eaccounting.get_customer(order["CustomerId"]).model_dump(mode="json")
        number = _upsert_customer(run, customer)
        country = order.get("DeliveryCountryCode") or customer.get("InvoiceCountryCode")
        terms = customer.get("TermsOfPayment") or {}
        context = DocumentContext(
            source_key=ref, customer_number=number, branch_number=settings.branch.for_country(
                country), country_code=country, terms_name=terms.get("Name"),
            payment_type=terms.get("TermsOfPaymentTypeText"), vat_rates=run.vat_rates,
        )  # fmt: skip
        payload, skus = map_sales_order(
            order, settings, settings.value_maps, context, _shipping_rule(run.config)
        )
        if any(run.vismanet.get_inventory(sku) is None for sku in skus):
            return "failed"
        run.vismanet.create_sales_order(SalesOrderWrite.model_validate(payload), key=ref)
        return "created"
    except (ApiError, MappingProblem):
        return "failed"


@flow(name="naive-sales-orders")
def naive_sales_orders(integration: str) -> dict[str, int]:
    """Every order the integration's status filter takes, one task per order; returns the
    count per outcome."""
    global _run
    config = load_integration(integration)
    ea, vn = build_eaccounting_client(config), build_vismanet_client(config)
    _run = _Run(config, ea, vn, _vat_rates(ea))
    codes = [ORDER_STATUS_CODES[s] for s in config.flows.sales_orders.statuses]
    outcomes: Counter[str] = Counter()
    try:
        page = 1
        while True:
            orders = ea.orders_page(changed_since=None, statuses=codes, page=page,
                                    page_size=PAGE_SIZE)  # fmt: skip
            for order in orders.items:
                outcomes[sync_order(order)] += 1
            if not orders.more:
                return dict(outcomes)
            page += 1
    finally:
        ea.close()
        vn.close()
        _run = None
