"""What every sync run shares: its configuration, its identity, and the one-writer lock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from vismasync.config.integrations import load_integration
from vismasync.config.model import FlowName, IntegrationConfig
from vismasync.store.database import get_engine
from vismasync.store.locks import flow_lock


@dataclass(frozen=True)
class RunContext:
    """Handed to every task of a run: configuration and ids, never clients or sessions."""

    config: IntegrationConfig
    flow: FlowName
    run_id: str
    dry_run: bool

    @property
    def integration(self) -> str:
        return self.config.name


def integration_tag(integration: str) -> str:
    """The tag every run of an integration carries (alerts and the UI filter on it)."""
    return f"integration:{integration}"


def current_run_id() -> str:
    """The Prefect flow run id when running as a flow, else a fresh id."""
    from prefect.runtime import flow_run

    run_id = flow_run.get_id()
    return str(run_id) if run_id else f"local-{uuid.uuid4()}"


@contextmanager
def sync_run(integration: str, flow: FlowName, *, dry_run: bool = False) -> Iterator[RunContext]:
    """Load the integration and hold the (integration, flow) lock for the run's duration.

    A dry run writes nothing, so it takes no lock and may run beside a real one.

    Raises:
        ConfigError: the integration's file is missing or invalid.
        AlreadyRunning: another run of this flow for this integration holds the lock.
    """
    config = load_integration(integration)
    context = RunContext(config=config, flow=flow, run_id=current_run_id(), dry_run=dry_run)
    if dry_run:
        yield context
        return
    with flow_lock(get_engine(), integration, flow):
        yield context
