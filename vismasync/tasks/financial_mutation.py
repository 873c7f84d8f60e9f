"""The optional financial mutation: a Visma.net journal transaction per paid eAccounting invoice.

Exactly once, like every create: the ledger (entity ``payment``) is claimed first, the batch
carries our key as its number (``EAP<invoice number>``, own number series), and an attempt with
an unknown outcome looks that batch up before writing again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from vismasync.connectors.http import ApiError
from vismasync.connectors.vismanet.writes import JournalLineWrite, JournalTransactionWrite
from vismasync.flows.runtime import RunContext
from vismasync.flows.summary import RunSummary
from vismasync.store.database import get_engine
from vismasync.store.ledger import Ledger
from vismasync.store.models import LedgerStatus
from vismasync.tasks.connections import vismanet_client
from vismasync.tasks.documents import PAID, PAID_INVOICE
from vismasync.tasks.order_work import OrderWork

PAYMENT = "payment"
ENTITY = "journal transaction"


def paid_invoice(document: dict[str, Any]) -> dict[str, Any] | None:
    """The document's invoice when it is fully paid: the invoice itself, or the one an order
    was read through."""
    invoice = document.get(PAID_INVOICE) or (document if "InvoiceNumber" in document else None)
    if invoice is None or invoice.get("PaymentStatus") != PAID:
        return None
    return invoice


def journal_for(
    ctx: RunContext, item: OrderWork, invoice: dict[str, Any]
) -> JournalTransactionWrite:
    settings = ctx.config.flows.sales_orders.financial_mutation
    amount = Decimal(str(invoice.get("TotalAmountInvoiceCurrency") or 0))
    description = settings.description.format(invoice_number=invoice.get("InvoiceNumber"))
    when = invoice.get("PaymentDate") or invoice.get("InvoiceDate")
    return JournalTransactionWrite(
        batch_number=f"EAP{invoice.get('InvoiceNumber')}",
        override_number_series=True,
        transaction_date=datetime.fromisoformat(str(when)) if when else datetime.now(UTC),
        description=description,
        branch=item.branch,
        currency_id=invoice.get("CurrencyCode"),
        journal_transaction_lines=[
            JournalLineWrite(
                account_number=settings.debit_account or "",
                debit_amount_in_currency=amount,
                transaction_description=description,
                reference_number=item.ref,
            ),
            JournalLineWrite(
                account_number=settings.credit_account or "",
                credit_amount_in_currency=amount,
                transaction_description=description,
                reference_number=item.ref,
            ),
        ],
    )


@task(name="post-financial-mutations", cache_policy=NO_CACHE)
def post_financial_mutations(ctx: RunContext, work: list[OrderWork]) -> RunSummary:
    """Post one journal transaction per paid document that is in Visma.net."""
    summary = RunSummary(flow=ctx.flow, integration=ctx.integration, dry_run=ctx.dry_run)
    if not ctx.config.flows.sales_orders.financial_mutation.enabled:
        return summary
    ledger = Ledger(get_engine(), ctx.integration, ctx.flow, PAYMENT, ctx.run_id)
    known = ledger.get_many([item.key for item in work])
    client = vismanet_client(ctx.config)
    for item in work:
        invoice = paid_invoice(item.document)
        if invoice is None or item.outcome not in ("created", "exists", "would_create"):
            continue
        row = known.get(item.key)
        if row is not None and row.status == LedgerStatus.DONE:
            summary.count(ENTITY, "unchanged")
            continue
        journal = journal_for(ctx, item, invoice)
        if ctx.dry_run:
            summary.count(ENTITY, "created")
            continue
        claim = ledger.claim(item.key, source_changed_at=item.changed_at, recover_in_flight=True)
        if not claim.owned:
            continue
        try:
            found = (
                client.get_journal_transaction(journal.batch_number or "")
                if claim.outcome_unknown
                else None
            )
            number = found.batch_number if found else client.create_journal_transaction(journal)
        except ApiError as exc:
            summary.fail(ENTITY, item.label, exc.error_class.value, str(exc))
            if exc.error_class.value not in ("transient", "rate_limited"):
                ledger.mark_failed(item.key, exc.error_class.value, str(exc))
            continue
        ledger.mark_done(item.key, number, None)
        summary.count(ENTITY, "unchanged" if found else "created")
    return summary
