"""The documented rate limit: N requests per window per (client, endpoint)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Sliding window: a request is admitted while fewer than ``limit`` were admitted for its key
    during the last ``window`` seconds; otherwise :meth:`admit` gives the seconds to wait."""

    def __init__(
        self, limit: int = 600, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, client_id: str, endpoint: str) -> int | None:
        """``None`` if admitted, else the whole seconds until a slot frees (at least 1)."""
        with self._lock:
            now = self.clock()
            hits = self._hits.setdefault((client_id, endpoint.lower()), deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) < self.limit:
                hits.append(now)
                return None
            return max(1, math.ceil(self.window - (now - hits[0])))

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
