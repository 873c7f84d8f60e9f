"""End-to-end figures of the sync flows (printed, not asserted). See ``benchmarks/README.md``
for what each figure means.

Both emulators run as separate processes (``vismasync emulator ...``), so this process's CPU time
is the sync's own: the flow, its HTTP clients, PostgreSQL calls and Prefect's client side (the
Prefect test server and the embedded PostgreSQL server are other processes too).

The eAccounting company is the demo company's customers and articles with N generated shipped
orders instead of the demo's orders (deterministic), all changed within nine minutes. In one run:

- run A: the sales-order flow as a Prefect flow with its tasks, as in production; then no-op
  runs on A's integration, alternately with the default overlap and with none (seven each);
- run B: the same work as A with Prefect's engine bypassed (Prefect's share of the CPU is
  ``(cpu_A - cpu_B) / cpu_A``);
- the naive baseline (``benchmarks/naive_sync.py``): one Prefect task per order;
- the sync process's peak RSS: the flow in a process of its own, at 1,000 and at N orders;
- the customer, product and stock flows, each followed by three no-op runs.

Settings (environment or flags): ``VISMASYNC_BENCH_ORDERS`` / ``--orders`` (default 1000),
``VISMASYNC_BENCH_SKIP`` / ``--skip`` (parts left out: engine, bypass, naive, noop, rss,
master), ``VISMASYNC_BENCH_PROFILE=1`` / ``--profile``, ``VISMASYNC_BENCH_RESULTS`` /
``--results`` (JSON path, default ``benchmarks/results/sync_bench.json``),
``VISMASYNC_BENCH_MASTER_DATA=0`` / ``--no-master-data``, ``--seed-only`` (what seeding N orders
costs, and nothing else).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks import figures
from benchmarks.emulators import ROOT, emulator_processes, isolated_home
from benchmarks.measure import Bench, prefect_bypassed, settle
from benchmarks.report import build_report, print_report
from benchmarks.seed import build_eaccounting_seed

DEFAULT_RESULTS = ROOT / "benchmarks" / "results" / "sync_bench.json"
WARM_UP_ORDERS = 20
RSS_BASE_ORDERS = 1000
# No-op runs are short: each is made this many times and the median reported.
NO_OP_REPEATS = 7  # a no-op run takes a quarter of a second: its noise needs several
PARTS = ("engine", "bypass", "naive", "noop", "rss", "master")


def _as_prefect_flow(flow: Any) -> Callable[[str], Any]:
    return lambda name: flow(integration=name, dry_run=False)


def _without_prefect(flow: Any) -> Callable[[str], Any]:
    def call(name: str) -> Any:
        with prefect_bypassed():
            return flow.fn(integration=name, dry_run=False)

    return call


def _naive(name: str) -> Any:
    from benchmarks.naive_sync import naive_sales_orders

    return naive_sales_orders(integration=name)


def vismanet_budget(orders: int) -> int:
    """The Visma.net emulator's hourly budget for a run of ``orders``: the real 15,000, or
    enough that the budget never binds (the runs here measure throughput, calls and memory; a
    paced run of 100,000 orders under the real budget takes about seven hours). Pacing at the
    budget is measured by ``limits_bench.py``."""
    from vismasync.emulators.vismanet.ratelimit import DEFAULT_LIMIT

    return max(DEFAULT_LIMIT, 4 * orders)


def _sync_process_rss(bench: Bench, seed: dict[str, Any], orders: int) -> list[dict[str, Any]]:
    """The sales-order flow's peak RSS in a process of its own, on a company of 1,000 orders
    and (when N is larger) on the company of N orders."""
    from prefect.settings import PREFECT_API_URL

    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        PREFECT_API_URL=str(PREFECT_API_URL.value()),
    )
    runs = []
    for size in sorted({min(RSS_BASE_ORDERS, orders), orders}):
        subset = dict(seed, orders=seed["orders"][:size]) if size < orders else None
        name = bench.fresh_integration(subset)
        started = time.perf_counter()
        answer = subprocess.run(
            [sys.executable, "-m", "benchmarks.rss_probe", name],
            env=env, cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if os.environ.get("VISMASYNC_BENCH_TRACE"):  # the probe's allocation report
            trace = DEFAULT_RESULTS.parent / f"rss_trace_{size}.txt"
            trace.parent.mkdir(parents=True, exist_ok=True)
            trace.write_text(answer.stderr)
            print(f"allocation report of the {size}-order run: {trace}", flush=True)
        if answer.returncode != 0:  # reported, not raised: the other figures still count
            runs.append({"orders": size, "error": answer.stderr.strip()[-2000:]})
            continue
        probe = json.loads(answer.stdout.strip().splitlines()[-1])
        runs.append({
            "orders": size, "peak_rss_mb": probe["peak_rss_mb"],
            "rss_before_flow_mb": probe["rss_before_flow_mb"], "flow_seconds": probe["seconds"],
            "process_seconds": round(time.perf_counter() - started, 2),
            "outcomes": figures.summary_counts(probe["summary"]),
        })  # fmt: skip
    return runs


def _options() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--orders", type=int, default=int(env("VISMASYNC_BENCH_ORDERS", "1000")),
        help="generated shipped orders, e.g. 1000, 10000, 100000 (VISMASYNC_BENCH_ORDERS)",
    )  # fmt: skip
    parser.add_argument(
        "--skip", default=env("VISMASYNC_BENCH_SKIP", ""),
        help=f"comma-separated parts to leave out: {', '.join(PARTS)} (VISMASYNC_BENCH_SKIP)",
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
    parser.add_argument(
        "--seed-only", action="store_true",
        help="only build the seed, start the emulators with it, time a reset and a page read",
    )  # fmt: skip
    options = parser.parse_args()
    options.skip = {part.strip() for part in options.skip.split(",") if part.strip()}
    if unknown := options.skip - set(PARTS):
        parser.error(f"unknown parts to skip: {', '.join(sorted(unknown))}")
    if not options.master_data:
        options.skip.add("master")
    return options


def main() -> None:
    options = _options()
    orders, skip = options.orders, options.skip
    home = isolated_home("vismasync-bench-")

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from vismasync.config.integrations import load_integration
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
    seeding = {"build_and_write_seconds": round(time.perf_counter() - started, 1)}
    print(f"seed: {orders:,} shipped orders built in {seeding['build_and_write_seconds']} s")

    runs: dict[str, Any] = {}
    with ExitStack() as stack:
        started = time.perf_counter()
        emulators = stack.enter_context(
            emulator_processes(home, seed_file, vismanet_budget=vismanet_budget(orders))
        )
        seeding["emulators_start_seconds"] = round(time.perf_counter() - started, 1)
        print(f"emulators started with the seed in {seeding['emulators_start_seconds']} s")
        get_engine()  # the embedded PostgreSQL server is up before anything is timed
        bench = Bench(emulators, home / "integrations")
        seeding.update(_reset_and_read(bench))
        print(f"seeded company: {seeding}")
        if options.seed_only:
            _write(options.results, {"orders": orders, "seeding": seeding})
            return
        stack.enter_context(prefect_test_harness(server_startup_timeout=120))
        stack.enter_context(temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}))

        # Warm-up on a small company: imports, connections and caches of every mode, untimed.
        for call in (_as_prefect_flow(sync_sales_orders), _without_prefect(sync_sales_orders),
                     _naive):  # fmt: skip
            call(bench.fresh_integration(warm_up_seed))
        settle()

        if "engine" not in skip:
            a = runs["a"] = bench.run(
                "A: Prefect flow and tasks", _as_prefect_flow(sync_sales_orders)
            )
            print(f"run A: {a.seconds:.1f} s")
        if "noop" not in skip and "a" in runs:
            runs["noop_overlap_minutes"] = overlap = load_integration(
                a.integration
            ).flows.sales_orders.overlap_minutes
            runs["noop_default"], runs["noop_zero"] = [], []
            for _ in range(NO_OP_REPEATS):  # alternated, so load changes hit both alike
                for key, minutes in (("noop_default", overlap), ("noop_zero", 0)):
                    bench.set_overlap(a.integration, "sales_orders", minutes)
                    runs[key].append(bench.run(
                        f"no-op, overlap {minutes} min", _as_prefect_flow(sync_sales_orders),
                        integration=a.integration,
                    ))  # fmt: skip
        if "bypass" not in skip:
            runs["b"] = bench.run("B: Prefect bypassed", _without_prefect(sync_sales_orders))
        if "naive" not in skip:
            runs["naive"] = bench.run("naive: one task per order", _naive)
            print(f"naive: {runs['naive'].seconds:.1f} s")
        if options.profile:
            runs["profiled"] = bench.run(
                "A under cProfile", _as_prefect_flow(sync_sales_orders), profile=True
            )
        if "rss" not in skip:
            runs["rss"] = _sync_process_rss(bench, seed, orders)
        runs["master"] = []
        if "master" not in skip:
            for label, flow in (
                ("customers", sync_customers),
                ("products", sync_products),
                ("stock", sync_stock),
            ):
                first = bench.run(label, _as_prefect_flow(flow))
                again = [
                    bench.run(
                        f"{label} again", _as_prefect_flow(flow), integration=first.integration
                    )
                    for _ in range(NO_OP_REPEATS)
                ]
                runs["master"].append((label, first, again))

    report = build_report(orders, runs, seeding)
    print_report(report, runs)
    _write(options.results, report)


def _write(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {path}")


def _reset_and_read(bench: Bench) -> dict[str, float]:
    """What the size of the company costs before any flow: a reset of both emulators to the
    seed (plus a new integration's authorization), and one page of 100 orders read through the
    product's client (the emulator filters and sorts every order for each page)."""
    from vismasync.config.integrations import load_integration
    from vismasync.engine.clients import build_eaccounting_client

    started = time.perf_counter()
    name = bench.fresh_integration()
    reset = time.perf_counter() - started
    with build_eaccounting_client(load_integration(name)) as client:
        started = time.perf_counter()
        client.orders_page(changed_since=None, statuses=[3], page=1, page_size=100)
        page = time.perf_counter() - started
    return {"emulator_reset_seconds": round(reset, 1), "orders_page_seconds": round(page, 2)}


if __name__ == "__main__":
    main()
