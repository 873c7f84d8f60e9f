"""HTTP plumbing shared by both connectors: error taxonomy, retry policy, rate limiting.

Each HTTP outcome maps to an action in one table (:data:`STATUS_ERROR_CLASS`), so the two
connectors classify failures the same way instead of scattering ``if`` chains.
"""

from __future__ import annotations

import email.utils
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class ErrorClass(StrEnum):
    """What a failure means for the caller (stored in the ledger as ``error_class``)."""

    TRANSIENT = "transient"  # try again later, the same request may succeed
    RATE_LIMITED = "rate_limited"  # wait the advertised time, then try again
    DATA = "data"  # the record or request is wrong: fix the data
    CONFIG = "config"  # permissions, scopes, modules, settings: fix the configuration
    AUTH = "auth"  # credentials rejected even after a refresh


# Status -> class, per DESIGN.md "HTTP behaviour". Anything unlisted: 5xx transient, else data.
STATUS_ERROR_CLASS: dict[int, ErrorClass] = {
    400: ErrorClass.DATA,
    401: ErrorClass.AUTH,
    403: ErrorClass.CONFIG,
    404: ErrorClass.DATA,
    408: ErrorClass.TRANSIENT,
    409: ErrorClass.DATA,
    412: ErrorClass.DATA,
    422: ErrorClass.DATA,
    429: ErrorClass.RATE_LIMITED,
}


def classify_status(status_code: int) -> ErrorClass:
    if status_code in STATUS_ERROR_CLASS:
        return STATUS_ERROR_CLASS[status_code]
    if status_code >= 500:
        return ErrorClass.TRANSIENT
    return ErrorClass.DATA


