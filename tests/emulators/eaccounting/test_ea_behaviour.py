"""The emulator as a real server: OAuth, auth errors, scopes, paging, filters, rate limit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from vismasync.emulators.eaccounting.oauth import DEMO_CLIENT
from vismasync.emulators.eaccounting.ratelimit import RateLimiter

CLIENT = (DEMO_CLIENT.client_id, DEMO_CLIENT.client_secret)


def refresh(http: httpx.Client, token: str, **kwargs: Any) -> httpx.Response:
    return http.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        **({"auth": CLIENT} | kwargs),
    )


def test_authorize_redirects_with_code_and_state(emulator: Any) -> None:
    answer = emulator.http.get(
        "/connect/authorize",
        params={"client_id": CLIENT[0], "redirect_uri": "http://127.0.0.1:5000/cb",
                "response_type": "code", "scope": "ea:api ea:sales", "state": "abc"},
    )  # fmt: skip
    assert answer.status_code == 302
    location = httpx.URL(answer.headers["location"])
    assert location.host == "127.0.0.1" and location.params["state"] == "abc"
    assert location.params["code"]
    bad = emulator.http.get(
        "/connect/authorize",
        params={"client_id": CLIENT[0], "redirect_uri": "https://evil.example.com/cb",
                "response_type": "code", "scope": "ea:api"},
    )  # fmt: skip
    assert bad.status_code == 400


def test_refresh_tokens_rotate_and_reuse_is_invalid_grant(emulator: Any) -> None:
    first = emulator.tokens()
    assert first["expires_in"] == 3600 and first["token_type"] == "Bearer"
    second = refresh(emulator.http, first["refresh_token"])
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    reused = refresh(emulator.http, first["refresh_token"])
    assert (reused.status_code, reused.json()) == (400, {"error": "invalid_grant"})
    # client authentication in the form works as well as HTTP Basic
    third = emulator.http.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": second.json()["refresh_token"],
              "client_id": CLIENT[0], "client_secret": CLIENT[1]},
    )  # fmt: skip
    assert third.status_code == 200
    wrong = refresh(emulator.http, third.json()["refresh_token"], auth=(CLIENT[0], "wrong"))
    assert wrong.json() == {"error": "invalid_client"}


def test_token_endpoint_accepts_only_form_bodies(emulator: Any) -> None:
    answer = emulator.http.post(
        "/connect/token", json={"grant_type": "refresh_token", "refresh_token": "x"}, auth=CLIENT
    )
    assert answer.json() == {"error": "invalid_request"}


def test_missing_or_expired_bearer_gets_the_documented_401(emulator: Any) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}):
        answer = emulator.http.get("/v2/customers", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/json;charset=UTF-8"
        body = answer.json()
        assert set(body) == {"ErrorCode", "DeveloperErrorMessage", "ErrorId"}
        assert body["ErrorCode"] == 4005
        assert body["DeveloperErrorMessage"] == (
            "AuthorizationException - Authorization has been denied for this request."
        )
    auth = emulator.auth()
    assert emulator.http.get("/v2/units", headers=auth).status_code == 200
    emulator.http.post("/_emulator/tokens/expire")
    assert emulator.http.get("/v2/units", headers=auth).status_code == 401


def test_scopes_are_enforced_per_operation(emulator: Any) -> None:
    readonly = emulator.auth("ea:api ea:sales_readonly")
    assert emulator.http.get("/v2/customers", headers=readonly).status_code == 200
    denied = emulator.http.post("/v2/customers", headers=readonly, json={})
    assert denied.status_code == 403 and denied.json()["ErrorCode"] == 4006
    accounting = emulator.auth("ea:api ea:accounting")
    assert emulator.http.get("/v2/customers", headers=accounting).status_code == 403
    assert emulator.http.get("/v2/vouchers", headers=accounting).status_code == 200
    no_api = emulator.auth("ea:sales")
    assert emulator.http.get("/v2/customers", headers=no_api).status_code == 403


def test_paths_are_case_insensitive(emulator: Any) -> None:
    auth = emulator.auth()
    lower = emulator.http.get("/v2/customers", headers=auth).json()
    upper = emulator.http.get("/V2/Customers", headers=auth).json()
    assert upper["Data"] == lower["Data"]
    one = lower["Data"][0]["Id"]
    assert emulator.http.get(f"/V2/CUSTOMERS/{one.upper()}", headers=auth).json()["Id"] == one


@pytest.mark.parametrize("page_size", [1, 7, 13, 50, 61])
def test_paging_reaches_every_record_exactly_once(emulator: Any, page_size: int) -> None:
    auth = emulator.auth()
    seen: list[str] = []
    page = 1
    while True:
        body = emulator.http.get(
            "/v2/customers", headers=auth, params={"$page": page, "$pagesize": page_size}
        ).json()
        assert body["Meta"]["CurrentPage"] == page and body["Meta"]["PageSize"] == page_size
        seen += [c["Id"] for c in body["Data"]]
        if page >= body["Meta"]["TotalNumberOfPages"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == body["Meta"]["TotalNumberOfResults"] == 60
    assert page == -(-60 // page_size)


def test_page_size_default_and_cap(emulator: Any) -> None:
    auth = emulator.auth()
    assert emulator.http.get("/v2/orders", headers=auth).json()["Meta"]["PageSize"] == 50
    capped = emulator.http.get("/v2/orders", headers=auth, params={"$pagesize": 5000}).json()
    assert capped["Meta"]["PageSize"] == 1000 and len(capped["Data"]) == 320
    bad = emulator.http.get("/v2/orders", headers=auth, params={"$pagesize": "many"})
    assert bad.status_code == 400 and bad.json()["ErrorCode"] == 6000


def test_filters_and_orderby_over_http(emulator: Any) -> None:
    auth = emulator.auth()

    def data(collection: str, **params: str) -> list[dict[str, Any]]:
        answer = emulator.http.get(f"/v2/{collection}", headers=auth, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()["Data"]

    quoted = data("customers", **{"$filter": "EmailAddress eq 'o''brien.27@example.com'"})
    assert [c["EmailAddress"] for c in quoted] == ["o'brien.27@example.com"]
    injected = data("customers", **{"$filter": "EmailAddress eq 'x'' or IsActive eq true or ''a'"})
    assert injected == []
    shipped = data("orders", **{"$filter": "Status eq 3", "$pagesize": "1000"})
    assert shipped and {o["Status"] for o in shipped} == {3}
    ordered = data("orders", **{"$orderby": "Number desc", "$pagesize": "5"})
    assert [o["Number"] for o in ordered] == [320, 319, 318, 317, 316]
    middle = sorted(o["ModifiedUtc"] for o in data("orders", **{"$pagesize": "1000"}))[160]
    newer = data("orders", **{"$filter": f"ModifiedUtc ge {middle}", "$pagesize": "1000"})
    assert len(newer) == 160 and all(o["ModifiedUtc"] >= middle for o in newer)
    since = data("customerinvoices", modifiedSinceUtc=middle, **{"$pagesize": "1000"})
    assert since and all(i["ModifiedUtc"] >= middle for i in since)
    for params, code in (
        ({"$filter": "Nope eq 1"}, 6000),
        ({"$filter": "ChangedUtc gt 2025-02-31"}, 6001),
        ({"modifiedSinceUtc": "soon"}, 6001),
        ({"$orderby": "Nope"}, 6000),
    ):
        collection = "customerinvoices" if "modifiedSinceUtc" in params else "customers"
        answer = emulator.http.get(f"/v2/{collection}", headers=auth, params=params)
        assert (answer.status_code, answer.json()["ErrorCode"]) == (400, code)


def test_select_returns_only_the_chosen_properties(emulator: Any) -> None:
    auth = emulator.auth()

    def page(collection: str, **params: str) -> dict[str, Any]:
        answer = emulator.http.get(f"/v2/{collection}", headers=auth, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    whole = page("orders", **{"$filter": "Status eq 3", "$orderby": "ModifiedUtc,Id"})
    stamps = page("orders", **{"$filter": "Status eq 3", "$orderby": "ModifiedUtc,Id",
                               "$select": "Id, ModifiedUtc"})  # fmt: skip
    # Same documents, same order, same paging; only the chosen properties.
    assert stamps["Meta"]["TotalNumberOfResults"] == whole["Meta"]["TotalNumberOfResults"]
    assert stamps["Data"] == [
        {"Id": o["Id"], "ModifiedUtc": o["ModifiedUtc"]} for o in whole["Data"]
    ]
    # Computed properties are selected as rendered (an article's available stock).
    articles = page("articles", **{"$select": "Number,StockBalanceAvailable", "$orderby": "Id"})
    rendered = page("articles", **{"$orderby": "Id"})
    assert articles["Data"] == [
        {"Number": a["Number"], "StockBalanceAvailable": a["StockBalanceAvailable"]}
        for a in rendered["Data"]
    ]
    invoices = page("customerinvoices", **{"$select": "Id,RemainingAmount"})
    assert invoices["Data"] and all(set(i) == {"Id", "RemainingAmount"} for i in invoices["Data"])
    for collection, select in (("orders", "Nope"), ("articles", "Id,Rows"), ("orders", "Rows/Id")):
        answer = emulator.http.get(f"/v2/{collection}", headers=auth, params={"$select": select})
        assert (answer.status_code, answer.json()["ErrorCode"]) == (400, 6000), select


def test_validation_errors_name_each_field(emulator: Any) -> None:
    answer = emulator.http.post(
        "/v2/articles", headers=emulator.auth(), json={"Number": "N" * 41, "Name": "Lamp"}
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["ErrorCode"] == 2000 and body["ErrorId"]
    fields = {e["Field"]: e["ErrorCode"] for e in body["Errors"]}
    assert fields == {
        "Number": "MaxLength", "IsActive": "Required", "CodingId": "Required",
        "UnitId": "Required",
    }  # fmt: skip
    assert (
        emulator.http.post("/v2/articles", headers=emulator.auth(), content=b"[").status_code == 400
    )


def test_rate_limit_answers_the_documented_429_and_recovers(emulator: Any) -> None:
    now = [0.0]
    emulator.backend.limiter = RateLimiter(3, 60.0, clock=lambda: now[0])
    emulator.backend.settings.rate_limit = 3
    auth = emulator.auth()
    statuses = [emulator.http.get("/v2/units", headers=auth).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    now[0] = 5.0
    limited = emulator.http.get("/v2/units", headers=auth)
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/json;charset=UTF-8"
    body = limited.json()
    assert set(body) == {"ErrorCode", "DeveloperErrorMessage", "ErrorId"}
    assert body["ErrorCode"] == 4010
    assert body["DeveloperErrorMessage"] == (
        "API calls quota exceeded! maximum admitted 3 per Minute. Try again in 55 seconds."
    )
    # the limit is per endpoint: another endpoint still answers
    assert emulator.http.get("/v2/currencies", headers=auth).status_code == 200
    now[0] = 60.5
    assert emulator.http.get("/v2/units", headers=auth).status_code == 200


def test_admin_counts_reset_and_seed(emulator: Any) -> None:
    auth = emulator.auth()
    emulator.http.delete("/_emulator/requests")
    one = emulator.http.get("/v2/customers", headers=auth).json()["Data"][0]["Id"]
    emulator.http.get(f"/v2/customers/{one}", headers=auth)
    emulator.http.get(f"/v2/Customers/{one}", headers=auth)
    counts = emulator.http.get("/_emulator/requests").json()["counts"]
    assert {"method": "GET", "route": "/v2/customers/{customerId}", "count": 2} in counts
    assert (
        emulator.http.post("/_emulator/seed", json={"customers": [{"Name": "x"}]}).status_code
        == 400
    )
    assert (
        emulator.http.post("/_emulator/seed", json={"currencies": [{"Code": "SEK"}]}).status_code
        == 200
    )
    assert (
        emulator.http.get("/v2/customers", headers=auth).json()["Meta"]["TotalNumberOfResults"] == 0
    )
    emulator.http.post("/_emulator/reset")
    assert emulator.http.get("/_emulator/state").json()["customers"] == 60


def test_injected_faults_use_eaccounting_bodies(emulator: Any) -> None:
    auth = emulator.auth()
    emulator.http.put("/_emulator/faults", json={"rate_limit_storm": 1})
    storm = emulator.http.get("/v2/units", headers=auth)
    assert storm.status_code == 429 and storm.json()["ErrorCode"] == 4010
    assert "Try again in 60 seconds." in storm.json()["DeveloperErrorMessage"]
    emulator.http.put("/_emulator/faults", json={"error_rate": 1.0, "error_status": 503})
    failed = emulator.http.get("/v2/units", headers=auth)
    assert failed.status_code == 503 and failed.json()["ErrorCode"] == 5000
