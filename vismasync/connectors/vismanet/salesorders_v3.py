"""The SalesOrders V3 writer: ``POST /api/v3/SalesOrders`` on ``https://salesorder.visma.net``.

V3 takes no idempotency key and answers a create with ``201`` + ``Location`` only, so the
exactly-once protocol needs a key we choose, written into the order. The V3 description offers
two:

- ``orderId`` (at most 15 characters) when the order type numbers manually ("required if the
  type has manual numbering set up; if not it should be null or empty"): the order is found in
  one call, ``GET /api/v3/SalesOrders/{type}/{orderId}``; a ``409`` on create means the id is
  taken, and the order is looked up: ours if it carries our key in ``customer.refNo``.
- ``customer.refNo`` (at most 40 characters) when it numbers automatically: found by listing
  the customer's orders modified since a time before the first attempt (``customerId``,
  ``modifiedSince``) and matching ``customerRefNo``; the list ``filter`` applies to the orderId
  only.

Which one is used follows the order type's numbering sequence, read once per writer
(``GET /v1/numberSequence/{numberingId}``: the order type's own DTO does not name it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from vismasync.connectors.http import Action, ApiError, DataError, ErrorClass, WriteOutcome
from vismasync.connectors.vismanet.models import SalesOrder
from vismasync.connectors.vismanet.salesorders import SalesOrderRef
from vismasync.connectors.vismanet.transport import VismaNetHttp, key_from_location
from vismasync.connectors.vismanet.writes import (
    SalesOrderAddressWrite,
    SalesOrderContactWrite,
    SalesOrderWrite,
)

OrderKey = Literal["auto", "order_id", "customer_reference"]
API = "/api/v3/SalesOrders"
MAX_ORDER_ID = 15
MAX_CUSTOMER_TEXT = 40
LIST_PAGE_SIZE = 100


def _present(fields: dict[str, Any]) -> dict[str, Any] | None:
    present = {k: v for k, v in fields.items() if v is not None and v != {}}
    return present or None


def _date(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S")


def _amount(value: Any) -> float | None:
    return None if value is None else float(value)


def new_sales_order_command(
    order: SalesOrderWrite, *, order_id: str | None = None, reference: str | None = None
) -> dict[str, Any]:
    """The V3 ``NewSalesOrderCommand`` for an order (pure).

    ``order_id``: the id to give the order (manually numbered types); ``reference``: our key,
    written as ``customer.refNo`` unless the order already carries a reference.
    """
    lines = []
    for line in order.lines:
        discounted = line.discount_percent is not None or line.discount_amount is not None
        lines.append(_present({
            "inventoryId": line.inventory_number,
            "quantity": float(line.quantity),
            "unitPrice": _amount(line.unit_price),
            "hasManualPrice": True if line.unit_price is not None else None,
            "discountPercent": _amount(line.discount_percent),
            "discountAmount": _amount(line.discount_amount),
            "hasManualDiscount": True if discounted else None,
            "taxCategoryId": line.tax_category,
            "warehouseId": line.warehouse,
            "branchId": line.branch_number,
            "description": line.line_description,
            "unitOfMeasure": line.uom,
        }))  # fmt: skip
    command = {
        "type": order.order_type,
        "orderId": order_id,
        "customer": _present({
            "id": order.customer,
            "order": order.customer_order,
            "refNo": order.customer_ref_no or reference,
            "termsId": order.terms,
        }),
        "branchId": order.branch_number,
        "currencyId": order.currency,
        "date": _date(order.date),
        "status": None if order.hold is None else ("Hold" if order.hold else "Open"),
        "description": order.description,
        "note": order.note,
        "billing": _present({
            "address": _address(order.so_billing_address),
            "contact": _contact(order.so_billing_contact),
        }),
        "shipping": _present({
            "shipViaId": order.ship_via,
            "address": _address(order.so_shipping_address),
            "contact": _contact(order.so_shipping_contact),
        }),
        "paymentSettings": _present({"paymentMethodId": order.payment_method}),
        "orderLines": lines,
    }  # fmt: skip
    return {k: v for k, v in command.items() if v is not None}


def _address(address: SalesOrderAddressWrite | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return _present({
        "line1": address.address_line1, "line2": address.address_line2,
        "postalCode": address.postal_code, "city": address.city, "countryId": address.country_id,
    })  # fmt: skip


def _contact(contact: SalesOrderContactWrite | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return _present({
        "name": contact.name, "attention": contact.attention,
        "email": contact.email, "phone1": contact.phone1,
    })  # fmt: skip


def order_from_v3(data: dict[str, Any]) -> SalesOrder:
    """A V3 ``SalesOrderDto`` or ``SalesOrderListDto`` as the flows' :class:`SalesOrder`."""
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {}
    status = data.get("status")
    return SalesOrder(
        order_type=data.get("type") or "",
        order_no=data.get("orderId") or "",
        status=status.get("description") if isinstance(status, dict) else status,
        customer_order=data.get("customerOrder") or customer.get("order"),
        customer_ref_no=data.get("customerRefNo") or customer.get("refNo"),
        currency=data.get("currencyId") or data.get("currency"),
        last_modified_date_time=data.get("lastModified"),
    )


