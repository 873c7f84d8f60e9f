"""One sales-order run in a process of its own, for its memory high-water mark.

``python -m benchmarks.rss_probe INTEGRATION`` runs the Prefect flow once for the integration
(configured and authorized by the caller, reporting to ``PREFECT_API_URL``) and prints one JSON
line: the process's resident set before the flow (imports, connections) and its peak. A process
of its own, because the benchmark process's high-water mark also holds the seeding of the
emulators and every earlier run.
"""

from __future__ import annotations

import json
import resource
import sys
import time
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
    before = rss_mb()
    start = time.perf_counter()
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        result = sync_sales_orders(integration=integration, dry_run=False)
    return {
        "seconds": round(time.perf_counter() - start, 2),
        "rss_before_flow_mb": before,
        "peak_rss_mb": peak_rss_mb(),
        "summary": str(result.get("summary", "")) if isinstance(result, dict) else str(result),
    }


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1])))
