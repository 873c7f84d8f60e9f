"""A second test company, unlike the uniform demo, generated deterministically under a seed.

eAccounting side (:func:`build`), through the eAccounting emulator's own create operations (as
its API would build it): private persons buying at prices including VAT; companies with and
without contact persons; several currencies and countries; names with quotes, accents and
emoji, and names and addresses at eAccounting's maximum lengths; percent discounts and shipping
rows.

Visma.net side (:func:`vismanet_seed`), as a seed document for the Visma.net emulator (created
through its own rules): company and private-person customers in several countries and
currencies, with and without contact persons and delivery addresses, names and addresses at and
beyond eAccounting's maximum lengths; goods and service items at every VAT rate and unit, with
long descriptions, attributes and photos, one SKU longer than eAccounting's article number and
one inactive item; stock in both warehouses, fractional and zero quantities included.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

NAMES = [
    "Åsa Öberg", "O'Brien & Søn AS", 'Café "Le Pilier"', "Zoë Ångström 🚲", "Łukasz Żółć",
    "Björn Þórsson", "Ærøskøbing Tømrer ApS", "Müller-Lüdenscheid GmbH", "Niña Peña",
]  # fmt: skip
COUNTRIES = [("SE", "SEK", "Malmö"), ("NO", "NOK", "Tromsø"), ("DK", "DKK", "Århus"),
             ("FI", "EUR", "Jyväskylä"), ("DE", "EUR", "Köln")]  # fmt: skip
SHIPPING_ARTICLE = "SHIPPING"


@dataclass
class VariedCompany:
    customers: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)


# eAccounting's maximum lengths (CustomerApi / ArticleApi ``maxLength`` in eaccounting-v2.json).
EA_NAME, EA_ADDRESS, EA_POSTAL_CODE, EA_ARTICLE_NUMBER = 50, 50, 10, 40
VN_COUNTRIES = [("SE", "SEK", "Malmö", "1"), ("NO", "NOK", "Tromsø", "3"),
                ("DK", "DKK", "Århus", "2"), ("FI", "EUR", "Jyväskylä", "2"),
                ("DE", "EUR", "Köln", "2")]  # fmt: skip
ITEM_NAMES = ['Stol "Kära Mor"', "Lampe d'été ☀️", "Ørestad Sofa", "Kaffekopp ☕", "Tröja Åre",
              "Hylla 'Bästa'", "Paraply 🌂", "Säng Öland"]  # fmt: skip
UNITS = ("PCS", "PACK", "METER")  # the demo integration's unit map knows each
COLOURS = ("BLACK", "WHITE", "OAK", "STEEL", "BLUE", "GREEN")
LONG_SKU = "VAR-" + "L" * EA_ARTICLE_NUMBER  # beyond eAccounting's article number: fails


def _sized(base: str, length: int) -> str:
    """``base`` padded with accented filler (no emoji: one code point per character)."""
    return (base + " " + "Långnamnsson" * 10)[:length]


def vismanet_seed(seed: int = 20261201, customers: int = 10, items: int = 10) -> dict[str, Any]:
    """A Visma.net company as an emulator seed document (``POST /_emulator/seed``).

    Every customer has its own e-mail address (``vn.<seed>.<index>@varied.example``); items are
    ``VAR-<index>``, one SKU is at eAccounting's article-number limit and ``LONG_SKU`` beyond it.
    """
    rng = random.Random(seed)
    document: dict[str, Any] = {"customers": [], "contacts": [], "inventory": [],
                                "attachments": [], "stock": []}  # fmt: skip
    for index in range(customers):
        country, currency, city, klass = VN_COUNTRIES[index % len(VN_COUNTRIES)]
        company = index % 3 != 0
        number = str(20001 + index)
        name = f"{rng.choice(NAMES)} {index}"
        if index % 4 == 1:
            name = _sized(name, EA_NAME)
        elif index % 4 == 3:
            name = _sized(name, EA_NAME + 10)  # Visma.net takes 60: cut to eAccounting's 50
        street = f"Gata {rng.randint(1, 99)}"
        if index % 5 == 0:
            street = _sized("Ångströmsvägen", EA_ADDRESS)
        elif index % 5 == 2:
            street = _sized("Ångströmsvägen", EA_ADDRESS + 14)
        dto: dict[str, Any] = {
            "number": number, "name": name, "status": "Active", "currencyId": currency,
            "customerClassId": klass, "creditTermsId": ("10", "30", "14")[index % 3],
            "mainAddress": {"addressLine1": street, "city": city, "countryId": country,
                            "postalCode": "NL-1012 AB"[:EA_POSTAL_CODE] if index % 4 == 0
                            else f"{10000 + index}"},
            "mainContact": {"name": name, "email": f"vn.{seed}.{index}@varied.example",
                            "phone1": f"+46 70 {rng.randint(100, 999)} {index:02d} 00"},
        }  # fmt: skip
        if index % 4 == 2:
            dto["mainAddress"]["addressLine2"] = _sized("c/o 'Kvarnen'", EA_ADDRESS)
        if index % 4 == 1:
            dto["deliveryAddress"] = {"addressLine1": f"Lager {index}", "city": "Göteborg",
                                      "postalCode": "41103", "countryId": "SE"}  # fmt: skip
        if company:
            if index % 4 == 2:
                dto["corporateId"] = f"556{rng.randint(1000000, 9999999)}"  # no VAT number
            else:
                dto["vatRegistrationId"] = f"{country}{rng.randint(10**9, 10**10 - 1)}01"
            if index % 2 == 0:
                person = f"Ève D'Arcy-Ødegård {index}"
                dto["mainContact"]["attention"] = person
                first, last = person.split(" ", 1)
                document["contacts"].append({
                    "businessAccount": number, "firstName": first, "lastName": last,
                    "email": dto["mainContact"]["email"],
                })  # fmt: skip
        document["customers"].append(dto)
    for index in range(items + 2):
        sku = f"VAR-{index:02d}"
        if index == 1:
            sku = ("VAR-" + "X" * EA_ARTICLE_NUMBER)[:EA_ARTICLE_NUMBER]
        elif index == items:
            sku = LONG_SKU
        service = index % 5 == 4
        description = f"{ITEM_NAMES[index % len(ITEM_NAMES)]} {index}"
        if index % 4 == 1:
            description = _sized(description, EA_NAME + 20)
        elif index % 4 == 3:
            description = _sized(description, EA_NAME)
        # Prices whose gross at 25 % ends in half a cent (10.02 -> 12.525) and random ones.
        price = 10.02 if index % 4 == 0 else round(rng.uniform(1, 4000), 2)
        item: dict[str, Any] = {
            "inventoryNumber": sku,
            "itemClass": "SERVICE" if service else rng.choice(["GOODS", "BOOKS"]),
            "vatCode": ("1", "2", "3")[index % 3], "description": description,
            "baseUnit": UNITS[index % 3], "salesUnit": UNITS[index % 3],
            "purchaseUnit": UNITS[index % 3], "defaultPrice": price,
            "status": "Inactive" if index == items + 1 else "Active",
        }  # fmt: skip
        if not service:
            item["defaultWarehouse"] = "MAIN"
        if index % 2 == 0:
            item["body"] = f"<p>{description} – “lång” beskrivning 🚲</p>" * 60
        if index % 3 != 2:
            item["attributeLines"] = [
                {"attributeId": "COLOR", "attributeValue": COLOURS[index % len(COLOURS)]},
                {"attributeId": "BRAND", "attributeValue": 'Märke "Ø" 🚲'},
            ]
        document["inventory"].append(item)
        photos = 2 if index % 6 == 0 else 1 if index % 3 == 0 else 0
        for photo in ("front.jpg", "back.jpg")[:photos]:
            document["attachments"].append({"inventoryNumber": sku, "name": photo})
        if not service:
            for warehouse in ("MAIN", "NORTH"):
                # Sold out everywhere (index 2), fractional, zero in one warehouse, large.
                quantity = 0 if index == 2 else rng.choice([0, 1, 7, 12.5, 250, 3.25])
                document["stock"].append(
                    {"inventoryNumber": sku, "warehouse": warehouse, "onHand": quantity}
                )
    return document


def _name(rng: random.Random, index: int) -> str:
    base = rng.choice(NAMES)
    if index % 7 == 3:  # eAccounting's longest name: 50 characters
        return (base + " " + "Långnamnsson" * 5)[:50]
    return f"{base} {index}"


def build(
    backend: Any, vn_inventory: set[str], seed: int = 20261130, count: int = 24
) -> VariedCompany:
    """Create ``count`` customers of every kind, each with one shipped order, in ``backend``."""
    rng = random.Random(seed)
    store = backend.store
    store.company["ShowPricesExclVatPC"] = False  # private persons see prices including VAT
    terms = next(iter(store.data["termsofpayments"].values()))
    articles = [a for a in store.data["articles"].values()
                if a["IsActive"] and a["Number"] in vn_inventory
                and a["Number"] != SHIPPING_ARTICLE]  # fmt: skip
    shipping = next((a for a in store.data["articles"].values()
                     if a["Number"] == SHIPPING_ARTICLE), None)  # fmt: skip
    company = VariedCompany()
    for index in range(count):
        country, currency, city = COUNTRIES[index % len(COUNTRIES)]
        private = index % 3 == 0
        with_person = not private and index % 2 == 0
        name = _name(rng, index)
        customer = backend.create_customer(
            {
                "Name": name, "IsPrivatePerson": private, "IsActive": True,
                "EmailAddress": f"buyer.{seed}.{index}@varied.example",
                "InvoiceAddress1": ("Ångströmsvägen " + "1" * 40)[:50] if index % 5 == 0
                else f"Gata {index}",
                "InvoicePostalCode": f"{10000 + index}", "InvoiceCity": city,
                "InvoiceCountryCode": country, "CurrencyCode": currency,
                "TermsOfPaymentId": terms["Id"],
                **({"ContactPersonName": f"Ève D'Arcy {index}",
                    "ContactPersonEmail": f"person.{seed}.{index}@varied.example"}
                   if with_person else {}),
            }
        )  # fmt: skip
        company.customers.append(customer)
        rows = [
            {
                "LineNumber": line, "ArticleId": article["Id"], "Quantity": rng.randint(1, 9),
                "UnitPrice": round(rng.uniform(1, 3000), 2), "IsTextRow": False,
                "IsWorkCost": False, "EligibleForReverseChargeOnVat": False,
                "DiscountPercentage": rng.choice([0, 0, 0.05, 0.1, 0.25]),
            }
            for line, article in enumerate(rng.sample(articles, rng.randint(1, 4)))
        ]  # fmt: skip
        if shipping is not None and index % 2 == 1:
            rows.append({
                "LineNumber": len(rows), "ArticleId": shipping["Id"], "Quantity": 1,
                "UnitPrice": 79.0, "IsTextRow": False, "IsWorkCost": False,
                "EligibleForReverseChargeOnVat": False,
            })  # fmt: skip
        company.orders.append(
            backend.create_order(
                {
                    "CustomerId": customer["Id"],
                    "Status": 3,
                    "OrderDate": "2026-11-02",
                    "CurrencyCode": currency,
                    "EuThirdParty": False,
                    "RotReducedInvoicingType": 0,
                    "ReverseChargeOnConstructionServices": False,
                    "YourReference": name[:50],
                    "Rows": rows,
                }
            )
        )
    return company
