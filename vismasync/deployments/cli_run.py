"""`vismasync run ...`: run a sync flow now, as a Prefect flow run.

Exit codes: 0 when every record synced, 1 when some records failed (they are in the failure
queue), 2 when the run could not start (configuration, lock, database).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import typer
from rich.console import Console

from vismasync.config.loader import ConfigError
from vismasync.store.database import DatabaseUnavailable
from vismasync.store.locks import AlreadyRunning

run_app = typer.Typer(help="Run a sync flow now (as a Prefect flow run).", no_args_is_help=True)

EXIT_RECORDS_FAILED = 1
EXIT_NOT_STARTED = 2

IntegrationOption = typer.Option("demo", help="The integration (its configuration name).")
DryRunOption = typer.Option(False, "--dry-run", help="Plan only: write nothing anywhere.")


def _run_and_report(integration: str, flow: str, start: Callable[[], dict[str, Any]]) -> None:
    """Run a flow, print its summary, and exit with the code the module docstring promises.

    The run carries the same tags as a deployment's runs, so alerts and UI filters see it.
    """
    from prefect import tags

    from vismasync.flows.runtime import integration_tag
    from vismasync.tasks.stock_sync import StockModuleActive

    console = Console()
    try:
        with tags("vismasync", integration_tag(integration), f"flow:{flow}"):
            result = start()
    except (ConfigError, AlreadyRunning, DatabaseUnavailable, StockModuleActive) as exc:
        Console(stderr=True).print(f"[red]Not started:[/red] {exc}", markup=True, soft_wrap=True)
        raise typer.Exit(code=EXIT_NOT_STARTED) from None
    console.print(result["summary"], markup=False, highlight=False, soft_wrap=True)
    if result["failed"]:
        raise typer.Exit(code=EXIT_RECORDS_FAILED)


@run_app.command("orders")
def run_orders(
    integration: str = IntegrationOption,
    dry_run: bool = DryRunOption,
    since: datetime | None = typer.Option(
        None, help="Read documents changed since this time instead of the watermark."
    ),
    limit: int | None = typer.Option(None, min=1, help="Process at most this many documents."),
) -> None:
    """Send eAccounting orders to Visma.net now."""
    from vismasync.flows.sales_orders import sync_sales_orders

    _run_and_report(
        integration,
        "sales_orders",
        lambda: sync_sales_orders(
            integration=integration, dry_run=dry_run, since=since, limit=limit
        ),
    )


@run_app.command("customers")
def run_customers(
    integration: str = IntegrationOption,
    dry_run: bool = DryRunOption,
    since: datetime | None = typer.Option(
        None, help="Read customers changed since this time instead of the watermark."
    ),
    limit: int | None = typer.Option(None, min=1, help="Process at most this many customers."),
) -> None:
    """Send Visma.net customers to eAccounting now."""
    from vismasync.flows.customers import sync_customers

    _run_and_report(
        integration,
        "customers",
        lambda: sync_customers(integration=integration, dry_run=dry_run, since=since, limit=limit),
    )


@run_app.command("products")
def run_products(
    integration: str = IntegrationOption,
    dry_run: bool = DryRunOption,
    since: datetime | None = typer.Option(
        None, help="Read items changed since this time instead of the watermark."
    ),
    limit: int | None = typer.Option(None, min=1, help="Process at most this many items."),
) -> None:
    """Send Visma.net inventory items to eAccounting articles now."""
    from vismasync.flows.products import sync_products

    _run_and_report(
        integration,
        "products",
        lambda: sync_products(integration=integration, dry_run=dry_run, since=since, limit=limit),
    )


@run_app.command("stock")
def run_stock(
    integration: str = IntegrationOption,
    dry_run: bool = DryRunOption,
    since: datetime | None = typer.Option(
        None, help="Read stock changed since this time instead of the watermark."
    ),
    limit: int | None = typer.Option(None, min=1, help="Process at most this many SKUs."),
) -> None:
    """Send Visma.net stock levels to eAccounting article stock balances now."""
    from vismasync.flows.stock import sync_stock

    _run_and_report(
        integration,
        "stock",
        lambda: sync_stock(integration=integration, dry_run=dry_run, since=since, limit=limit),
    )
