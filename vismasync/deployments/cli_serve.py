"""`vismasync serve`, `vismasync deploy`, `vismasync server` and `vismasync demo`."""

from __future__ import annotations

import typer
from rich.console import Console

from vismasync.config.loader import ConfigError
from vismasync.deployments.prefect_server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    PrefectServerAddress,
    PrefectServerError,
    use_server,
)
from vismasync.store.database import DatabaseUnavailable


def _address(host: str, port: int) -> PrefectServerAddress:
    return PrefectServerAddress(host=host, port=port)


def serve(
    prefect_host: str = typer.Option(DEFAULT_HOST, help="Prefect server host."),
    prefect_port: int = typer.Option(DEFAULT_PORT, help="Prefect server port."),
    limit: int | None = typer.Option(None, min=1, help="At most this many runs at once."),
) -> None:
    """Serve every integration's deployments (schedules and ad-hoc runs) without a worker."""
    from vismasync.deployments.serving import NothingToServe, serve_all

    address = _address(prefect_host, prefect_port)
    use_server(address)
    try:
        serve_all(address, limit=limit)
    except (NothingToServe, ConfigError, PrefectServerError) as exc:
        Console(stderr=True).print(f"[red]Error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(code=2) from None


def deploy(
    pool: str = typer.Option("vismasync", help="The work pool (a process pool is created)."),
) -> None:
    """Register every integration's deployments (and alerts) on a work pool, for workers
    (`prefect worker start --pool vismasync`) on any machine with vismasync installed."""
    from vismasync.config.integrations import integration_files, load_integration
    from vismasync.deployments.alerts import setup_alerts
    from vismasync.deployments.prefect_server import ensure_prefect_server
    from vismasync.deployments.registry import deploy_all

    console = Console()
    try:
        address = ensure_prefect_server(on_start=console.print)
        specs = deploy_all(pool)
        for name in integration_files():
            setup_alerts(load_integration(name))
    except (ConfigError, PrefectServerError, DatabaseUnavailable) as exc:
        Console(stderr=True).print(f"[red]Error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    if not specs:
        Console(stderr=True).print("No integration has an enabled flow: nothing to deploy.")
        raise typer.Exit(code=2)
    for spec in specs:
        console.print(f"{spec.load_flow().name}/{spec.name} on pool {pool}", markup=False)
    console.print(
        f"Registered {len(specs)} deployment(s) at {address.api_url}. Start a worker on each "
        f"machine: prefect worker start --pool {pool}",
        markup=False,
        soft_wrap=True,
    )


def server(
    prefect_host: str = typer.Option(DEFAULT_HOST, help="Prefect server host."),
    prefect_port: int = typer.Option(DEFAULT_PORT, help="Prefect server (and UI) port."),
    stop: bool = typer.Option(False, "--stop", help="Stop the one running in the background."),
) -> None:
    """Run vismasync's Prefect server (API and UI, its database on the state PostgreSQL server)
    until Ctrl-C; `vismasync run` starts it in the background when none answers."""
    from vismasync.deployments.prefect_server import run_server, stop_server

    try:
        if stop:
            stopped = stop_server()
            Console().print("Stopped." if stopped else "No background Prefect server runs.")
            return
        code = run_server(_address(prefect_host, prefect_port))
    except (PrefectServerError, DatabaseUnavailable) as exc:
        Console(stderr=True).print(f"[red]Error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    raise typer.Exit(code=code)


def demo(
    once: bool = typer.Option(False, "--once", help="Exit after the first runs."),
    prefect_host: str = typer.Option(DEFAULT_HOST, help="Prefect server host."),
    prefect_port: int = typer.Option(DEFAULT_PORT, help="Prefect server (and UI) port."),
    eaccounting_port: int = typer.Option(8091, help="Port of the eAccounting emulator."),
    vismanet_port: int = typer.Option(8092, help="Port of the Visma.net emulator."),
) -> None:
    """Run the whole product locally: database, Prefect server and UI, both emulators, the
    demo integration's deployments; run every flow once, then serve until Ctrl-C."""
    from vismasync.deployments.demo import DemoError, run_demo

    try:
        code = run_demo(
            once=once,
            address=_address(prefect_host, prefect_port),
            eaccounting_port=eaccounting_port,
            vismanet_port=vismanet_port,
        )
    except (DemoError, DatabaseUnavailable, PrefectServerError, ConfigError) as exc:
        Console(stderr=True).print(f"[red]Error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    raise typer.Exit(code=code)
