"""The Visma.net connector against the emulator as a real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from vn_connector_helpers import Recorder, make_client

from vismasync.connectors.http import (
    AuthError,
    ConfigError,
    DataError,
    RateLimitedError,
    TransientError,
)
from vismasync.connectors.vismanet import VismaNetClient
from vismasync.connectors.vismanet.writes import (
    ContactInfoWrite,
    ContactWrite,
    CustomerInvoiceWrite,
    CustomerWrite,
    InvoiceLineWrite,
    JournalLineWrite,
    JournalTransactionWrite,
    SalesOrderLineWrite,
    SalesOrderWrite,
)


def an_order(customer: str = "10001", sku: str = "SKU-0001") -> SalesOrderWrite:
    line = SalesOrderLineWrite(inventory_number=sku, quantity=Decimal(2),
                               discount_percent=Decimal("10"))  # fmt: skip
    return SalesOrderWrite(customer=customer, branch_number="1", lines=[line])


def test_paging_follows_to_the_end(client: VismaNetClient, recorder: Recorder) -> None:
    items = list(client.list_inventory())
    assert len(items) == 116 and len({i.inventory_number for i in items}) == 116
    pages = [r for r in recorder.requests if r.url.path.endswith("/v1/inventory")]
    assert len(pages) == 17  # ceil(116 / 7)
    assert all(r.url.params["expandWarehouseDetail"] == "true" for r in pages)


def test_paging_survives_server_side_clamping(vn_base: str) -> None:
    # page_size 1000 is clamped to the emulator's 25: totalCount still drives the loop.
    with make_client(vn_base, page_size=1000) as c:
        assert len(list(c.list_customers())) == 20
        for i in range(30):
            c.create_customer(CustomerWrite(name=f"Bulk {i}"))
        assert len(list(c.list_customers())) == 50


def test_changed_since_sends_a_zone_less_condition(
    client: VismaNetClient, recorder: Recorder
) -> None:
    since = datetime(2026, 1, 5, 11, 30, tzinfo=UTC)
    changed = list(client.list_customers(since))
    assert changed and all(c.last_modified_date_time >= since.replace(tzinfo=None) for c in changed)
    sent = recorder.requests[-1].url.params
    assert sent["lastModifiedDateTime"] == "2026-01-05T11:30:00.000"
    assert sent["lastModifiedDateTimeCondition"] == ">="


def test_token_is_cached_and_renewed_after_expiry(vn_base: str, client: VismaNetClient) -> None:
    for _ in range(5):
        client.list_branches()
    assert client.auth.requests_made == 1
    httpx.post(f"{vn_base}/_emulator/tokens/expire").raise_for_status()
    assert client.list_branches()  # 401 -> one re-authentication -> success
    assert client.auth.requests_made == 2


def test_customer_create_update_and_lookup_by_email(client: VismaNetClient) -> None:
    number = client.create_customer(
        CustomerWrite(name="Fjord AB", main_contact=ContactInfoWrite(email="post@fjord.example"))
    )
    assert client.find_customer_by_email("post@fjord.example").number == number
    assert client.find_customer_by_email("nobody@example.com") is None
    client.update_customer(number, CustomerWrite(name="Fjord Handel AB"))
    assert client.get_customer(number).name == "Fjord Handel AB"
    contact_id = client.create_contact(
        ContactWrite(first_name="Eva", last_name="Berg", business_account=number, email="e@f.se")
    )
    assert [c.contact_id for c in client.list_contacts(number)] == [contact_id]
    assert client.get_customer("NOPE") is None


def test_sales_order_key_lookup_is_one_call(client: VismaNetClient, recorder: Recorder) -> None:
    assert client.find_sales_order("SO", "EA-1042") is None
    ref = client.create_sales_order(an_order(), key="EA-1042")
    assert ref.order_number == "EA-1042"
    before = len(recorder.requests)
    found = client.find_sales_order("SO", "EA-1042")
    assert len(recorder.requests) == before + 1
    assert found.customer_ref_no == "EA-1042" and found.order_total > 0
    with pytest.raises(DataError) as caught:
        client.create_sales_order(an_order(), key="EA-1042")
    assert caught.value.error_id and caught.value.status_code == 400


def test_missing_sku_is_a_data_error_with_the_api_message(client: VismaNetClient) -> None:
    with pytest.raises(DataError) as caught:
        client.create_sales_order(an_order(sku="SKU-0112"), key="EA-1")
    assert "SKU-0112" in caught.value.message and len(caught.value.error_id) == 36


def test_invoice_and_journal(client: VismaNetClient) -> None:
    invoice = CustomerInvoiceWrite(
        customer_number="10001", external_reference="EA-INV-7",
        invoice_lines=[InvoiceLineWrite(inventory_number="SKU-0003", quantity=Decimal(1))],
    )  # fmt: skip
    number = client.create_customer_invoice(invoice)
    found = client.find_customer_invoice_by_external_reference("EA-INV-7")
    assert found.reference_number == number and found.amount > 0
    assert client.find_customer_invoice_by_external_reference("EA-INV-8") is None
    batch = JournalTransactionWrite(
        transaction_date=datetime(2026, 1, 10),
        journal_transaction_lines=[
            JournalLineWrite(account_number="1930", debit_amount_in_currency=Decimal("9.5")),
            JournalLineWrite(account_number="3001", credit_amount_in_currency=Decimal("9.5")),
        ],
    )
    batch_number = client.create_journal_transaction(batch)
    assert client.get_journal_transaction(batch_number).debit_total == Decimal("9.5")


def test_customer_invoices_are_read_raw_over_every_page(
    client: VismaNetClient, recorder: Recorder
) -> None:
    before = list(client.iter_customer_invoices())
    for i in range(8):
        client.create_customer_invoice(
            CustomerInvoiceWrite(
                customer_number="10001", external_reference=f"EA-RAW-{i}",
                invoice_lines=[InvoiceLineWrite(inventory_number="SKU-0003",
                                                quantity=Decimal(1))],
            )
        )  # fmt: skip
    recorder.requests.clear()
    invoices = list(client.iter_customer_invoices())
    assert len(invoices) == len(before) + 8 and all(isinstance(i, dict) for i in invoices)
    assert {f"EA-RAW-{i}" for i in range(8)} <= {i.get("externalReference") for i in invoices}
    pages = [r for r in recorder.requests if r.url.path.endswith("/v1/customerinvoice")]
    assert len(pages) == -(-len(invoices) // 7)  # every page of 7


def test_reference_data_and_stock(client: VismaNetClient) -> None:
    assert {b.number for b in client.list_branches()} == {"1", "2", "3"}
    assert {w.warehouse_id for w in client.list_warehouses()} == {"MAIN", "NORTH"}
    assert len(client.list_credit_terms()) == 3
    assert {t.order_type for t in client.list_sales_order_types()} >= {"SO"}
    assert client.list_carriers() and client.list_payment_methods()
    assert client.list_vat_categories()
    item = client.get_inventory("SKU-0001")
    rows = client.inventory_summary("SKU-0001")
    assert {r.warehouse.id: r.on_hand for r in rows} == {
        d.warehouse: d.quantity_on_hand for d in item.warehouse_details
    }


def test_gets_retry_429_honouring_retry_after(
    vn_base: str, client: VismaNetClient, sleeps: list[float]
) -> None:
    httpx.put(
        f"{vn_base}/_emulator/faults", json={"rate_limit_storm": 2, "path_prefix": "/API"}
    ).raise_for_status()
    assert client.list_branches()
    # Retry-After (1 s) twice; with a fake sleep the budget limiter also waits for the
    # announced reset, which a real sleep would already have passed.
    assert sleeps.count(1.0) == 2 and all(0 < s <= 1.0 for s in sleeps)


def test_budget_exhaustion_waits_for_the_window(
    vn_base: str, vn_connector_service, client: VismaNetClient, sleeps: list[float]
) -> None:
    vn_connector_service.budget.limit = 3
    client.list_branches()  # token + 1 call; the limiter now knows the budget
    client.list_branches()
    client.list_branches()

    def advance(seconds: float) -> None:
        sleeps.append(seconds)
        vn_connector_service.budget.clock.now += seconds

    client.http.limiter.sleep = advance
    assert client.list_branches()  # the limiter waited for X-RateLimit-Reset instead of a 429
    assert sleeps and sleeps[0] > 0


def test_gets_retry_5xx_but_writes_do_not(vn_base: str, client: VismaNetClient) -> None:
    httpx.put(
        f"{vn_base}/_emulator/faults", json={"error_rate": 1.0, "path_prefix": "/API"}
    ).raise_for_status()
    with pytest.raises(TransientError):
        client.list_branches()
    counts = httpx.get(f"{vn_base}/_emulator/requests").json()["counts"]
    assert {(c["route"], c["count"]) for c in counts} >= {("/API/v1/branch", 4)}
    with pytest.raises(TransientError):
        client.create_customer(CustomerWrite(name="Once"))
    counts = httpx.get(f"{vn_base}/_emulator/requests").json()["counts"]
    assert ("POST", "/API/v1/customer", 1) in {
        (c["method"], c["route"], c["count"]) for c in counts
    }


def test_commit_then_drop_is_resolved_by_lookup_before_retry(
    vn_base: str, client: VismaNetClient
) -> None:
    httpx.put(
        f"{vn_base}/_emulator/faults", json={"drop_after_commit": 1, "path_prefix": "/API"}
    ).raise_for_status()
    with pytest.raises(TransientError):
        client.create_sales_order(an_order(), key="EA-555")
    found = client.find_sales_order("SO", "EA-555")
    assert found is not None and found.order_no == "EA-555"


def test_error_taxonomy_for_credentials_and_scopes(vn_base: str) -> None:
    with make_client(vn_base, client_secret="s3cr3t-value") as bad:
        with pytest.raises(AuthError) as caught:
            bad.list_branches()
        assert caught.value.code == "invalid_client"
        assert "s3cr3t-value" not in str(caught.value) and "s3cr3t-value" not in repr(bad)
    with make_client(vn_base, tenant_id="elsewhere") as other, pytest.raises(ConfigError):
        other.list_branches()
    readonly = make_client(
        vn_base, client_id="vismasync-demo-readonly", scopes=("vismanet_erp_service_api:read",)
    )
    with readonly, pytest.raises(ConfigError):
        readonly.create_customer(CustomerWrite(name="No"))
    with make_client(vn_base, tenant_id="demo-customer-tenant") as customer_level:
        with pytest.raises(AuthError) as caught:
            customer_level.list_branches()
        assert caught.value.code == "12027"


def test_secrets_stay_out_of_reprs(client: VismaNetClient) -> None:
    client.list_branches()
    token = client.auth.token()
    for text in (repr(client), repr(client.auth), str(vars(client.http))):
        assert "demo-secret" not in text and token not in text


def test_writes_retry_a_429_since_the_gateway_refused_them(
    vn_base: str, client: VismaNetClient, sleeps: list[float]
) -> None:
    httpx.put(
        f"{vn_base}/_emulator/faults", json={"rate_limit_storm": 1, "path_prefix": "/API"}
    ).raise_for_status()
    number = client.create_customer(CustomerWrite(name="Patient AB"))
    assert client.get_customer(number).name == "Patient AB"
    assert sleeps[0] == 1.0 and all(0 < s <= 1.0 for s in sleeps)
    assert len(list(client.list_customers(datetime.now(UTC) - timedelta(hours=1)))) == 1


def test_rate_limited_error_surfaces_beyond_the_policy(vn_base: str, sleeps: list[float]) -> None:
    httpx.put(
        f"{vn_base}/_emulator/faults", json={"rate_limit_storm": 9, "path_prefix": "/API"}
    ).raise_for_status()
    with make_client(vn_base, sleep=sleeps.append) as c, pytest.raises(RateLimitedError):
        c.list_branches()
