"""The benchmark's figures from what the runs measured, and the table that prints them (pure:
no emulators, no Prefect)."""

from __future__ import annotations

import os
import re
from typing import Any

# The list call that reads each flow's source records: (system, "METHOD route").
SOURCE_LISTS = {
    "sales_orders": ("eaccounting", "GET /v2/orders"),
    "customers": ("vismanet", "GET /API/v1/customer"),
    "products": ("vismanet", "GET /API/v1/inventory"),
    "stock": ("vismanet", "GET /API/v1/inventory"),
}


def summary_counts(result: Any) -> dict[str, dict[str, int]]:
    """Outcome counts per entity from a flow's summary text (``  order: read 5, created 5``)."""
    summary = result.get("summary", "") if isinstance(result, dict) else result
    counts: dict[str, dict[str, int]] = {}
    for line in str(summary or "").splitlines()[1:]:
        match = re.match(r"\s+([\w ]+): ((?:\w+ \d+(?:, )?)+)$", line)
        if match and not line.strip().startswith(("FAILED", "note:")):
            pairs = re.findall(r"(\w+) (\d+)", match.group(2))
            counts[match.group(1)] = {outcome: int(n) for outcome, n in pairs}
    return counts


def records_read(counts: dict[str, dict[str, int]], entity: str | None = None) -> int:
    """Records a run read: of ``entity``, else of every entity (outcomes when none says read)."""
    if entity is not None:
        return counts.get(entity, {}).get("read", 0)
    return sum(c.get("read", 0) for c in counts.values()) or sum(
        sum(c.values()) for c in counts.values()
    )


def api_calls(calls: dict[str, dict[str, Any]], per: int) -> dict[str, Any]:
    """Per system (from the emulators' request counters): calls in all, per record, per
    endpoint, and the 429 answers."""
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


def total_calls(api: dict[str, Any]) -> int:
    return sum(int(system["calls"]) for system in api.values())


def list_calls(api: dict[str, Any], flow: str) -> int:
    """Calls of the list endpoint that reads the flow's source records."""
    system, endpoint = SOURCE_LISTS[flow]
    return int(api.get(system, {}).get("endpoints", {}).get(endpoint, {}).get("calls", 0))


