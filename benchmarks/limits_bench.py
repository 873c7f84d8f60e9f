"""The sales-order flow at real API latency under the APIs' rate limits (printed, not asserted):
throughput with one write at a time against the default concurrency, 429 answers, and how a
run that needs more than the hourly budget paces itself instead of spending it and stalling.
See ``benchmarks/README.md`` ("`limits_bench.py`") for what each figure means.

Both emulators run as separate processes (``vismasync emulator ...``) with every business
request answered ``--latency-ms`` late (default 50). Besides eAccounting (600 requests per
minute per client and endpoint), two Visma.net emulators are started:

- the real default limits: 15,000 requests per hour per company and client (Visma's last
  published production figure);
- a scaled budget: the same 15,000-per-hour *rate* in windows of ``--window`` seconds
  (default 30: 125 requests per window), so a run of a few hundred orders needs several
  windows' budgets, run once paced (the default) and once with pacing off (spend, then wait
  for the reset: what the client did before).

Settings (environment or flags): ``VISMASYNC_BENCH_ORDERS`` / ``--orders`` (default 300),
``--latency-ms`` (50), ``--window`` (30), ``--levels`` (write concurrencies under the real
limits, default ``1,4``), ``--results`` (JSON, default
``benchmarks/results/limits_bench.json``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.emulators import ROOT, EmulatorProcess, isolated_home
from benchmarks.seed import build_eaccounting_seed

DEFAULT_RESULTS = ROOT / "benchmarks" / "results" / "limits_bench.json"
REAL_LIMIT, REAL_WINDOW = 15000, 3600.0


class LimitedEmulator(EmulatorProcess):
    """An emulator process started with extra options (``--rate-limit``, ``--rate-window``)."""

    def slow_down(self, latency_ms: int) -> None:
        """Every business request answered ``latency_ms`` late (after a reset clears it)."""
        self.admin.put("/_emulator/faults", json={"latency_ms": latency_ms}).raise_for_status()

    def requests(self) -> dict[str, Any]:
        return self.admin.get("/_emulator/requests").json()


@dataclass
class Timeline:
    """The Visma.net emulator's request total, sampled every ``every`` seconds."""

    emulator: LimitedEmulator
    every: float = 0.2
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _sample(self) -> None:
        with httpx.Client(base_url=self.emulator.base_url, timeout=10) as admin:
            while not self._stop.is_set():
                total = admin.get("/_emulator/requests").json()["total"]
                self.samples.append((time.time(), int(total)))
                self._stop.wait(self.every)

    @contextmanager
    def running(self) -> Iterator[Timeline]:
        thread = threading.Thread(target=self._sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()

    def longest_pause(self) -> float:
        """The longest time the count did not move between the first and the last call."""
        changes = [b[0] for a, b in itertools.pairwise(self.samples) if a[1] != b[1]]
        return max((b - a for a, b in itertools.pairwise(changes)), default=0.0)

    def per_window(self, window: float) -> list[tuple[float, int]]:
        """Calls per budget window (aligned to multiples of ``window`` on the wall clock, as
        the emulator's fixed windows are) that lies wholly inside the sampled run."""
        if not self.samples:
            return []
        start, end = self.samples[0][0], self.samples[-1][0]
        first = (int(start // window) + 1) * window
        rows = []
        edge = first
        while edge + window <= end:
            rows.append((edge, self._count_at(edge + window) - self._count_at(edge)))
            edge += window
        return rows

    def _count_at(self, when: float) -> int:
        before = [n for t, n in self.samples if t <= when]
        return before[-1] if before else 0


@dataclass
class Scenario:
    label: str
    vismanet: LimitedEmulator
    limit: int
    window: float
    concurrency: int | None = None  # None: the default
    paced: bool = True


@dataclass
class Measured:
    scenario: Scenario
    seconds: float
    orders_created: int
    vismanet_calls: int
    eaccounting_calls: int
    status_429: int
    max_in_flight: int
    longest_pause: float
    full_windows: list[tuple[float, int]]

    def figures(self) -> dict[str, Any]:
        s = self.scenario
        ceiling = s.limit / s.window
        sustained = (
            sum(n for _, n in self.full_windows) / (len(self.full_windows) * s.window)
            if self.full_windows
            else None
        )
        return {
            "scenario": s.label,
            "budget": f"{s.limit} per {s.window:g} s",
            "concurrency": s.concurrency,
            "paced": s.paced,
            "seconds": round(self.seconds, 2),
            "orders_created": self.orders_created,
            "orders_per_second": round(self.orders_created / self.seconds, 2),
            "vismanet_calls": self.vismanet_calls,
            "vismanet_calls_per_second": round(self.vismanet_calls / self.seconds, 2),
            "budget_ceiling_calls_per_second": round(ceiling, 3),
            "calls_per_second_in_full_windows": round(sustained, 3) if sustained else None,
            "share_of_ceiling": round(sustained / ceiling, 3) if sustained else None,
            "calls_in_full_windows": [n for _, n in self.full_windows],
            "longest_pause_seconds": round(self.longest_pause, 1),
            "eaccounting_calls": self.eaccounting_calls,
            "status_429": self.status_429,
            "max_in_flight": self.max_in_flight,
        }


class Bench:
    def __init__(self, eaccounting: LimitedEmulator, config_dir: Path, latency_ms: int) -> None:
        self.eaccounting = eaccounting
        self.config_dir = config_dir
        self.latency_ms = latency_ms

    def fresh_integration(self, scenario: Scenario) -> str:
        from vismasync.config.integrations import load_integration
        from vismasync.deployments.demo_integration import write_demo_config
        from vismasync.engine.clients import authorize_auto_approving_eaccounting

        vn = scenario.vismanet
        for emulator in (self.eaccounting, vn):
            emulator.reset()
        name = f"limits-{uuid.uuid4().hex[:8]}"
        path = write_demo_config(self.config_dir, name, self.eaccounting.base_url, vn.base_url)
        if scenario.concurrency is not None:
            text = path.read_text()
            line = next(x for x in text.splitlines() if x.startswith("  tenant_id:"))
            path.write_text(
                text.replace(line, f"{line}\n  write_concurrency: {scenario.concurrency}", 1)
            )
        authorize_auto_approving_eaccounting(load_integration(name))
        for emulator in (self.eaccounting, vn):
            emulator.clear_counts()
            emulator.slow_down(self.latency_ms)
        return name

    def run(self, scenario: Scenario) -> Measured:
        from vismasync.config.integrations import load_integration
        from vismasync.engine.clients import vismanet_client
        from vismasync.flows.sales_orders import sync_sales_orders

        name = self.fresh_integration(scenario)
        if not scenario.paced:
            # What the client did before pacing: spend the budget, then wait for the reset.
            vismanet_client(load_integration(name)).http.limiter.pace_below = 0.0
        timeline = Timeline(scenario.vismanet)
        with timeline.running():
            start = time.perf_counter()
            result = sync_sales_orders(integration=name, dry_run=False)
            seconds = time.perf_counter() - start
        vn, ea = scenario.vismanet.requests(), self.eaccounting.requests()
        created = next((row["created"] for row in result["table"] if row["entity"] == "order"), 0)
        return Measured(
            scenario=scenario,
            seconds=seconds,
            orders_created=int(created),
            vismanet_calls=int(vn["total"]),
            eaccounting_calls=int(ea["total"]),
            status_429=int(vn["statuses"].get("429", 0)) + int(ea["statuses"].get("429", 0)),
            max_in_flight=int(vn.get("max_in_flight", 0)),
            longest_pause=timeline.longest_pause(),
            full_windows=timeline.per_window(scenario.window),
        )


def _options() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--orders",
        type=int,
        default=int(env("VISMASYNC_BENCH_ORDERS", "300")),
        help="generated shipped orders (VISMASYNC_BENCH_ORDERS, default 300)",
    )
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=50,
        help="added to every business request of both emulators (default 50)",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=30.0,
        help="the scaled budget's window in seconds (default 30)",
    )
    parser.add_argument(
        "--levels",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 4],
        help="write concurrencies to run under the real limits (default 1,4)",
    )
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="JSON results file")
    return parser.parse_args()


