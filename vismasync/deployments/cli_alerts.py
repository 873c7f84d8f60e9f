"""`vismasync alerts setup`: create or update the failure notifications of integrations."""

from __future__ import annotations

import typer
from rich.console import Console

from vismasync.config.integrations import integration_files, load_integration
from vismasync.config.loader import ConfigError
from vismasync.config.secrets import SecretResolutionError

alerts_app = typer.Typer(help="Failure notifications (Prefect automations).", no_args_is_help=True)


@alerts_app.command("setup")
def setup(
    integration: str | None = typer.Option(None, help="Only this integration (default: all)."),
) -> None:
    """Create or update each integration's notification blocks and automations (idempotent)."""
    from vismasync.deployments.alerts import setup_alerts

    console = Console()
    names = [integration] if integration else list(integration_files())
    try:
        for name in names:
            count = setup_alerts(load_integration(name))
            console.print(f"{name}: {count} automation(s)" if count else f"{name}: no alerts")
    except (ConfigError, SecretResolutionError) as exc:
        Console(stderr=True).print(f"[red]Error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(code=2) from None
