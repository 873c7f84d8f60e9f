"""The local index of Visma.net inventory numbers, refreshed incrementally.

Product verification reads this index, so a known SKU costs no API call per order. Each refresh
asks Visma.net only for items modified since the newest one already indexed, at most once per
run and only when a run has documents to verify: a run with nothing to send asks nothing.
"""

from __future__ import annotations

from datetime import timedelta

from vismasync.engine.clients import vismanet_client
from vismasync.engine.directory import run_scoped
from vismasync.engine.run import RunContext
from vismasync.store.database import get_engine
from vismasync.store.target_index import IndexedRecord, TargetIndex

VISMANET = "vismanet"
INVENTORY = "inventory"
# Items saved in the same second as the newest indexed one are read again, never missed.
REFRESH_OVERLAP = timedelta(seconds=1)


def inventory_index(integration: str) -> TargetIndex:
    return TargetIndex(get_engine(), integration, VISMANET, INVENTORY)


def refreshed_index(ctx: RunContext) -> TargetIndex:
    """The index, brought up to date on its first use in this run."""
    run_scoped(ctx, "vismanet-inventory-index", lambda: refresh_product_index(ctx))
    return inventory_index(ctx.integration)


def refresh_product_index(ctx: RunContext) -> int:
    """Index items changed since the last refresh; returns how many were (re)indexed."""
    index = inventory_index(ctx.integration)
    latest = index.latest_modified()
    since = latest - REFRESH_OVERLAP if latest else None
    client = vismanet_client(ctx.config)
    records = [
        IndexedRecord(
            key=item.inventory_number,
            target_id=str(item.inventory_id or item.inventory_number),
            content_hash=item.status,
            modified_at=item.last_modified_date_time,
        )
        for item in client.list_inventory(
            since,
            expand_warehouse_detail=False,
            expand_attribute=False,
            expand_cross_reference=False,
            expand_attachment=False,
        )
    ]
    return index.upsert(records)
