"""The optional financial mutation: a Visma.net journal transaction per paid eAccounting invoice.

A child write of the document with ledger rows of its own (entity ``payment``, keyed by the
document): created through the exactly-once write path with our key as its batch number
(``EAP<invoice number>``, own number series), looked up by that number when an earlier
attempt's outcome is unknown. Unsettled rows stay in the failure queue, which re-reads their
documents until the journal transaction lands.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.connectors.vismanet.writes import JournalLineWrite, JournalTransactionWrite
from vismasync.engine.clients import vismanet_client
from vismasync.engine.concurrent import for_each_concurrently
from vismasync.engine.run import RunContext
from vismasync.engine.runner import count_items
from vismasync.engine.work import Batch, WorkItem
from vismasync.engine.write_once import ledger_for, write_once
from vismasync.mappings.sales_orders import is_paid
from vismasync.store.models import LedgerStatus
from vismasync.tasks.sales_orders.read import PAID_INVOICE

PAYMENT = "payment"
NOUN = "journal transaction"


def paid_invoice(document: dict[str, Any]) -> dict[str, Any] | None:
    """The document's invoice when it is fully paid: the invoice itself, or the one an order
    was read through."""
    invoice = document.get(PAID_INVOICE) or (document if "InvoiceNumber" in document else None)
    return invoice if invoice is not None and is_paid(invoice) else None


def journal_for(
    ctx: RunContext, item: WorkItem, invoice: dict[str, Any]
) -> JournalTransactionWrite:
    settings = ctx.config.flows.sales_orders.financial_mutation
    amount = Decimal(str(invoice.get("TotalAmountInvoiceCurrency") or 0))
    description = settings.description.format(invoice_number=invoice.get("InvoiceNumber"))
    when = invoice.get("PaymentDate") or invoice.get("InvoiceDate")
    ref = item.extra["ref"]
    return JournalTransactionWrite(
        batch_number=f"EAP{invoice.get('InvoiceNumber')}",
        override_number_series=True,
        transaction_date=datetime.fromisoformat(str(when)) if when else datetime.now(UTC),
        description=description,
        branch=item.extra.get("branch"),
        currency_id=invoice.get("CurrencyCode"),
        journal_transaction_lines=[
            JournalLineWrite(
                account_number=settings.debit_account or "",
                debit_amount_in_currency=amount,
                transaction_description=description,
                reference_number=ref,
            ),
            JournalLineWrite(
                account_number=settings.credit_account or "",
                credit_amount_in_currency=amount,
                transaction_description=description,
                reference_number=ref,
            ),
        ],
    )


@task(name="post-financial-mutations", cache_policy=NO_CACHE)
def post_financial_mutations(ctx: RunContext, batch: Batch) -> None:
    """Post one journal transaction per paid document that is in Visma.net."""
    if not ctx.config.flows.sales_orders.financial_mutation.enabled:
        return
    eligible = [
        item for item in batch
        if item.outcome in ("created", "unchanged") and paid_invoice(item.source) is not None
    ]  # fmt: skip
    if not eligible:
        return
    ledger = ledger_for(ctx, PAYMENT)
    known = ledger.get_many([item.key for item in eligible])
    client = vismanet_client(ctx.config)
    journals: list[tuple[WorkItem, JournalTransactionWrite]] = []
    for item in eligible:
        row = known.get(item.key)
        if row is not None and row.status == LedgerStatus.DONE:
            continue
        child = WorkItem(item.key, f"of {item.label}", item.changed_at, item.source,
                         extra={"ref": item.extra.get("ref")})  # fmt: skip
        journals.append((child, journal_for(ctx, item, paid_invoice(item.source) or {})))

    def post(entry: tuple[WorkItem, JournalTransactionWrite]) -> None:
        child, journal = entry

        def find() -> str | None:
            found = client.get_journal_transaction(journal.batch_number or "")
            return found.batch_number if found else None

        write_once(
            ctx, ledger, child, what=NOUN,
            create=lambda: client.create_journal_transaction(journal), find=find,
        )  # fmt: skip

    for_each_concurrently(journals, post, ctx.config.vismanet.write_concurrency)
    if journals:
        count_items(batch.summary, NOUN, [child for child, _ in journals])
