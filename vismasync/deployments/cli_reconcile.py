"""`vismasync reconcile`: compare both systems and the ledger now, as a Prefect flow run.

Exit codes: 0 when nothing is off, 1 when discrepancies were found (the report is printed and
published as artifacts), 2 when the reconciliation could not start.
"""

from __future__ import annotations

import typer
from rich.console import Console

from vismasync.config.loader import ConfigError
from vismasync.store.database import DatabaseUnavailable

EXIT_DISCREPANCIES = 1
EXIT_NOT_STARTED = 2


def reconcile_command(
    integration: str = typer.Option("demo", help="The integration (its configuration name)."),
    flow: list[str] | None = typer.Option(
        None, help="Reconcile only this flow (repeatable); default: every enabled flow."
    ),
) -> None:
    """Report what is missing, duplicated or different in the target, and orphaned ledger rows."""
    from vismasync.flows.reconcile import RECONCILERS, DiscrepanciesFound, reconcile

    unknown = [name for name in flow or [] if name not in RECONCILERS]
    if unknown:
        _error(f"--flow must be one of: {', '.join(RECONCILERS)} (got {', '.join(unknown)})")
        raise typer.Exit(code=EXIT_NOT_STARTED)
    from vismasync.deployments.prefect_server import PrefectServerError, ensure_prefect_server

    console = Console()
    try:
        ensure_prefect_server(on_start=Console(stderr=True).print)
        result = reconcile(integration=integration, flows=flow or None)
    except DiscrepanciesFound as exc:
        console.print(exc.result["summary"], markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=EXIT_DISCREPANCIES) from None
    except (ConfigError, DatabaseUnavailable, PrefectServerError) as exc:
        _error(f"Not started: {exc}")
        raise typer.Exit(code=EXIT_NOT_STARTED) from None
    console.print(result["summary"], markup=False, highlight=False, soft_wrap=True)


def _error(message: str) -> None:
    console = Console(stderr=True)
    console.print("[red]Error:[/red] ", end="")
    console.print(message, markup=False, highlight=False, soft_wrap=True)
