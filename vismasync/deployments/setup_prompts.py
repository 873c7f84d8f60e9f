"""The questions of the setup assistant: answers from flags, from the user, or from defaults.

Every question has a flag; with ``--yes`` nothing is asked, an answer comes from its flag or its
default, and a missing one is an error naming the flag. Secrets are asked for by reference; the
only secret ever typed in is the value of a new Prefect Secret block, hidden and never taken
from a flag (command lines end up in shell histories and process lists).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

import typer
from rich.console import Console

from vismasync.config.model import IntegrationConfig
from vismasync.config.secrets import SecretRef, SecretResolutionError
from vismasync.connectors.http import ApiError
from vismasync.deployments import setup_checks as checks
from vismasync.deployments.setup_assistant import SalesOrderChoices, code_from_redirect

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
FLOW_TITLES = {
    "sales_orders": "sales orders (eAccounting -> Visma.net)",
    "customers": "customers (Visma.net -> eAccounting)",
    "products": "products (Visma.net -> eAccounting)",
    "stock": "stock (Visma.net -> eAccounting)",
}
STATUSES = ("Draft", "Ongoing", "Shipped", "Invoiced", "Paid")
console = Console()


class BadAnswer(Exception):
    """A missing or invalid answer in a mode that cannot ask again."""


class Prompter:
    """Answers from flags, else from the user, else (with ``--yes``) from defaults."""

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive

    def text(
        self,
        value: str | None,
        flag: str,
        question: str,
        default: str | None = None,
        choices: Sequence[str] | None = None,
    ) -> str:
        if value is not None:
            if choices and value not in choices:
                raise BadAnswer(f"{flag} must be one of {', '.join(choices)} (got {value!r})")
            return value
        if not self.interactive:
            if default is not None:
                return default
            raise BadAnswer(f"{flag} is required with --yes")
        listing = f" ({', '.join(c or '-' for c in choices)})" if choices else ""
        while True:
            answer = typer.prompt(f"{question}{listing}", default=default)
            if not choices or answer in choices:
                return answer
            console.print(f"Not a choice: {answer}", markup=False)

    def confirm(self, value: bool | None, question: str, default: bool) -> bool:
        if value is not None:
            return value
        return typer.confirm(question, default=default) if self.interactive else default

    def items(
        self,
        values: list[str] | None,
        flag: str,
        question: str,
        default: list[str],
        choices: Sequence[str],
    ) -> list[str]:
        while True:
            if values:
                answer = values
            elif not self.interactive:
                return default
            else:
                typed = typer.prompt(
                    f"{question} ({', '.join(choices)})", default=", ".join(default)
                )
                answer = [part.strip() for part in typed.split(",") if part.strip()]
            wrong = [item for item in answer if item not in choices]
            if not wrong:
                return answer
            if values or not self.interactive:
                raise BadAnswer(f"{flag}: {', '.join(wrong)} not among {', '.join(choices)}")
            console.print(f"Not a choice: {', '.join(wrong)}", markup=False)

    def retry(self, message: str) -> None:
        """An answer was wrong: say why; ask again interactively, else stop."""
        if not self.interactive:
            raise BadAnswer(message)
        console.print(f"[red]{message}[/red]", soft_wrap=True, highlight=False)


def secret_reference(
    ask: Prompter,
    value: str | None,
    flag: str,
    label: str,
    default: str,
    create_blocks: bool | None,
) -> str:
    """A resolvable secret reference, offering to create a Prefect Secret block when the
    reference names one that does not exist yet."""
    while True:
        text = ask.text(
            value,
            flag,
            f"{label} client secret, by reference (env:NAME or prefect-secret:NAME)",
            default,
        )
        value = None  # a wrong flag value is asked again interactively
        try:
            ref = SecretRef(text)
        except ValueError:
            ask.retry(
                f"{flag}: give a reference such as env:NAME or prefect-secret:NAME; the "
                "secret itself is never written to the configuration"
            )
            continue
        try:
            checks.resolve_secret(ref)
            return str(ref)
        except SecretResolutionError as exc:
            problem = str(exc)
        if (
            ref.kind == "prefect-secret"
            and checks.prefect_api_reachable()
            and ask.confirm(
                create_blocks, f"Create the Prefect Secret block {ref.name!r} now?", True
            )
        ):
            if not ask.interactive:
                raise BadAnswer(
                    f"the value of the new Prefect Secret block {ref.name!r} is "
                    "asked for interactively only: create the block first "
                    "(`prefect block create secret`) or run without --yes"
                )
            from prefect.blocks.system import Secret

            Secret(value=typer.prompt(f"Value of {ref.name!r}", hide_input=True)).save(ref.name)
            console.print(f"Saved the Prefect Secret block {ref.name!r}.", markup=False)
            return str(ref)
        ask.retry(problem)


def authorize_eaccounting(
    ask: Prompter, config: IntegrationConfig, code: str | None, auto_approve: bool
) -> None:
    """Connect the eAccounting company: the user approves in a browser and pastes the result."""
    from vismasync.engine.clients import (
        authorize_auto_approving_eaccounting,
        complete_eaccounting_authorization,
        eaccounting_authorize_url,
    )

    if auto_approve:
        authorize_auto_approving_eaccounting(config)
        return
    state = secrets.token_urlsafe(16)
    console.print("Open this address, sign in to eAccounting and approve the access:")
    console.print(eaccounting_authorize_url(config, state), markup=False, soft_wrap=True)
    while True:
        pasted = ask.text(
            code,
            "--eaccounting-code",
            "Paste the code, or the whole address your browser was sent to",
        )
        code = None
        try:
            complete_eaccounting_authorization(config, code_from_redirect(pasted, state))
            return
        except ValueError as exc:
            ask.retry(f"--eaccounting-code: {exc}")
        except ApiError as exc:
            ask.retry(
                f"eAccounting refused the code ({exc.message}): open the address again "
                "and paste the new result (a code works once, for a few minutes)"
            )


def reference_choices(config: IntegrationConfig) -> dict[str, list[str]]:
    """Branches, order types and warehouses of the Visma.net company, main branch first."""
    secret = checks.resolve_secret(config.vismanet.client_secret)
    with checks.vismanet_client(config, secret) as client:
        branches = sorted(client.list_branches(), key=lambda b: (not b.is_main_branch, b.number))
        types = [t.order_type for t in client.list_sales_order_types() if t.active is not False]
        warehouses = sorted(w.warehouse_id for w in client.list_warehouses())
    return {
        "branches": [b.number for b in branches],
        "order_types": types,
        "warehouses": warehouses,
    }


def sales_order_choices(
    ask: Prompter,
    choices: dict[str, list[str]],
    statuses: list[str] | None,
    source_document: str | None,
    target_document: str | None,
    order_type: str | None,
    branch: str | None,
    warehouse: str | None,
    default_debtor: str | None,
    debtor_mode: str | None,
) -> SalesOrderChoices:
    source = ask.text(
        source_document,
        "--source-document",
        "Send eAccounting orders or invoices",
        "order",
        ("order", "invoice"),
    )
    wanted = ["Shipped"] if source == "order" else ["Invoiced"]
    picked = ask.items(statuses, "--status", "Statuses to send", wanted, STATUSES)
    target = ask.text(
        target_document,
        "--target-document",
        "Create in Visma.net",
        "sales_order",
        ("sales_order", "customer_invoice"),
    )
    types = choices["order_types"]
    kind = "SO"
    if target == "sales_order":
        kind = ask.text(
            order_type,
            "--order-type",
            "Order type",
            "SO" if "SO" in types else (types or ["SO"])[0],
            types or None,
        )
    home = ask.text(
        branch, "--branch", "Branch", (choices["branches"] or ["1"])[0], choices["branches"] or None
    )
    stock = ask.text(
        warehouse,
        "--warehouse",
        "Warehouse (empty: the items' default)",
        "",
        ["", *choices["warehouses"]],
    )
    debtor = ask.text(
        default_debtor, "--default-debtor", "Default debtor customer number (empty: none)", ""
    )
    mode = "fallback"
    if debtor:
        mode = ask.text(
            debtor_mode,
            "--default-debtor-mode",
            "Use it for every order (force) or when customer data is incomplete (fallback)",
            "fallback",
            ("force", "fallback"),
        )
    return SalesOrderChoices(
        statuses=picked,
        source_document=source,
        target_document=target,
        order_type=kind,
        branch=home,
        warehouse=stock or None,
        default_debtor=debtor or None,
        default_debtor_mode=mode,
    )
