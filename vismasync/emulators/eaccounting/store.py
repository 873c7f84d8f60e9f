"""The emulator's in-memory state: collections of API objects, counters, clock and ids.

Objects are kept exactly as the API renders them (every property of their spec definition), so
reading is a copy and the seed format is simply the API's own shapes.
"""

from __future__ import annotations

import copy
import math
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from vismasync.emulators.eaccounting import spec
from vismasync.emulators.eaccounting.errors import NotFound, QueryParameterError
from vismasync.emulators.eaccounting.odata import compile_filter, compile_orderby
from vismasync.emulators.eaccounting.odata_eval import sort_records

# collection name (the path segment) -> (spec definition, key property, default order)
COLLECTIONS: dict[str, tuple[str, str, str]] = {
    "customers": ("CustomerApi", "Id", "CustomerNumber"),
    "articles": ("ArticleApi", "Id", "Number"),
    "orders": ("OrderApi", "Id", "Number"),
    "customerinvoices": ("CustomerInvoiceApi", "Id", "InvoiceNumber"),
    "customerinvoicedrafts": ("CustomerInvoiceDraftApi", "Id", "CreatedUtc"),
    "vouchers": ("VoucherApi", "Id", "CreatedUtc"),
    "vatcodes": ("VatCodeApi", "Id", "Code"),
    "termsofpayments": ("TermsOfPaymentApi", "Id", "NumberOfDays"),
    "deliverymethods": ("DeliveryMethodApi", "Id", "Code"),
    "deliveryterms": ("DeliveryTermApi", "Id", "Code"),
    "units": ("UnitApi", "Id", "Code"),
    "articleaccountcodings": ("ArticleAccountCodingAPI", "Id", "Name"),
    "countries": ("CountryApi", "Code", "Code"),
    "currencies": ("CurrencyApi", "Code", "Code"),
    "fiscalyears": ("FiscalYearApi", "Id", "StartDate"),
}
KIND_NAMES = {
    "customers": "Customer", "articles": "Article", "orders": "Order",
    "customerinvoices": "Customer invoice", "customerinvoicedrafts": "Customer invoice draft",
    "vouchers": "Voucher", "vatcodes": "Vat code", "termsofpayments": "Terms of payment",
    "deliverymethods": "Delivery method", "deliveryterms": "Delivery term", "units": "Unit",
    "articleaccountcodings": "Article account coding", "countries": "Country",
    "currencies": "Currency", "fiscalyears": "Fiscal year",
}  # fmt: skip


