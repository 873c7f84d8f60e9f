"""The basic choices of each flow in `vismasync init`, offered from what the companies hold.

Both companies are read once (`target_values`): eAccounting units, article account codings and
terms of payment; Visma.net VAT categories, credit terms, warehouses and the units its items
use. Each question's default is matched from them (a unit by code, name or a common synonym, a
VAT category or account coding by its rate, terms by their number of days), so `init --yes`
writes settings whose dry runs go through on a normal company, and each question offers only
values that exist in the target system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vismasync.config.model import FlowName, IntegrationConfig
from vismasync.deployments import setup_checks as checks

# Unit words that mean the same thing, lower case (Visma.net codes, eAccounting codes and names).
UNIT_SYNONYMS = (
    {"st", "styck", "stk", "pcs", "pc", "piece", "pieces", "ea", "each", "unit", "units", "kpl"},
    {"pkt", "paket", "pack", "package", "pkg", "pk"},
    {"m", "meter", "metre", "mtr"},
    {"kg", "kilo", "kilogram"},
    {"h", "tim", "timme", "hour", "hours", "hr"},
    {"l", "liter", "litre"},
)
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")


@dataclass
class TargetValues:
    """What both companies hold that the flows' settings refer to."""

    ea_units: list[tuple[str, set[str]]] = field(default_factory=list)  # code, names
    ea_codings: list[tuple[str, str, Decimal | None]] = field(default_factory=list)  # n, type, %
    ea_terms: list[tuple[str, int | None]] = field(default_factory=list)  # name, days
    vn_units: list[str] = field(default_factory=list)
    vn_vat: list[tuple[str, Decimal | None]] = field(default_factory=list)  # id, rate
    vn_terms: list[tuple[str, int | None]] = field(default_factory=list)  # id, days
    vn_warehouses: list[str] = field(default_factory=list)


def _rate(text: str | None) -> Decimal | None:
    match = _PERCENT.search(text or "")
    return Decimal(match.group(1).replace(",", ".")) if match else None


def target_values(config: IntegrationConfig, flows: list[FlowName]) -> TargetValues:
    """Read what the enabled flows' questions offer (nothing is written)."""
    values = TargetValues()
    ea_secret = checks.resolve_secret(config.eaccounting.client_secret)
    with checks.eaccounting_client(config, ea_secret) as ea:
        if "products" in flows:
            for unit in ea.list_units():
                names = {n.strip().lower() for n in (unit.Code, unit.Name, unit.Abbreviation) if n}
                values.ea_units.append((unit.Code or unit.Name or unit.Id, names))
            for coding in ea.list_article_account_codings():
                if coding.IsActive is False:
                    continue
                english = (coding.model_extra or {}).get("NameEnglish")
                percent = coding.VatRatePercent
                values.ea_codings.append(
                    (english or coding.Name or coding.Id, coding.Type or "",
                     None if percent is None else Decimal(percent) * 100)
                )  # fmt: skip
        if {"customers", "sales_orders"} & set(flows):
            values.ea_terms = [
                (t.Name or t.Id, t.NumberOfDays) for t in ea.list_terms_of_payments()
            ]
    vn_secret = checks.resolve_secret(config.vismanet.client_secret)
    with checks.vismanet_client(config, vn_secret) as vn:
        values.vn_vat = [
            (c.vat_category_id, _rate(c.description))
            for c in vn.list_vat_categories()
            if c.active is not False
        ]
        values.vn_terms = [(t.terms_id, t.due_day1) for t in vn.list_credit_terms()]
        values.vn_warehouses = sorted(w.warehouse_id for w in vn.list_warehouses())
        if "products" in flows:
            units: dict[str, None] = {}
            items = vn.list_inventory(
                expand_warehouse_detail=False,
                expand_attribute=False,
                expand_cross_reference=False,
                expand_attachment=False,
            )
            for item in items:
                for unit in (item.sales_unit, item.base_unit):
                    if unit:
                        units[unit] = None
            values.vn_units = list(units)
    return values


# ----- matching (pure) -----------------------------------------------------------------------
def match_unit(vn_unit: str, ea_units: list[tuple[str, set[str]]]) -> str | None:
    """The eAccounting unit code for a Visma.net unit: same code or name, else a synonym."""
    word = vn_unit.strip().lower()
    for code, names in ea_units:
        if word in names:
            return code
    group = next((g for g in UNIT_SYNONYMS if word in g), set())
    for code, names in ea_units:
        if names & group:
            return code
    return None


