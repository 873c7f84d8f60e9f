"""A run that cannot start says why and what fixes it, in a line or two, and exits 2."""

from __future__ import annotations

import socket
import time

import pytest
from typer.testing import CliRunner

from vismasync.deployments.cli import app
from vismasync.deployments.demo_integration import demo_config_text
from vismasync.engine.preflight import NOT_STARTED, RunNotStarted
from vismasync.engine.summary import RunSummary
from vismasync.flows.sales_orders import sync_sales_orders
from vismasync.store.database import get_engine
from vismasync.store.ledger import list_entries
from vismasync.store.locks import flow_lock
from vismasync.store.models import LedgerStatus

runner = CliRunner(env={"COLUMNS": "80"})


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _invoke(*args: str):
    started = time.monotonic()
    outcome = runner.invoke(app, list(args))
    return outcome, time.monotonic() - started


def _assert_short_refusal(outcome, *needles: str) -> None:
    assert outcome.exit_code == 2, outcome.output
    lines = [line for line in outcome.output.splitlines() if line.strip()]
    assert len(lines) <= 3, outcome.output
    assert "Traceback" not in outcome.output
    for needle in needles:
        assert needle in outcome.output


def test_no_stored_tokens_names_the_authorize_command(demo):
    fresh = f"{demo.name}-new"
    config = (demo.config_dir / f"{demo.name}.yaml").read_text()
    (demo.config_dir / f"{fresh}.yaml").write_text(config.replace(f"name: {demo.name}",
                                                                  f"name: {fresh}"))  # fmt: skip

    outcome, seconds = _invoke("run", "orders", "--integration", fresh)

    _assert_short_refusal(
        outcome, "no tokens are stored", f"vismasync authorize --integration {fresh}"
    )
    assert seconds < 10
    assert demo.vismanet.counts() == {} and demo.eaccounting.counts() == {}


def test_an_unreachable_system_is_not_retried(demo):
    dead = f"http://127.0.0.1:{_closed_port()}"
    path = demo.config_dir / f"{demo.name}.yaml"
    path.write_text(demo_config_text(demo.name, demo.eaccounting.base_url, dead))

    outcome, seconds = _invoke("run", "customers", "--integration", demo.name)

    _assert_short_refusal(
        outcome, "Visma.net cannot be reached", f"vismasync check --integration {demo.name}"
    )
    assert seconds < 10
    with pytest.raises(RunNotStarted, match="cannot be reached"):
        sync_sales_orders(demo.name)


def test_refused_credentials_are_not_retried(demo):
    path = demo.config_dir / f"{demo.name}.yaml"
    secret = "client_secret: env:VISMASYNC_DEMO_VISMANET"
    text = path.read_text()
    path.write_text(
        text.replace(f"client_id: vismasync-demo\n  {secret}", f"client_id: x\n  {secret}")
    )

    outcome, _ = _invoke("run", "products", "--integration", demo.name)

    _assert_short_refusal(outcome, "Visma.net refused the token request", "vismasync check")
    assert demo.vismanet.counts().get(("POST", "/connect/token"), 0) <= 1


def test_a_run_beside_an_active_one_is_cancelled_with_the_reason(demo):
    with flow_lock(get_engine(), demo.name, "sales_orders"):
        state = sync_sales_orders(demo.name, return_state=True)
        outcome, _ = _invoke("run", "orders", "--integration", demo.name)

    assert state.is_cancelled()
    assert state.message.startswith(NOT_STARTED) and "already running" in state.message
    _assert_short_refusal(outcome, "already running")
    assert demo.eaccounting.counts() == {}


def test_a_missing_integration_is_a_configuration_refusal(demo):
    outcome, _ = _invoke("run", "stock", "--integration", "no-such-integration")
    _assert_short_refusal(outcome, "no integration named", "vismasync init")


def test_the_failure_report_names_the_command_per_error_class():
    summary = RunSummary(flow="products", integration="acme")
    summary.fail("article", "A1", "auth", "token refused")
    summary.fail("article", "A2", "config", "unit 'PCS' has no eAccounting unit")
    summary.fail("article", "A3", "data", "name too long")

    report = summary.failure_report()

    assert "vismasync authorize --integration acme" in report
    assert "vismasync check --integration acme" in report
    assert report.count("vismasync failures retry --integration acme --flow products") == 3


def test_a_lost_refresh_answer_asks_for_authorization_again(demo):
    """An eAccounting refresh token is single-use: when the identity server rotated the pair
    but its answer was lost, the stored refresh token is spent. Each run then ends on its first
    token request with an auth error naming the command that authorizes again: no loop of
    refreshes, nothing written."""
    lost = {"path_prefix": "/connect/token", "drop_after_commit": 1}
    demo.eaccounting.admin.put("/_emulator/faults", json=lost).raise_for_status()
    demo.eaccounting.admin.post("/_emulator/tokens/expire").raise_for_status()
    fix = f"vismasync authorize --integration {demo.name}"

    for attempt in range(2):
        outcome, _ = _invoke("run", "customers", "--integration", demo.name)

        assert outcome.exit_code == 1, outcome.output
        assert "eAccounting refused the stored authorization" in outcome.output
        assert "invalid_grant" in outcome.output and f"To fix: {fix}" in outcome.output
        tokens = demo.eaccounting.counts().get(("POST", "/connect/token"), 0)
        # The lost answer and the refusal of its spent token; then at most the refusal again
        # (none in this process: the client remembers it until someone authorizes again).
        assert tokens == 2 if attempt == 0 else tokens <= 1
        assert demo.eaccounting.writes() == demo.vismanet.writes() == 0
        demo.reset_counts()
    rows = list_entries(get_engine(), integration=demo.name, flow="customers", limit=None)
    # What the run read waits, unsettled, for the run after the authorization.
    assert rows and {row.status for row in rows} == {LedgerStatus.PENDING}
