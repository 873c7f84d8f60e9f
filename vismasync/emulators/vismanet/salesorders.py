"""Sales orders (SO301000), the monolith's v1/v2 endpoints: validation, numbering, totals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vismasync.emulators.vismanet.errors import NotFoundError, ValidationError
from vismasync.emulators.vismanet.inventory import InventoryRules
from vismasync.emulators.vismanet.pricing import document_totals, price_line
from vismasync.emulators.vismanet.query import date_condition, parse_filter_datetime
from vismasync.emulators.vismanet.state import CompanyState, Record, filter_records, snapshot

ORDER_STATUSES = (
    "Open",
    "Hold",
    "CreditHold",
    "Completed",
    "Cancelled",
    "BackOrder",
    "Shipping",
    "Invoiced",
    "PendingApproval",
    "Voided",
)
FIRST_ORDER_NUMBER = 1
ORDER_EQUALS = {"orderType": lambda o: o.get("orderType"), "status": lambda o: o.get("status")}
ADDRESS_FIELDS = ("addressLine1", "addressLine2", "addressLine3", "postalCode", "city")
CONTACT_FIELDS = ("name", "attention", "email", "web", "phone1", "phone2", "fax")


class SalesOrderRules:
    def __init__(self, state: CompanyState, inventory: InventoryRules) -> None:
        self.state = state
        self.inventory = inventory

    def get(self, order_number: str, order_type: str | None = None) -> Record:
        """By number alone (the first type that has it, as ``/v1/salesorder/{orderNbr}``) or by
        type and number."""
        with self.state.lock:
            for (kind, number), order in sorted(self.state.sales_orders.items()):
                if number == order_number and (order_type is None or kind == order_type):
                    return snapshot(order)
            raise NotFoundError(f"Sales order '{order_number}' not found.")

    def list(self, params: dict[str, str], customer: str | None = None) -> list[Record]:
        with self.state.lock:
            if customer is not None and customer not in self.state.customers:
                raise NotFoundError(f"Customer with customerCd '{customer}' not found.")
            orders = [
                o
                for _, o in sorted(self.state.sales_orders.items())
                if customer is None or o["customer"]["number"] == customer
            ]
            above = params.get("greaterThanValue")
            if above:
                orders = [o for o in orders if o["orderNo"] > above]
            matched = filter_records(
                orders,
                equals=ORDER_EQUALS,
                params=params,
                dates={"lastModifiedDateTime": lambda o: o.get("lastModifiedDateTime")},
                conditions={"lastModifiedDateTime": date_condition(params, "lastModifiedDateTime")},
            )
            show_notes = params.get("showNotes", "").lower() == "true"
            result = [snapshot(o) for o in matched]
            if not show_notes:
                for order in result:
                    order.pop("note", None)
            return result

    def create(self, dto: dict[str, Any], *, allow_no_lines: bool = False) -> tuple[str, str]:
        """Insert an order from an unwrapped SalesOrderUpdateDto; returns (type, number).

        ``allow_no_lines``: SalesOrders V3 creates an order without lines (its sample request
        does); the monolith refuses one."""
        with self.state.lock:
            state = self.state
            fail = "Error creating salesOrder."
            order_type = dto.get("orderType")
            if not order_type:
                raise ValidationError(f"{fail} 'Order Type' cannot be empty.")
            type_record = state.order_types.get(order_type)
            if type_record is None or not type_record.get("active", True):
                raise ValidationError(f"{fail} Order type '{order_type}' does not exist.")
            customer = self._customer(dto, fail)
            if dto.get("overrideNumberSeries") is True:
                number = (dto.get("orderNumber") or "").strip()
                if not number:
                    raise ValidationError(f"{fail} 'Order Nbr.' cannot be empty.")
                if (order_type, number) in state.sales_orders:
                    raise ValidationError(f"{fail} Order '{order_type} {number}' already exists.")
            else:
                number = self._next_number(order_type)
            lines_in = [line for line in dto.get("lines") or [] if isinstance(line, dict)]
            if not lines_in and not allow_no_lines:
                raise ValidationError(f"{fail} The order must have at least one line.")
            header_branch = self._branch(dto.get("branchNumber"), fail)
            lines = [
                self._line(index, line, header_branch, dto, fail)
                for index, line in enumerate(lines_in, start=1)
            ]
            now = state.now()
            hold = bool(dto.get("hold"))
            totals = document_totals(state, lines)
            order: Record = {
                "orderType": order_type,
                "orderNo": number,
                "status": "Hold" if hold else "Open",
                "hold": hold,
                "date": _date(dto.get("date"), now, fail),
                "requestOn": _date(dto.get("requestOn"), now, fail),
                "customerOrder": dto.get("customerOrder"),
                "customerRefNo": dto.get("customerRefNo"),
                "customer": {
                    "internalId": customer["internalId"],
                    "number": customer["number"],
                    "name": customer["name"],
                },
                "location": {"countryId": None, "id": "MAIN", "name": "Primary Location"},
                "currency": self._currency(dto.get("currency"), customer, fail),
                "description": dto.get("description"),
                "note": dto.get("note"),
                "orderTotal": totals["total"],
                "orderTotalInBaseCurrency": totals["total"],
                "vatTaxableTotal": totals["vatTaxableTotal"],
                "vatTaxableTotalInBaseCurrency": totals["vatTaxableTotal"],
                "vatExemptTotal": totals["vatExemptTotal"],
                "vatExemptTotalInBaseCurrency": totals["vatExemptTotal"],
                "taxTotal": totals["taxTotal"],
                "taxTotalInBaseCurrency": totals["taxTotal"],
                "discountTotal": totals["discountTotal"],
                "discountTotalInBaseCurrency": totals["discountTotal"],
                "exchangeRate": 1,
                "branchNumber": header_branch,
                "lastModifiedDateTime": now,
                "lines": lines,
                "shipments": [],
                "attachments": [],
            }
            order["location"]["countryId"] = (customer.get("location") or {}).get("countryId")
            self._references(order, dto, fail)
            for kind in ("soShippingAddress", "soBillingAddress"):
                if isinstance(dto.get(kind), dict):
                    order[kind] = self._address(dto[kind], fail)
            for kind in ("soShippingContact", "soBillingContact"):
                if isinstance(dto.get(kind), dict):
                    order[kind] = {
                        "overrideContact": bool(dto[kind].get("overrideContact")),
                        **{k: dto[kind][k] for k in CONTACT_FIELDS if k in dto[kind]},
                    }
            if not hold:
                for line in lines:
                    self.inventory.book(line["inventory"]["number"], line["warehouse"]["id"],
                                        line["quantity"])  # fmt: skip
            state.sales_orders[(order_type, number)] = order
            state.order_created[(order_type, number)] = now
            state.order_versions[(order_type, number)] = 1
            return order_type, number

    # ----- helpers ---------------------------------------------------------------------------
    def _next_number(self, order_type: str) -> str:
        while True:
            candidate = f"{self.state.next_number(f'so.{order_type}', FIRST_ORDER_NUMBER):06d}"
            if (order_type, candidate) not in self.state.sales_orders:
                return candidate

    def _customer(self, dto: dict[str, Any], fail: str) -> Record:
        customers = self.state.customers
        if dto.get("customer"):
            customer = customers.get(dto["customer"])
            if customer is None:
                raise ValidationError(f"{fail} Customer '{dto['customer']}' does not exist.")
            return customer
        for key in ("gln", "vatRegistrationId"):
            if dto.get(key):
                found = [c for c in customers.values() if c.get(key) == dto[key]]
                if len(found) == 1:
                    return found[0]
                raise ValidationError(f"{fail} No unique customer with {key} '{dto[key]}'.")
        raise ValidationError(f"{fail} 'Customer' cannot be empty.")

    def _branch(self, number: Any, fail: str) -> Record | None:
        if number is None:
            main = next((b for b in self.state.branches.values() if b.get("isMainBranch")), None)
            return {"number": main["number"], "name": main["name"]} if main else None
        branch = self.state.branches.get(str(number))
        if branch is None:
            raise ValidationError(f"{fail} Branch '{number}' does not exist.")
        return {"number": branch["number"], "name": branch["name"]}

    def _currency(self, currency: Any, customer: Record, fail: str) -> str:
        if currency is None:
            return customer.get("currencyId") or self.state.base_currency
        if currency not in self.state.currencies:
            raise ValidationError(f"{fail} Currency '{currency}' does not exist.")
        return currency

    def _line(
        self, index: int, line: dict[str, Any], header_branch: Any, dto: dict[str, Any], fail: str
    ) -> Record:
        state = self.state
        sku = line.get("inventoryNumber")
        if not sku:
            raise ValidationError(f"{fail} Line {index}: 'Inventory ID' cannot be empty.")
        item = state.inventory.get(sku)
        if item is None:
            raise ValidationError(f"{fail} Line {index}: Inventory item '{sku}' does not exist.")
        warehouse_id = (
            line.get("warehouse")
            or dto.get("preferredWarehouse")
            or (item.get("defaultWarehouse") or {}).get("id")
            or next(iter(state.warehouses), None)
        )
        warehouse = state.warehouses.get(warehouse_id) if warehouse_id else None
        if warehouse is None:
            raise ValidationError(
                f"{fail} Line {index}: Warehouse '{warehouse_id}' does not exist."
            )
        category = line.get("taxCategory") or (item.get("vatCode") or {}).get("id")
        if category and category not in state.vat_categories:
            raise ValidationError(f"{fail} Line {index}: VAT category '{category}' does not exist.")
        branch = (
            self._branch(line["branchNumber"], f"{fail} Line {index}:")
            if line.get("branchNumber") is not None
            else header_branch
        )
        unit_price = line.get("unitPrice", item.get("defaultPrice"))
        prices = price_line(
            line.get("quantity", 1), unit_price, line.get("discountPercent"),
            line.get("discountAmount"),
        )  # fmt: skip
        return {
            "lineNbr": index,
            "sortOrder": index,
            "operation": line.get("salesOrderOperation") or "Issue",
            "inventory": {"number": sku, "description": item.get("description")},
            "warehouse": {"id": warehouse["warehouseID"], "description": warehouse["description"]},
            "uom": line.get("uom") or item.get("salesUnit") or item.get("baseUnit"),
            "quantity": prices["quantity"],
            "qtyOnShipments": 0,
            "openQty": prices["quantity"],
            "unitCost": line.get("unitCost", 0),
            "unitPrice": prices["unitPrice"],
            "unitPriceInBaseCurrency": prices["unitPrice"],
            "discountPercent": prices["discountPercent"],
            "discountAmount": prices["discountAmount"],
            "manualDiscount": bool(line.get("manualDiscount"))
            or line.get("discountPercent") is not None
            or line.get("discountAmount") is not None,
            "discUnitPrice": prices["discUnitPrice"],
            "extPrice": prices["extPrice"],
            "unbilledAmount": prices["extPrice"],
            "lineDescription": line.get("lineDescription") or item.get("description"),
            "taxCategory": category,
            "branchNumber": branch,
            "note": line.get("note"),
            "attachments": [],
        }

    def _references(self, order: Record, dto: dict[str, Any], fail: str) -> None:
        tables = {
            "shipVia": (self.state.carriers, "carrierDescription", "Ship via"),
            "paymentMethod": (self.state.payment_methods, "description", "Payment method"),
            "terms": (self.state.credit_terms, "description", "Terms"),
            "preferredWarehouse": (self.state.warehouses, "description", "Warehouse"),
        }
        for key, (table, label, what) in tables.items():
            if dto.get(key) is not None:
                record = table.get(str(dto[key]))
                if record is None:
                    raise ValidationError(f"{fail} {what} '{dto[key]}' does not exist.")
                order[key] = {"id": str(dto[key]), "description": record.get(label)}

    def _address(self, dto: dict[str, Any], fail: str) -> Record:
        address: Record = {"overrideAddress": bool(dto.get("overrideAddress"))}
        for key in ADDRESS_FIELDS:
            if key in dto:
                address[key] = dto[key]
        if dto.get("countryId"):
            country = self.state.countries.get(dto["countryId"])
            if country is None:
                raise ValidationError(f"{fail} Country '{dto['countryId']}' does not exist.")
            address["country"] = {"id": country["id"], "name": country["name"]}
        return address


def _date(value: Any, now: datetime, fail: str) -> datetime:
    """A document date: the sent one (any documented format or ISO with offset) or today."""
    if value is None:
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    text = str(value)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        try:
            return parse_filter_datetime(text, "date")
        except Exception as exc:
            raise ValidationError(f"{fail} The date '{text}' is not valid.") from exc
