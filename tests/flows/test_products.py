"""The product flow (Visma.net items -> eAccounting articles) against both emulators."""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal

from vismasync.flows.products import sync_products
from vismasync.store.database import get_engine
from vismasync.store.ledger import list_entries
from vismasync.store.models import LedgerStatus

UNITS = {"PCS": "st", "PACK": "pkt", "METER": "m"}
CENT = Decimal("0.01")


def vn_items(demo) -> dict[str, dict]:
    return demo.vn_service.backend().state.inventory


def ea_articles(demo) -> dict[str, dict]:
    return {a["Number"]: a for a in demo.ea_backend.store.data["articles"].values()}


def expected_article(demo, item: dict) -> dict:
    """What the article of ``item`` must hold, from both emulators' reference data."""
    data = demo.ea_backend.store.data
    unit = next(u["Id"] for u in data["units"].values() if u["Code"] == UNITS[item["baseUnit"]])
    rate = Decimal(
        demo.vn_service.backend().state.vats[
            {"1": "SE25", "2": "SE12", "3": "SE06"}[item["vatCode"]["id"]]
        ]["schedules"][0]["vatRate"]
    )
    kind = "Services" if item["type"] == "ServiceItem" else "Goods"
    coding = next(
        c
        for c in data["articleaccountcodings"].values()
        if c["Type"] == kind and Decimal(str(c["VatRatePercent"])) * 100 == rate
    )
    net = Decimal(str(item["defaultPrice"])).quantize(CENT)
    ean = next((x["alternateID"] for x in item["crossReferences"]), None)
    return {
        "UnitId": unit,
        "CodingId": coding["Id"],
        "NetPrice": net,
        "GrossPrice": (net * (1 + rate / 100)).quantize(CENT, rounding=ROUND_HALF_UP),
        "IsActive": item["status"] == "Active",
        "Barcodes": {ean} if ean else set(),
    }


def actual(article: dict) -> dict:
    return {
        "UnitId": article["UnitId"],
        "CodingId": article["CodingId"],
        "NetPrice": Decimal(str(article["NetPrice"])),
        "GrossPrice": Decimal(str(article["GrossPrice"])),
        "IsActive": article["IsActive"],
        "Barcodes": {b["Barcode"] for b in article.get("Barcodes") or []},
    }


def touch(demo, sku: str, **changes) -> None:
    state = demo.vn_service.backend().state
    state.inventory[sku] = {**state.inventory[sku], **changes, "lastModifiedDateTime": state.now()}


def edit_config(demo, old: str, new: str) -> None:
    config_file = next(iter(demo.config_dir.glob("*.yaml")))
    text = config_file.read_text()
    assert old in text
    config_file.write_text(text.replace(old, new))


