"""Assemble the eAccounting emulator app and serve it."""

from __future__ import annotations

from typing import Any

import uvicorn
from fastapi import FastAPI

from vismasync.emulators.common import (
    CannedResponse,
    EmulatorControl,
    install,
)
from vismasync.emulators.eaccounting.api import (
    V2,
    error_handlers,
    identity_router,
    too_many_requests,
)
from vismasync.emulators.eaccounting.backend import EAccountingBackend, EmulatorSettings
from vismasync.emulators.eaccounting.errors import MEDIA_TYPE, InternalServerError
from vismasync.emulators.eaccounting.routes import build_v2
from vismasync.emulators.eaccounting.seed import demo_seed


def control_for(backend: EAccountingBackend) -> EmulatorControl:
    """The admin/fault hooks: eAccounting's own 429 and 500 bodies, its reset and seed."""

    def rate_limited(method: str, path: str) -> CannedResponse:
        error = too_many_requests(backend, int(backend.settings.rate_window))
        return CannedResponse.json(429, error.body(), media_type=MEDIA_TYPE)

    def server_error(status: int) -> CannedResponse:
        return CannedResponse.json(
            status, InternalServerError(status).body(), media_type=MEDIA_TYPE
        )

    return EmulatorControl(
        reset=backend.reset,
        load_seed=backend.load_seed,
        expire_tokens=backend.identity.expire_all,
        rate_limited=rate_limited,
        server_error=server_error,
        describe=backend.describe,
    )


def create_app(backend: EAccountingBackend | None = None) -> FastAPI:
    """The emulator as an ASGI app (demo-seeded backend unless one is given)."""
    backend = backend or EAccountingBackend(demo_seed())
    app = FastAPI(
        title="Visma eAccounting API v2 (emulator)",
        docs_url="/_emulator/docs",
        redoc_url=None,
        openapi_url="/_emulator/openapi.json",
    )
    app.state.backend = backend
    error_handlers(app)
    app.include_router(identity_router(backend))
    v2 = V2(backend)
    build_v2(v2)
    app.include_router(v2.router)
    app.state.control = control_for(backend)
    install(app, app.state.control, case_insensitive_paths=True)
    return app


def serve(
    host: str = "127.0.0.1",
    port: int = 8091,
    seed: dict[str, Any] | None = None,
    settings: EmulatorSettings | None = None,
) -> None:
    """Run the emulator in the foreground until interrupted."""
    backend = EAccountingBackend(demo_seed() if seed is None else seed, settings)
    uvicorn.run(create_app(backend), host=host, port=port, log_level="info")
