"""`vismasync failures ...`: the failure queue (ledger rows that need attention)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from vismasync.deployments.cli_flowrun import EXIT_NOT_STARTED, VERBOSE_HELP
from vismasync.engine.queue import UNSETTLED, unsettled_entries
from vismasync.store.database import DatabaseUnavailable
from vismasync.store.models import LedgerStatus

failures_app = typer.Typer(help="Inspect records that failed or are stuck.", no_args_is_help=True)


@failures_app.command("list")
def list_failures(
    integration: str | None = typer.Option(None, help="Only this integration."),
    flow: str | None = typer.Option(None, help="Only this flow, e.g. sales_orders."),
    status: list[LedgerStatus] = typer.Option(
        list(UNSETTLED),
        help="Statuses to show (repeatable); default: the failure queue, i.e. failed and "
        "in_flight (a write whose outcome is unknown, looked up on the next run).",
        case_sensitive=False,
    ),
    limit: int = typer.Option(200, min=1, help="Show at most this many rows, newest first."),
) -> None:
    """List ledger rows with their error class, message and attempts."""
    try:
        entries = unsettled_entries(integration, flow, statuses=status, limit=limit)
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


@failures_app.command("retry")
def retry_failures(
    keys: list[str] | None = typer.Argument(
        None, help="Source keys of the records (see `failures list`); none: every failed record."
    ),
    integration: str = typer.Option(..., help="The integration (its configuration name)."),
    flow: str = typer.Option("sales_orders", help="The flow whose records to retry."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
) -> None:
    """Retry failed records now, re-reading them from their source system."""
    from vismasync.deployments.cli_flowrun import run_flow
    from vismasync.flows.retry_failed import RETRYABLE, UnknownRecords, chosen_keys, retry_failed

    if flow not in RETRYABLE:
        _error(f"--flow must be one of: {', '.join(RETRYABLE)} (got {flow!r})")
        raise typer.Exit(code=EXIT_NOT_STARTED)
    try:
        chosen_keys(integration, flow, keys or None)  # refuse unknown keys before any run
    except (DatabaseUnavailable, UnknownRecords) as exc:
        _error(f"Not started: {exc}")
        raise typer.Exit(code=EXIT_NOT_STARTED) from None
    run_flow(
        lambda: retry_failed(
            integration=integration, flow=flow, keys=keys or None, return_state=True
        ),
        verbose=verbose,
    )


@failures_app.command("skip")
def skip_failures(
    keys: list[str] = typer.Argument(..., help="Source keys of the records to skip."),
    integration: str = typer.Option(..., help="The integration (its configuration name)."),
    flow: str = typer.Option("sales_orders", help="The flow the records belong to."),
) -> None:
    """Take failed records out of the failure queue for good (marked "skipped by hand")."""
    from vismasync.flows.retry_failed import UnknownRecords, skip_failed

    try:
        changed = skip_failed(integration, flow, keys)
    except (DatabaseUnavailable, UnknownRecords) as exc:
        _error(str(exc))
        raise typer.Exit(code=1) from None
    Console().print(f"Skipped {changed} record(s) of {flow} for {integration}.")


def _error(message: str) -> None:
    console = Console(stderr=True)
    console.print("[red]Error:[/red] ", end="")
    # Messages quote keys and settings: never read them as markup.
    console.print(message, markup=False, highlight=False, soft_wrap=True)
