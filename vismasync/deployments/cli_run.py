"""`vismasync run ...`: run a sync flow now, as a Prefect flow run; one command per declared flow.

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
from vismasync.engine.entity import EntitySpec
from vismasync.flows.catalog import SYNC_FLOWS, load_flow
from vismasync.store.database import DatabaseUnavailable
from vismasync.store.locks import AlreadyRunning

run_app = typer.Typer(help="Run a sync flow now (as a Prefect flow run).", no_args_is_help=True)

EXIT_RECORDS_FAILED = 1
EXIT_NOT_STARTED = 2


def _run_and_report(integration: str, flow: str, start: Callable[[], dict[str, Any]]) -> None:
    """Run a flow, print its summary, and exit with the code the module docstring promises.

    The run carries the same tags as a deployment's runs, so alerts and UI filters see it.
    """
    from prefect import tags

    from vismasync.engine.run import integration_tag
    from vismasync.tasks.stock import StockModuleActive

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


def _command(spec: EntitySpec) -> Callable[..., None]:
    def run(
        integration: str = typer.Option("demo", help="The integration (its configuration name)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Plan only: write nothing anywhere."),
        since: datetime | None = typer.Option(
            None, help=f"Read {spec.noun} changed since this time instead of the watermark."
        ),
        limit: int | None = typer.Option(
            None, min=1, help=f"Process at most this many {spec.noun}."
        ),
    ) -> None:
        _run_and_report(
            integration,
            spec.flow,
            lambda: load_flow(spec)(
                integration=integration, dry_run=dry_run, since=since, limit=limit
            ),
        )

    run.__doc__ = f"{spec.description} ({spec.source} is read now.)"
    return run


for _spec in SYNC_FLOWS:
    run_app.command(_spec.command)(_command(_spec))
