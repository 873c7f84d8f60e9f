"""The ``/_emulator/`` admin surface every emulator mounts.

| Method and path | Effect |
|---|---|
| ``POST /_emulator/reset`` | state back to the startup seed; faults off; counts cleared |
| ``POST /_emulator/seed`` | replace the state with the JSON body (the emulator's seed format) |
| ``GET /_emulator/requests`` | counts per (method, route template) and per status; most at once |
| ``DELETE /_emulator/requests`` | clear the counts |
| ``GET /_emulator/faults`` | the active fault configuration |
| ``PUT /_emulator/faults`` | set faults (:class:`FaultConfig`, or ``{"rules": [...]}``) |
| ``DELETE /_emulator/faults`` | all faults off |
| ``POST /_emulator/tokens/expire`` | every issued access token expires now |
| ``GET /_emulator/state`` | whatever the emulator's ``describe`` hook reports |
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from vismasync.emulators.common.control import EmulatorControl
from vismasync.emulators.common.faults import rules_from_json, rules_to_json


def admin_router(control: EmulatorControl) -> APIRouter:
    """The admin routes, bound to one emulator's hooks. Include it in the emulator's app."""
    router = APIRouter(prefix="/_emulator", tags=["emulator admin"])

    @router.post("/reset")
    async def reset() -> dict[str, Any]:
        control.reset()
        control.faults.clear()
        control.counter.clear()
        return {"status": "reset"}

    @router.post("/seed")
    async def seed(request: Request) -> JSONResponse:
        try:
            document = json.loads(await request.body())
            control.load_seed(document)
        except (ValueError, TypeError, KeyError) as exc:
            return JSONResponse({"error": f"invalid seed: {exc}"}, status_code=400)
        return JSONResponse({"status": "seeded"})

    @router.get("/requests")
    async def requests() -> dict[str, Any]:
        return {
            "total": control.counter.total(),
            "counts": control.counter.as_list(),
            "statuses": control.counter.statuses(),
            "max_in_flight": control.counter.max_in_flight(),
        }

    @router.delete("/requests")
    async def clear_requests() -> dict[str, Any]:
        control.counter.clear()
        return {"status": "cleared"}

    @router.get("/faults")
    async def get_faults() -> dict[str, Any]:
        return rules_to_json(control.faults.rules)

    @router.put("/faults")
    async def set_faults(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            rules = rules_from_json(body)
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        control.faults.configure(rules)
        return JSONResponse(rules_to_json(rules))

    @router.delete("/faults")
    async def clear_faults() -> dict[str, Any]:
        control.faults.clear()
        return rules_to_json(control.faults.rules)

    @router.post("/tokens/expire")
    async def expire_tokens() -> dict[str, Any]:
        control.expire_tokens()
        return {"status": "expired"}

    @router.get("/state")
    async def state() -> dict[str, Any]:
        return control.describe() if control.describe else {}

    return router
