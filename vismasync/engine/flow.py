"""A sync flow's Prefect flow, made from its declaration: one signature for every flow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import Flow, flow

from vismasync.engine.entity import EntitySpec
from vismasync.engine.runner import run_sync


def sync_flow(spec: EntitySpec) -> Flow[..., dict[str, Any]]:
    """The Prefect flow that runs ``spec`` (its parameters are the run form in the UI)."""

    def run(
        integration: str = "demo",
        dry_run: bool = False,
        since: datetime | None = None,
        limit: int | None = None,
        keys: list[str] | None = None,
    ) -> dict[str, Any]:
        return run_sync(spec, integration, dry_run=dry_run, since=since, limit=limit, keys=keys)

    module, name = spec.entrypoint.split(":")
    run.__module__, run.__name__, run.__qualname__ = module, name, name
    run.__doc__ = f"""{spec.description}

    Args:
        integration: the integration's name (its configuration file).
        dry_run: compute the whole plan and write nothing to either system or the ledger.
        since: read {spec.noun} changed since this time instead of the watermark (backfill).
        limit: process at most this many {spec.noun} in this run.
        keys: retry only these records ({spec.keys_help}), re-read from {spec.source}; no
            incremental read and no watermark move.
    """
    return flow(name=spec.prefect_name, log_prints=False)(run)
