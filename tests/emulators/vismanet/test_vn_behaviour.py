"""The emulator as a real server: paging, date filters, wrappers, Location, limits, errors."""

from __future__ import annotations

import re

import httpx
import pytest
from vn_emulator_helpers import token

from vismasync.emulators.vismanet.service import CUSTOMER_TENANT, READONLY_CLIENT_ID

VISMA_ID = re.compile(r"^VismaId: [0-9a-f-]{36}\. ")
ORDER_LINE = {"operation": "Insert", "inventoryNumber": {"value": "SKU-0001"},
              "quantity": {"value": 2}}  # fmt: skip


def order(**fields: object) -> dict:
    body = {"orderType": {"value": "SO"}, "customer": {"value": "10001"}, "lines": [ORDER_LINE]}
    body.update({k: {"value": v} for k, v in fields.items()})
    return body


def test_paging_is_one_based_and_clamps_the_page_size(api: httpx.Client, vn_service) -> None:
    for i in range(40):
        vn_service.backend().customers.create({"name": f"Paging {i}"})
    first = api.get("/v1/customer", params={"pageNumber": 1, "pageSize": 1000}).json()
    second = api.get("/v1/customer", params={"pageNumber": 2, "pageSize": 1000}).json()
    assert len(first) == 50 and len(second) == 10
    assert first[0]["metadata"] == {"totalCount": 60, "maxPageSize": 50}
    numbers = [c["number"] for c in first + second]
    assert len(set(numbers)) == 60
    assert api.get("/v1/customer", params={"pageNumber": 3, "pageSize": 50}).json() == []


@pytest.mark.parametrize(
    ("condition", "expected"),
    [(">", lambda s, t: s > t), ("<", lambda s, t: s < t), (">=", lambda s, t: s >= t),
     ("<=", lambda s, t: s <= t)],
)  # fmt: skip
@pytest.mark.parametrize(
    "value", ["2026-01-05T11:25:00", "2026-01-05 11:25:00", "2026-01-05T11:25:00.000"]
)
def test_date_conditions(api: httpx.Client, condition: str, expected, value: str) -> None:
    everything = api.get("/v1/customer").json()
    params = {"lastModifiedDateTime": value, "lastModifiedDateTimeCondition": condition}
    got = {c["number"] for c in api.get("/v1/customer", params=params).json()}
    want = {
        c["number"]
        for c in everything
        if expected(c["lastModifiedDateTime"], "2026-01-05T11:25:00.000")
    }
    assert got == want and 0 < len(got) < len(everything)


def test_date_value_without_condition_filters_nothing_and_zones_are_rejected(
    api: httpx.Client,
) -> None:
    everything = api.get("/v1/customer").json()
    alone = api.get("/v1/customer", params={"lastModifiedDateTime": "2030-01-01"}).json()
    assert len(alone) == len(everything)
    zoned = api.get(
        "/v1/customer",
        params={
            "lastModifiedDateTime": "2026-01-05T11:25:00Z",
            "lastModifiedDateTimeCondition": ">",
        },
    )
    assert zoned.status_code == 400
    date_only = api.get(
        "/v1/customer",
        params={"lastModifiedDateTime": "2026-01-06", "lastModifiedDateTimeCondition": "<"},
    )
    assert len(date_only.json()) == len(everything)


def test_unknown_query_parameters_are_ignored_and_names_are_case_insensitive(
    api: httpx.Client,
) -> None:
    everything = api.get("/v1/customer").json()
    assert api.get("/v1/customer", params={"customerRefNo": "nope"}).json() == everything
    email = everything[3]["mainContact"]["email"]
    by_email = api.get("/V1/Customer", params={"EMAIL": email.upper()}).json()
    assert [c["number"] for c in by_email] == [everything[3]["number"]]


def test_unwrapped_write_is_rejected_with_the_documented_message(api: httpx.Client) -> None:
    response = api.post("/v1/customer", json={"name": "Plain AB"})
    assert response.status_code == 400
    message = response.json()["message"]
    assert VISMA_ID.match(message) and "not recognized as CustomerUpdateDto" in message


