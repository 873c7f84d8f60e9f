"""Several writes to a target at once, where the target's latency rather than its budget binds.

The real Visma.net answers a create in hundreds of milliseconds, so one write at a time leaves
most of the hourly budget unspent. :func:`for_each_concurrently` runs a step's per-record writes
on a bounded pool of threads. What keeps it safe:

- every write still goes through :func:`~vismasync.engine.write_once.write_once` on its own
  record: claimed in the ledger before it is sent, marked after (each ledger call is its own
  transaction on its own pooled connection), so a lost answer or a killed process leaves that
  record ``in_flight`` exactly as it would one at a time;
- the workers share the integration's one client, so its limiters (Visma.net's hourly budget,
  paced; eAccounting's per-endpoint minute) count every worker's calls;
- each record is touched by one worker only, and the caller counts outcomes afterwards in the
  batch's order, so summaries do not depend on which write finished first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def for_each_concurrently(items: Sequence[T], work: Callable[[T], None], workers: int) -> None:
    """Call ``work`` on every item, at most ``workers`` at a time; returns when all are done.

    With one worker (or one item) the calls run in order on the calling thread. After a call
    raises, no further call starts (as if the process had stopped there); the calls under way
    finish, and then the first exception in item order is raised.
    """
    if workers <= 1 or len(items) <= 1:
        for item in items:
            work(item)
        return
    # Set by the first failure: a worker that is free again starts nothing more, as a run that
    # stops there would not (what never started is never claimed).
    stopped = threading.Event()

    def guarded(item: T) -> None:
        if stopped.is_set():
            return
        try:
            work(item)
        except BaseException:
            stopped.set()
            raise

    pool = ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="write")
    futures: list[Future[None]] = []
    try:
        futures = [pool.submit(guarded, item) for item in items]
        for future in futures:
            future.result()
    except BaseException:
        stopped.set()
        for future in futures:
            future.cancel()
        raise
    finally:
        pool.shutdown(wait=True)
