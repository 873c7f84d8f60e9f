"""ASGI middleware that counts requests and injects faults in front of an emulated API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vismasync.emulators.common.control import CannedResponse, EmulatorControl
from vismasync.emulators.common.faults import Fault, Malformed
from vismasync.emulators.common.routing import RouteTable


class ConnectionDropped(Exception):
    """Raised after the response headers went out, so the server closes the socket mid-response.

    The client then sees a transport error although the write was committed: exactly the
    "outcome unknown" case the lookup-before-retry protocol exists for.
    """


class _HideDroppedConnections(logging.Filter):
    """The server logs an aborted response as an application error with a traceback; for an
    injected drop that is the intended outcome, so it is left out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


logging.getLogger("uvicorn.error").addFilter(_HideDroppedConnections())


class EmulatorMiddleware:
    """Wraps an emulator's ASGI app: counts every request by route template (and its answer by
    status), then applies the fault the :class:`FaultInjector` picks (latency, the API's 5xx,
    the API's 429, or running the request and dropping the connection before the response body).

    ``routes`` gives the app's route table (called once, on the first request, so routes added
    after installation count). With ``case_insensitive_paths`` a request path matching a route in
    another letter case is rewritten to the route's spelling, as ASP.NET routing behaves.
    """

    def __init__(
        self,
        app: ASGIApp,
        control: EmulatorControl,
        routes: Callable[[], RouteTable],
        case_insensitive_paths: bool = False,
    ) -> None:
        self.app = app
        self.control = control
        self._routes_factory = routes
        self._routes: RouteTable | None = None
        self.case_insensitive_paths = case_insensitive_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        path = scope["path"]
        if self._routes is None:
            self._routes = self._routes_factory()
        template = self._routes.resolve(method, path)
        if template is not None and self.case_insensitive_paths:
            canonical = template.canonical(path)
            if canonical != path:
                scope = dict(scope, path=canonical, raw_path=canonical.encode())
        if path.lower().startswith("/_emulator"):
            await self._answer(scope, receive, send, method, path)
            return
        self.control.counter.record(method, template.template if template else path)
        self.control.counter.enter()
        try:
            await self._answer(scope, receive, _counting_statuses(send, self.control), method, path)
        finally:
            self.control.counter.leave()

    async def _answer(self, scope: Scope, receive: Receive, send: Send, method: str,
                      path: str) -> None:  # fmt: skip
        """Answer the request, through the fault the injector picks for it."""
        fault, latency, rule = self.control.faults.decide(method, path)
        if latency > 0:
            await asyncio.sleep(latency)
        if fault == Fault.RATE_LIMITED:
            await _send_canned(send, self.control.rate_limited(method, path))
        elif fault == Fault.SERVER_ERROR:
            await _send_canned(send, self.control.server_error(rule.error_status))
        elif fault == Fault.DROP_AFTER_COMMIT:
            await self._run_then_drop(scope, receive, send)
        elif fault == Fault.MALFORMED:
            await self._run_then_garble(scope, receive, send, Malformed(rule.malformed_kind))
        else:
            await self.app(scope, receive, send)

    async def _run_then_drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message

        # The app runs to completion: whatever it writes is committed before the drop.
        await self.app(scope, receive, capture)
        if start is not None:
            await send(_promising_a_body(start))
        raise ConnectionDropped("emulator fault: connection dropped after the write committed")

    async def _run_then_garble(
        self, scope: Scope, receive: Receive, send: Send, kind: Malformed
    ) -> None:
        """Run the request (whatever it writes is committed), then send its status and headers
        with an unreadable body in place of its own."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if start is None:
            return
        body, media_type = _garbled(kind, b"".join(chunks), self.control)
        headers = [(k, v) for k, v in start.get("headers", [])
                   if k.lower() not in (b"content-length", b"content-type")]  # fmt: skip
        headers += [(b"content-type", media_type), (b"content-length", str(len(body)).encode())]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _garbled(kind: Malformed, body: bytes, control: EmulatorControl) -> tuple[bytes, bytes]:
    """The body (and its content type) a malformed-answer fault sends instead of ``body``."""
    if kind is Malformed.HTML:
        page = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
        return page, b"text/html"
    if kind is Malformed.EMPTY:
        return b"", b"application/json"
    if kind is Malformed.TRUNCATED:
        return (body[: len(body) // 2] or b"{"), b"application/json"
    if kind is Malformed.INVALID_JSON:
        return b"{'not': json,", b"application/json"
    return control.server_error(500).body, b"application/json"


def _counting_statuses(send: Send, control: EmulatorControl) -> Send:
    """``send``, counting the response's status in the control's request counter."""

    async def counted(message: Message) -> None:
        if message["type"] == "http.response.start":
            control.counter.record_status(int(message["status"]))
        await send(message)

    return counted


def _promising_a_body(start: Message) -> Message:
    """The start message, announcing at least one body byte.

    A response with an empty body (201 + Location, 204) is complete once its headers are out,
    so the drop would go unnoticed; announcing a byte that never comes makes it a broken answer.
    """
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    declared = dict((k.lower(), v) for k, v in start.get("headers", [])).get(b"content-length")
    length = max(int(declared), 1) if declared is not None else 1
    return {**start, "headers": [*headers, (b"content-length", str(length).encode())]}


async def _send_canned(send: Send, response: CannedResponse) -> None:
    headers = [(b"content-type", response.media_type.encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
