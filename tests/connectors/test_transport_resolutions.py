"""Both transports act on the one resolution table: a write is sent again only when it was not
sent (a 429, a connect failure); after a 500 or a read timeout it surfaces at once with its
``write_outcome``, while a read is retried."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from vismasync.connectors.eaccounting import EAccountingClient, InMemoryTokenStore
from vismasync.connectors.eaccounting.auth import TokenSet
from vismasync.connectors.http import (
    ApiError,
    DataError,
    RetryPolicy,
    TransientError,
    WriteOutcome,
)
from vismasync.connectors.vismanet import VismaNetClient
from vismasync.connectors.vismanet.writes import CustomerWrite

POLICY = RetryPolicy(attempts=4, base_delay=0.0, max_delay=0.0)
# One scripted answer: a status code, or an httpx transport error class to raise.
Outcome = int | type[httpx.TransportError]


class Server:
    """A MockTransport handler: the scripted outcomes first (a 2xx: the normal answer), then
    success; records the method of every API call."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/connect/token"):
            token = {"access_token": "t", "refresh_token": "r2", "expires_in": 3600}
            return httpx.Response(200, json=token)
        self.calls.append(request.method)
        if self.outcomes:
            outcome = self.outcomes.pop(0)
            if not isinstance(outcome, int):
                raise outcome("scripted", request=request)
            if outcome >= 400:
                headers = {"Retry-After": "1"} if outcome == 429 else {}
                return httpx.Response(outcome, headers=headers, json={"message": "scripted"})
        if request.method == "GET":
            body: Any = {"Data": [], "Meta": {"TotalNumberOfPages": 1}}
            return httpx.Response(200, json=body if "/v2/" in str(request.url) else [])
        return httpx.Response(
            201,
            json={"Id": "c-1", "Name": "Ny AB", "IsPrivatePerson": False},
            headers={"Location": "https://vn.test/API/v1/customer/10001"},
        )


@contextmanager
def eaccounting(server: Server, sleeps: list[float]) -> Iterator[Callable[[], Any]]:
    tokens = TokenSet("a", "r", datetime.now(UTC) + timedelta(hours=1))
    with EAccountingClient(
        api_base="https://ea.test/v2", identity_base="https://ea.test", client_id="c",
        client_secret="s", redirect_uri="https://app.test/cb",
        token_store=InMemoryTokenStore(tokens), transport=httpx.MockTransport(server),
        retry_policy=POLICY, sleep=sleeps.append,
    ) as client:  # fmt: skip
        yield lambda: (client.create_customer({"Name": "Ny AB"}), client.list_units())


@contextmanager
def vismanet(server: Server, sleeps: list[float]) -> Iterator[Callable[[], Any]]:
    with VismaNetClient(
        "https://vn.test/API", "https://vn.test/connect/token", "c", "s", "t",
        transport=httpx.MockTransport(server), retry_policy=POLICY, sleep=sleeps.append,
    ) as client:  # fmt: skip
        yield lambda: (client.create_customer(CustomerWrite(name="Ny AB")), client.list_branches())


CONNECTORS = {"eaccounting": eaccounting, "vismanet": vismanet}


def _write(connector: str, outcomes: list[Outcome]) -> tuple[Server, list[float], Any]:
    server, sleeps = Server(outcomes), []
    with CONNECTORS[connector](server, sleeps) as write_then_read:
        try:
            write_then_read()
        except ApiError as exc:
            return server, sleeps, exc
    return server, sleeps, None


@pytest.mark.parametrize("connector", CONNECTORS)
@pytest.mark.parametrize("first", [429, httpx.ConnectError, httpx.ConnectTimeout])
def test_a_write_that_was_not_sent_is_sent_again(connector: str, first: Outcome) -> None:
    server, sleeps, error = _write(connector, [first])
    assert error is None
    assert server.calls == ["POST", "POST", "GET"]
    assert sleeps == ([1.0] if first == 429 else [0.0])


@pytest.mark.parametrize("connector", CONNECTORS)
@pytest.mark.parametrize(
    ("first", "error_type", "outcome"),
    [
        (500, TransientError, WriteOutcome.UNKNOWN),
        (503, TransientError, WriteOutcome.UNKNOWN),
        (httpx.ReadTimeout, TransientError, WriteOutcome.UNKNOWN),
        (httpx.RemoteProtocolError, TransientError, WriteOutcome.UNKNOWN),
        (422, DataError, WriteOutcome.REFUSED),
    ],
)
def test_a_write_that_may_have_been_processed_is_not_sent_again(
    connector: str, first: Outcome, error_type: type[ApiError], outcome: WriteOutcome
) -> None:
    server, sleeps, error = _write(connector, [first])
    assert isinstance(error, error_type)
    assert error.write_outcome is outcome and error.outcome_unknown is (outcome.name == "UNKNOWN")
    assert server.calls == ["POST"] and sleeps == []


@pytest.mark.parametrize("connector", CONNECTORS)
def test_reads_retry_what_writes_must_not(connector: str) -> None:
    # The write succeeds; the read then meets a 500 and a read timeout and is retried.
    server, _, error = _write(connector, [201, 500, httpx.ReadTimeout])
    assert error is None
    assert server.calls == ["POST", "GET", "GET", "GET"]


@pytest.mark.parametrize("connector", CONNECTORS)
def test_a_401_reauthenticates_once_then_is_final(connector: str) -> None:
    server, _, error = _write(connector, [401])
    assert error is None and server.calls == ["POST", "POST", "GET"]
    server, _, error = _write(connector, [401, 401])
    assert error is not None and error.status_code == 401
    assert error.write_outcome is WriteOutcome.REFUSED and server.calls == ["POST", "POST"]
