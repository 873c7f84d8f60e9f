"""Stock quantities from Visma.net warehouse details (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from vismasync.mappings.stock import availability_changed_at, stock_quantity

ITEM = {
    "lastModifiedDateTime": "2026-01-01T00:00:00",
    "warehouseDetails": [
        {"warehouse": "MAIN", "quantityOnHand": "10", "available": "7",
         "lastModifiedDateTime": "2026-01-03T10:00:00"},
        {"warehouse": "NORTH", "quantityOnHand": "5", "available": "5",
         "lastModifiedDateTime": "2026-01-02T10:00:00"},
    ],
}  # fmt: skip


def test_quantity_is_summed_over_the_chosen_warehouses():
    assert stock_quantity(ITEM, [], "on_hand") == Decimal(15)
    assert stock_quantity(ITEM, ["MAIN"], "available") == Decimal(7)
    assert stock_quantity(ITEM, ["SOUTH"], "on_hand") == Decimal(0)


def test_availability_time_is_the_newest_warehouse_change():
    assert availability_changed_at(ITEM) == datetime(2026, 1, 3, 10, tzinfo=UTC)
    bare = {"lastModifiedDateTime": "2026-01-01T00:00:00", "warehouseDetails": []}
    assert availability_changed_at(bare) == datetime(2026, 1, 1, tzinfo=UTC)
