"""The sales-order flow on a varied, generated company (not the uniform demo), checked in the
Visma.net emulator: every order once, with eAccounting's totals, on the right customer."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from tests.flows.varied_company import build
from vismasync.flows.sales_orders import sync_sales_orders
from vismasync.mappings.vismanet_customers import NAME_LIMIT


def _vn(demo):
    return demo.vn_service.backend().state


def test_a_varied_company_arrives_once_with_its_totals_and_customers(demo):
    company = build(demo.ea_backend, set(_vn(demo).inventory))
    by_ref = {f"EA{order['Number']}": order for order in company.orders}

    sync_sales_orders(demo.name)

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
    company = build(demo.ea_backend, set(_vn(demo).inventory), count=9)
    sync_sales_orders(demo.name)
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
    sync_sales_orders(demo.name)

    assert len(_vn(demo).customers) == count_before
    for index, customer in enumerate(company.customers):
        debtor = _vn(demo).customers[numbers[customer["Id"]]]
        assert debtor["mainContact"]["email"] == f"moved.{index}@varied.example"
        assert debtor["mainAddress"]["city"] == "Göteborg"
