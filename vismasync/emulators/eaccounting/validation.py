"""Request-body validation driven by the spec: required, type, format, length, range, enum.

Writes that break a rule get 400 ErrorCode 2000 with one ``Errors[]`` item per field (nested
fields named like ``Rows[0].LineNumber``); a malformed date gets 6001 as the service documents.
Read-only properties in a request are ignored, as are unknown properties (Json.NET does both).
"""

from __future__ import annotations

import uuid
from typing import Any

from vismasync.emulators.eaccounting import spec
from vismasync.emulators.eaccounting.errors import InvalidInput, ValidationFailed, field_error
from vismasync.emulators.eaccounting.odata_eval import parse_datetime

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def validate(definition: str, payload: Any) -> None:
    """Raise :class:`ValidationFailed` (2000) or :class:`InvalidInput` (6001) if invalid."""
    if not isinstance(payload, dict):
        raise ValidationFailed(
            [field_error("", "InvalidType", "The request body must be an object.")]
        )
    errors: list[dict[str, str | None]] = []
    _check_object(definition, payload, "", errors)
    if errors:
        raise ValidationFailed(errors)


def _check_object(
    definition: str, payload: dict[str, Any], prefix: str, errors: list[dict[str, str | None]]
) -> None:
    schema = spec.definition(definition)
    props: dict[str, dict[str, Any]] = schema.get("properties", {})
    for name in schema.get("required", []):
        if props.get(name, {}).get("readOnly"):
            continue
        if payload.get(name) is None:
            errors.append(field_error(prefix + name, "Required", f"The {name} field is required."))
    for name, value in payload.items():
        prop = props.get(name)
        if prop is None or prop.get("readOnly") or value is None:
            continue
        _check_value(prop, value, prefix + name, errors)


def _check_value(
    prop: dict[str, Any], value: Any, field: str, errors: list[dict[str, str | None]]
) -> None:
    ref = spec.ref_name(prop)
    if ref:
        if not isinstance(value, dict):
            errors.append(
                field_error(field, "InvalidType", f"The {field} field must be an object.")
            )
        else:
            _check_object(ref, value, field + ".", errors)
        return
    kind = prop.get("type")
    expected = _JSON_TYPES.get(kind or "")
    wrong_type = expected is not None and (
        not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool))
    )
    if wrong_type:
        errors.append(field_error(field, "InvalidType", f"The {field} field must be a {kind}."))
        return
    if kind == "array":
        items = prop.get("items", {})
        for index, item in enumerate(value):
            if item is not None:
                _check_value(items, item, f"{field}[{index}]", errors)
        return
    fmt = prop.get("format")
    if kind == "string":
        if fmt == "date-time":
            try:
                parse_datetime(value)
            except ValueError:
                raise InvalidInput(
                    f"InvalidInput - The value '{value}' of {field} is not a valid DateTime format."
                ) from None
        elif fmt == "uuid":
            try:
                uuid.UUID(value)
            except ValueError:
                errors.append(
                    field_error(field, "InvalidValue", f"The {field} field must be a GUID.")
                )
        max_length = prop.get("maxLength")
        if max_length is not None and len(value) > max_length:
            errors.append(
                field_error(
                    field,
                    "MaxLength",
                    f"The field {field} must be a string with a maximum length of {max_length}.",
                )
            )
    if "enum" in prop and value not in prop["enum"]:
        allowed = ", ".join(str(v) for v in prop["enum"])
        errors.append(
            field_error(field, "InvalidValue", f"The {field} field must be one of {allowed}.")
        )
    elif kind in ("integer", "number"):
        low, high = prop.get("minimum"), prop.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            errors.append(
                field_error(field, "Range", f"The field {field} must be between {low} and {high}.")
            )