def test_every_item_becomes_an_article_created_or_updated_by_sku(demo):
    before = copy.deepcopy(ea_articles(demo))
    items = vn_items(demo)
    new = {sku for sku in items if sku not in before}
    stale = {
        sku
        for sku in items
        if sku in before and actual(before[sku]) != expected_article(demo, items[sku])
    }
    assert new and stale

    result = sync_products(demo.name)

    after = ea_articles(demo)
    for sku, item in items.items():
        assert actual(after[sku]) == expected_article(demo, item), sku
        # Name is create-only in the demo: set on create, never overwritten.
        expected_name = item["description"][:50] if sku in new else before[sku]["Name"]
        assert after[sku]["Name"] == expected_name
    # Only in eAccounting: untouched. Inactive in Visma.net: the article is inactive.
    assert all(after[sku] == before[sku] for sku in set(before) - set(items))
    assert {sku for sku, a in after.items() if not a["IsActive"]} == {
        sku for sku, i in items.items() if i["status"] != "Active"
    }
    counts = demo.eaccounting.counts()
    assert counts[("POST", "/v2/articles")] == len(new)
    assert counts[("PUT", "/v2/articles/{articleId}")] == len(stale)
    assert (
        f"article: read {len(items)}, created {len(new)}, updated {len(stale)}, "
        f"unchanged {len(items) - len(new) - len(stale)}, skipped 0, failed 0" in result["summary"]
    )
    # Long descriptions and attributes have no place in an article: reported for every item
    # read (written or already equal), each item by its SKU, not dropped.
    # (The demo's filter selects every item, inactive ones too: each has its article.)
    synced = list(items.values())
    bodies = sum(1 for i in synced if i.get("body"))
    values = sum(len(i["attributes"]) for i in synced)
    assert bodies and values
    assert (
        f"not supported by the target: long description: read 0, created 0, updated 0, "
        f"unchanged 0, skipped {bodies}," in result["summary"]
    )
    assert f"{values} attribute value(s)" in result["summary"]
    # The demo's product photos (attachments) are counted and named with their SKU.
    images = sum(len(i["attachments"]) for i in synced)
    assert images
    assert (
        f"not supported by the target: image: read 0, created 0, updated 0, unchanged 0, "
        f"skipped {images}," in result["summary"]
    )
    for item in synced:
        if item.get("body"):
            assert f"SKU {item['inventoryNumber']}: " in result["summary"]
    notes = {line.split(": ", 2)[1]: line for line in result["summary"].splitlines()
             if line.strip().startswith("note: SKU ")}  # fmt: skip
    for item in synced:
        if item["attachments"]:
            note = notes[f"SKU {item['inventoryNumber']}"]
            assert f"{len(item['attachments'])} image(s)" in note


def test_second_run_writes_nothing_and_costs_one_list_call(demo):
    sync_products(demo.name)
    demo.reset_counts()

    result = sync_products(demo.name)

    assert demo.eaccounting.writes() == 0
    assert demo.vismanet.writes() == 0
    # Nothing changed: the items are dropped right after the read, before any reference read.
    assert demo.eaccounting.counts() == {}
    assert demo.vismanet.counts() == {("GET", "/API/v1/inventory"): 1}
    assert "created 0, updated 0" in result["summary"]


def test_a_first_run_costs_one_write_per_changed_article_and_one_list_read(demo):
    before = ea_articles(demo)
    items = vn_items(demo)
    new = {sku for sku in items if sku not in before}
    stale = {
        sku for sku in items
        if sku in before and actual(before[sku]) != expected_article(demo, items[sku])
    }  # fmt: skip
    assert len(items) > 25 and new and stale  # more SKUs than one request can name

    sync_products(demo.name)

    calls = {key: n for key, n in demo.eaccounting.counts().items()
             if not key[1].startswith("/connect/")}  # fmt: skip
    # The company's articles once (one page), units and codings once, then only the writes:
    # one per new or changed article, no read of its own.
    assert calls == {
        ("GET", "/v2/units"): 1,
        ("GET", "/v2/articleaccountcodings"): 1,
        ("GET", "/v2/articles"): 1,
        ("POST", "/v2/articles"): len(new),
        ("PUT", "/v2/articles/{articleId}"): len(stale),
    }


def test_create_only_fields_survive_and_inactive_items_deactivate(demo):
    sync_products(demo.name)
    new_sku = next(sku for sku in vn_items(demo) if sku not in ("SHIPPING",) and sku >= "SKU-0116")
    ea = demo.ea_backend.store.data["articles"]
    article = next(a for a in ea.values() if a["Number"] == new_sku)
    article["Name"] = "Enriched name from the web shop"
    touch(demo, new_sku, description="Renamed in Visma.net", defaultPrice=Decimal("123.40"))
    touch(demo, "SKU-0002", status="Inactive")
    demo.reset_counts()

    sync_products(demo.name)

    after = ea_articles(demo)
    assert after[new_sku]["Name"] == "Enriched name from the web shop"
    assert Decimal(str(after[new_sku]["NetPrice"])) == Decimal("123.40")
    assert after["SKU-0002"]["IsActive"] is False
    assert demo.eaccounting.counts()[("PUT", "/v2/articles/{articleId}")] == 2


