"""The connector's document reads the flows use: pages, lookups by key, full listings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vismasync.connectors.eaccounting import EAccountingClient
from vismasync.connectors.eaccounting.client import ORDER_STATUS_CODES, PAID_STATUS
from vismasync.connectors.eaccounting.models import Article, Customer


def as_utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _pages(read: Any, **kwargs: Any) -> list[dict[str, Any]]:
    found, page = [], 1
    while items := read(page=page, **kwargs).items:
        found.extend(items)
        page += 1
    return found


def _order_key(document: dict[str, Any]) -> tuple:
    return as_utc(document["ModifiedUtc"]), document["Id"]


def test_order_pages_filter_by_status_and_change_in_a_stable_order(harness: Any) -> None:
    with harness.client() as client:
        codes = [ORDER_STATUS_CODES["Shipped"], ORDER_STATUS_CODES["Invoiced"]]
        orders = _pages(client.orders_page, changed_since=None, statuses=codes, page_size=50)
        assert orders and all(isinstance(o, dict) for o in orders)
        assert {o["Id"] for o in orders} == {o.Id for o in client.iter_orders(statuses=codes)}
        assert {o["Status"] for o in orders} == set(codes)
        assert orders == sorted(orders, key=_order_key)  # ModifiedUtc, then Id
        since = _order_key(orders[len(orders) // 2])[0]
        newer = _pages(client.orders_page, changed_since=since, statuses=codes, page_size=50)
        assert newer and all(as_utc(o["ModifiedUtc"]) >= since for o in newer)
        assert len(newer) < len(orders)
        harness.admin.delete("/_emulator/requests")
        client.orders_page(changed_since=None, statuses=[1], page=2, page_size=7)
    assert harness.requests("GET", "/v2/orders") == 1


def test_invoice_pages_by_change_and_payment(client: EAccountingClient) -> None:
    invoices = _pages(client.customer_invoices_page, changed_since=None, paid_only=False,
                      page_size=40)  # fmt: skip
    assert invoices == sorted(invoices, key=_order_key)
    assert len(invoices) == len(client.all_customer_invoices())
    paid = _pages(client.customer_invoices_page, changed_since=None, paid_only=True, page_size=40)
    assert paid and {i["PaymentStatus"] for i in paid} == {PAID_STATUS}
    assert len(paid) < len(invoices)
    assert {i["Id"] for i in paid} == {
        i["Id"] for i in client.all_customer_invoices(paid_only=True)
    }
    since = _order_key(invoices[len(invoices) // 2])[0]
    newer = _pages(client.customer_invoices_page, changed_since=since, paid_only=False,
                   page_size=40)  # fmt: skip
    assert newer and all(as_utc(i["ModifiedUtc"]) >= since for i in newer)
    assert len(newer) < len(invoices)


def test_documents_by_ids_are_chunked(harness: Any) -> None:
    with harness.client() as client:
        orders = client.all_orders()
        ids = [o["Id"] for o in orders[:30]] + ["00000000-0000-4000-8000-000000000000"]
        harness.admin.delete("/_emulator/requests")
        found = client.orders_by_ids(ids)
        assert {o["Id"] for o in found} == set(ids[:30])  # the unknown id is simply absent
        assert harness.requests("GET", "/v2/orders") == 2  # 25 + 6 ids
        invoices = client.all_customer_invoices()
        invoice_ids = [i["Id"] for i in invoices[:26]]
        assert {i["Id"] for i in client.customer_invoices_by_ids(invoice_ids)} == set(invoice_ids)
        assert client.orders_by_ids([]) == []


def test_paid_invoices_of_orders(client: EAccountingClient) -> None:
    invoices = client.all_customer_invoices()
    from_orders = [i for i in invoices if i.get("CreatedFromOrderId")]
    order_ids = sorted({i["CreatedFromOrderId"] for i in from_orders})
    assert len(order_ids) > 25  # more than one chunk
    found = client.paid_invoices_of_orders(order_ids)
    expected = {i["Id"] for i in from_orders if i["PaymentStatus"] == PAID_STATUS}
    assert expected and {i["Id"] for i in found} == expected
    assert client.paid_invoices_of_orders([]) == []


def test_one_order_and_one_customer_as_raw_json(client: EAccountingClient) -> None:
    order_id = client.all_orders()[0]["Id"]
    order = client.get_order_json(order_id)
    assert order["Id"] == order_id and isinstance(order["Rows"], list)
    assert order == client.orders_by_ids([order_id])[0]
    customer = client.all_customers_json()[0]
    assert client.get_customer_json(customer["Id"]) == customer


def test_customers_and_articles_by_key(harness: Any) -> None:
    with harness.client() as client:
        customers = client.all_customers_json()
        assert len(customers) == 60
        ids = [c["Id"] for c in customers[:40]]
        harness.admin.delete("/_emulator/requests")
        found = client.customers_by_ids(ids)
        assert all(isinstance(c, Customer) for c in found) and {c.Id for c in found} == set(ids)
        assert harness.requests("GET", "/v2/customers") == 2
        numbers = ["SKU-0001", "SKU-0111", "NO-SUCH"] + [f"SKU-{n:04d}" for n in range(2, 30)]
        articles = client.articles_by_numbers(numbers)
        assert all(isinstance(a, Article) for a in articles)
        assert {a.Number for a in articles} == set(numbers) - {"NO-SUCH"}
        assert client.customers_by_ids([]) == [] and client.articles_by_numbers([]) == []
