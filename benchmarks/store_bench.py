"""State-store throughput on the configured PostgreSQL server (embedded by default).

Prints figures; asserts nothing. Run with `./scripts/bench`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from vismasync.store.database import get_engine
from vismasync.store.ledger import Ledger
from vismasync.store.target_index import IndexedRecord, TargetIndex
from vismasync.store.watermarks import Watermarks


def _timed(label: str, count: int, action: Callable[[], object]) -> None:
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {count:>7} in {elapsed:7.3f} s  ({count / elapsed:10.0f}/s)")


def main() -> None:
    engine = get_engine()
    integration = f"bench-{uuid.uuid4().hex[:8]}"
    ledger = Ledger(engine, integration, "sales_orders", "order", "bench-run")
    index = TargetIndex(engine, integration, "vismanet", "inventory")
    watermarks = Watermarks(engine, integration, "sales_orders", "order")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    keys = [f"order-{i}" for i in range(2000)]

    _timed("ledger.record_pending (one batch)", len(keys), lambda: ledger.record_pending(
        (key, t0 + timedelta(seconds=i)) for i, key in enumerate(keys)
    ))  # fmt: skip
    _timed("ledger.claim + mark_done (per record)", 500, lambda: [
        (ledger.claim(key), ledger.mark_done(key, f"SO-{key}", "hash")) for key in keys[:500]
    ])  # fmt: skip
    _timed("ledger.get_many (one query)", len(keys), lambda: ledger.get_many(keys))
    _timed("watermark.advance", 200, lambda: [watermarks.advance(t0) for _ in range(200)])
    records = [IndexedRecord(f"SKU-{i:06d}", str(i), None, t0) for i in range(50_000)]
    _timed("target_index.upsert (bulk)", len(records), lambda: index.upsert(records))
    skus = [r.key for r in records[::5]]
    _timed("target_index.lookup (bulk)", len(skus), lambda: index.lookup(skus))


if __name__ == "__main__":
    main()
