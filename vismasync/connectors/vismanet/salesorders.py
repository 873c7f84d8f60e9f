"""Sales-order writers: one interface, the v2 monolith endpoint now, SalesOrders V3 later.

The exactly-once protocol needs a key we choose, written into the order, that can be looked up
in O(1) calls. The monolith has no list filter on ``customerRefNo``/``customerOrder``
(Visma's API documentation), but an order *number* is addressable: ``GET
/v1/salesorder/{orderType}/{orderNbr}``. So the v2 writer sends our source key as
``orderNumber`` with ``overrideNumberSeries: true`` (and also as ``customerRefNo``, for people
reading the order), and looks an order up with one GET (404 = absent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from vismasync.connectors.http import parse_model
from vismasync.connectors.vismanet.models import SalesOrder
from vismasync.connectors.vismanet.transport import VismaNetHttp
from vismasync.connectors.vismanet.writes import SalesOrderWrite


@dataclass(frozen=True)
class SalesOrderRef:
    order_type: str
    order_number: str


class SalesOrderWriter(Protocol):
    """What the sales-order flow needs from whichever Visma.net order API is in use."""

    def create(self, order: SalesOrderWrite, key: str | None = None) -> SalesOrderRef:
        """Create the order; with ``key``, the order is findable by it afterwards."""
        ...

    def find(self, order_type: str, key: str) -> SalesOrder | None:
        """The order created with ``key``, or None; one request."""
        ...


class V2SalesOrderWriter:
    """Writes through ``POST /v2/salesorder`` and reads through ``GET /v1/salesorder/{t}/{n}``."""

    def __init__(self, http: VismaNetHttp) -> None:
        self.http = http

    def create(self, order: SalesOrderWrite, key: str | None = None) -> SalesOrderRef:
        if key is not None:
            order = order.model_copy(
                update={
                    "order_number": key,
                    "override_number_series": True,
                    "customer_ref_no": order.customer_ref_no or key,
                }
            )
        number = self.http.create("/v2/salesorder", order.payload())
        return SalesOrderRef(order.order_type, number)

    def find(self, order_type: str, key: str) -> SalesOrder | None:
        path = f"/v1/salesorder/{_segment(order_type)}/{_segment(key)}"
        return self.http.get_or_none(
            path, parse=lambda d: parse_model(SalesOrder, d, f"GET {path}")
        )


def _segment(value: str) -> str:
    return quote(value, safe="")
