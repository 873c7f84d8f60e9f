"""Every implemented operation's success response validates against the official spec.

The spec's definitions are tightened for the check: every property must be present (the service
serializes unset ones as null), no other property may appear, and each may be null (Swagger 2.0
cannot say "nullable"). A renamed, missing, extra or mistyped field fails.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from datetime import datetime
from importlib import resources
from typing import Any

import jsonschema
import pytest

from vismasync.emulators.eaccounting import spec
from vismasync.emulators.eaccounting.store import COLLECTIONS

SPEC = spec.spec()
# GET-by-id / PUT responses the spec types as bare "object": validate as the resource itself.
UNTYPED = {
    ("get", "/v2/customers/{customerId}"): "CustomerApi",
    ("put", "/v2/orders/{id}"): "OrderApi",
}


def test_bundled_spec_is_the_official_document() -> None:
    raw = resources.files(spec.__package__).joinpath("eaccounting-v2.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == spec.SPEC_SHA256


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    schema = copy.deepcopy(schema)
    if "$ref" in schema:
        return {"anyOf": [{"$ref": schema["$ref"]}, {"type": "null"}]}
    if schema.get("type") == "array":
        schema["items"] = _strict(schema.get("items", {}))
    kind = schema.get("type")
    if kind and kind != "object":
        schema["type"] = [kind, "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def strict_definitions() -> dict[str, Any]:
    definitions = {}
    for name, definition in SPEC["definitions"].items():
        props = definition.get("properties", {})
        definitions[name] = {
            "type": "object",
            "properties": {k: _strict(v) for k, v in props.items()},
            "required": sorted(props),
            "additionalProperties": False,
        }
    return definitions


FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    if isinstance(value, str):
        uuid.UUID(value)
    return True


def validate(method: str, template: str, status: int, body: Any) -> None:
    responses = SPEC["paths"][template][method]["responses"]
    assert str(status) in responses, f"{method} {template}: status {status} not in the spec"
    schema = responses[str(status)].get("schema")
    if (method, template) in UNTYPED:
        schema = {"$ref": f"#/definitions/{UNTYPED[(method, template)]}"}
    if schema is None or schema == {"type": "object"}:
        assert body in (None, b"", {}), f"{method} {template}: unexpected body"
        return
    root = {"definitions": strict_definitions(), **schema}
    jsonschema.Draft4Validator(root, format_checker=FORMATS).validate(body)


@pytest.fixture
def calls(emulator: Any) -> list[tuple[str, str, int, Any]]:
    """Call every implemented operation once; return (method, template, status, body)."""
    http, auth = emulator.http, emulator.auth()
    results: list[tuple[str, str, int, Any]] = []

    def call(method: str, template: str, path: str, body: Any = None, **params: Any) -> Any:
        response = http.request(method, path, json=body, headers=auth, params=params or None)
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        decoded = response.json() if response.content else None
        results.append((method.lower(), template, response.status_code, decoded))
        return decoded

    def first(collection: str) -> dict[str, Any]:
        return call("GET", f"/v2/{collection}", f"/v2/{collection}", **{"$pagesize": 3})["Data"][0]

    customer = first("customers")
    article = first("articles")
    terms = first("termsofpayments")
    for collection, key in (
        ("deliverymethods", "deliveryMethodId"), ("deliveryterms", "deliveryTermId"),
        ("units", "id"), ("articleaccountcodings", "articleAccountCodingId"),
        ("countries", "countrycode"), ("fiscalyears", "id"), ("vatcodes", "id"),
    ):  # fmt: skip
        item = first(collection)
        item_key = item.get("Id") or item["Code"]
        call("GET", f"/v2/{collection}/{{{key}}}", f"/v2/{collection}/{item_key}")
    call("GET", "/v2/termsofpayments/{id}", f"/v2/termsofpayments/{terms['Id']}")
    first("currencies")
    settings = call("GET", "/v2/companysettings", "/v2/companysettings")
    call("PUT", "/v2/companysettings", "/v2/companysettings", {**settings, "City": "Uppsala"})

    call("GET", "/v2/customers/{customerId}", f"/v2/customers/{customer['Id']}")
    new_customer = {
        k: customer[k] for k in ("InvoiceCity", "InvoicePostalCode", "TermsOfPaymentId")
    }
    new_customer |= {"Name": "Conformance AB", "IsActive": True, "IsPrivatePerson": False}
    created = call("POST", "/v2/customers", "/v2/customers", new_customer)
    call("PUT", "/v2/customers/{customerId}", f"/v2/customers/{created['Id']}", created)
    call("DELETE", "/v2/customers/{customerId}", f"/v2/customers/{created['Id']}")

    call("GET", "/v2/articles/{articleId}", f"/v2/articles/{article['Id']}")
    new_article = {k: article[k] for k in ("CodingId", "UnitId", "Name", "IsActive")}
    made = call("POST", "/v2/articles", "/v2/articles", new_article | {"Number": "CONF-1"})
    call(
        "PUT", "/v2/articles/{articleId}", f"/v2/articles/{made['Id']}", made | {"StockBalance": 4}
    )

    order = first("orders")
    call("GET", "/v2/orders/{id}", f"/v2/orders/{order['Id']}")
    payload = {k: order[k] for k in ("CustomerId", "CurrencyCode", "EuThirdParty", "OrderDate",
                                     "RotReducedInvoicingType", "Rows",
                                     "ReverseChargeOnConstructionServices")}  # fmt: skip
    draft_order = call("POST", "/v2/orders", "/v2/orders", payload | {"Status": 1})
    call("PUT", "/v2/orders/{id}", f"/v2/orders/{draft_order['Id']}", draft_order | {"Status": 2})
    invoice = call("POST", "/v2/orders/{id}/convert", f"/v2/orders/{draft_order['Id']}/convert")
    doomed = call("POST", "/v2/orders", "/v2/orders", payload | {"Status": 1})
    call("DELETE", "/v2/orders/{id}", f"/v2/orders/{doomed['Id']}")

    first("customerinvoices")
    call("GET", "/v2/customerinvoices", "/v2/customerinvoices", modifiedSinceUtc="2025-01-01")
    call("GET", "/v2/customerinvoices/{invoiceId}", f"/v2/customerinvoices/{invoice['Id']}")
    rows = [{"ArticleId": article["Id"], "Quantity": 2}]
    direct = {"CustomerId": customer["Id"], "EuThirdParty": False, "RotReducedInvoicingType": 0}
    call("POST", "/v2/customerinvoices", "/v2/customerinvoices", direct | {"Rows": rows})
    payment = {"CompanyBankAccountId": str(uuid.uuid4()), "PaymentDate": "2025-01-01",
               "PaymentAmount": 1.0, "PaymentCurrency": invoice["CurrencyCode"],
               "PaymentType": 1}  # fmt: skip
    call("POST", "/v2/customerinvoices/{invoiceId}/payments",
         f"/v2/customerinvoices/{invoice['Id']}/payments", payment)  # fmt: skip

    first("customerinvoicedrafts")
    draft_rows = [
        r | {"IsTextRow": False, "ReversedConstructionServicesVatFree": False} for r in rows
    ]
    draft = call("POST", "/v2/customerinvoicedrafts", "/v2/customerinvoicedrafts",
                 direct | {"Rows": draft_rows})  # fmt: skip
    item = "/v2/customerinvoicedrafts/{customerInvoiceDraftId}"
    call(
        "GET",
        "/v2/customerinvoicedrafts/{invoiceDraftId}",
        f"/v2/customerinvoicedrafts/{draft['Id']}",
    )
    call("PUT", item, f"/v2/customerinvoicedrafts/{draft['Id']}", draft)
    call("POST", item + "/convert", f"/v2/customerinvoicedrafts/{draft['Id']}/convert", {})
    other = call("POST", "/v2/customerinvoicedrafts", "/v2/customerinvoicedrafts",
                 direct | {"Rows": draft_rows})  # fmt: skip
    call("DELETE", item, f"/v2/customerinvoicedrafts/{other['Id']}")

    voucher_rows = [{"AccountNumber": 1930, "DebitAmount": 50.0},
                    {"AccountNumber": 3001, "CreditAmount": 50.0}]  # fmt: skip
    voucher_body = {"VoucherDate": "2025-06-01", "VoucherText": "Conformance", "Rows": voucher_rows}
    voucher = call("POST", "/v2/vouchers", "/v2/vouchers", voucher_body)
    first("vouchers")
    year = next(y for y in http.get("/v2/fiscalyears", headers=auth).json()["Data"]
                if y["StartDate"].startswith("2025"))  # fmt: skip
    call("GET", "/v2/vouchers/{fiscalyearId}", f"/v2/vouchers/{year['Id']}")
    call(
        "GET",
        "/v2/vouchers/{fiscalyearId}/{voucherId}",
        f"/v2/vouchers/{year['Id']}/{voucher['Id']}",
    )
    return results


def test_every_implemented_operation_matches_the_spec(
    calls: list[tuple[str, str, int, Any]], emulator: Any
) -> None:
    for method, template, status, body in calls:
        validate(method, template, status, body)
    implemented = {
        (method, path)
        for path, operations in emulator.http.get("/_emulator/openapi.json").json()["paths"].items()
        if path.startswith("/v2/")
        for method in operations
    }
    assert implemented == {(m, t) for m, t, _, _ in calls}, "an operation lacks a conformance call"
    assert {t.split("/")[2] for _, t, _, _ in calls} >= set(COLLECTIONS) | {"companysettings"}


def test_the_check_catches_a_renamed_or_mistyped_field(
    calls: list[tuple[str, str, int, Any]],
) -> None:
    method, template, status, body = next(c for c in calls if c[1] == "/v2/customers/{customerId}")
    renamed = dict(body)
    renamed["EMailAddress"] = renamed.pop("EmailAddress")
    with pytest.raises(jsonschema.ValidationError):
        validate(method, template, status, renamed)
    with pytest.raises(jsonschema.ValidationError):
        validate(method, template, status, body | {"IsActive": "true"})
    with pytest.raises(jsonschema.ValidationError):
        validate(method, template, status, body | {"ChangedUtc": "yesterday"})
    listing = next(c for c in calls if c[1] == "/v2/customers")
    broken = json.loads(json.dumps(listing[3]))
    del broken["Meta"]["TotalNumberOfPages"]
    with pytest.raises(jsonschema.ValidationError):
        validate(*listing[:3], broken)
