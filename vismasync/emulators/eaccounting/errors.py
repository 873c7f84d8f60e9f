"""eAccounting's own error types, each rendering the service's real error body.

Body shape (Visma's API documentation):
``{"ErrorCode": int, "DeveloperErrorMessage": str, "ErrorId": uuid}``
plus ``Errors: [{Field, ErrorCode, Message, Key}]`` on validation errors. The 401 and 429 texts
are the documented ones, word for word.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.responses import Response

MEDIA_TYPE = "application/json;charset=UTF-8"


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response with the service's content type."""
    return Response(json.dumps(payload), status_code=status, media_type=MEDIA_TYPE, headers=headers)


class EAccountingError(Exception):
    """An error the API answers with its standard envelope."""

    status: int = 400
    error_code: int = 2000

    def __init__(
        self,
        message: str,
        *,
        errors: list[dict[str, str | None]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ErrorCode": self.error_code,
            "DeveloperErrorMessage": self.message,
            "ErrorId": str(uuid.uuid4()),
        }
        if self.errors is not None:
            body["Errors"] = self.errors
        return body

    def response(self) -> Response:
        return json_response(self.body(), self.status, self.headers)


def field_error(field: str, code: str, message: str) -> dict[str, str | None]:
    return {"Field": field, "ErrorCode": code, "Message": message, "Key": field}


class ValidationFailed(EAccountingError):
    """2000 DataModelValidationError: required fields, lengths, ranges, types."""

    error_code = 2000

    def __init__(self, errors: list[dict[str, str | None]]) -> None:
        details = "; ".join(f"{e['Field']}: {e['Message']}" for e in errors)
        super().__init__(f"DataModelValidationError - {details}", errors=errors)


class ReferenceNotFound(EAccountingError):
    """3000 ResourceNotFound: a referenced object (customer, article, unit, ...) does not exist."""

    error_code = 3000

    def __init__(self, field: str, kind: str, value: Any) -> None:
        message = f"{kind} with id {value} was not found."
        super().__init__(
            f"ResourceNotFound - {message}", errors=[field_error(field, "NotFound", message)]
        )


class NotFound(EAccountingError):
    """404 for an id in the path that does not exist (body: 3000 ResourceNotFound)."""

    status = 404
    error_code = 3000

    def __init__(self, kind: str, value: Any) -> None:
        super().__init__(f"ResourceNotFound - {kind} with id {value} was not found.")


class Conflict(EAccountingError):
    """4000: creating something that must be unique (e.g. a customer or article number)."""

    error_code = 4000


class CanNotBeDeleted(EAccountingError):
    """4001: the object is in a state or has dependencies that forbid deleting it."""

    error_code = 4001


class CanNotBeCreatedOrUpdated(EAccountingError):
    """4002: the request is well-formed but the object cannot take it (business rule)."""

    error_code = 4002


class NotAuthorized(EAccountingError):
    """401 / 4005 with the real service's wording (pwitab/visma issue #13)."""

    status = 401
    error_code = 4005

    def __init__(self) -> None:
        super().__init__("AuthorizationException - Authorization has been denied for this request.")


class NoAccessToScopes(EAccountingError):
    """403 / 4006: the token lacks every scope the endpoint accepts."""

    status = 403
    error_code = 4006

    def __init__(self, required: list[str]) -> None:
        super().__init__(
            "NoAccessToScopes - The token does not have access to the scopes required by this "
            f"endpoint. Requires any of the following scopes: {', '.join(required)}"
        )


class TooManyRequests(EAccountingError):
    """429 / 4010 with the documented message, computed seconds included."""

    status = 429
    error_code = 4010

    def __init__(self, limit: int, retry_in: int, per: str = "Minute") -> None:
        super().__init__(
            f"API calls quota exceeded! maximum admitted {limit} per {per}. "
            f"Try again in {retry_in} seconds."
        )


class QueryParameterError(EAccountingError):
    """6000: an invalid ``$filter`` / ``$orderby`` / paging parameter."""

    error_code = 6000


class InvalidInput(EAccountingError):
    """6001: a DateTime in a bad format, in a property or in a filter."""

    error_code = 6001


class InternalServerError(EAccountingError):
    status = 500
    error_code = 5000

    def __init__(self, status: int = 500) -> None:
        super().__init__("InternalServerError - An unexpected error occurred.")
        self.status = status


class OAuthError(Exception):
    """An error from the identity server's token endpoint: ``{"error": "invalid_grant"}``."""

    def __init__(self, error: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status = status

    def response(self) -> Response:
        return Response(
            json.dumps({"error": self.error}),
            status_code=self.status,
            media_type="application/json",
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )
