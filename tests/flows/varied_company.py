"""A second test company, unlike the uniform demo: built deterministically under a seed through
the eAccounting emulator's own create operations (as its API would build it).

Private persons buying at prices including VAT; companies with and without contact persons;
several currencies and countries; names with quotes, accents and emoji, and names and
addresses at eAccounting's maximum lengths; percent discounts and shipping rows.
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
