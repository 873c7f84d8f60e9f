"""The bad-input matrix: every flow, one table of bad records each.

Each case changes one source record in the emulator's backend (as a user would, moving its
change time) and says what the flow must do with it: ``done`` (it syncs, checked in the
target by ``check``) or ``failed`` (it fails alone, with an error class of the taxonomy and a
message containing ``hint``). One run per flow carries all its cases; afterwards the rest of
the batch has committed, and nothing disappeared: every record the run read is settled in the
ledger (done, failed or skipped with a reason), none is left pending.

Decisions per field (see docs/reliability.md):
- names, descriptions and customer addresses longer than the target allows are cut to its
  length (eAccounting customer name: 50, address lines: 50, postal code: 10; article name: 50)
  and named in the run summary; everything else the target refuses fails the record;
- an e-mail address that is not one, and a country code the target does not list, fail the
  record before anything is written (eAccounting would store either);
- unicode and quotes travel unchanged.

A failing case may also have a ``check``: read through the emulators' public APIs, the target
holds nothing of the record.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from vismasync.engine.clients import close_all, eaccounting_client, vismanet_client
from vismasync.flows.customers import sync_customers
from vismasync.flows.products import sync_products
from vismasync.flows.sales_orders import sync_sales_orders
from vismasync.flows.stock import sync_stock
from vismasync.store.database import get_engine
from vismasync.store.ledger import list_entries
from vismasync.store.models import LedgerStatus

UNICODE = "Åsa \"Q\" O'Brien – 東京 🚀 ';--"
TAXONOMY = {"data", "config", "transient", "auth", "rate_limited"}


@dataclass(frozen=True)
class Case:
    name: str
    change: Callable[[Any, str], None]  # (demo, source key) -> None
    expect: str  # "done" | "failed"
    hint: str = ""  # part of the failure message
    check: Callable[[Any, str], bool] | None = None  # (demo, source key) -> the target is right


# --- customers: Visma.net customer -> eAccounting customer ---------------------------------
def _vn_customer(demo, key: str, **changes: Any) -> None:
    state = demo.vn_service.backend().state
    state.customers[key] = {**state.customers[key], **changes,
                            "lastModifiedDateTime": state.now()}  # fmt: skip


def _contact(demo, key: str, **changes: Any) -> dict:
    return {**demo.vn_service.backend().state.customers[key]["mainContact"], **changes}


def _address(demo, key: str, country: str) -> dict:
    address = demo.vn_service.backend().state.customers[key]["mainAddress"]
    return {**address, "country": {"id": country, "name": country}}


def _ea_customer(demo, key: str) -> dict | None:
    email = demo.vn_service.backend().state.customers[key]["mainContact"]["email"]
    found = [c for c in demo.ea_backend.store.data["customers"].values()
             if (c.get("EmailAddress") or "").lower() == (email or "").lower()]  # fmt: skip
    return found[0] if len(found) == 1 else None


def _ea_customers(demo) -> list[dict]:
    """Every eAccounting customer, read through the API."""
    close_all()
    return eaccounting_client(demo.config).all_customers_json()


def _ea_holds(demo, field: str, value: str) -> bool:
    return any(c.get(field) == value for c in _ea_customers(demo))


def _ea_country(demo, key: str) -> list[str]:
    """The invoice country of the eAccounting customer(s) with the customer's e-mail."""
    email = demo.vn_service.backend().state.customers[key]["mainContact"]["email"].lower()
    return [c["InvoiceCountryCode"] for c in _ea_customers(demo)
            if (c.get("EmailAddress") or "").lower() == email]  # fmt: skip


