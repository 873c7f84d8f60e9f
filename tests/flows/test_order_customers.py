"""The Visma.net customers the sales-order flow writes: identity by the ledger's link, then by
e-mail; contact persons of matched companies; no write when nothing changed."""

from __future__ import annotations

from collections import Counter

from vismasync.config.integrations import load_integration
from vismasync.deployments.demo_integration import write_demo_config
from vismasync.engine.clients import authorize_auto_approving_eaccounting
from vismasync.flows.sales_orders import sync_sales_orders


def _vn(demo):
    return demo.vn_service.backend().state


def _orders_by_ref(demo) -> dict[str, dict]:
    return {number: order for (_, number), order in _vn(demo).sales_orders.items()}


def _new_order(demo, customer: dict, article: dict) -> dict:
    return demo.ea_backend.create_order(
        {
            "CustomerId": customer["Id"], "Status": 3, "OrderDate": "2026-11-03",
            "CurrencyCode": customer.get("CurrencyCode") or "SEK", "EuThirdParty": False,
            "RotReducedInvoicingType": 0, "ReverseChargeOnConstructionServices": False,
            "Rows": [{"LineNumber": 0, "ArticleId": article["Id"], "Quantity": 1,
                      "IsTextRow": False, "IsWorkCost": False,
                      "EligibleForReverseChargeOnVat": False}],
        }
    )  # fmt: skip


def test_a_changed_email_updates_the_linked_customer_instead_of_creating_another(demo):
    sync_sales_orders(demo.name)
    sent = _orders_by_ref(demo)
    ea_customers = demo.ea_backend.store.data["customers"]
    orders = demo.ea_backend.store.data["orders"].values()
    order = next(o for o in orders if f"EA{o['Number']}" in sent)
    customer = ea_customers[order["CustomerId"]]
    number = sent[f"EA{order['Number']}"]["customer"]["number"]
    customer["EmailAddress"] = "renamed.buyer+åäö@example.com"
    article = next(a for a in demo.ea_backend.store.data["articles"].values()
                   if a["Number"] in _vn(demo).inventory and a["IsActive"])  # fmt: skip
    added = _new_order(demo, customer, article)
    customers_before = len(_vn(demo).customers)

    sync_sales_orders(demo.name)

    arrived = _orders_by_ref(demo)[f"EA{added['Number']}"]
    assert arrived["customer"]["number"] == number
    assert len(_vn(demo).customers) == customers_before
    assert _vn(demo).customers[number]["mainContact"]["email"] == customer["EmailAddress"]


def test_a_second_integration_on_the_same_companies_writes_no_unchanged_customer(demo):
    sync_sales_orders(demo.name)
    second = f"{demo.name}-b"
    write_demo_config(demo.config_dir, second, demo.eaccounting.base_url, demo.vismanet.base_url)
    authorize_auto_approving_eaccounting(load_integration(second))
    demo.reset_counts()

    result = sync_sales_orders(second)

    counts = demo.vismanet.counts()
    assert counts.get(("PUT", "/API/v1/customer/{customerCd}"), 0) == 0
    assert counts.get(("POST", "/API/v1/customer"), 0) == 0
    assert counts.get(("POST", "/API/v1/contact"), 0) == 0
    assert "customer: read" in result["summary"] and "updated 0" in result["summary"]


def test_matched_company_customers_get_their_contact_person_once(demo):
    existing = set(_vn(demo).customers)
    sync_sales_orders(demo.name)
    sync_sales_orders(demo.name)

    ea_customers = demo.ea_backend.store.data["customers"]
    by_number: dict[str, dict] = {}
    for ref, order in _orders_by_ref(demo).items():
        source = next(o for o in demo.ea_backend.store.data["orders"].values()
                      if f"EA{o['Number']}" == ref)  # fmt: skip
        by_number[order["customer"]["number"]] = ea_customers[source["CustomerId"]]
    contacts = Counter(
        (c.get("businessAccount"), (c.get("email") or "").lower())
        for c in _vn(demo).contacts.values()
    )
    matched_companies = [
        (number, customer) for number, customer in by_number.items()
        if number in existing and not customer["IsPrivatePerson"]
        and customer.get("ContactPersonName")
    ]  # fmt: skip
    assert matched_companies, "the demo has companies that already exist in Visma.net"
    for number, customer in matched_companies:
        email = (customer.get("ContactPersonEmail") or customer["EmailAddress"]).lower()
        # Found among the customer's contacts, or created: either way there is exactly one.
        assert contacts[(number, email)] == 1, (number, customer["ContactPersonName"])