def format_datetime(value: datetime) -> str:
    """UTC timestamps as the service sends them: ISO 8601 with milliseconds and ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def format_date(value: date | datetime) -> str:
    """Date-only properties (``OrderDate``, ``InvoiceDate``, ...) as midnight without offset."""
    return value.strftime("%Y-%m-%dT00:00:00")


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    page: int
    page_size: int
    total: int

    @property
    def total_pages(self) -> int:
        # An empty result has 0 pages: the service's value is not documented.
        return math.ceil(self.total / self.page_size) if self.total else 0


class Store:
    """Collections, numbering and the clock. Callers hold ``lock`` around read-modify-write."""

    def __init__(self, clock: Callable[[], datetime] | None = None, id_seed: int = 0) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.lock = threading.RLock()
        self.id_seed = id_seed
        self.clear()

    def clear(self) -> None:
        with self.lock:
            self.data: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in COLLECTIONS}
            self.company: dict[str, Any] = spec.blank("CompanySettingsApi")
            self.payments: list[dict[str, Any]] = []
            self._ids = random.Random(self.id_seed)

    def new_id(self) -> str:
        """A version-4 GUID from the store's own random stream: reproducible for a given seed."""
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def now(self) -> str:
        return format_datetime(self.clock())

    def next_number(self, setting: str) -> int:
        """Take the next number from a ``CompanySettingsApi.Next...Number`` counter."""
        number = int(self.company.get(setting) or 1)
        self.company[setting] = number + 1
        return number

    # --- collections -------------------------------------------------------------------------
    def put(self, collection: str, record: dict[str, Any]) -> dict[str, Any]:
        definition, key, _ = COLLECTIONS[collection]
        full = spec.blank(definition) | record
        self.data[collection][_key(full[key])] = full
        return full

    def find(self, collection: str, key: Any) -> dict[str, Any] | None:
        if not isinstance(key, str):
            return None
        return self.data[collection].get(_key(key))

    def get(self, collection: str, key: str) -> dict[str, Any]:
        """The stored object (not a copy) or a 404."""
        record = self.find(collection, key)
        if record is None:
            raise NotFound(KIND_NAMES[collection], key)
        return record

    def remove(self, collection: str, key: str) -> None:
        self.data[collection].pop(_key(key), None)

    def query(
        self,
        collection: str,
        *,
        filter_text: str | None = None,
        orderby: str | None = None,
        page: int = 1,
        page_size: int = 50,
        where: Callable[[dict[str, Any]], bool] | None = None,
        fields: list[str] | None = None,
    ) -> Page:
        """One page of a collection after ``$filter`` and ``$orderby`` (copies of the objects),
        with only the properties in ``fields`` (a compiled ``$select``) when given."""
        definition, _, default_order = COLLECTIONS[collection]
        predicate = compile_filter(filter_text, definition) if filter_text else None
        keys = compile_orderby(orderby, definition) if orderby else None
        if page < 1 or page_size < 1:
            raise QueryParameterError("QueryParameterError - $page and $pagesize must be >= 1.")
        records = list(self.data[collection].values())
        if where is not None:
            records = [r for r in records if where(r)]
        if predicate is not None:
            records = [r for r in records if predicate(r)]
        # A stable default order keeps paging consistent between calls (order is undocumented).
        sort_records(records, keys or compile_orderby(default_order, definition))
        start = (page - 1) * page_size
        chosen = records[start : start + page_size]
        if fields is None:
            items = copy.deepcopy(chosen)
        else:
            items = [selected(record, fields) for record in chosen]
        return Page(
            items=items,
            page=page,
            page_size=page_size,
            total=len(records),
        )

    # --- seed documents ----------------------------------------------------------------------
    def export_state(self) -> dict[str, Any]:
        with self.lock:
            state: dict[str, Any] = {
                name: list(items.values()) for name, items in self.data.items()
            }
            state["companysettings"] = self.company
            state["payments"] = self.payments
            return copy.deepcopy(state)

    def load_state(self, document: dict[str, Any]) -> None:
        """Replace everything with a seed document (same keys as :meth:`export_state`)."""
        if not isinstance(document, dict):
            raise ValueError("a seed document is a JSON object of collections")
        unknown = set(document) - set(COLLECTIONS) - {"companysettings", "payments"}
        if unknown:
            raise ValueError(f"unknown collections: {', '.join(sorted(unknown))}")
        with self.lock:
            self.clear()
            self.company.update(copy.deepcopy(document.get("companysettings") or {}))
            self.payments = copy.deepcopy(document.get("payments") or [])
            for name in COLLECTIONS:
                for record in document.get(name) or []:
                    if not isinstance(record, dict):
                        raise ValueError(f"{name}: every record must be an object")
                    key = COLLECTIONS[name][1]
                    if not record.get(key):
                        raise ValueError(f"{name}: every record needs its {key}")
                    self.put(name, copy.deepcopy(record))


def _key(value: str) -> str:
    # GUIDs and codes are matched case-insensitively, like the service's routing.
    return value.lower()


def selected(record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """A copy of ``record`` with only ``fields`` (a compiled ``$select``); only nested values
    need copying, as a selection is mostly ids and times."""
    return {
        name: copy.deepcopy(value) if isinstance(value, (dict, list)) else value
        for name, value in ((name, record.get(name)) for name in fields)
    }
