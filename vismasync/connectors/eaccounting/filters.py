"""An OData ``$filter`` builder that renders values safely.

Values are always rendered as literals (strings quoted with ``'`` doubled, date-times as UTC ISO
8601, GUIDs and numbers bare), and property names must be plain identifiers, so a value such as
``o'brien@example.com`` or ``x' or 1 eq 1`` can never change the shape of the expression.

    >>> str(eq("EmailAddress", "o'brien@example.com") & eq("IsActive", True))
    "(EmailAddress eq 'o''brien@example.com') and (IsActive eq true)"
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")

# Keys per chunked ``$filter``: "Id eq <uuid> or ..." of 25 keys keeps URLs well inside
# common limits.
CHUNK_SIZE = 25

_PROPERTY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*$")


def literal(value: Any) -> str:
    """The OData literal for a Python value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous in a filter: give a timezone")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"cannot use a {type(value).__name__} in a filter")


def _property(name: str) -> str:
    if not _PROPERTY.match(name):
        raise ValueError(f"not a property name: {name!r}")
    return name


@dataclass(frozen=True)
class Filter:
    """A rendered filter expression; combine with ``&``, ``|`` and ``~``."""

    text: str

    def __str__(self) -> str:
        return self.text

    def __and__(self, other: Filter) -> Filter:
        return Filter(f"({self.text}) and ({other.text})")

    def __or__(self, other: Filter) -> Filter:
        return Filter(f"({self.text}) or ({other.text})")

    def __invert__(self) -> Filter:
        return Filter(f"not ({self.text})")


def _compare(op: str, name: str, value: Any) -> Filter:
    return Filter(f"{_property(name)} {op} {literal(value)}")


def eq(name: str, value: Any) -> Filter:
    return _compare("eq", name, value)


def ne(name: str, value: Any) -> Filter:
    return _compare("ne", name, value)


def gt(name: str, value: Any) -> Filter:
    return _compare("gt", name, value)


def ge(name: str, value: Any) -> Filter:
    return _compare("ge", name, value)


def lt(name: str, value: Any) -> Filter:
    return _compare("lt", name, value)


def le(name: str, value: Any) -> Filter:
    return _compare("le", name, value)


def contains(name: str, value: str) -> Filter:
    return Filter(f"contains({_property(name)}, {literal(value)})")


def startswith(name: str, value: str) -> Filter:
    return Filter(f"startswith({_property(name)}, {literal(value)})")


def endswith(name: str, value: str) -> Filter:
    return Filter(f"endswith({_property(name)}, {literal(value)})")


def any_of(name: str, values: Sequence[Any]) -> Filter:
    """``name`` equals one of ``values`` (an ``or`` of ``eq``)."""
    if not values:
        raise ValueError("any_of needs at least one value")
    result = eq(name, values[0])
    for value in values[1:]:
        result = result | eq(name, value)
    return result


def all_of(*filters: Filter | None) -> Filter | None:
    """The ``and`` of the given filters, skipping ``None``; ``None`` when there are none."""
    present = [f for f in filters if f is not None]
    if not present:
        return None
    result = present[0]
    for item in present[1:]:
        result = result & item
    return result


def chunked(values: Sequence[T], size: int = CHUNK_SIZE) -> list[list[T]]:
    """``values`` in consecutive chunks of at most ``size`` (none for no values)."""
    if size < 1:
        raise ValueError("the chunk size must be at least 1")
    return [list(values[start : start + size]) for start in range(0, len(values), size)]


def any_of_chunks(name: str, values: Sequence[Any], size: int = CHUNK_SIZE) -> list[Filter]:
    """One :func:`any_of` filter per chunk of ``values`` (see :func:`chunked`): 25 keys per
    ``$filter`` keeps URLs well inside common limits."""
    return [any_of(name, chunk) for chunk in chunked(values, size)]