class ApiError(Exception):
    """A failed call to an external API, with what the API said about it.

    ``message`` is the API's own human-readable text; ``code`` and ``error_id`` are the API's
    error code and correlation id when it sends them. Never carries request headers or bodies,
    so secrets cannot leak through it.
    """

    def __init__(
        self,
        message: str,
        *,
        error_class: ErrorClass,
        status_code: int | None = None,
        code: str | int | None = None,
        error_id: str | None = None,
        retry_after: float | None = None,
        method: str | None = None,
        url: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_class = error_class
        self.status_code = status_code
        self.code = code
        self.error_id = error_id
        self.retry_after = retry_after
        self.method = method
        self.url = url
        self.details = details or []

    def __str__(self) -> str:
        parts = []
        if self.method and self.url:
            parts.append(f"{self.method} {self.url}")
        if self.status_code is not None:
            parts.append(f"HTTP {self.status_code}")
        if self.code is not None:
            parts.append(f"code {self.code}")
        head = " ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.error_id:
            text += f" (error id {self.error_id})"
        return text


class TransientError(ApiError):
    """Timeouts, connection failures, 408 and 5xx: the outcome of a write is unknown."""


class RateLimitedError(ApiError):
    """429: the API asks us to wait ``retry_after`` seconds."""


class DataError(ApiError):
    """4xx caused by the request's data: fix the record."""


class ConfigError(ApiError):
    """403 and similar: permissions, scopes or modules are missing."""


class AuthError(ApiError):
    """401 after a token refresh, or a token endpoint that rejects our credentials."""


ERROR_TYPES: dict[ErrorClass, type[ApiError]] = {
    ErrorClass.TRANSIENT: TransientError,
    ErrorClass.RATE_LIMITED: RateLimitedError,
    ErrorClass.DATA: DataError,
    ErrorClass.CONFIG: ConfigError,
    ErrorClass.AUTH: AuthError,
}

_TRY_AGAIN_RE = re.compile(r"try again in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)
_RETRY_AFTER_TEXT_RE = re.compile(r"retry after (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)


def retry_after_seconds(response: httpx.Response, message: str | None = None) -> float | None:
    """How long the server asks us to wait: ``Retry-After`` (seconds or HTTP date),
    then ``X-RateLimit-Reset`` (seconds), then a "Try again in N seconds" text."""
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(header)
            if parsed is not None:
                return max(0.0, (parsed - datetime.now(UTC)).total_seconds())
    if response.status_code == 429:
        reset = response.headers.get("X-RateLimit-Reset")
        if reset:
            try:
                return max(0.0, float(reset))
            except ValueError:
                pass
    if message:
        match = _TRY_AGAIN_RE.search(message) or _RETRY_AFTER_TEXT_RE.search(message)
        if match:
            return float(match.group(1))
    return None


def error_for_transport(exc: httpx.TransportError, method: str, url: str) -> TransientError:
    """A connection-level failure: the request may or may not have reached the server."""
    return TransientError(
        f"{type(exc).__name__}: the server did not answer ({exc})",
        error_class=ErrorClass.TRANSIENT,
        method=method,
        url=url,
    )


def redact_url(url: httpx.URL | str) -> str:
    """The URL without query secrets (``client_secret``, ``code``, tokens) for messages."""
    parsed = httpx.URL(str(url))
    if not parsed.query:
        return str(parsed)
    hidden = {"client_secret", "code", "refresh_token", "access_token", "password"}
    params = [
        (key, "***" if key.lower() in hidden else value)
        for key, value in parsed.params.multi_items()
    ]
    return str(parsed.copy_with(params=params))


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter, for idempotent requests only.

    Writes never go through this: they follow the ledger's exactly-once protocol instead.
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    # Longest server-requested wait we honour inside one call; beyond it the error surfaces
    # so the caller (a task, a run) can decide, instead of a worker sleeping for an hour.
    max_rate_limit_wait: float = 120.0

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(0, ceiling)


def call_with_retries(
    send: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``send`` until it succeeds, retrying transient and rate-limited failures.

    Data, configuration and authentication errors are raised at once: repeating the same
    request cannot fix them.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return send()
        except RateLimitedError as exc:
            wait = exc.retry_after if exc.retry_after is not None else policy.backoff(attempt)
            if attempt >= policy.attempts or wait > policy.max_rate_limit_wait:
                raise
            sleep(wait)
        except TransientError:
            if attempt >= policy.attempts:
                raise
            sleep(policy.backoff(attempt))


@dataclass
class SlidingWindowLimiter:
    """At most ``limit`` calls per ``window`` seconds per key, blocking until a slot frees.

    Keeps a client under a published limit (eAccounting: 600/min per client and endpoint)
    instead of discovering it through 429 responses. Thread-safe.
    """

    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _calls: dict[str, deque[float]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def acquire(self, key: str) -> None:
        while True:
            with self._lock:
                now = self.clock()
                calls = self._calls.setdefault(key, deque())
                while calls and now - calls[0] >= self.window:
                    calls.popleft()
                if len(calls) < self.limit:
                    calls.append(now)
                    return
                wait = self.window - (now - calls[0])
            self.sleep(max(wait, 0.001))


@dataclass
class BudgetLimiter:
    """Follows a server-announced budget (``X-RateLimit-Remaining`` / ``-Reset``).

    When the server says no calls remain, waits until the announced reset before the next call.
    """

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    remaining: int | None = None
    reset_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def acquire(self) -> None:
        with self._lock:
            if self.remaining is not None and self.remaining <= 0 and self.reset_at is not None:
                wait = self.reset_at - self.clock()
            else:
                wait = 0.0
        if wait > 0:
            self.sleep(wait)

    def update(self, response: httpx.Response) -> None:
        remaining = response.headers.get("X-RateLimit-Remaining")
        reset = response.headers.get("X-RateLimit-Reset")
        with self._lock:
            try:
                self.remaining = int(remaining) if remaining is not None else self.remaining
                if reset is not None:
                    self.reset_at = self.clock() + float(reset)
            except ValueError:
                # An unparsable header must not break a call; keep the last known budget.
                pass


DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
