"""Route templates of an emulator app: which endpoint a request is, in any letter case.

Built from the app's OpenAPI paths, so it sees routes however they were added (directly or
through included routers) without depending on the framework's internal route objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_PARAM = re.compile(r"\{[^}]+\}")


@dataclass(frozen=True)
class PathTemplate:
    method: str
    template: str  # e.g. "/v2/customers/{customerId}"
    regex: re.Pattern[str]

    def canonical(self, path: str) -> str:
        """``path`` with the template's spelling of every fixed segment (``/V2/Customers/7`` ->
        ``/v2/customers/7``); parameter segments keep the caller's spelling."""
        template_parts = self.template.split("/")
        path_parts = path.split("/")
        return "/".join(
            actual if _PARAM.fullmatch(fixed) else fixed
            for fixed, actual in zip(template_parts, path_parts, strict=True)
        )


class RouteTable:
    """(method, template) pairs matched case-insensitively against request paths."""

    def __init__(self, routes: Iterable[tuple[str, str]]) -> None:
        self.templates: list[PathTemplate] = []
        for method, template in routes:
            pieces = _PARAM.split(template)
            pattern = "^" + "[^/]+".join(re.escape(piece) for piece in pieces) + "$"
            self.templates.append(PathTemplate(method.upper(), template, re.compile(pattern, re.I)))

    @classmethod
    def from_openapi(cls, document: dict[str, Any]) -> RouteTable:
        pairs = [
            (method, path)
            for path, operations in document.get("paths", {}).items()
            for method in operations
            if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
        ]
        return cls(pairs)

    def resolve(self, method: str, path: str) -> PathTemplate | None:
        """The template for this method and path; a template of another method when only the
        path matches (still the same endpoint, e.g. for counting a 405)."""
        fallback: PathTemplate | None = None
        for template in self.templates:
            if template.regex.match(path):
                if template.method == method.upper():
                    return template
                fallback = fallback or template
        return fallback
