"""The ``{"value": ...}`` write wrappers, done once and only here.

Visma.net write DTOs (``*UpdateDto``) wrap every member as ``{"value": x}``, nested objects
too (``"mainAddress": {"value": {"city": {"value": "Oslo"}}}``); arrays of lines stay bare and
each line carries a bare ``operation`` plus wrapped members (Visma's API documentation).
Reads are plain JSON, so there is nothing to unwrap on the way in.
"""

from __future__ import annotations

from typing import Any

# Members the spec declares bare: line operations, the class-override flag, GL segment pairs.
BARE_MEMBERS = frozenset({"operation", "overrideWithClassValues", "segmentId", "segmentValue"})
# Nested objects the spec declares bare (their members are wrapped): RotRutUpdateDto,
# PackagingUpdateDto, IntrastatUpdateDto.
BARE_OBJECTS = frozenset({"rotRutDetails", "packaging", "intrastat"})


def wrap(payload: dict[str, Any]) -> dict[str, Any]:
    """A plain write DTO (camelCase, None already dropped) in Visma.net's wrapped form."""
    wrapped: dict[str, Any] = {}
    for key, value in payload.items():
        if value is None:
            continue
        if key in BARE_MEMBERS:
            wrapped[key] = value
        elif isinstance(value, list):
            wrapped[key] = [wrap(item) if isinstance(item, dict) else item for item in value]
        elif isinstance(value, dict):
            wrapped[key] = wrap(value) if key in BARE_OBJECTS else {"value": wrap(value)}
        else:
            wrapped[key] = {"value": value}
    return wrapped
