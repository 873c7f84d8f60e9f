"""Visma.net inventory items as eAccounting articles (pure).

Input is an item as Visma.net sends it (camelCase, with ``attributes``, ``crossReferences`` and
``attachments`` expanded); output is the part of an eAccounting ``ArticleApi`` object the product
flow owns. Fields the source has no value for are left out, so an update never clears what
someone entered in eAccounting.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from vismasync.mappings.data_mapper import evaluate
from vismasync.mappings.value_maps import ValueMap

# eAccounting limits (ArticleApi): longer values are cut, never refused.
NAME_LIMIT = 50
NUMBER_LIMIT = 40
CENT = Decimal("0.01")
# Article fields the built-in mapping sets; create-only settings may name these (or a
# field-mapping target).
ARTICLE_FIELDS = ("Name", "NetPrice", "GrossPrice", "UnitId", "CodingId", "Barcodes", "IsActive")
# Visma.net statuses under which an item may still be sold; others make the article inactive.
SELLABLE_STATUSES = frozenset({"Active", "NoPurchases", "NoRequest"})
SERVICE_TYPES = frozenset({"ServiceItem", "LaborItem", "ChargeItem", "ExpenseItem"})


class ArticleProblem(ValueError):
    """The item cannot become an article; the message says what to fix and where."""

    def __init__(self, message: str, error_class: str = "data"):
        super().__init__(message)
        self.error_class = error_class


@dataclass(frozen=True)
class ArticleReference:
    """eAccounting's reference lists, keyed by every name a setting may use (lower-case)."""

    units: Mapping[str, str]  # id, code, name or abbreviation -> unit id
    codings: Mapping[str, str]  # id, name or English name -> coding id
    vat_rates: Mapping[str, Decimal] = field(default_factory=dict)  # coding id -> rate (0.25)


@dataclass(frozen=True)
class ItemFilter:
    """The configured product filter (``flows.products.filter``) in plain values."""

    statuses: Collection[str] = ()
    item_classes: Collection[str] = ()
    types: Collection[str] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)
    expression: str | None = None


def attribute_values(item: Mapping[str, Any]) -> dict[str, str | None]:
    """The item's attributes as ``{attribute id: value}``."""
    return {a["id"]: a.get("value") for a in item.get("attributes") or [] if a.get("id")}


def mapper_source(item: Mapping[str, Any]) -> dict[str, Any]:
    """What filters and field mappings see: the item plus ``attribute`` (id -> value) and
    ``ean``, so rules can say ``attribute.COLOR`` instead of searching a list."""
    return {**item, "attribute": attribute_values(item), "ean": barcode(item)}


def barcode(item: Mapping[str, Any]) -> str | None:
    refs = item.get("crossReferences") or []
    return next((r.get("alternateID") for r in refs if r.get("alternateType") == "Barcode"), None)


def is_sellable(item: Mapping[str, Any]) -> bool:
    return item.get("status") in SELLABLE_STATUSES


def is_service(item: Mapping[str, Any]) -> bool:
    return item.get("type") in SERVICE_TYPES


def passes_filter(item: Mapping[str, Any], rule: ItemFilter) -> bool:
    """Whether the item is one the integration syncs (every given criterion holds).

    Raises:
        MappingError: the filter expression failed on this item.
    """
    if rule.statuses and item.get("status") not in rule.statuses:
        return False
    if rule.item_classes and (item.get("itemClass") or {}).get("id") not in rule.item_classes:
        return False
    if rule.types and item.get("type") not in rule.types:
        return False
    values = attribute_values(item)
    if any(values.get(name) != wanted for name, wanted in rule.attributes.items()):
        return False
    return rule.expression is None or bool(evaluate(rule.expression, mapper_source(item)))


def _resolve(table: Mapping[str, str], value: str | None) -> str | None:
    return table.get(value.strip().lower()) if value else None


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def eaccounting_article(
    item: Mapping[str, Any],
    unit_map: ValueMap,
    goods_coding_map: ValueMap,
    service_coding_map: ValueMap,
    reference: ArticleReference,
) -> dict[str, Any]:
    """The article fields for a Visma.net item.

    Raises:
        ArticleProblem: the unit or account coding has no eAccounting counterpart.
    """
    number = str(item["inventoryNumber"])
    if len(number) > NUMBER_LIMIT:
        raise ArticleProblem(
            f"item {number!r}: the inventory number is longer than eAccounting's article "
            f"number limit ({NUMBER_LIMIT} characters); shorten it in Visma.net"
        )
    unit = item.get("salesUnit") or item.get("baseUnit")
    unit_value = unit_map.map(unit)
    unit_id = _resolve(reference.units, unit_value or unit)
    if unit_id is None:
        raise ArticleProblem(
            f"item {number!r}: unit {unit!r} has no eAccounting unit. Map it in "
            "flows.products.value_maps.unit to an eAccounting unit code (e.g. st, pkt)",
            "config",
        )
    category = (item.get("vatCode") or {}).get("id")
    coding_map = service_coding_map if is_service(item) else goods_coding_map
    coding_value = coding_map.map(category)
    if coding_value is None and is_service(item):
        coding_value = goods_coding_map.map(category)
    coding_id = _resolve(reference.codings, coding_value)
    if coding_id is None:
        setting = "service_account_coding" if is_service(item) else "account_coding"
        raise ArticleProblem(
            f"item {number!r}: VAT category {category!r} has no eAccounting account coding. "
            f"Map it in flows.products.value_maps.{setting} to an account coding name or id",
            "config",
        )
    article: dict[str, Any] = {
        "Number": number,
        "Name": (item.get("description") or number).strip()[:NAME_LIMIT],
        "IsActive": is_sellable(item),
        "UnitId": unit_id,
        "CodingId": coding_id,
    }
    if item.get("defaultPrice") is not None:
        net = _money(item["defaultPrice"])
        article["NetPrice"] = net
        rate = reference.vat_rates.get(coding_id)
        if rate is not None:
            article["GrossPrice"] = _money(net * (1 + rate))
    ean = barcode(item)
    if ean:
        article["Barcodes"] = [{"Barcode": ean, "BarcodeType": 0}]
    return article


def unsupported_content(item: Mapping[str, Any], carried_attributes: Collection[str]) -> dict:
    """What the item holds that eAccounting articles have no place for, by kind.

    Attributes named in a field mapping are carried (``carried_attributes``); the long
    description (``body``) and images (attachments) have no field in ``ArticleApi``.
    """
    found: dict[str, int] = {}
    if (item.get("body") or "").strip():
        found["long description"] = 1
    loose = [a for a in attribute_values(item) if a not in carried_attributes]
    if loose:
        found["attribute value"] = len(loose)
    if item.get("attachments"):
        found["image"] = len(item["attachments"])
    return found
