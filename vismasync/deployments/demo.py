"""`vismasync demo`: the whole product on one machine, on embedded defaults.

Starts (or reuses) the embedded PostgreSQL server, a Prefect server with its UI whose database
lives on that PostgreSQL server, and both Visma emulators with their demo seeds; writes the demo
integration; serves its deployments; runs every enabled flow once through its deployment; prints
the results and the UI address; then keeps serving the schedules until Ctrl-C, which stops
everything it started. Every wait is on a health check, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from vismasync.config.integrations import config_dir, load_integration
from vismasync.deployments.demo_integration import write_demo_config
from vismasync.deployments.prefect_server import (
    PrefectServerAddress,
    is_healthy,
    prefect_retention_days,
    start_prefect_server,
    stop_process,
    use_server,
    wait_until_healthy,
)
from vismasync.deployments.registry import DeploymentSpec, deployment_specs
from vismasync.paths import vismasync_home
from vismasync.store.database import get_engine, server_location
from vismasync.store.integrations import forget_integration

DEMO_INTEGRATION = "demo"


class DemoError(RuntimeError):
    """Something the demo needs could not be started; the message says what to do."""


@dataclass
class Started:
    """What this demo process started, and so must stop."""

    processes: list[subprocess.Popen] = field(default_factory=list)
    servers: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop_process(process)
        for server in reversed(self.servers):
            server.stop()


def _emulator_running(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/_emulator/state", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def start_emulators(started: Started, ea_port: int, vn_port: int) -> tuple[str, str]:
    """Both emulators with their demo seeds, reusing ones already listening on the ports."""
    from vismasync.emulators.common import ThreadedServer
    from vismasync.emulators.eaccounting.server import create_app as eaccounting_app
    from vismasync.emulators.vismanet.server import create_app as vismanet_app
    from vismasync.emulators.vismanet.service import VismaNetService

    urls = []
    for port, make_app in ((ea_port, eaccounting_app), (vn_port, lambda: vismanet_app(
        VismaNetService("demo")))):  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        if not _emulator_running(url):
            server = ThreadedServer(make_app(), port=port)
            try:
                server.start()
            except (OSError, RuntimeError) as exc:
                raise DemoError(
                    f"Cannot start an emulator on port {port} ({exc}); free the port or pass "
                    "--eaccounting-port/--vismanet-port."
                ) from exc
            started.servers.append(server)
        urls.append(url)
    return urls[0], urls[1]


def start_serving(started: Started, address: PrefectServerAddress) -> subprocess.Popen:
    """`vismasync serve` in a child process: it owns the schedules and runs the flows."""
    log = vismasync_home() / "logs" / "serve.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PREFECT_RUNNER_POLL_FREQUENCY": "2"}
    command = [sys.executable, "-m", "vismasync", "serve"]
    command += ["--prefect-host", address.host, "--prefect-port", str(address.port)]
    with log.open("ab") as handle:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started.processes.append(process)
    return process


async def _deployment_id(client: Any, spec: DeploymentSpec) -> Any:
    flow_name = spec.load_flow().name
    deployment = await client.read_deployment_by_name(f"{flow_name}/{spec.name}")
    return deployment.id


def wait_for_deployments(
    specs: list[DeploymentSpec], serving: subprocess.Popen, timeout: float = 120
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    async def registered() -> bool:
        async with get_client() as client:
            try:
                for spec in specs:
                    await _deployment_id(client, spec)
            except ObjectNotFound:
                return False
        return True

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if serving.poll() is not None:
            raise DemoError(
                f"`vismasync serve` exited with code {serving.returncode}; see "
                f"{vismasync_home() / 'logs' / 'serve.log'}"
            )
        if asyncio.run(registered()):
            return
        time.sleep(1)
    raise DemoError("The deployments were not registered in time; see the serve log.")


def run_once(
    specs: list[DeploymentSpec],
    on_progress: Callable[[str], None] | None = None,
    timeout: float = 900,
) -> list[tuple[DeploymentSpec, Any]]:
    """Run every deployment once and wait for each run to finish, telling ``on_progress`` how
    far the running one is (from its progress artifact)."""
    from prefect.deployments import run_deployment

    runs = []
    for spec in specs:
        flow_run = run_deployment(f"{spec.load_flow().name}/{spec.name}", timeout=0, tags=["demo"])
        deadline = time.monotonic() + timeout
        while True:
            flow_run, progress = asyncio.run(_run_and_progress(flow_run.id))
            if flow_run.state is not None and flow_run.state.is_final():
                break
            if time.monotonic() > deadline:
                break
            if on_progress is not None and progress is not None:
                on_progress(f"{spec.flow}: {progress}")
            time.sleep(1)
        runs.append((spec, flow_run))
    return runs


async def _run_and_progress(flow_run_id: Any) -> tuple[Any, str | None]:
    """The flow run, and its progress artifact as text (None before the first batch)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterType,
        FlowRunFilter,
        FlowRunFilterId,
    )

    async with get_client() as client:
        flow_run = await client.read_flow_run(flow_run_id)
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(type=ArtifactFilterType(any_=["progress"])),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
        )
    if not artifacts:
        return flow_run, None
    latest = artifacts[-1]
    lines = (latest.description or "").split("; ")
    return flow_run, f"{float(latest.data or 0):.0f}%\n  " + "\n  ".join(lines)