CUSTOMER_CASES = [
    Case("missing e-mail", lambda d, k: _vn_customer(d, k, mainContact=_contact(d, k, email=None)),
         "failed", "e-mail"),
    # eAccounting would store any text as an e-mail address and any two letters as a country
    # code; such a customer fails before it is written, naming the field and the value.
    Case("malformed e-mail",
         lambda d, k: _vn_customer(d, k, mainContact=_contact(d, k, email="anna.example.com")),
         "failed", "'anna.example.com' of its main contact (EmailAddress) is not a valid address",
         check=lambda d, k: not _ea_holds(d, "EmailAddress", "anna.example.com")),
    Case("e-mail with a space",
         lambda d, k: _vn_customer(d, k, mainContact=_contact(d, k, email="anna berg@x.se")),
         "failed", "correct it on the main contact in Visma.net",
         check=lambda d, k: not _ea_holds(d, "EmailAddress", "anna berg@x.se")),
    Case("company without contact",
         lambda d, k: _vn_customer(d, k, mainContact=None, vatRegistrationId="SE556000000101"),
         "failed", "e-mail"),
    Case("unknown country",
         lambda d, k: _vn_customer(d, k, mainAddress=_address(d, k, "XX")), "failed",
         "country 'XX' of its main address (InvoiceCountryCode) is not a country eAccounting "
         "knows", check=lambda d, k: not _ea_holds(d, "InvoiceCountryCode", "XX")),
    Case("three-letter country",
         lambda d, k: _vn_customer(d, k, mainAddress=_address(d, k, "SWE")), "failed",
         "'SWE'", check=lambda d, k: not _ea_holds(d, "InvoiceCountryCode", "SWE")),
    # Codes are compared in any letter case and sent as eAccounting spells them.
    Case("country in lower case",
         lambda d, k: _vn_customer(d, k, mainAddress=_address(d, k, "no")), "done",
         check=lambda d, k: _ea_country(d, k) == ["NO"]),
    Case("duplicate e-mail", lambda d, k: _vn_customer(d, k, mainContact=_contact(
        d, k, email=d.vn_service.backend().state.customers[_customer_keys(d)[0]]["mainContact"]
        ["email"])), "failed", "e-mail"),
    Case("name over the maximum length",
         lambda d, k: _vn_customer(d, k, name="N" * 150), "done",
         check=lambda d, k: (_ea_customer(d, k) or {}).get("Name") == "N" * 50),
    Case("unicode and quotes",
         lambda d, k: _vn_customer(d, k, name=UNICODE), "done",
         check=lambda d, k: (_ea_customer(d, k) or {}).get("Name") == UNICODE),
]  # fmt: skip


# --- products: Visma.net inventory item -> eAccounting article -----------------------------
def _item(demo, key: str, **changes: Any) -> None:
    state = demo.vn_service.backend().state
    state.inventory[key] = {**state.inventory[key], **changes,
                            "lastModifiedDateTime": state.now()}  # fmt: skip


def _article(demo, key: str) -> dict | None:
    found = [a for a in demo.ea_backend.store.data["articles"].values() if a["Number"] == key]
    return found[0] if len(found) == 1 else None


PRODUCT_CASES = [
    Case("description over the maximum length", lambda d, k: _item(d, k, description="D" * 300),
         "done", check=lambda d, k: (_article(d, k) or {}).get("Name") == "D" * 50),
    Case("unicode and quotes", lambda d, k: _item(d, k, description=UNICODE), "done",
         check=lambda d, k: (_article(d, k) or {}).get("Name") == UNICODE),
    Case("zero price", lambda d, k: _item(d, k, defaultPrice="0"), "done",
         check=lambda d, k: (_article(d, k) or {}).get("NetPrice") == 0),
    Case("negative price", lambda d, k: _item(d, k, defaultPrice="-5"), "failed", "price"),
    Case("huge price", lambda d, k: _item(d, k, defaultPrice="1e20"), "failed", "price"),
    Case("unknown VAT code", lambda d, k: _item(d, k, vatCode={"id": "ZZ", "description": "?"}),
         "failed", "ZZ"),
    Case("unknown unit", lambda d, k: _item(d, k, baseUnit="KARTONG", salesUnit="KARTONG"),
         "failed", "KARTONG"),
]  # fmt: skip


# --- sales orders: eAccounting order -> Visma.net sales order ------------------------------
def _order(demo, key: str, **changes: Any) -> None:
    store = demo.ea_backend.store
    store.data["orders"][key].update(changes, ModifiedUtc=store.now())


def _rows(demo, key: str, **changes: Any) -> list[dict]:
    return [{**row, **changes} for row in demo.ea_backend.store.data["orders"][key]["Rows"]]


