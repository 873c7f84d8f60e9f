"""Request counts per (method, route template) and answers per status, for the admin surface
and for tests."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class RequestCounter:
    """Counts requests by (method, route template), e.g. ``("GET", "/v2/customers/{customerId}")``.

    Counting by template rather than by raw path makes "how many customer reads did the sync do"
    a single number however many ids it touched. Thread-safe.
    """

    _counts: Counter[tuple[str, str]] = field(default_factory=Counter, init=False, repr=False)
    _statuses: Counter[int] = field(default_factory=Counter, init=False, repr=False)
    # Requests being answered right now, and the most at once since the last clear: shows
    # whether a client's writes really overlapped (latency included).
    _in_flight: int = field(default=0, init=False, repr=False)
    _max_in_flight: int = field(default=0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def record(self, method: str, route: str) -> None:
        with self._lock:
            self._counts[(method.upper(), route)] += 1

    def record_status(self, status: int) -> None:
        """Count one answer by HTTP status (e.g. how many requests got a 429)."""
        with self._lock:
            self._statuses[status] += 1

    def enter(self) -> None:
        """A request starts being answered."""
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def leave(self) -> None:
        """A request's answer is done (sent, refused or dropped)."""
        with self._lock:
            self._in_flight -= 1

    def max_in_flight(self) -> int:
        """The most requests answered at once since the last clear."""
        with self._lock:
            return self._max_in_flight

    def statuses(self) -> dict[str, int]:
        """Answers per HTTP status, as ``{"200": n, "429": m}``."""
        with self._lock:
            return {str(status): n for status, n in sorted(self._statuses.items())}

    def count(self, method: str, route: str) -> int:
        with self._lock:
            return self._counts[(method.upper(), route)]

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._statuses.clear()
            self._max_in_flight = self._in_flight

    def as_list(self) -> list[dict[str, object]]:
        with self._lock:
            items = sorted(self._counts.items())
        return [{"method": m, "route": r, "count": n} for (m, r), n in items]
