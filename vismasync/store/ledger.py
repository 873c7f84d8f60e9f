"""The sync ledger: what happened to each source record, and who may write it now.

The exactly-once protocol (docs/architecture.md) rests on :meth:`Ledger.claim`: a create is only
sent by the caller that owns the claim, and a claim found ``in_flight`` from an earlier run means
that run's write has an unknown outcome, so the new owner must look the record up in the target
before writing again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from vismasync.store.integrations import integration_id
from vismasync.store.models import SETTLED, Integration, LedgerRow, LedgerStatus

MAX_MESSAGE_LENGTH = 4000


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger row as read back."""

    integration: str
    flow: str
    entity: str
    source_key: str
    status: LedgerStatus
    target_key: str | None
    content_hash: str | None
    error_class: str | None
    message: str | None
    attempts: int
    run_id: str | None
    source_changed_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class Claim:
    """The answer to "may I write this record now?"."""

    owned: bool
    # Status before this claim; None when the record was never seen before.
    previous_status: LedgerStatus | None
    target_key: str | None
    content_hash: str | None
    attempts: int

    @property
    def outcome_unknown(self) -> bool:
        """An earlier attempt started a write and never recorded its result: look it up first."""
        return self.owned and self.previous_status == LedgerStatus.IN_FLIGHT


def _clip(message: str | None) -> str | None:
    if message is None or len(message) <= MAX_MESSAGE_LENGTH:
        return message
    return message[: MAX_MESSAGE_LENGTH - 1] + "…"


