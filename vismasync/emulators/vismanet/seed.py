"""Seeds: the reference data every company has, the demo company, and seed files.

Everything seeded carries fixed time stamps derived from :data:`SEED_DATE`, so the demo company
is identical on every machine and date filters split it the same way on every run.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from vismasync.emulators.demo_catalogue import BRANCHES, WAREHOUSES, demo_catalogue
from vismasync.emulators.vismanet.backend import VismaNetBackend
from vismasync.emulators.vismanet.inventory import etag_for
from vismasync.emulators.vismanet.state import CompanyState, StockLevel

SEED_DATE = datetime(2026, 1, 5, 8, 0, 0)
COUNTRIES = {
    "SE": "Sweden", "NO": "Norway", "DK": "Denmark", "FI": "Finland", "DE": "Germany",
    "NL": "Netherlands", "GB": "United Kingdom", "US": "United States",
}  # fmt: skip
CURRENCIES = {"SEK": ("Swedish krona", "kr"), "NOK": ("Norwegian krone", "kr"),
              "DKK": ("Danish krone", "kr"), "EUR": ("Euro", "€")}  # fmt: skip
# VAT category -> (VAT id, rate); "4" is the exempt category used for exports.
VAT_CATEGORIES = {"1": ("SE25", "25"), "2": ("SE12", "12"), "3": ("SE06", "6"), "4": ("SE00", "0")}
VAT_ZONES = {"01": ("Domestic", "1"), "02": ("EU", "4"), "03": ("Export", "4")}
CUSTOMER_CLASSES = {"1": ("Domestic customers", "01"), "2": ("EU customers", "02"),
                    "3": ("Export customers", "03")}  # fmt: skip
CREDIT_TERMS = {"10": ("10 days net", 10), "14": ("14 days net", 14), "30": ("30 days net", 30)}
CARRIERS = {"POSTNORD": "PostNord parcel", "DHL": "DHL Freight", "PICKUP": "Customer pick-up"}
PAYMENT_METHODS = {"INVOICE": ("Invoice", "DirectDeposit"), "CARD": ("Card", "CreditCard"),
                   "CASH": ("Cash", "CashOrCheck")}  # fmt: skip
ORDER_TYPES = {"SO": ("Sales order", "SalesOrder", "Invoice"),
               "IN": ("Invoice", "Invoice", "Invoice"),
               "QT": ("Quote", "Quote", "NoUpdate")}  # fmt: skip
# Order type -> (numbering id, manual numbering). SO numbers manually so an integration can
# give its orders its own ids (SalesOrders V3 ``orderId``); the others number automatically.
ORDER_NUMBERING = {"SO": ("SOORDER", True), "IN": ("SOINVOICE", False), "QT": ("SOQUOTE", False)}
ITEM_CLASSES = {"GOODS": ("Goods", "FinishedGoodItem"), "BOOKS": ("Books", "FinishedGoodItem"),
                "SERVICE": ("Services", "ServiceItem")}  # fmt: skip
ACCOUNTS = {"1510": "Accounts receivable", "1930": "Bank account", "2611": "Output VAT 25%",
            "2621": "Output VAT 12%", "2631": "Output VAT 6%", "3001": "Sales 25%",
            "3002": "Sales 12%", "3003": "Sales 6%", "3105": "Sales export"}  # fmt: skip
VARIANTS = ("BLACK", "WHITE", "OAK", "STEEL", "BLUE", "GREEN")
# Attachment ids derive from the item and file name, so a seed gives the same ids every time.
ATTACHMENTS = uuid.UUID("6f1d9a52-3b7e-4c1a-9d0e-2a5c8b7f4e10")


def stamp(minutes: int) -> datetime:
    return SEED_DATE + timedelta(minutes=minutes)


def seed_reference(state: CompanyState) -> None:
    """The reference data every emulated company starts with (also the ``empty`` seed)."""
    t0 = stamp(0)
    state.countries.update({k: {"id": k, "name": v} for k, v in COUNTRIES.items()})
    state.currencies.update(
        {
            k: {"id": k, "description": d, "symbol": s, "isBaseCurrency": k == state.base_currency,
                "decimalPrecision": 2, "isUsedForAccounting": True}
            for k, (d, s) in CURRENCIES.items()
        }
    )  # fmt: skip
    for index, (number, name) in enumerate(BRANCHES):
        country = "NO" if number == "2" else "SE"
        state.branches[number] = {
            "branchId": index + 1, "number": number, "name": name, "organizationId": 1,
            "isMainBranch": index == 0, "isActive": True, "lastModifiedDateTime": t0,
            "defaultCountry": {"id": country, "name": COUNTRIES[country]},
            "currency": {"id": state.base_currency, "description": "Swedish krona", "symbol": "kr"},
        }  # fmt: skip
    for index, warehouse in enumerate(WAREHOUSES):
        branch = state.branches[BRANCHES[0][0]]
        state.warehouses[warehouse] = {
            "warehouseID": warehouse, "description": f"{warehouse.title()} warehouse",
            "branch": {"number": branch["number"], "name": branch["name"]}, "active": True,
            "locationEntry": "Validate", "locations": [], "timestamp": etag_for(100 + index),
        }  # fmt: skip
    for category, (vat_id, rate) in VAT_CATEGORIES.items():
        state.vats[vat_id] = {
            "vatId": vat_id, "description": f"VAT {rate}%", "type": "Vat",
            "calculateOn": "ItemAmount", "lastModifiedDateTime": t0,
            "schedules": [{"startDate": datetime(2020, 1, 1), "vatRate": Decimal(rate)}],
        }  # fmt: skip
        state.vat_categories[category] = {
            "vatCategoryId": category, "description": f"Goods and services {rate}%",
            "active": True, "excludeListedTaxes": False, "lastModifiedDateTime": t0,
            "vatCategoryLines": [{"vatId": vat_id, "description": f"VAT {rate}%", "type": "Vat",
                                  "calculateOn": "ItemAmount",
                                  "vatRates": [{"vatRate": Decimal(rate),
                                                "startDate": datetime(2020, 1, 1)}]}],
        }  # fmt: skip
    state.vat_zones.update(
        {k: {"id": k, "description": d, "defaultVatCategory": c} for k, (d, c) in VAT_ZONES.items()}
    )
    state.customer_classes.update(
        {k: {"id": k, "description": d, "taxZoneId": z, "requiredTaxzoneId": True,
             "paymentMethodId": "INVOICE"} for k, (d, z) in CUSTOMER_CLASSES.items()}
    )  # fmt: skip
    state.credit_terms.update(
        {k: {"termsId": k, "description": d, "visibleTo": "AL", "dueDateType": "D",
             "dueDay1": days, "discountType": "N", "createdDateTime": t0,
             "lastModifiedDateTime": t0} for k, (d, days) in CREDIT_TERMS.items()}
    )  # fmt: skip
    state.carriers.update(
        {k: {"carrierId": k, "carrierDescription": d, "lastModifiedDateTime": t0}
         for k, d in CARRIERS.items()}
    )  # fmt: skip
    state.payment_methods.update(
        {k: {"paymentMethodID": k, "active": True, "meansOfPayment": m, "description": d,
             "useInAP": False, "lastModifiedDateTime": t0} for k, (d, m) in PAYMENT_METHODS.items()}
    )  # fmt: skip
    state.order_types.update(
        {k: {"orderType": k, "active": True, "description": d, "behavior": b,
             "defaultOperation": "Issue", "customerDocumentType": c, "lastModifiedDateTime": t0}
         for k, (d, b, c) in ORDER_TYPES.items()}
    )  # fmt: skip
    for order_type, (numbering, manual) in ORDER_NUMBERING.items():
        state.order_numbering[order_type] = numbering
        state.numberings[numbering] = {
            "numberingId": numbering, "description": f"{ORDER_TYPES[order_type][0]} numbers",
            "manualNumbering": manual, "newNumberSymbol": "<NEW>",
            "sequence": [] if manual else [{"startNbr": "000001", "endNbr": "999999",
                                            "lastNbr": "000000", "warnNbr": "999900",
                                            "nbrStep": 1, "nextNumber": "000001"}],
        }  # fmt: skip
    state.item_classes.update(
        {k: {"id": k, "description": d, "type": t} for k, (d, t) in ITEM_CLASSES.items()}
    )
    state.accounts.update({k: {"number": k, "description": d} for k, d in ACCOUNTS.items()})
    state.attributes["COLOR"] = {
        "attributeID": "COLOR", "description": "Colour", "controlType": "Combo",
        "internal": False, "createdDateTime": t0, "lastModifiedDateTime": t0,
        "details": [{"valueId": v, "description": v.title(), "sortOrder": i, "disabled": False}
                    for i, v in enumerate(VARIANTS)],
    }  # fmt: skip
    state.attributes["BRAND"] = {
        "attributeID": "BRAND", "description": "Brand", "controlType": "Text",
        "internal": False, "createdDateTime": t0, "lastModifiedDateTime": t0, "details": [],
    }  # fmt: skip


def attachment(number: str, name: str) -> dict[str, Any]:
    """A file attached to an item, as the item lists it (``AttachmentDto``)."""
    return {"name": name, "id": str(uuid.uuid5(ATTACHMENTS, f"{number}/{name}")), "revision": 1}


def attach(backend: VismaNetBackend, number: str, name: str) -> None:
    """Attach a file to an item, as ``POST /v1/inventory/{number}/attachment`` would: the item
    becomes a new version (its change time moves), so incremental reads see it again."""
    with backend.state.lock:
        backend.inventory.update(number, {})  # unknown number: the API's 404 error
        item = backend.state.inventory[number]
        item["attachments"] = [*item.get("attachments", []), attachment(number, name)]


def empty_backend(**kwargs: Any) -> VismaNetBackend:
    backend = VismaNetBackend.empty(**kwargs)
    seed_reference(backend.state)
    return backend


def demo_backend(**kwargs: Any) -> VismaNetBackend:
    """The demo company: the catalogue's Visma.net items (with stock) and customers."""
    backend = empty_backend(**kwargs)
    state = backend.state
    catalogue = demo_catalogue()
    for index, product in enumerate(p for p in catalogue.products if p.in_vismanet):
        at = stamp(10 + index)
        klass = state.item_classes[product.item_class]
        item = {
            "inventoryId": 1000 + index, "inventoryNumber": product.sku,
            "status": "Active" if product.active else "Inactive", "type": klass["type"],
            "description": product.name, "body": product.description,
            "itemClass": {"id": product.item_class, "description": klass["description"],
                          "type": klass["type"]},
            "vatCode": {"id": product.vat_category,
                        "description": state.vat_categories[product.vat_category]["description"]},
            "defaultPrice": product.price_excl_vat, "baseUnit": product.unit_vn,
            "salesUnit": product.unit_vn, "purchaseUnit": product.unit_vn,
            "stockItem": not product.is_service, "kitItem": False,
            "createdDateTime": at, "lastModifiedDateTime": at, "version": 1,
            "timestamp": etag_for(0x1000 + 1000 + index),
            "attributes": [{"id": a, "value": v, "description": v.title() if a == "COLOR" else v}
                           for a, v in product.attributes],
            "crossReferences": [{"alternateType": "Barcode", "alternateID": product.ean,
                                 "description": "EAN", "uom": product.unit_vn}]
            if product.ean else [],
            "attachments": [attachment(product.sku, name) for name in product.images],
        }  # fmt: skip
        if not product.is_service:
            item["defaultWarehouse"] = {"id": WAREHOUSES[0], "description": "Main warehouse"}
            state.stock[product.sku] = {
                warehouse: StockLevel(on_hand=qty, last_modified=at)
                for warehouse, qty in product.stock
            }
        state.inventory[product.sku] = item
    for index, person in enumerate(c for c in catalogue.customers if c.in_vismanet):
        at = stamp(200 + index)
        number = str(10001 + index)
        eu = ("DK", "FI", "DE", "NL")
        zone = "01" if person.country == "SE" else "02" if person.country in eu else "03"
        address = {"addressId": 900 + index, "addressLine1": person.address,
                   "postalCode": person.postal_code, "city": person.city,
                   "country": {"id": person.country,
                               "name": COUNTRIES[person.country]}}  # fmt: skip
        state.customers[number] = {
            "internalId": 5000 + index, "number": number, "name": person.display_name,
            "status": "Active", "mainAddress": address,
            "mainContact": {"contactId": 300 + index, "name": person.display_name,
                            "email": person.email, "phone1": person.phone},
            "customerClass": {"id": "1" if zone == "01" else "2" if zone == "02" else "3",
                              "description": "Customers"},
            "creditTerms": {"id": "30", "description": "30 days net"},
            "currencyId": person.currency,
            "vatZone": {"id": zone, "description": VAT_ZONES[zone][0],
                        "defaultVatCategory": VAT_ZONES[zone][1]},
            "vatRegistrationId": person.vat_number,
            "location": {"countryId": person.country, "id": "MAIN", "name": "Primary Location"},
            "createdDateTime": at, "lastModifiedDateTime": at,
        }  # fmt: skip
        if person.is_company:
            state.contacts[100 + index] = {
                "contactId": 100 + index, "displayName": person.person_name, "active": True,
                "firstName": person.first_name, "lastName": person.last_name,
                "businessAccount": number, "businessAccountType": "Customer",
                "email": person.email, "phone1": person.phone, "lastModifiedDateTime": at,
            }  # fmt: skip
    # Number series continue after the seeded keys, as the ERP's would.
    state.counters.update(
        {"customer.internalId": 5000 + len(state.customers), "contactId": 1000,
         "inventoryId": 1000 + len(state.inventory), "addressId": 2000}
    )  # fmt: skip
    return backend


