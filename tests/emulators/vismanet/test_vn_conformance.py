"""The emulator against the official spec: its routes, query names, responses and bodies."""

from __future__ import annotations

import httpx
import pytest
from fastapi.routing import APIRoute
from vismanet_openapi import (
    errors,
    query_parameters,
    request_validator,
    response_validator,
    spec_route,
)

from vismasync.emulators.vismanet import routes
from vismasync.emulators.vismanet.server import create_app
from vismasync.emulators.vismanet.service import VismaNetService

# One concrete URL per GET route, using demo data.
SAMPLE_GETS = {
    "/v1/customer": "/v1/customer?pageSize=5",
    "/v1/customer/{customerCd}": "/v1/customer/10001",
    "/v1/customer/{customerCd}/salesorder": "/v1/customer/10001/salesorder",
    "/v1/customer/{customerCd}/contact": "/v1/customer/10002/contact",
    "/v1/contact": "/v1/contact",
    "/v1/contact/{contactId}": "/v1/contact/101",
    "/v1/inventory": "/v1/inventory?pageSize=5",
    "/v1/inventory/{inventoryNumber}": "/v1/inventory/SKU-0001",
    "/v1/inventorysummary/{inventoryNumber}": "/v1/inventorysummary/SKU-0001",
    "/v1/salesorder": "/v1/salesorder",
    "/v2/salesorder": "/v2/salesorder",
    "/v1/salesorder/{orderNbr}": "/v1/salesorder/000001",
    "/v2/salesorder/{orderNbr}": "/v2/salesorder/000001",
    "/v1/salesorder/{orderType}/{orderNbr}": "/v1/salesorder/SO/000001",
    "/v1/customerinvoice": "/v1/customerinvoice",
    "/v1/customerinvoice/{invoiceNumber}": "/v1/customerinvoice/100001",
    "/v2/journaltransaction": "/v2/journaltransaction?periodId=202601",
    "/v2/journaltransaction/{journalTransactionNumber}": "/v2/journaltransaction/000001",
    "/v1/creditTerm": "/v1/creditTerm",
    **{path: path for path, *_ in routes.REFERENCE_LISTS},
    "/v1/branch/{key}": "/v1/branch/1",
    "/v1/warehouse/{key}": "/v1/warehouse/MAIN",
    "/v1/vat/{key}": "/v1/vat/SE25",
    "/v1/vatCategory/{key}": "/v1/vatCategory/1",
    "/v1/vatZone/{key}": "/v1/vatZone/01",
    "/v1/carrier/{key}": "/v1/carrier/DHL",
    "/v1/paymentmethod/{key}": "/v1/paymentmethod/CARD",
    "/v1/currency/{key}": "/v1/currency/SEK",
    "/v1/country/{key}": "/v1/country/SE",
    "/v1/attribute/{key}": "/v1/attribute/COLOR",
    "/v1/salesordertype/{key}": "/v1/salesordertype/SO",
    "/v1/numberSequence/{numberingId}": "/v1/numberSequence/SOORDER",
    "/v1/customer/customerClass/{key}": "/v1/customer/customerClass/1",
    "/v1/inventory/itemclass/{key}": "/v1/inventory/itemclass/GOODS",
}
ORDER = {
    "orderType": {"value": "SO"},
    "customer": {"value": "10001"},
    "customerRefNo": {"value": "REF-1"},
    "branchNumber": {"value": "1"},
    "hold": {"value": False},
    "soShippingAddress": {"value": {"overrideAddress": {"value": True}, "city": {"value": "Oslo"},
                                    "countryId": {"value": "NO"}}},
    "lines": [{"operation": "Insert", "inventoryNumber": {"value": "SKU-0001"},
               "quantity": {"value": 2}, "discountPercent": {"value": 10}}],
}  # fmt: skip
WRITES = [
    ("POST", "/v1/customer", "/v1/customer", {"name": {"value": "Spec AB"}}, 201),
    ("PUT", "/v1/customer/{customerCd}", "/v1/customer/10001", {"name": {"value": "X"}}, 204),
    ("POST", "/v1/contact", "/v1/contact",
     {"lastName": {"value": "Berg"}, "businessAccount": {"value": "10001"}}, 201),
    ("POST", "/v1/inventory", "/v1/inventory",
     {"inventoryNumber": {"value": "NEW-1"}, "itemClass": {"value": "GOODS"}}, 201),
    ("PUT", "/v1/inventory/{inventoryNumber}", "/v1/inventory/SKU-0001",
     {"description": {"value": "Renamed"}}, 204),
    ("POST", "/v2/salesorder", "/v2/salesorder", ORDER, 201),
    ("POST", "/v1/salesorder", "/v1/salesorder", ORDER, 201),
    ("POST", "/v2/customerinvoice", "/v2/customerinvoice",
     {"customerNumber": {"value": "10001"}, "externalReference": {"value": "EXT-1"},
      "invoiceLines": [{"operation": "Insert", "inventoryNumber": {"value": "SKU-0002"},
                        "quantity": {"value": 1}}]}, 201),
    ("POST", "/v2/journaltransaction", "/v2/journaltransaction",
     {"transactionDate": {"value": "2026-01-10T00:00:00"},
      "journalTransactionLines": [
          {"operation": "Insert", "accountNumber": {"value": "1930"},
           "debitAmountInCurrency": {"value": 10}},
          {"operation": "Insert", "accountNumber": {"value": "3001"},
           "creditAmountInCurrency": {"value": 10}}]}, 201),
]  # fmt: skip


