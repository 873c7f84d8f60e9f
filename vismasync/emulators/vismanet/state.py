"""The state of one emulated Visma.net company: plain dictionaries shaped like the read DTOs.

Records are kept in read-DTO shape (camelCase keys, ``datetime`` for time stamps, ``Decimal``
for amounts) so rendering a response is a copy, and the rules in the backend modules read like
the screens they emulate. Nothing here knows HTTP.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from vismasync.emulators.vismanet.query import DateCondition

Record = dict[str, Any]

# Visma.net's largest published page size is inventory's (spec: "MaxPageSize will be set to
# 5000"); others are unpublished and 1000 is the emulator's default.
DEFAULT_MAX_PAGE_SIZE = 1000
INVENTORY_MAX_PAGE_SIZE = 5000


def utc_now() -> datetime:
    # Offset-less time stamps, as the API returns and filters them; the company zone is UTC.
    return datetime.now(UTC).replace(tzinfo=None)


def money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class StockLevel:
    """On-hand quantity of one item in one warehouse and what open orders have booked."""

    on_hand: Decimal = Decimal("0")
    booked: Decimal = Decimal("0")
    last_modified: datetime | None = None

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.booked


@dataclass
class CompanyState:
    """All records of one company, guarded by one lock (the emulator is small; writes are rare)."""

    clock: Callable[[], datetime] = utc_now
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE
    inventory_max_page_size: int = INVENTORY_MAX_PAGE_SIZE
    name: str = "Demo company"
    base_currency: str = "SEK"

    customers: dict[str, Record] = field(default_factory=dict)
    contacts: dict[int, Record] = field(default_factory=dict)
    inventory: dict[str, Record] = field(default_factory=dict)
    stock: dict[str, dict[str, StockLevel]] = field(default_factory=dict)
    sales_orders: dict[tuple[str, str], Record] = field(default_factory=dict)
    invoices: dict[str, Record] = field(default_factory=dict)
    journal_transactions: dict[str, Record] = field(default_factory=dict)

    branches: dict[str, Record] = field(default_factory=dict)
    warehouses: dict[str, Record] = field(default_factory=dict)
    vats: dict[str, Record] = field(default_factory=dict)
    vat_categories: dict[str, Record] = field(default_factory=dict)
    vat_zones: dict[str, Record] = field(default_factory=dict)
    credit_terms: dict[str, Record] = field(default_factory=dict)
    carriers: dict[str, Record] = field(default_factory=dict)
    payment_methods: dict[str, Record] = field(default_factory=dict)
    currencies: dict[str, Record] = field(default_factory=dict)
    countries: dict[str, Record] = field(default_factory=dict)
    attributes: dict[str, Record] = field(default_factory=dict)
    order_types: dict[str, Record] = field(default_factory=dict)
    customer_classes: dict[str, Record] = field(default_factory=dict)
    item_classes: dict[str, Record] = field(default_factory=dict)
    accounts: dict[str, Record] = field(default_factory=dict)
    # Numbering sequences (NumberingDto shape) and which one each order type draws from: the
    # order type's DTO does not say, the SalesOrders V3 service enforces it on create.
    numberings: dict[str, Record] = field(default_factory=dict)
    order_numbering: dict[str, str] = field(default_factory=dict)
    # Per sales order (type, number): its creation time and its version (V3's ETag), kept
    # beside the v1-shaped record so the monolith's responses stay as documented.
    order_created: dict[tuple[str, str], datetime] = field(default_factory=dict)
    order_versions: dict[tuple[str, str], int] = field(default_factory=dict)

    # Number series: the next value of each auto-numbered key.
    counters: dict[str, int] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def now(self) -> datetime:
        """The current time, truncated to milliseconds as the API reports it."""
        stamp = self.clock()
        return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)

    def next_number(self, series: str, start: int) -> int:
        value = self.counters.get(series, start)
        self.counters[series] = value + 1
        return value


def snapshot(record: Record) -> Record:
    """A deep copy, so callers cannot mutate the stored record."""
    return copy.deepcopy(record)


def filter_records(
    records: Iterable[Record],
    *,
    equals: dict[str, Callable[[Record], Any]] | None = None,
    params: dict[str, str] | None = None,
    dates: dict[str, Callable[[Record], datetime | None]] | None = None,
    conditions: dict[str, DateCondition | None] | None = None,
) -> list[Record]:
    """Records matching every given equality filter and date condition.

    ``equals`` maps a query parameter to the record value it compares with (case-insensitive,
    as the ERP's database collation is); parameters absent from ``params`` filter nothing.
    """
    params = params or {}
    result = []
    for record in records:
        ok = True
        for name, getter in (equals or {}).items():
            wanted = params.get(name)
            if wanted is None or wanted == "":
                continue
            actual = getter(record)
            if actual is None or str(actual).casefold() != wanted.strip().casefold():
                ok = False
                break
        if ok:
            for name, condition in (conditions or {}).items():
                if condition is not None and not condition.matches((dates or {})[name](record)):
                    ok = False
                    break
        if ok:
            result.append(record)
    return result
