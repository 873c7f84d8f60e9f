"""eAccounting orders and invoices -> Visma.net sales orders and customer invoices (pure).

Input documents have the eAccounting API's shape (``OrderApi`` / ``CustomerInvoiceApi``,
PascalCase); output payloads have the Visma.net write DTOs' field names, *unwrapped* (plain
values): the Visma.net connector adds the ``{"value": ...}`` wrappers in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
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
    # How the customer pays, as eAccounting names its terms of payment type (TermsOfPaymentApi
    # .TermsOfPaymentTypeText: Normal, CurrentMonth, Cash, CardPayment, DigitalWallet,
    # PaymentServiceProvider): the key of the payment-methods value map.
    payment_type: str | None = None


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


# --- VAT-inclusive documents -------------------------------------------------------------------
# eAccounting documents with ``IncludesVat`` (private persons, unless the company shows prices
# excluding VAT) carry gross unit prices and gross row amounts; Visma.net takes net prices and
# adds VAT itself. Visma.net computes a line's amount as
#     ext = round2(quantity * unitPrice - round2(quantity * unitPrice * discount%))
# and a document's VAT once over its lines: round2(sum(ext * rate)). The net prices sent are
# chosen so that this arithmetic lands on eAccounting's gross total to the cent.
PRICE_PLACES = Decimal("0.000001")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class NetLine:
    """One line of a VAT-inclusive document, with the net price Visma.net will be sent."""

    quantity: Decimal
    gross_price: Decimal
    discount: Decimal  # a fraction: 0.1 = 10 %
    rate: Decimal  # a fraction: 0.25 = 25 %
    # The row amount eAccounting computed (VAT included), when the document carries it.
    amount: Decimal | None = None
    # False: the price is already net (a document excluding VAT); only rounding is settled.
    includes_vat: bool = True
    net_price: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        divisor = 1 + self.rate if self.includes_vat else Decimal(1)
        self.net_price = (self.gross_price / divisor).quantize(PRICE_PLACES)

    @property
    def gross_amount(self) -> Decimal:
        """eAccounting's row amount (VAT included): as it says, else as .NET rounds it."""
        if self.amount is not None:
            return self.amount
        exact = self.quantity * self.gross_price * (1 - self.discount)
        return exact.quantize(CENT, rounding=ROUND_HALF_EVEN)

    @property
    def net_amount(self) -> Decimal:
        """The line amount Visma.net computes from the net price."""
        extended = self.quantity * self.net_price
        return money(extended - money(extended * self.discount))


def vismanet_total(lines: Sequence[NetLine]) -> Decimal:
    """The document total Visma.net computes: net amounts plus VAT rounded once."""
    net = sum((line.net_amount for line in lines), Decimal(0))
    vat = money(sum((line.net_amount * line.rate for line in lines), Decimal(0)))
    return net + vat


def settle_net_prices(lines: Sequence[NetLine], total: Decimal | None = None) -> None:
    """Nudge one line's net price so Visma.net's total equals eAccounting's gross total.

    Rounding each line's net price separately can leave the totals a few cents apart; one of
    the largest lines absorbs the difference (its net price moves by fractions of a cent per
    unit). Where no net amount reaches the gross total (Visma.net adds VAT to the rounded net
    sum: at 25 % a gross 1.07 has none, 0.85 gives 1.06 and 0.86 gives 1.08) the closest total
    is kept, one cent off.
    """
    target = total if total is not None else sum((ln.gross_amount for ln in lines), Decimal(0))
    best = (abs(vismanet_total(lines) - target), None, Decimal(0))
    if best[0] == 0:
        return
    candidates = sorted(lines, key=lambda line: abs(line.net_amount), reverse=True)[:5]
    for line in candidates:
        if not line.quantity or line.discount >= 1:
            continue
        original = line.net_price
        # Thirds of a cent of the line amount: discounts round separately, so a coarser step
        # can jump over the one price that lands on the total.
        per_cent = CENT / (line.quantity * (1 - line.discount)) / 3
        for step in sorted(range(-36, 37), key=abs):
            line.net_price = (original + per_cent * step).quantize(PRICE_PLACES)
            if line.net_price < 0:
                continue
            off = abs(vismanet_total(lines) - target)
            if off == 0:
                return
            if off < best[0]:
                best = (off, line, line.net_price)
        line.net_price = original
    if best[1] is not None:
        best[1].net_price = best[2]


def _vat_fraction(rate: str | None) -> Decimal | None:
    if rate is None:
        return None
    value = Decimal(str(rate))
    return value / 100 if value >= 1 else value


