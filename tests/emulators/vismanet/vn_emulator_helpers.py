"""Helpers shared by the Visma.net emulator tests."""

from __future__ import annotations

import httpx

from vismasync.emulators.vismanet.service import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT


class FakeClock:
    """A settable clock for the rate-limit window, so tests never wait for it."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def token(base: str, client_id: str = DEMO_CLIENT_ID, scope: str | None = None) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": DEMO_CLIENT_SECRET,
        "tenant_id": DEMO_TENANT,
    }
    if scope:
        form["scope"] = scope
    response = httpx.post(f"{base}/connect/token", data=form)
    response.raise_for_status()
    return response.json()["access_token"]
