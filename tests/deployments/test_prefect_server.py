"""The Prefect server vismasync starts keeps flow runs for the retention period only."""

from __future__ import annotations

from sqlalchemy.engine import URL

from vismasync.deployments.prefect_server import PrefectServerAddress, server_settings
from vismasync.store.database import ServerLocation


def test_the_retention_reaches_prefects_vacuum_service(monkeypatch):
    from prefect.settings import Settings

    location = ServerLocation(URL.create("postgresql+psycopg", database="postgres"), True)
    settings = server_settings(location, PrefectServerAddress(), retention_days=7)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)

    vacuum = Settings().server.services.db_vacuum
    assert vacuum.enabled_vacuum_types >= {"events", "flow_runs"}
    assert vacuum.retention_period.total_seconds() == 7 * 24 * 3600
