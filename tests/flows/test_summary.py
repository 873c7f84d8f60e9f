"""Run summaries: counts, the failure report, and their artifacts in Prefect."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from vismasync.engine.summary import RunSummary, publish


def _summary() -> RunSummary:
    summary = RunSummary(flow="sales_orders", integration="acme")
    summary.count("order", "read", 3)
    summary.count("order", "created")
    summary.count("customer", "updated")
    summary.fail("order", "1042", "data", "Item SKU-0111 does not exist | in Visma.net")
    summary.watermark_from = datetime(2026, 1, 1, tzinfo=UTC)
    summary.watermark_to = datetime(2026, 1, 2, tzinfo=UTC)
    return summary


def test_counts_table_and_failures():
    summary = _summary()
    assert summary.failed == 1
    assert summary.table() == [
        {"entity": "customer", "read": 0, "created": 0, "updated": 1, "unchanged": 0,
         "skipped": 0, "failed": 0},
        {"entity": "order", "read": 3, "created": 1, "updated": 0, "unchanged": 0,
         "skipped": 0, "failed": 1},
    ]  # fmt: skip
    report = summary.failure_report()
    assert "| order | 1042 | data | Item SKU-0111 does not exist \\| in Visma.net |" in report
    assert "Fix the record" in report
    assert "2026-01-01T00:00:00+00:00 -> 2026-01-02T00:00:00+00:00" in summary.text()


def test_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="unknown outcome"):
        RunSummary(flow="f", integration="i").count("order", "exploded")


def test_merge_adds_counts_and_failures():
    total = _summary()
    total.merge(_summary())
    assert total.counts["order"]["read"] == 6
    assert len(total.failures) == 2


def test_publish_creates_summary_and_failure_artifacts(prefect_server):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    @flow
    def reporting_flow() -> None:
        publish(_summary())

    reporting_flow()

    async def read(key: str):
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )

    tables = asyncio.run(read("acme-sales-orders-summary"))
    reports = asyncio.run(read("acme-sales-orders-failures"))
    assert tables and tables[0].type == "table"
    assert "1042" in str(reports[0].data)
