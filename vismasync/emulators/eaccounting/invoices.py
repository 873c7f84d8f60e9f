"""Rules for customer invoices, invoice drafts and invoice payments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from vismasync.emulators.eaccounting import spec
from vismasync.emulators.eaccounting.errors import (
    CanNotBeCreatedOrUpdated,
    EAccountingError,
    ValidationFailed,
    field_error,
)
from vismasync.emulators.eaccounting.masterdata import replace_object, require
from vismasync.emulators.eaccounting.odata_eval import parse_datetime
from vismasync.emulators.eaccounting.orders import (
    INVOICED,
    customer_fields,
    order_as_invoice,
    vat_rate,
)
from vismasync.emulators.eaccounting.store import Store, format_date
from vismasync.emulators.eaccounting.validation import validate
from vismasync.emulators.eaccounting.vouchers import fiscal_year_of

PAID, UNPAID, OVERDUE = 0, 1, 2
PARTIAL_PAYMENT, COMPLETE_PAYMENT, ROUNDING, BANK_CHARGE = 1, 2, 3, 4
# Fixed rates to the company currency (SEK) so totals in base currency are reproducible.
CURRENCY_RATES = {"SEK": 1.0, "NOK": 0.98, "DKK": 1.55, "EUR": 11.5, "USD": 10.6, "GBP": 13.4}
INVOICE_DEFAULTS: dict[str, Any] = {
    "SendType": 0, "IsCreditInvoice": False, "UsesGreenTechnology": False, "Persons": [],
}  # fmt: skip


FALSE_FLAGS = (
    "HasAutoInvoiceError", "IsNotDelivered", "IsSold", "IsDirectDebit", "PaymentReminderIssued",
    "ReverseChargeOnConstructionServices", "ReversedConstructionVatInvoicing",
    "RotReducedInvoicingAutomaticDistribution",
)  # fmt: skip


class FutureDateCannotBeSet(EAccountingError):
    error_code = 4023


def _invoice_rows(store: Store, rows: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    result = []
    for index, payload in enumerate(rows):
        row = replace_object("CustomerInvoiceRowApi", None, payload, {"IsVatFree": False})
        row["Id"] = store.new_id()
        row["LineNumber"] = index
        row["IsTextRow"] = not row.get("ArticleId")
        row["IsWorkCost"] = False
        if not row["IsTextRow"]:
            article = require(
                store, "articles", f"{prefix}[{index}].ArticleId", row["ArticleId"], "Article"
            )
            row["ArticleId"] = article["Id"]
            row["ArticleNumber"] = article["Number"]
            row["Text"] = row["Text"] or article["Name"]
            row["UnitId"] = article["UnitId"]
            row["IsServiceArticle"] = article["IsServiceArticle"]
            unit = store.find("units", article["UnitId"]) or {}
            row["UnitAbbreviation"] = unit.get("Abbreviation")
            row["UnitAbbreviationEnglish"] = unit.get("AbbreviationEnglish")
            if row["UnitPrice"] is None:
                row["UnitPrice"] = article.get("NetPrice") or 0.0
            row["Quantity"] = row["Quantity"] or 0.0
            row["PercentVat"] = 0.0 if row["IsVatFree"] else vat_rate(store, article)
            discount = 1 - (row["DiscountPercentage"] or 0.0)
            row["AmountNoVat"] = round(row["Quantity"] * row["UnitPrice"] * discount, 2)
        result.append(row)
    return result


def build_invoice(
    store: Store,
    payload: dict[str, Any],
    *,
    from_order: str | None = None,
    from_draft: str | None = None,
) -> dict[str, Any]:
    """Create a customer invoice (numbering, dates, totals, VAT specification)."""
    with store.lock:
        customer = require(store, "customers", "CustomerId", payload["CustomerId"], "Customer")
        terms_id = payload.get("TermsOfPaymentId") or customer["TermsOfPaymentId"]
        terms = require(store, "termsofpayments", "TermsOfPaymentId", terms_id, "Terms of payment")
        record = replace_object("CustomerInvoiceApi", None, payload, INVOICE_DEFAULTS)
        record["CustomerId"] = customer["Id"]
        record["TermsOfPaymentId"] = terms["Id"]
        record["Rows"] = _invoice_rows(store, payload.get("Rows") or [], "Rows")
        customer_fields(store, record, customer)
        record["CustomerEmail"] = customer.get("EmailAddress")
        record["ElectronicAddress"] = customer.get("ElectronicAddress")
        if payload.get("InvoiceDate"):
            invoice_date = parse_datetime(payload["InvoiceDate"])
            # An invoice is booked: its date must lie in a fiscal year (as for a voucher).
            fiscal_year_of(store, invoice_date.date())
        else:
            invoice_date = store.clock()
        record["InvoiceDate"] = format_date(invoice_date)
        try:
            due = invoice_date + timedelta(days=terms.get("NumberOfDays") or 0)
        except OverflowError:
            problem = field_error("InvoiceDate", "OutOfRange", "The due date is out of range.")
            raise ValidationFailed([problem]) from None
        record["DueDate"] = payload.get("DueDate") or format_date(due)
        currency = customer.get("CurrencyCode") or store.company.get("CurrencyCode") or "SEK"
        record["CurrencyCode"] = currency
        rate = record["CurrencyRate"] or CURRENCY_RATES.get(currency, 1.0)
        record["CurrencyRate"] = rate
        _totals(record, rate)
        now = store.now()
        record["Id"] = store.new_id()
        record["InvoiceNumber"] = store.next_number("NextCustomerInvoiceNumber")
        record["CreatedUtc"] = now
        record["ModifiedUtc"] = now
        record["CreatedFromOrderId"] = from_order
        record["CreatedFromDraftId"] = from_draft or record.get("CreatedFromDraftId")
        record["PaymentStatus"] = UNPAID
        for name in FALSE_FLAGS:
            record[name] = False
        for name in ("CreditedBy", "MessageThreads", "Notes", "SalesDocumentAttachments"):
            record[name] = []
        return render_invoice(store, store.put("customerinvoices", record))


def _totals(record: dict[str, Any], rate: float) -> None:
    by_rate: dict[float, list[float]] = {}
    includes_vat = bool(record.get("IncludesVat"))
    for row in record["Rows"]:
        if row["IsTextRow"]:
            continue
        amounts = by_rate.setdefault(row["PercentVat"], [0.0, 0.0])
        if includes_vat:
            # Unit prices include VAT: the row's gross amount is what the customer pays.
            gross = row["Quantity"] * row["UnitPrice"] * (1 - (row["DiscountPercentage"] or 0))
            row["AmountNoVat"] = round(gross / (1 + row["PercentVat"]), 2)
            amounts[0] += round(gross, 2)
            amounts[1] += round(gross, 2) * row["PercentVat"] / (1 + row["PercentVat"])
        else:
            amounts[0] += row["AmountNoVat"]
            amounts[1] += row["AmountNoVat"] * row["PercentVat"]
    if includes_vat:
        for amounts in by_rate.values():
            amounts[0] -= round(amounts[1], 2)  # net = gross - the VAT it contains
    net = sum(a[0] for a in by_rate.values())
    vat = round(sum(round(a[1], 2) for a in by_rate.values()), 2)
    total = round(net + vat, 2)
    record["VatSpecification"] = [
        {
            "AmountInvoiceCurrency": round(a[0], 2),
            "VatAmountInvoiceCurrency": round(a[1], 2),
            "VatPercent": percent,
        }
        for percent, a in sorted(by_rate.items())
    ]
    record["TotalAmountInvoiceCurrency"] = total
    record["TotalVatAmountInvoiceCurrency"] = vat
    record["TotalAmount"] = round(total * rate, 2)
    record["TotalVatAmount"] = round(vat * rate, 2)
    record["TotalRoundings"] = 0.0
    record["RemainingAmountInvoiceCurrency"] = total
    record["RemainingAmount"] = record["TotalAmount"]
    record["SetOffAmountInvoiceCurrency"] = 0.0


def render_invoice(store: Store, invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice as read now: an unpaid invoice past its due date is Overdue."""
    rendered = dict(invoice)
    if rendered["PaymentStatus"] != PAID and rendered.get("DueDate"):
        due = parse_datetime(rendered["DueDate"]).date()
        rendered["PaymentStatus"] = OVERDUE if due < store.clock().date() else UNPAID
    return rendered


