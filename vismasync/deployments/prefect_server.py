"""A local Prefect server (API + UI) whose database lives on the state PostgreSQL server.

Used by `vismasync demo` and `vismasync server`: one PostgreSQL server holds both vismasync's
state database and Prefect's own database, so there is one thing to back up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
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


# --- The product's Prefect server, shared by every command that runs flows ----------------------
# `vismasync run` (and `failures retry`, `reconcile`) report to the Prefect server named by
# PREFECT_API_URL, or else to the product's own at 127.0.0.1:4200. When nothing answers at a
# local address, they start `vismasync server` there in the background: it keeps running for the
# next commands (no temporary server per run) until `vismasync server --stop`.


def pid_path() -> Path:
    return vismasync_home() / "prefect-server.pid"


def configured_address() -> tuple[PrefectServerAddress, bool]:
    """The Prefect server commands report to, and whether ``PREFECT_API_URL`` names it."""
    from urllib.parse import urlsplit

    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        return PrefectServerAddress(), False
    parts = urlsplit(url)
    return PrefectServerAddress(parts.hostname or DEFAULT_HOST, parts.port or 80), True


def _is_local(address: PrefectServerAddress) -> bool:
    return address.host in ("127.0.0.1", "localhost", "::1")


def ensure_prefect_server(on_start: Callable[[str], None] | None = None) -> PrefectServerAddress:
    """The Prefect server to report to, started in the background when none answers locally.

    Raises:
        PrefectServerError: a remote ``PREFECT_API_URL`` does not answer, or the server did not
            become healthy.
    """
    from prefect.settings import PREFECT_API_URL

    address, configured = configured_address()
    if configured and not address.api_url.startswith(PREFECT_API_URL.value().rstrip("/")):
        # A URL this module would not build (a path prefix, https): use it as it is.
        return address
    if not is_healthy(address):
        if configured and not _is_local(address):
            raise PrefectServerError(
                f"The Prefect server at {address.api_url} (PREFECT_API_URL) does not answer: "
                "start it, or unset PREFECT_API_URL to use vismasync's own."
            )
        _start_in_background(address, on_start)
    if not configured:
        use_server(address)
    return address


def _start_in_background(
    address: PrefectServerAddress, on_start: Callable[[str], None] | None
) -> None:
    import fcntl

    lock_file = vismasync_home() / "prefect-server.lock"
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two commands at once start one server
        if is_healthy(address):
            return
        if on_start is not None:
            on_start(
                f"Starting the Prefect server at {address.ui_url} ...\n(it keeps running "
                "for later runs; `vismasync server --stop` stops it)"
            )
        log = log_path()
        log.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "vismasync", "server"]
        command += ["--prefect-host", address.host, "--prefect-port", str(address.port)]
        with log.open("ab") as handle:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until_healthy(address, timeout=120, process=process)


def run_server(address: PrefectServerAddress) -> int:
    """`vismasync server`: the product's Prefect server in the foreground, with its database
    on the state PostgreSQL server (this process keeps the embedded one running). Stops on
    SIGTERM or Ctrl-C; returns the exit code."""
    import signal

    from vismasync.store.database import server_location

    if is_healthy(address):
        raise PrefectServerError(f"A Prefect server already answers at {address.api_url}")
    process = start_prefect_server(server_location(), address)
    pid_file = pid_path()
    pid_file.write_text(f"{os.getpid()}\n{address.api_url}\n")

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        wait_until_healthy(address, process=process)
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_process(process)
        if pid_file.exists() and pid_file.read_text().split("\n")[0] == str(os.getpid()):
            pid_file.unlink()


def stop_server(timeout: float = 30.0) -> bool:
    """Stop the background server `vismasync server` wrote its pid for; False when none."""
    import signal

    pid_file = pid_path()
    try:
        pid = int(pid_file.read_text().split("\n")[0])
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        pid_file.unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        time.sleep(0.2)
    raise PrefectServerError(f"The Prefect server process {pid} did not stop in {timeout:.0f} s")
