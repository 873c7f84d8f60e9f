"""The hooks an emulator hands to the shared plumbing (admin router and fault middleware)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vismasync.emulators.common.counts import RequestCounter
from vismasync.emulators.common.faults import FaultInjector


@dataclass(frozen=True)
class CannedResponse:
    """A complete HTTP response the middleware can send without calling the emulated API."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    media_type: str = "application/json"

    @classmethod
    def json(
        cls,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        media_type: str = "application/json",
    ) -> CannedResponse:
        return cls(
            status=status,
            body=json.dumps(payload).encode(),
            headers=tuple((headers or {}).items()),
            media_type=media_type,
        )


@dataclass
class EmulatorControl:
    """What the admin surface and the fault middleware need from one emulator.

    - ``reset``: back to the state the emulator started with (its startup seed);
    - ``load_seed``: replace the state with a JSON document in the emulator's seed format
      (raise ``ValueError`` for a bad document: the admin answers 400 with the message);
    - ``expire_tokens``: make every issued access token invalid now;
    - ``rate_limited``: the API's own 429 for a request ``(method, path)``, since each API
      renders it differently (body, headers);
    - ``server_error``: the API's own body for a 5xx of the given status;
    - ``describe``: optional extra facts for ``GET /_emulator/state`` (record counts, ...).
    """

    reset: Callable[[], None]
    load_seed: Callable[[Any], None]
    expire_tokens: Callable[[], None]
    rate_limited: Callable[[str, str], CannedResponse]
    server_error: Callable[[int], CannedResponse]
    describe: Callable[[], dict[str, Any]] | None = None
    faults: FaultInjector = field(default_factory=FaultInjector)
    counter: RequestCounter = field(default_factory=RequestCounter)
