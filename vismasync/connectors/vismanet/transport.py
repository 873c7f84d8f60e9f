"""Requests to the Visma.net API: token, budget, error taxonomy, retries, paging, Location.

Every call goes through :meth:`VismaNetHttp.send` inside the shared
:func:`~vismasync.connectors.http.call_with_retries`: GETs are retried per the
:class:`RetryPolicy`; writes are sent again only when the resolution table says they were not
sent (a 429: the gateway refused the request before it reached the ERP; a connect failure),
otherwise they raise with their ``write_outcome`` and the flows' ledger does lookup-before-retry.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from vismasync.connectors.http import (
    Action,
    ApiError,
    BudgetLimiter,
    ErrorClass,
    RequestKind,
    RetryPolicy,
    TransientError,
    WriteOutcome,
    after_refresh,
    call_with_retries,
    decode_json,
    error_for,
    error_for_transport,
    expect_shape,
    malformed_answer,
    redact_url,
    resolve_status,
    retry_after_seconds,
)
from vismasync.connectors.vismanet.auth import ClientCredentialsAuth
from vismasync.connectors.vismanet.wrappers import wrap

_VISMA_ID = re.compile(r"VismaId:\s*([0-9a-fA-F-]{36})")


def error_from_response(
    response: httpx.Response, method: str, *, refreshed: bool = False
) -> ApiError:
    """The taxonomy error for a failed response, carrying the API's own message and ids;
    class, action and write outcome come from the resolution table (``refreshed``: the answer
    to a request already re-authenticated once, which is final).

    Understands the ``{"message": "VismaId: ..."}`` envelope, the IPPException envelope and the
    gateway's ``{"statusCode", "message"}``; plain-text or empty bodies keep their status text.
    """
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    message = code = error_id = None
    if isinstance(body, dict):
        message = body.get("message") or body.get("Message") or body.get("ExceptionMessage")
        # SalesOrders V3 answers RFC 7807 problem details (with per-field errors on a 400).
        message = message or body.get("detail") or body.get("title")
        code = body.get("ExceptionFaultCode")
        error_id = body.get("ExceptionMessageID")
    if not message:
        text = response.text.strip()
        message = text[:300] if text and not text.startswith("<") else response.reason_phrase
    match = _VISMA_ID.search(str(message))
    if match:
        error_id = match.group(1)
    resolution = resolve_status(response.status_code)
    if refreshed:
        resolution = after_refresh(resolution)
    return error_for(
        resolution,
        str(message),
        status_code=response.status_code,
        code=code,
        error_id=error_id,
        retry_after=retry_after_seconds(response, str(message)),
        method=method,
        url=redact_url(response.request.url),
    )


def _error_envelope(answer: Any) -> str | None:
    """The message of an error body (the IPPException envelope, ``{"message": "VismaId: ..."}``
    or the gateway's ``{"statusCode", "message"}``) sent under a 2xx, else None."""
    if not isinstance(answer, dict):
        return None
    if "ExceptionMessage" in answer or "ExceptionFaultCode" in answer:
        return str(answer.get("ExceptionMessage") or answer.get("ExceptionFaultCode"))
    message = answer.get("message")
    if isinstance(message, str) and (_VISMA_ID.search(message) or "statusCode" in answer):
        return message
    return None


def list_of_objects(answer: Any, response_of: str) -> list[dict[str, Any]]:
    """A list answer whose items are objects, else a malformed-answer error."""
    for item in expect_shape(answer, list, response_of):
        expect_shape(item, dict, f"{response_of} (item)")
    return answer


def key_from_location(response: httpx.Response) -> str:
    """The new resource's key: the last path segment of the ``Location`` header."""
    location = response.headers.get("Location")
    if not location:
        # The create was applied, but which key it got is unknown: look it up.
        raise TransientError(
            "the API answered a create without a Location header",
            error_class=ErrorClass.TRANSIENT,
            status_code=response.status_code,
            write_outcome=WriteOutcome.UNKNOWN,
        )
    return unquote(urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1])


def filter_datetime(value: datetime) -> str:
    """A date filter value: ``yyyy-MM-ddTHH:mm:ss.fff`` without zone (the API rejects one).

    Aware datetimes are converted to UTC first (offset-less values are read as UTC).
    """
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


