"""Daily maintenance of one integration: retention of what the state database says.

Error messages in the ledger can name customers; rows unchanged for
``VISMASYNC_LEDGER_MESSAGE_RETENTION_DAYS`` (default 90) lose them, keys and statuses stay
(see :mod:`vismasync.store.retention`). Flow runs, logs and artifacts on the Prefect server are
removed by the server's own vacuum service, which vismasync turns on for every Prefect server it
starts (``VISMASYNC_PREFECT_RETENTION_DAYS``, default 30); a server run by hand needs the
settings named in docs/operations.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect import flow

from vismasync.store.database import get_engine
from vismasync.store.retention import expire_messages, message_retention_days


@flow(name="maintenance", log_prints=False)
def maintenance(integration: str = "demo", message_retention: int | None = None) -> dict[str, Any]:
    """Remove ledger error messages older than the retention period for this integration.

    Args:
        integration: the integration's name (its configuration file).
        message_retention: days to keep error messages; empty:
            VISMASYNC_LEDGER_MESSAGE_RETENTION_DAYS (default 90).
    """
    days = message_retention or message_retention_days()
    removed = expire_messages(get_engine(), timedelta(days=days), integration=integration)
    summary = (
        f"maintenance for {integration}: removed {removed} ledger message(s) of rows unchanged "
        f"for {days} days"
    )
    return {"summary": summary, "failed": 0, "messages_removed": removed}
