"""The README's first command, end to end: `vismasync demo --once` as a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from vismasync.deployments.prefect_server import PrefectServerAddress, is_healthy


def test_demo_once_runs_every_flow_and_stops_what_it_started(tmp_path, free_port):
    prefect, eaccounting, vismanet = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "VISMASYNC_HOME": str(tmp_path / "home"),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "COLUMNS": "200",
    }
    env.pop("VISMASYNC_CONFIG_DIR", None)
    env.pop("PREFECT_API_URL", None)

    result = subprocess.run(
        [sys.executable, "-m", "vismasync", "demo", "--once",
         "--prefect-port", str(prefect), "--eaccounting-port", str(eaccounting),
         "--vismanet-port", str(vismanet)],
        env=env, capture_output=True, text=True, timeout=400,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "First runs" in result.stdout
    order_row = next(line for line in result.stdout.splitlines() if "│ order" in line)
    cells = [cell.strip() for cell in order_row.split("│") if cell.strip()]
    assert cells[:3] == ["sales_orders", "Completed", "order"]
    assert int(cells[4]) > 100  # created
    assert f"Prefect UI: http://127.0.0.1:{prefect}" in result.stdout
    assert (tmp_path / "home" / "integrations" / "demo.yaml").exists()
    # Everything it started is stopped again.
    assert not is_healthy(PrefectServerAddress(port=prefect))
    for port in (eaccounting, vismanet):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
