"""Malformed answers from either API become errors of the taxonomy, never a crash.

A 2xx answer the client cannot read (invalid JSON, an HTML error page, an empty or truncated
body, an error envelope under a 200, the wrong shape) is a :class:`TransientError`: reads are
retried like a 5xx, and a write's outcome is unknown (it may have been applied), so the
exactly-once protocol looks it up before sending again. The message names the request and
what was wrong, never the body (a token answer cut short would still hold a token).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from vismasync.connectors.eaccounting import EAccountingClient, InMemoryTokenStore
from vismasync.connectors.eaccounting.auth import TokenSet
from vismasync.connectors.http import ApiError, RetryPolicy, TransientError, WriteOutcome
from vismasync.connectors.vismanet import VismaNetClient
from vismasync.connectors.vismanet.writes import CustomerWrite

SECRET = "s3cr3t-client-secret"
TOKEN = "tok-very-secret-access-token"

# (name, status, content type, body): every kind of answer a client cannot read.
MALFORMED = [
    ("invalid json", 200, "application/json", b"{'Id': 1,}"),
    ("html error page", 200, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    ("empty body", 200, "application/json", b""),
    ("truncated body", 200, "application/json", b'{"Data": [{"Id": "a", "Na'),
    ("deeply nested", 200, "application/json", b"[" * 100_000),
]
EA_ENVELOPE = (
    "error in a 200",
    200,
    "application/json",
    b'{"ErrorCode": 4000, "DeveloperErrorMessage": "Database timeout", "ErrorId": "x"}',
)
VN_ENVELOPE = (
    "error in a 200",
    200,
    "application/json",
    b'{"ExceptionType": "IPPException", "ExceptionMessage": "Server busy", "ExceptionFaultCode":'
    b' "12345"}',
)
EA_WRONG_SHAPE = ("wrong shape", 200, "application/json", b'[{"Data": "nope"}]')
VN_WRONG_SHAPE = ("wrong shape", 200, "application/json", b'{"records": 3}')


def _answer(status: int, kind: str, body: bytes) -> httpx.Response:
    return httpx.Response(status, headers={"Content-Type": kind}, content=body)


class Api:
    """A mock API: the token endpoint answers well, every API call gets ``answer``."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer = answer
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/connect/token"):
            return httpx.Response(200, json={"access_token": TOKEN, "expires_in": 3600,
                                             "refresh_token": "refresh-secret"})  # fmt: skip
        self.calls.append(request)
        return self.answer(request)


def ea_client(api: Api) -> EAccountingClient:
    tokens = TokenSet(TOKEN, "refresh-secret", datetime.now(UTC) + timedelta(hours=1))
    return EAccountingClient(
        api_base="https://ea.test/v2", identity_base="https://id.test", client_id="c",
        client_secret=SECRET, redirect_uri="https://x.test/cb",
        token_store=InMemoryTokenStore(tokens), transport=httpx.MockTransport(api),
        retry_policy=RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0),
        sleep=lambda _s: None,
    )  # fmt: skip


def vn_client(api: Api) -> VismaNetClient:
    return VismaNetClient(
        "https://vn.test/API", "https://vn.test/connect/token", "c", SECRET, "t",
        transport=httpx.MockTransport(api),
        retry_policy=RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0),
        sleep=lambda _s: None,
    )  # fmt: skip


def _assert_contextual(exc: ApiError, method: str, path: str) -> None:
    text = str(exc)
    assert "malformed answer" in text
    assert method in text and path in text
    assert SECRET not in text and TOKEN not in text


EA_READS = {  # name: (call, the path the error names)
    "list": (lambda c: list(c.iter_customers()), "/customers"),
    "one page": (
        lambda c: c.orders_page(changed_since=None, statuses=[3], page=1, page_size=5),
        "/orders",
    ),
    "one": (lambda c: c.get_customer("0b3c1e5e-0000-0000-0000-000000000001"), "/customers"),
    "raw one": (lambda c: c.get_order_json("0b3c1e5e-0000-0000-0000-000000000001"), "/orders"),
}


@pytest.mark.parametrize("case", [*MALFORMED, EA_ENVELOPE, EA_WRONG_SHAPE], ids=lambda c: c[0])
@pytest.mark.parametrize("read", list(EA_READS))
def test_eaccounting_reads_retry_then_raise_a_transient_error(case, read) -> None:
    _, status, kind, body = case
    api = Api(lambda _r: _answer(status, kind, body))
    with ea_client(api) as client, pytest.raises(TransientError) as caught:
        EA_READS[read][0](client)
    assert len(api.calls) == 3  # retried like a 5xx, then given up
    _assert_contextual(caught.value, "GET", EA_READS[read][1])


