"""Spec-driven fuzzing of every implemented operation of both emulators (schemathesis).

Requests are generated from the official specs (``<repo>/../shared/specs/``): valid ones
(positive mode) and ones that break the spec (negative mode), and sent to each emulator as a
real server. Every answer must:

- never be a 5xx (the emulators answer 5xx only as an injected fault);
- have a status the operation documents, or one of the API's general error statuses
  (:data:`GENERAL_ERRORS`: the APIs document them once, not per operation) carrying the API's
  own error envelope;
- validate against the operation's response schema for that status, formats (``date-time``,
  ``date``, ``uuid``) and integer ranges (``int32``, ``int64``) included. Properties may be
  null (both APIs serialise unset properties as null; Swagger 2.0 cannot say so).

Bounded for the default run: ``VISMASYNC_FUZZ_EXAMPLES`` examples per operation and mode
(default 1), invalid requests for writes only, under a fixed seed (``VISMASYNC_FUZZ_SEED``,
default 0, printed on failure). The long run::

    VISMASYNC_FUZZ_EXAMPLES=100 VISMASYNC_FUZZ_NEGATIVE=all pytest tests/emulators/test_fuzz.py
"""

from __future__ import annotations

import copy
import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from vismasync.emulators.common import ThreadedServer
from vismasync.emulators.eaccounting.backend import EAccountingBackend
from vismasync.emulators.eaccounting.oauth import DEMO_CLIENT
from vismasync.emulators.eaccounting.seed import demo_seed
from vismasync.emulators.eaccounting.server import create_app as create_ea_app
from vismasync.emulators.vismanet.server import create_app as create_vn_app
from vismasync.emulators.vismanet.service import VismaNetService

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO.parent / "shared" / "specs"
EXAMPLES = int(os.environ.get("VISMASYNC_FUZZ_EXAMPLES", "1"))
# Invalid requests: for writes by default (where bad input matters), for every operation when
# VISMASYNC_FUZZ_NEGATIVE=all (the long run).
NEGATIVE_ALL = os.environ.get("VISMASYNC_FUZZ_NEGATIVE", "") == "all"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
SEED = int(os.environ.get("VISMASYNC_FUZZ_SEED", "0"))
# Error statuses each API documents for every operation at once (its general error list).
GENERAL_ERRORS = {400, 401, 403, 404, 405, 409, 412, 415, 422, 429}
_PARAM = re.compile(r"\{[^}]+\}")

# --- formats and ranges --------------------------------------------------------------------
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    if isinstance(value, str):
        (date.fromisoformat if len(value) == 10 else datetime.fromisoformat)(value)
    return True


@FORMATS.checks("uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    if isinstance(value, str):
        uuid.UUID(value)
    return True


def _bits(n: int):
    def check(value: object) -> bool:
        return not isinstance(value, int) or -(2 ** (n - 1)) <= value < 2 ** (n - 1)

    return check


FORMATS.checks("int32")(_bits(32))
FORMATS.checks("int64")(_bits(64))


def _nullable(node: Any) -> Any:
    """Every schema may also be null (OpenAPI 3 ``nullable`` spelled for JSON Schema Draft 4;
    Swagger 2.0 has no way to say it, and both APIs send unset properties as null)."""
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: (_nullable(v) if k not in ("enum", "required", "example") else v)
            for k, v in node.items() if k != "nullable"}  # fmt: skip
    if "properties" in node:
        node["properties"] = {k: {"anyOf": [v, {"type": "null"}]}
                              for k, v in node["properties"].items()}  # fmt: skip
    return node


# --- the two APIs --------------------------------------------------------------------------
@dataclass
class Api:
    name: str
    spec_file: str
    base_url: str  # where the spec's paths are served
    headers: dict[str, str]
    admin: httpx.Client
    implemented: set[tuple[str, str]]  # (METHOD, spec path)
    envelope: tuple[str, ...]  # keys of the API's error envelope (any one suffices)

    @property
    def spec(self) -> dict[str, Any]:
        return _spec(self.spec_file)