class VismaNetHttp:
    """Authenticated, rate-aware requests against one company's API base URL."""

    def __init__(
        self,
        http: httpx.Client,
        api_base_url: str,
        auth: ClientCredentialsAuth,
        *,
        retry_policy: RetryPolicy,
        limiter: BudgetLimiter,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = 1000,
    ) -> None:
        self.http = http
        self.base = api_base_url.rstrip("/")
        self.auth = auth
        self.policy = retry_policy
        self.limiter = limiter
        self.sleep = sleep
        self.page_size = page_size

    def send(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> httpx.Response:
        """One request (plus one re-authentication after a 401); errors raise ApiError.

        Retries are the caller's (:meth:`get`, :meth:`write`): this sends once."""
        url = f"{self.base}{path}"
        refreshed = False
        while True:
            self.limiter.acquire()
            headers = {"Authorization": f"Bearer {self.auth.token()}", "Accept": "application/json"}
            try:
                response = self.http.request(method, url, params=params, json=json, headers=headers)
            except httpx.TransportError as exc:
                raise error_for_transport(exc, method, redact_url(url)) from exc
            self.limiter.update(response)
            if response.status_code < 400:
                return response
            action = resolve_status(response.status_code).action
            if action is Action.REFRESH_AND_RETRY and not refreshed:
                self.auth.invalidate()  # expired or revoked token: get a new one, try once more
                refreshed = True
                continue
            raise error_from_response(response, method, refreshed=refreshed)

    def _call(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> httpx.Response:
        """:meth:`send` inside the shared retry loop, as the method's kind allows."""
        return call_with_retries(
            lambda: self.send(method, path, params=params, json=json),
            self.policy,
            kind=RequestKind.of(method),
            sleep=self.sleep,
        )

    def sibling(self, api_base_url: str) -> VismaNetHttp:
        """The same company, token, budget and retry policy on another base URL (the
        SalesOrders V3 service is its own host)."""
        return VismaNetHttp(
            self.http, api_base_url, self.auth, retry_policy=self.policy,
            limiter=self.limiter, sleep=self.sleep, page_size=self.page_size,
        )  # fmt: skip

    def send_json(self, method: str, path: str, payload: dict[str, Any]) -> httpx.Response:
        """A write whose body is plain JSON (SalesOrders V3), not the monolith's wrapped DTO;
        sent again only when the resolution table says it was not sent."""
        return self._call(method, path, json=payload)

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        parse: Callable[[Any], Any] | None = None,
    ) -> Any:
        """The decoded JSON of a read, through ``parse`` when given; an unreadable answer (not
        JSON, an HTML page, empty or cut short, an error body under a 2xx, the wrong shape for
        ``parse``) is a transient error, retried like a 5xx."""

        def read() -> Any:
            response = self.send("GET", path, params=params)
            answer = decode_json(response, "GET")
            message = _error_envelope(answer)
            if message is not None:
                raise malformed_answer(response, "GET", "an error body in a 2xx answer",
                                       message=message)  # fmt: skip
            return parse(answer) if parse is not None else answer

        return call_with_retries(read, self.policy, kind=RequestKind.READ, sleep=self.sleep)

    def get_or_none(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        parse: Callable[[Any], Any] | None = None,
    ) -> Any | None:
        """The JSON of a single resource (through ``parse``), or None when the API answers 404."""
        try:
            return self.get(path, params, parse)
        except ApiError as exc:
            if exc.status_code == 404:
                return None
            raise

    def write(self, method: str, path: str, payload: dict[str, Any]) -> httpx.Response:
        """POST/PUT a plain write DTO, wrapped here (and only here) in ``{"value": ...}``."""
        return self._call(method, path, json=wrap(payload))

    def create(self, path: str, payload: dict[str, Any]) -> str:
        """POST and return the new key from ``Location``."""
        return key_from_location(self.write("POST", path, payload))

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a paged list, following ``pageNumber`` until ``metadata.totalCount``.

        The server may clamp ``pageSize``; the loop trusts ``totalCount`` and stops early on
        an empty page, so clamping never loses or repeats records.
        """
        query = dict(params or {})
        number, seen = 1, 0
        while True:
            query.update(pageNumber=number, pageSize=self.page_size)
            items = self.get(path, query, lambda answer: list_of_objects(answer, f"GET {path}"))
            if not items:
                return
            yield from items
            seen += len(items)
            total = (items[0].get("metadata") or {}).get("totalCount")
            if total is None or seen >= int(total):
                return
            number += 1
