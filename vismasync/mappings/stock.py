"""Stock levels: a Visma.net item's warehouse details as one eAccounting stock balance (pure)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

QuantityKind = Literal["on_hand", "available"]
_FIELD = {"on_hand": "quantityOnHand", "available": "available"}


def stock_quantity(
    item: Mapping[str, Any], warehouses: Collection[str], kind: QuantityKind
) -> Decimal:
    """The item's quantity summed over ``warehouses`` (every warehouse when empty)."""
    total = Decimal(0)
    for detail in item.get("warehouseDetails") or []:
        if warehouses and detail.get("warehouse") not in warehouses:
            continue
        value = detail.get(_FIELD[kind])
        if value is not None:
            total += Decimal(str(value))
    return total.normalize() if total else Decimal(0)


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def availability_changed_at(item: Mapping[str, Any]) -> datetime | None:
    """When the item's stock last moved: the newest warehouse-detail change (the time Visma.net's
    ``availabilityLastModifiedDateTime`` filter compares), else the item's own change time."""
    stamps = [_utc(d.get("lastModifiedDateTime")) for d in item.get("warehouseDetails") or []]
    present = [s for s in stamps if s is not None]
    return max(present) if present else _utc(item.get("lastModifiedDateTime"))


def same_balance(current: Any, wanted: Decimal) -> bool:
    return current is not None and Decimal(str(current)) == wanted
