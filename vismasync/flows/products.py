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

from vismasync.engine.entity import EntitySpec
from vismasync.engine.flow import sync_flow
from vismasync.engine.run import RunContext
from vismasync.engine.summary import RunSummary
from vismasync.engine.work import Batch, WorkItem
from vismasync.mappings.articles import NAME_LIMIT, attribute_values, unsupported_content
from vismasync.tasks.products import (
    ARTICLE,
    fetch_changed_items,
    fetch_items_by_key,
    item_label,
    plan_articles,
    write_articles,
)
from vismasync.tasks.reconcile_compare import ReconcileReport
from vismasync.tasks.reconcile_products import (
    compare_products,
    read_articles,
    read_items,
    read_ledger_rows,
)

UNSUPPORTED = "not supported by the target"


def _carried_attributes(ctx: RunContext, items: list[WorkItem]) -> set[str]:
    """Attributes a field mapping names (``attribute.COLOR`` or ``attribute['COLOR']``)."""
    text = " ".join(
        str(rule.source or "") + " " + str(rule.expression or "")
        for rule in ctx.config.flows.products.field_mappings
    )
    names = {name for item in items for name in attribute_values(item.source)}
    return {name for name in names if f"attribute.{name}" in text or f"'{name}'" in text
            or f'"{name}"' in text}  # fmt: skip


def count_unsupported(ctx: RunContext, batch: Batch, summary: RunSummary) -> None:
    """Name, per item, what it holds that its article cannot take, and count it per kind.

    Every item version read is reported once, whether its article was created, updated or
    already equal; an item the flow leaves alone (filtered out, failed) carries nothing.
    """
    # Items reduced to a deactivation carry nothing else, so they have nothing to report.
    synced = [
        i for i in batch.items
        if i.outcome in ("created", "updated", "unchanged") and "Name" in i.payload
    ]  # fmt: skip
    carried = _carried_attributes(ctx, synced)
    found: Counter[str] = Counter()
    for item in synced:
        description = str(item.source.get("description") or "").strip()
        if len(description) > NAME_LIMIT:
            summary.notes.append(
                f"SKU {item.key}: description longer than eAccounting's article name "
                f"({NAME_LIMIT} characters); the name holds its first {NAME_LIMIT}"
            )
        content = unsupported_content(item.source, carried)
        if content:
            found.update(content)
            listing = ", ".join(f"{n} {kind}(s)" for kind, n in sorted(content.items()))
            summary.notes.append(f"SKU {item.key}: {listing} not carried ({UNSUPPORTED})")
    for kind, n in sorted(found.items()):
        summary.count(f"{UNSUPPORTED}: {kind}", "skipped", n)


def unsupported_note(ctx: RunContext, summary: RunSummary) -> None:
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


def reconcile_products(ctx: RunContext) -> ReconcileReport:
    ledger, cursor = read_ledger_rows(ctx, ARTICLE)
    report = ReconcileReport(
        flow="products", integration=ctx.integration, target="eAccounting articles",
        noun="Visma.net item",
    )  # fmt: skip
    return compare_products(ctx, report, read_items(ctx), read_articles(ctx), ledger, cursor)


ARTICLES = EntitySpec(
    flow="products",
    prefect_name="sync-products",
    description="Create or update eAccounting articles from Visma.net inventory items.",
    command="products",
    keys_help="SKUs, i.e. inventory numbers",
    noun="items",
    source="Visma.net",
    entrypoint="vismasync.flows.products:sync_products",
    entity=lambda config: ARTICLE,
    label=item_label,
    read_changed=fetch_changed_items,
    read_by_keys=fetch_items_by_key,
    steps=(plan_articles, write_articles),
    after_batch=count_unsupported,
    after_run=unsupported_note,
    reconcile=reconcile_products,
    eaccounting_endpoints=("/articles", "/units", "/articleaccountcodings"),
)


sync_products = sync_flow(ARTICLES)
