"""SalesOrders V3 response bodies, rendered from the company's (v1-shaped) records.

Field names are the V3 description's DTOs (``SalesOrderDto``, ``SalesOrderListDto``,
``SalesOrderLineDto``, ``CustomerDto``, ``InventoryItemAvailabilityDto``); sections of
``SalesOrderDto`` appear only when expanded, as the description says.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from vismasync.emulators.vismanet.salesorders_v3 import etag
from vismasync.emulators.vismanet.state import Record, StockLevel

ORDER_EXPANSIONS = ("billing", "payment", "financialinformation", "shipping", "customer",
                    "owner", "origin", "note", "freight", "attachments")  # fmt: skip


def stamp(value: datetime | None) -> str | None:
    """A V3 date-time: ISO 8601 in UTC with its offset."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def number(value: Any) -> float:
    return float(Decimal(str(value))) if value is not None else 0.0


def _pair(value: dict[str, Any] | None, key: str = "id", label: str = "description") -> Any:
    if not value:
        return None
    return {"id": value.get(key), "description": value.get(label)}


def _drop_none(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None}


def order_quantity(order: Record) -> float:
    return number(sum(Decimal(str(line["quantity"])) for line in order.get("lines") or []))


def list_item(order: Record, self_href: str) -> dict[str, Any]:
    """``SalesOrderListDto``."""
    return _drop_none({
        "type": order["orderType"],
        "orderId": order["orderNo"],
        "status": order.get("status"),
        "date": stamp(order.get("date")),
        "requestOn": stamp(order.get("requestOn")),
        "shippingScheduledDate": stamp(order.get("requestOn")),
        "lastModified": stamp(order.get("lastModifiedDateTime")),
        "customerId": order["customer"]["number"],
        "customerName": order["customer"].get("name"),
        "customerOrder": order.get("customerOrder"),
        "customerRefNo": order.get("customerRefNo"),
        "location": (order.get("location") or {}).get("id"),
        "currency": order.get("currency"),
        "description": order.get("description"),
        "orderQty": order_quantity(order),
        "orderTotal": number(order.get("orderTotal")),
        "_links": {"self": {"href": self_href}},
    })  # fmt: skip


def order_dto(order: Record, version: int, expand: set[str]) -> dict[str, Any]:
    """``SalesOrderDto`` with the requested sections (``expand``, lower case; ``all``)."""
    wanted = set(ORDER_EXPANSIONS) if "all" in expand else expand
    status = order.get("status") or "Open"
    dto: dict[str, Any] = {
        "type": order["orderType"],
        "orderId": order["orderNo"],
        "date": stamp(order.get("date")),
        "requestOn": stamp(order.get("requestOn")),
        "lastModified": stamp(order.get("lastModifiedDateTime")),
        "description": order.get("description"),
        "currencyId": order.get("currency"),
        "orderQty": order_quantity(order),
        "status": {"description": status, "hold": bool(order.get("hold")),
                   "cancelled": status == "Cancelled"},
        "branch": _pair(order.get("branchNumber"), "number", "name"),
        "totals": _totals(order),
        "isRotRutDeductable": False,
        "createdBy": "API",
        "version": etag(version),
    }  # fmt: skip
    customer = order["customer"]
    if "customer" in wanted:
        location = order.get("location") or {}
        dto["customer"] = _drop_none({
            "id": customer["number"], "internalId": customer["internalId"],
            "name": customer.get("name"), "order": order.get("customerOrder"),
            "refNo": order.get("customerRefNo"),
            "location": _drop_none({"id": location.get("id"), "name": location.get("name"),
                                    "countryId": location.get("countryId")}),
        })  # fmt: skip
    if "billing" in wanted:
        dto["billing"] = _party(order, "soBillingAddress", "soBillingContact")
    if "shipping" in wanted:
        dto["shipping"] = _drop_none({
            **_party(order, "soShippingAddress", "soShippingContact"),
            "shipVia": _pair(order.get("shipVia")),
            "preferredWarehouse": _pair(order.get("preferredWarehouse")),
            "insurance": False, "residentialDelivery": False, "saturdayDelivery": False,
            "shipSeparately": False, "priority": 0,
        })  # fmt: skip
    if "payment" in wanted:
        dto["paymentSettings"] = _drop_none({"paymentMethod": _pair(order.get("paymentMethod"))})
    if "financialinformation" in wanted:
        dto["financialInformation"] = _drop_none(
            {"terms": _pair(order.get("terms")), "invoiceSeparately": False}
        )
    if "note" in wanted and order.get("note") is not None:
        dto["note"] = order["note"]
    if "attachments" in wanted:
        dto["attachments"] = []
    if "freight" in wanted:
        amounts = ("amount", "cost", "premiumAmount")
        dto["freight"] = {
            **{name: 0.0 for name in amounts},
            **{f"{name}InBaseCurrency": 0.0 for name in amounts},
            "volume": 0.0,
            "weight": 0.0,
        }
    return _drop_none(dto)


