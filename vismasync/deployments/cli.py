"""The `vismasync` command line."""

import typer

from vismasync.deployments.cli_alerts import alerts_app
from vismasync.deployments.cli_check import check_command
from vismasync.deployments.cli_config import config_app
from vismasync.deployments.cli_db import db_app
from vismasync.deployments.cli_emulator import emulator_app
from vismasync.deployments.cli_failures import failures_app
from vismasync.deployments.cli_init import authorize_command, init_command
from vismasync.deployments.cli_reconcile import reconcile_command
from vismasync.deployments.cli_run import run_app
from vismasync.deployments.cli_serve import demo, deploy, serve, server

app = typer.Typer(
    help="vismasync: keep Visma eAccounting and Visma.net ERP in sync.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(failures_app, name="failures")
app.add_typer(run_app, name="run")
app.command("serve")(serve)
app.command("deploy")(deploy)
app.command("server")(server)
app.command("demo")(demo)
app.add_typer(alerts_app, name="alerts")
app.command("init")(init_command)
app.command("authorize")(authorize_command)
app.command("check")(check_command)
app.command("reconcile")(reconcile_command)
app.add_typer(emulator_app, name="emulator")


def main() -> None:
    app()
