"""Retention of what the ledger says about records: error messages expire, keys stay.

Messages can name customers or carry e-mail addresses, so they are removed once a row has not
changed for the retention period. Keys, hashes and statuses stay: they are what prevents
duplicates, and they carry no business data.
"""

from __future__ import annotations

import os
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from vismasync.store.models import Integration, LedgerRow

DEFAULT_MESSAGE_RETENTION_DAYS = 90
EXPIRED_MESSAGE = "(message removed after the retention period)"


def message_retention_days() -> int:
    """``VISMASYNC_LEDGER_MESSAGE_RETENTION_DAYS`` (default 90)."""
    raw = os.environ.get("VISMASYNC_LEDGER_MESSAGE_RETENTION_DAYS")
    if raw is None:
        return DEFAULT_MESSAGE_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise ValueError(
            f"VISMASYNC_LEDGER_MESSAGE_RETENTION_DAYS must be a whole number of days, not {raw!r}"
        ) from None
    if days < 1:
        raise ValueError("VISMASYNC_LEDGER_MESSAGE_RETENTION_DAYS must be at least 1")
    return days


def expire_messages(engine: Engine, older_than: timedelta, integration: str | None = None) -> int:
    """Replace the messages of rows unchanged for ``older_than`` (of one ``integration``, or
    of all); returns how many."""
    conditions = [
        LedgerRow.message.is_not(None),
        LedgerRow.message != EXPIRED_MESSAGE,
        LedgerRow.updated_at < sa.func.now() - older_than,
    ]
    if integration is not None:
        owner = sa.select(Integration.id).where(Integration.name == integration)
        conditions.append(LedgerRow.integration_id.in_(owner.scalar_subquery()))
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(LedgerRow).where(*conditions).values(message=EXPIRED_MESSAGE)
        )
        return result.rowcount
