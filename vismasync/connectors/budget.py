"""Pacing a server-announced call budget (Visma.net: ``X-RateLimit-*`` on every answer).

Visma.net allows a fixed number of requests per hour for each company and client
(``4-fixed-window``). Spending it as fast as the API answers and then waiting for the reset
stalls a long run for most of the hour (and leaves nothing for the other flows of the same
client); :class:`BudgetLimiter` instead spreads what is left over the time left:

- while more than ``pace_below`` of the announced limit remains, calls go at once (a run that
  fits comfortably in the budget is not slowed down);
- below it, consecutive calls start at least ``time to reset / (remaining - reserve)`` apart,
  so the rest of the budget lasts until the reset at an even pace;
- the last ``reserve`` calls are kept back (other flows and processes of the same client,
  lookups after lost answers, the header's whole-second rounding): a client that finds only
  the reserve left waits for the reset, which is the only stall, and it never ends in a 429.

The limiter counts every call it lets through against the remaining budget at once, so
concurrent workers sharing it see each other's calls before the answers announce them.
Thread-safe; the clock and sleep are injectable for tests.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

# Announced resets are whole seconds (rounded up) measured when the answer left the server, so
# two answers of one window may place its end up to this far apart; a later end than that is a
# new window.
WINDOW_TOLERANCE = 2.0


@dataclass
class BudgetLimiter:
    """Follows and paces a server-announced budget (``X-RateLimit-Limit/-Remaining/-Reset``)."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    # Share of the limit below which the remaining budget is spread over the time to the reset.
    pace_below: float = 0.5
    # Share of the limit kept back (at least one call): see the module docstring.
    reserve_share: float = 0.01
    limit: int | None = None
    # Calls left in the window as far as this client knows: the smallest announcement of the
    # window, less the calls let through since.
    remaining: int | None = None
    reset_at: float | None = None
    _next_start: float = field(default=0.0, init=False, repr=False)
    _largest_seen: int = field(default=0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def acquire(self) -> float:
        """Wait until the next call may start (see the module docstring); the seconds waited."""
        with self._lock:
            now = self.clock()
            start = self._slot(now)
        wait = start - now
        if wait > 0:
            self.sleep(wait)
        return max(wait, 0.0)

    def _slot(self, now: float) -> float:
        """The start time of the next call, counted against the budget (lock held)."""
        if self.reset_at is not None and now >= self.reset_at:
            # The window is over: the budget is back; the next answer announces how much.
            self.remaining = self.reset_at = None
        start = max(now, self._next_start)
        if self.remaining is None or self.reset_at is None:
            return start
        usable = self.remaining - self.reserve()
        if usable <= 0:
            # Only the reserve is left: the next call opens the next window.
            start = max(start, self.reset_at)
            self.remaining = self.reset_at = None
            self._next_start = start
            return start
        if self.remaining > self.pace_below * self.reference_limit():
            self.remaining -= 1
            return start
        self._next_start = start + max(0.0, self.reset_at - start) / usable
        self.remaining -= 1
        return start

    def reference_limit(self) -> int:
        """The window's budget: announced, else the most ever announced as remaining."""
        return self.limit if self.limit is not None else self._largest_seen

    def reserve(self) -> int:
        """Calls kept back in every window (at least one)."""
        return max(1, math.ceil(self.reserve_share * self.reference_limit()))

    def update(self, response: httpx.Response) -> None:
        """Take in the budget an answer announces (any status: a 429 announces it too)."""
        headers = response.headers
        try:
            limit = _int(headers.get("X-RateLimit-Limit"))
            remaining = _int(headers.get("X-RateLimit-Remaining"))
            reset = headers.get("X-RateLimit-Reset")
            reset_in = float(reset) if reset is not None else None
        except ValueError:
            # An unparsable header must not break a call; keep the last known budget.
            return
        with self._lock:
            now = self.clock()
            if limit is not None:
                self.limit = limit
            if remaining is None:
                return
            self._largest_seen = max(self._largest_seen, remaining)
            ends = now + reset_in if reset_in is not None else None
            same_window = (
                self.remaining is not None
                and self.reset_at is not None
                and (ends is None or ends <= self.reset_at + WINDOW_TOLERANCE)
            )
            if same_window:
                # Answers of one window arrive out of order under concurrency: the smallest
                # remaining and the earliest end are the truest.
                self.remaining = min(self.remaining or 0, remaining)
                if ends is not None:
                    self.reset_at = min(self.reset_at or ends, ends)
            else:
                self.remaining = remaining
                self.reset_at = ends


def _int(value: str | None) -> int | None:
    return int(value) if value is not None else None
