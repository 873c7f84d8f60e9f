"""The one exactly-once write path, used by every create of every flow (child writes included).

Neither Visma API takes an idempotency key, so a create is:

1. claimed in the ledger (``in_flight``; exactly one owner),
2. looked up in the target by its searchable key when an earlier attempt's outcome is unknown
   (the claim found the row ``in_flight``), and adopted when found,
3. otherwise written carrying that key,
4. marked done with the target's key.

A write that fails settles here too: a refusal or a request that never left goes to the
failure queue with the API's message; a write whose outcome is unknown stays ``in_flight``,
which keeps it in the failure queue and makes the next attempt look it up first.
"""

from __future__ import annotations

from collections.abc import Callable

from vismasync.connectors.http import ApiError
from vismasync.engine.run import RunContext
from vismasync.engine.work import Batch, Outcome, WorkItem
from vismasync.store.database import get_engine
from vismasync.store.ledger import Ledger


def ledger_for(ctx: RunContext, entity: str) -> Ledger:
    """The ledger rows of one entity of the run's flow, written on behalf of this run."""
    return Ledger(get_engine(), ctx.integration, ctx.flow, entity, ctx.run_id)


def outcome_unknown(exc: ApiError) -> bool:
    """A write that failed this way may still have been applied by the target."""
    return exc.outcome_unknown


def settle_failure(
    ledger: Ledger, item: WorkItem, exc: ApiError, what: str, *, claimed: bool = True
) -> None:
    """Record a write that failed (see the module docstring) and fail the item.

    ``claimed``: the write was a claimed create. An unclaimed write (an update, a balance) is
    idempotent, so whatever its outcome it simply goes to the failure queue to be sent again.
    """
    cls = exc.error_class.value
    if claimed and outcome_unknown(exc):
        # The row stays in flight: it holds the watermark, sits in the failure queue, and the
        # next attempt looks the record up before writing again.
        item.fail(cls, f"{what} {item.label}: outcome unknown, looked up before the next "
                       f"attempt: {exc}", recorded=True)  # fmt: skip
        ledger.note_in_flight(item.key, cls, item.message or "")
        return
    verb = {"not_sent": "could not be sent", "unknown": "got no answer"}.get(
        exc.write_outcome.value, "was refused"
    )
    item.fail(cls, f"{what} {item.label} {verb}: {exc}", recorded=True)
    ledger.mark_failed(item.key, cls, item.message or "", source_changed_at=item.changed_at)


def write_once(
    ctx: RunContext,
    ledger: Ledger,
    item: WorkItem,
    *,
    what: str,
    create: Callable[[], str],
    find: Callable[[], str | None],
    adopt: Callable[[str], Outcome] | None = None,
    content_hash: str | None = None,
    look_first: bool = False,
) -> None:
    """Create ``item`` in its target exactly once; the outcome lands on the item.

    Args:
        what: the kind of record, for messages ("sales order", "contact person").
        create: writes the record carrying its searchable key; returns the target's key.
        find: looks the record up by that key; returns the target's key or None.
        adopt: brings a record found by ``find`` up to date; returns the outcome
            ("updated" or "unchanged"). Without it, a found record counts as unchanged.
        content_hash: stored with the done row (what "unchanged" is compared against).
        look_first: look the record up even on a first attempt (the target may hold it
            already from elsewhere, e.g. the contact person of a customer found by e-mail).
    """
    if ctx.dry_run:
        item.settle("created")
        return
    claim = ledger.claim(item.key, source_changed_at=item.changed_at, recover_in_flight=True)
    if not claim.owned:
        item.skip(f"another writer holds this {what}")
        item.recorded = True
        return
    try:
        found = find() if claim.outcome_unknown or look_first else None
        if found is not None:
            outcome: Outcome = adopt(found) if adopt is not None else "unchanged"
            target_key = found
        else:
            target_key, outcome = create(), "created"
    except ApiError as exc:
        settle_failure(ledger, item, exc, what)
        return
    ledger.mark_done(item.key, target_key, content_hash)
    item.settle(outcome, target_key)
    item.recorded = True


def write_update(
    ctx: RunContext,
    ledger: Ledger,
    item: WorkItem,
    *,
    what: str,
    update: Callable[[], Outcome],
    content_hash: str | None = None,
) -> None:
    """Apply an update to a record the target already holds (an update is idempotent: it needs
    no claim), then mark it done; failures settle like creates."""
    try:
        outcome = update()
    except ApiError as exc:
        if ctx.dry_run:
            item.fail(exc.error_class.value, f"{what} {item.label}: {exc}")
        else:
            settle_failure(ledger, item, exc, what, claimed=False)
        return
    if not ctx.dry_run:
        ledger.mark_done(item.key, item.target_key, content_hash)
        item.recorded = True
    item.settle(outcome)


def write_planned(
    ctx: RunContext,
    batch: Batch,
    *,
    entity: str,
    what: str,
    update: Callable[[WorkItem], Outcome],
    create: Callable[[WorkItem], str] | None = None,
    find: Callable[[WorkItem], str | None] | None = None,
) -> None:
    """Carry out what a plan step decided for each item of ``batch``: ``update`` the target
    record it found (``item.target_key``), or create it exactly once (``create`` carrying the
    searchable key, ``find`` looking it up; a record found is adopted through ``update``)."""
    ledger = ledger_for(ctx, entity)
    for item in batch.planned():
        if item.action == "update" or create is None or find is None:
            write_update(ctx, ledger, item, what=what, update=lambda item=item: update(item),
                         content_hash=item.source_hash)  # fmt: skip
            continue

        def adopt(target_key: str, item: WorkItem = item) -> Outcome:
            item.target_key = target_key
            return update(item)

        write_once(
            ctx, ledger, item, what=what,
            create=lambda item=item: create(item), find=lambda item=item: find(item),
            adopt=adopt, content_hash=item.source_hash,
        )  # fmt: skip
