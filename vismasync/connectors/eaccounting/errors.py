"""eAccounting error bodies -> the shared error taxonomy of ``connectors/http.py``."""

from __future__ import annotations

from typing import Any

import httpx

from vismasync.connectors.http import (
    Action,
    ApiError,
    after_refresh,
    error_for,
    redact_url,
    resolve_status,
    retry_after_seconds,
)


def error_from_response(
    response: httpx.Response, method: str, *, refreshed: bool = False
) -> ApiError:
    """The typed error for a failed response, carrying ``ErrorCode`` (as ``code``),
    ``DeveloperErrorMessage`` (as the message), ``ErrorId`` and ``Errors`` (as ``details``).

    Its class, action and write outcome come from the resolution table; ``refreshed`` marks
    the answer to a request already re-authenticated once, which is final."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    message = body.get("DeveloperErrorMessage") or response.reason_phrase or "request failed"
    resolution = resolve_status(response.status_code)
    if refreshed:
        resolution = after_refresh(resolution)
        message = f"{message} (after a token refresh)"
    details = body.get("Errors") if isinstance(body.get("Errors"), list) else []
    waits = resolution.action is Action.WAIT_AND_RETRY
    return error_for(
        resolution,
        message,
        status_code=response.status_code,
        code=body.get("ErrorCode"),
        error_id=body.get("ErrorId"),
        retry_after=retry_after_seconds(response, message) if waits else None,
        method=method,
        url=redact_url(response.request.url),
        details=details,
    )