def test_customers_are_auto_numbered_unless_a_number_is_given(api: httpx.Client) -> None:
    auto = api.post("/v1/customer", json={"name": {"value": "Auto AB"}})
    manual = api.post("/v1/customer", json={"name": {"value": "M AB"}, "number": {"value": "C-9"}})
    duplicate = api.post("/v1/customer", json={"name": {"value": "D"}, "number": {"value": "C-9"}})
    assert auto.headers["Location"].endswith("/v1/customer/10021")
    assert manual.headers["Location"].endswith("/v1/customer/C-9")
    assert duplicate.status_code == 400 and VISMA_ID.match(duplicate.json()["message"])
    update = api.put("/v1/customer/C-9", json={"status": {"value": "Inactive"}})
    assert update.status_code == 204
    assert api.get("/v1/customer/C-9").json()["status"] == "Inactive"


def test_sales_order_rules(api: httpx.Client) -> None:
    held = api.post("/v2/salesorder", json=order(hold=True, customerRefNo="R1"))
    assert held.status_code == 201
    number = held.headers["Location"].rsplit("/", 1)[1]
    body = api.get(f"/v1/salesorder/SO/{number}").json()
    assert body["status"] == "Hold" and body["customerRefNo"] == "R1"
    line = body["lines"][0]
    assert body["orderTotal"] == pytest.approx(line["extPrice"] * 1.25, abs=0.01)
    own = api.post("/v2/salesorder", json=order(orderNumber="EA-77", overrideNumberSeries=True))
    assert own.headers["Location"].endswith("/v2/salesorder/EA-77")
    assert api.get("/v2/salesorder/EA-77").json()["status"] == "Open"
    again = api.post("/v2/salesorder", json=order(orderNumber="EA-77", overrideNumberSeries=True))
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"customer": {"value": "10001"}, "lines": [ORDER_LINE]}, "'Order Type'"),
        (order(customer="NOPE"), "Customer 'NOPE'"),
        (order(branchNumber="99"), "Branch '99'"),
        ({**order(), "lines": [{**ORDER_LINE, "inventoryNumber": {"value": "SKU-0111"}}]},
         "SKU-0111"),
        ({**order(), "lines": [{**ORDER_LINE, "branchNumber": {"value": "77"}}]}, "Branch '77'"),
    ],
)  # fmt: skip
def test_sales_order_validation_errors(api: httpx.Client, body: dict, fragment: str) -> None:
    response = api.post("/v2/salesorder", json=body)
    assert response.status_code == 400
    message = response.json()["message"]
    assert VISMA_ID.match(message) and "Error creating salesOrder" in message
    assert fragment in message


def test_open_orders_book_stock_and_move_the_availability_stamp(api: httpx.Client) -> None:
    before = api.get("/v1/inventorysummary/SKU-0001", params={"warehouse": "MAIN"}).json()[0]
    api.post("/v2/salesorder", json=order()).raise_for_status()
    after = api.get("/v1/inventorysummary/SKU-0001", params={"warehouse": "MAIN"}).json()[0]
    assert after["soBooked"] == before["soBooked"] + 2
    assert after["available"] == before["available"] - 2
    changed = api.get(
        "/v1/inventory",
        params={"availabilityLastModifiedDateTime": "2026-06-01",
                "availabilityLastModifiedDateTimeCondition": ">"},
    ).json()  # fmt: skip
    assert [i["inventoryNumber"] for i in changed] == ["SKU-0001"]


def test_inventory_etag_and_expands(api: httpx.Client) -> None:
    first = api.get("/v1/inventory/SKU-0002")
    assert first.headers["ETag"] == f'"{first.json()["timestamp"]}"'
    api.put("/v1/inventory/SKU-0002", json={"description": {"value": "New"}}).raise_for_status()
    assert api.get("/v1/inventory/SKU-0002").headers["ETag"] != first.headers["ETag"]
    lean = api.get("/v1/inventory", params={"inventoryNumber": "SKU-0002",
                                            "expandWarehouseDetail": "false"}).json()  # fmt: skip
    assert len(lean) == 1 and "warehouseDetails" not in lean[0]


def test_credit_terms_use_the_wrapped_pagination_object(api: httpx.Client) -> None:
    page = api.get("/v1/creditTerm", params={"pageNumber": 2, "pageSize": 2}).json()
    assert page["pageNumber"] == 2 and page["totalCount"] == 3 and len(page["records"]) == 1


