"""End-to-end throughput of the sync flows, and Prefect's share of the sync's CPU (printed, not
asserted). See ``benchmarks/README.md`` for what each figure means.

Both emulators run as separate processes (``vismasync emulator ...``), so this process's CPU time
is the sync's own: the flow, its HTTP clients, PostgreSQL calls and Prefect's client side (the
Prefect test server and the embedded PostgreSQL server are other processes too).

The eAccounting company is the demo company's customers and articles with N generated shipped
orders instead of the demo's orders (deterministic). The sales-order flow runs twice on that
same state (emulators reset in between, a fresh integration each time):

- run A: as a Prefect flow with its tasks, as in production;
- run B: the same work with Prefect's engine bypassed: the flow's ``.fn`` with every task call
  going straight to the task's function.

Prefect's share of the CPU is ``(cpu_A - cpu_B) / cpu_A``.

Settings (environment or flags): ``VISMASYNC_BENCH_ORDERS`` / ``--orders`` (default 1000),
``VISMASYNC_BENCH_PROFILE=1`` / ``--profile`` (one more run A under cProfile: the top Prefect
functions), ``VISMASYNC_BENCH_RESULTS`` / ``--results`` (JSON path, default
``benchmarks/results/sync_bench.json``), ``VISMASYNC_BENCH_MASTER_DATA=0`` / ``--no-master-data``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = ROOT / "benchmarks" / "results" / "sync_bench.json"
SEED_BASE_TIME = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
WARM_UP_ORDERS = 20


# --- the seeded eAccounting company ---------------------------------------------------------


class _SteppingClock:
    """Distinct, ordered change times for the generated orders (one second apart)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def build_eaccounting_seed(orders: int) -> dict[str, Any]:
    """The demo company's reference data, customers and articles, plus ``orders`` generated
    shipped orders (1-4 article rows, some discounts, some with a shipping row) for customers
    and articles that exist in both demo companies, so that every order can be sent.

    The same document for the same ``orders`` on every run.
    """
    from vismasync.emulators.demo_catalogue import demo_catalogue
    from vismasync.emulators.eaccounting.backend import EAccountingBackend
    from vismasync.emulators.eaccounting.seed import demo_seed

    base = demo_seed()
    for documents in ("orders", "customerinvoices", "customerinvoicedrafts", "vouchers"):
        base[documents] = []
    base["payments"] = []
    backend = EAccountingBackend(base, clock=_SteppingClock(SEED_BASE_TIME))
    backend.store.id_seed = 1_000_003  # ids unlike the emulator's own (seed 0 after a load)
    backend.store._ids.seed(backend.store.id_seed)

    catalogue = demo_catalogue()
    sendable = {
        p.sku
        for p in catalogue.products
        if p.in_eaccounting and p.in_vismanet and p.active and p.sku != "SHIPPING"
    }
    articles = {a["Number"]: a for a in base["articles"]}
    sellable = [articles[sku] for sku in sorted(sendable) if sku in articles]
    shipping = articles["SHIPPING"]
    customers = sorted(
        (c for c in base["customers"] if c.get("EmailAddress")), key=lambda c: c["CustomerNumber"]
    )
    methods = [m for m in base["deliverymethods"] if m["Code"] != "PICKUP"]
    rng = random.Random(20260105)
    for number in range(orders):
        customer = customers[rng.randrange(len(customers))]
        rows = []
        for line, article in enumerate(rng.sample(sellable, rng.randint(1, 4))):
            discount = rng.choice([0.0, 0.05, 0.1, 0.15]) if number % 4 == 1 else None
            rows.append({
                "LineNumber": line, "ArticleId": article["Id"],
                "Quantity": float(rng.randint(1, 5)), "DiscountPercentage": discount,
                "IsTextRow": False, "IsWorkCost": False, "EligibleForReverseChargeOnVat": False,
            })  # fmt: skip
        method = methods[number % len(methods)] if number % 3 else None
        if method is not None:
            rows.append({
                "LineNumber": len(rows), "ArticleId": shipping["Id"], "Quantity": 1.0,
                "UnitPrice": rng.choice([49.0, 79.0, 129.0]), "IsTextRow": False,
                "IsWorkCost": False, "EligibleForReverseChargeOnVat": False,
            })  # fmt: skip
        order_date = (SEED_BASE_TIME - timedelta(days=60) + timedelta(hours=1 * number)).date()
        shipped = (order_date + timedelta(days=2)).isoformat()
        backend.create_order({
            "CustomerId": customer["Id"], "CurrencyCode": customer["CurrencyCode"],
            "EuThirdParty": False, "ReverseChargeOnConstructionServices": False,
            "RotReducedInvoicingType": 0, "OrderDate": order_date.isoformat(), "Status": 3,
            "Rows": rows, "YourReference": customer.get("ContactPersonName") or customer["Name"],
            "OurReference": "Demo Handel", "BuyersOrderReference": f"PO-{90000 + number}",
            "DeliveryMethodCode": method["Code"] if method else None,
            "DeliveryMethodName": method["Name"] if method else None,
            "ShippedDateTime": shipped, "DeliveryDate": shipped,
        })  # fmt: skip
    return backend.store.export_state()


