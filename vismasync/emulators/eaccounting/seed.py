"""Seeds for the eAccounting emulator: ``empty`` (a company with reference data only) and
``demo`` (the demo catalogue's customers and articles, 320 orders, invoices and payments).

The demo seed is built by running the backend's own rules under a stepping clock that starts at a
fixed date, with ids from a fixed random stream: the same document on every machine and every
run, and every seeded record has exactly the shape and derived values a client-made one has.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from vismasync.emulators.demo_catalogue import DemoCustomer, DemoProduct, demo_catalogue

BASE_TIME = datetime(2025, 11, 3, 8, 0, tzinfo=UTC)
DEMO_ORDERS = 320
_IDS = random.Random(4711)


def _id() -> str:
    return str(uuid.UUID(int=_IDS.getrandbits(128), version=4))


def reference_data() -> dict[str, Any]:
    """Company settings and the reference lists every write needs (fixed ids)."""
    _IDS.seed(4711)
    terms = [
        {"Id": _id(), "Name": "30 dagar", "NameEnglish": "30 days", "NumberOfDays": 30,
         "TermsOfPaymentTypeId": 0, "TermsOfPaymentTypeText": "Normal",
         "AvailableForSales": True, "AvailableForPurchase": True},
        {"Id": _id(), "Name": "10 dagar", "NameEnglish": "10 days", "NumberOfDays": 10,
         "TermsOfPaymentTypeId": 0, "TermsOfPaymentTypeText": "Normal",
         "AvailableForSales": True, "AvailableForPurchase": True},
        {"Id": _id(), "Name": "Kontant", "NameEnglish": "Cash", "NumberOfDays": 0,
         "TermsOfPaymentTypeId": 2, "TermsOfPaymentTypeText": "Cash",
         "AvailableForSales": True, "AvailableForPurchase": False},
    ]  # fmt: skip
    methods = [
        {"Id": _id(), "Code": code, "Name": name, "NameEnglish": name}
        for code, name in [("POST", "PostNord"), ("DHL", "DHL Freight"), ("BRING", "Bring"),
                           ("PICKUP", "Hämtas")]
    ]  # fmt: skip
    delivery_terms = [
        {"Id": _id(), "Code": code, "Name": name, "NameEnglish": name, "Editable": False}
        for code, name in [("FCA", "Free Carrier"), ("DAP", "Delivered At Place")]
    ]
    units = [
        {"Id": _id(), "Code": code, "Name": name, "Abbreviation": code, "AbbreviationEnglish": en}
        for code, name, en in [("st", "Styck", "pcs"), ("pkt", "Paket", "pkg"), ("m", "Meter", "m")]
    ]
    codings = []
    for kind, sv in (("Goods", "Varor"), ("Services", "Tjänster")):
        for rate in (25, 12, 6):
            codings.append(
                {"Id": _id(), "Name": f"{sv} {rate}% moms", "NameEnglish": f"{kind} {rate}% VAT",
                 "Type": kind, "VatRate": f"{rate}%", "VatRatePercent": rate / 100,
                 "IsActive": True, "ChangedUtc": "2025-01-01T00:00:00.000Z",
                 "DomesticSalesSubjectToVatAccountNumber": 3001 if kind == "Goods" else 3041,
                 "ForeignSalesVatExemptOutsideEuAccountNumber": 3105,
                 "ForeignSalesVatExemptWithinEuAccountNumber": 3108})  # fmt: skip
    vatcodes = [
        {"Id": _id(), "Code": code, "Description": text, "VatRate": rate, "OssCodeType": 0,
         "RelatedAccounts": {"AccountNumber1": account, "AccountNumber2": None,
                             "AccountNumber3": None}}
        for code, text, rate, account in [
            ("10", "Utgående moms 25%", 0.25, 2611), ("11", "Utgående moms 12%", 0.12, 2621),
            ("12", "Utgående moms 6%", 0.06, 2631), ("00", "Momsfri", 0.0, None)]
    ]  # fmt: skip
    countries = [
        {"Code": c, "Name": n, "IsEuMember": eu}
        for c, n, eu in [("SE", "Sverige", True), ("NO", "Norge", False), ("DK", "Danmark", True),
                         ("FI", "Finland", True), ("DE", "Tyskland", True),
                         ("NL", "Nederländerna", True), ("GB", "Storbritannien", False),
                         ("US", "USA", False)]
    ]  # fmt: skip
    currencies = [{"Code": c} for c in ("SEK", "NOK", "DKK", "EUR", "USD", "GBP")]
    years = [
        {"Id": _id(), "StartDate": f"{y}-01-01T00:00:00", "EndDate": f"{y}-12-31T00:00:00",
         "IsLockedForAccounting": False, "BookkeepingMethod": 0}
        for y in (2025, 2026)
    ]  # fmt: skip
    company = {
        "Name": "Demo Handel AB", "CorporateIdentityNumber": "556000-0001", "CountryCode": "SE",
        "CurrencyCode": "SEK", "Address1": "Storgatan 1", "PostalCode": "111 22",
        "City": "Stockholm", "Phone": "08-123 45 67", "Email": "info@demohandel.example.com",
        "ProductVariant": 1,
        "CompanyStatus": 1, "TypeOfBusiness": 1, "ShowPricesExclVatPC": True,
        "ActivatedModules": ["sales_standard"], "TermsOfPaymentId": terms[0]["Id"],
        "NextCustomerNumber": 1, "NextOrderNumber": 1, "NextCustomerInvoiceNumber": 1,
        "NextArticleNumber": 1, "NextQuoteNumber": 1, "NextSupplierNumber": 1,
        "AccountNumberDigits": 4, "CompanyIdentifier": "demo-handel",
    }  # fmt: skip
    return {
        "companysettings": company, "termsofpayments": terms, "deliverymethods": methods,
        "deliveryterms": delivery_terms, "units": units, "articleaccountcodings": codings,
        "vatcodes": vatcodes, "countries": countries, "currencies": currencies,
        "fiscalyears": years,
    }  # fmt: skip


def empty_seed() -> dict[str, Any]:
    return reference_data()


class _SteppingClock:
    """A clock that moves forward a little on every reading: distinct, ordered timestamps."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=23)
        return self.now


