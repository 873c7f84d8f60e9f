"""The emulator's rules without HTTP: numbering, replacement, references, orders, invoices."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from vismasync.emulators.demo_catalogue import demo_catalogue
from vismasync.emulators.eaccounting.backend import EAccountingBackend, EmulatorSettings
from vismasync.emulators.eaccounting.errors import (
    CanNotBeCreatedOrUpdated,
    CanNotBeDeleted,
    Conflict,
    NotFound,
    ReferenceNotFound,
    ValidationFailed,
)
from vismasync.emulators.eaccounting.seed import demo_seed, empty_seed


@pytest.fixture
def backend() -> EAccountingBackend:
    return EAccountingBackend(empty_seed())


def ref(backend: EAccountingBackend, collection: str, index: int = 0) -> str:
    return backend.list(collection).items[index]["Id"]


def customer_payload(backend: EAccountingBackend, **extra: Any) -> dict[str, Any]:
    return {
        "Name": "Fjord AB", "InvoiceCity": "Oslo", "InvoicePostalCode": "0150",
        "IsActive": True, "IsPrivatePerson": False,
        "TermsOfPaymentId": ref(backend, "termsofpayments"), **extra,
    }  # fmt: skip


def article_payload(backend: EAccountingBackend, **extra: Any) -> dict[str, Any]:
    return {
        "Number": "A-1", "Name": "Lamp", "IsActive": True, "NetPrice": 100.0,
        "CodingId": backend.list(
            "articleaccountcodings", filter_text="Type eq 'Goods' and VatRatePercent eq 0.25"
        ).items[0]["Id"],
        "UnitId": ref(backend, "units"),
        **extra,
    }  # fmt: skip


def order_payload(customer_id: str, article_id: str, status: int = 2) -> dict[str, Any]:
    return {
        "CustomerId": customer_id, "CurrencyCode": "SEK", "EuThirdParty": False,
        "OrderDate": "2025-05-01", "Status": status, "RotReducedInvoicingType": 0,
        "ReverseChargeOnConstructionServices": False,
        "Rows": [{"LineNumber": 0, "ArticleId": article_id, "Quantity": 3,
                  "DiscountPercentage": 0.1, "IsTextRow": False, "IsWorkCost": False,
                  "EligibleForReverseChargeOnVat": False}],
    }  # fmt: skip


def test_customer_numbers_are_assigned_unique_and_kept_on_put(backend: EAccountingBackend) -> None:
    first = backend.create_customer(customer_payload(backend))
    second = backend.create_customer(customer_payload(backend))
    assert first["CustomerNumber"] != second["CustomerNumber"]
    assert first["ChangedUtc"] and first["TermsOfPayment"]["Id"] == first["TermsOfPaymentId"]
    with pytest.raises(Conflict) as raised:
        backend.create_customer(customer_payload(backend, CustomerNumber=first["CustomerNumber"]))
    assert raised.value.error_code == 4000
    replaced = backend.update_customer(first["Id"], customer_payload(backend, Name="Renamed"))
    assert replaced["CustomerNumber"] == first["CustomerNumber"]
    assert replaced["Name"] == "Renamed"


def test_put_replaces_the_whole_customer(backend: EAccountingBackend) -> None:
    created = backend.create_customer(customer_payload(backend, EmailAddress="a@example.com"))
    replaced = backend.update_customer(created["Id"], customer_payload(backend))
    assert replaced["EmailAddress"] is None  # omitted in the PUT -> cleared
    assert replaced["ChangedUtc"] >= created["ChangedUtc"]


def test_required_and_max_length_errors_name_each_field(backend: EAccountingBackend) -> None:
    with pytest.raises(ValidationFailed) as raised:
        backend.create_customer({"Name": "x" * 51, "IsActive": "yes"})
    fields = {e["Field"]: e["ErrorCode"] for e in raised.value.errors or []}
    assert fields["Name"] == "MaxLength"
    assert fields["IsActive"] == "InvalidType"
    for name in ("InvoiceCity", "InvoicePostalCode", "TermsOfPaymentId", "IsPrivatePerson"):
        assert fields[name] == "Required"
    assert raised.value.error_code == 2000


def test_unknown_references_are_error_3000(backend: EAccountingBackend) -> None:
    missing = "00000000-0000-4000-8000-000000000099"
    with pytest.raises(ReferenceNotFound) as raised:
        backend.create_customer(customer_payload(backend, TermsOfPaymentId=missing))
    assert raised.value.error_code == 3000
    assert raised.value.errors and raised.value.errors[0]["Field"] == "TermsOfPaymentId"
    with pytest.raises(ReferenceNotFound):
        backend.create_article(article_payload(backend, UnitId=missing))
    customer = backend.create_customer(customer_payload(backend))
    with pytest.raises(ReferenceNotFound) as raised:
        backend.create_order(order_payload(customer["Id"], missing))
    assert raised.value.errors and raised.value.errors[0]["Field"] == "Rows[0].ArticleId"
    with pytest.raises(NotFound):
        backend.get("customers", missing)


def test_stock_balance_is_writable_and_available_is_derived(backend: EAccountingBackend) -> None:
    article = backend.create_article(article_payload(backend, StockBalance=10))
    customer = backend.create_customer(customer_payload(backend))
    backend.create_order(order_payload(customer["Id"], article["Id"], status=2))
    read = backend.get("articles", article["Id"])
    assert (read["StockBalance"], read["StockBalanceReserved"], read["StockBalanceAvailable"]) == (
        10, 3, 7,
    )  # fmt: skip
    updated = backend.update_article(article["Id"], article_payload(backend, StockBalance=25))
    assert updated["StockBalance"] == 25 and updated["StockBalanceAvailable"] == 22
    assert updated["StockBalanceManuallyChangedUtc"] is not None


def test_stock_module_makes_stock_balance_read_only() -> None:
    backend = EAccountingBackend(empty_seed(), EmulatorSettings(stock_module=True))
    article = backend.create_article(article_payload(backend, StockBalance=10))
    assert article["StockBalance"] == 0.0
    assert (
        backend.update_article(article["Id"], article_payload(backend, StockBalance=5))[
            "StockBalance"
        ]
        == 0.0
    )


def test_orders_number_convert_and_cannot_be_deleted_when_shipped(
    backend: EAccountingBackend,
) -> None:
    article = backend.create_article(article_payload(backend))
    customer = backend.create_customer(customer_payload(backend))
    first = backend.create_order(order_payload(customer["Id"], article["Id"]))
    second = backend.create_order(order_payload(customer["Id"], article["Id"], status=3))
    assert second["Number"] == first["Number"] + 1
    assert first["Amount"] == 270.0  # 3 x 100 less 10 %
    assert first["VatAmount"] == 67.5
    assert first["Rows"][0]["ArticleNumber"] == "A-1"
    with pytest.raises(CanNotBeDeleted) as raised:
        backend.delete_order(second["Id"])
    assert raised.value.error_code == 4001
    invoice = backend.convert_order(first["Id"])
    assert invoice["CreatedFromOrderId"] == first["Id"]
    assert invoice["TotalAmountInvoiceCurrency"] == 337.5
    assert backend.get("orders", first["Id"])["Status"] == 4
    with pytest.raises(CanNotBeDeleted):
        backend.delete_order(first["Id"])
    with pytest.raises(CanNotBeCreatedOrUpdated):
        backend.convert_order(first["Id"])
    draft = backend.create_order(order_payload(customer["Id"], article["Id"], status=1))
    backend.delete_order(draft["Id"])
    with pytest.raises(NotFound):
        backend.get("orders", draft["Id"])


def test_prices_of_private_persons_include_vat_unless_the_company_shows_them_without(
    backend: EAccountingBackend,
) -> None:
    backend.store.company["ShowPricesExclVatPC"] = False
    article = backend.create_article(article_payload(backend))
    person = backend.create_customer(customer_payload(backend, IsPrivatePerson=True))
    company = backend.create_customer(customer_payload(backend, Name="Fjord AS"))

    gross = backend.create_order(order_payload(person["Id"], article["Id"]))
    net = backend.create_order(order_payload(company["Id"], article["Id"]))

    assert gross["IncludesVat"] and not net["IncludesVat"]
    assert gross["Amount"] == net["Amount"] == 270.0
    assert gross["VatAmount"] == 54.0  # the 25 % VAT contained in 270.00
    assert net["VatAmount"] == 67.5  # the 25 % VAT added to 270.00
    invoice = backend.convert_order(gross["Id"])
    assert invoice["TotalAmountInvoiceCurrency"] == 270.0
    assert invoice["TotalVatAmountInvoiceCurrency"] == 54.0
    assert invoice["Rows"][0]["AmountNoVat"] == 216.0


def test_row_amounts_round_half_to_even_like_dotnet(backend: EAccountingBackend) -> None:
    article = backend.create_article(article_payload(backend, NetPrice=0.125))
    customer = backend.create_customer(customer_payload(backend))
    payload = order_payload(customer["Id"], article["Id"])
    payload["Rows"][0].update(Quantity=1, DiscountPercentage=0)

    order = backend.create_order(payload)

    assert order["Rows"][0]["Amount"] == 0.12  # 0.125 -> 0.12, not 0.13


def test_payments_make_an_invoice_paid(backend: EAccountingBackend) -> None:
    article = backend.create_article(article_payload(backend))
    customer = backend.create_customer(customer_payload(backend))
    order = backend.create_order(order_payload(customer["Id"], article["Id"], status=3))
    invoice = backend.convert_order(order["Id"])
    payment = {
        "CompanyBankAccountId": "00000000-0000-4000-8000-000000000001",
        "PaymentDate": "2025-01-02", "PaymentCurrency": "SEK", "PaymentType": 1,
        "PaymentAmount": 100.0,
    }  # fmt: skip
    backend.add_invoice_payment(invoice["Id"], payment)
    partly = backend.get("customerinvoices", invoice["Id"])
    assert partly["PaymentStatus"] != 0
    assert partly["RemainingAmountInvoiceCurrency"] == pytest.approx(237.5)
    backend.add_invoice_payment(invoice["Id"], payment | {"PaymentType": 2})
    paid = backend.get("customerinvoices", invoice["Id"])
    assert (paid["PaymentStatus"], paid["RemainingAmountInvoiceCurrency"]) == (0, 0.0)
    assert paid["ModifiedUtc"] >= invoice["ModifiedUtc"]


def test_vouchers_must_balance_inside_a_fiscal_year(backend: EAccountingBackend) -> None:
    rows = [
        {"AccountNumber": 1930, "DebitAmount": 100.0},
        {"AccountNumber": 3001, "CreditAmount": 100.0},
    ]
    voucher = backend.create_voucher(
        {"VoucherDate": "2025-06-01", "VoucherText": "t", "Rows": rows}
    )
    assert voucher["NumberAndNumberSeries"] == "A1"
    with pytest.raises(ValidationFailed):
        backend.create_voucher({"VoucherDate": "2025-06-01", "VoucherText": "t", "Rows": rows[:1]})
    with pytest.raises(Exception) as raised:
        backend.create_voucher({"VoucherDate": "2031-06-01", "VoucherText": "t", "Rows": rows})
    assert getattr(raised.value, "error_code", None) == 3001


def test_demo_seed_is_deterministic_and_has_the_promised_shape() -> None:
    seed = demo_seed()
    assert seed == demo_seed()
    catalogue = demo_catalogue()
    assert len(seed["customers"]) == sum(c.in_eaccounting for c in catalogue.customers) >= 50
    numbers = {a["Number"] for a in seed["articles"]}
    assert len(numbers) >= 100 and {"SKU-0111", "SKU-0115", "SHIPPING"} <= numbers
    assert "SKU-0116" not in numbers
    assert len(seed["orders"]) >= 300
    assert set(Counter(o["Status"] for o in seed["orders"])) == {1, 2, 3, 4}
    assert {i["PaymentStatus"] for i in seed["customerinvoices"]} >= {0, 1}
    assert any(r["DiscountPercentage"] for o in seed["orders"] for r in o["Rows"])
    assert any(o["DeliveryMethodCode"] for o in seed["orders"])
    assert any(r["ArticleNumber"] == "SHIPPING" for o in seed["orders"] for r in o["Rows"])
    assert {c["CurrencyCode"] for c in seed["customers"]} >= {"SEK", "NOK", "EUR"}
    assert {c["IsPrivatePerson"] for c in seed["customers"]} == {True, False}
    # the deliberately bad records
    no_email = [c for c in seed["customers"] if not c["EmailAddress"]]
    assert no_email and any(o["CustomerId"] == no_email[0]["Id"] for o in seed["orders"])
    assert any(c["EmailAddress"] and "'" in c["EmailAddress"] for c in seed["customers"])
    assert any(
        r["ArticleNumber"] in {f"SKU-{i:04d}" for i in range(111, 116)}
        for o in seed["orders"]
        for r in o["Rows"]
    )
    invoiced = {o["Id"] for o in seed["orders"] if o["Status"] == 4}
    assert invoiced == {i["CreatedFromOrderId"] for i in seed["customerinvoices"]}


def test_paging_meta_and_seed_reload(backend: EAccountingBackend) -> None:
    backend.load_seed(demo_seed())
    page = backend.list("customers", page=4, page_size=17)
    assert (page.total, page.total_pages, len(page.items)) == (60, 4, 9)
    assert backend.list("customers", filter_text="Name eq 'nobody'").total_pages == 0
    backend.reset()
    assert backend.list("customers").total == 0