# --- emulators as processes -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU of another process so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass
class EmulatorProcess:
    """``vismasync emulator <kind>`` on a free port of 127.0.0.1, stopped on exit."""

    kind: str  # "eaccounting" or "vismanet"
    seed: str  # "demo" or a seed file
    log: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    admin: httpx.Client = field(init=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        for _ in range(3):  # the free port may be taken between the probe and the bind
            self.port = _free_port()
            command = [
                sys.executable, "-m", "vismasync", "emulator", self.kind,
                "--host", "127.0.0.1", "--port", str(self.port), "--seed", self.seed,
            ]  # fmt: skip
            path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
            env = dict(os.environ, PYTHONPATH=path)
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
                )
            self.admin = httpx.Client(base_url=self.base_url, timeout=60)
            deadline = time.monotonic() + timeout
            while self.process.poll() is None and time.monotonic() < deadline:
                try:
                    if self.admin.get("/_emulator/state").status_code == 200:
                        return
                except httpx.TransportError:
                    time.sleep(0.2)
            self.stop()
        raise RuntimeError(f"the {self.kind} emulator did not start; see {self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def reset(self) -> None:
        """State back to the startup seed, counts cleared."""
        self.admin.post("/_emulator/reset").raise_for_status()

    def load_seed(self, document: Any) -> None:
        self.admin.post("/_emulator/seed", json=document).raise_for_status()

    def clear_counts(self) -> None:
        self.admin.delete("/_emulator/requests").raise_for_status()

    def counts(self) -> dict[str, Any]:
        return self.admin.get("/_emulator/requests").json()

    def cpu_seconds(self) -> float:
        return _process_cpu_seconds(self.process.pid) if self.process else 0.0


@contextmanager
def emulator_processes(workdir: Path, seed_file: Path) -> Iterator[dict[str, EmulatorProcess]]:
    emulators = {
        "eaccounting": EmulatorProcess("eaccounting", str(seed_file), workdir / "eaccounting.log"),
        "vismanet": EmulatorProcess("vismanet", "demo", workdir / "vismanet.log"),
    }
    try:
        for emulator in emulators.values():
            emulator.start()
        yield emulators
    finally:
        for emulator in emulators.values():
            emulator.stop()


# --- the runs -------------------------------------------------------------------------------


@contextmanager
def prefect_bypassed() -> Iterator[None]:
    """Every Prefect task call runs the task's function directly: no task run, no engine."""
    from prefect import Task
    from prefect.utilities.annotations import BaseAnnotation

    original = Task.__call__

    def plain(value: Any) -> Any:
        # The engine unwraps ``quote``d arguments; so must a direct call.
        return value.unwrap() if isinstance(value, BaseAnnotation) else value

    def direct(self: Task[Any, Any], *args: Any, **kwargs: Any) -> Any:
        args = tuple(plain(a) for a in args)
        return self.fn(*args, **{k: plain(v) for k, v in kwargs.items()})

    Task.__call__ = direct  # type: ignore[method-assign,assignment]
    try:
        with warnings.catch_warnings():
            # Outside a flow run the flow's summary artifact is made without a run: Prefect warns.
            warnings.filterwarnings("ignore", "Artifact creation outside", FutureWarning)
            yield
    finally:
        Task.__call__ = original  # type: ignore[method-assign]


def _settle() -> None:
    """Let Prefect's background services (logs, events) finish what the run queued, so their
    CPU time is counted in the run that caused it."""
    try:
        from prefect._internal.concurrency.services import QueueService

        QueueService.drain_all(timeout=30, at_exit=False)
    except Exception:  # a private API: fall back to waiting
        pass
    time.sleep(1.0)


@dataclass
class Measured:
    label: str
    seconds: float
    cpu_seconds: float
    main_thread_cpu_seconds: float
    result: dict[str, Any]
    calls: dict[str, dict[str, Any]]
    emulator_cpu_seconds: dict[str, float]
    profile: pstats.Stats | None = None


class Bench:
    """The emulators, the integration directory and one measured run at a time."""

    def __init__(self, emulators: dict[str, EmulatorProcess], config_dir: Path) -> None:
        self.emulators = emulators
        self.config_dir = config_dir

    def fresh_integration(self) -> str:
        """Emulators back to the seeded state and a new integration (own ledger, watermarks)
        authorized on them; request counts start from zero."""
        from vismasync.config.integrations import load_integration
        from vismasync.deployments.demo_integration import write_demo_config
        from vismasync.engine.clients import authorize_auto_approving_eaccounting

        for emulator in self.emulators.values():
            emulator.reset()
        name = f"bench-{uuid.uuid4().hex[:8]}"
        ea, vn = self.emulators["eaccounting"], self.emulators["vismanet"]
        write_demo_config(self.config_dir, name, ea.base_url, vn.base_url)
        authorize_auto_approving_eaccounting(load_integration(name))
        for emulator in self.emulators.values():
            emulator.clear_counts()
        return name

    def run(
        self, label: str, call: Callable[[str], dict[str, Any]], profile: bool = False
    ) -> Measured:
        name = self.fresh_integration()
        emulator_cpu = {k: e.cpu_seconds() for k, e in self.emulators.items()}
        profiler = cProfile.Profile() if profile else None
        gc.collect()
        cpu = time.process_time()
        main_cpu = time.thread_time()
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        try:
            result = call(name)
        finally:
            if profiler is not None:
                profiler.disable()
        seconds = time.perf_counter() - start
        main_cpu = time.thread_time() - main_cpu
        _settle()
        cpu = time.process_time() - cpu
        return Measured(
            label=label,
            seconds=seconds,
            cpu_seconds=cpu,
            main_thread_cpu_seconds=main_cpu,
            result=result,
            calls={k: e.counts() for k, e in self.emulators.items()},
            emulator_cpu_seconds={
                k: e.cpu_seconds() - emulator_cpu[k] for k, e in self.emulators.items()
            },
            profile=pstats.Stats(profiler) if profiler is not None else None,
        )


def _as_prefect_flow(flow: Any) -> Callable[[str], dict[str, Any]]:
    return lambda name: flow(integration=name, dry_run=False)


def _without_prefect(flow: Any) -> Callable[[str], dict[str, Any]]:
    def call(name: str) -> dict[str, Any]:
        with prefect_bypassed():
            return flow.fn(integration=name, dry_run=False)

    return call


# --- figures --------------------------------------------------------------------------------


def _summary_counts(result: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Outcome counts per entity from the flow's summary text (``  order: read 5, created 5``)."""
    counts: dict[str, dict[str, int]] = {}
    for line in str(result.get("summary", "")).splitlines()[1:]:
        match = re.match(r"\s+([\w ]+): ((?:\w+ \d+(?:, )?)+)$", line)
        if match and not line.strip().startswith(("FAILED", "note:")):
            pairs = re.findall(r"(\w+) (\d+)", match.group(2))
            counts[match.group(1)] = {outcome: int(n) for outcome, n in pairs}
    return counts


def _api_calls(calls: dict[str, dict[str, Any]], per: int) -> dict[str, Any]:
    """Per system: calls in all, per record, per endpoint, and the 429 answers."""
    figures: dict[str, Any] = {}
    for system, report in calls.items():
        endpoints = {
            f"{row['method']} {row['route']}": row["count"]
            for row in sorted(report["counts"], key=lambda r: -r["count"])
        }
        figures[system] = {
            "calls": report["total"],
            "calls_per_record": round(report["total"] / per, 3) if per else None,
            "status_429": int(report.get("statuses", {}).get("429", 0)),
            "statuses": report.get("statuses", {}),
            "endpoints": {
                endpoint: {"calls": n, "per_record": round(n / per, 3) if per else None}
                for endpoint, n in endpoints.items()
            },
        }
    return figures


def _work_signature(measured: Measured) -> dict[str, Any]:
    """What a run did to the two systems: the same for A and B when the comparison is fair."""
    return {
        system: {(r["method"], r["route"]): r["count"] for r in report["counts"]}
        for system, report in measured.calls.items()
    }


def _prefect_hotspots(stats: pstats.Stats, key: str, top: int = 10) -> list[dict[str, Any]]:
    """The ``top`` functions under ``prefect/`` by ``key`` (``cumulative_seconds``, or
    ``own_seconds``: time in the function itself, not in what it calls)."""
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        normalized = filename.replace(os.sep, "/")
        if "/prefect/" in normalized:
            where = normalized.split("/prefect/", 1)[1]
            rows.append({
                "function": f"prefect/{where}:{line}({function})", "calls": calls,
                "cumulative_seconds": round(cumulative, 3), "own_seconds": round(own, 3),
            })  # fmt: skip
    rows.sort(key=lambda row: -row[key])
    return rows[:top]


def _rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024, 1)


def _print_calls(figures: dict[str, Any], unit: str) -> None:
    for system, report in figures.items():
        print(
            f"    {system:<12} {report['calls']:>7} calls  {report['calls_per_record']:>7} "
            f"per {unit}  429s: {report['status_429']}"
        )
        for endpoint, row in report["endpoints"].items():
            print(f"        {row['per_record']:>8} per {unit}  {row['calls']:>7}  {endpoint}")


# --- main -----------------------------------------------------------------------------------


def _options() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--orders", type=int, default=int(env("VISMASYNC_BENCH_ORDERS", "1000")),
        help="generated shipped orders (VISMASYNC_BENCH_ORDERS, default 1000)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", action="store_true", default=env("VISMASYNC_BENCH_PROFILE", "0") == "1",
        help="one more run A under cProfile: top Prefect functions (VISMASYNC_BENCH_PROFILE=1)",
    )  # fmt: skip
    parser.add_argument(
        "--results", type=Path, default=Path(env("VISMASYNC_BENCH_RESULTS", DEFAULT_RESULTS)),
        help="JSON results file (VISMASYNC_BENCH_RESULTS)",
    )  # fmt: skip
    parser.add_argument(
        "--no-master-data", dest="master_data", action="store_false",
        default=env("VISMASYNC_BENCH_MASTER_DATA", "1") != "0",
        help="skip the customer, product and stock runs (VISMASYNC_BENCH_MASTER_DATA=0)",
    )  # fmt: skip
    return parser.parse_args()