def work_signature(calls: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What a run did to the two systems: the same for A and B when the comparison is fair."""
    return {
        system: {(r["method"], r["route"]): r["count"] for r in report["counts"]}
        for system, report in calls.items()
    }


def ratio(numerator: float | None, denominator: float | None, digits: int = 2) -> float | None:
    """``numerator / denominator`` rounded, or None when either is missing or zero."""
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, digits)


def naive_comparison(engine: dict[str, Any], naive: dict[str, Any]) -> dict[str, Any]:
    """Engine ÷ naive throughput, and naive ÷ engine API calls per order (in all and per
    system): how far ahead of the naive design the engine is."""
    per_system = {
        system: ratio(naive["api"][system]["calls_per_record"], report["calls_per_record"])
        for system, report in engine["api"].items()
        if system in naive["api"]
    }
    return {
        "throughput_ratio": ratio(engine["orders_per_second"], naive["orders_per_second"]),
        "calls_ratio": ratio(naive["calls_per_order"], engine["calls_per_order"]),
        "calls_ratio_per_system": per_system,
    }


def prefect_hotspots(stats: Any, key: str, top: int = 10) -> list[dict[str, Any]]:
    """The ``top`` functions under ``prefect/`` of a ``pstats.Stats`` by ``key``
    (``cumulative_seconds``, or ``own_seconds``: time in the function itself)."""
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():
        normalized = filename.replace(os.sep, "/")
        if "/prefect/" in normalized:
            where = normalized.split("/prefect/", 1)[1]
            rows.append({
                "function": f"prefect/{where}:{line}({function})", "calls": calls,
                "cumulative_seconds": round(cumulative, 3), "own_seconds": round(own, 3),
            })  # fmt: skip
    rows.sort(key=lambda row: -row[key])
    return rows[:top]


# --- the table ------------------------------------------------------------------------------


def _num(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        text = f"{value:,}"
    else:  # three significant digits below 10 (0.078, 1.19), one decimal above (49.4)
        text = f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{text}{unit}"


def _per(report: dict[str, Any], system: str) -> Any:
    return report.get("api", {}).get(system, {}).get("calls_per_record")


def figure_rows(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every figure of a report as (figure, value, target) rows; parts not run are left out."""
    n = report["orders"]
    rows: list[tuple[str, str, str]] = []

    def add(figure: str, value: str, target: str = "") -> None:
        rows.append((figure, value, target))

    seeding = report.get("seeding")
    if seeding:
        add(f"seeding {n:,} orders: build+write, emulators start, reset (s)",
            f"{seeding.get('build_and_write_seconds')}, {seeding.get('emulators_start_seconds')}, "
            f"{seeding.get('emulator_reset_seconds')}")  # fmt: skip
        add(
            "  one page of 100 orders from the emulator (s)",
            _num(seeding.get("orders_page_seconds")),
        )
    so = report.get("sales_orders")
    if so:
        add(f"sales orders: orders/s ({n:,} orders, Prefect flow)", _num(so["orders_per_second"]))
        add("  Visma.net calls per order", _num(_per(so, "vismanet")),
            "<= 1.02 (known customers, items)")  # fmt: skip
        add("  eAccounting calls per order", _num(_per(so, "eaccounting")), "<= 0.01")
        add("  429 answers", _num(so["status_429"]), "0")
        if "prefect_cpu_share_percent" in so:
            add("  Prefect share of the sync's CPU", _num(so["prefect_cpu_share_percent"], " %"))
    naive = report.get("naive")
    if naive:
        cmp = naive.get("comparison", {})
        add("naive baseline: orders/s", _num(naive["orders_per_second"]))
        add("  Visma.net calls per order", _num(_per(naive, "vismanet")))
        add("  eAccounting calls per order", _num(_per(naive, "eaccounting")))
        add("  throughput, engine / naive", _num(cmp.get("throughput_ratio"), " x"), ">= 3 x")
        add("  API calls per order, naive / engine", _num(cmp.get("calls_ratio"), " x"))
    noop = report.get("no_op")
    if noop:
        for key, name in (("default_overlap", "default overlap"), ("no_overlap", "no overlap")):
            run = noop[key]
            add(f"no-op run, {name} ({run['overlap_minutes']} min): seconds, CPU s",
                f"{_num(run['seconds'])}, {_num(run['cpu_seconds'])}")  # fmt: skip
            add("  orders read again, order list calls",
                f"{run['records_read']:,}, {run['source_list_calls']}",
                "<= 1 list call" if key == "default_overlap" else "")  # fmt: skip
        add(
            "  cost, default overlap / none: seconds", _num(noop["seconds_ratio"], " x"), "<= 1.2 x"
        )
        add("  cost, default overlap / none: CPU s", _num(noop.get("cpu_seconds_ratio"), " x"))
    memory = report.get("memory", {})
    for run in memory.get("sync_process", []):
        peak = _num(run["peak_rss_mb"], " MB") if "peak_rss_mb" in run else "failed: see JSON"
        add(f"peak RSS of the sync process, {run['orders']:,} orders", peak)
    if memory.get("growth_mb") is not None:
        add(f"  growth, 1,000 -> {n:,} orders", _num(memory["growth_mb"], " MB"),
            "<= 20 MB (to 100,000)")  # fmt: skip
    if memory.get("benchmark_process_peak_rss_mb") is not None:
        add("peak RSS of the benchmark process (seeding, all runs)",
            _num(memory["benchmark_process_peak_rss_mb"], " MB"))  # fmt: skip
    for flow in report.get("master_data", []):
        first, again = flow["first"], flow.get("no_op")
        add(f"{flow['flow']}: records, seconds", f"{first['records']:,}, {_num(first['seconds'])}")
        add("  calls per record, eAccounting / Visma.net",
            f"{_num(_per(first, 'eaccounting'))} / {_num(_per(first, 'vismanet'))}")  # fmt: skip
        if again:
            add("  no-op run: seconds, calls, source list calls",
                f"{_num(again['seconds'])}, {again['calls']}, {again['source_list_calls']}",
                "no per-record calls")  # fmt: skip
    return rows


def format_table(rows: list[tuple[str, str, str]]) -> str:
    """Rows as aligned columns under a header."""
    header = ("figure", "value", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c}".rstrip() for a, b, c in [header, *rows]]
    lines.insert(1, "-" * (sum(widths) + 4))
    return "\n".join(lines)
