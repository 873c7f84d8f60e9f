"""A local Prefect server (API + UI) whose database lives on the state PostgreSQL server.

Used by `vismasync demo` and `vismasync server`: one PostgreSQL server holds both vismasync's
state database and Prefect's own database, so there is one thing to back up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from vismasync.store.database import ServerLocation, ensure_database, vismasync_home

PREFECT_DATABASE = "prefect"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200


class PrefectServerError(RuntimeError):
    """The Prefect server did not start or did not become healthy."""


@dataclass(frozen=True)
class PrefectServerAddress:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.ui_url}/api"


def server_settings(
    location: ServerLocation,
    address: PrefectServerAddress,
    *,
    retention_days: int | None = None,
    database: str = PREFECT_DATABASE,
) -> dict[str, str]:
    """Environment for the server process: its database, the UI address, and the tuning that
    keeps task-run recording from falling behind (reference measurements: batch size 1 left a
    20-30 s backlog after 1,000 task runs, 200 cut it to about a second)."""
    settings = {
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": location.database_url(
            database, driver="asyncpg"
        ).render_as_string(hide_password=False),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "200",
        "PREFECT_UI_URL": address.ui_url,
        "PREFECT_API_URL": address.api_url,
        "PREFECT_SERVER_API_HOST": address.host,
        "PREFECT_SERVER_API_PORT": str(address.port),
        "PREFECT_HOME": os.environ.get("PREFECT_HOME", str(vismasync_home() / "prefect")),
    }
    if retention_days is not None:
        settings["PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED"] = "events,flow_runs"
        settings["PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD"] = str(
            retention_days * 24 * 3600
        )
    return settings


DEFAULT_RETENTION_DAYS = 30


def prefect_retention_days() -> int:
    """How long the Prefect server keeps finished flow runs, their logs and artifacts
    (``VISMASYNC_PREFECT_RETENTION_DAYS``, default 30)."""
    raw = os.environ.get("VISMASYNC_PREFECT_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS))
    try:
        days = int(raw)
    except ValueError:
        raise PrefectServerError(
            f"VISMASYNC_PREFECT_RETENTION_DAYS must be a whole number of days, not {raw!r}"
        ) from None
    if days < 1:
        raise PrefectServerError("VISMASYNC_PREFECT_RETENTION_DAYS must be at least 1")
    return days


def is_healthy(address: PrefectServerAddress, timeout: float = 2.0) -> bool:
    try:
        response = httpx.get(f"{address.api_url}/health", timeout=timeout)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def wait_until_healthy(
    address: PrefectServerAddress,
    timeout: float = 90.0,
    process: subprocess.Popen | None = None,
) -> None:
    """Poll ``/api/health`` until it answers; fail early if the server process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_healthy(address):
            return
        if process is not None and process.poll() is not None:
            raise PrefectServerError(
                f"The Prefect server exited with code {process.returncode} before it was ready; "
                f"see {log_path()}"
            )
        time.sleep(0.5)
    raise PrefectServerError(
        f"The Prefect server at {address.api_url} was not healthy after {timeout:.0f} s; "
        f"see {log_path()}"
    )


def log_path() -> Path:
    return vismasync_home() / "logs" / "prefect-server.log"


def start_prefect_server(
    location: ServerLocation,
    address: PrefectServerAddress,
    *,
    retention_days: int | None = None,
    database: str = PREFECT_DATABASE,
) -> subprocess.Popen:
    """Start `prefect server start` on ``address`` with its ``database`` on ``location``.

    Its vacuum service deletes finished flow runs, their logs and artifacts after
    ``retention_days`` (default: ``VISMASYNC_PREFECT_RETENTION_DAYS``, 30).
    """
    if retention_days is None:
        retention_days = prefect_retention_days()
    ensure_database(location, database)
    settings = server_settings(location, address, retention_days=retention_days, database=database)
    env = {**os.environ, **settings}
    log = log_path()
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "prefect", "server", "start"]
    command += ["--host", address.host, "--port", str(address.port)]
    with log.open("ab") as handle:
        return subprocess.Popen(
            command,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(process: subprocess.Popen, timeout: float = 15.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def use_server(address: PrefectServerAddress) -> None:
    """Point this process, and every process it starts, at the server at ``address``."""
    from prefect.context import refresh_global_settings_context

    os.environ["PREFECT_API_URL"] = address.api_url
    os.environ["PREFECT_UI_URL"] = address.ui_url
    refresh_global_settings_context()