def _segment(value: str) -> str:
    return quote(value, safe="")


class V3SalesOrderWriter:
    """Writes through SalesOrders V3, keyed by ``orderId`` or by ``customer.refNo``."""

    def __init__(
        self,
        http: VismaNetHttp,
        *,
        order_key: OrderKey = "auto",
        manual_numbering: Callable[[str], bool] | None = None,
    ) -> None:
        """``http``: the V3 service's base URL; ``manual_numbering(order_type)`` answers
        whether an order type numbers manually (asked once per type, for ``auto``)."""
        self.http = http
        self.order_key = order_key
        self._manual_numbering = manual_numbering
        self._modes: dict[str, OrderKey] = {}
        self._lock = threading.Lock()

    def key_mode(self, order_type: str) -> OrderKey:
        """``order_id`` or ``customer_reference`` for this order type (``auto`` resolved)."""
        if self.order_key != "auto":
            return self.order_key
        with self._lock:
            mode = self._modes.get(order_type)
            if mode is None:
                manual = self._manual_numbering is not None and self._manual_numbering(order_type)
                mode = self._modes[order_type] = "order_id" if manual else "customer_reference"
            return mode

    def create_finds_existing(self, order_type: str) -> bool:
        """A fixed orderId is refused with a 409 when taken, which :meth:`create` resolves."""
        return self.key_mode(order_type) == "order_id"

    def create(self, order: SalesOrderWrite, key: str | None = None) -> SalesOrderRef:
        mode = self.key_mode(order.order_type) if key is not None else None
        order_id = key if mode == "order_id" else None
        limit = MAX_ORDER_ID if order_id else MAX_CUSTOMER_TEXT
        if key is not None and len(key) > limit:
            raise ValueError(f"the order key {key!r} is longer than {limit} characters")
        command = new_sales_order_command(order, order_id=order_id, reference=key)
        try:
            response = self.http.send_json("POST", API, command)
        except ApiError as exc:
            if exc.status_code == 409 and order_id is not None:
                return self._resolve_conflict(order.order_type, order_id, exc)
            raise
        return SalesOrderRef(order.order_type, key_from_location(response))

    def _resolve_conflict(self, order_type: str, order_id: str, exc: ApiError) -> SalesOrderRef:
        """A 409: the orderId exists. Ours (it carries our key) is adopted; another is an
        error someone must resolve, never a second order."""
        found = self.find(order_type, order_id)
        if found is not None:
            return SalesOrderRef(order_type, found.order_no)
        raise DataError(
            f"Visma.net already has a sales order {order_type} {order_id} that was not "
            f"created for this document (its customer reference is not {order_id!r}); rename "
            "or delete that order, or number this order type automatically",
            error_class=ErrorClass.DATA,
            action=Action.FAIL,
            write_outcome=WriteOutcome.REFUSED,
            status_code=exc.status_code,
        ) from exc

    def find(
        self,
        order_type: str,
        key: str,
        *,
        customer: str | None = None,
        since: datetime | None = None,
    ) -> SalesOrder | None:
        if self.key_mode(order_type) == "order_id":
            path = f"{API}/{_segment(order_type)}/{_segment(key)}"
            data = self.http.get_or_none(path, {"expand": "Customer"})
            if data is None:
                return None
            order = order_from_v3(data)
            return order if order.customer_ref_no == key else None
        return self._find_by_reference(order_type, key, customer, since)

    def _find_by_reference(
        self, order_type: str, key: str, customer: str | None, since: datetime | None
    ) -> SalesOrder | None:
        params: dict[str, Any] = {"pageSize": LIST_PAGE_SIZE, "orderBy": "lastModified"}
        if customer:
            params["customerId"] = customer
        if since is not None:
            naive = since.tzinfo is None  # offset-less values are UTC to the service
            params["modifiedSince"] = (
                since.strftime("%Y-%m-%dT%H:%M:%S") if naive else (since.isoformat())
            )
        index = 0
        while True:
            page = self.http.get(f"{API}/{_segment(order_type)}", {**params, "pageIndex": index})
            for item in page.get("value") or []:
                if item.get("customerRefNo") == key:
                    return order_from_v3(item)
            if not page.get("nextPage") or not page.get("value"):
                return None
            index += 1


def v3_writer_factory(
    salesorders_url: str, *, order_key: OrderKey = "auto", numbering_id: str | None = None
) -> Callable[[VismaNetHttp], V3SalesOrderWriter]:
    """What :class:`VismaNetClient` takes as ``sales_order_writer``: a V3 writer on
    ``salesorders_url`` sharing the client's token and budget. With ``numbering_id``, ``auto``
    reads that numbering sequence to learn whether the order type numbers manually."""

    def build(http: VismaNetHttp) -> V3SalesOrderWriter:
        def manual(_order_type: str) -> bool:
            if not numbering_id:
                return False
            data = http.get_or_none(f"/v1/numberSequence/{_segment(numbering_id)}")
            return bool(data and data.get("manualNumbering"))

        return V3SalesOrderWriter(
            http.sibling(salesorders_url), order_key=order_key, manual_numbering=manual
        )

    return build
