"""HTTP plumbing shared by both connectors: error taxonomy, retry policy, rate limiting.

Each HTTP outcome (a status code or an httpx transport exception) maps to one
:class:`Resolution` in one table (:data:`STATUS_RESOLUTIONS`, :data:`EXCEPTION_RESOLUTIONS`),
and one retry loop (:func:`call_with_retries`) acts on it, so the two connectors treat failures
the same way instead of scattering ``if`` chains.
"""

from __future__ import annotations

import email.utils
import json
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
from pydantic import BaseModel, ValidationError

# Re-exported: both connectors take their limiters from this module.
from vismasync.connectors.budget import BudgetLimiter as BudgetLimiter

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class ErrorClass(StrEnum):
    """What a failure means for the caller (stored in the ledger as ``error_class``)."""

    TRANSIENT = "transient"  # try again later, the same request may succeed
    RATE_LIMITED = "rate_limited"  # wait the advertised time, then try again
    DATA = "data"  # the record or request is wrong: fix the data
    CONFIG = "config"  # permissions, scopes, modules, settings: fix the configuration
    AUTH = "auth"  # credentials rejected even after a refresh


class Action(StrEnum):
    """What the retry loop does about a failure."""

    RETRY = "retry"  # back off (capped exponential, jittered), then try again
    WAIT_AND_RETRY = "wait_and_retry"  # wait the server-advertised time, then try again
    REFRESH_AND_RETRY = "refresh_and_retry"  # re-authenticate once, then try again
    FAIL = "fail"  # repeating the same request cannot help: raise


class WriteOutcome(StrEnum):
    """What a failed write did on the server, which decides whether it may be sent again."""

    NOT_SENT = "not_sent"  # the server did not process it: safe to send again
    REFUSED = "refused"  # the server processed and rejected it: nothing was applied
    UNKNOWN = "unknown"  # it may have been applied: look it up before sending again


@dataclass(frozen=True)
class Resolution:
    """The meaning of one HTTP outcome: its class, what to do, and what a write did."""

    error_class: ErrorClass
    action: Action
    write_outcome: WriteOutcome


_REFUSED_DATA = Resolution(ErrorClass.DATA, Action.FAIL, WriteOutcome.REFUSED)
_SERVER_FAILED = Resolution(ErrorClass.TRANSIENT, Action.RETRY, WriteOutcome.UNKNOWN)
_NEVER_LEFT = Resolution(ErrorClass.TRANSIENT, Action.RETRY, WriteOutcome.NOT_SENT)
_ANSWER_LOST = Resolution(ErrorClass.TRANSIENT, Action.RETRY, WriteOutcome.UNKNOWN)

# The one table of what an HTTP outcome means (DESIGN.md "HTTP behaviour"). Statuses not
# listed: 5xx as ``_SERVER_FAILED``, anything else 4xx as ``_REFUSED_DATA``.
STATUS_RESOLUTIONS: dict[int, Resolution] = {
    400: _REFUSED_DATA,
    401: Resolution(ErrorClass.AUTH, Action.REFRESH_AND_RETRY, WriteOutcome.REFUSED),
    403: Resolution(ErrorClass.CONFIG, Action.FAIL, WriteOutcome.REFUSED),
    404: _REFUSED_DATA,
    408: Resolution(ErrorClass.TRANSIENT, Action.RETRY, WriteOutcome.UNKNOWN),
    409: _REFUSED_DATA,
    412: _REFUSED_DATA,
    422: _REFUSED_DATA,
    # The gateway refuses before the ERP sees the request: even a write is safe to resend.
    429: Resolution(ErrorClass.RATE_LIMITED, Action.WAIT_AND_RETRY, WriteOutcome.NOT_SENT),
}

# Transport failures, looked up along the exception's class hierarchy (most specific first).
# Connect-type failures mean the request never left; after a read or protocol failure the
# server may have processed it. Any other ``httpx.TransportError``: ``_ANSWER_LOST``.
EXCEPTION_RESOLUTIONS: dict[type[BaseException], Resolution] = {
    httpx.ConnectError: _NEVER_LEFT,
    httpx.ConnectTimeout: _NEVER_LEFT,
    httpx.PoolTimeout: _NEVER_LEFT,
    httpx.ReadTimeout: _ANSWER_LOST,
    httpx.WriteTimeout: _ANSWER_LOST,
    httpx.RemoteProtocolError: _ANSWER_LOST,
    httpx.ReadError: _ANSWER_LOST,
}


def resolve_status(status_code: int) -> Resolution:
    """The resolution of an HTTP error status (>= 400)."""
    if status_code in STATUS_RESOLUTIONS:
        return STATUS_RESOLUTIONS[status_code]
    return _SERVER_FAILED if status_code >= 500 else _REFUSED_DATA


