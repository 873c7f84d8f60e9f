"""The per-batch steps of the product flow (Visma.net items -> eAccounting articles).

Articles are matched by SKU (``inventoryNumber`` = article ``Number``), from the run's
directory of eAccounting articles (the list read once per run, or by numbers in bulk). A
create follows the exactly-once protocol (claim, look up by number when an earlier attempt's
outcome is unknown, create, record). An update is a read-modify-write from the planned copy
(one write, no read of its own), sent only when a mapped field differs, and never touches the
configured create-only fields. Articles cannot be deleted in eAccounting: an item that stops
being sellable makes its article inactive, whatever the filter says.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.connectors.eaccounting.client import article_from
from vismasync.connectors.vismanet.models import InventoryItem
from vismasync.engine.clients import eaccounting_client, vismanet_client
from vismasync.engine.directory import run_scoped
from vismasync.engine.run import RunContext
from vismasync.engine.task_retry import RETRIED
from vismasync.engine.work import Batch, SourceRecord, WorkItem
from vismasync.engine.write_once import write_planned
from vismasync.mappings.articles import (
    ArticleProblem,
    ArticleReference,
    ItemFilter,
    eaccounting_article,
    is_sellable,
    mapper_source,
    passes_filter,
)
from vismasync.mappings.data_mapper import MappingError, apply_rules
from vismasync.mappings.field_diff import changed_fields
from vismasync.tasks import ea_directories
from vismasync.tasks.reference_data import lookup_table

ARTICLE = "article"


def as_record(item: InventoryItem) -> SourceRecord:
    changed = item.last_modified_date_time or datetime.now(UTC)
    changed = changed.replace(tzinfo=UTC) if changed.tzinfo is None else changed.astimezone(UTC)
    return SourceRecord(item.inventory_number, changed, item.model_dump(by_alias=True))


@task(name="fetch-changed-items", **RETRIED)
def fetch_changed_items(ctx: RunContext, cursor: datetime | None) -> list[SourceRecord]:
    """Visma.net items changed at or after ``cursor``, oldest change first.

    Visma.net lists cannot be ordered by change time, so the changed set is read whole (every
    page) and ordered here; the flow then works through it in batches.
    """
    client = vismanet_client(ctx.config)
    items = client.list_inventory(cursor, expand_warehouse_detail=False, expand_attribute=True)
    return sorted((as_record(i) for i in items), key=lambda r: (r.changed_at, r.key))


@task(name="fetch-items-by-key", **RETRIED)
def fetch_items_by_key(ctx: RunContext, keys: list[str]) -> list[SourceRecord]:
    """Re-read items from the failure queue; ones deleted in Visma.net are left out."""
    client = vismanet_client(ctx.config)
    found = [client.get_inventory(key) for key in keys]
    return [as_record(i) for i in found if i is not None]


def item_label(record: SourceRecord) -> str:
    return f"item {record.key}"


def articles_by_number(ctx: RunContext, numbers: list[str]) -> dict[str, dict[str, Any]]:
    """eAccounting articles by number, whole, from the run's directory (the list read once
    per run, or by numbers in bulk, whichever costs fewer calls): never one call per item."""
    found = ea_directories.articles(ctx).one("number", numbers)
    return {number: article_from(raw).to_payload() for number, raw in found.items()}


def article_reference(ctx: RunContext) -> ArticleReference:
    """Units, account codings and their VAT rates: small lists, read once per run."""
    return run_scoped(ctx, "eaccounting-article-reference", lambda: _read_reference(ctx))


def _read_reference(ctx: RunContext) -> ArticleReference:
    client = eaccounting_client(ctx.config)
    codings = client.list_article_account_codings()
    rates = {}
    for coding in codings:
        if coding.VatRatePercent is not None:
            rate = Decimal(coding.VatRatePercent)
            # A rate may come as a fraction (0.25) or as percent (25).
            rates[coding.Id] = rate / 100 if rate >= 1 else rate
    return ArticleReference(
        units=lookup_table(client.list_units(), "Code", "Name", "Abbreviation"),
        codings=lookup_table(codings, "Name", "NameEnglish"),
        vat_rates=rates,
    )


def map_item(ctx: RunContext, data: dict[str, Any], reference: ArticleReference) -> dict[str, Any]:
    settings = ctx.config.flows.products
    maps = settings.value_maps
    payload = eaccounting_article(
        data, maps.unit, maps.account_coding, maps.service_account_coding, reference
    )
    if settings.field_mappings:
        payload = apply_rules(settings.field_mappings, mapper_source(data), payload)
    return payload


def item_filter(ctx: RunContext) -> ItemFilter:
    rule = ctx.config.flows.products.filter
    return ItemFilter(
        rule.statuses, rule.item_classes, rule.types, rule.attributes, rule.expression
    )


def _plan_one(ctx: RunContext, item: WorkItem, reference: ArticleReference) -> None:
    selected = passes_filter(item.source, item_filter(ctx))
    if not selected and is_sellable(item.source):
        item.skip("not selected by flows.products.filter")
        return
    if not selected:
        # Outside the filter but no longer sellable: only its article's deactivation applies.
        item.payload = {"Number": item.key, "IsActive": False}
    else:
        item.payload = map_item(ctx, item.source, reference)


@task(name="plan-articles", **RETRIED)
def plan_articles(ctx: RunContext, batch: Batch) -> None:
    """Filter and map each item, then decide: update, create, or skip."""
    reference = article_reference(ctx)
    for item in batch.open():
        try:
            _plan_one(ctx, item, reference)
        except ArticleProblem as exc:
            item.fail(exc.error_class, str(exc))
        except MappingError as exc:
            item.fail("config", f"{item.label}: the filter or a field mapping failed: {exc}")
    pending = batch.open()
    current = articles_by_number(ctx, [item.key for item in pending])
    for item in pending:
        article = current.get(item.key)
        if article is not None:
            item.action, item.target_key, item.current = "update", str(article["Id"]), article
        elif item.payload.get("IsActive") is False:
            item.skip("not sellable in Visma.net and not in eAccounting: no article is created")
        else:
            item.action = "create"


def _update(ctx: RunContext, item: WorkItem) -> str:
    keep = set(ctx.config.flows.products.create_only_fields) | {"Number"}
    current = item.current or {}
    changes = changed_fields(item.payload, current, keep=keep)
    if changes and not ctx.dry_run:
        # Read-modify-write: PUT replaces the whole article; unmapped fields are kept. The
        # planned copy is the read (the run's directory, at most a minute old).
        written = eaccounting_client(ctx.config).update_article(
            str(item.target_key), {**current, **changes}
        )
        ea_directories.articles(ctx).put(written.to_payload())
    return "updated" if changes else "unchanged"


def _create(ctx: RunContext, item: WorkItem) -> str:
    created = eaccounting_client(ctx.config).create_article(item.payload)
    ea_directories.articles(ctx).put(created.to_payload())
    return str(created.Id)


def _find(ctx: RunContext, item: WorkItem) -> str | None:
    # Only after an unknown outcome: eAccounting itself is asked, not the run's copy.
    existing = eaccounting_client(ctx.config).find_article_by_number(item.key)
    item.current = existing.to_payload() if existing is not None else None
    return str(existing.Id) if existing is not None else None


@task(name="write-articles", cache_policy=NO_CACHE)
def write_articles(ctx: RunContext, batch: Batch) -> None:
    """Create or update each planned article in eAccounting (no blind retries here)."""
    write_planned(
        ctx, batch, entity=ARTICLE, what="article",
        update=lambda item: _update(ctx, item),
        create=lambda item: _create(ctx, item),
        find=lambda item: _find(ctx, item),
    )  # fmt: skip
