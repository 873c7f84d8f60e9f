"""Sales orders written to Visma.net several at a time (``vismanet.write_concurrency``), against
both emulators as real servers and real PostgreSQL. The exactly-once cases with concurrency
are in ``test_write_contract.py``; the pacing of the shared budget in
``tests/connectors/test_budget.py``."""

from __future__ import annotations

from collections import Counter

from vismasync.flows.sales_orders import sync_sales_orders
from vismasync.store.database import get_engine
from vismasync.store.ledger import list_entries
from vismasync.store.models import LedgerStatus

V3_ORDERS = "/salesorders-api/api/v3/SalesOrders"


def with_write_concurrency(demo, workers: int) -> None:
    path = next(iter(demo.config_dir.glob("*.yaml")))
    text = path.read_text()
    line = next(line for line in text.splitlines() if line.startswith("  tenant_id:"))
    path.write_text(text.replace(line, f"{line}\n  write_concurrency: {workers}", 1))


def slow_order_creates(demo, latency_ms: int = 50) -> None:
    """Visma.net answers every order create ``latency_ms`` late (the real one: hundreds)."""
    demo.vismanet.admin.put(
        "/_emulator/faults",
        json={"latency_ms": latency_ms, "path_prefix": V3_ORDERS, "methods": ["POST"]},
    ).raise_for_status()


def most_at_once(demo) -> int:
    return int(demo.vismanet.admin.get("/_emulator/requests").json()["max_in_flight"])


def new_orders(demo, count: int) -> None:
    """``count`` more shipped orders of a customer and an article the first run sent."""
    backend = demo.ea_backend
    sent = {o["customerRefNo"] for o in demo.vn_service.backend().state.sales_orders.values()}
    known = next(o for o in backend.store.data["orders"].values() if f"EA{o['Number']}" in sent)
    row = {
        "LineNumber": 0, "ArticleId": known["Rows"][0]["ArticleId"], "Quantity": 1,
        "IsTextRow": False, "IsWorkCost": False, "EligibleForReverseChargeOnVat": False,
    }  # fmt: skip
    for _ in range(count):
        backend.create_order({
            "CustomerId": known["CustomerId"], "Status": 3, "OrderDate": "2026-11-05",
            "CurrencyCode": known["CurrencyCode"], "EuThirdParty": False,
            "RotReducedInvoicingType": 0, "ReverseChargeOnConstructionServices": False,
            "Rows": [row],
        })  # fmt: skip


def test_orders_are_written_several_at_a_time_and_each_exactly_once(demo):
    with_write_concurrency(demo, 4)
    slow_order_creates(demo)

    result = sync_sales_orders(demo.name)

    overlapping = most_at_once(demo)
    assert 1 < overlapping <= 4, f"the creates did not overlap: at most {overlapping} at once"
    orders = demo.vn_service.backend().state.sales_orders.values()
    references = Counter(order["customerRefNo"] for order in orders)
    assert references and max(references.values()) == 1
    assert not list_entries(get_engine(), integration=demo.name, statuses=[LedgerStatus.IN_FLIGHT])
    orders_row = next(row for row in result["table"] if row["entity"] == "order")
    assert orders_row["created"] == len(references)


def test_one_writer_sends_one_order_at_a_time(demo):
    """The setting is what makes writes overlap: with 1 they never do."""
    sync_sales_orders(demo.name)
    new_orders(demo, 3)
    with_write_concurrency(demo, 1)
    slow_order_creates(demo)
    demo.reset_counts()

    sync_sales_orders(demo.name)

    posts = sum(n for (method, route), n in demo.vismanet.counts().items()
                if method == "POST" and route.lower().endswith("/salesorders"))  # fmt: skip
    assert posts == 3
    assert most_at_once(demo) == 1


def test_order_customers_are_upserted_several_at_a_time_and_a_shared_email_stays_one(demo):
    """The customer step writes ``write_concurrency`` customers at once, but two eAccounting
    customers with one e-mail address go one after the other: one Visma.net customer."""
    from vismasync.engine.run import sync_run
    from vismasync.engine.summary import RunSummary
    from vismasync.mappings.vismanet_customers import missing_fields
    from vismasync.tasks.sales_orders.customers import resolve_customers

    with_write_concurrency(demo, 4)
    demo.vismanet.admin.put(
        "/_emulator/faults", json={"latency_ms": 100, "path_prefix": "/API/v1/customer"}
    ).raise_for_status()
    known = {_email(c) for c in demo.vn_service.backend().state.customers.values()}
    customers = sorted(
        (dict(c) for c in demo.ea_backend.store.data["customers"].values()
         if c.get("EmailAddress") and not missing_fields(c) and c["EmailAddress"] not in known),
        key=lambda c: c["CustomerNumber"],
    )[:8]  # fmt: skip
    assert len(customers) == 8
    customers[1]["EmailAddress"] = customers[0]["EmailAddress"]

    summary = RunSummary("sales_orders", demo.name)
    with sync_run(demo.name, "sales_orders") as ctx:
        resolved = resolve_customers(ctx, customers, summary)

    assert most_at_once(demo) > 1, "the customer writes did not overlap"
    numbers = [resolved[str(c["Id"])].target_key for c in customers]
    assert numbers[0] == numbers[1] and len(set(numbers)) == 7
    vn = demo.vn_service.backend().state.customers.values()
    by_email = Counter(_email(c) for c in vn if _email(c) in {x["EmailAddress"] for x in customers})
    assert by_email and set(by_email.values()) == {1}
    assert summary.counts["customer"]["created"] == 7
    assert not list_entries(get_engine(), integration=demo.name, statuses=[LedgerStatus.IN_FLIGHT])


def _email(vn_customer: dict) -> str | None:
    return (vn_customer.get("mainContact") or {}).get("email")
