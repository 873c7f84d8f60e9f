"""The OData filter tree, its evaluation against one record, and sorting for ``$orderby``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Prop:
    path: tuple[str, ...]
    fmt: str | None  # the spec's type/format of the leaf ("date-time", "uuid", "string", ...)


@dataclass(frozen=True)
class Lambda:
    collection: Prop
    quantifier: str  # any | all
    variable: str
    body: Any


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Compare:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class BoolOp:
    op: str
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    item: Any


@dataclass(frozen=True)
class Negate:
    item: Any


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date or date-time as aware UTC (naive values are UTC); ``ValueError`` if bad."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _resolve(node: Prop, record: dict[str, Any], variables: dict[str, Any]) -> Any:
    first = node.path[0]
    value: Any = variables.get(first[1:]) if first.startswith("$") else record.get(first)
    for name in node.path[1:]:
        value = value.get(name) if isinstance(value, dict) else None
    if value is not None and node.fmt == "date-time" and isinstance(value, str):
        return parse_datetime(value)
    if value is not None and node.fmt == "uuid" and isinstance(value, str):
        return value.lower()
    return value


def evaluate(node: Any, record: dict[str, Any], variables: dict[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Prop):
        return _resolve(node, record, variables)
    if isinstance(node, BoolOp):
        results = (truthy(evaluate(i, record, variables)) for i in node.items)
        return any(results) if node.op == "or" else all(results)
    if isinstance(node, Not):
        return not truthy(evaluate(node.item, record, variables))
    if isinstance(node, Negate):
        value = evaluate(node.item, record, variables)
        return -value if isinstance(value, int | float) else None
    if isinstance(node, Compare):
        return _compare(
            node.op,
            evaluate(node.left, record, variables),
            evaluate(node.right, record, variables),
        )
    if isinstance(node, Call):
        return _call(node.name, [evaluate(a, record, variables) for a in node.args])
    if isinstance(node, Lambda):
        items = _resolve(node.collection, record, variables) or []
        test = (
            truthy(evaluate(node.body, record, {**variables, node.variable: item}))
            for item in items
        )
        return any(test) if node.quantifier == "any" else all(test)
    raise TypeError(f"unknown node {node!r}")


def truthy(value: Any) -> bool:
    return value is True


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if left is None or right is None:
        return False
    try:
        return {
            "gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right
        }[op]  # fmt: skip
    except TypeError:
        return False  # mismatched types never match, as in a typed query


def _call(name: str, args: list[Any]) -> Any:
    if any(a is None for a in args):
        return None
    if not all(isinstance(a, str) for a in args):
        return None
    if name == "contains":
        return args[1] in args[0]
    if name == "startswith":
        return args[0].startswith(args[1])
    if name == "endswith":
        return args[0].endswith(args[1])
    if name == "tolower":
        return args[0].lower()
    if name == "toupper":
        return args[0].upper()
    if name == "trim":
        return args[0].strip()
    return len(args[0])


def sort_records(records: list[dict[str, Any]], keys: list[tuple[str, bool, str | None]]) -> None:
    """Sort in place by ``keys`` (stable, applied last key first); nulls sort lowest."""
    for name, descending, fmt in reversed(keys):

        def key(record: dict[str, Any], name: str = name, fmt: str | None = fmt) -> Any:
            value = record.get(name)
            if value is None:
                return (0, 0)
            if fmt == "date-time" and isinstance(value, str):
                return (1, parse_datetime(value))
            return (1, value)

        records.sort(key=key, reverse=descending)
