"""``vismasync emulator eaccounting``: run the eAccounting emulator in the foreground."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vismasync.emulators.eaccounting.backend import EmulatorSettings
from vismasync.emulators.eaccounting.oauth import DEMO_CLIENT, RegisteredClient
from vismasync.emulators.eaccounting.seed import load_seed
from vismasync.emulators.eaccounting.server import serve


def run_eaccounting(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8091,
    seed: Annotated[
        str, typer.Option(help="'demo', 'empty' (reference data only) or a JSON seed file.")
    ] = "demo",
    rate_limit: Annotated[int, typer.Option(help="Requests per window per client+endpoint.")] = 600,
    rate_window: Annotated[float, typer.Option(help="Rate-limit window in seconds.")] = 60.0,
    page_size_cap: Annotated[int, typer.Option(help="Largest $pagesize honoured.")] = 1000,
    token_lifetime: Annotated[int, typer.Option(help="Access token lifetime (seconds).")] = 3600,
    stock_module: Annotated[
        bool, typer.Option(help="Company has the stock module (StockBalance read-only).")
    ] = False,
    client: Annotated[
        list[str] | None,
        typer.Option(help="Extra OAuth client as ID:SECRET (repeatable); the demo client stays."),
    ] = None,
) -> None:
    """Run an offline Visma eAccounting API v2 (OAuth at /connect, API at /v2, admin at
    /_emulator). Demo client: vismasync-demo / vismasync-demo-secret."""
    if seed not in ("demo", "empty") and not Path(seed).is_file():
        raise typer.BadParameter(f"no such seed file: {seed}", param_hint="--seed")
    clients = [DEMO_CLIENT]
    for spec_text in client or []:
        client_id, _, secret = spec_text.partition(":")
        if not client_id or not secret:
            raise typer.BadParameter("use ID:SECRET", param_hint="--client")
        clients.append(RegisteredClient(client_id=client_id, client_secret=secret))
    settings = EmulatorSettings(
        rate_limit=rate_limit,
        rate_window=rate_window,
        max_page_size=page_size_cap,
        token_lifetime=token_lifetime,
        stock_module=stock_module,
        clients=clients,
    )
    typer.echo(f"eAccounting emulator on http://{host}:{port} (API base http://{host}:{port}/v2)")
    serve(host=host, port=port, seed=load_seed(seed), settings=settings)
