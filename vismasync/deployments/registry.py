"""Which deployments exist, built from the integration files.

Per integration: one deployment per enabled sync flow (on the integration's schedule), the
daily reconciliation, `retry-failed` for ad-hoc retries from the UI, and the daily
`maintenance` (retention of ledger messages). `vismasync serve`
serves exactly these; `prefect.yaml` declares the same set for the demo integration on the
work-pool path.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from vismasync.config.integrations import integration_files, load_integration
from vismasync.config.model import FlowName, IntegrationConfig, Schedule
from vismasync.engine.run import integration_tag
from vismasync.flows.catalog import BY_FLOW

# Flow name in configuration -> the Prefect flow object implementing it (module:attribute).
FLOW_ENTRYPOINTS: dict[FlowName, str] = {flow: spec.entrypoint for flow, spec in BY_FLOW.items()}
RECONCILE = "vismasync.flows.reconcile:reconcile"
RETRY_FAILED = "vismasync.flows.retry_failed:retry_failed"
MAINTENANCE = "vismasync.flows.maintenance:maintenance"
# Retention runs daily, before reconciliation.
MAINTENANCE_SCHEDULE = Schedule(cron="15 4 * * *")
# Reconciliation runs daily, early, when few people touch either system.
RECONCILE_SCHEDULE = Schedule(cron="30 5 * * *")


@dataclass(frozen=True)
class DeploymentSpec:
    integration: str
    flow: str  # a sync flow (FlowName), or "reconcile" / "retry_failed" / "maintenance"
    entrypoint: str
    schedule: Schedule | None  # None: ad-hoc runs only
    sync: bool = True  # a sync flow (the demo runs these once at start)

    @property
    def name(self) -> str:
        return self.integration

    @property
    def tags(self) -> list[str]:
        return ["vismasync", integration_tag(self.integration), f"flow:{self.flow}"]

    def load_flow(self) -> Any:
        module, attribute = self.entrypoint.split(":")
        return getattr(importlib.import_module(module), attribute)


def deployment_specs(config: IntegrationConfig) -> list[DeploymentSpec]:
    enabled = config.flows.enabled()
    specs = [
        DeploymentSpec(
            config.name, flow, FLOW_ENTRYPOINTS[flow], getattr(config.flows, flow).schedule
        )
        for flow in enabled
    ]
    if "sales_orders" in enabled:
        specs.append(
            DeploymentSpec(config.name, "reconcile", RECONCILE, RECONCILE_SCHEDULE, sync=False)
        )
    if enabled:
        specs.append(DeploymentSpec(config.name, "retry_failed", RETRY_FAILED, None, sync=False))
        specs.append(
            DeploymentSpec(
                config.name, "maintenance", MAINTENANCE, MAINTENANCE_SCHEDULE, sync=False
            )
        )
    return specs


def all_specs() -> Iterator[DeploymentSpec]:
    """Deployments of every integration file in the configuration directory."""
    for name in integration_files():
        yield from deployment_specs(load_integration(name))


def to_deployment(spec: DeploymentSpec, *, for_workers: bool = False) -> Any:
    """A Prefect ``RunnerDeployment`` for ``spec``: typed parameters, schedule, one at a time.

    ``for_workers``: its entrypoint is the flow's module path (``vismasync.flows.x.flow``), which
    a worker on any machine with vismasync installed can import.
    """
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron, Interval

    flow = spec.load_flow()
    schedules = []
    if spec.schedule is not None and spec.schedule.cron is not None:
        schedules.append(Cron(spec.schedule.cron, timezone=spec.schedule.timezone))
    elif spec.schedule is not None:
        minutes = spec.schedule.interval_minutes or 15
        schedules.append(Interval(minutes * 60, timezone=spec.schedule.timezone))
    return flow.to_deployment(
        name=spec.name,
        parameters={"integration": spec.integration},
        schedules=schedules,
        tags=spec.tags,
        # One run at a time per flow and integration; a scheduled run arriving while one is
        # active waits (the advisory lock would refuse it anyway).
        concurrency_limit=ConcurrencyLimitConfig(
            limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
        ),
        description=f"{spec.flow} for integration {spec.integration}",
        entrypoint_type=EntrypointType.MODULE_PATH if for_workers else EntrypointType.FILE_PATH,
    )


def deploy_all(pool: str) -> list[DeploymentSpec]:
    """Register every integration's deployments on the work pool ``pool`` (a ``process`` pool
    is created when it does not exist); returns what was registered."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def ensure_pool() -> None:
        async with get_client() as client:
            with contextlib.suppress(ObjectAlreadyExists):
                await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))

    run_coro_as_sync(ensure_pool())
    specs = list(all_specs())
    for spec in specs:
        to_deployment(spec, for_workers=True).apply(work_pool_name=pool)
    return specs
