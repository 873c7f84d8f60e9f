"""The one demo company pair both emulators are seeded from.

Both demo seeds derive from this catalogue so they agree on what is shared: most SKUs exist in
both systems, a few only in Visma.net (never sold in eAccounting yet), and a few only in
eAccounting (so orders using them fail verification until the item is created in Visma.net).
Customers: most exist only in eAccounting (the order flow creates them in Visma.net), some exist
in both with the same e-mail (matched, not duplicated), some only in Visma.net.

Everything is generated from a fixed seed: the same catalogue on every machine and every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

SEED = 20261124

COUNTRIES: list[tuple[str, str]] = [
    # (ISO country code, currency)
    ("SE", "SEK"),
    ("SE", "SEK"),
    ("SE", "SEK"),
    ("NO", "NOK"),
    ("DK", "DKK"),
    ("FI", "EUR"),
    ("DE", "EUR"),
    ("NL", "EUR"),
]

CITIES: dict[str, list[tuple[str, str]]] = {
    "SE": [("Stockholm", "111 22"), ("Göteborg", "411 03"), ("Malmö", "211 20")],
    "NO": [("Oslo", "0150"), ("Bergen", "5003")],
    "DK": [("København", "1050"), ("Aarhus", "8000")],
    "FI": [("Helsinki", "00100"), ("Tampere", "33100")],
    "DE": [("Berlin", "10115"), ("Hamburg", "20095")],
    "NL": [("Amsterdam", "1012 AB"), ("Utrecht", "3511 AA")],
}

FIRST_NAMES = [
    "Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Anders", "Sofia", "Nils",
    "Ingrid", "Per", "Astrid", "Mikael", "Linnea", "Ole", "Freja", "Jukka", "Hanna", "Pieter",
]  # fmt: skip
LAST_NAMES = [
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsen", "Hansen", "Jensen",
    "Virtanen", "Müller", "de Vries", "Lindqvist", "Berg", "Holm", "Dahl", "O'Brien",
]  # fmt: skip
COMPANY_WORDS = [
    "Nordic", "Fjord", "Baltic", "Aurora", "Granit", "Lumen", "Tundra", "Saga", "Viking",
    "Polar", "Skog", "Havs", "Ljus", "Berg", "Kust",
]  # fmt: skip
COMPANY_SUFFIXES = ["AB", "AS", "ApS", "Oy", "GmbH", "B.V.", "Handel AB", "Design AB"]

PRODUCT_NOUNS = [
    "Desk Lamp", "Office Chair", "Notebook", "Ballpoint Pen", "Monitor Stand", "Keyboard",
    "Mouse Pad", "Coffee Mug", "Water Bottle", "Backpack", "USB Cable", "Headphones",
    "Whiteboard", "Stapler", "Paper Ream", "Desk Organizer", "Plant Pot", "Wall Clock",
    "Cushion", "Blanket",
]  # fmt: skip
PRODUCT_VARIANTS = ["Black", "White", "Oak", "Steel", "Blue", "Green"]

# Units as both systems name them: (eAccounting unit code, Visma.net base unit)
UNITS = [("st", "PCS"), ("st", "PCS"), ("st", "PCS"), ("pkt", "PACK"), ("m", "METER")]

# Item classes in Visma.net; services are not stock items.
ITEM_CLASSES = ["GOODS", "GOODS", "GOODS", "BOOKS", "SERVICE"]

# Swedish VAT rates (percent) with the Visma.net VAT category that carries them.
VAT_RATES = [(Decimal("25"), "1"), (Decimal("25"), "1"), (Decimal("12"), "2"), (Decimal("6"), "3")]

WAREHOUSES = ["MAIN", "NORTH"]

# Visma.net branches: the default one and one per-country branch used by the branch table.
BRANCHES = [("1", "Head office (SE)"), ("2", "Norway branch"), ("3", "Export branch (EU)")]

SHIPPING_SKU = "SHIPPING"


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    description: str
    unit_ea: str
    unit_vn: str
    price_excl_vat: Decimal
    vat_rate: Decimal
    vat_category: str
    item_class: str
    is_service: bool
    ean: str | None
    in_eaccounting: bool
    in_vismanet: bool
    active: bool
    # Stock on hand per warehouse in Visma.net (empty for services)
    stock: tuple[tuple[str, Decimal], ...]
    attributes: tuple[tuple[str, str], ...]
    # Files attached to the Visma.net item (product photos): eAccounting articles cannot hold
    # them, so the product flow names them in its report.
    images: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoCustomer:
    key: str  # stable identifier within the catalogue, e.g. "C017"
    is_company: bool
    company_name: str | None
    first_name: str
    last_name: str
    email: str | None
    phone: str
    country: str
    currency: str
    city: str
    postal_code: str
    address: str
    vat_number: str | None
    in_eaccounting: bool
    in_vismanet: bool

    @property
    def person_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def display_name(self) -> str:
        return self.company_name or self.person_name


@dataclass(frozen=True)
class DemoCatalogue:
    products: tuple[DemoProduct, ...]
    customers: tuple[DemoCustomer, ...]

    def product(self, sku: str) -> DemoProduct:
        return next(p for p in self.products if p.sku == sku)


def _ean13(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(12)]
    checksum = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(checksum)


def _images(sku: str, index: int) -> tuple[str, ...]:
    """Photos of every eighth item, a second one of every sixteenth; derived from the index
    (not the random generator) so the rest of the catalogue stays as it was."""
    if index % 8 != 5:
        return ()
    front = f"{sku.lower()}-front.jpg"
    return (front, f"{sku.lower()}-back.jpg") if index % 16 == 5 else (front,)


def _products(rng: random.Random) -> list[DemoProduct]:
    products = []
    for index in range(1, 121):
        sku = f"SKU-{index:04d}"
        noun = PRODUCT_NOUNS[(index - 1) % len(PRODUCT_NOUNS)]
        variant = PRODUCT_VARIANTS[(index - 1) // len(PRODUCT_NOUNS) % len(PRODUCT_VARIANTS)]
        unit_ea, unit_vn = UNITS[index % len(UNITS)]
        vat_rate, vat_category = VAT_RATES[index % len(VAT_RATES)]
        item_class = ITEM_CLASSES[index % len(ITEM_CLASSES)]
        is_service = item_class == "SERVICE"
        # SKU-0111..0115 exist only in eAccounting; SKU-0116..0120 only in Visma.net.
        in_eaccounting = index <= 115
        in_vismanet = index <= 110 or index >= 116
        stock = () if is_service else tuple(
            (warehouse, Decimal(rng.randint(0, 200))) for warehouse in WAREHOUSES
        )  # fmt: skip
        products.append(
            DemoProduct(
                sku=sku,
                name=f"{noun} {variant}",
                description=f"{noun} in {variant.lower()}, demo catalogue item {index}",
                unit_ea=unit_ea,
                unit_vn=unit_vn,
                price_excl_vat=Decimal(rng.randint(20, 2500))
                + Decimal(rng.choice([0, 50, 90])) / 100,
                vat_rate=vat_rate,
                vat_category=vat_category,
                item_class=item_class,
                is_service=is_service,
                ean=None if is_service or index % 7 == 0 else _ean13(rng),
                in_eaccounting=in_eaccounting,
                in_vismanet=in_vismanet,
                # A few items are inactive in Visma.net (the product flow deactivates them).
                active=index % 37 != 0,
                stock=stock,
                attributes=(("COLOR", variant.upper()), ("BRAND", "DEMO")),
                images=_images(sku, index),
            )
        )
    products.append(
        DemoProduct(
            sku=SHIPPING_SKU,
            name="Shipping",
            description="Shipping and handling",
            unit_ea="st",
            unit_vn="PCS",
            price_excl_vat=Decimal("0"),
            vat_rate=Decimal("25"),
            vat_category="1",
            item_class="SERVICE",
            is_service=True,
            ean=None,
            in_eaccounting=True,
            in_vismanet=True,
            active=True,
            stock=(),
            attributes=(),
        )
    )
    return products


def _customers(rng: random.Random) -> list[DemoCustomer]:
    customers = []
    for index in range(1, 71):
        country, currency = COUNTRIES[index % len(COUNTRIES)]
        city, postal_code = rng.choice(CITIES[country])
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        is_company = index % 3 != 0
        words = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_WORDS)}"
        company = f"{words} {rng.choice(COMPANY_SUFFIXES)}" if is_company else None
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        domain = "example.com" if not is_company else f"customer{index:03d}.example.net"
        email: str | None = f"{local}{index}@{domain}"
        if index == 13:
            email = None  # a customer without e-mail: the order flow must report, not crash
        if index == 27:
            email = f"o'brien.{index}@example.com"  # a quote in an e-mail must survive filters
        # C001..C060 in eAccounting; C051..C070 in Visma.net: C051..C060 are in both.
        customers.append(
            DemoCustomer(
                key=f"C{index:03d}",
                is_company=is_company,
                company_name=company,
                first_name=first,
                last_name=last,
                email=email,
                phone=f"+46 70 {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                country=country,
                currency=currency,
                city=city,
                postal_code=postal_code,
                address=f"{rng.choice(['Storgatan', 'Kungsgatan', 'Main Street', 'Havnegade'])} "
                f"{rng.randint(1, 120)}",
                vat_number=f"{country}{rng.randint(100000000, 999999999)}01"
                if is_company
                else None,
                in_eaccounting=index <= 60,
                in_vismanet=index >= 51,
            )
        )
    return customers


@cache
def demo_catalogue() -> DemoCatalogue:
    """The demo catalogue (cached; it is immutable)."""
    rng = random.Random(SEED)
    products = _products(rng)
    customers = _customers(rng)
    return DemoCatalogue(products=tuple(products), customers=tuple(customers))