def create_invoice(store: Store, payload: dict[str, Any]) -> dict[str, Any]:
    validate("CustomerInvoiceApi", payload)
    return build_invoice(store, payload)


def convert_order(store: Store, order_id: str) -> dict[str, Any]:
    """Invoice an order: a new customer invoice with ``CreatedFromOrderId``; order -> Invoiced."""
    with store.lock:
        order = store.get("orders", order_id)
        if order["Status"] == INVOICED:
            raise CanNotBeCreatedOrUpdated(
                "CanNotBeCreatedOrUpdated - The order has already been invoiced."
            )
        invoice = build_invoice(store, order_as_invoice(order), from_order=order["Id"])
        order["Status"] = INVOICED
        order["ModifiedUtc"] = store.now()
        return invoice


def add_payment(store: Store, invoice_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Register a payment; the invoice becomes Paid when nothing remains."""
    validate("InvoicePaymentApi", payload)
    with store.lock:
        invoice = store.get("customerinvoices", invoice_id)
        if payload["PaymentCurrency"] != invoice["CurrencyCode"]:
            raise ValidationFailed(
                [field_error("PaymentCurrency", "InvalidValue", "Must be the invoice currency.")]
            )
        paid_on = parse_datetime(payload["PaymentDate"])
        if paid_on.date() > store.clock().date():
            raise FutureDateCannotBeSet("FutureDateCannotBeSet - Future dates cannot be set.")
        if invoice["PaymentStatus"] == PAID:
            raise CanNotBeCreatedOrUpdated(
                "CanNotBeCreatedOrUpdated - The invoice is already paid."
            )
        remaining = invoice["RemainingAmountInvoiceCurrency"]
        if payload["PaymentType"] in (COMPLETE_PAYMENT, ROUNDING):
            remaining = 0.0
        else:
            remaining = round(remaining - payload["PaymentAmount"], 2)
        invoice["RemainingAmountInvoiceCurrency"] = max(remaining, 0.0)
        invoice["RemainingAmount"] = round(
            invoice["RemainingAmountInvoiceCurrency"] * invoice["CurrencyRate"], 2
        )
        if remaining <= 0:
            invoice["PaymentStatus"] = PAID
            invoice["PaymentDate"] = format_date(paid_on)
        invoice["ModifiedUtc"] = store.now()
        payment = spec.blank("InvoicePaymentApi") | {
            k: v for k, v in payload.items() if k in spec.writable("InvoicePaymentApi")
        }
        store.payments.append(payment | {"InvoiceId": invoice["Id"]})
        return payment


# --- drafts ----------------------------------------------------------------------------------
def save_draft(
    store: Store, payload: dict[str, Any], draft_id: str | None = None
) -> dict[str, Any]:
    validate("CustomerInvoiceDraftApi", payload)
    with store.lock:
        existing = store.get("customerinvoicedrafts", draft_id) if draft_id else None
        customer = require(store, "customers", "CustomerId", payload["CustomerId"], "Customer")
        record = replace_object("CustomerInvoiceDraftApi", existing, payload, {"Persons": []})
        record["CustomerId"] = customer["Id"]
        rows = []
        for index, row_payload in enumerate(payload.get("Rows") or []):
            row = replace_object("CustomerInvoiceDraftRowApi", None, row_payload, {})
            row["Id"] = store.new_id()
            row["LineNumber"] = row["LineNumber"] if row["LineNumber"] is not None else index
            if not row["IsTextRow"]:
                if not row.get("ArticleId"):
                    raise ValidationFailed(
                        [
                            field_error(
                                f"Rows[{index}].ArticleId",
                                "Required",
                                "ArticleId is required when IsTextRow is false.",
                            )
                        ]
                    )
                article = require(
                    store, "articles", f"Rows[{index}].ArticleId", row["ArticleId"], "Article"
                )
                row["ArticleNumber"] = article["Number"]
                row["Text"] = row["Text"] or article["Name"]
                row["UnitId"] = article["UnitId"]
                row["IsServiceArticle"] = article["IsServiceArticle"]
                replace_zero = row["UnitPrice"] == 0 and record.get("ReplaceUnitPriceWhenZero")
                if row["UnitPrice"] is None or replace_zero:
                    row["UnitPrice"] = article.get("NetPrice") or 0.0
            rows.append(row)
        record["Rows"] = rows
        customer_fields(store, record, customer)
        record["InvoiceCurrencyCode"] = customer.get("CurrencyCode") or store.company.get(
            "CurrencyCode"
        )
        net = sum(
            (r["Quantity"] or 0) * (r["UnitPrice"] or 0) * (1 - (r["DiscountPercentage"] or 0))
            for r in rows
        )
        vat = sum(
            (r["Quantity"] or 0) * (r["UnitPrice"] or 0) * (1 - (r["DiscountPercentage"] or 0))
            * vat_rate(store, store.get("articles", r["ArticleId"]))
            for r in rows if r.get("ArticleId")
        )  # fmt: skip
        record["TotalAmount"] = round(net + vat, 2)
        record["TotalVatAmount"] = round(vat, 2)
        record["TotalRoundings"] = 0.0
        record["Id"] = existing["Id"] if existing else store.new_id()
        record["CreatedUtc"] = existing["CreatedUtc"] if existing else store.now()
        return dict(store.put("customerinvoicedrafts", record))


def convert_draft(store: Store, draft_id: str) -> dict[str, Any]:
    """Book a draft: a customer invoice with ``CreatedFromDraftId``; the draft is consumed."""
    with store.lock:
        draft = store.get("customerinvoicedrafts", draft_id)
        keep = spec.writable("CustomerInvoiceApi")
        payload = {k: v for k, v in draft.items() if k in keep and k != "Rows"}
        payload["Rows"] = [
            {
                k: r.get(k)
                for k in ("ArticleId", "Text", "Quantity", "UnitPrice", "DiscountPercentage")
            }
            for r in draft["Rows"]
        ]
        invoice = build_invoice(store, payload, from_draft=draft["Id"])
        store.remove("customerinvoicedrafts", draft_id)
        return invoice
