"""The official eAccounting v2 Swagger document, bundled, and what the emulator reads from it.

Shapes, required fields, lengths, ranges, enums and per-operation scopes all come from here, so
the emulator cannot drift from the spec (stripe-mock's approach). The file is Visma's published
Swagger 2.0 document for API v2 (sha256 ``b9b58c12...``), unchanged.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

SPEC_SHA256 = "b9b58c1235d24d11c2bf32be4758776574d7073a20cf7282bd0b93adb91c12d4"
_SCOPES_RE = re.compile(r"Requires any of the following scopes: <br><b>([^<]*)</b>")


@cache
def spec() -> dict[str, Any]:
    """The parsed Swagger document (cached; treat as read-only)."""
    text = resources.files(__package__).joinpath("eaccounting-v2.json").read_text("utf-8")
    return json.loads(text)


def definition(name: str) -> dict[str, Any]:
    return spec()["definitions"][name]


def properties(name: str) -> dict[str, dict[str, Any]]:
    return definition(name).get("properties", {})


def ref_name(schema: dict[str, Any]) -> str | None:
    """``CustomerApi`` for ``{"$ref": "#/definitions/CustomerApi"}``."""
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


def item_definition(name: str, field: str) -> str | None:
    """The definition of the items of an array property (``OrderApi.Rows`` -> ``OrderRowApi``)."""
    schema = properties(name).get(field, {})
    if schema.get("type") == "array":
        return ref_name(schema.get("items", {}))
    return ref_name(schema)


@cache
def operation_scopes(path: str, method: str) -> frozenset[str]:
    """Scopes any of which grants an operation, from its description (``/v2/customers``, GET)."""
    operation = spec()["paths"][path][method.lower()]
    match = _SCOPES_RE.search(operation.get("description", ""))
    if not match:
        return frozenset()
    return frozenset(s.strip() for s in match.group(1).split(",") if s.strip())


def blank(name: str) -> dict[str, Any]:
    """Every property of a definition set to ``None``: the real service serializes unset
    properties as ``null``, so responses always carry the full property set."""
    return dict.fromkeys(properties(name))


def writable(name: str) -> set[str]:
    """Properties a client may set (not ``readOnly``)."""
    return {k for k, v in properties(name).items() if not v.get("readOnly")}