def main() -> None:
    options = _options()
    home = isolated_home("vismasync-limits-")

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from vismasync.config.model import VismaNetConnection
    from vismasync.store.database import get_engine

    seed_file = home / "eaccounting-seed.json"
    seed_file.write_text(json.dumps(build_eaccounting_seed(options.orders)), encoding="utf-8")
    scaled_limit = round(REAL_LIMIT * options.window / REAL_WINDOW)
    emulators = {
        "eaccounting": LimitedEmulator("eaccounting", str(seed_file), home / "ea.log"),
        "real": LimitedEmulator("vismanet", "demo", home / "vn-real.log"),
        "scaled": LimitedEmulator(
            "vismanet",
            "demo",
            home / "vn-scaled.log",
            options=("--rate-limit", str(scaled_limit), "--rate-window", str(options.window)),
        ),
    }
    with ExitStack() as stack:
        for emulator in emulators.values():
            emulator.start()
            stack.callback(emulator.stop)
        stack.enter_context(prefect_test_harness(server_startup_timeout=120))
        stack.enter_context(temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}))
        get_engine()
        bench = Bench(emulators["eaccounting"], home / "integrations", options.latency_ms)
        real, scaled = emulators["real"], emulators["scaled"]
        default = VismaNetConnection.model_fields["write_concurrency"].default
        scenarios = [
            Scenario(f"real limits, {n} at a time{' (default)' if n == default else ''}", real,
                     REAL_LIMIT, REAL_WINDOW, n)
            for n in options.levels
        ]  # fmt: skip
        scenarios += [
            Scenario("scaled budget, paced", scaled, scaled_limit, options.window),
            Scenario("scaled budget, pacing off", scaled, scaled_limit, options.window,
                     paced=False),
        ]  # fmt: skip
        bench.run(Scenario("warm-up", real, REAL_LIMIT, REAL_WINDOW))  # imports, pools: untimed
        measured = []
        for scenario in scenarios:
            print(f"running: {scenario.label} ...", flush=True)
            measured.append(bench.run(scenario).figures())
    report = {"orders": options.orders, "latency_ms": options.latency_ms, "runs": measured}
    _print(report)
    options.results.parent.mkdir(parents=True, exist_ok=True)
    options.results.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {options.results}")


