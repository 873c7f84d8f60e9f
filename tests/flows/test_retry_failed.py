"""The failure queue by hand: `retry_failed` and `vismasync failures retry|skip`, against both
emulators and real PostgreSQL."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from vismasync.deployments.cli import app
from vismasync.flows.retry_failed import UnknownRecords, retry_failed
from vismasync.flows.sales_orders import sync_sales_orders
from vismasync.store.database import get_engine
from vismasync.store.ledger import list_entries
from vismasync.store.models import LedgerStatus

runner = CliRunner(env={"COLUMNS": "250"})
SKU = re.compile(r"'(SKU-\d{4})'")


def entries(demo, status: LedgerStatus) -> dict[str, object]:
    found = list_entries(get_engine(), integration=demo.name, statuses=[status], limit=None)
    return {e.source_key: e for e in found if e.entity == "order"}


def add_visma_net_item(demo, sku: str) -> None:
    backend = demo.vn_service.backend()
    template = dict(backend.state.inventory["SKU-0001"])
    backend.state.inventory[sku] = {
        **template,
        "inventoryNumber": sku,
        "inventoryId": 99111,
        "lastModifiedDateTime": backend.state.now(),
    }


def test_retry_failed_retries_every_failed_record_and_lets_fixed_ones_through(demo):
    sync_sales_orders(demo.name, limit=80)
    failed = entries(demo, LedgerStatus.FAILED)
    # Orders whose only problem is the item SKU-0111 missing in Visma.net.
    fixable = {key for key, e in failed.items() if set(SKU.findall(e.message)) == {"SKU-0111"}}
    assert fixable and len(failed) > len(fixable)
    add_visma_net_item(demo, "SKU-0111")
    demo.reset_counts()

    result = retry_failed(demo.name, "sales_orders")

    assert result["retried"] == len(failed)
    assert result["failed"] == len(failed) - len(fixable)
    assert set(entries(demo, LedgerStatus.FAILED)) == set(failed) - fixable
    assert fixable <= set(entries(demo, LedgerStatus.DONE))
    # Re-read from eAccounting by id, 25 per list call; no incremental read.
    assert len(failed) <= 100  # one batch
    assert demo.eaccounting.counts()[("GET", "/v2/orders")] == -(-len(failed) // 25)
    assert ("GET", "/v2/orders/{id}") not in demo.eaccounting.counts()


def test_retry_failed_with_keys_retries_only_those_and_refuses_unknown_keys(demo):
    sync_sales_orders(demo.name, limit=40)
    failed = sorted(entries(demo, LedgerStatus.FAILED))
    demo.reset_counts()

    result = retry_failed(demo.name, "sales_orders", keys=[failed[0]])

    assert result["retried"] == 1 and result["failed"] == 1
    assert demo.eaccounting.counts()[("GET", "/v2/orders")] == 1
    with pytest.raises(UnknownRecords, match="no-such-key") as refused:
        retry_failed(demo.name, "sales_orders", keys=[failed[0], "no-such-key"])
    assert refused.value.keys == ["no-such-key"]


def test_retry_failed_without_failures_runs_nothing(demo):
    result = retry_failed(demo.name, "sales_orders")

    assert result == {
        "summary": f"sales_orders for {demo.name}: no failed records to retry",
        "failed": 0,
        "retried": 0,
    }
    assert demo.eaccounting.counts() == {}


def test_failures_retry_and_skip_commands(demo):
    sync_sales_orders(demo.name, limit=40)
    failed = sorted(entries(demo, LedgerStatus.FAILED))
    chosen, others = failed[0], failed[1:]
    base = ["--integration", demo.name, "--flow", "sales_orders"]

    retried = runner.invoke(app, ["failures", "retry", *base, chosen])
    skipped = runner.invoke(app, ["failures", "skip", *base, chosen])
    listed = runner.invoke(app, ["failures", "list", "--integration", demo.name])
    refused = runner.invoke(app, ["failures", "skip", *base, others[0], "no-such-key"])
    wrong_flow = runner.invoke(
        app, ["failures", "retry", "--integration", demo.name, "--flow", "payroll"]
    )

    assert retried.exit_code == 1, retried.output
    assert "order: read 1," in retried.output and "failed 1" in retried.output
    assert skipped.exit_code == 0, skipped.output
    assert f"Skipped 1 record(s) of sales_orders for {demo.name}." in skipped.output
    row = entries(demo, LedgerStatus.SKIPPED)[chosen]
    assert row.message == "skipped by hand"
    assert chosen not in listed.output and others[0] in listed.output
    # Nothing changes when one key is not a failed record.
    assert refused.exit_code == 1
    assert "no-such-key" in refused.output
    assert set(entries(demo, LedgerStatus.FAILED)) == set(others)
    assert wrong_flow.exit_code == 2
    assert "--flow must be one of: sales_orders" in wrong_flow.output


@pytest.mark.parametrize(
    ("flow", "entity", "key"),
    [
        ("customers", "customer", None),
        ("products", "article", "SKU-0002"),
        ("stock", "stock", "SKU-0002"),
    ],
)
def test_retry_failed_dispatches_to_each_master_data_flow(demo, flow, entity, key):
    from vismasync.store.ledger import Ledger

    key = key or sorted(demo.vn_service.backend().state.customers)[0]
    Ledger(get_engine(), demo.name, flow, entity, "run-0").mark_failed(key, "transient", "timeout")
    if flow == "stock":  # the article must exist in eAccounting for its balance to be set
        from vismasync.flows.products import sync_products

        sync_products(demo.name, keys=[key])
    demo.reset_counts()

    result = retry_failed(demo.name, flow)

    assert result["retried"] == 1 and result["failed"] == 0, result["summary"]
    rows = list_entries(get_engine(), integration=demo.name, flow=flow, limit=None)
    assert [(r.source_key, r.status) for r in rows] == [(key, LedgerStatus.DONE)]
    assert demo.vismanet.counts()  # re-read from Visma.net
