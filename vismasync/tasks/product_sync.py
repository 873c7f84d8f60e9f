"""The per-batch steps of the product flow (Visma.net items -> eAccounting articles).

Articles are matched by SKU (``inventoryNumber`` = article ``Number``), looked up a few list
calls per batch. A create follows the exactly-once protocol (claim, look up by number when an
earlier attempt's outcome is unknown, create, record). An update is a read-modify-write sent only
when a mapped field differs, and never touches the configured create-only fields. Articles
cannot be deleted in eAccounting: an item that stops being sellable makes its article inactive,
whatever the filter says.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.connectors.eaccounting import filters as f
from vismasync.connectors.eaccounting.models import Article
from vismasync.connectors.http import ApiError
from vismasync.connectors.vismanet.models import InventoryItem
from vismasync.flows.runtime import RunContext
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
from vismasync.mappings.hashing import content_hash
from vismasync.store.ledger import Ledger
from vismasync.store.models import LedgerStatus
from vismasync.tasks.connections import eaccounting_client, vismanet_client
from vismasync.tasks.master_data import (
    SourceRecord,
    SyncItem,
    create_exactly_once,
    ledger_for,
    lookup_table,
    record_planning_failures,
    register_pending,
    settle_failure,
)

ARTICLE = "article"
# Numbers per $filter: "Number eq '...' or ..." must stay well inside common URL length limits.
FILTER_CHUNK = 25


def as_record(item: InventoryItem) -> SourceRecord:
    changed = item.last_modified_date_time or datetime.now(UTC)
    changed = changed.replace(tzinfo=UTC) if changed.tzinfo is None else changed.astimezone(UTC)
    return SourceRecord(item.inventory_number, changed, item.model_dump(by_alias=True))


@task(name="fetch-changed-items", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def fetch_changed_items(ctx: RunContext, cursor: datetime | None) -> list[SourceRecord]:
    """Visma.net items changed at or after ``cursor``, oldest change first.

    Visma.net lists cannot be ordered by change time, so the changed set is read whole (every
    page) and ordered here; the flow then works through it in batches.
    """
    client = vismanet_client(ctx.config)
    items = client.list_inventory(cursor, expand_warehouse_detail=False, expand_attribute=True)
    return sorted((as_record(i) for i in items), key=lambda r: (r.changed_at, r.key))


@task(name="fetch-items-by-key", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def fetch_items_by_key(ctx: RunContext, keys: list[str]) -> list[SourceRecord]:
    """Re-read items from the failure queue; ones deleted in Visma.net are left out."""
    client = vismanet_client(ctx.config)
    found = [client.get_inventory(key) for key in keys]
    return [as_record(i) for i in found if i is not None]


def articles_by_number(ctx: RunContext, numbers: list[str]) -> dict[str, dict[str, Any]]:
    """eAccounting articles by number, a few list calls per batch instead of one per item."""
    client = eaccounting_client(ctx.config)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(numbers), FILTER_CHUNK):
        chunk = numbers[start : start + FILTER_CHUNK]
        for article in client.iter_list("/articles", Article, filter=f.any_of("Number", chunk)):
            found[article.Number] = article.to_payload()
    return found


def article_reference(ctx: RunContext) -> ArticleReference:
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


def _plan_one(ctx: RunContext, item: SyncItem, reference: ArticleReference) -> None:
    selected = passes_filter(item.source, item_filter(ctx))
    if not selected and is_sellable(item.source):
        item.skip("not selected by flows.products.filter")
        return
    if not selected:
        # Outside the filter but no longer sellable: only its article's deactivation applies.
        item.payload = {"Number": item.key, "IsActive": False}
    else:
        item.payload = map_item(ctx, item.source, reference)
    item.digest = content_hash(item.payload)


@task(name="plan-articles", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def plan_articles(ctx: RunContext, records: list[SourceRecord]) -> list[SyncItem]:
    """Filter and map each item, then decide: unchanged, update, create, or skip."""
    reference = article_reference(ctx)
    ledger = ledger_for(ctx, ARTICLE)
    known = ledger.get_many([r.key for r in records])
    items = [SyncItem(r.key, f"item {r.key}", r.changed_at, r.data) for r in records]
    for item in items:
        try:
            _plan_one(ctx, item, reference)
        except ArticleProblem as exc:
            item.fail(exc.error_class, str(exc))
            continue
        except MappingError as exc:
            item.fail("config", f"{item.label}: the filter or a field mapping failed: {exc}")
            continue
        if item.action != "pending":
            continue
        row = known.get(item.key)
        if row is not None and row.status == LedgerStatus.DONE and row.content_hash == item.digest:
            item.action, item.outcome, item.target_id = "unchanged", "unchanged", row.target_key
    pending = [item for item in items if item.action == "pending"]
    current = articles_by_number(ctx, [item.key for item in pending])
    for item in pending:
        article = current.get(item.key)
        if article is not None:
            item.action, item.target_id, item.current = "update", str(article["Id"]), article
        elif item.payload.get("IsActive") is False:
            item.skip("not sellable in Visma.net and not in eAccounting: no article is created")
        else:
            item.action = "create"
    register_pending(ctx, ledger, items)
    record_planning_failures(ctx, ledger, items)
    if not ctx.dry_run:
        for item in items:
            row = known.get(item.key)
            already = row is not None and row.status == LedgerStatus.SKIPPED
            if item.action == "skip" and not (already and row.message == item.message):
                ledger.mark_skipped(item.key, item.message or "")
    return items


def _update(ctx: RunContext, ledger: Ledger, item: SyncItem, current: dict[str, Any]) -> None:
    keep = set(ctx.config.flows.products.create_only_fields) | {"Number"}
    changes = changed_fields(item.payload, current, keep=keep)
    if changes and not ctx.dry_run:
        # Read-modify-write: PUT replaces the whole article; unmapped fields are kept.
        eaccounting_client(ctx.config).modify_article(str(item.target_id), changes)
    item.outcome = "updated" if changes else "unchanged"
    if not ctx.dry_run:
        ledger.mark_done(item.key, item.target_id, item.digest)


def _create(ctx: RunContext, ledger: Ledger, item: SyncItem) -> None:
    client = eaccounting_client(ctx.config)

    def find() -> str | None:
        existing = client.find_article_by_number(item.key)
        item.current = existing.to_payload() if existing is not None else None
        return str(existing.Id) if existing is not None else None

    create_exactly_once(
        ctx, ledger, item, noun="item",
        find=find,
        create=lambda: str(client.create_article(item.payload).Id),
        adopt=lambda: _update(ctx, ledger, item, item.current or {}),
    )  # fmt: skip


@task(name="write-articles", cache_policy=NO_CACHE)
def write_articles(ctx: RunContext, items: list[SyncItem]) -> list[SyncItem]:
    """Create or update each planned article in eAccounting (no blind retries here)."""
    ledger = ledger_for(ctx, ARTICLE)
    for item in items:
        try:
            if item.action == "update":
                _update(ctx, ledger, item, item.current or {})
            elif item.action == "create":
                _create(ctx, ledger, item)
        except ApiError as exc:
            settle_failure(ledger, item, exc, "article")
    return items
