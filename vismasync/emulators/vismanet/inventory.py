"""Inventory items (IN202500), stock per warehouse (IN401000) and their filters."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from vismasync.emulators.vismanet.customers import _attribute_values, _lookup
from vismasync.emulators.vismanet.errors import NotFoundError, ValidationError
from vismasync.emulators.vismanet.query import date_condition
from vismasync.emulators.vismanet.state import (
    CompanyState,
    Record,
    StockLevel,
    filter_records,
    snapshot,
)

INVENTORY_STATUSES = ("Active", "NoSales", "NoPurchases", "NoRequest", "Inactive")
INVENTORY_TYPES = (
    "NonStockItem",
    "LaborItem",
    "ServiceItem",
    "ChargeItem",
    "ExpenseItem",
    "FinishedGoodItem",
    "ComponentPartItem",
    "SubassemblyItem",
)
STOCK_TYPES = ("FinishedGoodItem", "ComponentPartItem", "SubassemblyItem")
ITEM_EQUALS = {
    "inventoryNumber": lambda i: i.get("inventoryNumber"),
    "status": lambda i: i.get("status"),
    "description": lambda i: i.get("description"),
}
# The spec: "These expand fields are by default set to true" -- an absent flag expands.
EXPANDS = {
    "expandCrossReference": "crossReferences",
    "expandAttachment": "attachments",
    "expandWarehouseDetail": "warehouseDetails",
    "expandInventoryUnits": "inventoryUnits",
    "expandSupplierDetails": "supplierDetails",
    "expandSalesCategories": "salesCategories",
    "expandNote": "note",
}


def etag_for(version: int) -> str:
    """A row-version style ETag (base64 of 8 bytes), as the ERP's ``timestamp`` fields look."""
    return base64.b64encode(version.to_bytes(8, "big")).decode("ascii")


