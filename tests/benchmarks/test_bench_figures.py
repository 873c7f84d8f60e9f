"""The sync benchmark's pure parts: figures from request counts and summaries, the table, the
seed's change times. No emulators, no Prefect, no runs."""

from __future__ import annotations

from datetime import timedelta

from benchmarks import figures
from benchmarks.seed import RECENT_SPAN, change_step


def _counts(*rows: tuple[str, str, int]) -> dict[str, object]:
    return {
        "total": sum(n for _, _, n in rows),
        "counts": [{"method": m, "route": r, "count": n} for m, r, n in rows],
        "statuses": {"200": sum(n for _, _, n in rows)},
    }


def test_api_calls_per_record_and_per_endpoint() -> None:
    api = figures.api_calls(
        {"vismanet": _counts(("POST", "/API/v1/customer", 5), ("GET", "/API/v1/customer", 15))},
        per=10,
    )
    assert api["vismanet"]["calls"] == 20
    assert api["vismanet"]["calls_per_record"] == 2.0
    assert list(api["vismanet"]["endpoints"]) == ["GET /API/v1/customer", "POST /API/v1/customer"]
    assert api["vismanet"]["endpoints"]["POST /API/v1/customer"]["per_record"] == 0.5
    assert figures.list_calls(api, "customers") == 15
    assert figures.list_calls(api, "sales_orders") == 0


def test_summary_counts_and_records_read() -> None:
    summary = (
        "sync-sales-orders for bench: completed\n"
        "  order: read 100, created 60, unchanged 40\n"
        "  customer: read 20, created 2\n"
        "  note: something said in words 3\n"
    )
    counts = figures.summary_counts({"summary": summary})
    assert counts["order"] == {"read": 100, "created": 60, "unchanged": 40}
    assert figures.records_read(counts, "order") == 100
    assert figures.records_read(counts) == 120


def test_naive_comparison_ratios() -> None:
    engine = {"orders_per_second": 60.0, "calls_per_order": 1.2,
              "api": {"vismanet": {"calls_per_record": 1.0}}}  # fmt: skip
    naive = {"orders_per_second": 20.0, "calls_per_order": 6.0,
             "api": {"vismanet": {"calls_per_record": 5.0}}}  # fmt: skip
    assert figures.naive_comparison(engine, naive) == {
        "throughput_ratio": 3.0,
        "calls_ratio": 5.0,
        "calls_ratio_per_system": {"vismanet": 5.0},
    }
    assert figures.ratio(1.0, 0) is None


def test_table_holds_every_part_that_ran() -> None:
    api = figures.api_calls({"eaccounting": _counts(("GET", "/v2/orders", 2))}, per=1)
    no_op = {"seconds": 1.0, "cpu_seconds": 0.5, "records_read": 100, "source_list_calls": 2}
    report = {
        "orders": 100,
        "sales_orders": {"orders_per_second": 50.0, "api": api, "status_429": 0},
        "no_op": {
            "default_overlap": {**no_op, "overlap_minutes": 10},
            "no_overlap": {**no_op, "overlap_minutes": 0, "records_read": 1},
            "seconds_ratio": 1.0,
            "cpu_seconds_ratio": 1.0,
        },
        "memory": {"sync_process": [{"orders": 100, "peak_rss_mb": 150.0}]},
        "master_data": [],
    }
    table = figures.format_table(figures.figure_rows(report))
    lines = table.splitlines()
    assert lines[0].split() == ["figure", "value", "target"]
    assert "50.0" in table and "150.0 MB" in table and "<= 1.2 x" in table
    assert "naive" not in table  # a part that did not run prints no row


def test_generated_orders_all_change_within_the_recent_span() -> None:
    for orders in (20, 1_000, 10_000, 100_000):
        step = change_step(orders)
        assert step >= timedelta(milliseconds=1)
        assert step * orders <= RECENT_SPAN or step == timedelta(milliseconds=1)
    assert change_step(20) == timedelta(seconds=1)