def _emulator_routes() -> list[tuple[str, str]]:
    app = create_app(VismaNetService("empty"))
    found = []
    for route in app.router.routes:
        if isinstance(route, APIRoute) and route.path.startswith(("/v1/", "/v2/")):
            found.extend((method, route.path) for method in route.methods)
    return found


def test_every_emulator_route_is_an_operation_of_the_spec() -> None:
    pairs = _emulator_routes()
    assert len(pairs) > 40
    for method, path in pairs:
        spec_path = spec_route(path)
        assert spec_path is not None, f"{method} {path} is not in the spec"
        from vismanet_openapi import spec

        assert method.lower() in spec()["paths"][spec_path], f"{method} {path}"


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/v1/customer", routes.CUSTOMER_QUERY),
        ("/v1/contact", routes.CONTACT_QUERY),
        ("/v1/inventory", routes.INVENTORY_QUERY),
        ("/v2/salesorder", routes.ORDER_QUERY),
        ("/v1/customerinvoice", routes.INVOICE_QUERY),
        ("/v2/journaltransaction", routes.JOURNAL_QUERY),
        *[(path, names) for path, _, names, *_ in routes.REFERENCE_LISTS],
    ],
)
def test_filters_are_the_spec_query_parameters(path: str, names: tuple[str, ...]) -> None:
    assert set(names) <= query_parameters("GET", spec_route(path) or path)


def _seed_documents(api: httpx.Client) -> None:
    for _, _, url, body, _ in WRITES:
        if url in ("/v2/salesorder", "/v2/customerinvoice", "/v2/journaltransaction"):
            assert api.post(url, json=body).status_code == 201


def test_every_get_route_answers_with_the_spec_schema(api: httpx.Client) -> None:
    _seed_documents(api)
    routes_seen = {path for method, path in _emulator_routes() if method == "GET"}
    assert routes_seen == set(SAMPLE_GETS)
    problems = {}
    for route, url in SAMPLE_GETS.items():
        response = api.get(url)
        assert response.status_code == 200, (url, response.text)
        assert response.json(), url  # an empty answer would validate trivially
        found = errors(response_validator("GET", spec_route(route)), response.json())
        if found:
            problems[url] = found[:3]
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


@pytest.mark.parametrize(("method", "route", "url", "body", "status"), WRITES)
def test_writes_take_spec_bodies_and_answer_as_documented(
    api: httpx.Client, method: str, route: str, url: str, body: dict, status: int
) -> None:
    assert not errors(request_validator(method, route), body)
    response = api.request(method, url, json=body)
    assert response.status_code == status, response.text
    assert response.content == b""
    location = response.headers["Location"]
    assert location.startswith(str(api.base_url))
    assert api.get(location).status_code == 200
