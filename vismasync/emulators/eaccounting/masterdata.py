"""Rules for customers and articles: references, numbering, timestamps, stock balance."""

from __future__ import annotations

from typing import Any

from vismasync.emulators.eaccounting import spec
from vismasync.emulators.eaccounting.errors import (
    CanNotBeDeleted,
    Conflict,
    ReferenceNotFound,
)
from vismasync.emulators.eaccounting.store import Store
from vismasync.emulators.eaccounting.validation import validate

# Documented defaults of writable properties ("Default: ..." in the spec's descriptions).
CUSTOMER_DEFAULTS: dict[str, Any] = {
    "ReverseChargeOnConstructionServices": False,
    "DeliveryBasedVat": False,
    "ForceBookkeepVat": False,
    "IsNorthernIreland": False,
    "EmailAddresses": [],
    "CustomerLabels": [],
}
ARTICLE_DEFAULTS: dict[str, Any] = {
    "StockBalance": 0.0,
    "SendToWebshop": True,
    "IsStock": False,
    "UsesMoss": False,
    "UpdateStockPrices": False,
    "ArticleLabels": [],
    "Barcodes": [],
}
# Open orders reserve stock: Draft and Ongoing (1, 2); shipped/invoiced have left the shelf.
RESERVING_STATUSES = {1, 2}


def replace_object(
    definition: str,
    existing: dict[str, Any] | None,
    payload: dict[str, Any],
    defaults: dict[str, Any],
) -> dict[str, Any]:
    """PUT semantics: every writable property comes from ``payload`` (or its documented
    default when omitted); read-only properties are kept from ``existing``."""
    writable = spec.writable(definition)
    record = spec.blank(definition)
    if existing is not None:
        record.update({k: v for k, v in existing.items() if k not in writable})
    props = spec.properties(definition)
    for name in writable:
        value = payload.get(name)
        if isinstance(value, str) and props[name].get("format") == "date-time" and len(value) == 10:
            value += "T00:00:00"  # a date-only value, rendered like the service's dates
        record[name] = defaults.get(name) if value is None else value
    return record


def require(store: Store, collection: str, field: str, value: Any, kind: str) -> dict[str, Any]:
    """The referenced object, or 400 ErrorCode 3000 naming the field."""
    record = store.find(collection, value)
    if record is None:
        raise ReferenceNotFound(field, kind, value)
    return record


# --- customers -------------------------------------------------------------------------------
def save_customer(
    store: Store, payload: dict[str, Any], customer_id: str | None = None
) -> dict[str, Any]:
    """Create (``customer_id`` None) or replace a customer."""
    validate("CustomerApi", payload)
    with store.lock:
        existing = store.get("customers", customer_id) if customer_id else None
        terms = require(
            store, "termsofpayments", "TermsOfPaymentId", payload["TermsOfPaymentId"],
            "Terms of payment",
        )  # fmt: skip
        for field, collection, kind in (
            ("DeliveryMethodId", "deliverymethods", "Delivery method"),
            ("DeliveryTermId", "deliveryterms", "Delivery term"),
        ):
            if payload.get(field) is not None:
                require(store, collection, field, payload[field], kind)
        record = replace_object("CustomerApi", existing, payload, CUSTOMER_DEFAULTS)
        number = payload.get("CustomerNumber")
        if number is None:
            # PUT without a number keeps it; POST without one gets the next free number.
            number = existing["CustomerNumber"] if existing else _next_customer_number(store)
        clash = next(
            (
                c
                for c in store.data["customers"].values()
                if c["CustomerNumber"] == number and c["Id"] != record.get("Id")
            ),
            None,
        )
        if clash is not None:
            raise Conflict(f"Conflict - A customer with CustomerNumber {number} already exists.")
        record["CustomerNumber"] = number
        record["Id"] = existing["Id"] if existing else store.new_id()
        record["CurrencyCode"] = record["CurrencyCode"] or store.company.get("CurrencyCode")
        record["TermsOfPayment"] = dict(terms)
        record["IsFutureInvoiceDateAllowed"] = bool(record.get("IsFutureInvoiceDateAllowed"))
        record["UnpaidInvoicesAmount"] = record.get("UnpaidInvoicesAmount") or 0.0
        record["ChangedUtc"] = store.now()
        return dict(store.put("customers", record))


