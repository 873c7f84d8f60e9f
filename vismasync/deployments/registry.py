"""Which deployments exist: one per enabled flow per integration, built from the config files.

`vismasync serve` serves exactly these; `prefect.yaml` declares the same set for the demo
integration on the work-pool path.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from vismasync.config.integrations import integration_files, load_integration
from vismasync.config.model import FlowName, IntegrationConfig, Schedule
from vismasync.flows.runtime import integration_tag

# Flow name in configuration -> the Prefect flow object implementing it (module:attribute).
FLOW_ENTRYPOINTS: dict[FlowName, str] = {
    "sales_orders": "vismasync.flows.sales_orders:sync_sales_orders",
    "customers": "vismasync.flows.customers:sync_customers",
    "products": "vismasync.flows.products:sync_products",
    "stock": "vismasync.flows.stock:sync_stock",
}


@dataclass(frozen=True)
class DeploymentSpec:
    integration: str
    flow: FlowName
    entrypoint: str
    schedule: Schedule

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
    return [
        DeploymentSpec(
            config.name, flow, FLOW_ENTRYPOINTS[flow], getattr(config.flows, flow).schedule
        )
        for flow in config.flows.enabled()
        if flow in FLOW_ENTRYPOINTS
    ]


def all_specs() -> Iterator[DeploymentSpec]:
    """Deployments of every integration file in the configuration directory."""
    for name in integration_files():
        yield from deployment_specs(load_integration(name))


def to_deployment(spec: DeploymentSpec) -> Any:
    """A Prefect ``RunnerDeployment`` for ``spec``: typed parameters, schedule, one at a time."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron, Interval

    flow = spec.load_flow()
    if spec.schedule.cron is not None:
        schedule = Cron(spec.schedule.cron, timezone=spec.schedule.timezone)
    else:
        schedule = Interval(
            (spec.schedule.interval_minutes or 15) * 60, timezone=spec.schedule.timezone
        )
    return flow.to_deployment(
        name=spec.name,
        parameters={"integration": spec.integration},
        schedules=[schedule],
        tags=spec.tags,
        # One run at a time per flow and integration; a scheduled run arriving while one is
        # active waits (the advisory lock would refuse it anyway).
        concurrency_limit=ConcurrencyLimitConfig(
            limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
        ),
        description=f"{spec.flow} for integration {spec.integration}",
    )
