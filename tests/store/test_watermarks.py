"""Watermarks never pass an unsettled record and never move backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vismasync.store.ledger import Ledger
from vismasync.store.watermarks import Watermarks

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _pair(engine, integration):
    return (
        Ledger(engine, integration, "sales_orders", "order", "run-1"),
        Watermarks(engine, integration, "sales_orders", "order"),
    )


def test_new_watermark_is_none_then_advances(engine, integration):
    _, watermark = _pair(engine, integration)
    assert watermark.get() is None
    assert watermark.advance(T0) == T0
    assert watermark.get() == T0


def test_watermark_stops_at_the_oldest_unsettled_record(engine, integration):
    ledger, watermark = _pair(engine, integration)
    watermark.advance(T0)
    ledger.record_pending(
        [("a", T0 + timedelta(minutes=1)), ("b", T0 + timedelta(minutes=2)),
         ("c", T0 + timedelta(minutes=3))]
    )  # fmt: skip
    ledger.mark_done("a", "A", "h")
    ledger.claim("b")  # in flight: its outcome is unknown until recorded

    assert watermark.advance(T0 + timedelta(hours=1)) == T0 + timedelta(minutes=2)

    ledger.mark_failed("b", "data", "bad")  # failed is settled: the failure queue owns it
    assert watermark.advance(T0 + timedelta(hours=1)) == T0 + timedelta(minutes=3)

    ledger.mark_skipped("c", "ineligible")
    assert watermark.advance(T0 + timedelta(hours=1)) == T0 + timedelta(hours=1)


def test_watermark_never_moves_backwards(engine, integration):
    ledger, watermark = _pair(engine, integration)
    watermark.advance(T0 + timedelta(hours=2))
    ledger.record_pending([("late", T0)])  # e.g. a retry of an old record

    assert watermark.advance(T0 + timedelta(hours=3)) == T0 + timedelta(hours=2)
    assert watermark.advance(T0) == T0 + timedelta(hours=2)


def test_unsettled_records_of_other_flows_do_not_block(engine, integration):
    _, watermark = _pair(engine, integration)
    other = Ledger(engine, integration, "customers", "customer", "run-1")
    other.record_pending([("x", T0)])

    assert watermark.advance(T0 + timedelta(days=1)) == T0 + timedelta(days=1)
