"""Order and invoice mapping to Visma.net payloads (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from vismasync.mappings.sales_orders import (
    DocumentContext,
    MappingProblem,
    ShippingRule,
    document_status,
    map_customer_invoice,
    map_sales_order,
)
from vismasync.mappings.value_maps import ValueMap


@dataclass
class Settings:
    order_type: str = "SO"
    hold: bool = False
    warehouse: str | None = "MAIN"
    discount_mode: str = "percent"


@dataclass
class Maps:
    tax_code: ValueMap = field(default_factory=lambda: ValueMap(table={"25": "1", "12": "2"}))
    tax_code_by_country: ValueMap = field(default_factory=ValueMap)
    payment_terms: ValueMap = field(default_factory=lambda: ValueMap(table={"30 days": "30"}))
    payment_methods: ValueMap = field(default_factory=ValueMap)
    shipping_methods: ValueMap = field(default_factory=lambda: ValueMap(table={"POST": "PN"}))
    revenue_account_by_country: ValueMap = field(default_factory=ValueMap)
    order_status: ValueMap = field(default_factory=ValueMap)


ORDER = {
    "Id": "5f3c0d1e-0000-4000-8000-000000000001",
    "Number": 1042,
    "Status": 3,
    "OrderDate": "2026-03-02",
    "CurrencyCode": "NOK",
    "DeliveryMethodCode": "POST",
    "DeliveryAddress1": "Storgata 1",
    "DeliveryPostalCode": "0150",
    "DeliveryCity": "Oslo",
    "DeliveryCountryCode": "NO",
    "Rows": [
        {"LineNumber": 1, "ArticleNumber": "SKU-0001", "Quantity": 2, "UnitPrice": 100.0,
         "DiscountPercentage": 0.1, "Text": "Desk Lamp", "IsTextRow": False},
        {"LineNumber": 2, "IsTextRow": True, "Text": "Leave at the door"},
        {"LineNumber": 3, "ArticleNumber": "FRAKT", "Quantity": 1, "UnitPrice": 49.0,
         "IsTextRow": False},
    ],
}  # fmt: skip

CONTEXT = DocumentContext(
    source_key="EA-1042",
    customer_number="10042",
    branch_number="2",
    country_code="NO",
    terms_name="30 days",
    vat_rates={"SKU-0001": "25"},
)
SHIPPING = ShippingRule(frozenset({"FRAKT"}), "SHIPPING", "Shipping", "1")


def test_sales_order_payload():
    payload, skus = map_sales_order(ORDER, Settings(), Maps(), CONTEXT, SHIPPING)

    assert skus == ["SHIPPING", "SKU-0001"]
    assert payload == {
        "orderType": "SO",
        "customer": "10042",
        "date": "2026-03-02T00:00:00",
        "customerOrder": "1042",
        "customerRefNo": "EA-1042",
        "currency": "NOK",
        "branchNumber": "2",
        "hold": False,
        "description": "eAccounting order 1042",
        "terms": "30",
        "shipVia": "PN",
        "soShippingAddress": {
            "overrideAddress": True,
            "addressLine1": "Storgata 1",
            "postalCode": "0150",
            "city": "Oslo",
            "countryId": "NO",
        },
        "note": "Leave at the door",
        "lines": [
            {"operation": "Insert", "inventoryNumber": "SKU-0001", "quantity": 2.0,
             "unitPrice": 100.0, "lineDescription": "Desk Lamp", "taxCategory": "1",
             "branchNumber": "2", "warehouse": "MAIN", "discountPercent": 10.0},
            {"operation": "Insert", "inventoryNumber": "SHIPPING", "quantity": 1.0,
             "unitPrice": 49.0, "lineDescription": "Shipping", "taxCategory": "1",
             "branchNumber": "2", "warehouse": "MAIN"},
        ],
    }  # fmt: skip


def test_discount_as_amount_and_tax_by_country():
    maps = Maps(tax_code_by_country=ValueMap(table={"NO": "0"}))
    payload, _ = map_sales_order(ORDER, Settings(discount_mode="amount"), maps, CONTEXT, None)
    first, freight = payload["lines"]
    assert first["discountAmount"] == 20.0
    assert "discountPercent" not in first
    assert first["taxCategory"] == "0"
    assert freight["inventoryNumber"] == "FRAKT"  # no shipping rule: an ordinary line


def test_order_status_map_can_hold_orders():
    maps = Maps(order_status=ValueMap(table={"Shipped": "Hold"}))
    payload, _ = map_sales_order(ORDER, Settings(), maps, CONTEXT, SHIPPING)
    assert payload["hold"] is True


def test_customer_invoice_payload_uses_invoice_fields():
    maps = Maps(revenue_account_by_country=ValueMap(table={"NO": "3105"}))
    payload, skus = map_customer_invoice(ORDER, Settings(), maps, CONTEXT, SHIPPING)
    assert payload["externalReference"] == "EA-1042"
    assert payload["customerNumber"] == "10042"
    assert payload["creditTermsId"] == "30"
    line = payload["invoiceLines"][0]
    assert line["unitPriceInCurrency"] == 100.0
    assert line["vatCodeId"] == "1"
    assert line["accountNumber"] == "3105"
    assert line["discountPercent"] == 10.0
    assert skus == ["SHIPPING", "SKU-0001"]


def test_row_without_article_fails_with_what_to_fix():
    order = {**ORDER, "Rows": [{"LineNumber": 4, "Quantity": 1, "IsTextRow": False}]}
    with pytest.raises(MappingProblem, match="row 4 has no article number"):
        map_sales_order(order, Settings(), Maps(), CONTEXT, None)


def test_document_without_article_rows_fails():
    order = {**ORDER, "Rows": [{"IsTextRow": True, "Text": "only text"}]}
    with pytest.raises(MappingProblem, match="no article rows"):
        map_sales_order(order, Settings(), Maps(), CONTEXT, None)


def test_document_status_names():
    assert document_status({"Status": 3}, is_invoice=False) == "Shipped"
    assert document_status({"PaymentStatus": 0}, is_invoice=True) == "Paid"
    assert document_status({"PaymentStatus": 2}, is_invoice=True) == "Invoiced"
