"""A small, strict OData ``$filter``, ``$orderby`` and ``$select`` reader for the emulator.

Tokenizer plus recursive-descent parser over the grammar the service documents and clients use:

    expr    := and ('or' and)*          and := unary ('and' unary)*
    unary   := 'not' unary | compare    compare := value (('eq'|'ne'|'gt'|'ge'|'lt'|'le') value)?
    value   := '-' value | '(' expr ')' | literal | call | path | path '/' ('any'|'all') lambda
    literal := 'string' ('' escapes a quote) | number | true | false | null
             | 2024-01-31T10:00:00Z (unquoted ISO 8601) | datetime'...' | GUID | guid'...'

Properties are checked against the spec's model (unknown -> 6000); a malformed date -> 6001.

Evaluation lives in :mod:`odata_eval`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vismasync.emulators.eaccounting import spec
from vismasync.emulators.eaccounting.errors import InvalidInput, QueryParameterError
from vismasync.emulators.eaccounting.odata_eval import (
    BoolOp,
    Call,
    Compare,
    Lambda,
    Literal,
    Negate,
    Not,
    Prop,
    evaluate,
    parse_datetime,
    truthy,
)

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-]))
  | (?P<date>\d{4}-\d{1,2}-\d{1,2}(?:T[0-9:.]+)?(?:Z|[+-]\d{2}:?\d{2})?(?![\w:.-]))
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?(?![\w.]))
  | (?P<string>'(?:[^']|'')*')
  | (?P<typed>(?:datetime|datetimeoffset|guid)'(?:[^']|'')*')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[(),:/\-])
    """,
    re.VERBOSE,
)
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
FUNCTIONS: dict[str, int] = {
    "contains": 2, "startswith": 2, "endswith": 2, "tolower": 1, "toupper": 1, "trim": 1,
    "length": 1,
}  # fmt: skip


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if not match:
            raise QueryParameterError(
                f"QueryParameterError - Syntax error at position {position} in '{text}'."
            )
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, model: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.scopes: list[dict[str, str]] = [{"$it": model}]  # lambda variable -> definition

    def error(self, message: str) -> QueryParameterError:
        return QueryParameterError(f"QueryParameterError - {message} in '{self.text}'.")

    def peek(self, offset: int = 0) -> Token | None:
        at = self.index + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("Unexpected end of expression")
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise self.error(f"Expected '{text}' at position {token.position}")

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "ident" and token.text == word:
            self.index += 1
            return True
        return False

    def parse(self) -> Any:
        node = self.expr()
        if self.peek() is not None:
            token = self.take()
            raise self.error(f"Unexpected '{token.text}' at position {token.position}")
        return node

    def expr(self) -> Any:
        items = [self.conjunction()]
        while self.keyword("or"):
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def conjunction(self) -> Any:
        items = [self.unary()]
        while self.keyword("and"):
            items.append(self.unary())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def unary(self) -> Any:
        if self.keyword("not"):
            return Not(self.unary())
        return self.compare()

    def compare(self) -> Any:
        left = self.value()
        token = self.peek()
        if token is not None and token.kind == "ident" and token.text in COMPARISONS:
            self.index += 1
            right = self.value()
            return Compare(token.text, *_typed_operands(left, right))
        return left

    def value(self) -> Any:
        token = self.take()
        if token.text == "-":
            return Negate(self.value())
        if token.text == "(":
            node = self.expr()
            self.expect(")")
            return node
        if token.kind == "string":
            return Literal(token.text[1:-1].replace("''", "'"))
        if token.kind == "number":
            number = token.text.rstrip("mMdDfFlL")
            return Literal(float(number) if any(c in number for c in ".eE") else int(number))
        if token.kind == "guid":
            return Literal(token.text.lower())
        if token.kind == "date":
            return Literal(_datetime_literal(token.text))
        if token.kind == "typed":
            prefix, _, quoted = token.text.partition("'")
            raw = quoted[:-1].replace("''", "'")
            return Literal(raw.lower() if prefix == "guid" else _datetime_literal(raw))
        if token.kind == "ident":
            if token.text in ("true", "false"):
                return Literal(token.text == "true")
            if token.text == "null":
                return Literal(None)
            nxt = self.peek()
            if nxt is not None and nxt.text == "(":
                return self.call(token.text)
            return self.path(token.text)
        raise self.error(f"Unexpected '{token.text}' at position {token.position}")

    def call(self, name: str) -> Call:
        if name not in FUNCTIONS:
            raise self.error(f"Unknown function '{name}'")
        self.expect("(")
        args = [self.expr()]
        while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
            self.index += 1
            args.append(self.expr())
        self.expect(")")
        if len(args) != FUNCTIONS[name]:
            raise self.error(f"Function '{name}' takes {FUNCTIONS[name]} argument(s)")
        return Call(name, tuple(args))

    def path(self, first: str) -> Any:
        variable = next((s[first] for s in reversed(self.scopes[1:]) if first in s), None)
        if variable is not None:
            # A lambda variable: its value is one item of the collection being tested.
            segments, fmt, current, collection = ["$" + first], None, variable, False
        else:
            root = self.scopes[0]["$it"]
            fmt = self._format(root, first)
            segments, current = [first], spec.item_definition(root, first)
            collection = spec.properties(root)[first].get("type") == "array"
        while self.peek() is not None and self.peek().text == "/":  # type: ignore[union-attr]
            self.index += 1
            name = self.take().text
            if name in ("any", "all"):
                if not collection or current is None:
                    raise self.error(f"'{'/'.join(segments)}' is not a collection")
                return self._lambda(Prop(tuple(segments), fmt), name, current)
            if current is None or collection:
                raise self.error(f"'{'/'.join(segments)}' has no property '{name}'")
            fmt = self._format(current, name)
            collection = spec.properties(current)[name].get("type") == "array"
            current = spec.item_definition(current, name)
            segments.append(name)
        return Prop(tuple(segments), fmt)

    def _lambda(self, collection: Prop, quantifier: str, item_model: str) -> Any:
        self.expect("(")
        variable = self.take().text
        self.expect(":")
        self.scopes.append({variable: item_model})
        body = self.expr()
        self.scopes.pop()
        self.expect(")")
        return Lambda(collection, quantifier, variable, body)

    def _format(self, model: str, name: str) -> str | None:
        props = spec.properties(model) if model else {}
        if name not in props:
            raise self.error(f"Could not find a property named '{name}' on type '{model}'")
        schema = props[name]
        return schema.get("format") or schema.get("type")


