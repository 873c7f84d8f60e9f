"""The data mapper: user rules that set target fields from source paths or expressions.

The built-in mapping of each flow produces a target payload; the integration's
``field_mappings`` then add or override fields. Expressions run in a sandbox (``simpleeval``):
arithmetic, comparisons, string methods and a few safe functions, no imports, no attribute
access to internals, no I/O.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from itertools import pairwise
from typing import Any, Protocol

from simpleeval import EvalWithCompoundTypes, InvalidExpression

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

SAFE_FUNCTIONS = {
    "str": str,
    "int": int,
    "float": float,
    "round": round,
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "bool": bool,
    "upper": lambda value: str(value).upper(),
    "lower": lambda value: str(value).lower(),
    "strip": lambda value: str(value).strip(),
    "coalesce": lambda *values: next((v for v in values if v not in (None, "")), None),
}


class FieldRule(Protocol):
    """One user rule (``FieldMapping`` in the configuration)."""

    target: str
    source: str | None
    expression: str | None
    clear: bool


class MappingError(ValueError):
    """A rule could not be applied to a record; the message names the rule and the cause."""


def check_expression(expression: str) -> str:
    """Reject expressions that do not parse, at configuration time."""
    try:
        ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"is not a valid expression: {exc.msg} at column {exc.offset}") from exc
    return expression


def _parts(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for name, index in _PATH_PART.findall(path):
        parts.append(int(index) if index else name)
    if not parts:
        raise MappingError(f"empty field path {path!r}")
    return parts


def get_path(record: Any, path: str) -> Any:
    """``record`` at ``path`` such as ``Rows[0].ArticleNumber``; None when any part is missing."""
    value = record
    for part in _parts(path):
        if isinstance(part, int):
            if not isinstance(value, Sequence) or isinstance(value, str) or part >= len(value):
                return None
            value = value[part]
        elif isinstance(value, Mapping):
            value = value.get(part)
        else:
            return None
        if value is None:
            return None
    return value


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` in ``target``, creating nested objects on the way (lists are not created)."""
    parts = _parts(path)
    node: Any = target
    for part, following in pairwise(parts):
        if isinstance(part, int):
            node = node[part]
            continue
        if not isinstance(node.get(part), dict | list):
            node[part] = [] if isinstance(following, int) else {}
        node = node[part]
    node[parts[-1]] = value


def _plain(value: Any) -> Any:
    """Decimals become floats so expressions can mix them with literals."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def evaluate(expression: str, record: Mapping[str, Any]) -> Any:
    """Evaluate ``expression`` with the record's top-level fields (and ``source``) as names."""
    plain = _plain(record)
    names = {**plain, "source": plain}
    evaluator = EvalWithCompoundTypes(names=names, functions=SAFE_FUNCTIONS)
    try:
        return evaluator.eval(expression)
    except (InvalidExpression, ArithmeticError, TypeError, ValueError, KeyError) as exc:
        raise MappingError(f"expression {expression!r} failed: {exc}") from exc


def apply_rules(
    rules: Sequence[FieldRule], source: Mapping[str, Any], target: dict[str, Any]
) -> dict[str, Any]:
    """Apply ``rules`` in order to a copy of ``target``; later rules win.

    A rule whose value is absent (None) leaves the target as the built-in mapping made it, so
    a mapping never clears a value typed in the target unless the rule says ``clear``.
    """
    result = _deep_copy(target)
    for rule in rules:
        if rule.expression is not None:
            value = evaluate(rule.expression, source)
        else:
            value = get_path(source, rule.source or "")
        if value is None and not getattr(rule, "clear", False):
            continue
        try:
            set_path(result, rule.target, value)
        except (IndexError, TypeError) as exc:
            raise MappingError(f"cannot set {rule.target!r}: {exc}") from exc
    return result


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
