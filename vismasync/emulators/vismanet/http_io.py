"""What every operation's handler shares: reading its request and writing its response.

Query parameter names are case-insensitive and unknown ones ignored; list responses carry
``metadata {totalCount, maxPageSize}``; POST answers 201 with a ``Location`` header, PUT 204.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from vismasync.emulators.common.jsonbody import BodyError, load_body
from vismasync.emulators.vismanet.backend import VismaNetBackend
from vismasync.emulators.vismanet.query import Page, page_of, paginate
from vismasync.emulators.vismanet.wire import render, unwrap_dto


def backend_of(request: Request) -> VismaNetBackend:
    """The company the gateway bound this request to."""
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
    try:
        body = load_body(await request.body())
    except BodyError:
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
