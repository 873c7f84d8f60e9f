"""The customers, products and stock flows on a varied, generated Visma.net company (not the
uniform demo), checked through the eAccounting emulator's public API: every eligible record
exactly once with the right values, over-long values cut to eAccounting's limits (or the record
failed, where the docs say so), a second run writes nothing, a change writes only its record."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from tests.flows.varied_company import LONG_SKU, vismanet_seed
from vismasync.emulators.eaccounting.spec import properties
from vismasync.emulators.vismanet.seed import attach
from vismasync.flows.customers import sync_customers
from vismasync.flows.products import sync_products
from vismasync.flows.stock import sync_stock

CENT = Decimal("0.01")
UNITS = {"PCS": "st", "PACK": "pkt", "METER": "m"}  # the demo integration's unit map
TERMS = {"10": "10 dagar"}  # its payment-terms map; anything else takes its default
DEFAULT_TERMS = "30 dagar"
WAREHOUSES = ("MAIN", "NORTH")  # its stock warehouses


def _spec_limits(schema: str) -> dict[str, int]:
    """``maxLength`` of every string property of an eAccounting schema, from the API's spec."""
    return {name: p["maxLength"] for name, p in properties(schema).items()
            if "maxLength" in p}  # fmt: skip


CUSTOMER_LIMITS = _spec_limits("CustomerApi")
ARTICLE_LIMITS = _spec_limits("ArticleApi")


@pytest.fixture(scope="module")
def company() -> dict[str, Any]:
    """The generated Visma.net company (a seed document), built once for the module."""
    return vismanet_seed()


@pytest.fixture
def varied(demo, company) -> Iterator[Any]:
    """The demo integration with the Visma.net company replaced by the varied one (loaded
    through the emulator's seed endpoint); eAccounting keeps the demo company."""
    demo.vismanet.admin.post("/_emulator/seed", json=company).raise_for_status()
    demo.reset_counts()
    yield demo


