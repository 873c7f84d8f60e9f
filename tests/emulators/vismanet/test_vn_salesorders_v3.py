"""SalesOrders V3 beside the Visma.net emulator, checked against the official V3 description
(``shared/specs/vismanet-salesorders-v3.yaml``), and the connector's V3 writer against it.

Object schemas are closed (no undeclared field) and ``nullable`` becomes a JSON-Schema null.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft4Validator

from vismasync.connectors.http import DataError
from vismasync.connectors.vismanet import VismaNetClient
from vismasync.connectors.vismanet.salesorders_v3 import (
    new_sales_order_command,
    v3_writer_factory,
)
from vismasync.connectors.vismanet.writes import SalesOrderWrite

# The official descriptions live beside the checkout, in ../shared/specs.
SPEC_PATH = Path(__file__).resolve().parents[4] / "shared/specs/vismanet-salesorders-v3.yaml"
V3 = "/salesorders-api/api/v3"
SCOPES = (
    "vismanet_erp_service_api:read vismanet_erp_service_api:create "
    "visma.net.erp.salesorder:read visma.net.erp.salesorder:write"
)


@cache
def _spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def validator(schema_name: str) -> Draft4Validator:
    components = _strict(copy.deepcopy(_spec()["components"]))
    return Draft4Validator(
        {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    )


def assert_valid(schema_name: str, document: Any) -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in validator(schema_name).iter_errors(document)
    ]
    assert not errors, errors


def _headers(base: str, scope: str = SCOPES) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": "vismasync-demo",
        "client_secret": "demo-secret",
        "tenant_id": "demo-company",
        "scope": scope,
    }
    token = httpx.post(f"{base}/connect/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


ORDER = {
    "type": "SO", "orderId": "EA9001",
    "customer": {"id": "10001", "order": "9001", "refNo": "EA9001"},
    "description": "eAccounting order 9001", "currencyId": "NOK", "branchId": "2",
    "shipping": {"address": {"line1": "Storgatan 1", "postalCode": "5003", "city": "Bergen",
                             "countryId": "NO"}},
    "orderLines": [{"inventoryId": "SKU-0001", "quantity": 2, "unitPrice": 100.0,
                    "hasManualPrice": True, "discountPercent": 10, "hasManualDiscount": True,
                    "warehouseId": "MAIN", "taxCategoryId": "1"}],
}  # fmt: skip


def test_created_order_validates_and_the_monolith_sees_it(vn_server):
    headers = _headers(vn_server)
    assert_valid("NewSalesOrderCommand", ORDER)
    created = httpx.post(f"{vn_server}{V3}/SalesOrders", json=ORDER, headers=headers)
    assert created.status_code == 201
    assert created.headers["Location"].endswith(f"{V3}/SalesOrders/SO/EA9001")

    got = httpx.get(f"{vn_server}{V3}/SalesOrders/SO/EA9001", params={"expand": "All"},
                    headers=headers)  # fmt: skip
    assert got.status_code == 200 and got.headers["ETag"]
    assert_valid("SalesOrderDto", got.json())
    assert got.json()["customer"]["refNo"] == "EA9001"
    assert "customer" not in httpx.get(got.url.copy_remove_param("expand"), headers=headers).json()

    lines = httpx.get(f"{vn_server}{V3}/SalesOrders/SO/EA9001/lines", headers=headers).json()
    assert_valid("SalesOrderLineDtoPagedResult", lines)
    assert lines["value"][0]["discountPercent"] == 10

    listed = httpx.get(f"{vn_server}{V3}/SalesOrders", headers=headers,
                       params={"customerId": "10001", "modifiedSince": "2020-01-01T00:00:00Z",
                               "orderBy": "lastModified desc", "pageSize": 1}).json()  # fmt: skip
    assert_valid("SalesOrderListDtoPagedResult", listed)
    assert listed["value"][0]["customerRefNo"] == "EA9001"

    monolith = httpx.get(f"{vn_server}/API/v1/salesorder/SO/EA9001", headers=headers)
    assert monolith.status_code == 200 and monolith.json()["customerRefNo"] == "EA9001"


def test_list_pages_are_zero_based_and_filter_by_order_id(vn_server):
    headers = _headers(vn_server)
    for n in range(3):
        order = {**ORDER, "orderId": f"EA900{n}", "customer": {"id": "10001", "refNo": f"R{n}"}}
        httpx.post(f"{vn_server}{V3}/SalesOrders", json=order, headers=headers).raise_for_status()
    first = httpx.get(f"{vn_server}{V3}/SalesOrders/SO", headers=headers,
                      params={"filter": "EA900", "pageSize": 2, "pageIndex": 0}).json()  # fmt: skip
    second = httpx.get(first["nextPage"], headers=headers).json()
    assert first["totalCount"] == 3 and [o["orderId"] for o in first["value"]] == [
        "EA9000",
        "EA9001",
    ]
    assert [o["orderId"] for o in second["value"]] == ["EA9002"] and "nextPage" not in second
    bad = httpx.get(f"{vn_server}{V3}/SalesOrders", params={"orderBy": "amount"}, headers=headers)
    assert bad.status_code == 400
    assert_valid("ProblemDetails", bad.json())


def test_create_errors_are_the_documented_bodies(vn_server):
    headers = _headers(vn_server)
    httpx.post(f"{vn_server}{V3}/SalesOrders", json=ORDER, headers=headers).raise_for_status()
    conflict = httpx.post(f"{vn_server}{V3}/SalesOrders", json=ORDER, headers=headers)
    assert conflict.status_code == 409
    assert_valid("ProblemDetails", conflict.json())

    no_id = {**ORDER, "orderId": None}
    missing = httpx.post(f"{vn_server}{V3}/SalesOrders", json=no_id, headers=headers)
    assert missing.status_code == 400
    assert_valid("SalesOrderValidationProblemDetails", missing.json())
    codes = {d["code"] for d in missing.json()["details"]}
    assert codes == {"0001-NullNotAllowed"}

    quote = {**ORDER, "type": "QT", "orderLines": [{"inventoryId": "NOPE", "quantity": 1}]}
    refused = httpx.post(f"{vn_server}{V3}/SalesOrders", json=quote, headers=headers).json()
    assert {d["code"] for d in refused["details"]} == {"0004-ValueNotAllowed",
                                                       "1804-InventoryIdNotFound"}  # fmt: skip

    automatic = {**quote, "orderId": None, "orderLines": ORDER["orderLines"]}
    created = httpx.post(f"{vn_server}{V3}/SalesOrders", json=automatic, headers=headers)
    assert created.status_code == 201 and created.headers["Location"].endswith("/QT/000001")


def test_patch_needs_the_current_version(vn_server):
    headers = _headers(vn_server)
    httpx.post(f"{vn_server}{V3}/SalesOrders", json=ORDER, headers=headers).raise_for_status()
    url = f"{vn_server}{V3}/SalesOrders/SO/EA9001"
    version = httpx.get(url, headers=headers).headers["ETag"]
    assert httpx.patch(url, json={"description": "x"}, headers=headers).status_code == 428
    changed = httpx.patch(url, json={"description": "x"}, headers={**headers, "If-Match": version})
    assert changed.status_code == 202 and changed.headers["ETag"] != version
    stale = httpx.patch(url, json={"description": "y"}, headers={**headers, "If-Match": version})
    assert stale.status_code == 412
    assert_valid("ProblemDetails", stale.json())
    assert httpx.get(url, headers=headers).json()["description"] == "x"


def test_customers_and_inventory_lists_validate(vn_server):
    headers = _headers(vn_server)
    customers = httpx.get(f"{vn_server}{V3}/Customers", params={"pageSize": 5},
                          headers=headers).json()  # fmt: skip
    assert_valid("CustomerDtoPagedResult", customers)
    assert len(customers["value"]) == 5 and customers["nextPage"]
    stock = httpx.get(f"{vn_server}{V3}/Inventory", headers=headers,
                      params={"inventoryId": "SKU-0001", "expand": "all"}).json()  # fmt: skip
    assert_valid("InventoryItemAvailabilityDtoPagedResult", stock)
    assert stock["totalCount"] == 1 and stock["value"][0]["availability"]


def test_v3_needs_its_own_scopes(vn_server):
    headers = _headers(vn_server, "vismanet_erp_service_api:read")
    assert httpx.get(f"{vn_server}{V3}/SalesOrders", headers=headers).status_code == 403


# ----- the connector's writer --------------------------------------------------------------
def _client(base: str, **options: Any) -> VismaNetClient:
    return VismaNetClient(
        f"{base}/API", f"{base}/connect/token", "vismasync-demo", "demo-secret", "demo-company",
        sales_order_writer=v3_writer_factory(f"{base}/salesorders-api", **options),
    )  # fmt: skip


def _order(order_type: str = "SO") -> SalesOrderWrite:
    return SalesOrderWrite.model_validate({
        "orderType": order_type, "customer": "10001", "customerOrder": "9001",
        "customerRefNo": "EA9001", "currency": "NOK", "date": "2026-01-05",
        "description": "eAccounting order 9001", "hold": False, "terms": "30",
        "soShippingAddress": {"addressLine1": "Storgatan 1", "countryId": "NO"},
        "lines": [{"inventoryNumber": "SKU-0001", "quantity": Decimal(2),
                   "unitPrice": Decimal("100"), "discountPercent": Decimal(10),
                   "taxCategory": "1", "warehouse": "MAIN", "lineDescription": "Lamp"}],
    })  # fmt: skip


def test_the_mapping_is_a_valid_new_sales_order_command():
    command = new_sales_order_command(_order(), order_id="EA9001", reference="EA9001")
    assert_valid("NewSalesOrderCommand", command)
    assert command["orderId"] == "EA9001" and command["customer"]["refNo"] == "EA9001"
    assert command["orderLines"][0] == {
        "inventoryId": "SKU-0001", "quantity": 2.0, "unitPrice": 100.0, "hasManualPrice": True,
        "discountPercent": 10.0, "hasManualDiscount": True, "taxCategoryId": "1",
        "warehouseId": "MAIN", "description": "Lamp",
    }  # fmt: skip
    assert command["shipping"]["address"] == {"line1": "Storgatan 1", "countryId": "NO"}
    assert "orderId" not in new_sales_order_command(_order(), reference="EA9001")


def test_writer_keys_by_order_id_and_resolves_a_conflict_as_the_same_order(vn_server):
    with _client(vn_server, numbering_id="SOORDER") as client:
        ref = client.create_sales_order(_order(), key="EA9001")
        again = client.create_sales_order(_order(), key="EA9001")  # a 409, adopted
        assert ref.order_number == again.order_number == "EA9001"
        assert client.find_sales_order("SO", "EA9001").order_no == "EA9001"
        assert client.find_sales_order("SO", "EA9002") is None
        foreign = _order().model_copy(update={"customer_ref_no": "someone else"})
        client.sales_orders.create(foreign, key="EA9003")
        with pytest.raises(DataError, match="not created for this document"):
            client.create_sales_order(_order(), key="EA9003")


def test_writer_keys_by_customer_reference_on_automatic_numbering(vn_server):
    with _client(vn_server, numbering_id="SOQUOTE") as client:
        ref = client.create_sales_order(_order("QT"), key="EA9001")
        assert ref.order_number == "000001"
        found = client.find_sales_order("QT", "EA9001", customer="10001")
        assert found is not None and found.order_no == "000001"
        assert client.find_sales_order("QT", "EA9001", customer="10002") is None
