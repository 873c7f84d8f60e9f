"""The sync benchmark's report: the JSON results from the measured runs, and what is printed
(the detail of each run, then the table of every figure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from benchmarks import figures
from benchmarks.measure import Measured, median_run
from benchmarks.rss_probe import peak_rss_mb


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


def _naive_figures(orders: int, naive: Measured, engine: dict[str, Any] | None) -> dict[str, Any]:
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
    if engine is not None:
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
    so = _sales_orders(orders, runs["a"], runs.get("b")) if "a" in runs else None
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
    so, n = report.get("sales_orders") or {}, report["orders"]
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
    if so:
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
