"""VAT-inclusive documents: net prices whose Visma.net total equals the eAccounting total."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.mappings.test_sales_orders import Maps, Settings
from vismasync.mappings.sales_orders import (
    DocumentContext,
    MappingProblem,
    NetLine,
    map_sales_order,
    money,
    settle_net_prices,
    vismanet_total,
)

RATES = [Decimal("0.25"), Decimal("0.12"), Decimal("0.06"), Decimal("0")]

line_strategy = st.builds(
    NetLine,
    quantity=st.decimals(min_value=1, max_value=500, places=0),
    gross_price=st.decimals(min_value="0.01", max_value="99999", places=2),
    discount=st.sampled_from([Decimal(0), Decimal("0.1"), Decimal("0.125"), Decimal("0.5")]),
    rate=st.sampled_from(RATES),
)


def _reachable(total: Decimal, rate: Decimal) -> bool:
    """Is there a net amount n (in cents) with n + round(n * rate) == total?"""
    guess = money(total / (1 + rate))
    return any(
        (n := guess + Decimal(step) / 100) + money(n * rate) == total for step in range(-3, 4)
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(line_strategy, min_size=1, max_size=12))
def test_visma_net_total_of_the_net_prices_is_the_gross_total(lines):
    gross_total = sum((line.gross_amount for line in lines), Decimal(0))

    settle_net_prices(lines)

    total = vismanet_total(lines)
    # Visma.net adds VAT to rounded net amounts, so a few gross totals have no net amount at
    # all (1.07 at 25 %: 0.85 -> 1.06, 0.86 -> 1.08); those land one cent off, never more.
    assert abs(total - gross_total) <= Decimal("0.01")
    rates = {line.rate for line in lines}
    if len(rates) == 1 and _reachable(gross_total, rates.pop()):
        assert total == gross_total
    for line in lines:
        # Net of VAT: each line within a few cents of the exact conversion of its amount.
        exact = line.gross_amount / (1 + line.rate)
        assert abs(line.net_amount - exact) <= Decimal("0.13")


def test_a_simple_private_person_order_is_sent_net():
    document = {
        "Number": 7, "IncludesVat": True, "CurrencyCode": "SEK",
        "Rows": [
            {"LineNumber": 1, "ArticleNumber": "A", "Quantity": 3, "UnitPrice": 99.9,
             "DiscountPercentage": 0.1},
            {"LineNumber": 2, "ArticleNumber": "B", "Quantity": 1, "UnitPrice": 49.0},
        ],
    }  # fmt: skip
    context = DocumentContext("EA7", "10001", "1", "SE", None, {"A": "25", "B": "12"})

    payload, _ = map_sales_order(document, Settings(), Maps(), context, None)

    first, second = payload["lines"]
    assert first["unitPrice"] == pytest.approx(79.92, abs=0.001)
    assert first["discountPercent"] == 10
    assert second["unitPrice"] == pytest.approx(43.75, abs=0.001)
    # Visma.net: 3 * 79.92 - 10 % = 215.78 (+25 %), 43.75 (+12 %) -> 269.73 + 59.20 = 328.93;
    # eAccounting: 3 * 99.90 * 0.9 = 269.73 and 49.00 -> 318.73 gross.
    lines = [
        NetLine(Decimal(3), Decimal("99.9"), Decimal("0.1"), Decimal("0.25")),
        NetLine(Decimal(1), Decimal("49.0"), Decimal(0), Decimal("0.12")),
    ]
    settle_net_prices(lines)
    assert vismanet_total(lines) == money(Decimal("269.73") + Decimal("49.00"))


def test_prices_excluding_vat_are_sent_as_they_are():
    document = {"Number": 8, "IncludesVat": False,
                "Rows": [{"ArticleNumber": "A", "Quantity": 1, "UnitPrice": 99.9}]}  # fmt: skip
    context = DocumentContext("EA8", "10001", "1", "SE", None, {"A": "25"})

    payload, _ = map_sales_order(document, Settings(), Maps(), context, None)

    assert payload["lines"][0]["unitPrice"] == 99.9


def test_an_article_without_a_vat_rate_fails_the_document_with_what_to_fix():
    document = {"Number": 9, "IncludesVat": True,
                "Rows": [{"LineNumber": 1, "ArticleNumber": "X", "Quantity": 1,
                          "UnitPrice": 10.0}]}  # fmt: skip
    context = DocumentContext("EA9", "10001", "1", "SE", None, {})

    with pytest.raises(MappingProblem, match="'X' has no VAT rate"):
        map_sales_order(document, Settings(), Maps(), context, None)
