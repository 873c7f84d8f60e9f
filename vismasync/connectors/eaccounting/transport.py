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
    error_for_transport,
    resolve_status,
)

# eAccounting: 600 requests per minute per client and endpoint (Visma's API documentation).
DEFAULT_LIMIT = 600
DEFAULT_WINDOW = 60.0
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
    ) -> Any:
        """The decoded JSON answer (``None`` for an empty body); raises the taxonomy's errors."""

        def once() -> Any:
            return self._send_authorized(method, path, params, body)

        return call_with_retries(
            once, self.retry_policy, kind=RequestKind.of(method), sleep=self.sleep
        )

    def iter_data(
        self, path: str, params: dict[str, Any] | None = None, page_size: int = 500
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, following ``Meta.TotalNumberOfPages`` to the end."""
        page = 1
        while True:
            answer = self.request(
                "GET", path, params={**(params or {}), "$page": page, "$pagesize": page_size}
            )
            yield from answer["Data"]
            if page >= answer["Meta"]["TotalNumberOfPages"]:
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
        if not response.content:
            return None
        return json.loads(response.content, parse_float=Decimal)

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
