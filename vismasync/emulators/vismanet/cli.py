"""``vismasync emulator vismanet``: serve the Visma.net ERP emulator until interrupted."""

from __future__ import annotations

import typer

from vismasync.emulators.vismanet.ratelimit import DEFAULT_LIMIT, DEFAULT_WINDOW
from vismasync.emulators.vismanet.service import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_TENANT,
    VismaNetService,
)


def run_vismanet(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8092, help="TCP port."),
    seed: str = typer.Option("demo", help="demo, empty, or the path of a JSON seed file."),
    rate_limit: int = typer.Option(DEFAULT_LIMIT, help="Requests per window per company+client."),
    rate_window: float = typer.Option(DEFAULT_WINDOW, help="Rate-limit window in seconds."),
) -> None:
    """Run the Visma.net ERP emulator (API at /v1 and /API/v1, tokens at /connect/token)."""
    from vismasync.emulators.vismanet.server import serve

    service = VismaNetService(seed, rate_limit=rate_limit, rate_window=rate_window)
    base = f"http://{host}:{port}"
    typer.echo(f"Visma.net ERP emulator on {base} (seed: {seed})")
    typer.echo(f"  API base URL : {base}/API   (also {base}/v1/...)")
    typer.echo(f"  token URL    : {base}/connect/token")
    typer.echo(f"  client id    : {DEMO_CLIENT_ID}   secret: {DEMO_CLIENT_SECRET}")
    typer.echo(f"  tenant id    : {DEMO_TENANT}")
    typer.echo(f"  admin        : {base}/_emulator/")
    serve(host=host, port=port, service=service)
