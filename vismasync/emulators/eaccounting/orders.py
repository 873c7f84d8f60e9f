"""Rules for sales orders: references, row amounts, numbering, status and deletion."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from vismasync.emulators.eaccounting import spec
from vismasync.emulators.eaccounting.errors import (
    CanNotBeCreatedOrUpdated,
    CanNotBeDeleted,
    ValidationFailed,
    field_error,
)
from vismasync.emulators.eaccounting.masterdata import replace_object, require
from vismasync.emulators.eaccounting.store import Store
from vismasync.emulators.eaccounting.validation import validate

DRAFT, ONGOING, SHIPPED, INVOICED = 1, 2, 3, 4
ORDER_DEFAULTS: dict[str, Any] = {"Rows": [], "Persons": [], "UsesGreenTechnology": False}
# Copied from the customer when the order leaves them empty ("Default: The value on the
# selected customer" in the spec).
CUSTOMER_ADDRESS_FIELDS = {
    "InvoiceAddress1": "InvoiceAddress1",
    "InvoiceAddress2": "InvoiceAddress2",
    "InvoiceCity": "InvoiceCity",
    "InvoicePostalCode": "InvoicePostalCode",
    "InvoiceCountryCode": "InvoiceCountryCode",
    "DeliveryCustomerName": "DeliveryCustomerName",
    "DeliveryAddress1": "DeliveryAddress1",
    "DeliveryAddress2": "DeliveryAddress2",
    "DeliveryCity": "DeliveryCity",
    "DeliveryPostalCode": "DeliveryPostalCode",
    "DeliveryCountryCode": "DeliveryCountryCode",
}


def vat_rate(store: Store, article: dict[str, Any]) -> float:
    """The article's VAT rate as a fraction, from its account coding."""
    coding = store.find("articleaccountcodings", article.get("CodingId"))
    return float((coding or {}).get("VatRatePercent") or 0.0)


def row_amount(quantity: Any, unit_price: Any, discount: Any) -> float:
    """A row's amount as eAccounting computes it: .NET's decimal rounding (half to even)."""
    exact = _dec(quantity) * _dec(unit_price) * (1 - _dec(discount))
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def includes_vat(store: Store, customer: dict[str, Any]) -> bool:
    """Prices include VAT for private persons unless the company shows them excluding VAT."""
    return bool(customer["IsPrivatePerson"]) and not store.company.get("ShowPricesExclVatPC")


def customer_fields(store: Store, record: dict[str, Any], customer: dict[str, Any]) -> None:
    """Fill the customer-derived properties of a sales document."""
    record["CustomerName"] = customer["Name"]
    record["CustomerNumber"] = customer["CustomerNumber"]
    record["CustomerIsPrivatePerson"] = customer["IsPrivatePerson"]
    record["IncludesVat"] = includes_vat(store, customer)
    if "InvoiceCustomerName" in record:
        record["InvoiceCustomerName"] = record.get("InvoiceCustomerName") or customer["Name"]
    for target, source in CUSTOMER_ADDRESS_FIELDS.items():
        if target in record and record.get(target) is None:
            record[target] = customer.get(source)


def _order_rows(store: Store, rows: list[dict[str, Any]], status: int) -> list[dict[str, Any]]:
    result = []
    errors = []
    for index, payload in enumerate(rows):
        row = replace_object("OrderRowApi", None, payload, {})
        row["Id"] = store.new_id()
        if not row["IsTextRow"]:
            if not row.get("ArticleId"):
                errors.append(
                    field_error(
                        f"Rows[{index}].ArticleId",
                        "Required",
                        "ArticleId is required when IsTextRow is false.",
                    )
                )
                continue
            article = require(
                store, "articles", f"Rows[{index}].ArticleId", row["ArticleId"], "Article"
            )
            row["ArticleId"] = article["Id"]
            row["ArticleNumber"] = article["Number"]
            row["Text"] = row["Text"] or article["Name"]
            row["UnitId"] = article["UnitId"]
            row["IsServiceArticle"] = article["IsServiceArticle"]
            if row["UnitPrice"] is None:
                row["UnitPrice"] = article.get("NetPrice") or 0.0
            row["Quantity"] = row["Quantity"] or 0.0
            if row["DeliveredQuantity"] is None:
                # A shipped order has delivered what it ordered unless told otherwise.
                row["DeliveredQuantity"] = row["Quantity"] if status >= SHIPPED else 0.0
            row["Amount"] = row_amount(row["Quantity"], row["UnitPrice"], row["DiscountPercentage"])
        result.append(row)
    if errors:
        raise ValidationFailed(errors)
    return result