def match_coding(
    rate: Decimal | None, codings: list[tuple[str, str, Decimal | None]], kind: str
) -> str | None:
    """The account coding of ``kind`` (Goods or Services) for a VAT rate."""
    for name, coding_kind, percent in codings:
        if rate is not None and percent == rate and coding_kind.lower() == kind.lower():
            return name
    return None


def match_days(days: int | None, terms: list[tuple[str, int | None]]) -> str | None:
    return next((name for name, n in terms if days is not None and n == days), None)


def thirty_days(terms: list[tuple[str, int | None]]) -> str | None:
    """A usual default: 30 days, else the longest, else none."""
    if not terms:
        return None
    return match_days(30, terms) or max(terms, key=lambda t: t[1] or 0)[0]


def _key(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


# ----- the questions ---------------------------------------------------------------------------
def flow_settings(
    ask: Any,
    values: TargetValues,
    flows: list[FlowName],
    *,
    units: list[str] | None = None,
    terms_of_payment: str | None = None,
    stock_warehouses: list[str] | None = None,
) -> dict[FlowName, dict[str, Any]]:
    """Each enabled flow's settings from the answers; ``ask`` is the assistant's Prompter."""
    settings: dict[FlowName, dict[str, Any]] = {}
    if "customers" in flows:
        settings["customers"] = _customers(ask, values, terms_of_payment)
    if "products" in flows:
        settings["products"] = _products(ask, values, units or [])
    if "stock" in flows:
        warehouses = ask.items(
            stock_warehouses, "--stock-warehouse", "Warehouses whose stock counts",
            values.vn_warehouses or ["MAIN"], values.vn_warehouses,
        )  # fmt: skip
        settings["stock"] = {"warehouses": warehouses, "quantity": "on_hand"}
    if "sales_orders" in flows:
        settings["sales_orders"] = {"value_maps": _order_maps(values)}
    return settings


def _customers(ask: Any, values: TargetValues, chosen: str | None) -> dict[str, Any]:
    names = [name for name, _ in values.ea_terms]
    default = ask.text(
        chosen, "--terms-of-payment",
        "eAccounting terms of payment for customers whose Visma.net terms have no match",
        thirty_days(values.ea_terms), names or None,
    )  # fmt: skip
    table = {}
    for terms_id, days in values.vn_terms:
        match = match_days(days, values.ea_terms)
        if match:
            table[terms_id] = match
    result: dict[str, Any] = {"defaults": {"terms_of_payment_id": default}}
    if table:
        result["value_maps"] = {"payment_terms": {"table": table}}
    return result


def _products(ask: Any, values: TargetValues, flags: list[str]) -> dict[str, Any]:
    given = dict(part.split("=", 1) for part in flags if "=" in part)
    codes = [code for code, _ in values.ea_units]
    table = {}
    for vn_unit in values.vn_units:
        table[vn_unit] = ask.text(
            given.get(vn_unit), f"--unit {vn_unit}=CODE",
            f"eAccounting unit for Visma.net unit {vn_unit!r}",
            match_unit(vn_unit, values.ea_units), codes or None,
        )  # fmt: skip
    goods, services = {}, {}
    for category, rate in values.vn_vat:
        goods_coding = match_coding(rate, values.ea_codings, "Goods")
        service_coding = match_coding(rate, values.ea_codings, "Services")
        if goods_coding:
            goods[category] = goods_coding
        if service_coding:
            services[category] = service_coding
    maps: dict[str, Any] = {}
    if table:
        maps["unit"] = {"table": table}
    if goods:
        maps["account_coding"] = {"table": goods}
    if services:
        maps["service_account_coding"] = {"table": services}
    return {"value_maps": maps} if maps else {}


def _order_maps(values: TargetValues) -> dict[str, Any]:
    """eAccounting VAT rates to Visma.net VAT categories, eAccounting terms to credit terms."""
    maps: dict[str, Any] = {}
    taxes = {_key(rate): category for category, rate in values.vn_vat if rate is not None}
    if taxes:
        maps["tax_code"] = {"table": taxes}
    terms = {}
    for name, days in values.ea_terms:
        match = match_days(days, values.vn_terms)
        if match:
            terms[name] = match
    if terms:
        maps["payment_terms"] = {"table": terms, "default": thirty_days(values.vn_terms)}
    return maps
