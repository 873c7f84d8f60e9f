"""`vismasync run ...`: run a sync flow now, as a Prefect flow run.

Exit codes: 0 when every record synced, 1 when some records failed (they are in the failure
queue), 2 when the run could not start (configuration, lock, database).
"""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console

from vismasync.config.loader import ConfigError
from vismasync.store.database import DatabaseUnavailable
from vismasync.store.locks import AlreadyRunning

run_app = typer.Typer(help="Run a sync flow now (as a Prefect flow run).", no_args_is_help=True)

EXIT_RECORDS_FAILED = 1
EXIT_NOT_STARTED = 2


@run_app.command("orders")
def run_orders(
    integration: str = typer.Option("demo", help="The integration (its configuration name)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Plan only: write nothing anywhere."),
    since: datetime | None = typer.Option(
        None, help="Read documents changed since this time instead of the watermark."
    ),
    limit: int | None = typer.Option(None, min=1, help="Process at most this many documents."),
) -> None:
    """Send eAccounting orders to Visma.net now."""
    from vismasync.flows.sales_orders import sync_sales_orders

    console = Console()
    try:
        result = sync_sales_orders(
            integration=integration, dry_run=dry_run, since=since, limit=limit
        )
    except (ConfigError, AlreadyRunning, DatabaseUnavailable) as exc:
        Console(stderr=True).print(f"[red]Not started:[/red] {exc}", markup=True, soft_wrap=True)
        raise typer.Exit(code=EXIT_NOT_STARTED) from None
    console.print(result["summary"], markup=False, highlight=False, soft_wrap=True)
    if result["failed"]:
        raise typer.Exit(code=EXIT_RECORDS_FAILED)