def _party(order: Record, address_key: str, contact_key: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    address = order.get(address_key)
    if address:
        country = address.get("country")
        result["address"] = _drop_none({
            "line1": address.get("addressLine1"), "line2": address.get("addressLine2"),
            "line3": address.get("addressLine3"), "postalCode": address.get("postalCode"),
            "city": address.get("city"),
            "country": {"id": country["id"], "name": country["name"]} if country else None,
            "overridesDefault": bool(address.get("overrideAddress")),
        })  # fmt: skip
    contact = order.get(contact_key)
    if contact:
        result["contact"] = _drop_none({
            **{k: contact.get(k) for k in ("name", "attention", "email", "phone1", "phone2",
                                           "fax")},
            "overridesDefault": bool(contact.get("overrideContact")),
        })  # fmt: skip
    return result


def _totals(order: Record) -> dict[str, Any]:
    total = number(order.get("orderTotal"))
    amounts = {
        "orderTotal": total,
        "taxTotal": number(order.get("taxTotal")),
        "taxableTotal": number(order.get("vatTaxableTotal")),
        "taxExemptTotal": number(order.get("vatExemptTotal")),
        "discountTotal": number(order.get("discountTotal")),
        "freightTotal": 0.0,
        "unbilledAmount": total,
        "unshippedAmount": total,
    }
    return {**amounts, **{f"{k}InBaseCurrency": v for k, v in amounts.items()}}


def line_dto(line: Record) -> dict[str, Any]:
    """``SalesOrderLineDto``."""
    quantity = number(line["quantity"])
    unit_price = number(line.get("unitPrice"))
    return _drop_none({
        "lineId": line["lineNbr"],
        "sortOrder": line.get("sortOrder"),
        "operation": line.get("operation"),
        "inventory": {"id": line["inventory"]["number"],
                      "description": line["inventory"].get("description")},
        "warehouseId": (line.get("warehouse") or {}).get("id"),
        "unitOfMeasure": line.get("uom"),
        "quantity": quantity,
        "openQuantity": number(line.get("openQty")),
        "quantityOnShipments": number(line.get("qtyOnShipments")),
        "unitCost": number(line.get("unitCost")),
        "unitPrice": unit_price,
        "discountPercent": number(line.get("discountPercent")),
        "discountAmount": number(line.get("discountAmount")),
        "hasManualDiscount": bool(line.get("manualDiscount")),
        "hasManualPrice": line.get("unitPrice") is not None,
        "lineTotalBeforeDiscount": quantity * unit_price,
        "extendedPrice": number(line.get("extPrice")),
        "description": line.get("lineDescription"),
        "taxCategoryId": line.get("taxCategory"),
        "branch": _pair(line.get("branchNumber"), "number", "name"),
        "note": line.get("note"),
        "attachments": [],
        "commissionable": False, "freeItem": False, "completed": False,
        "openLine": number(line.get("openQty")) > 0, "supplierPrice": 0.0,
    })  # fmt: skip


def customer_dto(customer: Record) -> dict[str, Any]:
    """``CustomerDto``."""
    address = customer.get("mainAddress") or {}
    location = customer.get("location") or {}
    return _drop_none({
        "id": customer["number"], "internalId": customer["internalId"],
        "name": customer.get("name"), "status": customer.get("status"),
        "currencyId": customer.get("currencyId"),
        "customerClassId": (customer.get("customerClass") or {}).get("id"),
        "addressLine1": address.get("addressLine1"), "addressLine2": address.get("addressLine2"),
        "postalCode": address.get("postalCode"),
        "country": (address.get("country") or {}).get("id"),
        "defaultLocation": _drop_none({"id": location.get("id"), "name": location.get("name"),
                                       "countryId": location.get("countryId")}),
    })  # fmt: skip


def availability_dto(
    item: Record,
    levels: dict[str, StockLevel],
    warehouses: dict[str, Record],
    *,
    attributes: bool,
    locations: bool,
) -> dict[str, Any]:
    """``InventoryItemAvailabilityDto`` over the given warehouses' stock levels."""
    rows = []
    for index, (warehouse_id, level) in enumerate(sorted(levels.items()), start=1):
        available = number(level.available)
        row = {
            "warehouseId": warehouse_id, "internalWarehouseId": index,
            "description": (warehouses.get(warehouse_id) or {}).get("description"),
            "quantityOnHand": number(level.on_hand), "quantityAvailable": available,
            "quantityAvailableForShipment": available, "quantityNotAvailable": 0.0,
            "quantityPurchaseOrders": 0.0, "lastModified": stamp(level.last_modified),
        }  # fmt: skip
        if locations:
            row["locations"] = []
        rows.append(_drop_none(row))
    dto = {
        "inventoryId": item["inventoryNumber"], "internalId": item["inventoryId"],
        "description": item.get("description"), "baseUnit": item.get("baseUnit"),
        "availability": rows,
    }  # fmt: skip
    if attributes:
        dto["attributes"] = {a["id"]: str(a["value"]) for a in item.get("attributes") or []}
    return _drop_none(dto)
