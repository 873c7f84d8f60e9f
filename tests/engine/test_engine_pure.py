"""The engine's pure parts: what counts as a change, the cursor, and how the queue is sorted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from vismasync.engine.change import cursor_for, settings_fingerprint, source_hash
from vismasync.engine.entity import ChildWrite, EntitySpec
from vismasync.engine.queue import sort_rows
from vismasync.engine.summary import RunSummary
from vismasync.engine.work import Batch, SourceRecord, TakenKeys, WorkItem


class Settings(BaseModel):
    enabled: bool = True
    batch_size: int = 100
    overlap_minutes: int = 10
    tax_code: str = "1"


def test_the_source_hash_follows_the_record_and_the_mapping_settings_only():
    record = {"number": "10001", "name": "Ångström & Söner", "metadata": {"totalCount": 20}}
    base = source_hash(record, settings_fingerprint(Settings()))

    # Paging metadata describes the read, not the record.
    same_read_again = {**record, "metadata": {"totalCount": 11}}
    assert source_hash(same_read_again, settings_fingerprint(Settings())) == base
    # Batch size and overlap shape no mapping.
    assert source_hash(record, settings_fingerprint(Settings(batch_size=7))) == base
    # A changed record or a changed mapping setting makes the record due again.
    assert source_hash({**record, "name": "Other"}, settings_fingerprint(Settings())) != base
    assert source_hash(record, settings_fingerprint(Settings(tax_code="2"))) != base


def test_the_cursor_is_the_watermark_minus_the_overlap():
    watermark = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert cursor_for(watermark, 10) == watermark - timedelta(minutes=10)
    assert cursor_for(None, 10) is None


def _retry(ctx, keys):  # pragma: no cover - never called here
    raise AssertionError


def test_the_queue_sends_each_row_to_whoever_retries_it():
    customers = ChildWrite("customer", "customer", retry=_retry)
    spec = EntitySpec(
        flow="sales_orders", prefect_name="x", description="x", command="x", noun="x",
        keys_help="x", source="x", entrypoint="m:f", entity=lambda config: "order",
        label=lambda record: record.key, read_by_keys=_retry, steps=(), read_page=_retry,
        children=(customers, ChildWrite("payment", "journal transaction")),
    )  # fmt: skip
    rows = [("order", "o1"), ("payment", "o2"), ("payment", "o1"), ("customer", "c1"),
            ("article", "unrelated"), ("customer", "c1")]  # fmt: skip

    queued = sort_rows(spec, "order", rows)

    # A journal transaction is retried through its document; a customer through its own retry.
    assert queued.records == ["o1", "o2"]
    assert queued.children == {customers: ["c1"]}


def test_a_batch_hands_out_open_and_planned_items():
    now = datetime.now(UTC)
    items = [WorkItem(str(n), f"#{n}", now, {}) for n in range(4)]
    items[0].settle("unchanged")
    items[1].fail("data", "bad")
    items[2].action = "create"
    batch = Batch("order", items, RunSummary("sales_orders", "it"))

    assert [i.key for i in batch.open()] == ["2", "3"]
    assert [i.key for i in batch.planned()] == ["2"]
    assert "4 records" in repr(batch)


def test_a_refusal_during_a_run_names_the_system_and_its_fix():
    from vismasync.config.loader import parse_config
    from vismasync.connectors.http import AuthError, ErrorClass
    from vismasync.deployments.demo_integration import demo_config_text
    from vismasync.engine.preflight import refused_on_the_way

    text = demo_config_text("acme", "https://api.ea.example", "https://vn.example")
    config = parse_config(text.replace("identity_url: https://api.ea.example",
                                       "identity_url: https://id.ea.example"))  # fmt: skip

    def refused(url: str) -> str:
        return refused_on_the_way(AuthError("invalid_grant", error_class=ErrorClass.AUTH,
                                            url=url), config)  # fmt: skip

    for url in ("https://id.ea.example/connect/token", "https://api.ea.example/v2/customers"):
        assert "eAccounting refused the stored authorization" in refused(url)
        assert refused(url).endswith("To fix: vismasync authorize --integration acme")
    visma_net = refused("https://vn.example/connect/token")
    assert visma_net.startswith("Visma.net refused the client credentials during the run")
    assert visma_net.endswith("To fix: vismasync check --integration acme")


def test_taken_keys_hold_the_queue_and_the_newest_instant_only():

    start = datetime(2026, 1, 1, tzinfo=UTC)

    def record(key: str, second: int) -> SourceRecord:
        return SourceRecord(key, start + timedelta(seconds=second), {})

    taken = TakenKeys()
    taken.add([record("q1", 500)], from_queue=True)
    taken.add([record(f"r{i}", i) for i in range(1000)] + [record("last-twin", 999)])

    # The next page starts at the newest instant, inclusive: those records come back, and are
    # recognised; a queued record is recognised wherever the read meets it again.
    assert record("r999", 999) in taken and record("last-twin", 999) in taken
    assert record("q1", 700) in taken
    assert record("new", 999) not in taken and record("r999", 1000) not in taken
    # Nothing older is kept: a run of any length holds one instant's keys.
    assert taken.at_instant == {"r999", "last-twin"} and taken.retried == {"q1"}
    taken.add([record("later", 1000)])
    assert record("r999", 999) not in taken and record("later", 1000) in taken
