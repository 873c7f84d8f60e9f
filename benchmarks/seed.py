"""The benchmark's eAccounting company: the demo company with N generated shipped orders."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

SEED_BASE_TIME = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
# The generated orders' change times all fall within this span before the newest one, so that
# a run after the first reads every order again through the default overlap window (10
# minutes): the no-op figure is that of a company whose orders all changed recently.
RECENT_SPAN = timedelta(minutes=9)


def change_step(orders: int) -> timedelta:
    """Time between two generated orders' changes: one second, or less so that all ``orders``
    fit in :data:`RECENT_SPAN` (whole milliseconds: eAccounting's timestamps carry no more)."""
    span_ms = int(RECENT_SPAN / timedelta(milliseconds=1))
    return timedelta(milliseconds=max(1, min(1000, span_ms // max(orders, 1))))


class _SteppingClock:
    """Distinct, ordered change times for the generated orders (``step`` apart)."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


def build_eaccounting_seed(orders: int) -> dict[str, Any]:
    """The demo company's reference data, customers and articles, plus ``orders`` generated
    shipped orders (1-4 article rows, some discounts, some with a shipping row) for customers
    and articles that exist in both demo companies, so that every order can be sent. The
    orders' change times are :func:`change_step` apart.

    The same document for the same ``orders`` on every run.
    """
    from vismasync.emulators.demo_catalogue import demo_catalogue
    from vismasync.emulators.eaccounting.backend import EAccountingBackend
    from vismasync.emulators.eaccounting.seed import demo_seed

    base = demo_seed()
    for documents in ("orders", "customerinvoices", "customerinvoicedrafts", "vouchers"):
        base[documents] = []
    base["payments"] = []
    clock = _SteppingClock(SEED_BASE_TIME, change_step(orders))
    backend = EAccountingBackend(base, clock=clock)
    backend.store.id_seed = 1_000_003  # ids unlike the emulator's own (seed 0 after a load)
    backend.store._ids.seed(backend.store.id_seed)

    catalogue = demo_catalogue()
    sendable = {
        p.sku
        for p in catalogue.products
        if p.in_eaccounting and p.in_vismanet and p.active and p.sku != "SHIPPING"
    }
    articles = {a["Number"]: a for a in base["articles"]}
    sellable = [articles[sku] for sku in sorted(sendable) if sku in articles]
    shipping = articles["SHIPPING"]
    customers = sorted(
        (c for c in base["customers"] if c.get("EmailAddress")), key=lambda c: c["CustomerNumber"]
    )
    methods = [m for m in base["deliverymethods"] if m["Code"] != "PICKUP"]
    rng = random.Random(20260105)
    for number in range(orders):
        customer = customers[rng.randrange(len(customers))]
        rows = []
        for line, article in enumerate(rng.sample(sellable, rng.randint(1, 4))):
            discount = rng.choice([0.0, 0.05, 0.1, 0.15]) if number % 4 == 1 else None
            rows.append({
                "LineNumber": line, "ArticleId": article["Id"],
                "Quantity": float(rng.randint(1, 5)), "DiscountPercentage": discount,
                "IsTextRow": False, "IsWorkCost": False, "EligibleForReverseChargeOnVat": False,
            })  # fmt: skip
        method = methods[number % len(methods)] if number % 3 else None
        if method is not None:
            rows.append({
                "LineNumber": len(rows), "ArticleId": shipping["Id"], "Quantity": 1.0,
                "UnitPrice": rng.choice([49.0, 79.0, 129.0]), "IsTextRow": False,
                "IsWorkCost": False, "EligibleForReverseChargeOnVat": False,
            })  # fmt: skip
        order_date = (SEED_BASE_TIME - timedelta(days=60) + timedelta(hours=1 * number)).date()
        shipped = (order_date + timedelta(days=2)).isoformat()
        backend.create_order({
            "CustomerId": customer["Id"], "CurrencyCode": customer["CurrencyCode"],
            "EuThirdParty": False, "ReverseChargeOnConstructionServices": False,
            "RotReducedInvoicingType": 0, "OrderDate": order_date.isoformat(), "Status": 3,
            "Rows": rows, "YourReference": customer.get("ContactPersonName") or customer["Name"],
            "OurReference": "Demo Handel", "BuyersOrderReference": f"PO-{90000 + number}",
            "DeliveryMethodCode": method["Code"] if method else None,
            "DeliveryMethodName": method["Name"] if method else None,
            "ShippedDateTime": shipped, "DeliveryDate": shipped,
        })  # fmt: skip
    return backend.store.export_state()
