"""Both Visma emulators as separate processes on free ports of 127.0.0.1, so the benchmark
process's CPU and memory are the sync's own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU of another process so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass
class EmulatorProcess:
    """``vismasync emulator <kind>`` on a free port of 127.0.0.1, stopped on exit."""

    kind: str  # "eaccounting" or "vismanet"
    seed: str  # "demo" or a seed file
    log: Path
    port: int = 0
    options: tuple[str, ...] = ()  # more command-line options, e.g. ("--rate-limit", "125")
    process: subprocess.Popen[bytes] | None = None
    admin: httpx.Client = field(init=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        for _ in range(3):  # the free port may be taken between the probe and the bind
            self.port = _free_port()
            command = [
                sys.executable, "-m", "vismasync", "emulator", self.kind,
                "--host", "127.0.0.1", "--port", str(self.port), "--seed", self.seed, *self.options,
            ]  # fmt: skip
            path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
            env = dict(os.environ, PYTHONPATH=path)
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
                )
            # Generous: resetting a company of 100,000 orders copies all of them.
            self.admin = httpx.Client(base_url=self.base_url, timeout=900)
            deadline = time.monotonic() + timeout
            while self.process.poll() is None and time.monotonic() < deadline:
                try:
                    if self.admin.get("/_emulator/state").status_code == 200:
                        return
                except httpx.TransportError:
                    time.sleep(0.2)
            self.stop()
        raise RuntimeError(f"the {self.kind} emulator did not start; see {self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def reset(self) -> None:
        """State back to the startup seed, counts cleared."""
        self.admin.post("/_emulator/reset").raise_for_status()

    def load_seed(self, document: Any) -> None:
        self.admin.post("/_emulator/seed", json=document).raise_for_status()

    def clear_counts(self) -> None:
        self.admin.delete("/_emulator/requests").raise_for_status()

    def counts(self) -> dict[str, Any]:
        return self.admin.get("/_emulator/requests").json()

    def cpu_seconds(self) -> float:
        return _process_cpu_seconds(self.process.pid) if self.process else 0.0


@contextmanager
def emulator_processes(
    workdir: Path, seed_file: Path, vismanet_budget: int | None = None
) -> Iterator[dict[str, EmulatorProcess]]:
    """Both emulators as processes; ``vismanet_budget``: Visma.net's hourly budget (default the
    real 15,000)."""
    budget = ("--rate-limit", str(vismanet_budget)) if vismanet_budget else ()
    emulators = {
        "eaccounting": EmulatorProcess("eaccounting", str(seed_file), workdir / "eaccounting.log"),
        "vismanet": EmulatorProcess("vismanet", "demo", workdir / "vismanet.log", options=budget),
    }
    try:
        for emulator in emulators.values():
            emulator.start()
        yield emulators
    finally:
        for emulator in emulators.values():
            emulator.stop()


def isolated_home(prefix: str) -> Path:
    """A benchmark process's own temporary home: vismasync's and Prefect's state and the
    integrations' files live there, and SIGTERM ends the process through its ``finally``
    blocks, so emulator processes are stopped however the benchmark ends."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    home = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.setdefault("VISMASYNC_HOME", str(home / "home"))
    os.environ["VISMASYNC_CONFIG_DIR"] = str(home / "integrations")
    os.environ["PREFECT_HOME"] = str(home / "prefect")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    return home