def main() -> None:
    options = _options()
    orders = options.orders
    # Stop the emulator processes on SIGTERM too (the finally blocks run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    home = Path(tempfile.mkdtemp(prefix="vismasync-bench-"))
    os.environ.setdefault("VISMASYNC_HOME", str(home / "home"))
    os.environ["VISMASYNC_CONFIG_DIR"] = str(home / "integrations")
    os.environ["PREFECT_HOME"] = str(home / "prefect")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from vismasync.flows.customers import sync_customers
    from vismasync.flows.products import sync_products
    from vismasync.flows.sales_orders import sync_sales_orders
    from vismasync.flows.stock import sync_stock
    from vismasync.store.database import get_engine

    started = time.perf_counter()
    seed = build_eaccounting_seed(orders)
    seed_file = home / "eaccounting-seed.json"
    seed_file.write_text(json.dumps(seed), encoding="utf-8")
    warm_up_seed = dict(seed, orders=seed["orders"][:WARM_UP_ORDERS])
    print(f"seed: {orders} shipped orders built in {time.perf_counter() - started:.1f} s")

    with ExitStack() as stack:
        emulators = stack.enter_context(emulator_processes(home, seed_file))
        stack.enter_context(prefect_test_harness(server_startup_timeout=120))
        stack.enter_context(temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}))
        get_engine()  # the embedded PostgreSQL server is up before anything is timed
        bench = Bench(emulators, home / "integrations")

        # Warm-up on a small company: imports, connections and caches of both modes, untimed.
        ea = emulators["eaccounting"]
        for call in (_as_prefect_flow(sync_sales_orders), _without_prefect(sync_sales_orders)):
            name = bench.fresh_integration()
            ea.load_seed(warm_up_seed)
            call(name)
        _settle()

        a = bench.run("A: Prefect flow and tasks", _as_prefect_flow(sync_sales_orders))
        b = bench.run("B: Prefect bypassed", _without_prefect(sync_sales_orders))
        profiled = None
        if options.profile:
            profiled = bench.run("A under cProfile", _as_prefect_flow(sync_sales_orders), True)

        master = []
        if options.master_data:
            for label, flow in (
                ("customers", sync_customers),
                ("products", sync_products),
                ("stock", sync_stock),
            ):
                master.append(bench.run(label, _as_prefect_flow(flow)))

    report = _report(orders, a, b, profiled, master)
    _print_report(report, a, b, master)
    options.results.parent.mkdir(parents=True, exist_ok=True)
    options.results.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {options.results}")


