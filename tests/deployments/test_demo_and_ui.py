"""The README's first command end to end, and the Prefect UI as a user sees it afterwards.

`vismasync demo --once` runs as a real process against a Prefect server that is already
running (it must reuse it), then headless Chromium renders the UI pages a user checks.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from vismasync.deployments.prefect_server import (
    PrefectServerAddress,
    is_healthy,
    start_prefect_server,
    stop_process,
    wait_until_healthy,
)

OUTPUT = Path(__file__).parents[2] / "test-output"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1400,1000",
]  # fmt: skip


@dataclass(frozen=True)
class DemoRun:
    result: subprocess.CompletedProcess
    prefect: PrefectServerAddress
    emulator_ports: tuple[int, int]
    home: Path


@pytest.fixture(scope="module")
def ui_prefect(pg_server) -> Iterator[PrefectServerAddress]:
    """A Prefect server of this module's own (own database): what the UI shows is only the
    demo's, whatever other tests ran before."""
    address = PrefectServerAddress(port=_free_port())
    process = start_prefect_server(pg_server, address, database="prefect_demo_ui")
    try:
        wait_until_healthy(address, process=process)
        yield address
    finally:
        stop_process(process)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def demo_run(ui_prefect, tmp_path_factory) -> DemoRun:
    real_prefect = ui_prefect
    ports = [_free_port(), _free_port()]
    home = tmp_path_factory.mktemp("demo-home")
    env = {**os.environ, "VISMASYNC_HOME": str(home), "COLUMNS": "200"}
    for name in ("VISMASYNC_CONFIG_DIR", "PREFECT_API_URL", "DATABASE_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "vismasync", "demo", "--once",
         "--prefect-port", str(real_prefect.port),
         "--eaccounting-port", str(ports[0]), "--vismanet-port", str(ports[1])],
        env=env, capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    return DemoRun(result, real_prefect, (ports[0], ports[1]), home)


def test_demo_once_runs_every_flow_then_stops_what_it_started(demo_run):
    result = demo_run.result
    assert result.returncode == 0, result.stdout + result.stderr
    assert "First runs" in result.stdout
    order_row = next(line for line in result.stdout.splitlines() if "│ order" in line)
    cells = [cell.strip() for cell in order_row.split("│") if cell.strip()]
    assert cells[:3] == ["sales_orders", "Completed", "order"]
    assert int(cells[4]) > 100  # created
    # How far each run is, from its progress artifact (plain lines: not a terminal).
    progress = [line for line in result.stdout.splitlines() if line.startswith("  order: read")]
    assert progress and all(len(line) <= 80 for line in progress)
    assert f"Prefect UI: {demo_run.prefect.ui_url}" in result.stdout
    assert (demo_run.home / "integrations" / "demo.yaml").exists()
    # It reused the running Prefect server (and left it running); its own emulators are gone.
    assert is_healthy(demo_run.prefect)
    for port in demo_run.emulator_ports:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"


def _render(url: str, profile: Path, screenshot: Path | None = None) -> str:
    """The page's DOM after its scripts ran (and optionally a screenshot of it)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is missing: ./scripts/test installs Debian's chromium package"
    flags = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=20000"]
    if screenshot is not None:
        subprocess.run([chromium, *flags, f"--screenshot={screenshot}", url],
                       capture_output=True, timeout=120, check=True)  # fmt: skip
    page = subprocess.run([chromium, *flags, "--dump-dom", url],
                          capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    return page.stdout


def test_the_demo_is_true_on_every_start(demo_run):
    """Fresh emulators hold the demo seed again: the demo integration starts afresh, says so,
    and its first runs create the records again instead of trusting an old ledger."""
    ports = [_free_port(), _free_port()]
    env = {**os.environ, "VISMASYNC_HOME": str(demo_run.home), "COLUMNS": "200"}
    for name in ("VISMASYNC_CONFIG_DIR", "PREFECT_API_URL", "DATABASE_URL"):
        env.pop(name, None)
    again = subprocess.run(
        [sys.executable, "-m", "vismasync", "demo", "--once",
         "--prefect-port", str(demo_run.prefect.port),
         "--eaccounting-port", str(ports[0]), "--vismanet-port", str(ports[1])],
        env=env, capture_output=True, text=True, timeout=400,
    )  # fmt: skip

    assert again.returncode == 0, again.stdout + again.stderr
    assert "the demo integration starts afresh" in again.stdout
    order_row = next(line for line in again.stdout.splitlines() if "│ order" in line)
    cells = [cell.strip() for cell in order_row.split("│") if cell.strip()]
    assert int(cells[4]) > 100  # created again in the fresh emulator


def test_the_prefect_ui_shows_deployments_runs_and_the_summary(demo_run, tmp_path):
    assert demo_run.result.returncode == 0
    OUTPUT.mkdir(exist_ok=True)
    ui = demo_run.prefect.ui_url

    deployments = _render(f"{ui}/deployments", tmp_path / "p1")
    runs = _render(f"{ui}/runs", tmp_path / "p2", screenshot=OUTPUT / "prefect-ui-runs.png")
    # Under CPU load the headless browser sometimes dumps the page before the app rendered
    # (an empty shell): render again, a few times at most.
    for attempt in range(3):
        artifacts = _render(f"{ui}/artifacts", tmp_path / f"p3-{attempt}")
        if "demo-sales-orders-summary" in artifacts:
            break

    assert "sync-sales-orders" in deployments and "demo" in deployments
    assert "Completed" in runs
    assert "demo-sales-orders-summary" in artifacts
    assert (OUTPUT / "prefect-ui-runs.png").stat().st_size > 10_000
