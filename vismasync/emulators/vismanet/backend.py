"""The emulated Visma.net ERP service without HTTP: companies, their rules and their state.

A :class:`VismaNetBackend` is one company (one Visma Connect tenant). Each area of the ERP is a
small rules object over the shared :class:`CompanyState`, so a test can drive the emulator's
behaviour directly: ``backend.customers.create({"name": "Acme"})``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from vismasync.emulators.vismanet.customers import CustomerRules
from vismasync.emulators.vismanet.inventory import InventoryRules
from vismasync.emulators.vismanet.receivables import ReceivablesRules
from vismasync.emulators.vismanet.reference import ReferenceData
from vismasync.emulators.vismanet.salesorders import SalesOrderRules
from vismasync.emulators.vismanet.salesorders_v3 import SalesOrderV3Rules
from vismasync.emulators.vismanet.state import (
    DEFAULT_MAX_PAGE_SIZE,
    INVENTORY_MAX_PAGE_SIZE,
    CompanyState,
    utc_now,
)


class VismaNetBackend:
    """One Visma.net company and the rules of each area that the emulator covers."""

    def __init__(self, state: CompanyState | None = None) -> None:
        self.state = state or CompanyState()
        self.customers = CustomerRules(self.state)
        self.inventory = InventoryRules(self.state)
        self.sales_orders = SalesOrderRules(self.state, self.inventory)
        self.sales_orders_v3 = SalesOrderV3Rules(self.state, self.sales_orders)
        self.receivables = ReceivablesRules(self.state)
        self.reference = ReferenceData(self.state)

    @classmethod
    def empty(
        cls,
        *,
        clock: Callable[[], datetime] = utc_now,
        max_page_size: int = DEFAULT_MAX_PAGE_SIZE,
        inventory_max_page_size: int = INVENTORY_MAX_PAGE_SIZE,
    ) -> VismaNetBackend:
        return cls(
            CompanyState(
                clock=clock,
                max_page_size=max_page_size,
                inventory_max_page_size=inventory_max_page_size,
            )
        )

    def max_page_size(self, resource: str) -> int:
        if resource == "inventory":
            return self.state.inventory_max_page_size
        return self.state.max_page_size
