"""A run survives malformed answers: the record whose write got one waits in the failure queue,
the rest of the batch commits, and the next run settles it exactly once.

The fault (``malformed_answers`` of ``/_emulator/faults``) lets the request run, then replaces
its answer's body: an HTML page, nothing, half of it, invalid JSON, or the API's error body
under the success status.
"""

from __future__ import annotations

from collections import Counter

import pytest

from vismasync.flows.customers import sync_customers
from vismasync.store.database import get_engine
from vismasync.store.ledger import list_entries
from vismasync.store.models import LedgerStatus


def _ea_customers(demo) -> Counter:
    customers = demo.ea_backend.store.data["customers"].values()
    return Counter((c.get("EmailAddress") or "").lower() for c in customers)


def _rows(demo, *statuses: LedgerStatus):
    return list_entries(get_engine(), integration=demo.name, flow="customers",
                        statuses=list(statuses))  # fmt: skip


# Every kind is covered per connector in tests/connectors/test_malformed_answers.py; one kind
# keeps the flow-level proof fast.
@pytest.mark.parametrize("kind", ["error_in_200"])
def test_a_malformed_answer_to_a_write_leaves_one_record_in_the_queue(demo, kind):
    before = _ea_customers(demo)
    demo.eaccounting.admin.put("/_emulator/faults", json={
        "path_prefix": "/v2/customers", "methods": ["POST"], "malformed_answers": 1,
        "malformed_kind": kind,
    }).raise_for_status()  # fmt: skip

    result = sync_customers(demo.name)  # the run ends normally

    (queued,) = _rows(demo, LedgerStatus.IN_FLIGHT)
    assert queued.error_class == "transient" and "malformed answer" in (queued.message or "")
    assert "outcome unknown" in queued.message
    created = sum(_ea_customers(demo).values()) - sum(before.values())
    (row,) = result["table"]
    assert created == int(row["created"]) + 1 and int(row["failed"]) == 1, result["summary"]

    again = sync_customers(demo.name)

    assert not _rows(demo, LedgerStatus.IN_FLIGHT)
    after = _ea_customers(demo)
    assert not {k: n for k, n in after.items() if k and n > max(1, before.get(k, 0))}
    assert sum(after.values()) == sum(before.values()) + created, again["summary"]


def test_malformed_answers_to_reads_are_retried_within_the_run(demo):
    demo.vismanet.admin.put("/_emulator/faults", json={
        "path_prefix": "/API/v1/customer", "methods": ["GET"], "malformed_answers": 2,
        "malformed_kind": "truncated",
    }).raise_for_status()  # fmt: skip

    result = sync_customers(demo.name)

    assert not _rows(demo, LedgerStatus.IN_FLIGHT, LedgerStatus.PENDING), result["summary"]
    assert demo.vismanet.admin.get("/_emulator/faults").json()["malformed_answers"] == 0
