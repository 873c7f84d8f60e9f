"""`vismasync init` (the setup assistant) and `vismasync authorize`.

Every question has a flag (`setup_prompts`); with ``--yes`` the required flags are checked
before anything happens. The file written holds secrets only as references.

Exit codes: 0 done; 1 a connection or check failed; 2 a missing or invalid answer.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from vismasync.config.integrations import config_dir, load_integration
from vismasync.config.loader import ConfigError
from vismasync.config.model import EAccountingConnection, VismaNetConnection
from vismasync.config.secrets import SecretResolutionError
from vismasync.connectors.http import ApiError
from vismasync.deployments import setup_checks as checks
from vismasync.deployments.cli_check import print_results
from vismasync.deployments.setup_assistant import (
    Connections,
    config_data,
    config_text,
    default_secret_env,
)
from vismasync.deployments.setup_flows import flow_settings, target_values
from vismasync.deployments.setup_prompts import (
    FLOW_TITLES,
    NAME_PATTERN,
    BadAnswer,
    Prompter,
    authorize_eaccounting,
    console,
    reference_choices,
    sales_order_choices,
    secret_reference,
)
from vismasync.flows.catalog import BY_FLOW, FLOWS

EXIT_CHECK_FAILED = 1
EXIT_BAD_ANSWER = 2


def _fail_checks(results: list[checks.CheckResult], what: str) -> None:
    if not print_results(console, results):
        console.print(f"[red]{what}[/red]", soft_wrap=True)
        raise typer.Exit(code=EXIT_CHECK_FAILED)


def init_command(
    name: str | None = typer.Option(None, help="Integration name (lowercase, digits, dashes)."),
    ea_api_url: str | None = typer.Option(None, "--eaccounting-api-url"),
    ea_identity_url: str | None = typer.Option(None, "--eaccounting-identity-url"),
    ea_client_id: str | None = typer.Option(None, "--eaccounting-client-id"),
    ea_secret: str | None = typer.Option(
        None, "--eaccounting-client-secret", help="A reference: env:NAME or prefect-secret:NAME."
    ),
    ea_redirect_uri: str | None = typer.Option(None, "--eaccounting-redirect-uri"),
    ea_scopes: list[str] | None = typer.Option(None, "--eaccounting-scope", help="Repeatable."),
    ea_code: str | None = typer.Option(
        None, "--eaccounting-code", help="The authorization code, or the whole redirect address."
    ),
    auto_approve: bool = typer.Option(
        False, "--auto-approve", help="The identity server approves without a login (emulator)."
    ),
    vn_api_url: str | None = typer.Option(None, "--vismanet-api-url"),
    vn_token_url: str | None = typer.Option(None, "--vismanet-token-url"),
    vn_client_id: str | None = typer.Option(None, "--vismanet-client-id"),
    vn_secret: str | None = typer.Option(
        None, "--vismanet-client-secret", help="A reference: env:NAME or prefect-secret:NAME."
    ),
    vn_tenant: str | None = typer.Option(None, "--vismanet-tenant"),
    vn_scopes: list[str] | None = typer.Option(None, "--vismanet-scope", help="Repeatable."),
    create_blocks: bool | None = typer.Option(
        None,
        "--create-secret-blocks/--no-create-secret-blocks",
        help="Offer to create missing Prefect Secret blocks (the value is asked, hidden).",
    ),
    flows: list[str] | None = typer.Option(None, "--flow", help="Flow to enable (repeatable)."),
    statuses: list[str] | None = typer.Option(None, "--status", help="Repeatable."),
    source_document: str | None = typer.Option(None, help="order or invoice."),
    target_document: str | None = typer.Option(None, help="sales_order or customer_invoice."),
    order_type: str | None = typer.Option(None),
    branch: str | None = typer.Option(None),
    warehouse: str | None = typer.Option(None, help="Empty: the items' default."),
    default_debtor: str | None = typer.Option(None, help="Customer number; empty: none."),
    debtor_mode: str | None = typer.Option(None, "--default-debtor-mode", help="force/fallback"),
    units: list[str] | None = typer.Option(
        None, "--unit", help="Products: VISMANET_UNIT=EACCOUNTING_UNIT (repeatable)."
    ),
    terms_of_payment: str | None = typer.Option(
        None, help="Customers: eAccounting terms of payment when Visma.net's have no match."
    ),
    stock_warehouses: list[str] | None = typer.Option(
        None, "--stock-warehouse", help="Stock: a Visma.net warehouse that counts (repeatable)."
    ),
    overwrite: bool | None = typer.Option(None, "--overwrite/--keep-existing"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Never ask; fail naming missing flags."),
) -> None:
    """Set up an integration: both connections, the flows and their basic choices."""
    ask = Prompter(interactive=not yes)
    try:
        if yes:
            required = {
                "--name": name,
                "--eaccounting-client-id": ea_client_id,
                "--eaccounting-client-secret": ea_secret,
                "--vismanet-client-id": vn_client_id,
                "--vismanet-client-secret": vn_secret,
                "--vismanet-tenant": vn_tenant,
            }
            if not auto_approve:
                required["--eaccounting-code"] = ea_code
            missing = [flag for flag, value in required.items() if value is None]
            if missing:
                raise BadAnswer(f"missing with --yes: {', '.join(missing)}")
        while True:
            name = ask.text(name, "--name", "Integration name (lowercase letters, digits, dashes)")
            if NAME_PATTERN.match(name):
                break
            ask.retry(f"--name: {name!r} must be lowercase letters, digits and dashes")
            name = None
        path = config_dir() / f"{name}.yaml"
        if path.exists() and not ask.confirm(overwrite, f"{path} exists. Replace it?", False):
            raise BadAnswer(f"{path} exists: pass --overwrite to replace it")
        ea_default, vn_default = EAccountingConnection.model_fields, VismaNetConnection.model_fields
        console.print(
            "[bold]Visma eAccounting[/bold] (an API application from Visma's developer portal)"
        )
        connections = Connections(
            name=name,
            ea_api_url=ask.text(
                ea_api_url,
                "--eaccounting-api-url",
                "API address",
                str(ea_default["api_url"].default),
            ),
            ea_identity_url=ask.text(
                ea_identity_url,
                "--eaccounting-identity-url",
                "Identity server",
                str(ea_default["identity_url"].default),
            ),
            ea_client_id=ask.text(ea_client_id, "--eaccounting-client-id", "Client id"),
            ea_client_secret=secret_reference(
                ask,
                ea_secret,
                "--eaccounting-client-secret",
                "eAccounting",
                default_secret_env(name, "eaccounting"),
                create_blocks,
            ),
            ea_redirect_uri=ask.text(
                ea_redirect_uri,
                "--eaccounting-redirect-uri",
                "Redirect URI registered for the application",
                "http://localhost:8765/callback",
            ),
            ea_scopes=ea_scopes or list(ea_default["scopes"].default),
            vn_api_url="",
            vn_token_url="",
            vn_client_id="",
            vn_client_secret="",
            vn_tenant="",
            vn_scopes=vn_scopes or list(vn_default["scopes"].default),
        )
        console.print("[bold]Visma.net ERP[/bold] (a service application with client credentials)")
        connections.vn_api_url = ask.text(
            vn_api_url, "--vismanet-api-url", "API address", str(vn_default["api_url"].default)
        )
        connections.vn_token_url = ask.text(
            vn_token_url, "--vismanet-token-url", "Token URL", str(vn_default["token_url"].default)
        )
        connections.vn_client_id = ask.text(vn_client_id, "--vismanet-client-id", "Client id")
        connections.vn_client_secret = secret_reference(
            ask,
            vn_secret,
            "--vismanet-client-secret",
            "Visma.net",
            default_secret_env(name, "vismanet"),
            create_blocks,
        )
        connections.vn_tenant = ask.text(vn_tenant, "--vismanet-tenant", "Tenant id (company)")
        _, connection_only = config_text(config_data(connections, [], None))

        authorize_eaccounting(ask, connection_only, ea_code, auto_approve)
        console.print("Testing both connections ...")
        _fail_checks(
            checks.check_integration(connection_only),
            "Fix the settings above and run `vismasync init` again.",
        )
        choices = reference_choices(connection_only)

        if flows or not ask.interactive:
            chosen = ask.items(flows, "--flow", "Flows to enable", ["sales_orders"], FLOWS)
        else:
            chosen = [
                f
                for f in FLOWS
                if ask.confirm(None, f"Enable {FLOW_TITLES[f]}?", f == "sales_orders")
            ]
        values = target_values(connection_only, chosen)
        chosen_settings = flow_settings(
            ask, values, chosen, units=units, terms_of_payment=terms_of_payment,
            stock_warehouses=stock_warehouses,
        )  # fmt: skip
        while True:
            orders = (
                sales_order_choices(
                    ask,
                    choices,
                    statuses,
                    source_document,
                    target_document,
                    order_type,
                    branch,
                    warehouse,
                    default_debtor,
                    debtor_mode,
                )
                if "sales_orders" in chosen
                else None
            )
            try:
                data = config_data(connections, chosen, orders, chosen_settings)
                text, config = config_text(data)
                break
            except ConfigError as exc:
                ask.retry("; ".join(str(issue) for issue in exc.issues))
                statuses = source_document = target_document = None
    except BadAnswer as exc:
        Console(stderr=True).print(f"Error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(code=EXIT_BAD_ANSWER) from None
    except (ApiError, RuntimeError) as exc:
        # The authorization or reading the company's branches failed: nothing was written.
        Console(stderr=True).print(f"Error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(code=EXIT_CHECK_FAILED) from None
    _write(path, text)
    console.print(f"Wrote {path}", markup=False, soft_wrap=True)
    _fail_checks(
        checks.check_integration(config),
        f"Fix the configuration and run `vismasync check --integration {name}`.",
    )
    console.print(closing_hint(name, chosen), markup=False, soft_wrap=True)


def closing_hint(name: str, flows: list[str]) -> str:
    """What to run next: a dry run of every flow enabled, then the schedules."""
    commands = [BY_FLOW[flow].command for flow in FLOWS if flow in flows]  # type: ignore[index]
    lines = [f"Ready: {name} syncs {', '.join(commands)}. Try each without writing anything:"]
    lines += [f"  vismasync run {command} --integration {name} --dry-run" for command in commands]
    lines.append("then run them for real, or `vismasync serve` to run them on their schedules.")
    return "\n".join(lines)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def authorize_command(
    integration: str = typer.Option(..., help="The integration (its configuration name)."),
    code: str | None = typer.Option(
        None, "--eaccounting-code", help="The authorization code, or the whole redirect address."
    ),
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Emulator: no login needed."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Never ask."),
) -> None:
    """Connect (again) the eAccounting company of an existing integration."""
    try:
        config = load_integration(integration)
        authorize_eaccounting(Prompter(interactive=not yes), config, code, auto_approve)
    except (ConfigError, BadAnswer) as exc:
        Console(stderr=True).print(f"Error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(code=EXIT_BAD_ANSWER) from None
    except (ApiError, RuntimeError, SecretResolutionError) as exc:
        Console(stderr=True).print(f"Error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(code=EXIT_CHECK_FAILED) from None
    console.print(f"eAccounting is authorized for {integration}.", markup=False)
