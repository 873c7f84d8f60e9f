"""One sales-order run in a process of its own, for its memory high-water mark.

``python -m benchmarks.rss_probe INTEGRATION`` runs the Prefect flow once for the integration
(configured and authorized by the caller, reporting to ``PREFECT_API_URL``) and prints one JSON
line: the process's resident set before the flow (imports, connections) and its peak. A process
of its own, because the benchmark process's high-water mark also holds the seeding of the
emulators and every earlier run.

With ``VISMASYNC_BENCH_TRACE=N`` it also prints to stderr the N allocation sites (tracemalloc,
10 frames) that hold the most memory after the flow that they did not hold before it, and the
resident set sampled every 5 seconds: where growth with the number of orders comes from.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any


def rss_mb() -> float:
    """The resident set now (Linux ``/proc``; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return round(pages * resource.getpagesize() / 2**20, 1)


def peak_rss_mb() -> float:
    """This process's resident-set high-water mark so far.

    ``VmHWM`` where Linux has it: it belongs to the program's own address space, whereas
    ``ru_maxrss`` is carried over from the forked parent (a process started by the benchmark
    would report at least the benchmark's size).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 1024 if sys.platform != "darwin" else peak / 2**20, 1)


def probe(integration: str) -> dict[str, Any]:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from vismasync.flows.sales_orders import sync_sales_orders
    from vismasync.store.database import get_engine

    get_engine().connect().close()  # the database pool is part of the baseline, not the run
    trace = int(os.environ.get("VISMASYNC_BENCH_TRACE") or 0)
    if trace:
        tracemalloc.start(10)
        baseline = tracemalloc.take_snapshot()
        stop = _sample_rss_every(5.0)
    before = rss_mb()
    start = time.perf_counter()
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        result = sync_sales_orders(integration=integration, dry_run=False)
    if trace:
        stop.set()
        _print_growth(baseline, tracemalloc.take_snapshot(), trace)
    return {
        "seconds": round(time.perf_counter() - start, 2),
        "rss_before_flow_mb": before,
        "peak_rss_mb": peak_rss_mb(),
        "summary": str(result.get("summary", "")) if isinstance(result, dict) else str(result),
    }


def _sample_rss_every(seconds: float) -> threading.Event:
    stop = threading.Event()

    def sample() -> None:
        start = time.perf_counter()
        while not stop.wait(seconds):
            traced = tracemalloc.get_traced_memory()[0] / 2**20
            print(f"rss {time.perf_counter() - start:7.1f} s: {rss_mb()} MB "
                  f"(traced {traced:.1f} MB)", file=sys.stderr, flush=True)  # fmt: skip

    threading.Thread(target=sample, daemon=True).start()
    return stop


def _print_growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, top: int) -> None:
    """The allocation sites holding the most new memory after the flow, heaviest first."""
    print(f"traced memory now {tracemalloc.get_traced_memory()[0] / 2**20:.1f} MB, "
          f"peak {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MB", file=sys.stderr)  # fmt: skip
    for stat in after.compare_to(before, "traceback")[:top]:
        print(f"{stat.size_diff / 2**20:+.2f} MB in {stat.count_diff:+d} blocks", file=sys.stderr)
        for line in stat.traceback.format()[-12:]:
            print("    " + line, file=sys.stderr)


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1])))
