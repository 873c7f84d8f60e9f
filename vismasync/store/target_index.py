"""A local index of target-system records, so lookups cost no API call per record.

Bulk operations pass whole arrays as single parameters (``unnest`` / ``= ANY``): thousands of
keys take one statement and one round trip, not one per key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Engine

from vismasync.store.integrations import integration_id
from vismasync.store.models import TargetIndexEntry

# Rows per statement: bounded so one statement's arrays stay a few MB at most.
CHUNK_SIZE = 10_000


@dataclass(frozen=True)
class IndexedRecord:
    key: str
    target_id: str
    content_hash: str | None = None
    modified_at: datetime | None = None


class TargetIndex:
    """Index entries of one (integration, system, entity), e.g. Visma.net inventory by SKU."""

    def __init__(self, engine: Engine, integration: str, system: str, entity: str):
        self.engine = engine
        self.system = system
        self.entity = entity
        with engine.begin() as conn:
            self.integration_id = integration_id(conn, integration)

    def _scope(self) -> sa.ColumnElement[bool]:
        return sa.and_(
            TargetIndexEntry.integration_id == self.integration_id,
            TargetIndexEntry.system == self.system,
            TargetIndexEntry.entity == self.entity,
        )

    def upsert(self, records: Iterable[IndexedRecord]) -> int:
        """Insert or update entries; returns how many were written."""
        batch = list(records)
        statement = sa.text(
            """
            INSERT INTO target_index
                (integration_id, system, entity, key, target_id, content_hash, modified_at)
            SELECT :integration_id, :system, :entity, r.key, r.target_id, r.content_hash,
                   r.modified_at
            FROM unnest(:keys, :target_ids, :hashes, :modified)
                 AS r(key, target_id, content_hash, modified_at)
            ON CONFLICT (integration_id, system, entity, key) DO UPDATE SET
                target_id = EXCLUDED.target_id,
                content_hash = EXCLUDED.content_hash,
                modified_at = EXCLUDED.modified_at,
                updated_at = now()
            """
        ).bindparams(
            sa.bindparam("keys", type_=pg.ARRAY(sa.String)),
            sa.bindparam("target_ids", type_=pg.ARRAY(sa.String)),
            sa.bindparam("hashes", type_=pg.ARRAY(sa.String)),
            sa.bindparam("modified", type_=pg.ARRAY(sa.DateTime(timezone=True))),
        )
        with self.engine.begin() as conn:
            for start in range(0, len(batch), CHUNK_SIZE):
                chunk = _last_per_key(batch[start : start + CHUNK_SIZE])
                conn.execute(
                    statement,
                    {
                        "integration_id": self.integration_id,
                        "system": self.system,
                        "entity": self.entity,
                        "keys": [r.key for r in chunk],
                        "target_ids": [r.target_id for r in chunk],
                        "hashes": [r.content_hash for r in chunk],
                        "modified": [r.modified_at for r in chunk],
                    },
                )
        return len(batch)

    def lookup(self, keys: Sequence[str]) -> dict[str, IndexedRecord]:
        """Entries for ``keys``; absent keys are simply missing from the result."""
        found: dict[str, IndexedRecord] = {}
        unique = list(dict.fromkeys(keys))
        with self.engine.connect() as conn:
            for start in range(0, len(unique), CHUNK_SIZE):
                rows = conn.execute(
                    sa.select(
                        TargetIndexEntry.key,
                        TargetIndexEntry.target_id,
                        TargetIndexEntry.content_hash,
                        TargetIndexEntry.modified_at,
                    ).where(
                        self._scope(),
                        TargetIndexEntry.key
                        == sa.any_(
                            sa.cast(
                                sa.literal(unique[start : start + CHUNK_SIZE]),
                                pg.ARRAY(sa.String),
                            )
                        ),
                    )
                )
                found.update({row.key: IndexedRecord(*row) for row in rows})
        return found

    def remove(self, keys: Sequence[str]) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.delete(TargetIndexEntry).where(
                    self._scope(), TargetIndexEntry.key.in_(list(keys))
                )
            )
            return result.rowcount

    def latest_modified(self) -> datetime | None:
        """Newest ``modified_at`` in the index: where the next incremental refresh starts."""
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.max(TargetIndexEntry.modified_at)).where(self._scope())
            ).scalar()

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.count()).select_from(TargetIndexEntry).where(self._scope())
            ).scalar_one()


def _last_per_key(records: list[IndexedRecord]) -> list[IndexedRecord]:
    """One record per key (the last wins): ON CONFLICT cannot touch a row twice in a statement."""
    return list({record.key: record for record in records}.values())
