"""`vismasync run ...`: run a sync flow now, as a Prefect flow run; one command per declared flow.

Exit codes: 0 when every record synced, 1 when some records failed (they are in the failure
queue) or the run failed on the way, 2 when the run could not start (configuration,
authorization, a system that cannot be reached, another run of the flow, the database): it
prints the cause and the command that fixes it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import typer

from vismasync.deployments.cli_flowrun import VERBOSE_HELP, run_flow
from vismasync.engine.entity import EntitySpec
from vismasync.flows.catalog import SYNC_FLOWS, load_flow

run_app = typer.Typer(help="Run a sync flow now (as a Prefect flow run).", no_args_is_help=True)


def _run_and_report(
    integration: str, flow: str, start: Callable[[], Any], *, verbose: bool = False
) -> None:
    """Run a flow, print its summary, and exit with the code the module docstring promises.

    The run carries the same tags as a deployment's runs, so alerts and UI filters see it.
    """
    from prefect import tags

    from vismasync.engine.run import integration_tag

    with tags("vismasync", integration_tag(integration), f"flow:{flow}"):
        run_flow(start, verbose=verbose)


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
        verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
    ) -> None:
        _run_and_report(
            integration,
            spec.flow,
            lambda: load_flow(spec)(
                integration=integration,
                dry_run=dry_run,
                since=since,
                limit=limit,
                return_state=True,
            ),
            verbose=verbose,
        )

    run.__doc__ = f"{spec.description} ({spec.source} is read now.)"
    return run


for _spec in SYNC_FLOWS:
    run_app.command(_spec.command)(_command(_spec))
