"""Reference data (branches, warehouses, VAT, terms, carriers, ...): read-only lists and lookups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vismasync.emulators.vismanet.errors import NotFoundError
from vismasync.emulators.vismanet.query import date_condition
from vismasync.emulators.vismanet.state import CompanyState, Record, filter_records, snapshot


@dataclass(frozen=True)
class ReferenceKind:
    """One reference entity: where it lives, its filters, and how 404s name it."""

    table: str
    label: str
    equals: dict[str, Callable[[Record], Any]] = field(default_factory=dict)
    dates: tuple[str, ...] = ()
    # Time stamps the list filters on although the read DTO does not show them.
    hidden: tuple[str, ...] = ()


KINDS: dict[str, ReferenceKind] = {
    "branch": ReferenceKind("branches", "Branch", dates=("lastModifiedDateTime",)),
    "warehouse": ReferenceKind(
        "warehouses",
        "Warehouse",
        equals={
            "active": lambda w: str(w.get("active")).lower(),
            "branch": lambda w: (w.get("branch") or {}).get("number"),
        },
    ),
    "vat": ReferenceKind("vats", "Vat", dates=("lastModifiedDateTime",)),
    "vatCategory": ReferenceKind(
        "vat_categories", "VatCategory", dates=("lastModifiedDateTime", "createdDateTime")
    ),
    "vatZone": ReferenceKind("vat_zones", "VatZone"),
    "creditTerm": ReferenceKind(
        "credit_terms",
        "CreditTerm",
        equals={"termsId": lambda t: t.get("termsId")},
        dates=("lastModifiedDateTime", "createdDateTime"),
    ),
    "carrier": ReferenceKind("carriers", "Carrier", dates=("lastModifiedDateTime",)),
    "paymentmethod": ReferenceKind(
        "payment_methods",
        "PaymentMethod",
        dates=("lastModifiedDateTime",),
        hidden=("lastModifiedDateTime",),
    ),
    "currency": ReferenceKind("currencies", "Currency"),
    "country": ReferenceKind("countries", "Country"),
    "attribute": ReferenceKind(
        "attributes",
        "Attribute",
        equals={
            "attributeID": lambda a: a.get("attributeID"),
            "controlType": lambda a: a.get("controlType"),
            "internal": lambda a: str(a.get("internal")).lower(),
        },
        dates=("lastModifiedDateTime", "createdDateTime"),
    ),
    "salesordertype": ReferenceKind(
        "order_types",
        "SalesOrderType",
        dates=("lastModifiedDateTime",),
        hidden=("lastModifiedDateTime",),
    ),
    "customerClass": ReferenceKind("customer_classes", "CustomerClass"),
    "itemClass": ReferenceKind("item_classes", "ItemClass"),
}


class ReferenceData:
    def __init__(self, state: CompanyState) -> None:
        self.state = state

    def list(self, kind: str, params: dict[str, str]) -> list[Record]:
        spec = KINDS[kind]
        with self.state.lock:
            records = getattr(self.state, spec.table).values()
            matched = filter_records(
                records,
                equals=spec.equals,
                params=params,
                dates={name: (lambda r, n=name: r.get(n)) for name in spec.dates},
                conditions={name: date_condition(params, name) for name in spec.dates},
            )
            return [_visible(snapshot(r), spec) for r in matched]

    def get(self, kind: str, key: str) -> Record:
        spec = KINDS[kind]
        with self.state.lock:
            record = getattr(self.state, spec.table).get(key)
            if record is None:
                raise NotFoundError(f"{spec.label} '{key}' not found.")
            return _visible(snapshot(record), spec)

    def numbering(self, numbering_id: str) -> Record:
        """A numbering sequence (``GET /v1/numberSequence/{numberingId}``)."""
        with self.state.lock:
            record = self.state.numberings.get(numbering_id)
            if record is None:
                raise NotFoundError(f"Numbering '{numbering_id}' not found.")
            return snapshot(record)


def _visible(record: Record, spec: ReferenceKind) -> Record:
    for name in spec.hidden:
        record.pop(name, None)
    return record
