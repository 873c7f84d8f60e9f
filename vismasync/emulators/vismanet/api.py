"""The HTTP layer: app factory, gateway behaviour (auth, rate limit, headers) and wire helpers.

Routes live in :mod:`vismasync.emulators.vismanet.routes`; this module owns what every
endpoint shares: bearer tokens bound to a company, the hourly budget with ``X-RateLimit-*``
headers on every response, the service's error bodies, query parameter normalisation
(names are case-insensitive, unknown ones ignored), list metadata and ``Location`` headers.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vismasync.emulators.common import CannedResponse, EmulatorControl, install
from vismasync.emulators.vismanet.backend import VismaNetBackend
from vismasync.emulators.vismanet.errors import (
    RateLimitExceeded,
    VismaNetError,
)
from vismasync.emulators.vismanet.query import Page, page_of, paginate
from vismasync.emulators.vismanet.service import VismaNetService
from vismasync.emulators.vismanet.wire import render, unwrap_dto

# The same API answers at the current root (/v1/...) and at the legacy path shapes some
# clients still use on the new host (Visma's API documentation).
API_PREFIXES = ("", "/API", "/API/controller/api")
GATEWAY_EXEMPT = ("/connect/", "/_emulator")


def _error_response(error: VismaNetError, extra: dict[str, str] | None = None) -> JSONResponse:
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
            company, grant = service.issuer.authorize(headers.get("authorization"), scope["method"])
        except VismaNetError as error:
            await _error_response(error, service.budget.peek(None))(scope, receive, send)
            return
        key = (company, grant.client_id)
        try:
            rate_headers = service.budget.consume(key)
        except RateLimitExceeded as error:
            extra = getattr(error, "rate_headers", {})
            await _error_response(error, extra)(scope, receive, send)
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


def backend_of(request: Request) -> VismaNetBackend:
    return request.state.backend


def params_of(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    """The query parameters an operation declares, matched case-insensitively; others ignored.

    Repeated parameters (``inventoryTypes``) are joined with commas.
    """
    wanted = {name.lower(): name for name in names}
    params: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        name = wanted.get(key.lower())
        if name is None:
            continue
        params[name] = f"{params[name]},{value}" if name in params else value
    return params


def page_response(
    records: list[dict[str, Any]], page: Page, *, metadata: bool = True
) -> JSONResponse:
    """One page as a JSON array; each item carries ``metadata {totalCount, maxPageSize}``."""
    items = [render(r) for r in paginate(records, page)]
    if metadata:
        for item in items:
            item["metadata"] = {"totalCount": len(records), "maxPageSize": page.max_size}
    return JSONResponse(items)


def list_response(records: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse([render(r) for r in records])


def paged(
    request: Request, records: list[dict[str, Any]], resource: str = "", *, metadata: bool = True
) -> JSONResponse:
    params = params_of(request, ("pageNumber", "pageSize"))
    page = page_of(params, backend_of(request).max_page_size(resource))
    return page_response(records, page, metadata=metadata)


def item_response(record: dict[str, Any], *, etag: str | None = None) -> JSONResponse:
    headers = {"ETag": f'"{etag}"'} if etag else {}
    return JSONResponse(render(record), headers=headers)


async def write_body(request: Request, dto_name: str, action: str) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return unwrap_dto(body, dto_name, action)


def created(request: Request, resource_path: str, key: str | int) -> Response:
    """201, empty body, ``Location`` = absolute URL whose last segment is the new key."""
    path = request.url.path
    cut = min((i for i in (path.find("/v1/"), path.find("/v2/")) if i >= 0), default=0)
    base = f"{request.url.scheme}://{request.url.netloc}{path[:cut]}"
    location = f"{base}{resource_path}/{quote(str(key), safe='')}"
    return Response(status_code=201, headers={"Location": location})


def no_content(request: Request, resource_path: str, key: str) -> Response:
    """204 for a PUT; the real API also sends the resource's ``Location``."""
    response = created(request, resource_path, key)
    response.status_code = 204
    return response


def create_app(service: VismaNetService | None = None) -> FastAPI:
    """The emulator as an ASGI app: API routes (at every prefix), token endpoint, admin surface."""
    from vismasync.emulators.vismanet.routes import add_api_routes, add_token_route

    service = service or VismaNetService()
    app = FastAPI(title="Visma.net ERP emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service = service
    add_token_route(app.router, service)
    for prefix in API_PREFIXES:
        add_api_routes(app.router, prefix)

    @app.exception_handler(VismaNetError)
    async def visma_error(_: Request, error: VismaNetError) -> JSONResponse:
        return _error_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        message = "Resource not found" if error.status_code == 404 else str(error.detail)
        return JSONResponse(
            {"statusCode": error.status_code, "message": message}, status_code=error.status_code
        )

    app.add_middleware(GatewayMiddleware, service=service)
    # ASP.NET routing: /V1/Customer is /v1/customer.
    install(app, control_for(service), case_insensitive_paths=True)
    return app


def control_for(service: VismaNetService) -> EmulatorControl:
    """The hooks the shared admin surface and fault middleware call."""

    def rate_limited(_method: str, _path: str) -> CannedResponse:
        # A storm looks like an exhausted budget: the gateway's 429 with its headers.
        error = RateLimitExceeded(1)
        headers = {**service.budget.headers(0, 1), **error.headers()}
        return CannedResponse.json(429, error.body(), headers)

    def server_error(status: int) -> CannedResponse:
        body = {"message": f"VismaId: {uuid.uuid4()}. An error has occurred."}
        return CannedResponse.json(status, body)

    return EmulatorControl(
        reset=service.reset,
        load_seed=service.load_seed,
        expire_tokens=service.issuer.expire_all,
        rate_limited=rate_limited,
        server_error=server_error,
        describe=service.describe,
    )
