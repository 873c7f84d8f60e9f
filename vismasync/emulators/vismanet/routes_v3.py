"""The SalesOrders V3 service's operations, mounted beside the monolith under ``V3_ROOT``.

The real service is its own host (``https://salesorder.visma.net/api/v3/...``); the emulator
serves it from the Visma.net emulator's process under ``/salesorders-api`` so it shares the
company, Visma Connect tokens, the gateway's budget, fault injection and request counts.
Paged lists take a zero-based ``pageIndex`` and answer ``{value, totalCount, nextPage}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from vismasync.emulators.vismanet.errors import ProblemError, ValidationProblem
from vismasync.emulators.vismanet.http_io import backend_of
from vismasync.emulators.vismanet.routes import PrefixedRoutes
from vismasync.emulators.vismanet.salesorders_v3 import etag
from vismasync.emulators.vismanet.salesorders_v3_wire import (
    availability_dto,
    customer_dto,
    line_dto,
    list_item,
    order_dto,
)

V3_ROOT = "/salesorders-api"
API = "/api/v3"
ORDER_SORTS = {"created", "lastmodified", "orderid"}
ORDER_EXPAND = {"none", "billing", "payment", "financialinformation", "shipping", "customer",
                "owner", "origin", "note", "freight", "attachments", "all"}  # fmt: skip
INVENTORY_EXPAND = {"none", "location", "attribute", "all"}
MAX_PAGE_SIZE = 1000  # unpublished; the emulator's cap
INVENTORY_MAX_PAGE_SIZE = 10000  # the documented default page size


def _query(request: Request) -> dict[str, list[str]]:
    """Query parameters by lower-case name (ASP.NET binds names case-insensitively)."""
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key.lower(), []).append(value)
    return params


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name.lower())
    return values[-1] if values else None


def _many(params: dict[str, list[str]], name: str) -> list[str]:
    return [v for value in params.get(name.lower(), []) for v in value.split(",") if v]


def _int(params: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    raw = _one(params, name)
    try:
        value = default if raw in (None, "") else int(raw)
    except ValueError:
        raise ProblemError(400, f"'{name}' must be a whole number.") from None
    if not low <= value <= high:
        raise ProblemError(400, f"'{name}' must be between {low} and {high}.")
    return value


def _since(params: dict[str, list[str]]) -> datetime | None:
    raw = _one(params, "modifiedSince")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ProblemError(400, f"'{raw}' is not a valid value for modifiedSince.") from None
    if value.tzinfo is not None:  # records are offset-less UTC
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _expand(params: dict[str, list[str]], allowed: set[str]) -> set[str]:
    wanted = {value.strip().lower() for value in _many(params, "expand")}
    unknown = wanted - allowed
    if unknown:
        raise ProblemError(400, f"Invalid expand value(s): {', '.join(sorted(unknown))}.")
    return wanted


def _paged(request: Request, items: list[Any], default_size: int, max_size: int) -> JSONResponse:
    params = _query(request)
    size = _int(params, "pageSize", default_size, 1, max_size)
    index = _int(params, "pageIndex", 0, 0, 2**31 - 1)
    page = items[index * size : (index + 1) * size]
    next_page = None
    if (index + 1) * size < len(items):
        query = {k: v for k, v in request.query_params.multi_items() if k.lower() != "pageindex"}
        next_page = f"{request.url.path}?{urlencode({**query, 'pageIndex': index + 1})}"
    body: dict[str, Any] = {"value": page, "totalCount": len(items)}
    if next_page:
        body["nextPage"] = str(request.base_url).rstrip("/") + next_page
    return JSONResponse(body)


def _base(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{V3_ROOT}{API}"


def _order_href(request: Request, order_type: str, order_id: str) -> str:
    return f"{_base(request)}/SalesOrders/{quote(order_type, safe='')}/{quote(order_id, safe='')}"


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ValidationProblem([("0003-InvalidValue", "The body is not a JSON object.", "")])
    return body


def add_v3_routes(app_router: APIRouter) -> None:
    router = PrefixedRoutes(app_router, V3_ROOT + API)

    def list_orders(request: Request, type: str | None) -> JSONResponse:
        params = _query(request)
        since = _since(params)
        customer = _one(params, "customerId")
        status = _one(params, "status")
        pattern = (_one(params, "filter") or "").strip().casefold()
        records = [
            (order, created)
            for order, created in backend_of(request).sales_orders_v3.all()
            if (type is None or order["orderType"].casefold() == type.casefold())
            and (not customer or order["customer"]["number"].casefold() == customer.casefold())
            and (not status or (order.get("status") or "").casefold() == status.casefold())
            and (since is None or order["lastModifiedDateTime"] >= since)
            # "A filter for the list, applied to the orderId": read as a substring match.
            and (not pattern or pattern in order["orderNo"].casefold())
        ]
        records.sort(key=_sorter(_one(params, "orderBy")), reverse=_descending(params))
        items = [
            list_item(o, _order_href(request, o["orderType"], o["orderNo"])) for o, _ in records
        ]
        return _paged(request, items, 100, MAX_PAGE_SIZE)

    @router.get("/SalesOrders")
    def list_all_orders(request: Request) -> JSONResponse:
        return list_orders(request, None)

    @router.post("/SalesOrders")
    async def create_order(request: Request) -> Response:
        command = await _json_body(request)
        order_type, order_id = backend_of(request).sales_orders_v3.create(command)
        location = _order_href(request, order_type, order_id)
        return Response(status_code=201, headers={"Location": location})

    @router.get("/SalesOrders/{type}")
    def list_typed_orders(request: Request, type: str) -> JSONResponse:
        return list_orders(request, type)

    @router.get("/SalesOrders/{type}/{orderId}")
    def get_order(request: Request, type: str, orderId: str) -> JSONResponse:
        expand = _expand(_query(request), ORDER_EXPAND)
        order, version, _ = backend_of(request).sales_orders_v3.get(type, orderId)
        return JSONResponse(
            order_dto(order, version, expand), headers={"ETag": f'"{etag(version)}"'}
        )

    @router.patch("/SalesOrders/{type}/{orderId}")
    async def patch_order(request: Request, type: str, orderId: str) -> Response:
        command = await _json_body(request)
        rules = backend_of(request).sales_orders_v3
        version = rules.patch(type, orderId, request.headers.get("if-match"), command)
        return Response(status_code=202, headers={"ETag": f'"{etag(version)}"'})

    @router.get("/SalesOrders/{type}/{orderId}/lines")
    def get_lines(request: Request, type: str, orderId: str) -> JSONResponse:
        order, _, _ = backend_of(request).sales_orders_v3.get(type, orderId)
        lines = [line_dto(line) for line in order.get("lines") or []]
        return _paged(request, lines, 1000, MAX_PAGE_SIZE)

    @router.get("/Customers")
    def list_customers(request: Request) -> JSONResponse:
        text = (_one(_query(request), "filter") or "").strip().casefold()
        state = backend_of(request).state
        with state.lock:
            customers = [
                customer_dto(c)
                for _, c in sorted(state.customers.items())
                if not text
                or any(text in str(c.get(k) or "").casefold()
                       for k in ("number", "name", "gln", "vatRegistrationId"))
            ]  # fmt: skip
        return _paged(request, customers, 100, MAX_PAGE_SIZE)

    @router.get("/Inventory")
    def list_inventory(request: Request) -> JSONResponse:
        params = _query(request)
        expand = _expand(params, INVENTORY_EXPAND)
        since = _since(params)
        wanted_items = {v.casefold() for v in _many(params, "inventoryId")}
        wanted_warehouses = {v.casefold() for v in _many(params, "warehouseId")}
        state = backend_of(request).state
        items = []
        with state.lock:
            for number, item in sorted(state.inventory.items()):
                if wanted_items and number.casefold() not in wanted_items:
                    continue
                levels = {
                    w: level
                    for w, level in (state.stock.get(number) or {}).items()
                    if not wanted_warehouses or w.casefold() in wanted_warehouses
                }
                if since is not None:
                    levels = {
                        w: lv for w, lv in levels.items()
                        if lv.last_modified is not None and lv.last_modified >= since
                    }  # fmt: skip
                    if not levels:
                        continue
                items.append(availability_dto(
                    item, levels, state.warehouses,
                    attributes=bool(expand & {"attribute", "all"}),
                    locations=bool(expand & {"location", "all"}),
                ))  # fmt: skip
        return _paged(request, items, INVENTORY_MAX_PAGE_SIZE, INVENTORY_MAX_PAGE_SIZE)


def _sorter(order_by: str | None):
    field = (order_by or "orderId").split()[0].casefold()
    if field not in ORDER_SORTS:
        raise ProblemError(400, f"Invalid orderBy '{order_by}'.")
    if field == "created":
        return lambda pair: (pair[1], pair[0]["orderType"], pair[0]["orderNo"])
    if field == "lastmodified":
        return lambda pair: (pair[0]["lastModifiedDateTime"], pair[0]["orderNo"])
    return lambda pair: (pair[0]["orderNo"], pair[0]["orderType"])


def _descending(params: dict[str, list[str]]) -> bool:
    parts = (_one(params, "orderBy") or "").split()
    if len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
        raise ProblemError(400, f"Invalid orderBy '{' '.join(parts)}'.")
    return len(parts) == 2 and parts[1].lower() == "desc"