def _next_customer_number(store: Store) -> str:
    taken = {c["CustomerNumber"] for c in store.data["customers"].values()}
    while True:
        candidate = str(store.next_number("NextCustomerNumber"))
        if candidate not in taken:
            return candidate


def delete_customer(store: Store, customer_id: str) -> None:
    with store.lock:
        customer = store.get("customers", customer_id)
        linked = any(
            doc["CustomerId"] and doc["CustomerId"].lower() == customer["Id"].lower()
            for name in ("orders", "customerinvoices", "customerinvoicedrafts")
            for doc in store.data[name].values()
        )
        if linked:
            raise CanNotBeDeleted(
                "CanNotBeDeleted - The customer has transactions and cannot be deleted. "
                "Set IsActive to false instead."
            )
        store.remove("customers", customer_id)


# --- articles --------------------------------------------------------------------------------
def save_article(
    store: Store, payload: dict[str, Any], article_id: str | None = None, stock_module: bool = False
) -> dict[str, Any]:
    """Create or replace an article. With the stock module on, ``StockBalance`` is read-only."""
    validate("ArticleApi", payload)
    with store.lock:
        existing = store.get("articles", article_id) if article_id else None
        coding = require(
            store,
            "articleaccountcodings",
            "CodingId",
            payload["CodingId"],
            "Article account coding",
        )
        unit = require(store, "units", "UnitId", payload["UnitId"], "Unit")
        clash = next(
            (
                a
                for a in store.data["articles"].values()
                if a["Number"] == payload["Number"] and (existing is None or a is not existing)
            ),
            None,
        )
        if clash is not None:
            raise Conflict(f"Conflict - An article with Number {payload['Number']} already exists.")
        record = replace_object("ArticleApi", existing, payload, ARTICLE_DEFAULTS)
        now = store.now()
        if stock_module:
            record["StockBalance"] = existing["StockBalance"] if existing else 0.0
        if existing is None or record["StockBalance"] != existing["StockBalance"]:
            record["StockBalanceManuallyChangedUtc"] = now
        if existing is None or record["PurchasePrice"] != existing["PurchasePrice"]:
            record["PurchasePriceManuallyChangedUtc"] = now if record["PurchasePrice"] else None
        record["Id"] = existing["Id"] if existing else store.new_id()
        record["CreatedUtc"] = existing["CreatedUtc"] if existing else now
        record["ChangedUtc"] = now
        record["CodingName"] = coding["Name"]
        record["IsServiceArticle"] = coding.get("Type") == "Services"
        record["UnitName"] = unit["Name"]
        record["UnitAbbreviation"] = unit["Abbreviation"]
        record["ShowStockInformation"] = not record["IsServiceArticle"]
        store.put("articles", record)
        return render_article(store, record)


def reserved_by_article(store: Store) -> dict[str, float]:
    """Quantity not yet delivered on open orders, per article id (lowercase)."""
    reserved: dict[str, float] = {}
    for order in store.data["orders"].values():
        if order["Status"] not in RESERVING_STATUSES:
            continue
        for row in order.get("Rows") or []:
            if row.get("ArticleId"):
                open_qty = (row.get("Quantity") or 0) - (row.get("DeliveredQuantity") or 0)
                key = row["ArticleId"].lower()
                reserved[key] = reserved.get(key, 0.0) + max(open_qty, 0)
    return reserved


def render_article(
    store: Store, article: dict[str, Any], reserved: dict[str, float] | None = None
) -> dict[str, Any]:
    """The article with its derived stock figures (reserved, available, value)."""
    reserved = reserved_by_article(store) if reserved is None else reserved
    rendered = dict(article)
    balance = rendered.get("StockBalance") or 0.0
    held = round(reserved.get(rendered["Id"].lower(), 0.0), 4)
    rendered["StockBalanceReserved"] = held
    rendered["StockBalanceAvailable"] = round(balance - held, 4)
    rendered["StockValue"] = round(balance * (rendered.get("PurchasePrice") or 0.0), 2)
    return rendered
