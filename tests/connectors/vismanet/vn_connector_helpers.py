"""Helpers shared by the Visma.net connector tests."""

from __future__ import annotations

import json

import httpx

from vismasync.connectors.http import RetryPolicy
from vismasync.connectors.vismanet import VismaNetClient


class Clock:
    def __init__(self) -> None:
        self.now = 2_000_000.0

    def __call__(self) -> float:
        return self.now


class Recorder(httpx.HTTPTransport):
    """A real transport that keeps every request, so tests can inspect what the client sent."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return super().handle_request(request)

    def bodies(self, method: str, path_end: str) -> list[dict]:
        return [
            json.loads(r.content)
            for r in self.requests
            if r.method == method and r.url.path.endswith(path_end)
        ]


def make_client(base: str, **kwargs: object) -> VismaNetClient:
    defaults: dict[str, object] = {
        "retry_policy": RetryPolicy(attempts=4, base_delay=0.0, max_delay=0.0),
    }
    defaults.update(kwargs)
    client_id = defaults.pop("client_id", "vismasync-demo")
    secret = defaults.pop("client_secret", "demo-secret")
    tenant = defaults.pop("tenant_id", "demo-company")
    return VismaNetClient(
        f"{base}/API", f"{base}/connect/token", client_id, secret, tenant, **defaults
    )
