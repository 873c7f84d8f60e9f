"""The data mapper and content hashes (pure code)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from vismasync.mappings.data_mapper import (
    MappingError,
    apply_rules,
    check_expression,
    evaluate,
    get_path,
    set_path,
)
from vismasync.mappings.hashing import content_hash

ORDER = {
    "Number": 1042,
    "YourReference": "PO-7",
    "Rows": [{"ArticleNumber": "SKU-1", "Quantity": Decimal("2")}],
    "Customer": {"Name": "Fjord AS", "Email": None},
}


@dataclass
class Rule:
    target: str
    source: str | None = None
    expression: str | None = None


def test_get_path_walks_objects_and_lists():
    assert get_path(ORDER, "Rows[0].ArticleNumber") == "SKU-1"
    assert get_path(ORDER, "Customer.Name") == "Fjord AS"
    assert get_path(ORDER, "Rows[3].ArticleNumber") is None
    assert get_path(ORDER, "Customer.Email.Domain") is None
    assert get_path(ORDER, "Missing") is None


def test_set_path_creates_nested_objects():
    target: dict = {}
    set_path(target, "soShippingAddress.city", "Oslo")
    set_path(target, "description", "x")
    assert target == {"soShippingAddress": {"city": "Oslo"}, "description": "x"}


def test_rules_override_and_add_fields_in_order():
    built_in = {"description": "default", "lines": [{"note": None}]}
    rules = [
        Rule(target="customerRefNo", source="YourReference"),
        Rule(target="description", expression="'eAccounting order ' + str(Number)"),
        Rule(target="lines[0].note", expression="upper(Customer['Name'])"),
        Rule(target="description", expression="description_suffix if False else 'final'"),
    ]
    result = apply_rules(rules, ORDER, built_in)
    assert result == {
        "description": "final",
        "lines": [{"note": "FJORD AS"}],
        "customerRefNo": "PO-7",
    }
    assert built_in["description"] == "default"  # the built-in payload is not modified


def test_expressions_are_sandboxed():
    for expression in ("open('/etc/passwd')", "().__class__", "__import__('os')"):
        with pytest.raises(MappingError):
            evaluate(expression, ORDER)


def test_expression_errors_name_the_expression():
    with pytest.raises(MappingError, match="Number / 0"):
        evaluate("Number / 0", ORDER)


def test_decimals_mix_with_literals():
    assert evaluate("Rows[0]['Quantity'] * 1.5", ORDER) == 3.0


def test_check_expression_rejects_syntax_errors():
    assert check_expression("a + 1") == "a + 1"
    with pytest.raises(ValueError, match="not a valid expression"):
        check_expression("a +")


def test_content_hash_ignores_key_order_and_decimal_form():
    a = {"x": Decimal("1.50"), "y": [1, "b"]}
    b = {"y": [1, "b"], "x": Decimal("1.5")}
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash({**a, "x": Decimal("1.51")})