@cache
def _spec(spec_file: str) -> dict[str, Any]:
    return json.loads((SPECS / spec_file).read_text())


def _spec_path(spec_paths: dict[str, Any], method: str, template: str) -> str | None:
    shape = _PARAM.sub("{}", template).lower()
    for path, item in spec_paths.items():
        if _PARAM.sub("{}", path).lower() == shape and method.lower() in item:
            return path
    return None


def _implemented(app, spec_file: str, strip: str = "") -> set[tuple[str, str]]:
    spec_paths = _spec(spec_file)["paths"]
    found = set()
    for template, operations in app.openapi()["paths"].items():
        if template.startswith("/_emulator") or template.startswith("/connect"):
            continue
        if strip and template.startswith(strip):
            template = template[len(strip) :]
        for method in operations:
            path = _spec_path(spec_paths, method, template)
            if path is not None:
                found.add((method.upper(), path))
    return found


@pytest.fixture(scope="module")
def apis() -> Iterator[dict[str, Api]]:
    assert SPECS.is_dir(), f"the official specs are expected beside the checkout ({SPECS})"
    ea_app = create_ea_app(EAccountingBackend(demo_seed()))
    vn_app = create_vn_app(VismaNetService("demo"))
    with (
        ThreadedServer(ea_app) as ea,
        ThreadedServer(vn_app) as vn,
        httpx.Client(base_url=ea.base_url, timeout=30) as ea_http,
        httpx.Client(base_url=vn.base_url, timeout=30) as vn_http,
    ):
        yield {
            "eaccounting": Api("eaccounting", "eaccounting-v2.json", ea.base_url,
                               {"Authorization": f"Bearer {_ea_token(ea_http)}"}, ea_http,
                               _implemented(ea_app, "eaccounting-v2.json"),
                               ("ErrorCode", "DeveloperErrorMessage")),
            "vismanet": Api("vismanet", "vismanet-erp.json", f"{vn.base_url}/API",
                            {"Authorization": f"Bearer {_vn_token(vn_http)}"}, vn_http,
                            _implemented(vn_app, "vismanet-erp.json", "/API"),
                            ("message", "ExceptionMessage")),
        }  # fmt: skip


def _ea_token(http: httpx.Client) -> str:
    redirect = "http://localhost:8765/callback"
    answer = http.get("/connect/authorize", params={
        "client_id": DEMO_CLIENT.client_id, "redirect_uri": redirect, "response_type": "code",
        "scope": "ea:api offline_access ea:sales ea:accounting", "state": "s",
    })  # fmt: skip
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    token = http.post("/connect/token", auth=(DEMO_CLIENT.client_id, DEMO_CLIENT.client_secret),
                      data={"grant_type": "authorization_code", "code": code,
                            "redirect_uri": redirect})  # fmt: skip
    token.raise_for_status()
    # The token must outlive the whole fuzz run.
    return token.json()["access_token"]


def _vn_token(http: httpx.Client) -> str:
    from vismasync.emulators.vismanet.service import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT

    answer = http.post("/connect/token", data={
        "grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET, "tenant_id": DEMO_TENANT,
    })  # fmt: skip
    answer.raise_for_status()
    return answer.json()["access_token"]


# --- the schemas ---------------------------------------------------------------------------
@cache
def _schema(name: str, spec_file: str, operations: frozenset[tuple[str, str]]):
    """The spec reduced to the implemented operations, loaded by schemathesis."""
    spec = copy.deepcopy(_spec(spec_file))
    paths = {}
    for path, items in spec["paths"].items():
        kept = {m: o for m, o in items.items() if (m.upper(), path) in operations}
        if kept:
            shared = {k: v for k, v in items.items() if k == "parameters"}
            paths[path] = {**shared, **kept}
    spec["paths"] = paths
    spec.pop("security", None)
    for item in paths.values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    return schemathesis.openapi.from_dict(spec)


