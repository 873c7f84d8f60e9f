"""The `vismasync` command line."""

import typer

from vismasync.deployments.cli_emulator import emulator_app

app = typer.Typer(
    help="vismasync: keep Visma eAccounting and Visma.net ERP in sync.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(emulator_app, name="emulator")


def main() -> None:
    app()
