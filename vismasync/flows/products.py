"""Products: Visma.net inventory items -> eAccounting articles, by SKU.

For each batch of items changed since the watermark: filter (``flows.products.filter``) -> map
(name, SKU, prices, unit, account coding by VAT category, barcode, field mappings) -> match the
article by number -> create, update (read-modify-write, only changed fields, never the
create-only ones), or leave untouched. Items no longer sellable make their article inactive
(articles cannot be deleted). What an item holds that articles have no place for (long
description, attributes not carried by a field mapping, images) is counted and reported in the
run summary as not supported by the target.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from prefect import flow

from vismasync.flows.master_data import MasterDataEntity, run_master_data
from vismasync.flows.runtime import RunContext, sync_run
from vismasync.flows.summary import RunSummary, publish
from vismasync.mappings.articles import attribute_values, unsupported_content
from vismasync.tasks.master_data import SourceRecord, SyncItem, count_items
from vismasync.tasks.product_sync import (
    ARTICLE,
    fetch_changed_items,
    fetch_items_by_key,
    plan_articles,
    write_articles,
)

FLOW = "products"
UNSUPPORTED = "not supported by the target"


def _carried_attributes(ctx: RunContext, items: list[SyncItem]) -> set[str]:
    """Attributes a field mapping names (``attribute.COLOR`` or ``attribute['COLOR']``)."""
    text = " ".join(
        str(rule.source or "") + " " + str(rule.expression or "")
        for rule in ctx.config.flows.products.field_mappings
    )
    names = {name for item in items for name in attribute_values(item.source)}
    return {name for name in names if f"attribute.{name}" in text or f"'{name}'" in text
            or f'"{name}"' in text}  # fmt: skip


def _count_unsupported(ctx: RunContext, items: list[SyncItem], summary: RunSummary) -> None:
    """Count, per kind, what the synced items hold that their articles could not take."""
    # Items reduced to a deactivation carry nothing else, so they have nothing to report.
    synced = [i for i in items if i.outcome in ("created", "updated") and "Name" in i.payload]
    carried = _carried_attributes(ctx, synced)
    found: Counter[str] = Counter()
    for item in synced:
        found.update(unsupported_content(item.source, carried))
    for kind, n in sorted(found.items()):
        summary.count(f"{UNSUPPORTED}: {kind}", "skipped", n)


def _unsupported_note(summary: RunSummary) -> None:
    found = {
        entity.removeprefix(f"{UNSUPPORTED}: "): counter["skipped"]
        for entity, counter in summary.counts.items()
        if entity.startswith(UNSUPPORTED)
    }
    if found:
        listing = ", ".join(f"{n} {kind}(s)" for kind, n in sorted(found.items()))
        summary.notes.append(
            f"{UNSUPPORTED}: {listing} of the synced items have no field in eAccounting "
            "articles and were not carried; attributes can be carried into an article field "
            "with flows.products.field_mappings (source: attribute.<ID>)"
        )


def _process(ctx: RunContext, records: list[SourceRecord], summary: RunSummary) -> None:
    items = plan_articles(ctx, records)
    items = write_articles(ctx, items)
    count_items(summary, ARTICLE, items)
    _count_unsupported(ctx, items, summary)


ARTICLES = MasterDataEntity(
    entity=ARTICLE,
    fetch_changed=fetch_changed_items,
    fetch_by_key=fetch_items_by_key,
    process=_process,
)


@flow(name="sync-products", log_prints=False)
def sync_products(
    integration: str = "demo",
    dry_run: bool = False,
    since: datetime | None = None,
    limit: int | None = None,
    keys: list[str] | None = None,
) -> dict[str, Any]:
    """Create or update eAccounting articles from Visma.net inventory items.

    Args:
        integration: the integration's name (its configuration file).
        dry_run: compute the whole plan and write nothing to either system or the ledger.
        since: read items changed since this time instead of the watermark (backfill).
        limit: process at most this many items in this run.
        keys: retry only these SKUs (inventory numbers); no incremental read and no
            watermark move.
    """
    with sync_run(integration, FLOW, dry_run=dry_run) as ctx:
        summary = RunSummary(flow=FLOW, integration=integration, dry_run=dry_run)
        run_master_data(ctx, ARTICLES, summary, since=since, limit=limit, keys=keys)
        _unsupported_note(summary)
        publish(summary)
        return summary.result()