def _report(
    orders: int, a: Measured, b: Measured, profiled: Measured | None, master: list[Measured]
) -> dict[str, Any]:
    share = (a.cpu_seconds - b.cpu_seconds) / a.cpu_seconds if a.cpu_seconds else 0.0
    order_counts = _summary_counts(a.result)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "orders": orders,
        "sales_orders": {
            "seconds": round(a.seconds, 2),
            "orders_per_second": round(orders / a.seconds, 1),
            "cpu_seconds_a_prefect": round(a.cpu_seconds, 2),
            "cpu_seconds_b_bypassed": round(b.cpu_seconds, 2),
            "seconds_b_bypassed": round(b.seconds, 2),
            "orders_per_second_b_bypassed": round(orders / b.seconds, 1),
            "prefect_cpu_share_percent": round(100 * share, 1),
            "cpu_ms_per_order_a": round(1000 * a.cpu_seconds / orders, 2),
            "cpu_ms_per_order_b": round(1000 * b.cpu_seconds / orders, 2),
            "main_thread_cpu_seconds_a": round(a.main_thread_cpu_seconds, 2),
            "main_thread_cpu_seconds_b": round(b.main_thread_cpu_seconds, 2),
            "emulator_cpu_seconds_a": {k: round(v, 2) for k, v in a.emulator_cpu_seconds.items()},
            "same_api_calls_in_a_and_b": _work_signature(a) == _work_signature(b),
            "outcomes_a": order_counts,
            "outcomes_b": _summary_counts(b.result),
            "api": _api_calls(a.calls, orders),
            "status_429": sum(r["status_429"] for r in _api_calls(a.calls, orders).values()),
        },
        "peak_rss_mb": _rss_mb(),
        "master_data": [],
    }
    if profiled is not None and profiled.profile is not None:
        so = report["sales_orders"]
        so["profiled_seconds"] = round(profiled.seconds, 2)
        so["prefect_hotspots_a"] = _prefect_hotspots(profiled.profile, "cumulative_seconds")
        so["prefect_own_time_a"] = _prefect_hotspots(profiled.profile, "own_seconds")
    for run in master:
        counts = _summary_counts(run.result)
        records = sum(c.get("read", 0) for c in counts.values()) or sum(
            sum(c.values()) for c in counts.values()
        )
        report["master_data"].append({
            "flow": run.label, "seconds": round(run.seconds, 2),
            "cpu_seconds": round(run.cpu_seconds, 2), "records": records, "outcomes": counts,
            "api": _api_calls(run.calls, records),
        })  # fmt: skip
    return report


