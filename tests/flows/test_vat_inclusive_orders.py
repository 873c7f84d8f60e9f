"""Orders of private persons, whose eAccounting prices include VAT, arrive in Visma.net with
the same totals (built through the eAccounting emulator, checked in the Visma.net emulator)."""

from __future__ import annotations

import random
from decimal import Decimal

from vismasync.flows.sales_orders import sync_sales_orders


def _private_customers(demo) -> list[dict]:
    customers = demo.ea_backend.store.data["customers"].values()
    return [c for c in customers if c["IsPrivatePerson"] and c.get("EmailAddress")]


def _sellable_articles(demo) -> list[dict]:
    known = set(demo.vn_service.backend().state.inventory)
    articles = demo.ea_backend.store.data["articles"].values()
    return [a for a in articles if a["IsActive"] and a["Number"] in known]


def _order(demo, rng: random.Random, customers: list[dict], articles: list[dict]) -> dict:
    rows = [
        {
            "LineNumber": i, "ArticleId": article["Id"], "Quantity": rng.randint(1, 7),
            "UnitPrice": round(rng.uniform(0.5, 2500), 2), "IsTextRow": False,
            "IsWorkCost": False, "EligibleForReverseChargeOnVat": False,
            "DiscountPercentage": rng.choice([0, 0, 0.1, 0.125]),
        }
        for i, article in enumerate(rng.sample(articles, rng.randint(1, 5)))
    ]  # fmt: skip
    customer = rng.choice(customers)
    return demo.ea_backend.create_order(
        {
            "CustomerId": customer["Id"], "Status": 3, "Rows": rows, "OrderDate": "2026-11-02",
            "CurrencyCode": customer.get("CurrencyCode") or "SEK", "EuThirdParty": False,
            "RotReducedInvoicingType": 0, "ReverseChargeOnConstructionServices": False,
        }
    )  # fmt: skip


def test_vat_inclusive_orders_arrive_net_with_the_same_totals(demo):
    demo.ea_backend.store.company["ShowPricesExclVatPC"] = False
    rng = random.Random(20261130)
    customers, articles = _private_customers(demo), _sellable_articles(demo)
    created = [_order(demo, rng, customers, articles) for _ in range(12)]
    assert all(order["IncludesVat"] for order in created)

    sync_sales_orders(demo.name)

    vn = {number: o for (_, number), o in demo.vn_service.backend().state.sales_orders.items()}
    exact = 0
    for order in created:
        sent = vn[f"EA{order['Number']}"]
        gross = Decimal(str(order["Amount"]))
        total = Decimal(str(sent["orderTotal"]))
        # The gross prices went out net: Visma.net's VAT is added on top of a smaller amount.
        assert Decimal(str(sent["vatTaxableTotal"])) < gross
        assert abs(total - gross) <= Decimal("0.01"), (order["Number"], total, gross)
        exact += total == gross
    assert exact >= len(created) - 2