def _vn_order(demo, key: str) -> dict | None:
    number = f"EA{demo.ea_backend.store.data['orders'][key]['Number']}"
    found = [o for (_, n), o in demo.vn_service.backend().state.sales_orders.items()
             if n == number]  # fmt: skip
    return found[0] if len(found) == 1 else None


def _vn_orders_of(demo, key: str) -> list:
    """Visma.net sales orders carrying the document's key, read through the API."""
    number = f"EA{demo.ea_backend.store.data['orders'][key]['Number']}"
    close_all()
    return [o for o in vismanet_client(demo.config).list_sales_orders()
            if number in (o.customer_ref_no, o.order_no)]  # fmt: skip


def _line_values(demo, key: str, field: str) -> set:
    order = _vn_order(demo, key) or {}
    return {float(line[field]) for line in order.get("lines") or []}


ORDER_CASES = [
    Case("unknown SKU", lambda d, k: _order(d, k, Rows=_rows(d, k, ArticleNumber="NO-SUCH")),
         "failed", "NO-SUCH"),
    # Visma.net takes zero, negative (returns) and large quantities and negative prices on an
    # order line: they travel unchanged.
    Case("zero quantity", lambda d, k: _order(d, k, Rows=_rows(d, k, Quantity=0.0,
                                                              DeliveredQuantity=0.0)),
         "done", check=lambda d, k: _line_values(d, k, "quantity") == {0}),
    Case("negative quantity", lambda d, k: _order(d, k, Rows=_rows(d, k, Quantity=-3.0,
                                                                  DeliveredQuantity=-3.0)),
         "done", check=lambda d, k: _line_values(d, k, "quantity") == {-3}),
    Case("huge quantity", lambda d, k: _order(d, k, Rows=_rows(d, k, Quantity=1e9,
                                                              DeliveredQuantity=1e9)),
         "done", check=lambda d, k: _line_values(d, k, "quantity") == {10**9}),
    Case("negative price", lambda d, k: _order(d, k, Rows=_rows(d, k, UnitPrice=-10.0)),
         "done", check=lambda d, k: _line_values(d, k, "unitPrice") == {-10}),
    # A country Visma.net does not list fails the document before anything is written.
    Case("unknown country", lambda d, k: _order(d, k, DeliveryCountryCode="XX"), "failed",
         "country 'XX' of its delivery address (DeliveryCountryCode) is not a country Visma.net "
         "knows", check=lambda d, k: not _vn_orders_of(d, k)),
    Case("empty document", lambda d, k: _order(d, k, Rows=[]), "failed", "no article rows"),
    Case("customer deleted", lambda d, k: _order(d, k, CustomerId=str(uuid.uuid4())), "failed",
         "customer"),
    Case("unicode and quotes", lambda d, k: _order(d, k, BuyersOrderReference=UNICODE[:20]),
         "done", check=lambda d, k: _vn_order(d, k) is not None),
]  # fmt: skip


# --- stock: Visma.net on-hand quantity -> eAccounting article stock balance ---------------
def _stock(demo, key: str, quantity: str) -> None:
    inventory = demo.vn_service.backend().inventory
    inventory.set_stock(key, "MAIN", Decimal(quantity))
    inventory.set_stock(key, "NORTH", Decimal(0))


def _balance(demo, key: str) -> Decimal | None:
    article = _article(demo, key)
    return None if article is None else Decimal(str(article.get("StockBalance")))


STOCK_CASES = [
    # A negative on-hand quantity (oversold) is a real balance: it travels unchanged.
    Case("negative quantity", lambda d, k: _stock(d, k, "-5"), "done",
         check=lambda d, k: _balance(d, k) == -5),
    Case("zero quantity", lambda d, k: _stock(d, k, "0"), "done",
         check=lambda d, k: _balance(d, k) == 0),
    Case("fractional quantity", lambda d, k: _stock(d, k, "2.5"), "done",
         check=lambda d, k: _balance(d, k) == Decimal("2.5")),
    Case("huge quantity", lambda d, k: _stock(d, k, "1e12"), "done",
         check=lambda d, k: _balance(d, k) == Decimal("1e12")),
]  # fmt: skip


