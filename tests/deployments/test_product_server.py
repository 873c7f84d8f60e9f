"""`vismasync run` reports to the product's Prefect server, started once and then reused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).parents[2]


def _vismasync(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vismasync", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def _flow_runs(api_url: str, tag: str) -> list[dict]:
    body = {"flow_runs": {"tags": {"all_": [tag]}}}
    response = httpx.post(f"{api_url}/flow_runs/filter", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.mark.timeout(600)
def test_runs_start_the_server_once_then_reuse_it(engine, tmp_path, free_port, integration):
    api_url = f"http://127.0.0.1:{free_port()}/api"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "VISMASYNC_HOME": str(tmp_path / "home"),
        "VISMASYNC_CONFIG_DIR": str(tmp_path / "integrations"),
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(tmp_path / "prefect"),
    }
    pid_file = tmp_path / "home" / "prefect-server.pid"
    try:
        first = _vismasync("run", "stock", "--integration", integration, env=env)
        assert first.returncode == 2, first.stdout + first.stderr
        assert "Starting the Prefect server" in first.stderr
        assert f"no integration named '{integration}'" in first.stderr
        server_pid = pid_file.read_text().split()[0]

        second = _vismasync("run", "customers", "--integration", integration, env=env)
        assert second.returncode == 2, second.stdout + second.stderr
        assert "Starting the Prefect server" not in second.stderr
        assert pid_file.read_text().split()[0] == server_pid

        # The server's database may be shared with other tests' servers: this test's runs only.
        runs = _flow_runs(api_url, f"integration:{integration}")
        assert sorted(run["state_type"] for run in runs) == ["FAILED", "FAILED"]
        assert all(run["state"]["message"].startswith("Not started: ") for run in runs)
    finally:
        stopped = _vismasync("server", "--stop", env=env)
    assert stopped.returncode == 0 and "Stopped." in stopped.stdout, stopped.stderr
    assert not pid_file.exists()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{api_url}/health", timeout=2)
