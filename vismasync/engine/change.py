"""What counts as a change, decided in one place for the runs and for reconciliation.

A record is unchanged when its change time and its source hash match its settled ledger row.
The source hash covers the record as read and the flow's settings that shape its mapping, so a
changed value map or field mapping makes every record due again, while a changed schedule or
batch size does not. Incremental reads start at the watermark minus the overlap window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from vismasync.mappings.hashing import content_hash

# Settings that shape no record's mapping: changing them must not re-sync everything.
NOT_MAPPING = {"enabled", "schedule", "batch_size", "overlap_minutes"}
# Parts of a record that describe the read, not the record: Visma.net puts the list's paging
# metadata (total count ...) on every item, so it differs whenever the changed set does.
NOT_CONTENT = {"metadata"}


def settings_fingerprint(settings: BaseModel) -> dict[str, Any]:
    """The part of a flow's settings that shapes how its records are mapped."""
    return settings.model_dump(mode="json", exclude=NOT_MAPPING)


def source_hash(data: dict[str, Any], fingerprint: dict[str, Any]) -> str:
    """The hash a settled ledger row holds for the version of the record it settled."""
    record = {key: value for key, value in data.items() if key not in NOT_CONTENT}
    return content_hash({"record": record, "settings": fingerprint})


def cursor_for(watermark: datetime | None, overlap_minutes: int) -> datetime | None:
    """Where an incremental read starts: the watermark minus the overlap window."""
    return watermark - timedelta(minutes=overlap_minutes) if watermark else None


def next_cursor(integration: str, flow: str, entity: str, overlap_minutes: int) -> datetime | None:
    """Where the flow's next incremental read of ``entity`` starts (None: from the start)."""
    from vismasync.store.database import get_engine
    from vismasync.store.watermarks import Watermarks

    return cursor_for(Watermarks(get_engine(), integration, flow, entity).get(), overlap_minutes)
