"""The command line against a real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from vismasync.deployments.cli import app
from vismasync.store.database import reset_engine
from vismasync.store.ledger import Ledger

EXAMPLE = Path(__file__).parents[2] / "docs" / "example-integration.yaml"
# Wide enough that table cells are not wrapped in the middle of a word.
runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture
def cli_database(engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    reset_engine()
    yield engine
    reset_engine()


def test_help_everywhere():
    for command in ([], ["db"], ["config"], ["failures"], ["failures", "list"], ["emulator"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage" in result.output


def test_config_validate_ok():
    result = runner.invoke(app, ["config", "validate", str(EXAMPLE)])
    assert result.exit_code == 0
    assert "OK" in result.output
    assert "acme" in result.output


def test_config_validate_lists_every_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("order_type: SO", "order_type: SALES"))
    # The stock flow's quantity (the last one in the file; stock_check has one too).
    head, tail = bad.read_text().rsplit("quantity: available", 1)
    bad.write_text(head + "quantity: maybe" + tail)

    result = runner.invoke(app, ["config", "validate", str(bad)])

    assert result.exit_code == 1
    assert "2 error(s)" in result.output
    assert "flows.sales_orders.order_type" in result.output
    assert "flows.stock.quantity" in result.output


def test_db_upgrade_and_status(cli_database):
    upgraded = runner.invoke(app, ["db", "upgrade"])
    status = runner.invoke(app, ["db", "status"])

    assert upgraded.exit_code == 0, upgraded.output
    assert "up to date" in upgraded.output
    assert status.exit_code == 0, status.output
    assert "external PostgreSQL" in status.output
    assert "revision 0001 (up to date)" in status.output
    assert "ledger" in status.output


def test_failures_list_shows_failed_records(cli_database, integration):
    ledger = Ledger(cli_database, integration, "sales_orders", "order", "run-1")
    ledger.mark_failed("4711", "data", "Article SKU-0111 does not exist in Visma.net")
    ledger.mark_done("4712", "SO-1", "h")
    # A write whose outcome is unknown is part of the queue too.
    Ledger(cli_database, integration, "sales_orders", "payment", "run-1").claim("4713")

    failed = runner.invoke(app, ["failures", "list", "--integration", integration])
    done = runner.invoke(
        app, ["failures", "list", "--integration", integration, "--status", "done"]
    )
    other_flow = runner.invoke(
        app, ["failures", "list", "--integration", integration, "--flow", "customers"]
    )

    assert failed.exit_code == 0, failed.output
    assert "4711" in failed.output and "4712" not in failed.output
    assert "4713" in failed.output and "in_flight" in failed.output
    assert "SKU-0111" in failed.output
    assert "4712" in done.output and "4711" not in done.output
    assert "No failed/in_flight records" in other_flow.output


def test_unreachable_database_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    reset_engine()
    result = runner.invoke(app, ["failures", "list"])
    reset_engine()
    assert result.exit_code == 1
    assert "Cannot connect to the state database" in result.output
