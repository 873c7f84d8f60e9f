"""The stock flow (Visma.net stock -> eAccounting stock balances) against both emulators."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from vismasync.flows.products import sync_products
from vismasync.flows.stock import sync_stock
from vismasync.store.database import get_engine
from vismasync.store.ledger import list_entries
from vismasync.tasks.stock import StockModuleActive

WAREHOUSES = ("MAIN", "NORTH")  # the demo integration's flows.stock.warehouses


def vn_stock(demo) -> dict[str, Decimal]:
    """On-hand quantity per stock item, summed over the configured warehouses."""
    state = demo.vn_service.backend().state
    return {
        sku: sum(
            (level.on_hand for wh, level in state.stock.get(sku, {}).items() if wh in WAREHOUSES),
            Decimal(0),
        )
        for sku, item in state.inventory.items()
        if item["stockItem"]
    }


def ea_balances(demo) -> dict[str, Decimal]:
    return {
        a["Number"]: Decimal(str(a["StockBalance"]))
        for a in demo.ea_backend.store.data["articles"].values()
    }


def test_stock_balances_follow_visma_net_and_missing_articles_are_reported(demo):
    before = ea_balances(demo)
    wanted = vn_stock(demo)
    missing = {sku for sku in wanted if sku not in before}
    stale = {sku for sku, qty in wanted.items() if sku in before and before[sku] != qty}
    assert missing and stale

    result = sync_stock(demo.name)

    after = ea_balances(demo)
    assert {sku: after[sku] for sku in wanted if sku in after} == {
        sku: qty for sku, qty in wanted.items() if sku not in missing
    }
    assert {sku: q for sku, q in after.items() if sku not in wanted} == {
        sku: q for sku, q in before.items() if sku not in wanted
    }
    assert demo.eaccounting.counts()[("PUT", "/v2/articles/{articleId}")] == len(stale)
    assert (
        f"stock: read {len(wanted)}, created 0, updated {len(stale)}, "
        f"unchanged {len(wanted) - len(stale) - len(missing)}, skipped {len(missing)}, failed 0"
        in result["summary"]
    )
    assert result["failed"] == 0
    assert all(f"SKU {sku} has no eAccounting article" in result["summary"] for sku in missing)


def test_a_first_run_costs_one_write_per_changed_balance_and_one_list_read(demo):
    before = ea_balances(demo)
    wanted = vn_stock(demo)
    stale = {sku for sku, qty in wanted.items() if sku in before and before[sku] != qty}
    assert len(wanted) > 25 and stale  # more SKUs than one request can name

    sync_stock(demo.name)

    calls = {key: n for key, n in demo.eaccounting.counts().items()
             if not key[1].startswith("/connect/")}  # fmt: skip
    # The company's articles once (one page), then one PUT per changed balance: no read of
    # each article before its write.
    assert calls == {
        ("GET", "/v2/companysettings"): 1,
        ("GET", "/v2/articles"): 1,
        ("PUT", "/v2/articles/{articleId}"): len(stale),
    }


def test_second_run_writes_nothing_and_rechecks_only_the_waiting_skus(demo):
    sync_stock(demo.name)
    waiting = {sku for sku in vn_stock(demo) if sku not in ea_balances(demo)}
    demo.reset_counts()

    sync_stock(demo.name)

    assert demo.eaccounting.writes() == 0
    assert demo.eaccounting.counts() == {
        ("GET", "/v2/companysettings"): 1,
        ("GET", "/v2/articles"): 1,  # one lookup of the waiting SKUs
    }
    # The waiting SKUs are re-read with the stock list (one page holds the demo's items, fewer
    # calls than one per SKU), then the changes since the last run: no call per record.
    assert len(waiting) > 1
    assert demo.vismanet.counts() == {("GET", "/API/v1/inventory"): 2}


def test_availability_changes_and_new_articles_reach_the_balance(demo):
    sync_stock(demo.name)
    waiting = {sku for sku in vn_stock(demo) if sku not in ea_balances(demo)}
    demo.vn_service.backend().inventory.set_stock("SKU-0001", "NORTH", Decimal("999"))
    sync_products(demo.name, keys=sorted(waiting))
    created = copy.deepcopy(ea_balances(demo))
    demo.reset_counts()

    result = sync_stock(demo.name)

    wanted = vn_stock(demo)
    assert ea_balances(demo)["SKU-0001"] == wanted["SKU-0001"]
    assert all(ea_balances(demo)[sku] == wanted[sku] for sku in waiting)
    moved = {"SKU-0001"} | {sku for sku in waiting if created[sku] != wanted[sku]}
    assert demo.eaccounting.counts()[("PUT", "/v2/articles/{articleId}")] == len(moved)
    assert "skipped 0, failed 0" in result["summary"]


def test_a_company_with_the_stock_module_gives_one_configuration_error(demo, monkeypatch):
    from typer.testing import CliRunner

    from vismasync.deployments.cli import app

    monkeypatch.setattr(demo.ea_backend.settings, "stock_module", True)
    before = ea_balances(demo)

    with pytest.raises(StockModuleActive):
        sync_stock(demo.name)
    outcome = CliRunner(env={"COLUMNS": "250"}).invoke(
        app, ["run", "stock", "--integration", demo.name]
    )

    assert outcome.exit_code == 2
    assert "stock module active" in outcome.output
    assert ea_balances(demo) == before
    # The first refused balance stops the run: not one failure per SKU.
    assert demo.eaccounting.counts()[("PUT", "/v2/articles/{articleId}")] == 2


def test_dry_run_writes_nothing(demo):
    before = ea_balances(demo)
    stale = {sku for sku, q in vn_stock(demo).items() if sku in before and before[sku] != q}

    result = sync_stock(demo.name, dry_run=True)

    assert demo.eaccounting.writes() == 0
    assert ea_balances(demo) == before
    assert list_entries(get_engine(), integration=demo.name) == []
    assert f"updated {len(stale)}," in result["summary"]
