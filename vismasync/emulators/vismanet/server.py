"""Assemble the Visma.net ERP emulator app and serve it."""

from __future__ import annotations

import uuid

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vismasync.emulators.common import CannedResponse, EmulatorControl, install
from vismasync.emulators.vismanet.errors import RateLimitExceeded, VismaNetError
from vismasync.emulators.vismanet.gateway import GatewayMiddleware, error_response
from vismasync.emulators.vismanet.routes import add_api_routes, add_token_route
from vismasync.emulators.vismanet.routes_v3 import add_v3_routes
from vismasync.emulators.vismanet.service import VismaNetService

# The same API answers at the current root (/v1/...) and at the legacy path shapes some
# clients still use on the new host (Visma's API documentation).
API_PREFIXES = ("", "/API", "/API/controller/api")


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


def error_handlers(app: FastAPI) -> None:
    """The service's error bodies for its own errors and for unmatched routes."""

    @app.exception_handler(VismaNetError)
    async def visma_error(_: Request, error: VismaNetError) -> JSONResponse:
        return error_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        message = "Resource not found" if error.status_code == 404 else str(error.detail)
        return JSONResponse(
            {"statusCode": error.status_code, "message": message}, status_code=error.status_code
        )


def create_app(service: VismaNetService | None = None) -> FastAPI:
    """The emulator as an ASGI app: API routes (at every prefix), the SalesOrders V3 service
    under ``/salesorders-api``, token endpoint, admin surface.

    A demo-seeded service unless one is given.
    """
    service = service or VismaNetService()
    app = FastAPI(title="Visma.net ERP emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service = service
    add_token_route(app.router, service)
    for prefix in API_PREFIXES:
        add_api_routes(app.router, prefix)
    # SalesOrders V3: its own host in production, its own path root here (same company).
    add_v3_routes(app.router)
    error_handlers(app)
    app.add_middleware(GatewayMiddleware, service=service)
    # ASP.NET routing: /V1/Customer is /v1/customer.
    install(app, control_for(service), case_insensitive_paths=True)
    return app


def serve(
    host: str = "127.0.0.1", port: int = 8092, service: VismaNetService | None = None
) -> None:
    """Run the emulator in the foreground until interrupted."""
    uvicorn.run(create_app(service), host=host, port=port, log_level="warning")
