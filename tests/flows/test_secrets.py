"""No secret is ever stored or printed in clear text.

Every flow runs against both emulators (with failures, a token expiry and a refresh on the
way, so error paths log and publish too); afterwards the captured stdout and stderr, the
Prefect logs and artifacts, the Prefect database file and every table of the state database
are searched for both client secrets and for every access and refresh token the emulators
issued during the run.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

from vismasync.deployments.demo_integration import EACCOUNTING_DEMO_CLIENT, VISMANET_DEMO_CLIENT
from vismasync.emulators.eaccounting.oauth import IdentityServer
from vismasync.emulators.vismanet.auth import TokenIssuer
from vismasync.flows.catalog import SYNC_FLOWS, load_flow
from vismasync.store.database import get_engine


def _record_tokens(monkeypatch) -> list[str]:
    issued: list[str] = []
    ea_issue, vn_issue = IdentityServer._issue, TokenIssuer.issue

    def ea(self, grant):
        answer = ea_issue(self, grant)
        issued.extend(str(answer[k]) for k in ("access_token", "refresh_token") if k in answer)
        return answer

    def vn(self, form):
        answer = vn_issue(self, form)
        issued.append(str(answer["access_token"]))
        return answer

    monkeypatch.setattr(IdentityServer, "_issue", ea)
    monkeypatch.setattr(TokenIssuer, "issue", vn)
    return issued


def _prefect_texts() -> list[str]:
    """Every log line and artifact of the Prefect server, as text."""
    APILogWorker.drain_all(timeout=10)

    async def read() -> list[str]:
        texts: list[str] = []
        async with get_client() as client:
            for reader, render in (
                (lambda o: client.read_logs(LogFilter(), limit=200, offset=o),
                 lambda log: log.message),
                (lambda o: client.read_artifacts(limit=200, offset=o),
                 lambda a: f"{a.data} {a.description}"),
                (lambda o: client.read_flow_runs(limit=200, offset=o),
                 lambda r: f"{r.parameters} {r.state}"),
            ):  # fmt: skip
                offset = 0
                while page := await reader(offset):
                    texts.extend(render(item) for item in page)
                    offset += len(page)
        return texts

    from prefect.utilities.asyncutils import run_coro_as_sync

    return run_coro_as_sync(read())


def _prefect_database() -> bytes:
    """The Prefect database's raw bytes (file and write-ahead log), and its rows as text."""
    url = str(PREFECT_API_DATABASE_CONNECTION_URL.value() or "")
    path = Path(url.split("///", 1)[-1]) if "sqlite" in url else None
    assert path is not None and path.exists(), f"expected the test server's SQLite file: {url}"
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [repr(row) for t in tables for row in db.execute(f'SELECT * FROM "{t}"')]
    return raw + "\n".join(rows).encode()


def _state_database() -> str:
    """Every row of every table of the state database, as text."""
    engine = get_engine()
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as conn:
        return "\n".join(repr(row) for table in metadata.sorted_tables
                         for row in conn.execute(sa.select(table)))  # fmt: skip


def test_no_secret_or_token_is_kept_or_printed(demo, monkeypatch, capfd):
    issued = _record_tokens(monkeypatch)
    # Tokens issued before the recording started (the demo's authorisation) count too.
    demo.eaccounting.admin.post("/_emulator/tokens/expire").raise_for_status()
    demo.vismanet.admin.post("/_emulator/tokens/expire").raise_for_status()
    # Some writes fail on the way: error paths log, count and publish as well.
    demo.vismanet.admin.put("/_emulator/faults", json={
        "path_prefix": "/API/v1/customer", "methods": ["POST"], "error_rate": 0.5, "seed": 3,
    }).raise_for_status()  # fmt: skip

    for spec in SYNC_FLOWS:
        load_flow(spec)(demo.name)
        demo.eaccounting.admin.post("/_emulator/tokens/expire").raise_for_status()
        demo.vismanet.admin.post("/_emulator/tokens/expire").raise_for_status()
    demo.vismanet.admin.delete("/_emulator/faults").raise_for_status()
    load_flow(SYNC_FLOWS[0])(demo.name)

    assert len(issued) >= 2 * len(SYNC_FLOWS), "expected fresh tokens for every run"
    secrets = {
        "eAccounting client secret": EACCOUNTING_DEMO_CLIENT[1],
        "Visma.net client secret": VISMANET_DEMO_CLIENT[1],
        **{f"token {i}": token for i, token in enumerate(issued)},
    }
    captured = capfd.readouterr()
    places = {
        "stdout": captured.out,
        "stderr": captured.err,
        "Prefect logs, artifacts and runs": "\n".join(_prefect_texts()),
        "Prefect database": _prefect_database().decode("utf-8", "replace"),
        "state database": _state_database(),
    }
    # The scan reads real content: what the runs wrote is there, only the secrets are not.
    assert "sync-sales-orders" in places["Prefect database"]
    assert demo.name in places["state database"] and "oauth_token" not in secrets
    assert any("created" in t for t in places["Prefect logs, artifacts and runs"].splitlines())
    leaks = [(what, where) for what, value in secrets.items()
             for where, text in places.items() if value in text]  # fmt: skip
    assert not leaks, f"secrets in clear text: {leaks}"
