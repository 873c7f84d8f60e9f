"""One writer per (integration, flow)."""

from __future__ import annotations

import pytest

from vismasync.store.locks import AlreadyRunning, flow_lock, lock_key


class RunFailed(Exception):
    pass


def test_second_runner_of_the_same_flow_is_refused(engine, integration):
    with (
        flow_lock(engine, integration, "sales_orders"),
        pytest.raises(AlreadyRunning, match="already running"),
        flow_lock(engine, integration, "sales_orders"),
    ):
        pytest.fail("the second runner must not get the lock")


def test_other_flows_and_integrations_run_alongside(engine, integration):
    entered = False
    with (
        flow_lock(engine, integration, "sales_orders"),
        flow_lock(engine, integration, "customers"),
        flow_lock(engine, integration + "-other", "sales_orders"),
    ):
        entered = True
    assert entered


def test_lock_is_released_after_the_run(engine, integration):
    with flow_lock(engine, integration, "stock"):
        pass
    with flow_lock(engine, integration, "stock"):
        pass


def test_lock_is_released_when_the_run_fails(engine, integration):
    with pytest.raises(RunFailed), flow_lock(engine, integration, "stock"):
        raise RunFailed
    with flow_lock(engine, integration, "stock"):
        pass


def test_lock_keys_are_stable_and_distinct():
    assert lock_key("a", "sales_orders") == lock_key("a", "sales_orders")
    assert lock_key("a", "sales_orders") != lock_key("a", "customers")
    assert -(2**63) <= lock_key("a", "b") < 2**63