def _print_report(report: dict[str, Any], a: Measured, b: Measured, master: list[Measured]) -> None:
    so = report["sales_orders"]
    n = report["orders"]
    print(f"\nsales orders, {n} shipped orders")
    print(
        f"  {'run':<28} {'seconds':>8} {'orders/s':>9} {'CPU s':>8} {'CPU ms/order':>13} "
        f"{'main thread CPU s':>18}"
    )
    for run, cpu_ms in ((a, so["cpu_ms_per_order_a"]), (b, so["cpu_ms_per_order_b"])):
        print(
            f"  {run.label:<28} {run.seconds:>8.2f} {n / run.seconds:>9.1f} "
            f"{run.cpu_seconds:>8.2f} {cpu_ms:>13.2f} {run.main_thread_cpu_seconds:>18.2f}"
        )
    print(f"  Prefect share of the sync process's CPU: {so['prefect_cpu_share_percent']:.1f} %")
    print(f"  same API calls in A and B: {'yes' if so['same_api_calls_in_a_and_b'] else 'NO'}")
    print(f"  outcomes (A): {so['outcomes_a']}")
    emulator_cpu = ", ".join(f"{k} {v:.2f} s" for k, v in so["emulator_cpu_seconds_a"].items())
    print(f"  emulator processes' CPU during A: {emulator_cpu}")
    print(f"  peak RSS of this process: {report['peak_rss_mb']} MB")
    print(f"  429 answers during A: {so['status_429']}")
    print("  API calls during A:")
    _print_calls(so["api"], "order")
    if "prefect_hotspots_a" in so:
        print("  top Prefect functions by cumulative time (run A, main thread, cProfile):")
        for row in so["prefect_hotspots_a"]:
            print(f"    {row['cumulative_seconds']:>8.3f} s {row['calls']:>8}  {row['function']}")
        print("  top Prefect functions by own time (same profile):")
        for row in so["prefect_own_time_a"]:
            print(f"    {row['own_seconds']:>8.3f} s {row['calls']:>8}  {row['function']}")
    for row in report["master_data"]:
        rate = row["records"] / row["seconds"] if row["seconds"] else 0.0
        print(
            f"\n{row['flow']:<10} {row['seconds']:7.2f} s  {row['records']} records "
            f"({rate:.1f}/s)  CPU {row['cpu_seconds']:.2f} s  outcomes {row['outcomes']}"
        )
        _print_calls(row["api"], "record")


if __name__ == "__main__":
    main()
