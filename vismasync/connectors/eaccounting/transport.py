"""One HTTP exchange with the eAccounting API: auth, limiter, retries, error mapping, paging."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from vismasync.connectors.eaccounting.auth import TokenManager
from vismasync.connectors.eaccounting.errors import error_from_response
from vismasync.connectors.http import (
    Action,
    RequestKind,
    RetryPolicy,
    SlidingWindowLimiter,
    call_with_retries,
    decode_json,
    error_for_transport,
    expect_shape,
    malformed_answer,
    resolve_status,
)

# eAccounting: 600 requests per minute per client and endpoint (Visma's API documentation).
DEFAULT_LIMIT = 600
# The server counts a request when it arrives, the client when it leaves: a call let through the
# moment the oldest one leaves the client's window may still be inside the server's. Half a
# second of margin (under 1 % of the ceiling) keeps the limit from being found by a 429.
DEFAULT_WINDOW = 60.5
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def endpoint_key(path: str) -> str:
    """The limiter key of a path: ids replaced, lower case (``/v2/customers/{id}``)."""
    return _GUID.sub("{id}", path.split("?")[0]).lower()


def _refresh_and_retry(response: httpx.Response) -> bool:
    """Whether the table says to re-authenticate and send again (a 401)."""
    return (
        response.status_code >= 400
        and resolve_status(response.status_code).action is Action.REFRESH_AND_RETRY
    )


def _error_envelope(answer: Any) -> bool:
    """Whether a 2xx body is the API's error envelope rather than a resource."""
    return isinstance(answer, dict) and "ErrorCode" in answer and "DeveloperErrorMessage" in answer


def list_page(answer: Any, response_of: str) -> tuple[list[dict[str, Any]], int]:
    """The ``Data`` items and ``Meta.TotalNumberOfPages`` of a list answer; an answer of
    another shape is a malformed-answer error, not a ``KeyError``."""
    answer = expect_shape(answer, dict, response_of)
    data = expect_shape(answer.get("Data"), list, f"{response_of} (Data)")
    meta = expect_shape(answer.get("Meta"), dict, f"{response_of} (Meta)")
    pages = expect_shape(meta.get("TotalNumberOfPages"), int, f"{response_of} (Meta pages)")
    for item in data:
        expect_shape(item, dict, f"{response_of} (Data item)")
    return data, pages


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        # JSON numbers, as the API expects; 2-4 decimal money values survive float exactly.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot send a {type(value).__name__}")


class Transport:
    """Sends requests under a valid bearer token.

    Every request goes through the shared :func:`call_with_retries`: GETs retry transient
    failures and 429s per the :class:`RetryPolicy`; writes are sent again only when the
    resolution table says they were not sent (a 429, a connect failure), otherwise they raise
    with their ``write_outcome`` and the flows decide. A 401 triggers one token rotation and
    one retry; a second 401 is an :class:`AuthError`.
    """

    def __init__(
        self,
        api_base: str,
        tokens: TokenManager,
        http: httpx.Client,
        limiter: SlidingWindowLimiter,
        retry_policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.tokens = tokens
        self.http = http
        self.limiter = limiter
        self.retry_policy = retry_policy
        self.sleep = sleep

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        parse: Callable[[Any], Any] | None = None,
    ) -> Any:
        """The decoded JSON answer (``None`` for an empty answer to a write), through ``parse``
        when given (inside the retry loop: an answer of the wrong shape is retried like any
        malformed answer); raises the taxonomy's errors."""

        def once() -> Any:
            answer = self._send_authorized(method, path, params, body)
            return parse(answer) if parse is not None else answer

        return call_with_retries(
            once, self.retry_policy, kind=RequestKind.of(method), sleep=self.sleep
        )

    def iter_data(
        self, path: str, params: dict[str, Any] | None = None, page_size: int = 500
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, following ``Meta.TotalNumberOfPages`` to the end."""
        page = 1
        while True:
            data, pages = self.request(
                "GET", path, params={**(params or {}), "$page": page, "$pagesize": page_size},
                parse=lambda answer: list_page(answer, f"GET {path}"),
            )  # fmt: skip
            yield from data
            if page >= pages:
                return
            page += 1

    def _send_authorized(
        self, method: str, path: str, params: dict[str, Any] | None, body: Any
    ) -> Any:
        stored = self.tokens.current()
        response = self._send(method, path, params, body, stored.tokens.access_token)
        if _refresh_and_retry(response):
            stored = self.tokens.after_unauthorized(stored.version)
            response = self._send(method, path, params, body, stored.tokens.access_token)
            if _refresh_and_retry(response):
                raise error_from_response(response, method, refreshed=True)
        if response.status_code >= 400:
            raise error_from_response(response, method)
        # Only a write may be answered without a body (a DELETE's 204).
        allow_empty = RequestKind.of(method) is RequestKind.WRITE
        answer = decode_json(response, method, allow_empty=allow_empty, parse_float=Decimal)
        if _error_envelope(answer):
            # A 2xx carrying the API's error body: what happened is not known.
            raise malformed_answer(response, method, "an error body in a 2xx answer",
                                   message=str(answer.get("DeveloperErrorMessage")))  # fmt: skip
        return answer

    def _send(
        self, method: str, path: str, params: dict[str, Any] | None, body: Any, token: str
    ) -> httpx.Response:
        url = f"{self.api_base}{path}"
        self.limiter.acquire(endpoint_key(path))
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        content = None
        if body is not None:
            content = json.dumps(body, default=_encode).encode()
            headers["Content-Type"] = "application/json"
        try:
            return self.http.request(method, url, params=params, content=content, headers=headers)
        except httpx.TransportError as exc:
            raise error_for_transport(exc, method, url) from None
