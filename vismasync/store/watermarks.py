"""Watermarks: how far each flow has read its source, never past an unsettled record."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from vismasync.store.integrations import integration_id
from vismasync.store.models import UNSETTLED_STATUSES, LedgerRow, Watermark


class Watermarks:
    """The cursor of one (integration, flow, entity)."""

    def __init__(self, engine: Engine, integration: str, flow: str, entity: str):
        self.engine = engine
        self.flow = flow
        self.entity = entity
        with engine.begin() as conn:
            self.integration_id = integration_id(conn, integration)

    def _key(self) -> sa.ColumnElement[bool]:
        return sa.and_(
            Watermark.integration_id == self.integration_id,
            Watermark.flow == self.flow,
            Watermark.entity == self.entity,
        )

    def get(self) -> datetime | None:
        """The cursor, or None when the flow has never completed a read."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(Watermark.cursor).where(self._key())).scalar()

    def oldest_unsettled(self) -> datetime | None:
        """Change time of the oldest record still pending or in flight."""
        with self.engine.connect() as conn:
            return conn.execute(self._oldest_unsettled_query()).scalar()

    def _oldest_unsettled_query(self) -> sa.Select:
        return sa.select(sa.func.min(LedgerRow.source_changed_at)).where(
            LedgerRow.integration_id == self.integration_id,
            LedgerRow.flow == self.flow,
            LedgerRow.entity == self.entity,
            LedgerRow.status.in_([str(s) for s in UNSETTLED_STATUSES]),
        )

    def advance(self, to: datetime) -> datetime:
        """Move the cursor towards ``to``; returns where it actually is afterwards.

        The cursor stops at the change time of the oldest unsettled record (so the next read,
        which uses ``>=``, sees that record again) and never moves backwards.
        """
        with self.engine.begin() as conn:
            # Lock the cursor row first: two advances of one cursor serialise here.
            created = conn.execute(
                insert(Watermark)
                .values(
                    integration_id=self.integration_id,
                    flow=self.flow,
                    entity=self.entity,
                    cursor=to,
                )
                .on_conflict_do_nothing()
                .returning(Watermark.cursor)
            ).first()
            current = conn.execute(
                sa.select(Watermark.cursor).where(self._key()).with_for_update()
            ).scalar_one()
            blocking = conn.execute(self._oldest_unsettled_query()).scalar()
            target = min(to, blocking) if blocking is not None else to
            new = target if created is not None else max(current, target)
            conn.execute(
                sa.update(Watermark).where(self._key()).values(cursor=new, updated_at=sa.func.now())
            )
            return new
