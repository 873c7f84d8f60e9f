"""Which mapped fields differ from what the target holds now (pure).

An update is only sent when this finds a difference, so an unchanged record costs no write, and
the update carries only the fields that changed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any


def changed_fields(
    wanted: Mapping[str, Any], current: Mapping[str, Any], keep: Collection[str] = ()
) -> dict[str, Any]:
    """The fields of ``wanted`` that differ from ``current``, except those in ``keep``."""
    return {
        name: value
        for name, value in wanted.items()
        if name not in keep and not same_value(value, current.get(name))
    }


def same_value(wanted: Any, current: Any) -> bool:
    """Equal as eAccounting stores them: numbers by value, lists of barcode objects by their
    codes, ids (GUIDs) in any case, other text exactly."""
    if isinstance(wanted, Decimal | int | float) and not isinstance(wanted, bool):
        if current is None or isinstance(current, bool):
            return False
        try:
            return Decimal(str(current)) == Decimal(str(wanted))
        except ArithmeticError:
            return False
    if isinstance(wanted, list):
        codes = {b.get("Barcode") for b in wanted if isinstance(b, Mapping)}
        have = {b.get("Barcode") for b in current or [] if isinstance(b, Mapping)}
        return codes == have
    if isinstance(wanted, str) and isinstance(current, str):
        return wanted.lower() == current.lower() if _looks_like_id(wanted) else wanted == current
    return wanted == current


def _looks_like_id(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4
