"""The connector's filter builder renders values as literals that cannot inject."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from vismasync.connectors.eaccounting import filters as f


def test_literals() -> None:
    assert f.literal("o'brien") == "'o''brien'"
    assert f.literal("x' or 1 eq 1 or 'a") == "'x'' or 1 eq 1 or ''a'"
    assert f.literal(True) == "true" and f.literal(None) == "null"
    assert f.literal(Decimal("12.50")) == "12.50" and f.literal(3) == "3"
    guid = uuid.UUID("12345678-1234-4234-8234-123456789abc")
    assert f.literal(guid) == "12345678-1234-4234-8234-123456789abc"
    stockholm = timezone(timedelta(hours=1))
    when = datetime(2025, 3, 1, 11, 0, tzinfo=stockholm)
    assert f.literal(when) == "2025-03-01T10:00:00.000Z"
    assert f.literal(date(2025, 3, 1)) == "2025-03-01"
    with pytest.raises(ValueError):
        f.literal(datetime(2025, 3, 1))  # naive: ambiguous
    with pytest.raises(TypeError):
        f.literal(object())


def test_combinations() -> None:
    since = datetime(2025, 1, 1, tzinfo=UTC)
    expression = f.ge("ChangedUtc", since) & ~f.eq("IsActive", False) | f.contains("Name", "AB")
    assert str(expression) == (
        "((ChangedUtc ge 2025-01-01T00:00:00.000Z) and (not (IsActive eq false))) "
        "or (contains(Name, 'AB'))"
    )
    assert str(f.any_of("Status", [3, 4])) == "(Status eq 3) or (Status eq 4)"
    assert f.all_of(None, None) is None
    assert str(f.all_of(None, f.eq("A", 1))) == "A eq 1"
    assert str(f.startswith("Rows/ArticleNumber", "SKU")) == "startswith(Rows/ArticleNumber, 'SKU')"


@pytest.mark.parametrize("name", ["Name eq 'x' or Id", "Name)", "", "1Name", "Na me"])
def test_property_names_must_be_identifiers(name: str) -> None:
    with pytest.raises(ValueError):
        f.eq(name, "x")


def test_chunks_of_values_and_of_filters() -> None:
    values = [f"k{i}" for i in range(60)]
    assert [len(c) for c in f.chunked(values)] == [25, 25, 10]
    assert [x for c in f.chunked(values) for x in c] == values
    assert f.chunked([], 25) == [] and f.chunked((1, 2, 3), 2) == [[1, 2], [3]]
    filters = f.any_of_chunks("Id", values)
    assert len(filters) == 3 and str(filters[2]).count(" or ") == 9
    assert str(f.any_of_chunks("Number", ["a", "b"], size=1)[1]) == "Number eq 'b'"
    assert f.any_of_chunks("Id", []) == []
    with pytest.raises(ValueError):
        f.chunked(values, 0)