def resolve_exception(exc: BaseException) -> Resolution:
    """The resolution of a transport failure raised by httpx (or an :class:`ApiError`'s own)."""
    if isinstance(exc, ApiError):
        return exc.resolution
    for cls in type(exc).__mro__:
        if cls in EXCEPTION_RESOLUTIONS:
            return EXCEPTION_RESOLUTIONS[cls]
    return _ANSWER_LOST


def after_refresh(resolution: Resolution) -> Resolution:
    """The resolution of an answer to a request already re-authenticated once: a
    ``REFRESH_AND_RETRY`` becomes final (``FAIL``)."""
    if resolution.action is Action.REFRESH_AND_RETRY:
        return Resolution(resolution.error_class, Action.FAIL, resolution.write_outcome)
    return resolution


# What an error built without a resolution means (after a refresh, a 401 is final).
_DEFAULT_RESOLUTIONS: dict[ErrorClass, Resolution] = {
    ErrorClass.TRANSIENT: Resolution(ErrorClass.TRANSIENT, Action.RETRY, WriteOutcome.UNKNOWN),
    ErrorClass.RATE_LIMITED: Resolution(
        ErrorClass.RATE_LIMITED, Action.WAIT_AND_RETRY, WriteOutcome.REFUSED
    ),
    ErrorClass.DATA: _REFUSED_DATA,
    ErrorClass.CONFIG: Resolution(ErrorClass.CONFIG, Action.FAIL, WriteOutcome.REFUSED),
    ErrorClass.AUTH: Resolution(ErrorClass.AUTH, Action.FAIL, WriteOutcome.REFUSED),
}


class ApiError(Exception):
    """A failed call to an external API, with what the API said about it.

    ``message`` is the API's own human-readable text; ``code`` and ``error_id`` are the API's
    error code and correlation id when it sends them; ``write_outcome`` says whether a failed
    write was not sent, refused, or may have been applied. Built without a resolution, an error
    is ``UNKNOWN`` when transient and ``REFUSED`` otherwise. Never carries request headers or
    bodies, so secrets cannot leak through it.
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
        write_outcome: WriteOutcome | None = None,
        action: Action | None = None,
    ) -> None:
        super().__init__(message)
        default = _DEFAULT_RESOLUTIONS[error_class]
        self.message = message
        self.error_class = error_class
        self.status_code = status_code
        self.code = code
        self.error_id = error_id
        self.retry_after = retry_after
        self.method = method
        self.url = url
        self.details = details or []
        # What a write did on the server; decides whether the retry loop may resend it.
        self.write_outcome = write_outcome or default.write_outcome
        self.action = action or default.action

    @property
    def resolution(self) -> Resolution:
        return Resolution(self.error_class, self.action, self.write_outcome)

    @property
    def outcome_unknown(self) -> bool:
        """True when a failed write may have been applied: look it up before sending again."""
        return self.write_outcome is WriteOutcome.UNKNOWN

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
    """Timeouts, connection failures, 408 and 5xx: see ``write_outcome`` for a write's fate."""


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


def error_for(resolution: Resolution, message: str, **details: Any) -> ApiError:
    """The taxonomy error of a resolution (``details``: the :class:`ApiError` keywords)."""
    return ERROR_TYPES[resolution.error_class](
        message,
        error_class=resolution.error_class,
        action=resolution.action,
        write_outcome=resolution.write_outcome,
        **details,
    )


def error_for_transport(exc: httpx.TransportError, method: str, url: str) -> ApiError:
    """A connection-level failure, resolved by :func:`resolve_exception`: the request never
    left (``NOT_SENT``) or may have reached the server (``UNKNOWN``)."""
    return error_for(
        resolve_exception(exc),
        f"{type(exc).__name__}: the server did not answer ({exc})",
        method=method,
        url=url,
    )


# A 2xx answer the client cannot read (not JSON, an HTML page, empty or cut short, an error
# envelope, the wrong shape): the server failed to answer properly. Transient, so reads are
# retried; a write may have been applied, so its outcome is unknown (look it up first).
MALFORMED_ANSWER = _SERVER_FAILED


def malformed_answer(
    response: httpx.Response, method: str, problem: str, *, message: str | None = None
) -> ApiError:
    """The taxonomy error of a 2xx answer that cannot be read (see :data:`MALFORMED_ANSWER`).

    The message names the request, the status, the content type and length and ``problem``,
    never the body itself (a token answer cut short would still hold a token); ``message``
    is the API's own text when the body was an error envelope.
    """
    kind = response.headers.get("Content-Type", "no content type").split(";")[0].strip()
    text = f"malformed answer ({problem}; {kind}, {len(response.content)} bytes)"
    if message:
        text += f": {message[:300]}"
    return error_for(
        MALFORMED_ANSWER,
        text,
        status_code=response.status_code,
        method=method,
        url=redact_url(response.request.url),
    )


