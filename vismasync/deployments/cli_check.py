"""`vismasync check`: test an integration's configuration, connections and permissions.

Exit code 0 when every check passes, 1 when one fails (each failure says what to do).
"""

from __future__ import annotations

import typer
from rich.console import Console

from vismasync.config.integrations import config_dir, integration_files, load_integration
from vismasync.config.loader import ConfigError
from vismasync.deployments.setup_checks import CheckResult, check_integration
from vismasync.store.database import DatabaseUnavailable


def print_results(console: Console, results: list[CheckResult]) -> bool:
    """Print one line per check; True when all passed."""
    for result in results:
        mark = "[green]ok[/green]  " if result.ok else "[red]FAIL[/red]"
        console.print(f"  {mark} ", end="")
        # Messages quote settings and API answers: never read them as markup.
        console.print(
            f"{result.name}: {result.message}", markup=False, highlight=False, soft_wrap=True
        )
    return all(result.ok for result in results)


def check_one(console: Console, name: str) -> bool:
    console.print(f"[bold]{name}[/bold]")
    try:
        config = load_integration(name)
    except ConfigError as exc:
        issues = [
            CheckResult("configuration valid", False, f"{exc.source}: {issue}")
            for issue in exc.issues
        ]
        return print_results(console, issues)
    valid = CheckResult("configuration valid", True, f"flows: {', '.join(config.flows.enabled())}")
    return print_results(console, [valid, *check_integration(config)])


def check_command(
    integration: str | None = typer.Option(
        None, help="The integration to check; default: every configured integration."
    ),
) -> None:
    """Test configuration, secrets, both connections, scopes and referenced settings."""
    console = Console()
    names = [integration] if integration else list(integration_files())
    if not names:
        console.print(
            f"No integrations configured in {config_dir()}: run `vismasync init`.",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=1)
    try:
        passed = [check_one(console, name) for name in names]
    except DatabaseUnavailable as exc:
        Console(stderr=True).print(str(exc), markup=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    if not all(passed):
        raise typer.Exit(code=1)
