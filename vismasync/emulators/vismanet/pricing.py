"""Line and document totals: discounts and VAT from the VAT category of each line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from vismasync.emulators.vismanet.state import CompanyState, Record, money

ZERO = Decimal("0")


def category_rate(state: CompanyState, category_id: str | None) -> Decimal:
    """The VAT rate (percent) a VAT category applies: the sum of its VAT ids' current rates."""
    if not category_id or category_id not in state.vat_categories:
        return ZERO
    total = ZERO
    for line in state.vat_categories[category_id].get("vatCategoryLines", []):
        rates = line.get("vatRates") or []
        if rates:
            total += Decimal(str(rates[-1]["vatRate"]))
    return total


def price_line(quantity: Any, unit_price: Any, percent: Any, amount: Any) -> dict[str, Decimal]:
    """Extended price after discount; a discount amount wins over a percent when both are sent."""
    qty = Decimal(str(quantity if quantity is not None else 0))
    price = Decimal(str(unit_price if unit_price is not None else 0))
    gross = qty * price
    if amount is not None:
        discount = Decimal(str(amount))
        pct = (discount / gross * 100) if gross else ZERO
    else:
        pct = Decimal(str(percent if percent is not None else 0))
        discount = gross * pct / 100
    discount = money(discount)
    return {
        "quantity": qty,
        "unitPrice": price,
        "discountPercent": pct.quantize(Decimal("0.000001")).normalize(),
        "discountAmount": discount,
        "discUnitPrice": money(price * (1 - pct / 100)),
        "extPrice": money(gross - discount),
    }


def document_totals(
    state: CompanyState, lines: list[Record], *, category_key: str = "taxCategory"
) -> dict[str, Decimal]:
    """VAT-taxable/exempt totals, VAT and discount totals for a document's lines."""
    taxable = exempt = vat = discount = ZERO
    for line in lines:
        category = line.get(category_key)
        if isinstance(category, dict):
            category = category.get("id")
        rate = category_rate(state, category)
        amount = line.get("extPrice", line.get("amount", ZERO))
        if rate > 0:
            taxable += amount
            vat += amount * rate / 100
        else:
            exempt += amount
        discount += line.get("discountAmount", ZERO)
    vat = money(vat)
    return {
        "vatTaxableTotal": money(taxable),
        "vatExemptTotal": money(exempt),
        "taxTotal": vat,
        "discountTotal": money(discount),
        "total": money(taxable + exempt + vat),
    }
