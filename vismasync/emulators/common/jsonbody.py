"""Request bodies as the APIs read them: JSON nested at most :data:`MAX_DEPTH` deep.

Both APIs are ASP.NET services whose JSON readers stop at a nesting depth of 64 and answer
400; Python's parser would instead recurse until it fails with a ``RecursionError`` (a 500,
and the connection reset). The depth is measured on the raw bytes before parsing.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class BodyError(ValueError):
    """The body is not JSON, or is nested deeper than :data:`MAX_DEPTH`."""


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in ``raw`` (strings are skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def load_body(raw: bytes) -> Any:
    """The JSON of a request body (``None`` when empty); :class:`BodyError` when it is not
    JSON or is nested too deep."""
    if not raw:
        return None
    if nesting_depth(raw) > MAX_DEPTH:
        raise BodyError(f"the JSON is nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BodyError(f"the body is not valid JSON: {exc}") from None
