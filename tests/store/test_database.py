"""Choosing the database server."""

from __future__ import annotations

import pytest

from vismasync.store.database import (
    DatabaseUnavailable,
    embedded_data_dir,
    external_server,
    redacted,
    server_location,
    start_embedded_server,
)


def test_database_url_wins_and_gets_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://sync:pw@db.internal:5433/state")
    location = server_location()
    assert not location.embedded
    assert location.url.drivername == "postgresql+psycopg"
    assert location.url.host == "db.internal"
    assert "pw" not in redacted(location.url)


def test_non_postgres_url_is_refused():
    with pytest.raises(DatabaseUnavailable, match="PostgreSQL"):
        external_server("sqlite:///state.db")


def test_embedded_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("VISMASYNC_PGDATA", raising=False)
    monkeypatch.setenv("VISMASYNC_HOME", str(tmp_path))
    assert embedded_data_dir() == tmp_path / "pgdata"
    monkeypatch.setenv("VISMASYNC_PGDATA", str(tmp_path / "elsewhere"))
    assert embedded_data_dir() == tmp_path / "elsewhere"


def test_unusable_data_directory_is_explained(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseUnavailable, match="VISMASYNC_PGDATA"):
        start_embedded_server(blocker / "pgdata")


def test_embedded_server_is_started_once_and_reused(pg_server, tmp_path):
    data_dir = (
        pg_server.data_dir if pg_server.embedded and pg_server.data_dir else tmp_path / "pgdata"
    )
    first = start_embedded_server(data_dir)
    again = start_embedded_server(data_dir)
    assert first.embedded and again.url == first.url
    assert (data_dir / "PG_VERSION").exists()