def _totals(store: Store, order: dict[str, Any]) -> None:
    """Document amounts in decimals, rounded once per document like .NET (half to even)."""
    amount = vat = delivered = delivered_vat = Decimal(0)
    for row in order["Rows"]:
        if row["IsTextRow"] or not row.get("ArticleId"):
            continue
        rate = _dec(vat_rate(store, store.get("articles", row["ArticleId"])))
        # Amounts of a VAT-inclusive document are gross: the VAT is the part they contain.
        share = rate / (1 + rate) if order["IncludesVat"] else rate
        row_amount_ = _dec(row["Amount"])
        delivered_amount = _dec(
            row_amount(row["DeliveredQuantity"], row["UnitPrice"], row["DiscountPercentage"])
        )
        amount += row_amount_
        vat += row_amount_ * share
        delivered += delivered_amount
        delivered_vat += delivered_amount * share
    order["Amount"] = _money(amount)
    order["VatAmount"] = _money(vat)
    order["RoundingsAmount"] = 0.0
    order["DeliveredAmount"] = _money(delivered)
    order["DeliveredVatAmount"] = _money(delivered_vat)
    order["DeliveredRoundingsAmount"] = 0.0


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def save_order(
    store: Store, payload: dict[str, Any], order_id: str | None = None
) -> dict[str, Any]:
    """Create or replace an order. Status 4 (Invoiced) is reached only by converting it."""
    validate("OrderApi", payload)
    with store.lock:
        existing = store.get("orders", order_id) if order_id else None
        if existing is not None and existing["Status"] == INVOICED:
            raise CanNotBeCreatedOrUpdated(
                "CanNotBeCreatedOrUpdated - An invoiced order cannot be updated."
            )
        if payload["Status"] == INVOICED:
            raise CanNotBeCreatedOrUpdated(
                "CanNotBeCreatedOrUpdated - Status Invoiced is set by converting the order "
                "to a customer invoice."
            )
        customer = require(store, "customers", "CustomerId", payload["CustomerId"], "Customer")
        record = replace_object("OrderApi", existing, payload, ORDER_DEFAULTS)
        record["CustomerId"] = customer["Id"]
        record["Rows"] = _order_rows(store, payload.get("Rows") or [], payload["Status"])
        customer_fields(store, record, customer)
        _totals(store, record)
        now = store.now()
        record["Id"] = existing["Id"] if existing else store.new_id()
        record["Number"] = existing["Number"] if existing else store.next_number("NextOrderNumber")
        record["CreatedUtc"] = existing["CreatedUtc"] if existing else now
        record["ModifiedUtc"] = now
        record["IsNotDelivered"] = bool(record.get("IsNotDelivered"))
        for name in ("MessageThreads", "Notes", "SalesDocumentAttachments"):
            record[name] = record.get(name) or []
        return dict(store.put("orders", record))


def delete_order(store: Store, order_id: str) -> None:
    with store.lock:
        order = store.get("orders", order_id)
        if order["Status"] in (SHIPPED, INVOICED):
            raise CanNotBeDeleted(
                "CanNotBeDeleted - Orders that are shipped or invoiced cannot be deleted."
            )
        store.remove("orders", order_id)


def order_as_invoice(order: dict[str, Any]) -> dict[str, Any]:
    """The customer-invoice request an order converts into."""
    keep = spec.writable("CustomerInvoiceApi")
    invoice = {k: v for k, v in order.items() if k in keep and k != "Rows"}
    invoice["Rows"] = [
        {
            "ArticleId": row["ArticleId"],
            "Text": row["Text"],
            "Quantity": row["Quantity"],
            "UnitPrice": row["UnitPrice"],
            "DiscountPercentage": row["DiscountPercentage"],
            "ProjectId": row.get("ProjectId"),
        }
        for row in order["Rows"]
    ]
    invoice["DeliveryDate"] = order.get("DeliveryDate") or order.get("ShippedDateTime")
    return invoice
