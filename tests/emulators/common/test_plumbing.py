"""The shared emulator plumbing on a tiny app: counts, admin hooks, faults, threaded server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from vismasync.emulators.common import (
    CannedResponse,
    EmulatorControl,
    ThreadedServer,
    install,
)


class Toy:
    """A minimal emulated API: a list of items and a counter of hook calls."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.resets = 0
        self.expired = 0

    def app(self) -> tuple[FastAPI, EmulatorControl]:
        app = FastAPI()

        @app.get("/api/items/{item_id}")
        async def get_item(item_id: str) -> dict[str, str]:
            return {"id": item_id}

        @app.post("/api/items")
        async def add_item() -> dict[str, int]:
            self.items.append("x")
            return {"count": len(self.items)}

        def load(document: object) -> None:
            if not isinstance(document, list):
                raise ValueError("expected a list")
            self.items = [str(x) for x in document]

        control = EmulatorControl(
            reset=self._reset,
            load_seed=load,
            expire_tokens=self._expire,
            rate_limited=lambda m, p: CannedResponse.json(
                429, {"slow": "down"}, headers={"Retry-After": "3"}
            ),
            server_error=lambda status: CannedResponse.json(status, {"oops": status}),
            describe=lambda: {"items": len(self.items)},
        )
        install(app, control, case_insensitive_paths=True)
        return app, control

    def _reset(self) -> None:
        self.resets += 1
        self.items = []

    def _expire(self) -> None:
        self.expired += 1


@pytest.fixture(scope="module")
def toy_server() -> Iterator[tuple[Toy, str]]:
    toy = Toy()
    app, _ = toy.app()
    with ThreadedServer(app) as server:
        yield toy, server.base_url


@pytest.fixture
def client(toy_server: tuple[Toy, str]) -> Iterator[httpx.Client]:
    _, base = toy_server
    with httpx.Client(base_url=base, timeout=10) as http:
        http.post("/_emulator/reset")
        yield http


def test_counts_by_route_template_and_case_insensitive_paths(client: httpx.Client) -> None:
    assert client.get("/api/items/a").status_code == 200
    assert client.get("/API/Items/b").json() == {"id": "b"}
    client.post("/api/items")
    counts = client.get("/_emulator/requests").json()
    assert {"method": "GET", "route": "/api/items/{item_id}", "count": 2} in counts["counts"]
    assert {"method": "POST", "route": "/api/items", "count": 1} in counts["counts"]
    assert counts["total"] == 3
    client.delete("/_emulator/requests")
    assert client.get("/_emulator/requests").json()["total"] == 0


def test_answers_are_counted_by_status(client: httpx.Client) -> None:
    client.put("/_emulator/faults", json={"rate_limit_storm": 1})
    assert client.get("/api/items/a").status_code == 429
    assert client.get("/api/items/a").status_code == 200
    assert client.get("/_emulator/requests").json()["statuses"] == {"200": 1, "429": 1}
    client.delete("/_emulator/requests")
    assert client.get("/_emulator/requests").json()["statuses"] == {}


def test_reset_seed_expire_and_state_hooks(
    client: httpx.Client, toy_server: tuple[Toy, str]
) -> None:
    toy, _ = toy_server
    before = toy.resets
    client.post("/_emulator/reset")
    assert toy.resets == before + 1
    assert client.post("/_emulator/seed", json=["a", "b"]).status_code == 200
    assert client.get("/_emulator/state").json() == {"items": 2}
    bad = client.post("/_emulator/seed", json={"not": "a list"})
    assert bad.status_code == 400
    assert "expected a list" in bad.json()["error"]
    client.post("/_emulator/tokens/expire")
    assert toy.expired >= 1


