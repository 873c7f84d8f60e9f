"""Failure alerts through Prefect automations, delivered to a local webhook receiver."""

from __future__ import annotations

import asyncio

import pytest
from prefect import flow, tags

from vismasync.config.loader import parse_config
from vismasync.deployments.alerts import setup_alerts
from vismasync.engine.preflight import RunNotStarted
from vismasync.engine.run import integration_tag
from vismasync.engine.summary import RunSummary, publish
from vismasync.flows.sales_orders import sync_sales_orders
from vismasync.store.database import get_engine, reset_engine
from vismasync.store.locks import flow_lock

CONFIG = """
name: {name}
eaccounting:
  client_id: c
  client_secret: env:EA_SECRET
  redirect_uri: https://localhost/callback
vismanet:
  client_id: v
  client_secret: env:VN_SECRET
  tenant_id: t
alerts:
  - kind: webhook
    url: env:ALERT_WEBHOOK_URL
    allow_private_network: true
"""


async def _automation_names() -> list[str]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return [automation.name for automation in await client.read_automations()]


def test_failed_runs_and_failed_records_notify(
    real_prefect_api, webhook, integration, monkeypatch, tmp_path, engine
):
    monkeypatch.setenv("ALERT_WEBHOOK_URL", webhook.url)
    monkeypatch.setenv("VISMASYNC_CONFIG_DIR", str(tmp_path))  # no file: the run must fail
    config = parse_config(CONFIG.format(name=integration))

    assert setup_alerts(config) == 2
    assert setup_alerts(config) == 2  # idempotent: read by name, then update
    names = asyncio.run(_automation_names())
    assert names.count(f"vismasync {integration}: run failed") == 1
    assert names.count(f"vismasync {integration}: records failed") == 1

    # Refused because another run holds the lock: Cancelled with the reason, no alert.
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_engine()
    (tmp_path / f"{integration}.yaml").write_text(CONFIG.format(name=integration))
    with tags(integration_tag(integration)), flow_lock(get_engine(), integration, "sales_orders"):
        refused = sync_sales_orders(integration, return_state=True)
    assert refused.is_cancelled() and "already running" in refused.message
    (tmp_path / f"{integration}.yaml").unlink()

    # Cannot start (no integration file): Failed, and the alert gives the cause and the fix.
    with tags(integration_tag(integration)), pytest.raises(RunNotStarted):
        sync_sales_orders(integration)
    failed = webhook.wait_for(lambda text: "sync-sales-orders" in text and "Failed" in text)
    assert f"for {integration}" in failed
    assert "no integration named" in failed  # the failure reason
    assert "vismasync init" in failed  # what fixes it
    reset_engine()

    @flow
    def finishes_with_failed_records() -> None:
        summary = RunSummary(flow="sales_orders", integration=integration)
        summary.count("order", "read", 3)
        summary.fail("order", "order 7", "data", "article 'X' does not exist in Visma.net")
        publish(summary)

    finishes_with_failed_records()
    records = webhook.wait_for(lambda text: "record(s) failed" in text)
    assert f"sales_orders for {integration}: 1 record(s) failed" in records
    # The automation handles events in order: the refused run, older than both, sent nothing.
    assert not any("Cancelled" in text or refused.name in text for text in webhook.messages)


def test_no_alert_targets_create_nothing(real_prefect_api, integration):
    config = parse_config(CONFIG.format(name=integration).split("alerts:")[0])
    assert setup_alerts(config) == 0
    assert not any(integration in name for name in asyncio.run(_automation_names()))
