"""Pacing a server-announced budget, as pure code on a fake clock (no servers, no sleeping)."""

from __future__ import annotations

import math

import httpx

from tests.connectors.fake_clock import Clock
from vismasync.connectors.budget import BudgetLimiter


class FixedWindowServer:
    """Visma.net's ``4-fixed-window`` policy on the fake clock: ``limit`` calls per window,
    windows aligned to multiples of ``window``, announced on every answer."""

    def __init__(self, clock: Clock, limit: int, window: float) -> None:
        self.clock, self.limit, self.window = clock, limit, window
        self.used: dict[int, int] = {}
        self.refused = 0
        self.served: list[float] = []

    def answer(self) -> httpx.Response:
        now = self.clock()
        window_id = int(now // self.window)
        reset = max(1, math.ceil(self.window - now % self.window))
        used = self.used.get(window_id, 0)
        if used >= self.limit:
            self.refused += 1
            return self._response(429, 0, reset)
        self.used[window_id] = used + 1
        self.served.append(now)
        return self._response(200, self.limit - used - 1, reset)

    def _response(self, status: int, remaining: int, reset: int) -> httpx.Response:
        return httpx.Response(status, headers={
            "X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
        })  # fmt: skip


def run_calls(limiter: BudgetLimiter, server: FixedWindowServer, clock: Clock, calls: int,
              latency: float) -> None:  # fmt: skip
    """``calls`` requests one after the other, each answered ``latency`` seconds after it left."""
    for _ in range(calls):
        limiter.acquire()
        clock.now += latency
        limiter.update(server.answer())


def budget(clock: Clock, **settings: float) -> BudgetLimiter:
    return BudgetLimiter(clock=clock, sleep=clock.sleep, **settings)  # type: ignore[arg-type]


def test_a_run_that_fits_in_the_budget_is_not_slowed_down():
    clock = Clock()
    server = FixedWindowServer(clock, limit=1000, window=3600)
    limiter = budget(clock)
    run_calls(limiter, server, clock, 400, latency=0.05)
    assert clock.sleeps == []


def test_a_run_beyond_the_budget_is_spread_over_the_window_instead_of_stalling():
    clock = Clock()
    server = FixedWindowServer(clock, limit=100, window=60)
    limiter = budget(clock)
    # Unpaced, 100 calls at 50 ms spend the window's budget in 5 s and stall for 55 s.
    run_calls(limiter, server, clock, 250, latency=0.05)

    assert server.refused == 0
    gaps = [b - a for a, b in zip(server.served, server.served[1:], strict=False)]
    assert max(gaps) < 3.0, "the run stalled instead of pacing"
    first_window = [t for t in server.served if t < 60]
    assert len(first_window) >= 97, "the budget was not used to the full"
    # Paced from half the budget on: the second half of the first window is spread out.
    assert first_window[-1] > 55


def test_paced_throughput_reaches_the_budget_ceiling_over_several_windows():
    clock = Clock()
    server = FixedWindowServer(clock, limit=200, window=60)
    limiter = budget(clock)
    run_calls(limiter, server, clock, 1000, latency=0.05)
    assert server.refused == 0
    ceiling = 200 / 60  # calls per second the budget allows over any whole number of windows
    full_windows = int(server.served[-1] // 60)
    achieved = sum(1 for t in server.served if t < full_windows * 60) / (full_windows * 60)
    assert achieved >= 0.97 * ceiling


def test_pacing_everything_spaces_calls_evenly_up_to_the_reset():
    clock = Clock()
    limiter = budget(clock, pace_below=1.0, reserve_share=0.0)
    limiter.update(httpx.Response(200, headers={"X-RateLimit-Limit": "100",
                   "X-RateLimit-Remaining": "11", "X-RateLimit-Reset": "60"}))  # fmt: skip
    waits = [limiter.acquire() for _ in range(4)]
    # 11 calls left, one kept back: 10 usable over 60 s, a call every 6 s.
    assert waits == [0.0, 6.0, 6.0, 6.0]


def test_calls_let_through_count_before_their_answers_announce_them():
    """Concurrent workers share one limiter: a call counts when it leaves, not when answered."""
    clock = Clock()
    limiter = budget(clock)
    limiter.update(httpx.Response(200, headers={"X-RateLimit-Limit": "100",
                   "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "30"}))  # fmt: skip
    assert [limiter.acquire() for _ in range(2)] == [0.0, 15.0]  # 2 usable over 30 s
    # Only the reserve is left: the next call waits for the reset.
    limiter.acquire()
    assert clock.now == 30.0


def test_answers_arriving_out_of_order_never_raise_the_remaining_budget():
    clock = Clock()
    limiter = budget(clock)

    def announce(remaining: int, reset: int) -> None:
        limiter.update(httpx.Response(200, headers={"X-RateLimit-Limit": "100",
                       "X-RateLimit-Remaining": str(remaining),
                       "X-RateLimit-Reset": str(reset)}))  # fmt: skip

    announce(40, 50)
    announce(42, 51)  # an older answer of the same window
    assert limiter.remaining == 40 and limiter.reset_at == 50
    clock.now = 52.0
    announce(99, 3600)  # the next window
    assert limiter.remaining == 99 and limiter.reset_at == 52.0 + 3600


def test_a_spent_budget_waits_for_the_reset_and_a_429_announces_it():
    clock = Clock()
    limiter = budget(clock)
    limiter.update(httpx.Response(429, headers={"X-RateLimit-Remaining": "0",
                                                "X-RateLimit-Reset": "120"}))  # fmt: skip
    limiter.acquire()
    assert clock.sleeps == [120]
    limiter.acquire()  # the next window: its budget is unknown until an answer announces it
    assert clock.sleeps == [120]


def test_unreadable_or_missing_headers_keep_the_last_known_budget():
    clock = Clock()
    limiter = budget(clock)
    limiter.update(httpx.Response(200, headers={"X-RateLimit-Remaining": "many"}))
    limiter.update(httpx.Response(200))
    assert limiter.remaining is None
    assert limiter.acquire() == 0.0
