"""The ledger's claim protocol on a real PostgreSQL server."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from vismasync.store.ledger import Ledger, list_entries
from vismasync.store.models import LedgerStatus


def _ledger(engine, integration, run_id="run-1"):
    return Ledger(engine, integration, "sales_orders", "order", run_id)


def test_two_connections_claiming_one_key_yield_exactly_one_owner(engine, integration):
    ledgers = [_ledger(engine, integration) for _ in range(8)]
    barrier = threading.Barrier(len(ledgers))
    results = []

    def claim(ledger):
        barrier.wait()
        results.append(ledger.claim("order-1"))

    threads = [threading.Thread(target=claim, args=(ledger,)) for ledger in ledgers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(1 for claim in results if claim.owned) == 1
    assert _ledger(engine, integration).get("order-1").attempts == 1


def test_claim_after_done_reports_the_known_target(engine, integration):
    ledger = _ledger(engine, integration)
    assert ledger.claim("order-1").owned
    ledger.mark_done("order-1", "SO-0001", "hash-1")

    again = _ledger(engine, integration, "run-2").claim("order-1")

    assert again.owned
    assert again.previous_status == LedgerStatus.DONE
    assert again.target_key == "SO-0001"
    assert again.content_hash == "hash-1"
    assert again.attempts == 2
    assert not again.outcome_unknown


def test_in_flight_of_another_run_is_taken_over_only_on_request(engine, integration):
    assert _ledger(engine, integration, "crashed-run").claim("order-1").owned

    refused = _ledger(engine, integration, "run-2").claim("order-1")
    recovered = _ledger(engine, integration, "run-2").claim("order-1", recover_in_flight=True)

    assert not refused.owned
    assert recovered.owned
    assert recovered.outcome_unknown  # the crashed run's write must be looked up first


def test_mark_failed_keeps_error_and_counts_attempts(engine, integration):
    ledger = _ledger(engine, integration)
    ledger.mark_failed("order-7", "data", "SKU 'X-1' does not exist in Visma.net")
    ledger.mark_failed("order-7", "data", "SKU 'X-1' does not exist in Visma.net")
    assert ledger.claim("order-8").owned
    ledger.mark_failed("order-8", "transient", "timeout")

    failed = {
        e.source_key: e
        for e in list_entries(engine, integration=integration, statuses=[LedgerStatus.FAILED])
    }

    assert failed["order-7"].attempts == 2
    assert failed["order-7"].error_class == "data"
    assert "X-1" in failed["order-7"].message
    assert failed["order-8"].attempts == 1  # the claim counted it, the failure does not again


def test_mark_skipped_and_listing_filters(engine, integration):
    ledger = _ledger(engine, integration)
    ledger.mark_skipped("order-1", "status Draft is not configured to sync")
    ledger.claim("order-2")
    ledger.record_pending([("order-3", datetime(2026, 1, 1, tzinfo=UTC))])

    def keys(*statuses):
        rows = list_entries(
            engine, integration=integration, flow="sales_orders", statuses=list(statuses)
        )
        return sorted(e.source_key for e in rows)

    assert keys(LedgerStatus.SKIPPED) == ["order-1"]
    assert keys(LedgerStatus.IN_FLIGHT) == ["order-2"]
    assert keys(LedgerStatus.PENDING) == ["order-3"]
    assert keys(LedgerStatus.PENDING, LedgerStatus.IN_FLIGHT) == ["order-2", "order-3"]
    assert list_entries(engine, integration=integration, flow="customers") == []


def test_record_pending_keeps_in_flight_rows_in_flight(engine, integration):
    ledger = _ledger(engine, integration)
    ledger.claim("order-1")
    ledger.mark_done("order-2", "SO-2", "h")
    at = datetime(2026, 3, 1, tzinfo=UTC)

    ledger.record_pending([("order-1", at), ("order-2", at)])

    rows = ledger.get_many(["order-1", "order-2"])
    assert rows["order-1"].status == LedgerStatus.IN_FLIGHT
    assert rows["order-2"].status == LedgerStatus.PENDING
    assert rows["order-2"].target_key == "SO-2"  # what was synced before is not forgotten
    assert rows["order-2"].source_changed_at == at


def test_long_messages_are_clipped(engine, integration):
    ledger = _ledger(engine, integration)
    ledger.mark_failed("order-1", "data", "x" * 10_000)
    assert len(ledger.get("order-1").message) == 4000


def test_size_counts_the_rows_of_one_entity_only(engine, integration):
    ledger = _ledger(engine, integration)
    assert ledger.size() == 0
    ledger.record_pending([("a", datetime.now(UTC)), ("b", datetime.now(UTC))])
    ledger.claim("c")
    Ledger(engine, integration, "sales_orders", "customer", "run-1").claim("other")
    assert ledger.size() == 3


def test_settled_change_times_name_the_settled_rows_of_one_entity_only(engine, integration):
    ledger = _ledger(engine, integration)
    first, later = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
    ledger.record_pending([("done", first), ("skipped", later), ("pending", first)])
    ledger.mark_done_many([("done", "SO-1", "h", first)])
    ledger.mark_skipped("skipped", "by hand")
    ledger.mark_failed("failed", "data", "bad")
    Ledger(engine, integration, "sales_orders", "customer", "run-1").mark_done("done", "C", "h")

    settled = ledger.settled_change_times(["done", "skipped", "pending", "failed", "unknown"])

    assert settled == {"done": first, "skipped": later}
