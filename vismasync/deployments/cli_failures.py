"""`vismasync failures ...`: the failure queue (ledger rows that need attention)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from vismasync.store.database import DatabaseUnavailable, get_engine
from vismasync.store.ledger import list_entries
from vismasync.store.models import LedgerStatus

failures_app = typer.Typer(help="Inspect records that failed or are stuck.", no_args_is_help=True)


@failures_app.command("list")
def list_failures(
    integration: str | None = typer.Option(None, help="Only this integration."),
    flow: str | None = typer.Option(None, help="Only this flow, e.g. sales_orders."),
    status: list[LedgerStatus] = typer.Option(
        [LedgerStatus.FAILED],
        help="Statuses to show (repeatable); default: failed.",
        case_sensitive=False,
    ),
    limit: int = typer.Option(200, min=1, help="Show at most this many rows, newest first."),
) -> None:
    """List ledger rows with their error class, message and attempts."""
    try:
        entries = list_entries(
            get_engine(), integration=integration, flow=flow, statuses=status, limit=limit
        )
    except DatabaseUnavailable as exc:
        Console(stderr=True).print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(code=1) from None
    console = Console()
    if not entries:
        console.print(f"No {'/'.join(s.value for s in status)} records.")
        return
    table = Table(title=f"{len(entries)} record(s)")
    for column in ("integration", "flow", "entity", "source key", "status", "error class"):
        table.add_column(column, overflow="fold")
    table.add_column("attempts", justify="right")
    table.add_column("updated", no_wrap=True)
    # The message says what to fix: wrap it, never cut it.
    table.add_column("message", overflow="fold", min_width=30)
    for entry in entries:
        table.add_row(
            entry.integration,
            entry.flow,
            entry.entity,
            entry.source_key,
            entry.status.value,
            entry.error_class or "",
            str(entry.attempts),
            entry.updated_at.strftime("%Y-%m-%d %H:%M"),
            entry.message or "",
        )
    console.print(table)