def _customer_payload(c: DemoCustomer, terms_id: str, number: int) -> dict[str, Any]:
    payload = {
        "CustomerNumber": str(number), "Name": c.display_name[:50],
        "IsPrivatePerson": not c.is_company, "IsActive": True, "TermsOfPaymentId": terms_id,
        "InvoiceAddress1": c.address, "InvoicePostalCode": c.postal_code,
        "InvoiceCity": c.city, "InvoiceCountryCode": c.country, "CurrencyCode": c.currency,
        "EmailAddress": c.email, "Telephone": c.phone, "MobilePhone": c.phone,
        "VatNumber": c.vat_number,
    }  # fmt: skip
    if c.is_company:
        payload |= {
            "ContactPersonName": c.person_name, "ContactPersonEmail": c.email,
            "ContactPersonPhone": c.phone,
            "CorporateIdentityNumber": f"556{int(c.key[1:]):03d}-{1000 + int(c.key[1:])}",
        }  # fmt: skip
    return payload


def _article_payload(p: DemoProduct, codings: dict[tuple[str, float], str],
                     units: dict[str, str], rng: random.Random) -> dict[str, Any]:  # fmt: skip
    kind = "Services" if p.is_service else "Goods"
    rate = float(p.vat_rate) / 100
    price = float(p.price_excl_vat)
    return {
        "Number": p.sku, "Name": p.name[:50], "NameEnglish": p.name[:50], "IsActive": True,
        "CodingId": codings[(kind, rate)], "UnitId": units[p.unit_ea], "NetPrice": price,
        "GrossPrice": round(price * (1 + rate), 2), "PurchasePrice": round(price * 0.6, 2),
        "StockBalance": 0.0 if p.is_service else float(rng.randint(0, 150)),
        "Barcodes": [{"Barcode": p.ean, "BarcodeType": 0}] if p.ean else [],
        "Note": p.description,
    }  # fmt: skip


@cache
def _demo_document() -> str:
    from vismasync.emulators.eaccounting.backend import EAccountingBackend

    clock = _SteppingClock(BASE_TIME)
    backend = EAccountingBackend(reference_data(), clock=clock)
    backend.store.id_seed = 20261124
    backend.store._ids.seed(20261124)
    rng = random.Random(20261124)
    ref = reference_data()
    terms = [t["Id"] for t in ref["termsofpayments"]]
    codings = {(c["Type"], c["VatRatePercent"]): c["Id"] for c in ref["articleaccountcodings"]}
    units = {u["Code"]: u["Id"] for u in ref["units"]}
    catalogue = demo_catalogue()

    customers = []
    for index, c in enumerate(x for x in catalogue.customers if x.in_eaccounting):
        payload = _customer_payload(c, terms[index % 2], 1001 + index)
        customers.append(backend.create_customer(payload))
    articles = {
        p.sku: backend.create_article(_article_payload(p, codings, units, rng))
        for p in catalogue.products
        if p.in_eaccounting
    }
    sellable = [a for sku, a in articles.items() if sku != "SHIPPING"]
    # SKU-0111..0115 exist only in eAccounting: orders using them fail product verification.
    only_in_eaccounting = [articles[f"SKU-{i:04d}"] for i in range(111, 116)]
    methods = ref["deliverymethods"]
    for number in range(DEMO_ORDERS):
        _demo_order(backend, rng, number, customers, sellable, only_in_eaccounting,
                    articles["SHIPPING"], methods)  # fmt: skip
    for index in range(5):
        customer = customers[(index * 7) % len(customers)]
        backend.create_draft({
            "CustomerId": customer["Id"], "EuThirdParty": False, "RotReducedInvoicingType": 0,
            "Rows": [{"ArticleId": sellable[index]["Id"], "Quantity": 1 + index,
                      "IsTextRow": False, "ReversedConstructionServicesVatFree": False}],
        })  # fmt: skip
    state = backend.store.export_state()
    return json.dumps(state)


