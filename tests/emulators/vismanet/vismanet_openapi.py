"""The official Visma.net ERP OpenAPI document as JSON-Schema validators for tests.

``vismanet-erp.json.gz`` is the official API description (vismanet-erp.json) (OpenAPI 3.0.4, sha256
``067737256e2d705f...``) gzipped unchanged. Object schemas are made closed
(``additionalProperties: false``) so a response or request with a field the spec does not
declare fails: the emulator and the connector may only use what the spec describes.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

SPEC_PATH = Path(__file__).with_name("vismanet-erp.json.gz")


@cache
def spec() -> dict[str, Any]:
    with gzip.open(SPEC_PATH, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _closed(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _closed(v) for k, v in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


@cache
def _components() -> dict[str, Any]:
    return _closed(copy.deepcopy(spec()["components"]))


def validator(schema: dict[str, Any]) -> Draft4Validator:
    """A validator for an OpenAPI schema object whose refs point into the spec's components."""
    return Draft4Validator({**_closed(schema), "components": _components()})


def operation(method: str, path: str) -> dict[str, Any]:
    return spec()["paths"][path][method.lower()]


def response_validator(method: str, path: str, status: str = "200") -> Draft4Validator:
    content = operation(method, path)["responses"][status]["content"]["application/json"]
    return validator(content["schema"])


def request_validator(method: str, path: str) -> Draft4Validator:
    content = operation(method, path)["requestBody"]["content"]["application/json"]
    return validator(content["schema"])


def errors(validator_: Draft4Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator_.iter_errors(document)
    ]


def spec_route(path: str) -> str | None:
    """The spec path matching a route template, comparing parameter slots by position and
    literal segments case-insensitively (ASP.NET routing is case-insensitive)."""
    pattern = re.sub(r"\{[^}]+\}", "{}", path).lower()
    for candidate in spec()["paths"]:
        if re.sub(r"\{[^}]+\}", "{}", candidate).lower() == pattern:
            return candidate
    return None


def query_parameters(method: str, path: str) -> set[str]:
    return {
        p["name"] for p in operation(method, path).get("parameters", []) if p.get("in") == "query"
    }