@cache
def _validator(spec_file: str, method: str, path: str, status: int):
    spec = _spec(spec_file)
    responses = spec["paths"][path][method.lower()]["responses"]
    answer = responses.get(str(status))
    if answer is None:
        return None
    schema = answer.get("schema")
    if schema is None:
        content = answer.get("content") or {}
        media = content.get("application/json") or next(iter(content.values()), {})
        schema = media.get("schema")
    if schema is None:
        return None
    root = {**_nullable(copy.deepcopy(schema))}
    for section in ("definitions", "components"):
        if section in spec:
            root[section] = _nullable(copy.deepcopy(spec[section]))
    return jsonschema.Draft4Validator(root, format_checker=FORMATS)


def _check(api: Api, method: str, path: str, response: Any, sent: str) -> None:
    where = f"{api.name} {method} {path} -> {response.status_code} (seed {SEED}); sent {sent}"
    assert response.status_code < 500, f"server error: {where}: {response.text[:300]}"
    documented = str(response.status_code) in api.spec["paths"][path][method.lower()]["responses"]
    body: Any = None
    if response.content:
        try:
            body = response.json()
        except ValueError:
            pytest.fail(f"not JSON: {where}: {response.text[:200]}")
    if not documented:
        assert response.status_code in GENERAL_ERRORS, f"undocumented status: {where}"
        assert isinstance(body, dict) and any(k in body for k in api.envelope), (
            f"not the API's error envelope: {where}: {response.text[:300]}"
        )
        return
    validator = _validator(api.spec_file, method, path, response.status_code)
    if validator is not None and body is not None:
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                    for e in validator.iter_errors(body)][:5]  # fmt: skip
        assert not problems, f"answer does not fit the spec: {where}: {problems}"


def _cases(api_name: str) -> list[tuple[str, str, str]]:
    """(api, METHOD, path) of every implemented operation, computed without a server."""
    spec_file = {"eaccounting": "eaccounting-v2.json", "vismanet": "vismanet-erp.json"}[api_name]
    if not SPECS.is_dir():
        return []
    if api_name == "eaccounting":
        found = _implemented(create_ea_app(EAccountingBackend(demo_seed())), spec_file)
    else:
        found = _implemented(create_vn_app(VismaNetService("demo")), spec_file, "/API")
    return sorted((api_name, method, path) for method, path in found)


OPERATIONS = _cases("eaccounting") + _cases("vismanet")


def test_every_implemented_operation_is_fuzzed() -> None:
    assert SPECS.is_dir(), f"the official specs are expected beside the checkout ({SPECS})"
    assert len([o for o in OPERATIONS if o[0] == "eaccounting"]) >= 40
    assert len([o for o in OPERATIONS if o[0] == "vismanet"]) >= 50


# Valid input for every operation; invalid input for every write, and for reads too in the
# long run (VISMASYNC_FUZZ_NEGATIVE=all).
FUZZ_CASES = [
    (api, method, path, mode)
    for api, method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or NEGATIVE_ALL or method in WRITES
]


@pytest.mark.parametrize(
    "api_name, method, path, mode", FUZZ_CASES,
    ids=[f"{a}:{m}:{p}:{'valid' if g is GenerationMode.POSITIVE else 'invalid'}"
         for a, m, p, g in FUZZ_CASES],
)  # fmt: skip
def test_no_5xx_and_every_answer_fits_the_spec(apis, api_name, method, path, mode) -> None:
    api = apis[api_name]
    if method in WRITES:
        api.admin.post("/_emulator/reset").raise_for_status()
    schema = _schema(api.name, api.spec_file, frozenset(api.implemented))
    operation = schema[path][method.lower()]

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              print_blob=True)  # fmt: skip
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case) -> None:
        response = case.call(base_url=api.base_url, headers=api.headers, timeout=30)
        sent = f"{case.formatted_path} query={case.query} body={str(_raw(case))[:200]}"
        _check(api, method, path, response, sent)

    try:
        fuzz()
    except Unsatisfiable:
        # Negative mode on an operation without parameters or body: nothing can be invalid.
        assert mode is GenerationMode.NEGATIVE, f"no valid request for {method} {path}"


