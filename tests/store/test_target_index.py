"""The target index: bulk upsert and lookup in single statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from vismasync.store.target_index import IndexedRecord, TargetIndex

T0 = datetime(2026, 2, 1, tzinfo=UTC)


def test_bulk_upsert_and_lookup(engine, integration):
    index = TargetIndex(engine, integration, "vismanet", "inventory")
    index.upsert(
        IndexedRecord(f"SKU-{i}", f"id-{i}", f"h{i}", T0 + timedelta(minutes=i))
        for i in range(5000)
    )
    index.upsert([IndexedRecord("SKU-7", "id-7b", "changed", T0 + timedelta(days=9))])

    found = index.lookup(["SKU-7", "SKU-4999", "SKU-missing", "SKU-7"])

    assert set(found) == {"SKU-7", "SKU-4999"}
    assert found["SKU-7"] == IndexedRecord("SKU-7", "id-7b", "changed", T0 + timedelta(days=9))
    assert index.count() == 5000
    assert index.latest_modified() == T0 + timedelta(days=9)


def test_thousands_of_keys_take_one_statement_each_way(engine, integration):
    index = TargetIndex(engine, integration, "vismanet", "customer")
    statements = []

    def count(conn, cursor, statement, *args):
        if "target_index" in statement:
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        index.upsert(IndexedRecord(f"user{i}@example.com", str(i)) for i in range(3000))
        found = index.lookup([f"user{i}@example.com" for i in range(3000)])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)

    assert len(found) == 3000
    assert len(statements) == 2


def test_duplicate_keys_in_one_batch_keep_the_last(engine, integration):
    index = TargetIndex(engine, integration, "vismanet", "inventory")
    index.upsert([IndexedRecord("A", "1"), IndexedRecord("A", "2")])
    assert index.lookup(["A"])["A"].target_id == "2"


def test_indexes_are_scoped_by_integration_and_entity(engine, integration):
    TargetIndex(engine, integration, "vismanet", "inventory").upsert([IndexedRecord("K", "1")])
    assert TargetIndex(engine, integration, "vismanet", "customer").lookup(["K"]) == {}
    assert TargetIndex(engine, integration + "-b", "vismanet", "inventory").lookup(["K"]) == {}


def test_remove(engine, integration):
    index = TargetIndex(engine, integration, "vismanet", "inventory")
    index.upsert([IndexedRecord("A", "1"), IndexedRecord("B", "2")])
    assert index.remove(["A"]) == 1
    assert set(index.lookup(["A", "B"])) == {"B"}
