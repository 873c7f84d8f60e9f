"""eAccounting orders and invoices -> Visma.net sales orders and customer invoices (pure).

Input documents have the eAccounting API's shape (``OrderApi`` / ``CustomerInvoiceApi``,
PascalCase); output payloads have the Visma.net write DTOs' field names, *unwrapped* (plain
values): the Visma.net connector adds the ``{"value": ...}`` wrappers in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, Protocol

from vismasync.mappings.value_maps import ValueMap

EA_ORDER_STATUSES = {1: "Draft", 2: "Ongoing", 3: "Shipped", 4: "Invoiced"}
EA_PAYMENT_STATUS_PAID = 0  # CustomerInvoiceApi.PaymentStatus: 0 = Paid, 1 = Unpaid, 2 = Overdue

CENT = Decimal("0.01")


class SalesOrderMappingSettings(Protocol):
    """The slice of the sales-order settings the mapping reads."""

    order_type: str
    hold: bool
    warehouse: str | None
    discount_mode: Literal["percent", "amount"]


class ValueMaps(Protocol):
    tax_code: ValueMap
    tax_code_by_country: ValueMap
    payment_terms: ValueMap
    payment_methods: ValueMap
    shipping_methods: ValueMap
    revenue_account_by_country: ValueMap
    order_status: ValueMap


@dataclass(frozen=True)
class ShippingRule:
    source_articles: frozenset[str]
    sku: str
    description: str
    tax_code: str | None


@dataclass(frozen=True)
class DocumentContext:
    """What the flow looked up for one document before mapping it."""

    source_key: str  # the key carried into the target (external reference / order number)
    customer_number: str  # the Visma.net customer the document goes to
    branch_number: str
    country_code: str | None
    terms_name: str | None  # eAccounting terms of payment name of the customer
    # eAccounting article number -> VAT rate in percent (e.g. "25"), for tax code mapping
    vat_rates: Mapping[str, str] = field(default_factory=dict)


class MappingProblem(ValueError):
    """The document cannot be mapped; the message says what to fix in eAccounting."""


def is_paid(invoice: Mapping[str, Any]) -> bool:
    return invoice.get("PaymentStatus") == EA_PAYMENT_STATUS_PAID


def document_status(document: Mapping[str, Any], *, is_invoice: bool) -> str:
    """The status name the status filter compares against."""
    if is_invoice:
        return "Paid" if is_paid(document) else "Invoiced"
    return EA_ORDER_STATUSES.get(int(document.get("Status") or 0), "Unknown")


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def _number(value: Decimal) -> float:
    """Visma.net takes JSON numbers; round to cents first so no binary noise is sent."""
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _quantity(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _date(value: Any) -> str | None:
    """eAccounting dates (``2026-01-15`` or ``2026-01-15T00:00:00``) as Visma.net dates."""
    if not value:
        return None
    text = str(value)
    return text[:10] + "T00:00:00"


def tax_code_for(
    maps: ValueMaps, context: DocumentContext, article_number: str | None, rate: Any
) -> str | None:
    by_country = maps.tax_code_by_country.map(context.country_code)
    if by_country is not None:
        return by_country
    if rate is None and article_number is not None:
        rate = context.vat_rates.get(article_number)
    return maps.tax_code.map(_rate_key(rate))


def _rate_key(rate: Any) -> str | None:
    """VAT rates as the keys users write in tables: ``25``, ``12``, ``6``, ``0``."""
    if rate is None:
        return None
    value = Decimal(str(rate))
    if value < 1:  # eAccounting sends rates as fractions on some fields (0.25)
        value *= 100
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class MappedLine:
    inventory_number: str
    payload: dict[str, Any]


def map_lines(
    rows: Sequence[Mapping[str, Any]],
    settings: SalesOrderMappingSettings,
    maps: ValueMaps,
    context: DocumentContext,
    shipping: ShippingRule | None,
    *,
    for_invoice: bool,
) -> tuple[list[MappedLine], list[str]]:
    """Order rows to target lines; text rows become notes (returned separately)."""
    lines: list[MappedLine] = []
    notes: list[str] = []
    for row in rows:
        if row.get("IsTextRow"):
            if row.get("Text"):
                notes.append(str(row["Text"]))
            continue
        article = row.get("ArticleNumber")
        if not article:
            raise MappingProblem(
                f"row {row.get('LineNumber', '?')} has no article number; every row that is "
                "not a text row needs an article"
            )
        quantity = _decimal(row.get("Quantity"))
        unit_price = _decimal(row.get("UnitPrice"))
        discount = _decimal(row.get("DiscountPercentage"))  # a fraction: 0.1 = 10 %
        is_shipping = shipping is not None and article in shipping.source_articles
        sku = shipping.sku if is_shipping and shipping else str(article)
        description = shipping.description if is_shipping and shipping else row.get("Text") or None
        tax = (
            shipping.tax_code
            if is_shipping and shipping and shipping.tax_code
            else tax_code_for(maps, context, str(article), row.get("PercentVat"))
        )
        if for_invoice:
            payload: dict[str, Any] = {
                "operation": "Insert",
                "inventoryNumber": sku,
                "quantity": _quantity(quantity),
                "unitPriceInCurrency": _number(unit_price),
                "description": description,
                "vatCodeId": tax,
                "branchNumber": context.branch_number,
            }
            account = maps.revenue_account_by_country.map(context.country_code)
            if account is not None:
                payload["accountNumber"] = account
        else:
            payload = {
                "operation": "Insert",
                "inventoryNumber": sku,
                "quantity": _quantity(quantity),
                "unitPrice": _number(unit_price),
                "lineDescription": description,
                "taxCategory": tax,
                "branchNumber": context.branch_number,
            }
            if settings.warehouse:
                payload["warehouse"] = settings.warehouse
        if discount:
            if settings.discount_mode == "amount":
                amount = quantity * unit_price * discount
                key = "discountAmountInCurrency" if for_invoice else "discountAmount"
                payload[key] = _number(amount)
            else:
                payload["discountPercent"] = _number(discount * 100)
        lines.append(MappedLine(sku, {k: v for k, v in payload.items() if v is not None}))
    if not lines:
        raise MappingProblem("the document has no article rows to send")
    return lines, notes


def _result(payload: dict[str, Any], lines: list[MappedLine]) -> tuple[dict[str, Any], list[str]]:
    """The payload without empty fields, and the SKUs its lines need."""
    present = {k: v for k, v in payload.items() if v is not None}
    return present, sorted({line.inventory_number for line in lines})


def _address(document: Mapping[str, Any], prefix: str) -> dict[str, Any] | None:
    fields = {
        "addressLine1": document.get(f"{prefix}Address1"),
        "addressLine2": document.get(f"{prefix}Address2"),
        "postalCode": document.get(f"{prefix}PostalCode"),
        "city": document.get(f"{prefix}City"),
        "countryId": document.get(f"{prefix}CountryCode"),
    }
    present = {k: v for k, v in fields.items() if v}
    if not present:
        return None
    return {"overrideAddress": True, **present}


def map_sales_order(
    document: Mapping[str, Any],
    settings: SalesOrderMappingSettings,
    maps: ValueMaps,
    context: DocumentContext,
    shipping: ShippingRule | None,
) -> tuple[dict[str, Any], list[str]]:
    """An eAccounting order (or invoice) as a Visma.net ``SalesOrderUpdateDto``, unwrapped.

    Returns the payload and the SKUs it needs in Visma.net.
    """
    lines, notes = map_lines(
        document.get("Rows") or [], settings, maps, context, shipping, for_invoice=False
    )
    number = document.get("Number") or document.get("InvoiceNumber")
    payload: dict[str, Any] = {
        "orderType": settings.order_type,
        "customer": context.customer_number,
        "date": _date(document.get("OrderDate") or document.get("InvoiceDate")),
        "customerOrder": str(number) if number is not None else None,
        "customerRefNo": context.source_key,
        "currency": document.get("CurrencyCode"),
        "branchNumber": context.branch_number,
        "hold": settings.hold,
        "description": f"eAccounting {'order' if document.get('Number') else 'invoice'} {number}",
        "terms": maps.payment_terms.map(context.terms_name),
        "shipVia": maps.shipping_methods.map(document.get("DeliveryMethodCode")),
        "paymentMethod": maps.payment_methods.map(document.get("PaymentMethod")),
        "soShippingAddress": _address(document, "Delivery"),
        "note": "\n".join(notes) or None,
        "lines": [line.payload for line in lines],
    }
    status = maps.order_status.map(
        document_status(document, is_invoice="InvoiceNumber" in document)
    )
    if status is not None:
        payload["hold"] = status.lower() == "hold"
    return _result(payload, lines)


def map_customer_invoice(
    document: Mapping[str, Any],
    settings: SalesOrderMappingSettings,
    maps: ValueMaps,
    context: DocumentContext,
    shipping: ShippingRule | None,
) -> tuple[dict[str, Any], list[str]]:
    """An eAccounting order (or invoice) as a Visma.net ``CustomerInvoiceUpdateDto``, unwrapped."""
    lines, notes = map_lines(
        document.get("Rows") or [], settings, maps, context, shipping, for_invoice=True
    )
    number = document.get("InvoiceNumber") or document.get("Number")
    payload: dict[str, Any] = {
        "customerNumber": context.customer_number,
        "documentDate": _date(document.get("InvoiceDate") or document.get("OrderDate")),
        "documentDueDate": _date(document.get("DueDate")),
        "externalReference": context.source_key,
        "customerRefNumber": str(number) if number is not None else None,
        "currencyId": document.get("CurrencyCode"),
        "branchNumber": context.branch_number,
        "hold": settings.hold,
        "invoiceText": f"eAccounting {'invoice' if 'InvoiceNumber' in document else 'order'} "
        f"{number}",
        "creditTermsId": maps.payment_terms.map(context.terms_name),
        "paymentMethodId": maps.payment_methods.map(document.get("PaymentMethod")),
        "note": "\n".join(notes) or None,
        "invoiceLines": [line.payload for line in lines],
    }
    return _result(payload, lines)