def _raw(case) -> Any:
    from schemathesis.core import NOT_SET

    return None if case.body is NOT_SET else case.body


# --- answers that were 500s once: each gets the API's own error envelope -------------------
DEEP = b"[" * 5000 + b"]" * 5000


@pytest.mark.parametrize(("api_name", "path"), [("eaccounting", "/v2/customers"),
                                                ("vismanet", "/v1/customer")])  # fmt: skip
def test_a_body_nested_5000_deep_is_refused_not_a_crash(apis, api_name, path) -> None:
    api = apis[api_name]
    headers = {**api.headers, "Content-Type": "application/json"}
    for body in (DEEP, b'{"a":' * 65 + b"1" + b"}" * 65):
        answer = httpx.post(f"{api.base_url}{path}", content=body, headers=headers, timeout=30)
        assert answer.status_code == 400, answer.text[:200]
        assert any(k in answer.json() for k in api.envelope)


def test_an_invoice_date_outside_every_fiscal_year_is_refused(apis) -> None:
    api = apis["eaccounting"]
    api.admin.post("/_emulator/reset").raise_for_status()
    with httpx.Client(base_url=api.base_url, headers=api.headers, timeout=30) as http:
        customer = http.get("/v2/customers").json()["Data"][0]
        article = http.get("/v2/articles").json()["Data"][0]
        for day in ("9999-12-31", "1990-06-01", "0001-01-01"):
            answer = http.post("/v2/customerinvoices", json={
                "CustomerId": customer["Id"], "InvoiceDate": day, "RotReducedInvoicingType": 0,
                "EuThirdParty": False, "IsCreditInvoice": False,
                "Rows": [{"ArticleId": article["Id"], "Quantity": 1, "UnitPrice": 10}],
            })  # fmt: skip
            assert answer.status_code == 400, answer.text[:300]
            assert "FiscalYearDoesNotExist" in answer.json()["DeveloperErrorMessage"]


@pytest.mark.parametrize(("api_name", "path", "names"), [
    ("eaccounting", "/v2/customers", ("$page", "$pagesize")),
    ("vismanet", "/v1/customer", ("pageNumber", "pageSize")),
])  # fmt: skip
def test_paging_numbers_beyond_int32_are_refused(apis, api_name, path, names) -> None:
    api = apis[api_name]
    for name in names:
        for value in (2**31, 3_000_000_000, 10**30):
            answer = httpx.get(f"{api.base_url}{path}", params={name: value},
                               headers=api.headers, timeout=30)  # fmt: skip
            assert answer.status_code == 400, (name, value, answer.text[:200])
            assert any(k in answer.json() for k in api.envelope)
    largest = httpx.get(f"{api.base_url}{path}", params={names[0]: 2**31 - 1},
                        headers=api.headers, timeout=30)  # fmt: skip
    assert largest.status_code == 200


def test_company_settings_can_be_replaced_within_the_spec_limits(apis) -> None:
    api = apis["eaccounting"]
    api.admin.post("/_emulator/reset").raise_for_status()
    with httpx.Client(base_url=api.base_url, headers=api.headers, timeout=30) as http:
        settings_ = http.get("/v2/companysettings").json()
        changed = http.put("/v2/companysettings", json={**settings_, "City": "Göteborg"})
        assert changed.status_code == 200, changed.text[:300]
        assert http.get("/v2/companysettings").json()["City"] == "Göteborg"
        limits = _spec("eaccounting-v2.json")["definitions"]["CompanySettingsApi"]["properties"]
        field, limit = next((k, p["maxLength"]) for k, p in limits.items()
                            if p.get("maxLength") and not p.get("readOnly"))  # fmt: skip
        too_long = http.put("/v2/companysettings", json={**settings_, field: "x" * (limit + 1)})
        assert too_long.status_code == 400 and field in too_long.text
        assert http.get("/v2/companysettings").json()["City"] == "Göteborg"