def map_lines(
    rows: Sequence[Mapping[str, Any]],
    settings: SalesOrderMappingSettings,
    maps: ValueMaps,
    context: DocumentContext,
    shipping: ShippingRule | None,
    *,
    for_invoice: bool,
    includes_vat: bool = False,
    document_total: Decimal | None = None,
) -> tuple[list[MappedLine], list[str]]:
    """Order rows to target lines; text rows become notes (returned separately).

    With ``includes_vat``, unit prices (and amount discounts) are converted to net prices that
    make Visma.net's total equal the document's gross total (see :func:`settle_net_prices`);
    otherwise, given the document's total, prices are nudged where Visma.net's rounding of
    discounted lines would land elsewhere.
    """
    lines: list[MappedLine] = []
    notes: list[str] = []
    net_prices = _net_prices(rows, context, includes_vat, document_total)
    for index, row in enumerate(rows):
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
        unit_price = net_prices.get(index, _decimal(row.get("UnitPrice")))
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
                "unitPriceInCurrency": _price(unit_price),
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
                "unitPrice": _price(unit_price),
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


def _price(value: Decimal) -> float:
    """Unit prices: cents, unless a net price converted from a gross one needs more places."""
    cents = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return float(cents if cents == value else value.quantize(PRICE_PLACES))


def _net_prices(
    rows: Sequence[Mapping[str, Any]],
    context: DocumentContext,
    includes_vat: bool,
    total: Decimal | None,
) -> dict[int, Decimal]:
    """Unit prices to send for a document's article rows, by row index (net of VAT, and
    settled to the document's total when known).

    Raises:
        MappingProblem: prices include VAT and an article's VAT rate is unknown, so its net
            price cannot be computed.
    """
    lines: dict[int, NetLine] = {}
    for index, row in enumerate(rows):
        article = row.get("ArticleNumber")
        if row.get("IsTextRow") or not article:
            continue
        percent = row.get("PercentVat")
        rate = _vat_fraction(
            percent if percent is not None else context.vat_rates.get(str(article))
        )
        if rate is None and not includes_vat:
            return {}  # VAT unknown: prices go as they are, unsettled
        if rate is None:
            raise MappingProblem(
                f"row {row.get('LineNumber', '?')}: the prices include VAT, but article "
                f"{article!r} has no VAT rate in eAccounting (its account coding has none), so "
                "its net price cannot be computed; give the article an account coding with a "
                "VAT rate"
            )
        amount = row.get("Amount") if includes_vat else None
        lines[index] = NetLine(
            _decimal(row.get("Quantity")),
            _decimal(row.get("UnitPrice")),
            _decimal(row.get("DiscountPercentage")),
            rate,
            _decimal(amount) if amount is not None else None,
            includes_vat,
        )
    if includes_vat or total is not None:
        settle_net_prices(list(lines.values()), total)
    return {index: line.net_price for index, line in lines.items()}


def document_total(document: Mapping[str, Any]) -> Decimal | None:
    """What the customer pays for the document, as eAccounting states it (None: not stated)."""
    if "InvoiceNumber" in document:
        total = document.get("TotalAmountInvoiceCurrency")
        return _decimal(total) if total is not None else None
    amount, vat = document.get("Amount"), document.get("VatAmount")
    if amount is None or (vat is None and not document.get("IncludesVat")):
        return None
    return _decimal(amount) + (Decimal(0) if document.get("IncludesVat") else _decimal(vat))


def _result(payload: dict[str, Any], lines: list[MappedLine]) -> tuple[dict[str, Any], list[str]]:
    """The payload without empty fields, and the SKUs its lines need."""
    present = {k: v for k, v in payload.items() if v is not None}
    return present, sorted({line.inventory_number for line in lines})


def _contact(document: Mapping[str, Any], name_field: str) -> dict[str, Any] | None:
    """The document's own contact for one of its addresses (name and reference person)."""
    fields = {"name": document.get(name_field), "attention": document.get("YourReference")}
    present = {k: v for k, v in fields.items() if v}
    return {"overrideContact": True, **present} if present else None


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
        document.get("Rows") or [], settings, maps, context, shipping, for_invoice=False,
        includes_vat=bool(document.get("IncludesVat")), document_total=document_total(document),
    )  # fmt: skip
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
        "paymentMethod": maps.payment_methods.map(context.payment_type),
        "soBillingAddress": _address(document, "Invoice"),
        "soBillingContact": _contact(document, "InvoiceCustomerName"),
        "soShippingAddress": _address(document, "Delivery"),
        "soShippingContact": _contact(document, "DeliveryCustomerName"),
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
        document.get("Rows") or [], settings, maps, context, shipping, for_invoice=True,
        includes_vat=bool(document.get("IncludesVat")), document_total=document_total(document),
    )  # fmt: skip
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
        "paymentMethodId": maps.payment_methods.map(context.payment_type),
        "note": "\n".join(notes) or None,
        "invoiceLines": [line.payload for line in lines],
    }
    return _result(payload, lines)
