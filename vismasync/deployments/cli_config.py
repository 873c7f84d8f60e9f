"""`vismasync config ...`: integration configuration files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from vismasync.config.loader import ConfigError, load_config

config_app = typer.Typer(help="Check integration configuration files.", no_args_is_help=True)


@config_app.command("validate")
def validate(
    files: list[Path] = typer.Argument(..., help="Integration YAML files to check."),
) -> None:
    """Print OK for each valid file, or every error with its key path."""
    console = Console()
    failed = False
    for path in files:
        try:
            config = load_config(path)
        except ConfigError as exc:
            failed = True
            console.print(f"[red]{path}: {len(exc.issues)} error(s)[/red]", soft_wrap=True)
            for issue in exc.issues:
                console.print(f"  - {issue}", markup=False, highlight=False, soft_wrap=True)
            continue
        flows = ", ".join(config.flows.enabled()) or "none"
        console.print(
            f"[green]OK[/green] {path}: integration {config.name!r}, flows: {flows}",
            soft_wrap=True,
        )
    if failed:
        raise typer.Exit(code=1)