def test_journal_pages_count_lines(api: httpx.Client) -> None:
    lines = [{"operation": "Insert", "accountNumber": {"value": a}, side: {"value": 5}}
             for a, side in (("1930", "debitAmountInCurrency"), ("3001", "creditAmountInCurrency"))
             ]  # fmt: skip
    body = {"transactionDate": {"value": "2026-01-10"}, "journalTransactionLines": lines * 2}
    api.post("/v2/journaltransaction", json=body).raise_for_status()
    page = api.get("/v2/journaltransaction", params={"periodId": "202601", "pageSize": 3}).json()
    assert page[0]["metadata"]["totalCount"] == 4
    assert len(page[0]["journalTransactionLines"]) == 3
    assert api.get("/v2/journaltransaction").status_code == 400  # periodId or date required


def test_rate_limit_headers_429_and_recovery(api: httpx.Client, vn_service) -> None:
    vn_service.budget.limit = 2
    first = api.get("/v1/branch")
    assert first.headers["X-RateLimit-Policy"] == "4-fixed-window"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert api.get("/v1/branch").headers["X-RateLimit-Remaining"] == "0"
    limited = api.get("/v1/branch")
    assert limited.status_code == 429
    wait = int(limited.headers["Retry-After"])
    assert wait == int(limited.headers["X-RateLimit-Reset"]) and wait > 0
    assert f"Try again in {wait} seconds" in limited.json()["message"]
    vn_service.budget.clock.now += wait
    assert api.get("/v1/branch").status_code == 200


def test_token_endpoint_errors(vn_server: str) -> None:
    def ask(**form: str) -> httpx.Response:
        base = {"grant_type": "client_credentials", "client_id": "vismasync-demo",
                "client_secret": "demo-secret", "tenant_id": "demo-company"}  # fmt: skip
        return httpx.post(f"{vn_server}/connect/token", data={**base, **form})

    assert ask(client_secret="wrong").json()["error"] == "invalid_client"
    assert ask(scope="vismanet_erp_service_api:admin").json()["error"] == "invalid_scope"
    assert ask(tenant_id="nobody").json()["error"] == "invalid_tenant"
    good = ask().json()
    assert good["expires_in"] == 3600 and good["token_type"] == "Bearer"


def test_scopes_tenants_and_expiry_are_enforced(vn_server: str, api: httpx.Client) -> None:
    assert httpx.get(f"{vn_server}/v1/branch").status_code == 401
    read_only = {"Authorization": f"Bearer {token(vn_server, READONLY_CLIENT_ID)}"}
    assert httpx.get(f"{vn_server}/v1/branch", headers=read_only).status_code == 200
    denied = httpx.post(f"{vn_server}/v1/customer", headers=read_only,
                        json={"name": {"value": "X"}})  # fmt: skip
    assert denied.status_code == 403
    form = {"grant_type": "client_credentials", "client_id": "vismasync-demo",
            "client_secret": "demo-secret", "tenant_id": CUSTOMER_TENANT}  # fmt: skip
    customer_token = httpx.post(f"{vn_server}/connect/token", data=form).json()["access_token"]
    wrong = httpx.get(
        f"{vn_server}/v1/branch", headers={"Authorization": f"Bearer {customer_token}"}
    )
    assert wrong.status_code == 401 and wrong.json()["ExceptionFaultCode"] == "12027"
    httpx.post(f"{vn_server}/_emulator/tokens/expire").raise_for_status()
    assert api.get("/v1/branch").status_code == 401


def test_fault_injection_and_request_counts(vn_server: str, api: httpx.Client) -> None:
    httpx.put(f"{vn_server}/_emulator/faults", json={"rate_limit_storm": 1}).raise_for_status()
    storm = api.get("/v1/inventory/SKU-0001")
    assert storm.status_code == 429 and storm.headers["Retry-After"]
    assert storm.headers["X-RateLimit-Remaining"] == "0"
    httpx.put(f"{vn_server}/_emulator/faults", json={"error_rate": 1.0}).raise_for_status()
    failed = api.get("/v1/inventory/SKU-0001")
    assert failed.status_code == 500 and VISMA_ID.match(failed.json()["message"])
    httpx.put(f"{vn_server}/_emulator/faults", json={"drop_after_commit": 1}).raise_for_status()
    with pytest.raises(httpx.TransportError):
        api.post("/v1/customer", json={"name": {"value": "Dropped AB"}})
    assert api.get("/v1/customer", params={"name": "Dropped AB"}).json()  # committed anyway
    counts = httpx.get(f"{vn_server}/_emulator/requests").json()["counts"]
    by_route = {(c["method"], c["route"]): c["count"] for c in counts}
    assert by_route[("GET", "/v1/inventory/{inventoryNumber}")] == 2
