"""End-to-end figures of the sync flows (printed, not asserted). See ``benchmarks/README.md``
for what each figure means.

Both emulators run as separate processes (``vismasync emulator ...``), so this process's CPU time
is the sync's own: the flow, its HTTP clients, PostgreSQL calls and Prefect's client side (the
Prefect test server and the embedded PostgreSQL server are other processes too).

The eAccounting company is the demo company's customers and articles with N generated shipped
orders instead of the demo's orders (deterministic), all changed within nine minutes. In one run:

- run A: the sales-order flow as a Prefect flow with its tasks, as in production; then two
  no-op runs on A's integration (default overlap, no overlap);
- run B: the same work as A with Prefect's engine bypassed (Prefect's share of the CPU is
  ``(cpu_A - cpu_B) / cpu_A``);
- the naive baseline (``benchmarks/naive_sync.py``): one Prefect task per order;
- the sync process's peak RSS: the flow in a process of its own, at 1,000 and at N orders;
- the customer, product and stock flows, each run twice (the second is the no-op run).

Settings (environment or flags): ``VISMASYNC_BENCH_ORDERS`` / ``--orders`` (default 1000),
``VISMASYNC_BENCH_SKIP`` / ``--skip`` (parts left out), ``VISMASYNC_BENCH_PROFILE=1`` /
``--profile``, ``VISMASYNC_BENCH_RESULTS`` / ``--results`` (JSON path, default
``benchmarks/results/sync_bench.json``), ``VISMASYNC_BENCH_MASTER_DATA=0`` /
``--no-master-data``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import figures
from benchmarks.emulators import ROOT, emulator_processes
from benchmarks.measure import Bench, Measured, median_run, prefect_bypassed, settle
from benchmarks.rss_probe import peak_rss_mb
from benchmarks.seed import build_eaccounting_seed

DEFAULT_RESULTS = ROOT / "benchmarks" / "results" / "sync_bench.json"
WARM_UP_ORDERS = 20
RSS_BASE_ORDERS = 1000
# No-op runs are short: each is made this many times and the median reported.
NO_OP_REPEATS = 3
PARTS = ("bypass", "naive", "noop", "rss", "master")


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
    # Stop the emulator processes on SIGTERM too (the finally blocks run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    home = Path(tempfile.mkdtemp(prefix="vismasync-bench-"))
    os.environ.setdefault("VISMASYNC_HOME", str(home / "home"))
    os.environ["VISMASYNC_CONFIG_DIR"] = str(home / "integrations")
    os.environ["PREFECT_HOME"] = str(home / "prefect")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"

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
        emulators = stack.enter_context(emulator_processes(home, seed_file))
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

        a = runs["a"] = bench.run("A: Prefect flow and tasks", _as_prefect_flow(sync_sales_orders))
        print(f"run A: {a.seconds:.1f} s")
        if "noop" not in skip:
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


# --- the report -----------------------------------------------------------------------------


def _sales_orders(orders: int, a: Measured, b: Measured | None) -> dict[str, Any]:
    api = figures.api_calls(a.calls, orders)
    so: dict[str, Any] = {
        "seconds": round(a.seconds, 2),
        "orders_per_second": round(orders / a.seconds, 1),
        "cpu_seconds_a_prefect": round(a.cpu_seconds, 2),
        "cpu_ms_per_order_a": round(1000 * a.cpu_seconds / orders, 2),
        "main_thread_cpu_seconds_a": round(a.main_thread_cpu_seconds, 2),
        "emulator_cpu_seconds_a": {k: round(v, 2) for k, v in a.emulator_cpu_seconds.items()},
        "outcomes_a": figures.summary_counts(a.result),
        "api": api,
        "calls_per_order": round(figures.total_calls(api) / orders, 3),
        "status_429": sum(r["status_429"] for r in api.values()),
    }
    if b is not None:
        share = (a.cpu_seconds - b.cpu_seconds) / a.cpu_seconds if a.cpu_seconds else 0.0
        so.update({
            "cpu_seconds_b_bypassed": round(b.cpu_seconds, 2),
            "seconds_b_bypassed": round(b.seconds, 2),
            "orders_per_second_b_bypassed": round(orders / b.seconds, 1),
            "prefect_cpu_share_percent": round(100 * share, 1),
            "cpu_ms_per_order_b": round(1000 * b.cpu_seconds / orders, 2),
            "main_thread_cpu_seconds_b": round(b.main_thread_cpu_seconds, 2),
            "same_api_calls_in_a_and_b": (
                figures.work_signature(a.calls) == figures.work_signature(b.calls)
            ),
            "outcomes_b": figures.summary_counts(b.result),
        })  # fmt: skip
    return so


def _naive_figures(orders: int, naive: Measured, engine: dict[str, Any]) -> dict[str, Any]:
    api = figures.api_calls(naive.calls, orders)
    report = {
        "seconds": round(naive.seconds, 2),
        "orders_per_second": round(orders / naive.seconds, 1),
        "cpu_seconds": round(naive.cpu_seconds, 2),
        "outcomes": naive.result,
        "api": api,
        "calls_per_order": round(figures.total_calls(api) / orders, 3),
        "status_429": sum(r["status_429"] for r in api.values()),
    }
    report["comparison"] = figures.naive_comparison(engine, report)
    return report


def _no_op(runs: list[Measured], flow: str, entity: str | None, **extra: Any) -> dict[str, Any]:
    """The median of repeated no-op runs; the calls of that run (every repeat makes the same)."""
    run = median_run(runs)
    api = figures.api_calls(run.calls, 1)
    return {
        **extra,
        "seconds": round(run.seconds, 2),
        "seconds_each": [round(r.seconds, 2) for r in runs],
        "cpu_seconds": round(run.cpu_seconds, 2),
        "records_read": figures.records_read(figures.summary_counts(run.result), entity),
        "outcomes": figures.summary_counts(run.result),
        "source_list_calls": figures.list_calls(api, flow),
        "calls": figures.total_calls(api),
        "api": api,
    }


def _master(label: str, first: Measured, again: list[Measured]) -> dict[str, Any]:
    counts = figures.summary_counts(first.result)
    records = figures.records_read(counts)
    api = figures.api_calls(first.calls, records)
    return {
        "flow": label,
        "first": {
            "seconds": round(first.seconds, 2), "cpu_seconds": round(first.cpu_seconds, 2),
            "records": records, "outcomes": counts, "api": api,
            "source_list_calls": figures.list_calls(api, label),
        },
        "no_op": _no_op(again, label, entity=None),
    }  # fmt: skip


def build_report(orders: int, runs: dict[str, Any], seeding: dict[str, Any]) -> dict[str, Any]:
    """The JSON results: every figure of the runs that were made."""
    so = _sales_orders(orders, runs["a"], runs.get("b"))
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "orders": orders,
        "seeding": seeding,
        "sales_orders": so,
        "memory": {"benchmark_process_peak_rss_mb": peak_rss_mb()},
        "master_data": [_master(*flow) for flow in runs["master"]],
    }
    if "naive" in runs:
        report["naive"] = _naive_figures(orders, runs["naive"], so)
    if "noop_default" in runs:
        default = _no_op(runs["noop_default"], "sales_orders", "order",
                         overlap_minutes=runs["noop_overlap_minutes"])  # fmt: skip
        zero = _no_op(runs["noop_zero"], "sales_orders", "order", overlap_minutes=0)
        report["no_op"] = {
            "default_overlap": default,
            "no_overlap": zero,
            "seconds_ratio": figures.ratio(default["seconds"], zero["seconds"]),
            "cpu_seconds_ratio": figures.ratio(default["cpu_seconds"], zero["cpu_seconds"]),
        }
    if "rss" in runs:
        sync = runs["rss"]
        report["memory"]["sync_process"] = sync
        if len(sync) > 1 and all("peak_rss_mb" in run for run in sync):
            growth = sync[-1]["peak_rss_mb"] - sync[0]["peak_rss_mb"]
            report["memory"]["growth_mb"] = round(growth, 1)
    profiled = runs.get("profiled")
    if profiled is not None and profiled.profile is not None:
        so["profiled_seconds"] = round(profiled.seconds, 2)
        so["prefect_hotspots_a"] = figures.prefect_hotspots(profiled.profile, "cumulative_seconds")
        so["prefect_own_time_a"] = figures.prefect_hotspots(profiled.profile, "own_seconds")
    return report


def _print_calls(api: dict[str, Any], unit: str) -> None:
    for system, report in api.items():
        print(
            f"    {system:<12} {report['calls']:>7} calls  {report['calls_per_record']:>7} "
            f"per {unit}  429s: {report['status_429']}"
        )
        for endpoint, row in report["endpoints"].items():
            print(f"        {row['per_record']:>8} per {unit}  {row['calls']:>7}  {endpoint}")


def print_report(report: dict[str, Any], runs: dict[str, Any]) -> None:
    """The detail per run (calls per endpoint, outcomes), then the table of every figure."""
    so, n = report["sales_orders"], report["orders"]
    print(f"\nsales orders, {n:,} shipped orders")
    print(
        f"  {'run':<28} {'seconds':>8} {'orders/s':>9} {'CPU s':>8} {'CPU ms/order':>13} "
        f"{'main thread CPU s':>18}"
    )
    for key in ("a", "b", "naive"):
        run = runs.get(key)
        if run is not None:
            print(
                f"  {run.label:<28} {run.seconds:>8.2f} {n / run.seconds:>9.1f} "
                f"{run.cpu_seconds:>8.2f} {1000 * run.cpu_seconds / n:>13.2f} "
                f"{run.main_thread_cpu_seconds:>18.2f}"
            )
    if "same_api_calls_in_a_and_b" in so:
        print(f"  same API calls in A and B: {'yes' if so['same_api_calls_in_a_and_b'] else 'NO'}")
    print(f"  outcomes (A): {so['outcomes_a']}")
    emulator_cpu = ", ".join(f"{k} {v:.2f} s" for k, v in so["emulator_cpu_seconds_a"].items())
    print(f"  emulator processes' CPU during A: {emulator_cpu}")
    print("  API calls during A:")
    _print_calls(so["api"], "order")
    if "naive" in report:
        print(f"  naive outcomes: {report['naive']['outcomes']}")
        print("  API calls of the naive baseline:")
        _print_calls(report["naive"]["api"], "order")
    for key, run in report.get("no_op", {}).items():
        if isinstance(run, dict):
            print(
                f"  no-op runs ({key}, {run['overlap_minutes']} min): seconds "
                f"{run['seconds_each']}, {run['outcomes']}"
            )
            _print_calls(run["api"], "run")
    if "prefect_hotspots_a" in so:
        print("  top Prefect functions by cumulative time (run A, main thread, cProfile):")
        for row in so["prefect_hotspots_a"]:
            print(f"    {row['cumulative_seconds']:>8.3f} s {row['calls']:>8}  {row['function']}")
        print("  top Prefect functions by own time (same profile):")
        for row in so["prefect_own_time_a"]:
            print(f"    {row['own_seconds']:>8.3f} s {row['calls']:>8}  {row['function']}")
    for row in report["master_data"]:
        first = row["first"]
        print(f"\n{row['flow']}: {first['records']} records, outcomes {first['outcomes']}")
        _print_calls(first["api"], "record")
        print(f"  no-op runs: seconds {row['no_op']['seconds_each']}, {row['no_op']['outcomes']}")
        _print_calls(row["no_op"]["api"], "run")
    print()
    print(figures.format_table(figures.figure_rows(report)))


if __name__ == "__main__":
    main()