def backend_from_file(path: str | Path, **kwargs: Any) -> VismaNetBackend:
    """A company with the reference data plus the records in a JSON seed file.

    The file holds unwrapped write DTOs, created through the backend's own rules::

        {"customers": [{"name": "Acme AB", "mainContact": {"email": "a@acme.se"}}],
         "inventory": [{"inventoryNumber": "SKU-1", "itemClass": "GOODS", "vatCode": "1"}],
         "attachments": [{"inventoryNumber": "SKU-1", "name": "front.jpg"}],
         "stock": [{"inventoryNumber": "SKU-1", "warehouse": "MAIN", "onHand": 5}],
         "salesOrders": [...], "customerInvoices": [...], "journalTransactions": [...]}
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    backend = empty_backend(**kwargs)
    populate(backend, data)
    return backend


def populate(backend: VismaNetBackend, data: dict[str, Any]) -> None:
    """Create the records of a seed document through the backend's own rules."""
    for dto in data.get("customers", []):
        backend.customers.create(dto)
    for dto in data.get("contacts", []):
        backend.customers.create_contact(dto)
    for dto in data.get("inventory", []):
        backend.inventory.create(dto)
    for row in data.get("attachments", []):
        attach(backend, row["inventoryNumber"], row["name"])
    for row in data.get("stock", []):
        backend.inventory.set_stock(row["inventoryNumber"], row["warehouse"],
                                    Decimal(str(row["onHand"])))  # fmt: skip
    for dto in data.get("salesOrders", []):
        backend.sales_orders.create(dto)
    for dto in data.get("customerInvoices", []):
        backend.receivables.create_invoice(dto)
    for dto in data.get("journalTransactions", []):
        backend.receivables.create_journal(dto)


def build_backend(seed: str, **kwargs: Any) -> VismaNetBackend:
    """``demo``, ``empty`` or a path to a JSON seed file."""
    if seed == "demo":
        return demo_backend(**kwargs)
    if seed == "empty":
        return empty_backend(**kwargs)
    return backend_from_file(seed, **kwargs)
