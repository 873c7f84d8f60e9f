"""eAccounting error bodies -> the shared error taxonomy of ``connectors/http.py``."""

from __future__ import annotations

from typing import Any

import httpx

from vismasync.connectors.http import (
    ERROR_TYPES,
    ApiError,
    classify_status,
    redact_url,
    retry_after_seconds,
)


def error_from_response(response: httpx.Response, method: str) -> ApiError:
    """The typed error for a failed response, carrying ``ErrorCode`` (as ``code``),
    ``DeveloperErrorMessage`` (as the message), ``ErrorId`` and ``Errors`` (as ``details``)."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    message = body.get("DeveloperErrorMessage") or response.reason_phrase or "request failed"
    error_class = classify_status(response.status_code)
    details = body.get("Errors") if isinstance(body.get("Errors"), list) else []
    return ERROR_TYPES[error_class](
        message,
        error_class=error_class,
        status_code=response.status_code,
        code=body.get("ErrorCode"),
        error_id=body.get("ErrorId"),
        retry_after=retry_after_seconds(response, message) if response.status_code == 429 else None,
        method=method,
        url=redact_url(response.request.url),
        details=details,
    )
