"""The eAccounting emulator's HTTP layer: identity endpoints and ``/v2`` resources.

Parses requests, enforces bearer auth, the rate limit and the operation's scopes (read from the
spec's descriptions), calls the backend and renders the service's shapes: list envelopes with
``Meta``, bare objects, 201 on create, empty 200 on delete, the standard error body.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import RedirectResponse, Response

from vismasync.emulators.common.jsonbody import BodyError, load_body
from vismasync.emulators.eaccounting import spec
from vismasync.emulators.eaccounting.backend import EAccountingBackend
from vismasync.emulators.eaccounting.errors import (
    EAccountingError,
    NoAccessToScopes,
    NotAuthorized,
    OAuthError,
    QueryParameterError,
    TooManyRequests,
    ValidationFailed,
    field_error,
    json_response,
)
from vismasync.emulators.eaccounting.store import Page, format_datetime

Handler = Callable[[Request], Awaitable[Any]]


def identity_router(backend: EAccountingBackend) -> APIRouter:
    router = APIRouter()

    @router.get("/connect/authorize")
    async def authorize(request: Request) -> Response:
        q = request.query_params
        try:
            location = backend.identity.authorize(
                q.get("client_id"), q.get("redirect_uri"), q.get("response_type"),
                q.get("scope"), q.get("state"), q.get("code_challenge"),
                q.get("code_challenge_method"),
            )  # fmt: skip
        except OAuthError as exc:
            return exc.response()
        return RedirectResponse(location, status_code=302)

    @router.post("/connect/token")
    async def token(request: Request) -> Response:
        try:
            content_type = request.headers.get("content-type", "")
            if not content_type.startswith("application/x-www-form-urlencoded"):
                raise OAuthError("invalid_request")
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            answer = backend.identity.token(form, _basic_credentials(request))
        except OAuthError as exc:
            return exc.response()
        return Response(
            json.dumps(answer),
            media_type="application/json",
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    return router


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode()
    except ValueError:
        raise OAuthError("invalid_client") from None
    client_id, _, secret = decoded.partition(":")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


class V2:
    """Builds the ``/v2`` routes; every operation goes through :meth:`guard` first."""

    def __init__(self, backend: EAccountingBackend) -> None:
        self.backend = backend
        self.router = APIRouter()

    def guard(self, request: Request, template: str) -> None:
        """Bearer token (401), rate limit per (client, endpoint) (429), scopes (403)."""
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        grant = self.backend.identity.check(token) if token else None
        if grant is None:
            raise NotAuthorized()
        retry_in = self.backend.limiter.admit(grant.client_id, template)
        if retry_in is not None:
            raise too_many_requests(self.backend, retry_in)
        accepted = spec.operation_scopes(template, request.method)
        if "ea:api" not in grant.scopes or (accepted and not accepted & grant.scopes):
            raise NoAccessToScopes(sorted(accepted | {"ea:api"}))

    def add(self, method: str, template: str, handler: Handler, status: int = 200) -> None:
        async def endpoint(request: Request) -> Response:
            self.guard(request, template)
            result = await handler(request)
            if result is None:
                return Response(status_code=status)
            if isinstance(result, Page):
                return json_response(envelope(result), status)
            return json_response(result, status)

        self.router.add_api_route(template, endpoint, methods=[method], name=f"{method} {template}")

    def resource(self, collection: str, template: str, item: str | None = None) -> None:
        """GET list (and GET one when ``item`` names the id path parameter)."""
        self.add("GET", template, lambda r: self.list_page(collection, r))
        if item:

            async def get_one(request: Request) -> Any:
                return self.backend.get(collection, request.path_params[item])

            self.add("GET", f"{template}/{{{item}}}", get_one)

    async def list_page(self, collection: str, request: Request, **extra: Any) -> Page:
        q = request.query_params
        return self.backend.list(
            collection,
            filter_text=q.get("$filter"),
            orderby=q.get("$orderby"),
            page=int_param(q.get("$page"), "$page", 1),
            page_size=int_param(q.get("$pagesize"), "$pagesize", None),
            select=q.get("$select"),
            **extra,
        )


def envelope(page: Page) -> dict[str, Any]:
    return {
        "Meta": {
            "CurrentPage": page.page,
            "PageSize": page.page_size,
            "TotalNumberOfPages": page.total_pages,
            "TotalNumberOfResults": page.total,
            "ServerTimeUtc": format_datetime(datetime.now(UTC)).replace(".000Z", "Z"),
        },
        "Data": page.items,
    }


def too_many_requests(backend: EAccountingBackend, retry_in: int) -> TooManyRequests:
    window = backend.settings.rate_window
    per = "Minute" if window == 60 else f"{window:g} Seconds"
    return TooManyRequests(backend.settings.rate_limit, retry_in, per)


INT32_MAX = 2**31 - 1


def int_param(value: str | None, name: str, default: int | None) -> int | None:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise QueryParameterError(
            f"QueryParameterError - The value '{value}' is not valid for {name}."
        ) from None
    if number < 1:
        raise QueryParameterError(f"QueryParameterError - {name} must be 1 or more.")
    if number > INT32_MAX:
        # The API binds paging numbers to 32-bit integers: a larger one is not a valid value.
        raise QueryParameterError(
            f"QueryParameterError - The value '{value}' is not valid for {name}."
        )
    return number


async def body(request: Request) -> dict[str, Any]:
    try:
        payload = load_body(await request.body())
    except BodyError:
        payload = None
    if not isinstance(payload, dict):
        raise ValidationFailed(
            [field_error("", "InvalidBody", "The request body must be a JSON object.")]
        )
    return payload


def error_handlers(app: FastAPI) -> None:
    @app.exception_handler(EAccountingError)
    async def eaccounting_error(request: Request, exc: EAccountingError) -> Response:
        return exc.response()