class EAccountingApi:
    """Reads the eAccounting emulator over HTTP as any API client would (own authorization)."""

    def __init__(self, base_url: str) -> None:
        redirect = "http://localhost:8765/callback"
        answer = httpx.get(f"{base_url}/connect/authorize", params={
            "client_id": "vismasync-demo", "redirect_uri": redirect, "response_type": "code",
            "scope": "ea:api ea:sales", "state": "test"})  # fmt: skip
        code = httpx.URL(answer.headers["location"]).params["code"]
        token = httpx.post(f"{base_url}/connect/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        }, auth=("vismasync-demo", "vismasync-demo-secret")).raise_for_status().json()  # fmt: skip
        self.http = httpx.Client(
            base_url=f"{base_url}/v2",
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=30,
        )

    def all(self, collection: str) -> list[dict[str, Any]]:
        found, page = [], 1
        while True:
            body = self.http.get(collection, params={"$page": page, "$pagesize": 500})
            body = body.raise_for_status().json()
            found += body["Data"]
            if page >= body["Meta"]["TotalNumberOfPages"]:
                return found
            page += 1

    def by(self, collection: str, key: str) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for record in self.all(collection):
            grouped.setdefault(record.get(key) or "", []).append(record)
        return grouped

    def ids(self, collection: str, key: str) -> dict[str, str]:
        return {name: record["Id"] for name, (record, *_) in self.by(collection, key).items()}


@pytest.fixture
def api(varied) -> Iterator[EAccountingApi]:
    reader = EAccountingApi(varied.eaccounting.base_url)
    yield reader
    reader.http.close()


def _cut(limits: dict[str, int], field: str, value: str | None) -> str | None:
    return value[: limits[field]] if value else None


def expected_customer(source: dict[str, Any], terms: dict[str, str]) -> dict[str, Any]:
    """The eAccounting customer a Visma.net customer (its seed DTO) must become: docs/flows.md,
    with every text cut to the spec's ``maxLength`` (docs/reliability.md: cut, not refused)."""
    company = bool(source.get("vatRegistrationId") or source.get("corporateId"))
    address, contact = source["mainAddress"], source["mainContact"]
    delivery = source.get("deliveryAddress")
    limit = CUSTOMER_LIMITS
    expected = {
        "Name": _cut(limit, "Name", source["name"]),
        "IsPrivatePerson": not company,
        "EmailAddress": contact["email"],
        "Telephone": contact["phone1"],
        "CurrencyCode": source["currencyId"],
        "VatNumber": source.get("vatRegistrationId"),
        "CorporateIdentityNumber": source.get("corporateId"),
        "InvoiceAddress1": _cut(limit, "InvoiceAddress1", address["addressLine1"]),
        "InvoiceAddress2": _cut(limit, "InvoiceAddress2", address.get("addressLine2")),
        "InvoicePostalCode": _cut(limit, "InvoicePostalCode", address["postalCode"]),
        "InvoiceCity": address["city"],
        "InvoiceCountryCode": address["countryId"],
        "ContactPersonName": contact.get("attention") if company else None,
        "TermsOfPaymentId": terms[TERMS.get(source["creditTermsId"], DEFAULT_TERMS)],
    }
    if delivery:
        expected.update(
            DeliveryCustomerName=_cut(limit, "DeliveryCustomerName", source["name"]),
            DeliveryAddress1=delivery["addressLine1"],
            DeliveryCity=delivery["city"],
            DeliveryPostalCode=delivery["postalCode"],
            DeliveryCountryCode=delivery["countryId"],
        )
    return expected


def actual_customer(record: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    return {name: record.get(name) or (False if name == "IsPrivatePerson" else None)
            for name in expected}  # fmt: skip


def test_varied_customers_arrive_once_and_only_changes_are_written(varied, company, api):
    terms = api.ids("termsofpayments", "Name")
    sources = {c["mainContact"]["email"]: c for c in company["customers"]}
    # The generator covers what the docs promise to handle.
    assert any(len(c["name"]) > CUSTOMER_LIMITS["Name"] for c in sources.values())
    assert any(len(c["name"]) == CUSTOMER_LIMITS["Name"] for c in sources.values())
    assert any(len(c["mainAddress"].get("addressLine2") or "") == CUSTOMER_LIMITS["InvoiceAddress2"]
               for c in sources.values())  # fmt: skip
    assert any(len(c["mainAddress"]["addressLine1"]) > CUSTOMER_LIMITS["InvoiceAddress1"]
               for c in sources.values())  # fmt: skip
    assert {c["currencyId"] for c in sources.values()} >= {"SEK", "NOK", "DKK", "EUR"}

    result = sync_customers(varied.name)

    counts = varied.eaccounting.counts()
    by_email = api.by("customers", "EmailAddress")
    for email, source in sources.items():
        (target,) = by_email[email]  # exactly once
        expected = expected_customer(source, terms)
        assert actual_customer(target, expected) == expected, source["number"]
    assert counts[("POST", "/v2/customers")] == len(sources)
    # Values cut to eAccounting's lengths are named per customer (docs/reliability.md).
    notes = {line.split("note: customer ", 1)[1].split(" ", 1)[0]: line
             for line in result["summary"].splitlines() if "note: customer " in line}  # fmt: skip
    for source in sources.values():
        address = source["mainAddress"]
        texts = {"Name": source["name"], "InvoiceAddress1": address["addressLine1"],
                 "InvoiceAddress2": address.get("addressLine2"),
                 "InvoicePostalCode": address["postalCode"]}  # fmt: skip
        cut = [f"{name} ({CUSTOMER_LIMITS[name]} characters)" for name, text in texts.items()
               if text and len(text) > CUSTOMER_LIMITS[name]]  # fmt: skip
        assert (source["number"] in notes) == bool(cut), source["number"]
        assert all(field in notes.get(source["number"], "") for field in cut)
    assert ("PUT", "/v2/customers/{customerId}") not in counts
    assert (
        f"customer: read {len(sources)}, created {len(sources)}, updated 0, unchanged 0, "
        "skipped 0, failed 0" in result["summary"]
    )

    # A second run: nothing changed, nothing written.
    varied.reset_counts()
    second = sync_customers(varied.name)
    assert varied.eaccounting.writes() == 0
    assert "created 0, updated 0" in second["summary"]

    # One customer changes its e-mail, another its address: those two are updated in place.
    backend = varied.vn_service.backend()
    moved_email, moved_address = company["customers"][1], company["customers"][4]
    new_email = "moved.vn@varied.example"
    backend.customers.update(moved_email["number"], {"mainContact": {"email": new_email}})
    backend.customers.update(
        moved_address["number"], {"mainAddress": {"addressLine1": "Nygatan 5", "city": "Lund"}}
    )
    before = {c["Id"]: c for cs in by_email.values() for c in cs}
    varied.reset_counts()

    third = sync_customers(varied.name)

    counts = varied.eaccounting.counts()
    assert ("POST", "/v2/customers") not in counts
    assert counts[("PUT", "/v2/customers/{customerId}")] == 2
    assert "created 0, updated 2" in third["summary"]
    assert "note: customer " not in third["summary"]  # neither has an over-long value
    after = api.by("customers", "EmailAddress")
    (renamed,) = after[new_email]
    assert moved_email["mainContact"]["email"] not in after
    assert renamed["Id"] == by_email[moved_email["mainContact"]["email"]][0]["Id"]
    (relocated,) = after[moved_address["mainContact"]["email"]]
    assert (relocated["InvoiceAddress1"], relocated["InvoiceCity"]) == ("Nygatan 5", "Lund")
    changed = {renamed["Id"], relocated["Id"]}
    unchanged = [c for cs in after.values() for c in cs if c["Id"] not in changed]
    assert all(c == before[c["Id"]] for c in unchanged)
    assert len(unchanged) + 2 == len(before)


def expected_article(
    item: dict[str, Any], units: dict[str, str], codings: dict[str, Any]
) -> dict[str, Any]:
    """The article a Visma.net item (its seed DTO) must become (docs/flows.md, Products)."""
    service = item["itemClass"] == "SERVICE"
    rate = {"1": 25, "2": 12, "3": 6}[item["vatCode"]]
    coding = codings[f"{'Services' if service else 'Goods'} {rate}% VAT"]
    net = Decimal(str(item["defaultPrice"])).quantize(CENT, rounding=ROUND_HALF_UP)
    return {
        "Name": item["description"][: ARTICLE_LIMITS["Name"]],
        "UnitId": units[UNITS[item["salesUnit"]]],
        "CodingId": coding["Id"],
        "NetPrice": net,
        "GrossPrice": (net * (100 + rate) / 100).quantize(CENT, rounding=ROUND_HALF_UP),
        "IsActive": True,
    }


def actual_article(article: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": article["Name"],
        "UnitId": article["UnitId"],
        "CodingId": article["CodingId"],
        "NetPrice": Decimal(str(article["NetPrice"])),
        "GrossPrice": Decimal(str(article["GrossPrice"])),
        "IsActive": article["IsActive"],
    }


def _notes(summary: str) -> dict[str, str]:
    """The run summary's per-SKU notes of content not carried, by SKU."""
    return {line.split("note: SKU ", 1)[1].split(": ", 1)[0]: line for line in summary.splitlines()
            if "note: SKU " in line and "not carried" in line}  # fmt: skip


def test_varied_items_arrive_once_and_only_changes_are_written(varied, company, api):
    units = api.ids("units", "Code")
    codings = {c["NameEnglish"]: c for c in api.all("articleaccountcodings")}
    items = {i["inventoryNumber"]: i for i in company["inventory"]}
    eligible = {sku: i for sku, i in items.items()
                if i["status"] == "Active" and len(sku) <= ARTICLE_LIMITS["Number"]}  # fmt: skip
    photos = Counter(a["inventoryNumber"] for a in company["attachments"])
    assert LONG_SKU in items and any(len(s) == ARTICLE_LIMITS["Number"] for s in eligible)
    assert any(len(i["description"]) > ARTICLE_LIMITS["Name"] for i in eligible.values())
    assert photos and any(n == 2 for n in photos.values())

    result = sync_products(varied.name)

    by_number = api.by("articles", "Number")
    for sku, item in eligible.items():
        (article,) = by_number[sku]  # exactly once
        assert actual_article(article) == expected_article(item, units, codings), sku
    # Not eligible: an inactive item without an article is not created; an SKU longer than the
    # article number fails alone, naming the limit (docs/reliability.md).
    assert not set(items) - set(eligible) & set(by_number)
    assert varied.eaccounting.counts()[("POST", "/v2/articles")] == len(eligible)
    assert result["failed"] == 1
    assert "longer than eAccounting's article number limit (40 characters)" in result["summary"]
    # What articles cannot hold is named per SKU: long description, attributes, photos.
    notes = _notes(result["summary"])
    for sku, item in eligible.items():
        kinds = {
            "long description": 1 if item.get("body") else 0,
            "attribute value": len(item.get("attributeLines") or []),
            "image": photos[sku],
        }
        listed = [f"{n} {kind}(s)" for kind, n in kinds.items() if n]
        assert (sku in notes) == bool(listed), sku
        assert all(text in notes.get(sku, "") for text in listed), (sku, notes.get(sku))
        limit = ARTICLE_LIMITS["Name"]
        cut = f"SKU {sku}: description longer than eAccounting's article name ({limit} characters)"
        assert (cut in result["summary"]) == (len(item["description"]) > limit), sku

    # A second run: nothing changed, nothing written (the too-long SKU fails again, alone).
    varied.reset_counts()
    second = sync_products(varied.name)
    assert varied.eaccounting.writes() == 0
    assert "created 0, updated 0" in second["summary"]

    # One item's price changes, another gets a photo: one article is written, the photo named.
    backend = varied.vn_service.backend()
    repriced, photographed = "VAR-02", "VAR-05"
    assert repriced in eligible and photographed in eligible and not photos[photographed]
    backend.inventory.update(repriced, {"defaultPrice": 77.7})
    attach(backend, photographed, "side.jpg")
    before = {sku: by_number[sku][0] for sku in eligible}
    varied.reset_counts()

    third = sync_products(varied.name)

    assert varied.eaccounting.counts()[("PUT", "/v2/articles/{articleId}")] == 1
    assert ("POST", "/v2/articles") not in varied.eaccounting.counts()
    after = {sku: a for sku, (a, *_) in api.by("articles", "Number").items() if sku in eligible}
    assert Decimal(str(after[repriced]["NetPrice"])) == Decimal("77.70")
    assert after[repriced]["Id"] == before[repriced]["Id"]
    assert all(after[sku] == before[sku] for sku in eligible if sku != repriced)
    notes = _notes(third["summary"])
    assert "1 image(s)" in notes[photographed]
    assert set(notes) == {repriced, photographed}  # once per item version, not again


def test_varied_stock_follows_every_warehouse_and_only_changes_are_written(varied, company, api):
    sync_products(varied.name)
    with_article = set(api.by("articles", "Number"))
    wanted: dict[str, Decimal] = {}
    for row in company["stock"]:
        if row["warehouse"] in WAREHOUSES:
            sku = row["inventoryNumber"]
            wanted[sku] = wanted.get(sku, Decimal(0)) + Decimal(str(row["onHand"]))
    waiting = set(wanted) - with_article  # the too-long SKU, the inactive item
    assert waiting and any(q != q.to_integral_value() for q in wanted.values())
    assert any(q == 0 for q in wanted.values())
    varied.reset_counts()

    result = sync_stock(varied.name)

    balances = {sku: Decimal(str(a["StockBalance"])) for sku, (a, *_) in
                api.by("articles", "Number").items()}  # fmt: skip
    assert {sku: balances[sku] for sku in wanted if sku not in waiting} == {
        sku: q for sku, q in wanted.items() if sku not in waiting
    }
    # New articles start at 0: every other SKU is written once.
    written = sum(1 for sku, q in wanted.items() if sku not in waiting and q != 0)
    assert varied.eaccounting.counts()[("PUT", "/v2/articles/{articleId}")] == written
    assert all(f"SKU {sku} has no eAccounting article" in result["summary"] for sku in waiting)
    assert result["failed"] == 0

    varied.reset_counts()
    sync_stock(varied.name)
    assert varied.eaccounting.writes() == 0

    # A stock adjustment in one warehouse: that article's balance, and only it, is written.
    sku = next(s for s in sorted(wanted) if s not in waiting)
    varied.vn_service.backend().inventory.set_stock(sku, "NORTH", Decimal("99.5"))
    main = next(Decimal(str(r["onHand"])) for r in company["stock"]
                if r["inventoryNumber"] == sku and r["warehouse"] == "MAIN")  # fmt: skip
    varied.reset_counts()

    sync_stock(varied.name)

    assert varied.eaccounting.counts()[("PUT", "/v2/articles/{articleId}")] == 1
    (article,) = api.by("articles", "Number")[sku]
    assert Decimal(str(article["StockBalance"])) == main + Decimal("99.5")