async def _summary_rows(flow_run_id: Any) -> list[dict[str, Any]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterType,
        FlowRunFilter,
        FlowRunFilterId,
    )

    async with get_client() as client:
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(type=ArtifactFilterType(any_=["table"])),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
        )
    for artifact in artifacts:
        data = artifact.data
        if isinstance(data, str):
            import json

            data = json.loads(data)
        if isinstance(data, list):
            return data
    return []


def print_results(console: Console, runs: list[tuple[DeploymentSpec, Any]]) -> None:
    table = Table(title="First runs")
    for column in ("flow", "state", "entity"):
        table.add_column(column, overflow="fold")
    for column in ("read", "created", "updated", "unchanged", "skipped", "failed"):
        table.add_column(column, justify="right", min_width=len(column))
    for spec, flow_run in runs:
        state = flow_run.state.name if flow_run.state else "?"
        rows = asyncio.run(_summary_rows(flow_run.id)) or [{"entity": "-"}]
        for row in rows:
            table.add_row(
                spec.flow, state, str(row.get("entity", "")),
                *(str(row.get(k, "")) for k in ("read", "created", "updated", "unchanged",
                                                  "skipped", "failed")),
            )  # fmt: skip
    console.print(table)


def run_demo(
    *,
    once: bool,
    address: PrefectServerAddress,
    eaccounting_port: int = 8091,
    vismanet_port: int = 8092,
    console: Console | None = None,
) -> int:
    """The demo; returns the process exit code (non-zero when a first run did not complete)."""
    from vismasync.engine.clients import authorize_auto_approving_eaccounting

    console = console or Console()
    started = Started()
    try:
        with console.status("Starting the embedded PostgreSQL server ..."):
            location = server_location()
            get_engine()
        with console.status(f"Starting the Prefect server on {address.ui_url} ..."):
            if not is_healthy(address):
                process = start_prefect_server(
                    location, address, retention_days=prefect_retention_days()
                )
                started.processes.append(process)
                wait_until_healthy(address, process=process)
            use_server(address)
        with console.status("Starting the eAccounting and Visma.net emulators ..."):
            ea_url, vn_url = start_emulators(started, eaccounting_port, vismanet_port)
        if started.servers and forget_integration(get_engine(), DEMO_INTEGRATION):
            # Emulators started here hold their demo seed, not what earlier runs wrote: a
            # ledger from those runs would describe records that no longer exist.
            console.print(
                "The emulators started from their demo seed, so the demo integration starts "
                "afresh too (its ledger, watermarks and authorization were reset)."
            )
        write_demo_config(config_dir(), DEMO_INTEGRATION, ea_url, vn_url)
        config = load_integration(DEMO_INTEGRATION)
        authorize_auto_approving_eaccounting(config)
        specs = deployment_specs(config)
        with console.status("Registering and serving the deployments ..."):
            serving = start_serving(started, address)
            wait_for_deployments(specs, serving)
        with console.status("Running every enabled flow once ...") as status:
            shown: list[str] = []

            def show(text: str) -> None:
                if console.is_terminal:
                    status.update(text)
                elif not shown or shown[-1] != text:  # not a terminal: each change, once
                    shown.append(text)
                    console.print(text, markup=False, highlight=False)

            runs = run_once([spec for spec in specs if spec.sync], on_progress=show)
        print_results(console, runs)
        failed = [spec.flow for spec, run in runs if not (run.state and run.state.is_completed())]
        console.print(
            f"\nPrefect UI: [bold]{address.ui_url}[/bold]  (runs, artifacts, schedules)\n"
            f"eAccounting emulator: {ea_url}   Visma.net emulator: {vn_url}"
        )
        if once:
            return 1 if failed else 0
        console.print("Serving the schedules; press Ctrl-C to stop everything.")
        try:
            serving.wait()
        except KeyboardInterrupt:
            console.print("Stopping ...")
        return 0
    finally:
        started.stop()
