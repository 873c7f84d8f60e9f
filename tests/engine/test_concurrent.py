"""Per-record work on a bounded pool of threads, as pure code (no servers)."""

from __future__ import annotations

import threading
import time

import pytest

from vismasync.engine.concurrent import for_each_concurrently


class Gauge:
    """How many calls run at once, at most."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


def test_every_item_is_worked_on_once_and_at_most_workers_at_a_time():
    gauge, done = Gauge(), []

    def work(item: int) -> None:
        with gauge:
            time.sleep(0.01)
            done.append(item)

    for_each_concurrently(list(range(20)), work, workers=4)
    assert sorted(done) == list(range(20))
    assert 1 < gauge.most <= 4


def test_one_worker_works_in_order_on_the_calling_thread():
    threads, done = set(), []

    def work(item: int) -> None:
        threads.add(threading.current_thread())
        done.append(item)

    for_each_concurrently([3, 1, 2], work, workers=1)
    assert done == [3, 1, 2]
    assert threads == {threading.current_thread()}


class Died(BaseException):
    """A process that stops (never caught by the product)."""


def test_after_a_failure_nothing_more_starts_and_the_failure_is_raised():
    started = []
    lock = threading.Lock()

    def work(item: int) -> None:
        with lock:
            started.append(item)
        time.sleep(0.02)
        if item == 1:
            raise Died()

    with pytest.raises(Died):
        for_each_concurrently(list(range(50)), work, workers=4)
    # The calls under way when item 1 failed finish; no free worker takes another item.
    assert 1 in started
    assert len(started) <= 4 + 3
