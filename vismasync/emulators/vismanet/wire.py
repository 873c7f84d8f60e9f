"""Wire formats: read DTO rendering and ``{"value": ...}`` write-wrapper unwrapping."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from vismasync.emulators.vismanet.errors import ValidationError

# Members that write DTOs carry bare (not wrapped): line operations, class-override flags and
# GL segment pairs (spec: SalesOrderLineUpdateDto.operation, CustomerUpdateDto.
# overrideWithClassValues, SegmentUpdateDto).
BARE_SCALARS = frozenset({"operation", "overrideWithClassValues", "segmentId", "segmentValue"})


def render(value: Any) -> Any:
    """A stored record as JSON: absent (None) members omitted, since the spec declares no field
    nullable; time stamps offset-less with milliseconds; amounts as numbers."""
    if isinstance(value, dict):
        return {k: render(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [render(v) for v in value]
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def unwrap_dto(body: Any, dto_name: str, action: str) -> dict[str, Any]:
    """The plain fields of a wrapped write DTO, or the ERP's "not recognized" 400.

    Every scalar member must come as ``{"value": x}``; nested objects are wrapped too and their
    members again; arrays of lines are bare with wrapped members.
    """
    if not isinstance(body, dict):
        raise _not_recognized(dto_name, action, "the body is not a JSON object")
    return _unwrap_object(body, dto_name, action, path="")


def _unwrap_object(body: dict[str, Any], dto: str, action: str, path: str) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for key, member in body.items():
        where = f"{path}{key}"
        if member is None:
            continue
        if isinstance(member, list):
            plain[key] = [
                _unwrap_object(item, dto, action, f"{where}[{i}].")
                if isinstance(item, dict)
                else _fail(dto, action, where)
                for i, item in enumerate(member)
            ]
        elif isinstance(member, dict) and "value" in member and len(member) == 1:
            inner = member["value"]
            plain[key] = (
                _unwrap_object(inner, dto, action, f"{where}.")
                if isinstance(inner, dict)
                else inner
            )
        elif isinstance(member, dict):
            plain[key] = _unwrap_object(member, dto, action, f"{where}.")
        elif key in BARE_SCALARS:
            plain[key] = member
        else:
            _fail(dto, action, where)
    return plain


def _fail(dto: str, action: str, where: str) -> Any:
    raise _not_recognized(dto, action, f"member '{where}' must be an object {{\"value\": ...}}")


def _not_recognized(dto: str, action: str, detail: str) -> ValidationError:
    return ValidationError(
        f"Error {action}. Visma.net.ERP.Web.Api.ExceptionHandling.PostException: "
        f"Data received not recognized as {dto}: {detail}."
    )
