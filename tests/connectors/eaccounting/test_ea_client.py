"""The connector against the emulator as a real server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from vismasync.connectors.eaccounting import EAccountingClient, InMemoryTokenStore
from vismasync.connectors.http import (
    AuthError,
    ConfigError,
    DataError,
    RateLimitedError,
    SlidingWindowLimiter,
    TransientError,
)
from vismasync.emulators.eaccounting.ratelimit import RateLimiter


@pytest.mark.parametrize("page_size", [1, 7, 50, 500])
def test_iterators_follow_every_page(harness: Any, page_size: int) -> None:
    with harness.client(page_size=page_size) as client:
        customers = list(client.iter_customers())
        assert len(customers) == len({c.Id for c in customers}) == 60
    expected_calls = -(-60 // page_size)
    assert harness.requests("GET", "/v2/customers") == expected_calls


def test_reads_are_typed(client: EAccountingClient) -> None:
    orders = list(client.iter_orders(statuses=[3, 4]))
    assert orders and {o.Status for o in orders} == {3, 4}
    order = client.get_order(orders[0].Id)
    assert order.Rows and isinstance(order.Rows[0].UnitPrice, Decimal)
    invoices = list(client.iter_customer_invoices(payment_statuses=[0]))
    assert invoices and all(i.PaymentStatus == 0 and i.CreatedFromOrderId for i in invoices)
    article = client.find_article_by_number("SKU-0111")
    assert article is not None and article.Number == "SKU-0111"
    assert client.get_article(article.Id).Name == article.Name
    assert client.find_article_by_number("NO-SUCH") is None
    assert {u.Code for u in client.list_units()} == {"st", "pkt", "m"}
    assert client.list_vat_codes() and client.list_terms_of_payments()
    assert client.list_delivery_methods() and client.list_article_account_codings()
    assert client.get_company_settings().CurrencyCode == "SEK"


def test_changed_since_returns_only_newer_records(client: EAccountingClient) -> None:
    orders = list(client.iter_orders())
    middle = sorted(o.ModifiedUtc for o in orders if o.ModifiedUtc)[200]
    newer = list(client.iter_orders(modified_since=middle))
    assert len(newer) == 120 and all(o.ModifiedUtc and o.ModifiedUtc >= middle for o in newer)
    stamps = [o.ModifiedUtc for o in newer]
    assert stamps == sorted(stamps)  # oldest change first
    invoices = list(client.iter_customer_invoices(modified_since=middle))
    assert all(i.ModifiedUtc and i.ModifiedUtc >= middle for i in invoices)
    customers = list(client.iter_customers(changed_since=datetime(2030, 1, 1, tzinfo=UTC)))
    assert customers == []


def test_find_by_email_escapes_quotes(client: EAccountingClient) -> None:
    found = client.find_customers_by_email("o'brien.27@example.com")
    assert [c.EmailAddress for c in found] == ["o'brien.27@example.com"]
    assert client.find_customers_by_email("x' or IsActive eq true or 'a") == []


def test_create_modify_and_stock_balance(client: EAccountingClient) -> None:
    terms = client.list_terms_of_payments()[0]
    created = client.create_customer(
        {"Name": "Ny Kund AB", "InvoiceCity": "Malmö", "InvoicePostalCode": "211 20",
         "IsActive": True, "IsPrivatePerson": False, "TermsOfPaymentId": terms.Id,
         "EmailAddress": "ny@example.com", "Note": "kept across modify"},
    )  # fmt: skip
    assert created.CustomerNumber and created.ChangedUtc
    changed = client.modify_customer(created.Id, {"Telephone": "+46 8 123"})
    assert changed.Telephone == "+46 8 123"
    assert changed.model_extra and changed.model_extra["Note"] == "kept across modify"
    assert client.find_customers_by_email("ny@example.com")[0].Id == created.Id
    article = client.find_article_by_number("SKU-0001")
    assert article is not None
    updated = client.set_article_stock_balance(article.Id, 42)
    assert updated.StockBalance == 42
    assert updated.StockBalanceAvailable == 42 - (updated.StockBalanceReserved or 0)
    assert updated.Name == article.Name and updated.NetPrice == article.NetPrice


def test_validation_errors_carry_the_api_details(client: EAccountingClient) -> None:
    with pytest.raises(DataError) as raised:
        client.create_customer({"Name": "x" * 60})
    error = raised.value
    assert (error.status_code, error.code) == (400, 2000)
    assert error.error_id and "DataModelValidationError" in error.message
    assert {d["Field"] for d in error.details} >= {"Name", "InvoiceCity", "TermsOfPaymentId"}


def test_expired_token_is_refreshed_once_and_the_call_retried(harness: Any) -> None:
    store = InMemoryTokenStore()
    with harness.client(store) as client:
        version = store.load().version
        harness.admin.post("/_emulator/tokens/expire")
        assert client.list_units()
        assert store.load().version == version + 1
    assert harness.requests("GET", "/v2/units") == 2  # the 401 and the retry
    assert harness.requests("POST", "/connect/token") == 2  # exchange + one refresh


def test_a_second_401_is_an_auth_error(harness: Any) -> None:
    with harness.client() as client:
        harness.backend.identity.token_lifetime = 0  # every new token is born expired
        harness.admin.post("/_emulator/tokens/expire")
        with pytest.raises(AuthError) as raised:
            client.list_units()
    assert raised.value.status_code == 401 and raised.value.code == 4005


def test_proactive_refresh_before_expiry(harness: Any) -> None:
    store = InMemoryTokenStore()
    with harness.client(store) as client:
        stored = store.load()
        near = replace(stored.tokens, expires_at=datetime.now(UTC) + timedelta(seconds=30))
        store.save(near)
        client.list_units()
        assert store.load().tokens.refresh_token != stored.tokens.refresh_token
    assert harness.requests("GET", "/v2/units") == 1  # refreshed before, not after a 401


def test_two_workers_share_one_rotation(harness: Any) -> None:
    store = InMemoryTokenStore()
    with harness.client(store) as first, harness.client(store) as second:
        harness.admin.post("/_emulator/tokens/expire")
        assert first.list_units() and second.list_units()
    assert harness.requests("POST", "/connect/token") == 2  # exchange + a single refresh


def test_a_reused_refresh_token_fails_cleanly(harness: Any) -> None:
    stale = InMemoryTokenStore()
    with harness.client() as owner:
        stale.save(owner.tokens.store.load().tokens)  # a copy that will go stale
        harness.admin.post("/_emulator/tokens/expire")
        owner.list_units()  # rotates: the copy's refresh token is now spent
    with harness.client(stale) as other, pytest.raises(AuthError, match="invalid_grant"):
        other.list_units()


def test_missing_scope_is_a_config_error(harness: Any) -> None:
    scopes = ["ea:api", "offline_access", "ea:accounting"]
    with harness.client(scopes=scopes) as client, pytest.raises(ConfigError) as raised:
        client.list_units()
    assert raised.value.code == 4006


def test_rate_limit_is_waited_out_with_the_advertised_time(harness: Any) -> None:
    harness.admin.put("/_emulator/faults", json={"rate_limit_storm": 2, "path_prefix": "/v2"})
    with harness.client() as client:
        assert client.list_units()
    assert harness.sleeps == [60.0, 60.0]


def test_rate_limit_beyond_the_retries_surfaces_with_its_details(harness: Any) -> None:
    harness.backend.limiter = RateLimiter(2, 60.0)
    with harness.client() as client:
        client.list_units()
        with pytest.raises(RateLimitedError) as raised:
            client.get_company_settings()
            client.get_company_settings()
            client.get_company_settings()
    assert raised.value.code == 4010 and raised.value.retry_after is not None
    assert "Try again in" in raised.value.message


def test_client_side_limiter_keys_by_endpoint(harness: Any) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        harness.sleeps.append(seconds)
        now[0] += seconds

    limiter = SlidingWindowLimiter(limit=2, window=60, clock=lambda: now[0], sleep=sleep)
    with harness.client(limiter=limiter) as client:
        harness.sleeps.clear()
        client.list_units()
        client.list_units()
        client.get_company_settings()  # another endpoint: no wait
        assert harness.sleeps == []
        client.list_units()  # third call to /units inside the window waits
        assert harness.sleeps and harness.sleeps[0] == pytest.approx(60)


def test_transient_errors_retry_reads_but_never_writes(harness: Any) -> None:
    with harness.client() as client:
        harness.admin.put(
            "/_emulator/faults", json={"error_rate": 0.5, "error_status": 503, "seed": 3}
        )
        assert len(list(client.iter_customers())) == 60  # GETs retried through the 503s
        harness.admin.put("/_emulator/faults", json={"error_rate": 1.0, "methods": ["POST"]})
        harness.admin.delete("/_emulator/requests")
        with pytest.raises(TransientError) as raised:
            client.create_customer({"Name": "x"})
        assert raised.value.status_code == 500 and raised.value.code == 5000
    assert harness.requests("POST", "/v2/customers") == 1


def test_commit_then_drop_is_observed_and_the_write_is_found_by_lookup(harness: Any) -> None:
    harness.admin.put("/_emulator/faults", json={"drop_after_commit": 1, "path_prefix": "/v2"})
    with harness.client() as client:
        terms = client.list_terms_of_payments()[0]
        with pytest.raises(TransientError):
            client.create_customer(
                {"Name": "Tappad AB", "InvoiceCity": "Oslo", "InvoicePostalCode": "0150",
                 "IsActive": True, "IsPrivatePerson": False, "TermsOfPaymentId": terms.Id,
                 "EmailAddress": "tappad@example.com"},
            )  # fmt: skip
        # lookup-before-retry finds the committed write
        assert [c.Name for c in client.find_customers_by_email("tappad@example.com")] == [
            "Tappad AB"
        ]
    assert harness.requests("POST", "/v2/customers") == 1
