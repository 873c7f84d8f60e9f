"""The shared HTTP plumbing, as pure code: classification, waits, retries, limiters."""

from __future__ import annotations

import httpx
import pytest

from vismasync.connectors.http import (
    BudgetLimiter,
    DataError,
    ErrorClass,
    RateLimitedError,
    RetryPolicy,
    SlidingWindowLimiter,
    TransientError,
    call_with_retries,
    classify_status,
    redact_url,
    retry_after_seconds,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_status_classes():
    assert classify_status(429) is ErrorClass.RATE_LIMITED
    assert classify_status(503) is ErrorClass.TRANSIENT
    assert classify_status(408) is ErrorClass.TRANSIENT
    assert classify_status(401) is ErrorClass.AUTH
    assert classify_status(403) is ErrorClass.CONFIG
    assert classify_status(412) is ErrorClass.DATA
    assert classify_status(418) is ErrorClass.DATA


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
