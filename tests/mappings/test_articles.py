"""Visma.net items as eAccounting articles, filters and field differences (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vismasync.mappings.articles import (
    ArticleProblem,
    ArticleReference,
    ItemFilter,
    eaccounting_article,
    passes_filter,
    unsupported_content,
)
from vismasync.mappings.field_diff import changed_fields
from vismasync.mappings.value_maps import ValueMap

REFERENCE = ArticleReference(
    units={"st": "u-st", "u-st": "u-st"},
    codings={"goods 25% vat": "c-g25", "services 25% vat": "c-s25"},
    vat_rates={"c-g25": Decimal("0.25"), "c-s25": Decimal("0.25")},
)
UNITS = ValueMap(table={"PCS": "st"})
GOODS = ValueMap(table={"1": "Goods 25% VAT"})
SERVICES = ValueMap(table={"1": "Services 25% VAT"})


def item(**changes):
    base = {
        "inventoryNumber": "SKU-1", "status": "Active", "type": "FinishedGoodItem",
        "description": "Desk Lamp Black", "body": "A lamp", "baseUnit": "PCS",
        "vatCode": {"id": "1"}, "itemClass": {"id": "GOODS"}, "defaultPrice": Decimal("100.50"),
        "attributes": [{"id": "COLOR", "value": "BLACK"}, {"id": "BRAND", "value": "DEMO"}],
        "crossReferences": [{"alternateType": "Barcode", "alternateID": "7310000000001"}],
        "attachments": [],
    }  # fmt: skip
    return {**base, **changes}


def test_default_fields():
    article = eaccounting_article(item(), UNITS, GOODS, SERVICES, REFERENCE)
    assert article == {
        "Number": "SKU-1", "Name": "Desk Lamp Black", "IsActive": True, "UnitId": "u-st",
        "CodingId": "c-g25", "NetPrice": Decimal("100.50"), "GrossPrice": Decimal("125.63"),
        "Barcodes": [{"Barcode": "7310000000001", "BarcodeType": 0}],
    }  # fmt: skip


def test_services_use_their_own_coding_and_inactive_items_deactivate():
    article = eaccounting_article(
        item(type="ServiceItem", status="Inactive"), UNITS, GOODS, SERVICES, REFERENCE
    )
    assert (article["CodingId"], article["IsActive"]) == ("c-s25", False)


def test_an_unmapped_unit_or_category_names_the_setting():
    with pytest.raises(ArticleProblem, match=r"value_maps\.unit"):
        eaccounting_article(item(baseUnit="BOX"), UNITS, GOODS, SERVICES, REFERENCE)
    with pytest.raises(ArticleProblem, match=r"value_maps\.account_coding"):
        eaccounting_article(item(vatCode={"id": "9"}), UNITS, GOODS, SERVICES, REFERENCE)


def test_filters():
    assert passes_filter(item(), ItemFilter(statuses=["Active"], attributes={"COLOR": "BLACK"}))
    assert not passes_filter(item(), ItemFilter(item_classes=["BOOKS"]))
    assert not passes_filter(item(), ItemFilter(expression="attribute['BRAND'] != 'DEMO'"))
    assert passes_filter(item(), ItemFilter(expression="defaultPrice > 50"))


def test_unsupported_content_counts_what_is_not_carried():
    found = unsupported_content(item(attachments=[{"name": "a.jpg"}]), {"COLOR"})
    assert found == {"long description": 1, "attribute value": 1, "image": 1}


def test_changed_fields_compare_as_the_target_stores_them():
    wanted = {"NetPrice": Decimal("10.00"), "Name": "A", "CodingId": "ABC-DEF-1-2-3",
              "Barcodes": [{"Barcode": "1", "BarcodeType": 0}]}  # fmt: skip
    current = {"NetPrice": 10.0, "Name": "B", "CodingId": "ABC-DEF-1-2-3",
               "Barcodes": [{"Barcode": "1", "BarcodeType": 0, "Extra": None}]}  # fmt: skip
    assert changed_fields(wanted, current) == {"Name": "A"}
    assert changed_fields(wanted, current, keep={"Name"}) == {}
