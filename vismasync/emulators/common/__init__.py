"""Plumbing shared by the emulators: admin surface, fault injection, request counts, threads.

How an emulator plugs in:

1. Build the emulated API as a FastAPI app (its own routes, its own error bodies).
2. Describe its hooks in an :class:`EmulatorControl`: ``reset`` (back to the startup seed),
   ``load_seed`` (replace state from a JSON document), ``expire_tokens``, and the API's own
   ``rate_limited`` (429) and ``server_error`` (5xx) responses as :class:`CannedResponse`.
3. Call :func:`install(app, control) <install>` (``case_insensitive_paths=True`` for ASP.NET
   style routing): it mounts the ``/_emulator/`` admin router
   (see :mod:`vismasync.emulators.common.admin`) and wraps the app in
   :class:`EmulatorMiddleware`, which counts requests per (method, route template) and injects
   the configured faults (latency, 5xx rate, 429 storm, commit-then-drop) deterministically
   from the configuration's ``seed``.
4. Tests and demos run it with :class:`ThreadedServer` / :func:`serve_in_thread`, which bind a
   free port on 127.0.0.1 and return the base URL.
"""

from __future__ import annotations

from fastapi import FastAPI

from vismasync.emulators.common.admin import admin_router
from vismasync.emulators.common.control import CannedResponse, EmulatorControl
from vismasync.emulators.common.counts import RequestCounter
from vismasync.emulators.common.faults import Fault, FaultConfig, FaultInjector
from vismasync.emulators.common.middleware import ConnectionDropped, EmulatorMiddleware
from vismasync.emulators.common.routing import PathTemplate, RouteTable
from vismasync.emulators.common.threaded import ThreadedServer, serve_in_thread


def install(
    app: FastAPI, control: EmulatorControl, *, case_insensitive_paths: bool = False
) -> FastAPI:
    """Mount the admin router on ``app`` and wrap it in the counting/fault middleware.

    ``case_insensitive_paths``: accept ``/V2/Customers`` for ``/v2/customers`` (ASP.NET APIs).
    """
    app.include_router(admin_router(control))
    app.add_middleware(
        EmulatorMiddleware,
        control=control,
        # Read lazily from the OpenAPI document so routes added after this call count too.
        routes=lambda: RouteTable.from_openapi(app.openapi()),
        case_insensitive_paths=case_insensitive_paths,
    )
    return app


__all__ = [
    "CannedResponse",
    "ConnectionDropped",
    "EmulatorControl",
    "EmulatorMiddleware",
    "Fault",
    "FaultConfig",
    "FaultInjector",
    "PathTemplate",
    "RequestCounter",
    "RouteTable",
    "ThreadedServer",
    "admin_router",
    "install",
    "serve_in_thread",
]