def test_filters_choose_the_items_and_field_mappings_carry_attributes(demo):
    edit_config(
        demo,
        "    create_only_fields: [Name]\n",
        "    create_only_fields: [Name]\n"
        "    filter:\n      item_classes: [BOOKS]\n"
        "      expression: \"inventoryNumber != 'SKU-0118'\"\n"
        "    field_mappings:\n      - target: NameEnglish\n"
        "        source: attribute.COLOR\n",
    )
    before = copy.deepcopy(ea_articles(demo))
    items = vn_items(demo)
    chosen = {
        sku for sku, i in items.items() if i["itemClass"]["id"] == "BOOKS" and sku != "SKU-0118"
    }
    inactive_outside = {
        sku
        for sku, i in items.items()
        if sku not in chosen and i["status"] != "Active" and sku in before
    }

    result = sync_products(demo.name)

    after = ea_articles(demo)
    changed = {sku for sku in after if after[sku] != before.get(sku)}
    assert chosen and changed == chosen | inactive_outside
    colours = {sku: dict((a["id"], a["value"]) for a in items[sku]["attributes"]) for sku in chosen}
    assert all(after[sku]["NameEnglish"] == colours[sku]["COLOR"] for sku in chosen)
    skipped = len(items) - len(chosen) - len(inactive_outside)
    assert f"skipped {skipped}, failed 0" in result["summary"]
    # COLOR is carried; BRAND still has no place and is reported.
    assert f"{len(chosen)} attribute value(s)" in result["summary"]


def test_an_unmapped_unit_fails_its_item_alone(demo):
    touch(demo, "SKU-0003", baseUnit="BOX", salesUnit="BOX")

    result = sync_products(demo.name)

    (failed,) = list_entries(get_engine(), integration=demo.name, statuses=[LedgerStatus.FAILED])
    assert failed.source_key == "SKU-0003"
    assert failed.error_class == "config"
    assert "unit 'BOX'" in failed.message and "flows.products.value_maps.unit" in failed.message
    assert result["failed"] == 1
    assert "SKU-0120" in ea_articles(demo)


def test_dry_run_writes_nothing(demo):
    new = set(vn_items(demo)) - set(ea_articles(demo))

    result = sync_products(demo.name, dry_run=True)

    assert demo.eaccounting.writes() == 0
    assert list_entries(get_engine(), integration=demo.name) == []
    assert f"created {len(new)}," in result["summary"]


def test_a_dropped_connection_after_create_makes_no_duplicate_article(demo):
    demo.eaccounting.admin.put(
        "/_emulator/faults",
        json={"drop_after_commit": 100, "path_prefix": "/v2/articles", "methods": ["POST"]},
    ).raise_for_status()
    sync_products(demo.name)
    in_flight = list_entries(get_engine(), integration=demo.name, statuses=[LedgerStatus.IN_FLIGHT])
    created_blind = {entry.source_key for entry in in_flight}
    assert created_blind and created_blind <= set(ea_articles(demo))  # committed, answer lost

    demo.eaccounting.admin.delete("/_emulator/faults").raise_for_status()
    sync_products(demo.name)

    numbers = [a["Number"] for a in demo.ea_backend.store.data["articles"].values()]
    assert all(numbers.count(sku) == 1 for sku in created_blind)
    done = list_entries(get_engine(), integration=demo.name, statuses=[LedgerStatus.DONE])
    assert created_blind <= {entry.source_key for entry in done}


def test_an_image_added_to_a_synced_item_is_named_on_the_next_run(demo):
    sync_products(demo.name)
    sku = sorted(vn_items(demo))[0]
    touch(demo, sku, attachments=[
        {"name": "front.jpg", "id": "5c2f0c1e-0000-4000-8000-000000000001", "revision": 1},
    ])  # fmt: skip

    result = sync_products(demo.name)

    assert f"SKU {sku}: " in result["summary"]
    assert "1 image(s)" in result["summary"]
    # Once per item version: the items read again unchanged are not reported again.
    assert result["summary"].count("note: SKU ") == 1
