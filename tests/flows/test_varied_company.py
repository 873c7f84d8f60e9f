"""The sales-order flow on a varied, generated company (not the uniform demo), checked in the
Visma.net emulator: every order once, with eAccounting's totals, on the right customer."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.flows.varied_company import build
from vismasync.flows.sales_orders import sync_sales_orders
from vismasync.mappings.vismanet_customers import NAME_LIMIT


def _vn(demo):
    return demo.vn_service.backend().state


def _recent() -> datetime:
    """A backfill start just before the test's documents: the demo's own 300 orders would add
    seconds and nothing to what these tests check."""
    return datetime.now(UTC) - timedelta(seconds=5)


def test_a_varied_company_arrives_once_with_its_totals_and_customers(demo):
    started = _recent()
    company = build(demo.ea_backend, set(_vn(demo).inventory))
    by_ref = {f"EA{order['Number']}": order for order in company.orders}

    sync_sales_orders(demo.name, since=started)

    orders = {number: o for (_, number), o in _vn(demo).sales_orders.items()}
    assert set(by_ref) <= set(orders)
    customers = {c["Id"]: c for c in company.customers}
    vn_customers = _vn(demo).customers
    exact = 0
    for ref, source in by_ref.items():
        sent = orders[ref]
        total, gross = Decimal(str(sent["orderTotal"])), Decimal(str(source["Amount"]))
        if not source["IncludesVat"]:
            gross += Decimal(str(source["VatAmount"]))
        assert abs(total - gross) <= Decimal("0.01"), (ref, total, gross)
        exact += total == gross
        customer = customers[source["CustomerId"]]
        debtor = vn_customers[sent["customer"]["number"]]
        # Quotes, accents and emoji survive; names longer than Visma.net's limit are cut.
        assert debtor["name"] == customer["Name"][:NAME_LIMIT]
        assert debtor["mainContact"]["email"] == customer["EmailAddress"]
        assert sent["currency"] == source["CurrencyCode"]
    assert exact >= len(by_ref) - 2
    assert any(o["IncludesVat"] for o in company.orders)
    assert any(not o["IncludesVat"] for o in company.orders)
    # One Visma.net customer per eAccounting customer; one contact per company with a person.
    emails = Counter(c["mainContact"]["email"] for c in vn_customers.values()
                     if c["mainContact"]["email"].endswith("@varied.example"))  # fmt: skip
    assert emails and max(emails.values()) == 1
    contacts = Counter(c.get("email") for c in _vn(demo).contacts.values())
    persons = [c for c in company.customers if c.get("ContactPersonName")]
    assert persons and all(contacts[c["ContactPersonEmail"]] == 1 for c in persons)


def test_changed_emails_and_addresses_update_the_same_customers(demo):
    started = _recent()
    company = build(demo.ea_backend, set(_vn(demo).inventory), count=9)
    sync_sales_orders(demo.name, since=started)
    orders = {number: o for (_, number), o in _vn(demo).sales_orders.items()}
    numbers = {o["CustomerId"]: orders[f"EA{o['Number']}"]["customer"]["number"]
               for o in company.orders}  # fmt: skip
    store = demo.ea_backend.store.data["customers"]
    for index, customer in enumerate(company.customers):
        stored = store[customer["Id"]]
        stored["EmailAddress"] = f"moved.{index}@varied.example"
        stored["InvoiceCity"] = "Göteborg"
    count_before = len(_vn(demo).customers)
    # New orders for the changed customers reach the same Visma.net customers, now updated.
    article = company.orders[0]["Rows"][0]["ArticleId"]
    for customer in company.customers:
        demo.ea_backend.create_order(
            {
                "CustomerId": customer["Id"], "Status": 3, "OrderDate": "2026-11-04",
                "CurrencyCode": customer["CurrencyCode"], "EuThirdParty": False,
                "RotReducedInvoicingType": 0, "ReverseChargeOnConstructionServices": False,
                "Rows": [{"LineNumber": 0, "ArticleId": article, "Quantity": 1,
                          "IsTextRow": False, "IsWorkCost": False,
                          "EligibleForReverseChargeOnVat": False}],
            }
        )  # fmt: skip
    sync_sales_orders(demo.name, since=started)

    assert len(_vn(demo).customers) == count_before
    for index, customer in enumerate(company.customers):
        debtor = _vn(demo).customers[numbers[customer["Id"]]]
        assert debtor["mainContact"]["email"] == f"moved.{index}@varied.example"
        assert debtor["mainAddress"]["city"] == "Göteborg"


def _use_amount_discounts(demo, target: str) -> None:
    config_file = next(iter(demo.config_dir.glob("*.yaml")))
    text = config_file.read_text()
    assert "    warehouse: MAIN\n" in text and "discount_mode" not in text
    text = text.replace("    warehouse: MAIN\n", "    warehouse: MAIN\n    discount_mode: amount\n")
    if target == "customer_invoice":
        # Invoices have no warehouse and no ship-via: those settings would be refused.
        text = (
            text.replace("target_document: sales_order", "target_document: customer_invoice")
            .replace("    warehouse: MAIN\n", "")
            .replace(
                "      shipping_methods: {table: {POST: POSTNORD, DHL: DHL, PICKUP: PICKUP}}\n", ""
            )
        )
    config_file.write_text(text)


def _sent_documents(demo, target: str) -> dict[str, tuple[Decimal, list[dict]]]:
    """Key (``EA<order number>``) -> Visma.net total and lines of each document sent."""
    state = _vn(demo)
    if target == "sales_order":
        return {number: (Decimal(str(o["orderTotal"])), o["lines"])
                for (_, number), o in state.sales_orders.items()}  # fmt: skip
    return {i["externalReference"]: (Decimal(str(i["amount"])), i["invoiceLines"])
            for i in state.invoices.values()}  # fmt: skip


@pytest.mark.parametrize("target", ["sales_order", "customer_invoice"])
def test_amount_discounts_arrive_with_eaccountings_totals(demo, target):
    """``discount_mode: amount``: each discounted row's discount goes as an amount (of the net
    price when the document includes VAT) and Visma.net's totals still equal eAccounting's."""
    _use_amount_discounts(demo, target)
    started = _recent()
    company = build(demo.ea_backend, set(_vn(demo).inventory), seed=20261201, count=12)
    discounted = [o for o in company.orders if any(r.get("DiscountPercentage") for r in o["Rows"])]
    assert any(o["IncludesVat"] for o in discounted)
    assert any(not o["IncludesVat"] for o in discounted)

    sync_sales_orders(demo.name, since=started)

    assert len(_sent_documents(demo, target)) == len(company.orders)
    sent = _sent_documents(demo, target)
    exact = 0
    for source in company.orders:
        total, lines = sent[f"EA{source['Number']}"]
        gross = Decimal(str(source["Amount"]))
        if not source["IncludesVat"]:
            gross += Decimal(str(source["VatAmount"]))
        # At most one cent where no net amount reaches the gross total (docs/sales-orders.md).
        assert abs(total - gross) <= Decimal("0.01"), (source["Number"], total, gross)
        exact += total == gross
        rows = [r for r in source["Rows"] if not r.get("IsTextRow")]
        for row, line in zip(rows, lines, strict=True):
            percent = Decimal(str(row.get("DiscountPercentage") or 0))
            amount = Decimal(str(line.get("discountAmount") or 0))
            # The row's discount became an amount: the percent of the line's own net price.
            expected = Decimal(str(line["quantity"])) * Decimal(str(line["unitPrice"])) * percent
            assert abs(amount - expected) <= Decimal("0.005"), (source["Number"], row, line)
            assert (amount > 0) == (percent > 0)
    assert exact >= len(company.orders) - 2
