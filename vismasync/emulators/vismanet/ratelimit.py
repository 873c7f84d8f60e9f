"""The ``4-fixed-window`` policy: X requests per hour for each (company, client) combination."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from vismasync.emulators.vismanet.errors import RateLimitExceeded

POLICY = "4-fixed-window"
# The real number is deliberately unpublished; 15 000/hour/company is the last published
# production figure (Visma's API documentation), so the emulator defaults to it.
DEFAULT_LIMIT = 15000
DEFAULT_WINDOW = 3600.0


@dataclass
class RateBudget:
    """Fixed windows aligned to multiples of ``window`` seconds on ``clock``."""

    limit: int = DEFAULT_LIMIT
    window: float = DEFAULT_WINDOW
    clock: Callable[[], float] = time.time
    _used: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _reset_in(self, now: float) -> int:
        return max(1, math.ceil(self.window - (now % self.window)))

    def consume(self, key: tuple[str, str]) -> dict[str, str]:
        """Count one request for ``key``; the headers to send, or :class:`RateLimitExceeded`."""
        with self._lock:
            now = self.clock()
            window_id = int(now // self.window)
            current, used = self._used.get(key, (window_id, 0))
            if current != window_id:
                used = 0
            reset = self._reset_in(now)
            if used >= self.limit:
                self._used[key] = (window_id, used)
                error = RateLimitExceeded(reset)
                error.rate_headers = self.headers(0, reset)  # type: ignore[attr-defined]
                raise error
            used += 1
            self._used[key] = (window_id, used)
            return self.headers(self.limit - used, reset)

    def peek(self, key: tuple[str, str] | None) -> dict[str, str]:
        """The headers for a response that did not count (unauthenticated, admin, 429 storm)."""
        with self._lock:
            now = self.clock()
            window_id = int(now // self.window)
            used = 0
            if key is not None:
                current, count = self._used.get(key, (window_id, 0))
                used = count if current == window_id else 0
            return self.headers(max(0, self.limit - used), self._reset_in(now))

    def headers(self, remaining: int, reset: int) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Policy": POLICY,
        }

    def clear(self) -> None:
        with self._lock:
            self._used.clear()
