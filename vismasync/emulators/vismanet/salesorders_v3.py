"""Sales orders as the SalesOrders V3 service sees them: its create and patch rules.

V3 is a separate service over the same company: an order it creates is an order of the
monolith's screens too (``GET /v1/salesorder/{type}/{nbr}`` shows it). So its create checks
what V3 documents (numbering, the orderId conflict, error codes), translates the
``NewSalesOrderCommand`` into the monolith's fields and stores through :class:`SalesOrderRules`.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from vismasync.emulators.vismanet.errors import ProblemError, ValidationError, ValidationProblem
from vismasync.emulators.vismanet.salesorders import SalesOrderRules
from vismasync.emulators.vismanet.state import CompanyState, Record, snapshot

INITIAL_STATUSES = ("Open", "Hold")
PATCH_STATUSES = ("Open", "Hold", "BackOrder")
MAX_ORDER_ID = 15  # NewSalesOrderCommand.orderId maxLength
MAX_CUSTOMER_TEXT = 40  # customer.order and customer.refNo maxLength
# PATCH fields the emulator applies; any other field is refused rather than silently ignored.
PATCH_SCALARS = {
    "description": "description",
    "note": "note",
    "currencyId": "currency",
    "date": "date",
    "requestOn": "requestOn",
}
PATCH_CUSTOMER = {"order": "customerOrder", "refNo": "customerRefNo"}
Problem = tuple[str, str, str]


def etag(version: int) -> str:
    """The order's version as V3 shows it (``version``, format byte) and as its ETag."""
    return base64.b64encode(version.to_bytes(8, "big")).decode()