class InventoryRules:
    """Create, update and query inventory items and their stock."""

    def __init__(self, state: CompanyState) -> None:
        self.state = state

    # ----- reads -----------------------------------------------------------------------------
    def get(self, number: str) -> Record:
        """One item with every section (the single GET has no expand options)."""
        with self.state.lock:
            return self._render(self._item(number), {})

    def list(self, params: dict[str, str]) -> list[Record]:
        with self.state.lock:
            items = list(self.state.inventory.values())
            types = [t for t in params.get("inventoryTypes", "").split(",") if t]
            if types:
                items = [i for i in items if i.get("type") in types]
            alternate = params.get("alternateID")
            if alternate:
                items = [
                    i
                    for i in items
                    if any(x.get("alternateID") == alternate for x in i.get("crossReferences", []))
                ]
            matched = filter_records(
                items,
                equals=ITEM_EQUALS,
                params=params,
                dates={
                    "lastModifiedDateTime": lambda i: i.get("lastModifiedDateTime"),
                    "createdDateTime": lambda i: i.get("createdDateTime"),
                    "availabilityLastModifiedDateTime": self._availability_stamp,
                },
                conditions={
                    name: date_condition(params, name)
                    for name in (
                        "lastModifiedDateTime",
                        "createdDateTime",
                        "availabilityLastModifiedDateTime",
                    )
                },
            )
            return [self._render(item, params) for item in matched]

    def summary(self, number: str, params: dict[str, str]) -> list[Record]:
        """InventorySummaryDto rows, one per warehouse holding the item."""
        with self.state.lock:
            item = self._item(number)
            rows = []
            for warehouse_id, level in sorted(self.state.stock.get(number, {}).items()):
                if params.get("warehouse") and params["warehouse"] != warehouse_id:
                    continue
                warehouse = self.state.warehouses[warehouse_id]
                rows.append(
                    {
                        "inventory": {"number": number, "description": item["description"]},
                        "warehouse": {"id": warehouse_id, "description": warehouse["description"]},
                        "available": level.available,
                        "availableForShipment": level.available,
                        "notAvailable": Decimal("0"),
                        "soBooked": level.booked,
                        "soAllocated": Decimal("0"),
                        "soShipped": Decimal("0"),
                        "onHand": level.on_hand,
                        "baseUnit": item.get("baseUnit"),
                    }
                )
            return rows

    def etag(self, number: str) -> str:
        with self.state.lock:
            return self._item(number)["timestamp"]

    # ----- writes ----------------------------------------------------------------------------
    def create(self, dto: dict[str, Any]) -> str:
        """Insert an item from an unwrapped InventoryUpdateDto; returns its inventory number."""
        with self.state.lock:
            fail = "Error creating inventory item."
            number = (dto.get("inventoryNumber") or "").strip()
            if not number:
                raise ValidationError(f"{fail} 'Inventory ID' cannot be empty.")
            if number in self.state.inventory:
                raise ValidationError(f"{fail} Inventory item '{number}' already exists.")
            if not dto.get("itemClass"):
                raise ValidationError(f"{fail} 'Item Class' cannot be empty.")
            now = self.state.now()
            item: Record = {
                "inventoryId": self.state.next_number("inventoryId", 1000),
                "inventoryNumber": number,
                "status": "Active",
                "createdDateTime": now,
                "attributes": [],
                "crossReferences": [],
                "attachments": [],
                "version": 0,
            }
            self._apply(item, dto, fail)
            item.setdefault("description", number)
            self._touch(item, now)
            self.state.inventory[number] = item
            if item["stockItem"]:
                warehouse = (item.get("defaultWarehouse") or {}).get("id")
                if warehouse:
                    self.state.stock.setdefault(number, {})[warehouse] = StockLevel(
                        last_modified=now
                    )
            return number

    def update(self, number: str, dto: dict[str, Any]) -> None:
        with self.state.lock:
            item = snapshot(self._item(number))
            self._apply(item, dto, "Error updating inventory item.")
            self._touch(item, self.state.now())
            self.state.inventory[number] = item

    def set_stock(self, number: str, warehouse: str, on_hand: Decimal) -> None:
        """Set on-hand quantity (a stock adjustment); moves the availability time stamp."""
        with self.state.lock:
            self._item(number)
            if warehouse not in self.state.warehouses:
                raise ValidationError(f"Warehouse '{warehouse}' does not exist.")
            level = self.state.stock.setdefault(number, {}).setdefault(warehouse, StockLevel())
            level.on_hand = Decimal(on_hand)
            level.last_modified = self.state.now()

    def book(self, number: str, warehouse: str, quantity: Decimal) -> None:
        """Book quantity for an open sales order line (available = on hand - booked)."""
        item = self._item(number)
        if not item.get("stockItem"):
            return
        level = self.state.stock.setdefault(number, {}).setdefault(warehouse, StockLevel())
        level.booked += quantity
        level.last_modified = self.state.now()

    # ----- helpers ---------------------------------------------------------------------------
    def _item(self, number: str) -> Record:
        item = self.state.inventory.get(number)
        if item is None:
            raise NotFoundError(f"Inventory item with inventoryNumber '{number}' not found.")
        return item

    def _touch(self, item: Record, now: Any) -> None:
        item["lastModifiedDateTime"] = now
        item["version"] = item.get("version", 0) + 1
        item["timestamp"] = etag_for(item["version"] + 0x1000)

    def _availability_stamp(self, item: Record) -> Any:
        stamps = [
            level.last_modified
            for level in self.state.stock.get(item["inventoryNumber"], {}).values()
            if level.last_modified is not None
        ]
        return max(stamps) if stamps else None

    def _apply(self, item: Record, dto: dict[str, Any], fail: str) -> None:
        state = self.state
        if dto.get("itemClass") is not None:
            klass = _lookup(state.item_classes, dto["itemClass"], f"{fail} Item class")
            item["itemClass"] = {
                "id": klass["id"],
                "description": klass["description"],
                "type": klass["type"],
            }
            item.setdefault("type", klass["type"])
        if "type" in dto:
            if dto["type"] not in INVENTORY_TYPES:
                raise ValidationError(f"{fail} Type '{dto['type']}' is not valid.")
            item["type"] = dto["type"]
        item["stockItem"] = item.get("type") in STOCK_TYPES
        if "status" in dto:
            if dto["status"] not in INVENTORY_STATUSES:
                raise ValidationError(f"{fail} Status '{dto['status']}' is not valid.")
            item["status"] = dto["status"]
        if dto.get("vatCode") is not None:
            category = _lookup(state.vat_categories, dto["vatCode"], f"{fail} VAT category")
            item["vatCode"] = {
                "id": category["vatCategoryId"],
                "description": category["description"],
            }
        if dto.get("defaultWarehouse") is not None:
            warehouse = _lookup(state.warehouses, dto["defaultWarehouse"], f"{fail} Warehouse")
            item["defaultWarehouse"] = {
                "id": warehouse["warehouseID"],
                "description": warehouse["description"],
            }
        for key in ("description", "body", "baseUnit", "salesUnit", "purchaseUnit", "note"):
            if key in dto:
                item[key] = dto[key]
        if "defaultPrice" in dto:
            item["defaultPrice"] = Decimal(str(dto["defaultPrice"]))
        if isinstance(dto.get("attributeLines"), list):
            item["attributes"] = _attribute_values(state, dto["attributeLines"], fail)

    def _render(self, item: Record, params: dict[str, str]) -> Record:
        rendered = snapshot(item)
        rendered.pop("version", None)
        rendered.pop("createdDateTime", None)  # filterable, but not a field of InventoryDto
        rendered["warehouseDetails"] = self._warehouse_details(item)
        for flag_name, section in EXPANDS.items():
            if params.get(flag_name, "").strip().lower() == "false":
                rendered.pop(section, None)
        if params.get("expandAttribute", "").strip().lower() == "false":
            for attribute in rendered.get("attributes", []):
                attribute.pop("description", None)
        return rendered

    def _warehouse_details(self, item: Record) -> list[Record]:
        default = (item.get("defaultWarehouse") or {}).get("id")
        return [
            {
                "isDefault": warehouse == default,
                "warehouse": warehouse,
                "quantityOnHand": level.on_hand,
                "available": level.available,
                "availableForShipment": level.available,
                "lastModifiedDateTime": level.last_modified,
            }
            for warehouse, level in sorted(
                self.state.stock.get(item["inventoryNumber"], {}).items()
            )
        ]