def test_rate_limit_storm_uses_the_emulators_response_then_stops(client: httpx.Client) -> None:
    client.put("/_emulator/faults", json={"rate_limit_storm": 2})
    first, second, third = (client.get("/api/items/x") for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [429, 429, 200]
    assert first.json() == {"slow": "down"}
    assert first.headers["Retry-After"] == "3"
    assert client.get("/_emulator/faults").json()["rate_limit_storm"] == 0


def test_error_rate_is_deterministic_under_a_seed(client: httpx.Client) -> None:
    def run() -> list[int]:
        client.put("/_emulator/faults", json={"error_rate": 0.5, "error_status": 503, "seed": 7})
        return [client.get("/api/items/x").status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert set(first) == {200, 503}
    client.put("/_emulator/faults", json={"error_rate": 0.5, "error_status": 503, "seed": 8})
    assert [client.get("/api/items/x").status_code for _ in range(20)] != first


def test_faults_can_target_a_path_and_method_and_never_the_admin(client: httpx.Client) -> None:
    client.put("/_emulator/faults", json={"error_rate": 1.0, "methods": ["post"]})
    assert client.get("/api/items/x").status_code == 200
    assert client.post("/api/items").status_code == 500
    assert client.get("/_emulator/faults").status_code == 200
    client.put("/_emulator/faults", json={"error_rate": 1.0, "path_prefix": "/other"})
    assert client.post("/api/items").status_code == 200


def test_the_first_matching_rule_decides_with_its_own_counters(
    client: httpx.Client, toy_server: tuple[Toy, str]
) -> None:
    toy, _ = toy_server
    rules = [
        {"path_prefix": "/api/items/", "error_rate": 1.0, "error_status": 503},
        {"drop_after_commit": 1, "rate_limit_storm": 1, "methods": ["POST"]},
    ]
    assert client.put("/_emulator/faults", json={"rules": rules}).status_code == 200
    assert client.get("/api/items/x").status_code == 503  # the first rule: 5xx only
    assert client.post("/api/items").status_code == 429  # the second: its storm, then its drop
    with pytest.raises(httpx.TransportError):
        client.post("/api/items")
    assert client.post("/api/items").status_code == 200
    assert client.get("/api/items/y").status_code == 503
    assert toy.items == ["x", "x"]
    shown = client.get("/_emulator/faults").json()["rules"]
    assert [r["error_status"] for r in shown] == [503, 500]
    assert shown[1]["drop_after_commit"] == shown[1]["rate_limit_storm"] == 0
    assert client.put("/_emulator/faults", json={"rules": []}).status_code == 400
    assert client.put("/_emulator/faults", json={"rules": [{"x": 1}]}).status_code == 400


def test_commit_then_drop_commits_the_write_and_breaks_the_connection(
    client: httpx.Client, toy_server: tuple[Toy, str]
) -> None:
    toy, _ = toy_server
    client.put("/_emulator/faults", json={"drop_after_commit": 1})
    with pytest.raises(httpx.TransportError):
        client.post("/api/items")
    assert toy.items == ["x"]  # committed although the client never saw the answer
    assert client.post("/api/items").json() == {"count": 2}


def test_bad_fault_settings_are_rejected(client: httpx.Client) -> None:
    response = client.put("/_emulator/faults", json={"error_rat": 0.5})
    assert response.status_code == 400
    assert "error_rat" in response.json()["error"]
    assert client.put("/_emulator/faults", json={"error_rate": 2}).status_code == 400


def test_latency_is_applied_and_reported(client: httpx.Client) -> None:
    client.put("/_emulator/faults", json={"latency_ms": 20})
    assert client.get("/api/items/x").status_code == 200
    assert client.get("/_emulator/faults").json()["latency_ms"] == 20


def test_the_most_requests_answered_at_once_is_reported(client: httpx.Client) -> None:
    from concurrent.futures import ThreadPoolExecutor

    client.put("/_emulator/faults", json={"latency_ms": 500})
    client.get("/api/items/alone")
    assert client.get("/_emulator/requests").json()["max_in_flight"] == 1

    clients = [httpx.Client(base_url=str(client.base_url), timeout=10) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        answers = pool.map(lambda pair: pair[1].get(f"/api/items/{pair[0]}"), enumerate(clients))
        assert [a.status_code for a in answers] == [200, 200, 200]
    for http in clients:
        http.close()
    # Three sent at once, each answered half a second late: they overlapped.
    assert 2 <= client.get("/_emulator/requests").json()["max_in_flight"] <= 3
    client.delete("/_emulator/requests")
    assert client.get("/_emulator/requests").json()["max_in_flight"] == 0
