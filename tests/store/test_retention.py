"""Ledger messages expire; keys and statuses stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from vismasync.store.ledger import Ledger
from vismasync.store.retention import (
    EXPIRED_MESSAGE,
    expire_messages,
    message_retention_days,
)


def test_old_messages_expire_and_recent_ones_stay(engine, integration):
    ledger = Ledger(engine, integration, "sales_orders", "order", "run-1")
    ledger.mark_failed("old", "data", "customer 'Anna Berg' has no e-mail address")
    ledger.mark_failed("new", "data", "article 'X' does not exist")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE ledger SET updated_at = now() - interval '100 days' "
                "WHERE source_key = 'old' AND integration_id = :id"
            ),
            {"id": ledger.integration_id},
        )

    assert expire_messages(engine, timedelta(days=90)) >= 1

    old, new = ledger.get("old"), ledger.get("new")
    assert old.message == EXPIRED_MESSAGE
    assert old.status == "failed" and old.error_class == "data"  # the queue entry stays
    assert new.message == "article 'X' does not exist"


def test_retention_setting_is_validated(monkeypatch):
    monkeypatch.delenv("VISMASYNC_LEDGER_MESSAGE_RETENTION_DAYS", raising=False)
    assert message_retention_days() == 90
    monkeypatch.setenv("VISMASYNC_LEDGER_MESSAGE_RETENTION_DAYS", "30")
    assert message_retention_days() == 30
    monkeypatch.setenv("VISMASYNC_LEDGER_MESSAGE_RETENTION_DAYS", "soon")
    with pytest.raises(ValueError, match="VISMASYNC_LEDGER_MESSAGE_RETENTION_DAYS"):
        message_retention_days()


def test_the_maintenance_flow_prunes_its_integration_only(
    engine, integration, monkeypatch, prefect_server
):
    from vismasync.flows.maintenance import maintenance
    from vismasync.store.database import reset_engine

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_engine()
    mine = Ledger(engine, integration, "customers", "customer", "run-1")
    other = Ledger(engine, f"{integration}-other", "customers", "customer", "run-1")
    for ledger in (mine, other):
        ledger.mark_failed("C1", "data", "customer 'Anna Berg' has no e-mail address")
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE ledger SET updated_at = now() - interval '40 days' "
                        "WHERE integration_id = :id"),
                {"id": ledger.integration_id},
            )  # fmt: skip

    monkeypatch.setenv("VISMASYNC_LEDGER_MESSAGE_RETENTION_DAYS", "30")
    result = maintenance(integration)

    assert result["messages_removed"] == 1
    assert mine.get("C1").message == EXPIRED_MESSAGE
    assert other.get("C1").message.startswith("customer 'Anna Berg'")
    reset_engine()