class Ledger:
    """Ledger rows of one (integration, flow, entity), written on behalf of one run."""

    def __init__(self, engine: Engine, integration: str, flow: str, entity: str, run_id: str):
        self.engine = engine
        self.integration = integration
        self.flow = flow
        self.entity = entity
        self.run_id = run_id
        with engine.begin() as conn:
            self.integration_id = integration_id(conn, integration)

    def _of_entity(self) -> sa.ColumnElement[bool]:
        """The rows of this (integration, flow, entity)."""
        return sa.and_(
            LedgerRow.integration_id == self.integration_id,
            LedgerRow.flow == self.flow,
            LedgerRow.entity == self.entity,
        )

    def _key(self, source_key: str) -> sa.ColumnElement[bool]:
        return sa.and_(self._of_entity(), LedgerRow.source_key == source_key)

    def _base_values(self, source_key: str) -> dict[str, object]:
        return {
            "integration_id": self.integration_id,
            "flow": self.flow,
            "entity": self.entity,
            "source_key": source_key,
        }

    def claim(
        self,
        source_key: str,
        *,
        source_changed_at: datetime | None = None,
        recover_in_flight: bool = False,
    ) -> Claim:
        """Mark the record ``in_flight`` for this run if nobody else is writing it.

        A record already ``in_flight`` for this run is never owned twice. One ``in_flight``
        from another run is taken over only with ``recover_in_flight`` — pass it only while
        holding the flow lock, which proves that other run is gone.
        """
        with self.engine.begin() as conn:
            inserted = conn.execute(
                insert(LedgerRow)
                .values(
                    **self._base_values(source_key),
                    status=LedgerStatus.IN_FLIGHT,
                    attempts=1,
                    run_id=self.run_id,
                    source_changed_at=source_changed_at,
                )
                .on_conflict_do_nothing(constraint="uq_ledger_key")
                .returning(LedgerRow.id)
            ).first()
            if inserted is not None:
                return Claim(True, None, None, None, 1)
            row = conn.execute(
                sa.select(
                    LedgerRow.status,
                    LedgerRow.run_id,
                    LedgerRow.attempts,
                    LedgerRow.target_key,
                    LedgerRow.content_hash,
                )
                .where(self._key(source_key))
                .with_for_update()
            ).one()
            previous = LedgerStatus(row.status)
            if previous == LedgerStatus.IN_FLIGHT and (
                row.run_id == self.run_id or not recover_in_flight
            ):
                return Claim(False, previous, row.target_key, row.content_hash, row.attempts)
            conn.execute(
                sa.update(LedgerRow)
                .where(self._key(source_key))
                .values(
                    status=LedgerStatus.IN_FLIGHT,
                    attempts=row.attempts + 1,
                    run_id=self.run_id,
                    source_changed_at=sa.func.coalesce(
                        source_changed_at, LedgerRow.source_changed_at
                    ),
                    updated_at=sa.func.now(),
                )
            )
            return Claim(True, previous, row.target_key, row.content_hash, row.attempts + 1)

    def _settle(
        self, conn: Connection, source_key: str, _insert_attempts: int = 0, **values: object
    ) -> None:
        """Upsert the row's final state; ``values`` may hold SQL expressions over the old row."""
        updates = {**values, "run_id": self.run_id, "updated_at": sa.func.now()}
        first_values = {
            **{k: v for k, v in updates.items() if k != "attempts"},
            "attempts": _insert_attempts,
            "updated_at": sa.func.now(),
        }
        conn.execute(
            insert(LedgerRow)
            .values(**self._base_values(source_key), **first_values)
            .on_conflict_do_update(constraint="uq_ledger_key", set_=updates)
        )

    def mark_done(self, source_key: str, target_key: str | None, content_hash: str | None) -> None:
        """The target holds this version of the record under ``target_key``."""
        with self.engine.begin() as conn:
            self._settle(
                conn,
                source_key,
                status=LedgerStatus.DONE,
                target_key=target_key,
                content_hash=content_hash,
                error_class=None,
                message=None,
            )

    def mark_done_many(
        self, rows: Sequence[tuple[str, str | None, str | None, datetime | None]]
    ) -> None:
        """Many records done at once: (source key, target key, content hash, change time)."""
        if not rows:
            return
        values = [
            {
                **self._base_values(key),
                "status": LedgerStatus.DONE,
                "target_key": target_key,
                "content_hash": digest,
                "source_changed_at": changed_at,
                "run_id": self.run_id,
                "attempts": 0,
            }
            for key, target_key, digest, changed_at in rows
        ]
        statement = insert(LedgerRow).values(values)
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            constraint="uq_ledger_key",
            set_={
                "status": excluded.status,
                "target_key": sa.func.coalesce(excluded.target_key, LedgerRow.target_key),
                "content_hash": excluded.content_hash,
                "source_changed_at": sa.func.coalesce(
                    excluded.source_changed_at, LedgerRow.source_changed_at
                ),
                "error_class": None,
                "message": None,
                "run_id": excluded.run_id,
                "updated_at": sa.func.now(),
            },
        )
        with self.engine.begin() as conn:
            conn.execute(statement)

    def mark_failed(
        self,
        source_key: str,
        error_class: str,
        message: str,
        *,
        source_changed_at: datetime | None = None,
    ) -> None:
        """The record failed; it stays in the failure queue with what to fix."""
        values: dict[str, object] = {
            "status": LedgerStatus.FAILED,
            "error_class": error_class,
            "message": _clip(message),
        }
        if source_changed_at is not None:
            values["source_changed_at"] = source_changed_at
        # A failure found before any write (bad data, missing SKU) is an attempt too; one that
        # ends this run's own claim was already counted when the claim was taken.
        claimed_by_this_run = sa.and_(
            LedgerRow.status == LedgerStatus.IN_FLIGHT, LedgerRow.run_id == self.run_id
        )
        with self.engine.begin() as conn:
            self._settle(
                conn,
                source_key,
                **values,
                attempts=sa.case(
                    (claimed_by_this_run, LedgerRow.attempts), else_=LedgerRow.attempts + 1
                ),
                _insert_attempts=1,
            )

    def note_in_flight(self, source_key: str, error_class: str, message: str) -> None:
        """Why this run's claim stays ``in_flight`` (a write whose outcome is unknown), so the
        failure queue shows a reason; the status and the claim are left as they are."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(LedgerRow)
                .where(
                    self._key(source_key),
                    LedgerRow.status == LedgerStatus.IN_FLIGHT,
                    LedgerRow.run_id == self.run_id,
                )
                .values(error_class=error_class, message=_clip(message), updated_at=sa.func.now())
            )

    def mark_skipped(self, source_key: str, reason: str) -> None:
        """Deliberately not synced (ineligible, or skipped by hand); ``reason`` says why."""
        with self.engine.begin() as conn:
            self._settle(
                conn,
                source_key,
                status=LedgerStatus.SKIPPED,
                error_class=None,
                message=_clip(reason),
            )

    def record_pending(self, records: Iterable[tuple[str, datetime]]) -> int:
        """Register source records about to be processed, with their change times.

        Pending rows hold the watermark back until they settle. A row already ``in_flight``
        keeps that status: its earlier write still has to be resolved.
        """
        rows = [
            {**self._base_values(key), "status": LedgerStatus.PENDING, "source_changed_at": at}
            for key, at in records
        ]
        if not rows:
            return 0
        statement = insert(LedgerRow).values(rows)
        statement = statement.on_conflict_do_update(
            constraint="uq_ledger_key",
            set_={
                "status": sa.case(
                    (LedgerRow.status == LedgerStatus.IN_FLIGHT, LedgerRow.status),
                    else_=statement.excluded.status,
                ),
                "source_changed_at": statement.excluded.source_changed_at,
                "updated_at": sa.func.now(),
            },
        )
        with self.engine.begin() as conn:
            conn.execute(statement)
        return len(rows)

    def get(self, source_key: str) -> LedgerEntry | None:
        return self.get_many([source_key]).get(source_key)

    def size(self) -> int:
        """How many records of this entity the ledger has ever seen."""
        query = sa.select(sa.func.count()).select_from(LedgerRow).where(self._of_entity())
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def get_many(self, source_keys: Sequence[str]) -> dict[str, LedgerEntry]:
        """Rows for many keys in one query."""
        if not source_keys:
            return {}
        query = _entries_query().where(
            self._of_entity(), LedgerRow.source_key.in_(list(source_keys))
        )
        with self.engine.connect() as conn:
            return {entry.source_key: entry for entry in _read_entries(conn, query)}

    def settled_change_times(self, source_keys: Sequence[str]) -> dict[str, datetime | None]:
        """The source change time each of these records was last settled at (done or skipped),
        in one query of two columns; records not settled are absent."""
        if not source_keys:
            return {}
        query = sa.select(LedgerRow.source_key, LedgerRow.source_changed_at).where(
            self._of_entity(),
            LedgerRow.source_key.in_(list(source_keys)),
            LedgerRow.status.in_([status.value for status in SETTLED]),
        )
        with self.engine.connect() as conn:
            return {key: changed for key, changed in conn.execute(query)}

    def by_target_keys(self, target_keys: Sequence[str]) -> dict[str, list[LedgerEntry]]:
        """The rows linked to each of these target records (several when two sources were
        ever synced to one target), in one query."""
        if not target_keys:
            return {}
        query = _entries_query().where(
            self._of_entity(), LedgerRow.target_key.in_(list(target_keys))
        )
        found: dict[str, list[LedgerEntry]] = {}
        with self.engine.connect() as conn:
            for entry in _read_entries(conn, query):
                found.setdefault(str(entry.target_key), []).append(entry)
        return found


def _entries_query() -> sa.Select:
    return sa.select(
        Integration.name.label("integration"),
        LedgerRow.flow,
        LedgerRow.entity,
        LedgerRow.source_key,
        LedgerRow.status,
        LedgerRow.target_key,
        LedgerRow.content_hash,
        LedgerRow.error_class,
        LedgerRow.message,
        LedgerRow.attempts,
        LedgerRow.run_id,
        LedgerRow.source_changed_at,
        LedgerRow.updated_at,
    ).join(Integration, Integration.id == LedgerRow.integration_id)


def _read_entries(conn: Connection, query: sa.Select) -> list[LedgerEntry]:
    return [
        LedgerEntry(**{**row._asdict(), "status": LedgerStatus(row.status)})
        for row in conn.execute(query)
    ]


def list_entries(
    engine: Engine,
    *,
    integration: str | None = None,
    flow: str | None = None,
    statuses: Sequence[LedgerStatus] | None = None,
    limit: int | None = 1000,
) -> list[LedgerEntry]:
    """Ledger rows across integrations, newest first: the failure queue and its relatives."""
    query = _entries_query()
    if integration is not None:
        query = query.where(Integration.name == integration)
    if flow is not None:
        query = query.where(LedgerRow.flow == flow)
    if statuses:
        query = query.where(LedgerRow.status.in_([str(s) for s in statuses]))
    query = query.order_by(LedgerRow.updated_at.desc(), LedgerRow.id.desc())
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return _read_entries(conn, query)