def _print(report: dict[str, Any]) -> None:
    print(f"\nsales-order flow, {report['orders']} orders, {report['latency_ms']} ms latency")
    for run in report["runs"]:
        print(
            f"\n{run['scenario']} (budget {run['budget']}, concurrency "
            f"{run['concurrency'] or 'default'}):"
        )
        print(
            f"  {run['seconds']} s, {run['orders_created']} orders created, "
            f"{run['orders_per_second']} orders/s, max {run['max_in_flight']} Visma.net "
            "requests at once"
        )
        print(
            f"  Visma.net calls {run['vismanet_calls']} ({run['vismanet_calls_per_second']}/s), "
            f"eAccounting calls {run['eaccounting_calls']}, 429 answers {run['status_429']}"
        )
        if run["share_of_ceiling"] is not None:
            print(
                f"  budget ceiling {run['budget_ceiling_calls_per_second']} calls/s; "
                f"achieved {run['calls_per_second_in_full_windows']} calls/s in whole windows "
                f"= {100 * run['share_of_ceiling']:.1f} % (calls per window: "
                f"{run['calls_in_full_windows']})"
            )
        else:
            print("  the run needed less than one window's budget: the budget did not bind")
        print(f"  longest pause between Visma.net calls: {run['longest_pause_seconds']} s")


if __name__ == "__main__":
    main()
