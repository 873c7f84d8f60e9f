"""The emulated operations, one handler per (method, path) of the official spec.

Each handler parses what its operation declares (query names from the spec), calls the
backend, and renders the documented response: plain read DTOs, 201 + ``Location`` for POST,
204 for PUT, paged arrays with ``metadata`` where the operation takes ``pageNumber``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from vismasync.emulators.vismanet.errors import OAuthError, VismaNetError
from vismasync.emulators.vismanet.http_io import (
    backend_of,
    created,
    item_response,
    list_response,
    no_content,
    paged,
    params_of,
    write_body,
)
from vismasync.emulators.vismanet.query import page_of, paginate
from vismasync.emulators.vismanet.service import VismaNetService
from vismasync.emulators.vismanet.wire import render

DATES = ("lastModifiedDateTime", "lastModifiedDateTimeCondition")
CREATED = ("createdDateTime", "createdDateTimeCondition")
CUSTOMER_QUERY = (
    "name",
    "status",
    "corporateId",
    "vatRegistrationId",
    "email",
    "phone",
    *DATES,
    *CREATED,
)
CONTACT_QUERY = ("displayName", "active", "firstName", "lastName", "businessAccount", "email")
CONTACT_QUERY += DATES
ORDER_QUERY = ("orderType", "status", "greaterThanValue", "showNotes", *DATES)
INVENTORY_QUERY = (
    "inventoryNumber", "alternateID", "description", "status", "inventoryTypes",
    "availabilityLastModifiedDateTime", "availabilityLastModifiedDateTimeCondition",
    "expandCrossReference", "expandAttachment", "expandAttribute", "expandWarehouseDetail",
    "expandInventoryUnits", "expandSupplierDetails", "expandSalesCategories", "expandNote",
    *DATES, *CREATED,
)  # fmt: skip
INVOICE_QUERY = (
    "documentType", "status", "externalReference", "paymentReference", "customerRefNumber",
    "customer", "branch", "financialPeriod", "documentDate", "documentDateCondition",
    "documentDueDate", "documentDueDateCondition", *DATES, *CREATED,
)  # fmt: skip
JOURNAL_QUERY = ("periodId", "lastModifiedDateTime", "module", "status", "branch")
# Reference lists: (path, kind, declared filters, paged?, items carry metadata?)
REFERENCE_LISTS = (
    ("/v1/branch", "branch", DATES, False, False),
    ("/v1/warehouse", "warehouse", ("active", "branch"), False, False),
    ("/v1/vat", "vat", DATES, False, False),
    ("/v1/vatCategory", "vatCategory", DATES + CREATED, False, False),
    ("/v1/vatZone", "vatZone", (), True, True),
    ("/v1/carrier", "carrier", DATES, False, False),
    ("/v1/paymentmethod", "paymentmethod", DATES, False, False),
    ("/v1/currency", "currency", (), False, False),
    ("/v1/country", "country", (), True, True),
    ("/v1/attribute", "attribute", ("attributeID", "controlType", "internal", *DATES, *CREATED),
     True, True),
    ("/v1/salesordertype", "salesordertype", DATES, True, True),
    ("/v1/customer/customerClass", "customerClass", (), False, False),
    ("/v1/inventory/itemClass", "itemClass", (), False, False),
)  # fmt: skip
REFERENCE_ITEMS = (
    ("/v1/branch/{key}", "branch"),
    ("/v1/warehouse/{key}", "warehouse"),
    ("/v1/vat/{key}", "vat"),
    ("/v1/vatCategory/{key}", "vatCategory"),
    ("/v1/vatZone/{key}", "vatZone"),
    ("/v1/carrier/{key}", "carrier"),
    ("/v1/paymentmethod/{key}", "paymentmethod"),
    ("/v1/currency/{key}", "currency"),
    ("/v1/country/{key}", "country"),
    ("/v1/attribute/{key}", "attribute"),
    ("/v1/salesordertype/{key}", "salesordertype"),
    ("/v1/customer/customerClass/{key}", "customerClass"),
    ("/v1/inventory/itemclass/{key}", "itemClass"),
)


class PrefixedRoutes:
    """Adds routes straight onto a router under a path prefix.

    The app's own route list stays flat (no included sub-routers), so case-insensitive
    matching and per-template request counts see every route.
    """

    def __init__(self, router: APIRouter, prefix: str = "") -> None:
        self.router = router
        self.prefix = prefix

    def add_api_route(self, path: str, endpoint: Callable, methods: list[str]) -> None:
        self.router.add_api_route(self.prefix + path, endpoint, methods=methods)

    def _method(self, method: str, path: str) -> Callable[[Callable], Callable]:
        def decorate(endpoint: Callable) -> Callable:
            self.add_api_route(path, endpoint, [method])
            return endpoint

        return decorate

    def get(self, path: str) -> Callable[[Callable], Callable]:
        return self._method("GET", path)

    def post(self, path: str) -> Callable[[Callable], Callable]:
        return self._method("POST", path)

    def put(self, path: str) -> Callable[[Callable], Callable]:
        return self._method("PUT", path)

    def patch(self, path: str) -> Callable[[Callable], Callable]:
        return self._method("PATCH", path)


def add_token_route(app_router: APIRouter, service: VismaNetService) -> None:
    """Visma Connect's token endpoint (form-encoded client-credentials request)."""
    router = PrefixedRoutes(app_router)

    @router.post("/connect/token")
    async def token(request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        try:
            return JSONResponse(service.issuer.issue(form), headers={"Cache-Control": "no-store"})
        except OAuthError as error:
            return JSONResponse(error.body(), status_code=error.status_code)


def add_api_routes(app_router: APIRouter, prefix: str) -> None:
    router = PrefixedRoutes(app_router, prefix)
    _reference_routes(router)  # fixed sub-paths (customerClass, itemClass) before {keys}
    _customer_routes(router)
    _inventory_routes(router)
    _order_routes(router)
    _receivables_routes(router)


def _reference_routes(router: PrefixedRoutes) -> None:
    for path, kind, names, is_paged, metadata in REFERENCE_LISTS:
        router.add_api_route(path, _listing(kind, names, is_paged, metadata), methods=["GET"])
    for path, kind in REFERENCE_ITEMS:
        router.add_api_route(path, _single(kind), methods=["GET"])

    @router.get("/v1/numberSequence/{numberingId}")
    def numbering(request: Request, numberingId: str) -> JSONResponse:
        return item_response(backend_of(request).reference.numbering(numberingId))

    @router.get("/v1/creditTerm")
    def credit_terms(request: Request) -> JSONResponse:
        # The documented exception: a wrapped pagination object instead of an array.
        backend = backend_of(request)
        params = params_of(request, ("termsId", "pageNumber", "pageSize", *DATES, *CREATED))
        records = backend.reference.list("creditTerm", params)
        page = page_of(params, backend.max_page_size("creditTerm"))
        return JSONResponse(
            {
                "pageNumber": page.number,
                "pageSize": page.size,
                "totalCount": len(records),
                "records": [render(r) for r in paginate(records, page)],
            }
        )


def _listing(kind: str, names: tuple[str, ...], is_paged: bool, metadata: bool) -> Callable:
    # A factory, so the bound values are closure cells and not query parameters.
    def listing(request: Request) -> JSONResponse:
        records = backend_of(request).reference.list(kind, params_of(request, names))
        return paged(request, records, metadata=metadata) if is_paged else list_response(records)

    return listing


def _single(kind: str) -> Callable:
    def single(request: Request, key: str) -> JSONResponse:
        record = backend_of(request).reference.get(kind, key)
        return item_response(record, etag=record.get("timestamp"))

    return single


def _customer_routes(router: PrefixedRoutes) -> None:
    @router.get("/v1/customer")
    def list_customers(request: Request) -> JSONResponse:
        records = backend_of(request).customers.list(params_of(request, CUSTOMER_QUERY))
        return paged(request, records)

    @router.post("/v1/customer")
    async def create_customer(request: Request) -> Response:
        dto = await write_body(request, "CustomerUpdateDto", "creating customer")
        return created(request, "/v1/customer", backend_of(request).customers.create(dto))

    @router.get("/v1/customer/{customerCd}")
    def get_customer(request: Request, customerCd: str) -> JSONResponse:
        return item_response(backend_of(request).customers.get(customerCd))

    @router.put("/v1/customer/{customerCd}")
    async def update_customer(request: Request, customerCd: str) -> Response:
        dto = await write_body(request, "CustomerUpdateDto", "updating customer")
        backend_of(request).customers.update(customerCd, dto)
        return no_content(request, "/v1/customer", customerCd)

    @router.get("/v1/customer/{customerCd}/salesorder")
    def customer_orders(request: Request, customerCd: str) -> JSONResponse:
        orders = backend_of(request).sales_orders.list(
            params_of(request, ORDER_QUERY), customer=customerCd
        )
        return paged(request, orders)

    @router.get("/v1/customer/{customerCd}/contact")
    def customer_contacts(request: Request, customerCd: str) -> JSONResponse:
        params = params_of(request, CONTACT_QUERY)
        return list_response(backend_of(request).customers.list_contacts(params, customerCd))

    @router.get("/v1/contact")
    def list_contacts(request: Request) -> JSONResponse:
        params = params_of(request, CONTACT_QUERY)
        return list_response(backend_of(request).customers.list_contacts(params))

    @router.post("/v1/contact")
    async def create_contact(request: Request) -> Response:
        dto = await write_body(request, "ContactUpdateDto", "creating contact")
        return created(request, "/v1/contact", backend_of(request).customers.create_contact(dto))

    @router.get("/v1/contact/{contactId}")
    def get_contact(request: Request, contactId: str) -> JSONResponse:
        if not contactId.isdigit():
            raise VismaNetError(f"The value '{contactId}' is not valid for contactId.")
        return item_response(backend_of(request).customers.get_contact(int(contactId)))


def _inventory_routes(router: PrefixedRoutes) -> None:
    @router.get("/v1/inventory")
    def list_inventory(request: Request) -> JSONResponse:
        records = backend_of(request).inventory.list(params_of(request, INVENTORY_QUERY))
        return paged(request, records, "inventory")

    @router.post("/v1/inventory")
    async def create_inventory(request: Request) -> Response:
        dto = await write_body(request, "InventoryUpdateDto", "creating inventory item")
        return created(request, "/v1/inventory", backend_of(request).inventory.create(dto))

    @router.get("/v1/inventory/{inventoryNumber}")
    def get_inventory(request: Request, inventoryNumber: str) -> JSONResponse:
        record = backend_of(request).inventory.get(inventoryNumber)
        return item_response(record, etag=record.get("timestamp"))

    @router.put("/v1/inventory/{inventoryNumber}")
    async def update_inventory(request: Request, inventoryNumber: str) -> Response:
        dto = await write_body(request, "InventoryUpdateDto", "updating inventory item")
        dto.pop("inventoryNumber", None)  # spec: "Mandatory for POST, not applicable for PUT"
        backend_of(request).inventory.update(inventoryNumber, dto)
        return no_content(request, "/v1/inventory", inventoryNumber)

    @router.get("/v1/inventorysummary/{inventoryNumber}")
    def inventory_summary(request: Request, inventoryNumber: str) -> JSONResponse:
        params = params_of(request, ("warehouse", "location"))
        return list_response(backend_of(request).inventory.summary(inventoryNumber, params))


def _order_routes(router: PrefixedRoutes) -> None:
    for version in ("v1", "v2"):

        def list_orders(request: Request) -> JSONResponse:
            orders = backend_of(request).sales_orders.list(params_of(request, ORDER_QUERY))
            return paged(request, orders)

        create_order = _order_creator(version)

        def get_order(request: Request, orderNbr: str) -> JSONResponse:
            return item_response(backend_of(request).sales_orders.get(orderNbr))

        router.add_api_route(f"/{version}/salesorder", list_orders, methods=["GET"])
        router.add_api_route(f"/{version}/salesorder", create_order, methods=["POST"])
        router.add_api_route(f"/{version}/salesorder/{{orderNbr}}", get_order, methods=["GET"])

    @router.get("/v1/salesorder/{orderType}/{orderNbr}")
    def get_typed_order(request: Request, orderType: str, orderNbr: str) -> JSONResponse:
        return item_response(backend_of(request).sales_orders.get(orderNbr, orderType))


def _order_creator(version: str) -> Callable:
    async def create_order(request: Request) -> Response:
        dto = await write_body(request, "SalesOrderUpdateDto", "creating salesOrder")
        _, number = backend_of(request).sales_orders.create(dto)
        return created(request, f"/{version}/salesorder", number)

    return create_order


def _receivables_routes(router: PrefixedRoutes) -> None:
    @router.post("/v2/customerinvoice")
    async def create_invoice(request: Request) -> Response:
        dto = await write_body(request, "CustomerInvoiceUpdateDto", "creating customer invoice")
        number = backend_of(request).receivables.create_invoice(dto)
        return created(request, "/v1/customerinvoice", number)

    @router.get("/v1/customerinvoice")
    def list_invoices(request: Request) -> JSONResponse:
        records = backend_of(request).receivables.list_invoices(params_of(request, INVOICE_QUERY))
        return paged(request, records)

    @router.get("/v1/customerinvoice/{invoiceNumber}")
    def get_invoice(request: Request, invoiceNumber: str) -> JSONResponse:
        return item_response(backend_of(request).receivables.get_invoice(invoiceNumber))

    @router.post("/v2/journaltransaction")
    async def create_journal(request: Request) -> Response:
        dto = await write_body(
            request, "JournalTransactionUpdateDto", "creating journal transaction"
        )
        number = backend_of(request).receivables.create_journal(dto)
        return created(request, "/v2/journaltransaction", number)

    @router.get("/v2/journaltransaction")
    def list_journal(request: Request) -> JSONResponse:
        backend = backend_of(request)
        params = params_of(request, (*JOURNAL_QUERY, "pageNumber", "pageSize"))
        batches = backend.receivables.list_journal(params)
        # "pagesize and totalcount denotes number of journaltransaction lines": page over lines
        # and regroup them, so one batch can be split over several pages.
        pairs = [(b, line) for b in batches for line in b["journalTransactionLines"]]
        page = page_of(params, backend.max_page_size("journaltransaction"))
        items: list[dict] = []
        for batch, line in paginate(pairs, page):
            if not items or items[-1]["batchNumber"] != batch["batchNumber"]:
                items.append({**batch, "journalTransactionLines": []})
            items[-1]["journalTransactionLines"].append(line)
        rendered = [render(i) for i in items]
        for item in rendered:
            item["metadata"] = {"totalCount": len(pairs), "maxPageSize": page.max_size}
        return JSONResponse(rendered)

    @router.get("/v2/journaltransaction/{journalTransactionNumber}")
    def get_journal(request: Request, journalTransactionNumber: str) -> JSONResponse:
        return item_response(backend_of(request).receivables.get_journal(journalTransactionNumber))