class SalesOrderV3Rules:
    def __init__(self, state: CompanyState, orders: SalesOrderRules) -> None:
        self.state = state
        self.orders = orders

    # ----- reads -----------------------------------------------------------------------------
    def get(self, order_type: str, order_id: str) -> tuple[Record, int, datetime]:
        """The order, its version and its creation time; 404 as a ProblemDetails."""
        with self.state.lock:
            key = (order_type.upper(), order_id)
            order = self.state.sales_orders.get(key)
            if order is None:
                raise ProblemError(404, f"Sales order '{order_type} {order_id}' was not found.")
            return snapshot(order), self.version(key), self.created(key)

    def all(self) -> list[tuple[Record, datetime]]:
        with self.state.lock:
            return [
                (snapshot(order), self.created(key))
                for key, order in sorted(self.state.sales_orders.items())
            ]

    def version(self, key: tuple[str, str]) -> int:
        return self.state.order_versions.get(key, 1)

    def created(self, key: tuple[str, str]) -> datetime:
        order = self.state.sales_orders[key]
        return self.state.order_created.get(key) or order["lastModifiedDateTime"]

    def manual_numbering(self, order_type: str) -> bool:
        numbering = self.state.numberings.get(self.state.order_numbering.get(order_type, ""))
        return bool(numbering and numbering.get("manualNumbering"))

    # ----- create ----------------------------------------------------------------------------
    def create(self, command: dict[str, Any]) -> tuple[str, str]:
        """Insert an order from a ``NewSalesOrderCommand``; returns (type, orderId).

        Raises :class:`ValidationProblem` (400) or, for an orderId already taken, a 409.
        """
        with self.state.lock:
            problems = self._check(command)
            if problems:
                raise ValidationProblem(problems)
            order_type = command["type"]
            order_id = (command.get("orderId") or "").strip()
            if order_id and (order_type, order_id) in self.state.sales_orders:
                raise ProblemError(
                    409, f"A sales order with type '{order_type}' and id '{order_id}' exists."
                )
            try:
                return self.orders.create(_monolith_dto(command, order_id), allow_no_lines=True)
            except ValidationError as error:
                # A rule shared with the monolith (branch, currency, country, terms ...).
                message = error.message.split(". ", 1)[-1]
                raise ValidationProblem([("0003-InvalidValue", message, "")]) from error

    def _check(self, command: dict[str, Any]) -> list[Problem]:
        state = self.state
        problems: list[Problem] = []
        order_type = command.get("type")
        if not isinstance(order_type, str) or not order_type:
            return [("0001-EmptyNotAllowed", "Empty value not allowed", "type")]
        type_record = state.order_types.get(order_type)
        if type_record is None or not type_record.get("active", True):
            problems.append(("0003-InvalidValue", f"Order type '{order_type}' is not an active "
                             "sales order type.", "type"))  # fmt: skip
        customer = command.get("customer")
        if not isinstance(customer, dict) or not (customer.get("id") or customer.get("gln")):
            problems.append(("0001-NullNotAllowed", "Null value not allowed", "customer.id"))
        elif customer.get("id") and customer["id"] not in state.customers:
            message = f"Customer '{customer['id']}' was not found."
            problems.append(("1400-CustomerLookupException", message, "customer.id"))
        for name in ("order", "refNo"):
            value = (customer or {}).get(name) if isinstance(customer, dict) else None
            if value is not None and len(str(value)) > MAX_CUSTOMER_TEXT:
                problems.append(("0002-InvalidLength", "Invalid length", f"customer.{name}"))
        order_id = command.get("orderId")
        if type_record is not None:
            manual = self.manual_numbering(order_type)
            if manual and not order_id:
                problems.append(("0001-NullNotAllowed", f"Order type '{order_type}' numbers "
                                 "manually: orderId is required.", "orderId"))  # fmt: skip
            if not manual and order_id:
                problems.append(("0004-ValueNotAllowed", f"Order type '{order_type}' numbers "
                                 "automatically: orderId must be empty.", "orderId"))  # fmt: skip
        if order_id and len(str(order_id)) > MAX_ORDER_ID:
            problems.append(("0002-InvalidLength", "Invalid length", "orderId"))
        status = command.get("status")
        if status not in (None, "", *INITIAL_STATUSES):
            problems.append(("0004-ValueNotAllowed", "Value not allowed", "status"))
        for index, line in enumerate(command.get("orderLines") or []):
            problems.extend(self._check_line(index, line))
        return problems

    def _check_line(self, index: int, line: Any) -> list[Problem]:
        where = f"orderLines[{index}]"
        if not isinstance(line, dict) or not line.get("inventoryId"):
            return [("0001-NullNotAllowed", "Null value not allowed", f"{where}.inventoryId")]
        state = self.state
        problems: list[Problem] = []
        if line["inventoryId"] not in state.inventory:
            problems.append(("1804-InventoryIdNotFound", "InventoryId cannot be found or is "
                             "invalid", f"{where}.inventoryId"))  # fmt: skip
        if line.get("warehouseId") and line["warehouseId"] not in state.warehouses:
            problems.append(("1802-InvalidWarehouseId", "Invalid Warehouse Id, or Warehouse Id "
                             "not found", f"{where}.warehouseId"))  # fmt: skip
        if line.get("taxCategoryId") and line["taxCategoryId"] not in state.vat_categories:
            problems.append(("1805-InvalidTaxCategoryId", "Invalid TaxCategoryId, or "
                             "TaxCategory not found", f"{where}.taxCategoryId"))  # fmt: skip
        if line.get("operation") not in (None, "Issue", "Receipt"):
            problems.append(("1800-InvalidLineOperation", "Given line operation is not accepted "
                             "for this order type", f"{where}.operation"))  # fmt: skip
        percent = line.get("discountPercent")
        if percent is not None and not -100 <= float(percent) <= 100:
            problems.append(("0100-OutsideValidRange", "Value is outside the valid range",
                             f"{where}.discountPercent"))  # fmt: skip
        return problems

    # ----- patch -----------------------------------------------------------------------------
    def patch(
        self, order_type: str, order_id: str, if_match: str | None, command: dict[str, Any]
    ) -> int:
        """Apply a ``PatchSalesOrderCommand`` at the version named by ``If-Match``; returns the
        new version. 428 without If-Match, 412 on another version, 400 for invalid data (and
        for fields the emulator does not apply), all-or-nothing."""
        with self.state.lock:
            key = (order_type.upper(), order_id)
            order = self.state.sales_orders.get(key)
            if order is None:
                raise ProblemError(404, f"Sales order '{order_type} {order_id}' was not found.")
            if not if_match:
                raise ProblemError(428, "The If-Match header is required.")
            if if_match.strip().strip('"') != etag(self.version(key)):
                raise ProblemError(412, "Order version does not match with If-Match header.")
            changes, problems = self._patch_changes(command)
            if problems:
                raise ValidationProblem(problems)
            order.update(changes)
            order["lastModifiedDateTime"] = self.state.now()
            self.state.order_versions[key] = self.version(key) + 1
            return self.state.order_versions[key]

    def _patch_changes(self, command: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        changes: dict[str, Any] = {}
        problems: list[Problem] = []
        for name, value in command.items():
            if name in PATCH_SCALARS:
                if name in ("date", "requestOn"):
                    try:
                        value = _datetime(value)
                    except ValueError:
                        problems.append(("0003-InvalidValue", "Invalid value", name))
                        continue
                if name == "currencyId" and value not in self.state.currencies:
                    problems.append(("0003-InvalidValue", "Invalid value", name))
                    continue
                changes[PATCH_SCALARS[name]] = value
            elif name == "status":
                if value not in PATCH_STATUSES:
                    problems.append(("0004-ValueNotAllowed", "Value not allowed", name))
                    continue
                changes["status"] = value
                changes["hold"] = value == "Hold"
            elif name == "customer" and isinstance(value, dict):
                for field, target in PATCH_CUSTOMER.items():
                    if field in value:
                        changes[target] = value[field]
                unknown = set(value) - set(PATCH_CUSTOMER)
                problems.extend(
                    ("0004-ValueNotAllowed", "Not applied by the emulator", f"customer.{f}")
                    for f in sorted(unknown)
                )
            elif name == "branchId":
                branch = self.state.branches.get(str(value))
                if branch is None:
                    problems.append(("0003-InvalidValue", "Invalid value", name))
                    continue
                changes["branchNumber"] = {"number": branch["number"], "name": branch["name"]}
            else:
                problems.append(("0004-ValueNotAllowed", "Not applied by the emulator", name))
        return changes, problems


def _datetime(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)


def _address(address: Any) -> dict[str, Any] | None:
    if not isinstance(address, dict):
        return None
    fields = {
        "addressLine1": address.get("line1"),
        "addressLine2": address.get("line2"),
        "addressLine3": address.get("line3"),
        "postalCode": address.get("postalCode"),
        "city": address.get("city"),
        "countryId": address.get("countryId"),
    }
    return {"overrideAddress": True, **{k: v for k, v in fields.items() if v is not None}}


def _contact(contact: Any) -> dict[str, Any] | None:
    if not isinstance(contact, dict):
        return None
    fields = {k: contact.get(k) for k in ("name", "attention", "email", "phone1")}
    return {"overrideContact": True, **{k: v for k, v in fields.items() if v is not None}}


def _monolith_dto(command: dict[str, Any], order_id: str) -> dict[str, Any]:
    """The command in the monolith's ``SalesOrderUpdateDto`` terms (what the shared rules
    validate and store)."""
    customer = command.get("customer") or {}
    shipping = command.get("shipping") or {}
    billing = command.get("billing") or {}
    payment = command.get("paymentSettings") or {}
    dto: dict[str, Any] = {
        "orderType": command["type"],
        "orderNumber": order_id or None,
        "overrideNumberSeries": bool(order_id),
        "hold": command.get("status") == "Hold",
        "date": command.get("date"),
        "requestOn": command.get("requestOn"),
        "customer": customer.get("id"),
        "gln": customer.get("gln"),
        "customerOrder": customer.get("order"),
        "customerRefNo": customer.get("refNo"),
        "terms": customer.get("termsId"),
        "currency": command.get("currencyId"),
        "description": command.get("description"),
        "note": command.get("note"),
        "branchNumber": command.get("branchId"),
        "shipVia": shipping.get("shipViaId"),
        "preferredWarehouse": shipping.get("preferredWarehouseId"),
        "paymentMethod": payment.get("paymentMethodId"),
        "soShippingAddress": _address(shipping.get("address")),
        "soShippingContact": _contact(shipping.get("contact")),
        "soBillingAddress": _address(billing.get("address")),
        "soBillingContact": _contact(billing.get("contact")),
        "lines": [_monolith_line(line) for line in command.get("orderLines") or []],
    }
    return {k: v for k, v in dto.items() if v is not None}


def _monolith_line(line: dict[str, Any]) -> dict[str, Any]:
    fields = {
        "inventoryNumber": line.get("inventoryId"),
        "quantity": line.get("quantity", 0),
        "unitPrice": line.get("unitPrice"),
        "unitCost": line.get("unitCost"),
        "discountPercent": line.get("discountPercent"),
        "discountAmount": line.get("discountAmount"),
        "manualDiscount": line.get("hasManualDiscount"),
        "taxCategory": line.get("taxCategoryId"),
        "warehouse": line.get("warehouseId"),
        "branchNumber": line.get("branchId"),
        "lineDescription": line.get("description"),
        "uom": line.get("unitOfMeasure"),
        "salesOrderOperation": line.get("operation"),
        "note": line.get("note"),
    }
    return {k: v for k, v in fields.items() if v is not None}
