"""The emulator's OData reader: grammar, typing, errors, and the connector's escaping."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vismasync.connectors.eaccounting import filters as f
from vismasync.emulators.eaccounting.errors import InvalidInput, QueryParameterError
from vismasync.emulators.eaccounting.odata import compile_filter, compile_orderby
from vismasync.emulators.eaccounting.odata_eval import sort_records

CUSTOMER = {
    "Name": "O'Brien AB",
    "EmailAddress": "o'brien.27@example.com",
    "ChangedUtc": "2025-03-01T10:00:00.000Z",
    "IsActive": True,
    "IsPrivatePerson": False,
    "Id": "ABCDEF01-0000-4000-8000-000000000000",
    "DiscountPercentage": 0.1,
    "TermsOfPayment": {"NumberOfDays": 30},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("EmailAddress eq 'o''brien.27@example.com'", True),
        ("EmailAddress eq 'o'", False),
        ("ChangedUtc gt 2025-01-01T00:00:00+00:00 and IsActive eq true", True),
        ("ChangedUtc lt 2025-03-01T10:00:00Z", False),
        ("ChangedUtc ge datetime'2025-03-01T10:00:00'", True),
        ("ChangedUtc le '2025-03-01'", False),
        ("not contains(Name, 'AB') or startswith(tolower(Name), 'o''b')", True),
        ("endswith(Name, 'AB') and not (IsPrivatePerson eq true)", True),
        ("Id eq abcdef01-0000-4000-8000-000000000000", True),
        ("DiscountPercentage ge 0.1 and DiscountPercentage lt 1", True),
        ("TermsOfPayment/NumberOfDays eq 30", True),
        ("EmailAddress ne null", True),
        ("Name eq 'x' or Name eq 'y' or Name eq 'O''Brien AB'", True),
    ],
)
def test_filters_evaluate_like_odata(expression: str, expected: bool) -> None:
    assert compile_filter(expression, "CustomerApi")(CUSTOMER) is expected


def test_lambda_and_negated_property() -> None:
    order = {"Rows": [{"ArticleNumber": "SKU-1"}, {"ArticleNumber": "SKU-2"}]}
    assert compile_filter("Rows/any(r: r/ArticleNumber eq 'SKU-2')", "OrderApi")(order)
    assert not compile_filter("Rows/all(r: r/ArticleNumber eq 'SKU-2')", "OrderApi")(order)
    invoice = {"RemainingAmountInvoiceCurrency": -5, "TotalAmountInvoiceCurrency": 5}
    expression = "RemainingAmountInvoiceCurrency eq -TotalAmountInvoiceCurrency"
    assert compile_filter(expression, "CustomerInvoiceApi")(invoice)


@pytest.mark.parametrize(
    "expression",
    [
        "Unknown eq 1",
        "Name eq 'unterminated",
        "Name eq 'x' or",
        "Name eq 'a' or 1 eq 1'",
        "(Name eq 'x'",
        "Name eq 'x')",
        "frobnicate(Name)",
        "Name/any(x: x eq 'a')",
        "Name eq 'x' ; drop",
    ],
)
def test_invalid_filters_are_error_6000(expression: str) -> None:
    with pytest.raises(QueryParameterError) as raised:
        compile_filter(expression, "CustomerApi")
    assert raised.value.error_code == 6000
    assert raised.value.status == 400


@pytest.mark.parametrize(
    "expression",
    ["ChangedUtc gt 2025-13-45", "ChangedUtc gt 'yesterday'", "ChangedUtc gt datetime'2025-02-30'"],
)
def test_bad_datetimes_are_error_6001(expression: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        compile_filter(expression, "CustomerApi")
    assert raised.value.error_code == 6001


def test_orderby_sorts_and_validates() -> None:
    records = [
        {"Name": "b", "Number": "2"},
        {"Name": None, "Number": "1"},
        {"Name": "a", "Number": "3"},
    ]
    sort_records(records, compile_orderby("Name desc, Number", "ArticleApi"))
    assert [r["Name"] for r in records] == ["b", "a", None]
    with pytest.raises(QueryParameterError):
        compile_orderby("Nope", "ArticleApi")
    with pytest.raises(QueryParameterError):
        compile_orderby("Name sideways", "ArticleApi")


@settings(max_examples=200, deadline=None)
@given(value=st.text(min_size=0, max_size=30), other=st.text(min_size=0, max_size=30))
def test_connector_escaping_round_trips_through_the_emulator_parser(value: str, other: str) -> None:
    """Two independent readings agree: whatever the connector renders, the emulator reads back
    as exactly that value, and a hostile value cannot widen the match."""
    predicate = compile_filter(str(f.eq("EmailAddress", value)), "CustomerApi")
    assert predicate({"EmailAddress": value})
    assert predicate({"EmailAddress": other}) is (other == value)