@dataclass(frozen=True)
class FlowMatrix:
    flow: str
    run: Callable[..., dict]
    keys: Callable[[Any], list[str]]  # candidate source keys, in a stable order
    cases: list[Case]
    before: tuple[Callable[..., dict], ...] = ()  # flows that must have run first


def _customer_keys(demo) -> list[str]:
    return sorted(demo.vn_service.backend().state.customers)


def _item_keys(demo) -> list[str]:
    """Items not yet in eAccounting first: the article name is create-only in the demo."""
    known = {a["Number"] for a in demo.ea_backend.store.data["articles"].values()}
    active = [k for k, i in demo.vn_service.backend().state.inventory.items()
              if i.get("status") == "Active"]  # fmt: skip
    return sorted(active, key=lambda k: (k in known, k))


def _stock_keys(demo) -> list[str]:
    """Stock items that have an eAccounting article."""
    articles = {a["Number"] for a in demo.ea_backend.store.data["articles"].values()}
    items = demo.vn_service.backend().state.inventory
    return sorted(k for k, i in items.items() if i.get("stockItem") and k in articles)


def _order_keys(demo) -> list[str]:
    orders = demo.ea_backend.store.data["orders"].values()
    skus = set(demo.vn_service.backend().state.inventory)
    customers = demo.ea_backend.store.data["customers"]
    good = [o for o in orders if o["Status"] in (3, 4) and o.get("Number")
            and customers[o["CustomerId"]].get("EmailAddress")
            and {r.get("ArticleNumber") for r in o["Rows"]} <= skus]  # fmt: skip
    return [o["Id"] for o in sorted(good, key=lambda o: o["Number"])]


MATRICES = [
    FlowMatrix("customers", sync_customers, _customer_keys, CUSTOMER_CASES),
    FlowMatrix("products", sync_products, _item_keys, PRODUCT_CASES),
    FlowMatrix("sales_orders", sync_sales_orders, _order_keys, ORDER_CASES),
    FlowMatrix("stock", sync_stock, _stock_keys, STOCK_CASES, before=(sync_products,)),
]


@pytest.mark.parametrize("matrix", MATRICES, ids=[m.flow for m in MATRICES])
def test_bad_records_sync_or_fail_alone_and_nothing_disappears(demo, matrix):
    for flow in matrix.before:
        flow(demo.name)
    keys = matrix.keys(demo)
    assert len(keys) > len(matrix.cases) + 3
    chosen = {case.name: keys[i * 2 + 1] for i, case in enumerate(matrix.cases)}
    for case in matrix.cases:
        case.change(demo, chosen[case.name])

    result = matrix.run(demo.name)

    rows = {r.source_key: r for r in list_entries(get_engine(), integration=demo.name,
                                                  flow=matrix.flow, limit=None)}  # fmt: skip
    wrong = []
    for case in matrix.cases:
        row = rows.get(chosen[case.name])
        if row is None:
            wrong.append(f"{case.name}: no ledger row (the record disappeared)")
        elif case.expect == "done":
            if row.status is not LedgerStatus.DONE:
                wrong.append(f"{case.name}: {row.status} {row.message}")
            elif case.check is not None and not case.check(demo, chosen[case.name]):
                wrong.append(f"{case.name}: synced, but wrong in the target")
        elif row.status is not LedgerStatus.FAILED:
            wrong.append(f"{case.name}: expected to fail, got {row.status}")
        elif (
            row.error_class not in TAXONOMY or case.hint.lower() not in (row.message or "").lower()
        ):
            wrong.append(f"{case.name}: [{row.error_class}] {row.message}")
        elif case.check is not None and not case.check(demo, chosen[case.name]):
            wrong.append(f"{case.name}: failed, but the target holds it")
    assert not wrong, "\n".join(wrong) + "\n" + result["summary"]
    # The rest of the batch committed, and nothing is left unsettled.
    bad = set(chosen.values())
    others = [k for k in keys if k not in bad]
    assert all(rows[k].status is LedgerStatus.DONE for k in others if k in rows), result["summary"]
    assert not [r for r in rows.values() if r.status in (LedgerStatus.PENDING,
                                                         LedgerStatus.IN_FLIGHT)]  # fmt: skip
