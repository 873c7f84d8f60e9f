"""The error bodies Visma.net ERP sends, as exceptions the HTTP layer renders.

Visma.net publishes no error schema. The shapes below are the observed ones
(Visma's API documentation): a ``{"message": "VismaId: <uuid>. ..."}`` envelope for validation
and business errors, the ``IPPException`` envelope for context (company, licence, token) errors,
and standard OAuth JSON on the token endpoint.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar


class VismaNetError(Exception):
    """An error the emulator answers with: an HTTP status, a JSON body and extra headers."""

    status_code: int = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"message": self.message}

    def headers(self) -> dict[str, str]:
        return {}


class ValidationError(VismaNetError):
    """400 for a rejected write: the message carries a fresh VismaId correlation id."""

    status_code = 400

    def __init__(self, message: str) -> None:
        self.vismaid = str(uuid.uuid4())
        super().__init__(f"VismaId: {self.vismaid}. {message}")


class BadRequestError(VismaNetError):
    """400 for a malformed query (wrong date format or condition), plain message envelope."""

    status_code = 400


class NotFoundError(VismaNetError):
    """404 for an unknown key."""

    status_code = 404


class IPPError(VismaNetError):
    """Context errors in the legacy IPPException envelope (no licence, wrong tenant, no token)."""

    def __init__(self, message: str, *, fault_code: str, status_code: int) -> None:
        super().__init__(message)
        self.fault_code = fault_code
        self.status_code = status_code
        self.message_id = f"{fault_code}_{uuid.uuid4()}"

    def body(self) -> dict[str, Any]:
        return {
            "ExceptionType": "IPPException",
            "ExceptionMessage": self.message,
            "ExceptionFaultCode": self.fault_code,
            "ExceptionMessageID": self.message_id,
            "ExceptionDetails": "",
        }


class ForbiddenError(VismaNetError):
    """403: the token lacks the scope the operation needs."""

    status_code = 403


class RateLimitExceeded(VismaNetError):
    """429 with ``Retry-After``; the wording is Azure API Management's."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(f"Rate limit is exceeded. Try again in {self.retry_after} seconds.")

    def body(self) -> dict[str, Any]:
        return {"statusCode": 429, "message": self.message}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class OAuthError(VismaNetError):
    """Token endpoint errors in the OAuth 2.0 JSON shape (RFC 6749 §5.2)."""

    def __init__(self, error: str, description: str, *, status_code: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status_code = status_code

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.message}


class ProblemError(VismaNetError):
    """SalesOrders V3 errors: RFC 7807 ``ProblemDetails`` (404, 409, 412, 428, a bad query)."""

    TITLES: ClassVar[dict[int, str]] = {
        400: "Bad Request",
        404: "Not Found",
        405: "Method Not Allowed",
        409: "Conflict",
        412: "Precondition Failed",
        428: "Precondition Required",
    }

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code

    def body(self) -> dict[str, Any]:
        return {
            "type": f"https://httpstatuses.io/{self.status_code}",
            "title": self.TITLES.get(self.status_code, "Error"),
            "status": self.status_code,
            "detail": self.message,
        }


class ValidationProblem(VismaNetError):
    """SalesOrders V3's 400 for a rejected write: ``SalesOrderValidationProblemDetails``, one
    entry per problem with a documented error code (``x-visma-erp-error-codes``)."""

    status_code = 400

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        """``problems``: (error code, message, property) triples."""
        self.problems = problems
        super().__init__("; ".join(f"{prop}: {message}" for _, message, prop in problems))

    def body(self) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        for _, message, prop in self.problems:
            errors.setdefault(prop, []).append(message)
        return {
            "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "detail": self.message,
            "errors": errors,
            "details": [
                {"code": code, "message": message, "parameters": {"property": prop}}
                for code, message, prop in self.problems
            ],
        }
