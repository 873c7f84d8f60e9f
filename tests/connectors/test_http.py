"""The shared HTTP plumbing, as pure code: classification, waits, retries, limiters."""

from __future__ import annotations

import httpx
import pytest

from tests.connectors.fake_clock import Clock
from vismasync.connectors.http import (
    Action,
    ApiError,
    AuthError,
    BudgetLimiter,
    DataError,
    ErrorClass,
    RateLimitedError,
    RequestKind,
    Resolution,
    RetryPolicy,
    SlidingWindowLimiter,
    TransientError,
    WriteOutcome,
    after_refresh,
    call_with_retries,
    error_for,
    error_for_transport,
    redact_url,
    resolve_exception,
    resolve_status,
    retry_after_seconds,
)

E, A, W = ErrorClass, Action, WriteOutcome


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, (E.DATA, A.FAIL, W.REFUSED)),
        (404, (E.DATA, A.FAIL, W.REFUSED)),
        (409, (E.DATA, A.FAIL, W.REFUSED)),
        (412, (E.DATA, A.FAIL, W.REFUSED)),
        (422, (E.DATA, A.FAIL, W.REFUSED)),
        (418, (E.DATA, A.FAIL, W.REFUSED)),  # any other 4xx
        (401, (E.AUTH, A.REFRESH_AND_RETRY, W.REFUSED)),
        (403, (E.CONFIG, A.FAIL, W.REFUSED)),
        (408, (E.TRANSIENT, A.RETRY, W.UNKNOWN)),
        (429, (E.RATE_LIMITED, A.WAIT_AND_RETRY, W.NOT_SENT)),
        (500, (E.TRANSIENT, A.RETRY, W.UNKNOWN)),
        (502, (E.TRANSIENT, A.RETRY, W.UNKNOWN)),
        (503, (E.TRANSIENT, A.RETRY, W.UNKNOWN)),
    ],
)
def test_status_resolutions(status: int, expected: tuple) -> None:
    assert resolve_status(status) == Resolution(*expected)


_REQUEST = httpx.Request("POST", "https://api.example/x")


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (httpx.ConnectError("refused", request=_REQUEST), W.NOT_SENT),
        (httpx.ConnectTimeout("slow", request=_REQUEST), W.NOT_SENT),
        (httpx.PoolTimeout("busy", request=_REQUEST), W.NOT_SENT),
        (httpx.ReadTimeout("slow", request=_REQUEST), W.UNKNOWN),
        (httpx.WriteTimeout("slow", request=_REQUEST), W.UNKNOWN),
        (httpx.RemoteProtocolError("cut", request=_REQUEST), W.UNKNOWN),
        (httpx.ReadError("reset", request=_REQUEST), W.UNKNOWN),
        (httpx.WriteError("reset", request=_REQUEST), W.UNKNOWN),  # not listed: unknown
    ],
)
def test_exception_resolutions(exc: httpx.TransportError, outcome: WriteOutcome) -> None:
    assert resolve_exception(exc) == Resolution(E.TRANSIENT, A.RETRY, outcome)
    error = error_for_transport(exc, "POST", "https://api.example/x")
    assert isinstance(error, TransientError) and error.write_outcome is outcome
    assert error.outcome_unknown is (outcome is W.UNKNOWN)


def test_errors_carry_their_resolution() -> None:
    built = error_for(resolve_status(429), "slow down", status_code=429, retry_after=3)
    assert isinstance(built, RateLimitedError) and built.write_outcome is W.NOT_SENT
    assert built.resolution == resolve_status(429) and not built.outcome_unknown
    assert resolve_exception(built) == resolve_status(429)
    # Built directly: unknown when transient, refused otherwise.
    assert TransientError("x", error_class=E.TRANSIENT).outcome_unknown
    assert DataError("x", error_class=E.DATA).write_outcome is W.REFUSED
    assert AuthError("x", error_class=E.AUTH).action is A.FAIL
    refused = after_refresh(resolve_status(401))
    assert refused == Resolution(E.AUTH, A.FAIL, W.REFUSED)
    assert after_refresh(resolve_status(500)) == resolve_status(500)


def test_retry_after_from_header_reset_or_text():
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "7"})) == 7
    assert retry_after_seconds(httpx.Response(429, headers={"X-RateLimit-Reset": "42"})) == 42
    text = "API calls quota exceeded! maximum admitted 600 per Minute. Try again in 55 seconds."
    assert retry_after_seconds(httpx.Response(429), text) == 55
    assert retry_after_seconds(httpx.Response(429)) is None


def test_transient_and_rate_limited_failures_are_retried_data_errors_are_not():
    clock = Clock()
    policy = RetryPolicy(attempts=4, base_delay=1, max_delay=2)
    outcomes = [
        TransientError("down", error_class=ErrorClass.TRANSIENT),
        RateLimitedError("slow down", error_class=ErrorClass.RATE_LIMITED, retry_after=30),
        "ok",
    ]

    def send():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert call_with_retries(send, policy, sleep=clock.sleep) == "ok"
    assert clock.sleeps[1] == 30  # the server's requested wait, honoured
    assert 0 <= clock.sleeps[0] <= 1

    calls = []

    def refused():
        calls.append(1)
        raise DataError("bad", error_class=ErrorClass.DATA)

    with pytest.raises(DataError):
        call_with_retries(refused, policy, sleep=clock.sleep)
    assert len(calls) == 1


def test_retries_stop_after_the_policy_attempts():
    clock = Clock()
    calls = []

    def always_down():
        calls.append(1)
        raise TransientError("down", error_class=ErrorClass.TRANSIENT)

    with pytest.raises(TransientError):
        call_with_retries(always_down, RetryPolicy(attempts=3), sleep=clock.sleep)
    assert len(calls) == 3


def test_sliding_window_limiter_waits_for_a_free_slot_per_key():
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=2, window=60, clock=clock, sleep=clock.sleep)
    limiter.acquire("/customers")
    limiter.acquire("/customers")
    limiter.acquire("/articles")  # another endpoint has its own budget
    assert clock.sleeps == []
    limiter.acquire("/customers")
    assert clock.sleeps == [60]


def test_budget_limiter_follows_the_announced_budget():
    clock = Clock()
    limiter = BudgetLimiter(clock=clock, sleep=clock.sleep)
    limiter.update(httpx.Response(200, headers={"X-RateLimit-Remaining": "0",
                                                "X-RateLimit-Reset": "120"}))  # fmt: skip
    limiter.acquire()
    assert clock.sleeps == [120]


def test_redact_url_hides_secrets_in_queries():
    url = "https://x/connect/token?client_id=a&client_secret=s3cr3t&code=abc"
    assert "s3cr3t" not in redact_url(url) and "abc" not in redact_url(url)
    assert "client_id=a" in redact_url(url)


def _script(*outcomes: object):
    """A ``send`` that raises or returns the given outcomes in turn, counting its calls."""
    queue = list(outcomes)
    calls: list[int] = []

    def send() -> object:
        calls.append(1)
        outcome = queue.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return send, calls


def _status_error(status: int, retry_after: float | None = None) -> ApiError:
    return error_for(resolve_status(status), "failed", status_code=status, retry_after=retry_after)


def _transport_error(exc_type: type[httpx.TransportError]) -> ApiError:
    return error_for_transport(exc_type("x", request=_REQUEST), "POST", "https://api.example/x")


@pytest.mark.parametrize(
    "first",
    [
        lambda: _status_error(429, retry_after=2),
        lambda: _transport_error(httpx.ConnectError),
        lambda: _transport_error(httpx.ConnectTimeout),
    ],
)
def test_writes_are_resent_only_when_not_sent(first) -> None:
    clock = Clock()
    send, calls = _script(first(), "created")
    assert call_with_retries(send, RetryPolicy(), kind=RequestKind.WRITE, sleep=clock.sleep)
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (lambda: _status_error(500), W.UNKNOWN),
        (lambda: _status_error(408), W.UNKNOWN),
        (lambda: _transport_error(httpx.ReadTimeout), W.UNKNOWN),
        (lambda: _transport_error(httpx.RemoteProtocolError), W.UNKNOWN),
        (lambda: _status_error(422), W.REFUSED),
    ],
)
def test_writes_that_may_have_been_processed_raise_at_once(error, outcome) -> None:
    clock = Clock()
    send, calls = _script(error(), "created")
    with pytest.raises(ApiError) as raised:
        call_with_retries(send, RetryPolicy(), kind=RequestKind.WRITE, sleep=clock.sleep)
    assert len(calls) == 1 and clock.sleeps == []
    assert raised.value.write_outcome is outcome


def test_reads_retry_what_may_have_been_processed() -> None:
    clock = Clock()
    send, calls = _script(
        _status_error(500), _transport_error(httpx.ReadTimeout), _status_error(429, 5), "ok"
    )
    assert call_with_retries(send, RetryPolicy(), sleep=clock.sleep) == "ok"
    assert len(calls) == 4 and clock.sleeps[2] == 5


def test_a_wait_beyond_the_policy_or_a_401_here_is_final() -> None:
    clock = Clock()
    policy = RetryPolicy(max_rate_limit_wait=60)
    send, calls = _script(_status_error(429, retry_after=3600), "ok")
    with pytest.raises(RateLimitedError):
        call_with_retries(send, policy, kind=RequestKind.WRITE, sleep=clock.sleep)
    send, calls = _script(_status_error(401), "ok")
    with pytest.raises(AuthError):  # the transport's own refresh already ran
        call_with_retries(send, policy, sleep=clock.sleep)
    assert len(calls) == 1 and clock.sleeps == []


def test_request_kind_of_a_method() -> None:
    assert RequestKind.of("get") is RequestKind.READ
    assert {RequestKind.of(m) for m in ("POST", "PUT", "PATCH", "DELETE")} == {RequestKind.WRITE}
