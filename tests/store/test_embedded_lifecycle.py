"""The embedded server stops when the last live process using it exits, even after SIGKILLs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

# A process that attaches to the embedded server, proves it answers, says so, and then waits
# for its stdin to close (or for a signal).
ATTACH = """
import sys
import sqlalchemy as sa
from pathlib import Path
from vismasync.store.database import start_embedded_server
location = start_embedded_server(Path(sys.argv[1]))
engine = sa.create_engine(location.url, poolclass=sa.NullPool)
with engine.connect() as conn:
    assert conn.execute(sa.text("SELECT 1")).scalar() == 1
print("ready", flush=True)
sys.stdin.read()
"""


def _attach(data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen(
        [sys.executable, "-c", ATTACH, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def _leave(process: subprocess.Popen) -> None:
    assert process.stdin is not None
    process.stdin.close()
    assert process.wait(60) == 0


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)  # reaped: its id is dead, not a zombie


def _postmaster(data_dir: Path) -> int | None:
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return None
    return int(pid_file.read_text().splitlines()[0])


def _server_running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _wait_stopped(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _server_running(pid):
            return
        time.sleep(0.2)
    raise AssertionError(f"the server (pid {pid}) still runs")


@pytest.fixture
def data_dir():
    # Short path: the server's Unix socket lives in it.
    with tempfile.TemporaryDirectory(prefix="vs-pg-") as directory:
        yield Path(directory) / "pgdata"
        server = _postmaster(Path(directory) / "pgdata")
        if server is not None and _server_running(server):
            os.kill(server, signal.SIGTERM)
            _wait_stopped(server)


@pytest.mark.timeout(300)
def test_the_last_live_process_stops_the_server_after_sigkills(data_dir):
    killed = _attach(data_dir)
    server = _postmaster(data_dir)
    assert server is not None
    _kill(killed)
    assert _server_running(server)  # left running by the killed process

    first = _attach(data_dir)  # recovers the running server
    second = _attach(data_dir)
    assert _postmaster(data_dir) == server
    also_killed = _attach(data_dir)
    _kill(also_killed)

    _leave(first)
    assert _server_running(server)  # `second` still uses it
    _leave(second)
    _wait_stopped(server)
    assert json.loads((data_dir / ".handle_pids.json").read_text()) == []

    # The next process starts it again.
    again = _attach(data_dir)
    restarted = _postmaster(data_dir)
    assert restarted is not None and restarted != server
    _leave(again)
    _wait_stopped(restarted)