def decode_json(
    response: httpx.Response, method: str, *, allow_empty: bool = False, **loads: Any
) -> Any:
    """The JSON body of a 2xx answer, or :func:`malformed_answer` when it is not JSON (an
    HTML error page, an empty or truncated body). ``allow_empty``: an empty body is ``None``.
    ``loads``: keyword arguments of :func:`json.loads` (``parse_float=Decimal``)."""
    if not response.content.strip():
        if allow_empty:
            return None
        raise malformed_answer(response, method, "empty body")
    try:
        return json.loads(response.content, **loads)
    except (ValueError, RecursionError) as exc:
        head = response.content.lstrip()[:1]
        problem = "an HTML page" if head == b"<" else f"not JSON: {type(exc).__name__}"
        if isinstance(exc, json.JSONDecodeError):
            problem += f" at byte {exc.pos}"
        raise malformed_answer(response, method, problem) from None


def expect_shape(value: Any, shape: type | tuple[type, ...], response_of: str) -> Any:
    """``value`` when it is an instance of ``shape``, else a malformed-answer error naming
    ``response_of`` (the request, "GET /v2/customers")."""
    if isinstance(value, shape):
        return value
    raise error_for(
        MALFORMED_ANSWER,
        f"{response_of}: malformed answer (expected {_shape_name(shape)}, "
        f"got {type(value).__name__})",
    )


def parse_model(model: type[M], data: Any, response_of: str) -> M:
    """``data`` validated as ``model``; an answer that does not fit is a malformed-answer
    error naming ``response_of`` and the first fields at fault, not a crash."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise error_for(
            MALFORMED_ANSWER,
            f"{response_of}: malformed answer (not a {model.__name__}: {where})",
        ) from None


def _shape_name(shape: type | tuple[type, ...]) -> str:
    shapes = shape if isinstance(shape, tuple) else (shape,)
    names = {"dict": "an object", "list": "an array"}
    return " or ".join(names.get(s.__name__, s.__name__) for s in shapes)


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
    """Capped exponential backoff with full jitter, and how long a 429 may be waited out.

    Reads retry per the resolution table; writes are resent only when they were not sent
    (see :func:`call_with_retries`), otherwise the ledger's exactly-once protocol decides.
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


class RequestKind(StrEnum):
    """Whether repeating a request is harmless (a read) or may duplicate an effect (a write)."""

    READ = "read"
    WRITE = "write"

    @classmethod
    def of(cls, method: str) -> RequestKind:
        return cls.READ if method.upper() in {"GET", "HEAD", "OPTIONS"} else cls.WRITE


def retry_delay(
    error: ApiError, policy: RetryPolicy, attempt: int, kind: RequestKind = RequestKind.READ
) -> float | None:
    """How long to wait before sending again after ``error`` on try ``attempt`` (1-based),
    or ``None`` when the error is to be raised.

    Reads follow the resolution's action; writes are sent again only when the server did not
    process them (``NOT_SENT``: a 429, a connect failure), otherwise the caller's exactly-once
    protocol decides. ``REFRESH_AND_RETRY`` is the transport's own (one re-authentication):
    an error reaching this loop with it is final.
    """
    if attempt >= policy.attempts:
        return None
    if kind is RequestKind.WRITE and error.write_outcome is not WriteOutcome.NOT_SENT:
        return None
    if error.action is Action.RETRY:
        return policy.backoff(attempt)
    if error.action is Action.WAIT_AND_RETRY:
        wait = error.retry_after if error.retry_after is not None else policy.backoff(attempt)
        return wait if wait <= policy.max_rate_limit_wait else None
    return None


def call_with_retries(
    send: Callable[[], T],
    policy: RetryPolicy,
    *,
    kind: RequestKind = RequestKind.READ,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``send`` until it succeeds or an :class:`ApiError` is final (see :func:`retry_delay`).

    Transient failures back off, 429s wait the advertised time (up to
    ``policy.max_rate_limit_wait``), all within ``policy.attempts`` tries; data, configuration
    and authentication errors are raised at once. A write's error is raised at once unless it
    was not sent, carrying its ``write_outcome`` (``UNKNOWN`` or ``REFUSED``).
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return send()
        except ApiError as exc:
            delay = retry_delay(exc, policy, attempt, kind)
            if delay is None:
                raise
            sleep(delay)


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


DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
