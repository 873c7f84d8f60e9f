"""The backend without HTTP: seed facts and rules a test can drive directly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vismasync.emulators.demo_catalogue import demo_catalogue
from vismasync.emulators.vismanet.errors import ValidationError
from vismasync.emulators.vismanet.seed import demo_backend, empty_backend, populate
from vismasync.emulators.vismanet.wire import render


def test_demo_seed_matches_the_catalogue_and_is_deterministic() -> None:
    backend = demo_backend()
    catalogue = demo_catalogue()
    skus = set(backend.state.inventory)
    assert len(skus) >= 100
    assert skus == {p.sku for p in catalogue.products if p.in_vismanet}
    assert "SKU-0112" not in skus and "SKU-0118" in skus
    emails = {c["mainContact"]["email"] for c in backend.state.customers.values()}
    shared = {c.email for c in catalogue.customers if c.in_vismanet and c.in_eaccounting}
    assert shared and shared <= emails
    stock = backend.inventory.summary("SKU-0001", {})
    product = catalogue.product("SKU-0001")
    assert {r["warehouse"]["id"]: r["onHand"] for r in stock} == dict(product.stock)
    assert render(demo_backend().customers.list({})) == render(backend.customers.list({}))


def test_seeded_items_carry_their_images_as_attachments() -> None:
    """The demo's photos, and a seed file's attachments, are listed on the item as the API
    lists them; attaching one makes the item a new version (incremental reads see it)."""
    items = demo_backend().inventory.list({})
    photos = {p.sku: list(p.images) for p in demo_catalogue().products if p.in_vismanet}
    assert {i["inventoryNumber"]: [a["name"] for a in i["attachments"]] for i in items} == photos
    assert sum(map(bool, photos.values())) >= 10 and max(map(len, photos.values())) == 2
    backend = empty_backend()
    populate(backend, {
        "inventory": [{"inventoryNumber": "A", "itemClass": "GOODS", "vatCode": "1"}],
        "attachments": [{"inventoryNumber": "A", "name": "front.jpg"},
                        {"inventoryNumber": "A", "name": "back.jpg"}],
    })  # fmt: skip
    (item,) = backend.inventory.list({})
    assert [a["name"] for a in item["attachments"]] == ["front.jpg", "back.jpg"]
    assert item["attachments"][0]["revision"] == 1 and len(item["attachments"][0]["id"]) == 36
    assert backend.state.inventory["A"]["version"] == 3  # created, then two attachments
    assert "attachments" not in backend.inventory.list({"expandAttachment": "false"})[0]


def test_empty_seed_has_reference_data_only() -> None:
    backend = empty_backend()
    assert not backend.state.customers and not backend.state.inventory
    assert backend.reference.list("branch", {}) and backend.reference.list("vatCategory", {})


def test_rules_without_http() -> None:
    backend = empty_backend()
    backend.inventory.create({"inventoryNumber": "A", "itemClass": "GOODS", "vatCode": "1",
                              "defaultPrice": 100, "defaultWarehouse": "MAIN"})  # fmt: skip
    backend.inventory.set_stock("A", "MAIN", Decimal(10))
    customer = backend.customers.create({"name": "Rule AB"})
    kind, number = backend.sales_orders.create(
        {"orderType": "SO", "customer": customer,
         "lines": [{"inventoryNumber": "A", "quantity": 3, "discountAmount": 30}]}
    )  # fmt: skip
    order = backend.sales_orders.get(number, kind)
    assert order["discountTotal"] == Decimal("30.00")
    assert order["orderTotal"] == Decimal("337.50")  # (300 - 30) * 1.25
    assert backend.inventory.summary("A", {})[0]["available"] == Decimal(7)
    with pytest.raises(ValidationError, match="does not exist"):
        backend.sales_orders.create({"orderType": "XX", "customer": customer,
                                     "lines": [{"inventoryNumber": "A"}]})  # fmt: skip