@pytest.mark.parametrize("case", [*MALFORMED, EA_ENVELOPE, EA_WRONG_SHAPE], ids=lambda c: c[0])
def test_eaccounting_write_with_a_malformed_answer_has_an_unknown_outcome(case) -> None:
    _, _status, kind, body = case
    api = Api(lambda _r: _answer(201, kind, body))
    with ea_client(api) as client, pytest.raises(TransientError) as caught:
        client.create_customer({"Name": "X", "EmailAddress": "x@example.com"})
    assert len(api.calls) == 1  # never resent: it may have been applied
    assert caught.value.write_outcome is WriteOutcome.UNKNOWN and caught.value.outcome_unknown
    _assert_contextual(caught.value, "POST", "/customers")


def test_eaccounting_read_recovers_when_the_next_answer_is_good() -> None:
    answers = iter(
        [
            _answer(200, "text/html", b"<html>oops</html>"),
            httpx.Response(200, json={"Data": [], "Meta": {"TotalNumberOfPages": 1}}),
        ]
    )
    api = Api(lambda _r: next(answers))  # fmt: skip
    with ea_client(api) as client:
        assert list(client.iter_customers()) == []


@pytest.mark.parametrize("case", MALFORMED, ids=lambda c: c[0])
def test_eaccounting_token_answer_that_is_malformed_is_transient(case) -> None:
    _, status, kind, body = case
    expired = TokenSet(TOKEN, "refresh-secret", datetime.now(UTC) - timedelta(hours=1))

    def handler(request: httpx.Request) -> httpx.Response:
        return _answer(status, kind, body)

    client = EAccountingClient(
        api_base="https://ea.test/v2", identity_base="https://id.test", client_id="c",
        client_secret=SECRET, redirect_uri="https://x.test/cb",
        token_store=InMemoryTokenStore(expired), transport=httpx.MockTransport(handler),
        retry_policy=RetryPolicy(attempts=1), sleep=lambda _s: None,
    )  # fmt: skip
    with client, pytest.raises(TransientError) as caught:
        client.list_units()
    assert "malformed answer" in str(caught.value) and SECRET not in str(caught.value)


VN_READS = {
    "paged": lambda c: list(c.list_customers()),
    "list": lambda c: c.list_branches(),
    "one": lambda c: c.get_customer("10001"),
    "credit terms": lambda c: c.list_credit_terms(),
}


@pytest.mark.parametrize("case", [*MALFORMED, VN_ENVELOPE, VN_WRONG_SHAPE], ids=lambda c: c[0])
@pytest.mark.parametrize("read", list(VN_READS))
def test_vismanet_reads_retry_then_raise_a_transient_error(case, read) -> None:
    _, status, kind, body = case
    api = Api(lambda _r: _answer(status, kind, body))
    with vn_client(api) as client, pytest.raises(TransientError) as caught:
        VN_READS[read](client)
    assert len(api.calls) == 3
    _assert_contextual(caught.value, "GET", "/v1/")


def test_vismanet_gateway_error_in_a_200_is_transient() -> None:
    body = b'{"statusCode": 503, "message": "Service temporarily unavailable"}'
    api = Api(lambda _r: _answer(200, "application/json", body))
    with vn_client(api) as client, pytest.raises(TransientError) as caught:
        client.get_customer("10001")
    assert "Service temporarily unavailable" in str(caught.value)


@pytest.mark.parametrize("case", MALFORMED, ids=lambda c: c[0])
def test_vismanet_token_answer_that_is_malformed_is_transient(case) -> None:
    _, status, kind, body = case

    def handler(request: httpx.Request) -> httpx.Response:
        return _answer(status, kind, body)

    client = VismaNetClient(
        "https://vn.test/API", "https://vn.test/connect/token", "c", SECRET, "t",
        transport=httpx.MockTransport(handler),
        retry_policy=RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0),
        sleep=lambda _s: None,
    )  # fmt: skip
    with client, pytest.raises(TransientError) as caught:
        client.list_branches()
    assert "malformed answer" in str(caught.value) and SECRET not in str(caught.value)


def test_vismanet_create_ignores_the_body_and_needs_the_location() -> None:
    # A create is answered by its Location header; an unreadable body beside it is harmless,
    # and a create without a Location has an unknown outcome (looked up before a resend).
    api = Api(
        lambda _r: httpx.Response(
            201, headers={"Location": "https://vn.test/API/v1/customer/10077"}, content=b"<html>"
        )
    )
    with vn_client(api) as client:
        assert client.create_customer(CustomerWrite(name="A")) == "10077"
    api.answer = lambda _r: _answer(201, "text/html", b"<html>")
    with vn_client(api) as client, pytest.raises(TransientError) as caught:
        client.create_customer(CustomerWrite(name="A"))
    assert caught.value.outcome_unknown
