"""The API gateway in front of every operation: bearer token, company, scope and hourly budget.

It answers refused requests itself with the service's error bodies and adds
``X-RateLimit-*``, ``Ipp-Request-Id`` and ``Request-Context`` headers to every response.
"""

from __future__ import annotations

import uuid

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vismasync.emulators.vismanet.errors import RateLimitExceeded, VismaNetError
from vismasync.emulators.vismanet.service import VismaNetService

V3_ROOT = "/salesorders-api/"  # the SalesOrders V3 service's mount point (routes_v3)
# Visma Connect's token endpoint and the emulator's admin surface are not behind the gateway.
GATEWAY_EXEMPT = ("/connect/", "/_emulator")


def error_response(error: VismaNetError, extra: dict[str, str] | None = None) -> JSONResponse:
    """The service's error body and status, with the error's headers and any ``extra``."""
    return JSONResponse(
        error.body(), status_code=error.status_code, headers={**error.headers(), **(extra or {})}
    )


class GatewayMiddleware:
    """What the API gateway does before an operation runs: token, company, scope, budget."""

    def __init__(self, app: ASGIApp, service: VismaNetService) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(GATEWAY_EXEMPT):
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        service = self.service
        try:
            company, grant = service.issuer.authorize(
                headers.get("authorization"),
                scope["method"],
                v3=path.lower().startswith(V3_ROOT),
            )
        except VismaNetError as error:
            await error_response(error, service.budget.peek(None))(scope, receive, send)
            return
        key = (company, grant.client_id)
        try:
            rate_headers = service.budget.consume(key)
        except RateLimitExceeded as error:
            extra = getattr(error, "rate_headers", {})
            await error_response(error, extra)(scope, receive, send)
            return
        scope.setdefault("state", {})["backend"] = service.backend(company)
        common = {
            **rate_headers,
            "Ipp-Request-Id": str(uuid.uuid4()),
            "Request-Context": "appId=cid-v1:vismasync-emulator",
        }

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw += [(k.lower().encode(), v.encode()) for k, v in common.items()]
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_with_headers)