def _datetime_literal(text: str) -> datetime:
    try:
        return parse_datetime(text)
    except ValueError:
        raise InvalidInput(
            f"InvalidInput - The value '{text}' is not a valid DateTime format."
        ) from None


def _typed_operands(left: Any, right: Any) -> tuple[Any, Any]:
    """A quoted string compared with a date-time property is read as a date-time (6001 if bad)."""
    for this, other in ((left, right), (right, left)):
        if (
            isinstance(this, Prop)
            and this.fmt == "date-time"
            and isinstance(other, Literal)
            and isinstance(other.value, str)
        ):
            converted = Literal(_datetime_literal(other.value))
            return (left, converted) if this is left else (converted, right)
    return left, right


def compile_filter(text: str, model: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate over records of definition ``model``; raises 6000/6001 errors when invalid."""
    tree = _Parser(text, model).parse()
    return lambda record: truthy(evaluate(tree, record, {}))


def compile_orderby(text: str, model: str) -> list[tuple[str, bool, str | None]]:
    """``"Name desc, Number"`` -> ``[("Name", True, "string"), ("Number", False, "string")]``."""
    keys = []
    props = spec.properties(model)
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise QueryParameterError(f"QueryParameterError - Invalid $orderby '{text}'.")
        if words[0] not in props:
            raise QueryParameterError(
                f"QueryParameterError - Could not find a property named '{words[0]}' on type "
                f"'{model}' in '$orderby={text}'."
            )
        schema = props[words[0]]
        keys.append((words[0], len(words) == 2 and words[1] == "desc", schema.get("format")))
    return keys


def compile_select(text: str, model: str) -> list[str]:
    """``"Id, ModifiedUtc"`` -> ``["Id", "ModifiedUtc"]``: top-level properties of ``model``
    (an unknown or nested one is a 6000 error, as for ``$orderby``)."""
    props = spec.properties(model)
    names = [part.strip() for part in text.split(",")]
    for name in names:
        if name not in props:
            raise QueryParameterError(
                f"QueryParameterError - Could not find a property named '{name}' on type "
                f"'{model}' in '$select={text}'."
            )
    return list(dict.fromkeys(names))