def _demo_order(backend: Any, rng: random.Random, number: int, customers: list[dict[str, Any]],
                sellable: list[dict[str, Any]], only_ea: list[dict[str, Any]],
                shipping: dict[str, Any], methods: list[dict[str, Any]]) -> None:  # fmt: skip
    customer = customers[rng.randrange(len(customers))]
    if number % 50 == 13:
        customer = customers[12]  # C013, the customer without an e-mail address
    picks = rng.sample(sellable, rng.randint(1, 4))
    if number % 23 == 5:
        picks[0] = only_ea[number % len(only_ea)]  # an article Visma.net does not know
    rows = []
    for line, article in enumerate(picks):
        discount = rng.choice([0.0, 0.0, 0.0, 0.05, 0.1, 0.15]) if number % 4 == 1 else None
        rows.append({"LineNumber": line, "ArticleId": article["Id"],
                     "Quantity": float(rng.randint(1, 5)), "DiscountPercentage": discount,
                     "IsTextRow": False, "IsWorkCost": False,
                     "EligibleForReverseChargeOnVat": False})  # fmt: skip
    method = methods[number % len(methods)] if number % 3 else None
    if method is not None and method["Code"] != "PICKUP":
        rows.append({"LineNumber": len(rows), "ArticleId": shipping["Id"], "Quantity": 1.0,
                     "UnitPrice": rng.choice([49.0, 79.0, 129.0]), "IsTextRow": False,
                     "IsWorkCost": False, "EligibleForReverseChargeOnVat": False})  # fmt: skip
    status = [1, 2, 2, 2, 3, 3, 3, 3, 4, 4][number % 10]
    order_date = (BASE_TIME - timedelta(days=120) + timedelta(hours=9 * number)).date()
    payload = {
        "CustomerId": customer["Id"], "CurrencyCode": customer["CurrencyCode"],
        "EuThirdParty": False, "ReverseChargeOnConstructionServices": False,
        "RotReducedInvoicingType": 0, "OrderDate": order_date.isoformat(),
        "Status": 3 if status == 4 else status, "Rows": rows,
        "YourReference": customer.get("ContactPersonName") or customer["Name"],
        "OurReference": "Demo Handel", "BuyersOrderReference": f"PO-{70000 + number}",
        "DeliveryMethodCode": method["Code"] if method else None,
        "DeliveryMethodName": method["Name"] if method else None,
    }  # fmt: skip
    if status >= 3:
        payload["ShippedDateTime"] = (order_date + timedelta(days=2)).isoformat()
        payload["DeliveryDate"] = payload["ShippedDateTime"]
    order = backend.create_order(payload)
    if status == 4:
        invoice = backend.convert_order(order["Id"])
        if number % 20 != 8:  # most invoices are paid; every other tenth stays open
            backend.add_invoice_payment(invoice["Id"], {
                "CompanyBankAccountId": "00000000-0000-4000-8000-000000000001",
                "PaymentDate": invoice["InvoiceDate"][:10],
                "PaymentAmount": invoice["TotalAmountInvoiceCurrency"],
                "PaymentCurrency": invoice["CurrencyCode"], "PaymentType": 2,
            })  # fmt: skip


def demo_seed() -> dict[str, Any]:
    """The demo company (a fresh copy each call)."""
    return copy.deepcopy(json.loads(_demo_document()))


def load_seed(name_or_path: str) -> dict[str, Any]:
    """``demo``, ``empty``, or the path of a JSON seed document."""
    if name_or_path == "demo":
        return demo_seed()
    if name_or_path == "empty":
        return empty_seed()
    return json.loads(Path(name_or_path).read_text("utf-8"))
