"""Sales-order writers: one interface; here the retired v1/v2 monolith endpoints.

SalesOrders V3, the default, is in :mod:`salesorders_v3`. The v1/v2 endpoints were retired on
2026-03-31 and are throttled since; this writer stays for installations that still reach them.

The exactly-once protocol needs a key we choose, written into the order, that can be looked up
in O(1) calls. The monolith has no list filter on ``customerRefNo``/``customerOrder``
(Visma's API documentation), but an order *number* is addressable: ``GET
/v1/salesorder/{orderType}/{orderNbr}``. So the v2 writer sends our source key as
``orderNumber`` with ``overrideNumberSeries: true`` (and also as ``customerRefNo``, for people
reading the order), and looks an order up with one GET (404 = absent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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

    def create_finds_existing(self, order_type: str) -> bool:
        """Whether :meth:`create` with a key answers with the existing order when one carries
        the key already (so no lookup is needed before it)."""
        ...

    def find(
        self,
        order_type: str,
        key: str,
        *,
        customer: str | None = None,
        since: datetime | None = None,
    ) -> SalesOrder | None:
        """The order created with ``key``, or None. ``customer`` (its Visma.net number) and
        ``since`` (a time before the order can have been written) narrow a lookup that has to
        list orders; a writer with an addressable key ignores them."""
        ...


class V2SalesOrderWriter:
    """Writes through ``POST /v2/salesorder`` and reads through ``GET /v1/salesorder/{t}/{n}``."""

    def __init__(self, http: VismaNetHttp) -> None:
        self.http = http

    def create_finds_existing(self, order_type: str) -> bool:
        return False  # a taken order number is a 400 like any other refusal

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

    def find(
        self,
        order_type: str,
        key: str,
        *,
        customer: str | None = None,
        since: datetime | None = None,
    ) -> SalesOrder | None:
        del customer, since  # the order number is addressable: one GET
        path = f"/v1/salesorder/{_segment(order_type)}/{_segment(key)}"
        return self.http.get_or_none(
            path, parse=lambda d: parse_model(SalesOrder, d, f"GET {path}")
        )


def _segment(value: str) -> str:
    return quote(value, safe="")
