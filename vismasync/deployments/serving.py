"""Serving the deployments without a worker: `serve()` against a real Prefect server."""

from __future__ import annotations

from vismasync.config.integrations import integration_files, load_integration
from vismasync.deployments.alerts import setup_alerts
from vismasync.deployments.prefect_server import PrefectServerAddress, wait_until_healthy
from vismasync.deployments.registry import all_specs, to_deployment


class NothingToServe(RuntimeError):
    """No integration has an enabled flow."""


def serve_all(address: PrefectServerAddress, *, limit: int | None = None) -> None:
    """Register every integration's deployments and alert automations, and run their
    schedules until interrupted.

    Waits for the API's health first: serve() against a server still migrating fails at once.
    Schedules stay active when this process stops (``pause_on_shutdown=False``), so a restart
    or a second server process does not silently pause the integration.
    """
    from prefect import serve

    specs = list(all_specs())
    if not specs:
        raise NothingToServe(
            "No integration has an enabled flow: add an integration file (vismasync init) or "
            "enable a flow in one."
        )
    wait_until_healthy(address)
    for name in integration_files():
        setup_alerts(load_integration(name))
    serve(*(to_deployment(spec) for spec in specs), pause_on_shutdown=False, limit=limit)
