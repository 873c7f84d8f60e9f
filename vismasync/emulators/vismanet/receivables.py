"""Receivables: customer invoices (AR301000) and journal transactions (GL301000)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from vismasync.emulators.vismanet.errors import BadRequestError, NotFoundError, ValidationError
from vismasync.emulators.vismanet.pricing import ZERO, document_totals, price_line
from vismasync.emulators.vismanet.query import date_condition, parse_filter_datetime
from vismasync.emulators.vismanet.salesorders import _date
from vismasync.emulators.vismanet.state import CompanyState, Record, filter_records, money, snapshot

INVOICE_EQUALS = {
    "documentType": lambda i: i.get("documentType"),
    "status": lambda i: i.get("status"),
    "externalReference": lambda i: i.get("externalReference"),
    "paymentReference": lambda i: i.get("paymentReference"),
    "customerRefNumber": lambda i: i.get("customerRefNumber"),
    "customer": lambda i: i["customer"]["number"],
    "branch": lambda i: (i.get("branchNumber") or {}).get("number"),
    "financialPeriod": lambda i: i.get("financialPeriod"),
}
INVOICE_DATES = ("documentDate", "documentDueDate", "lastModifiedDateTime", "createdDateTime")


class ReceivablesRules:
    """Customer invoices and journal transactions of one company."""

    def __init__(self, state: CompanyState) -> None:
        self.state = state

    # ----- customer invoices -----------------------------------------------------------------
    def get_invoice(self, number: str) -> Record:
        with self.state.lock:
            invoice = self.state.invoices.get(number)
            if invoice is None:
                raise NotFoundError(f"Customer invoice '{number}' not found.")
            return snapshot(invoice)

    def list_invoices(self, params: dict[str, str]) -> list[Record]:
        with self.state.lock:
            matched = filter_records(
                sorted(self.state.invoices.values(), key=lambda i: i["referenceNumber"]),
                equals=INVOICE_EQUALS,
                params=params,
                dates={name: (lambda i, n=name: i.get(n)) for name in INVOICE_DATES},
                conditions={name: date_condition(params, name) for name in INVOICE_DATES},
            )
            return [snapshot(i) for i in matched]

    def create_invoice(self, dto: dict[str, Any]) -> str:
        """Insert an invoice from an unwrapped CustomerInvoiceUpdateDto; returns its number."""
        with self.state.lock:
            state = self.state
            fail = "Error creating customer invoice."
            customer = state.customers.get(dto.get("customerNumber") or "")
            if customer is None:
                raise ValidationError(
                    f"{fail} Customer '{dto.get('customerNumber') or ''}' does not exist."
                )
            if dto.get("overrideNumberSeries") is True:
                number = (dto.get("referenceNumber") or "").strip()
                if not number:
                    raise ValidationError(f"{fail} 'Reference Nbr.' cannot be empty.")
                if number in state.invoices:
                    raise ValidationError(f"{fail} Invoice '{number}' already exists.")
            else:
                number = self._next("invoice", 100001, state.invoices)
            lines = [
                self._invoice_line(i, line, fail)
                for i, line in enumerate(dto.get("invoiceLines") or [], start=1)
                if isinstance(line, dict)
            ]
            if not lines:
                raise ValidationError(f"{fail} The document must have at least one line.")
            branch = state.branches.get(str(dto.get("branchNumber") or "")) or next(
                (b for b in state.branches.values() if b.get("isMainBranch")), None
            )
            if (
                dto.get("branchNumber") is not None
                and str(dto["branchNumber"]) not in state.branches
            ):
                raise ValidationError(f"{fail} Branch '{dto['branchNumber']}' does not exist.")
            currency = dto.get("currencyId") or customer.get("currencyId") or state.base_currency
            if currency not in state.currencies:
                raise ValidationError(f"{fail} Currency '{currency}' does not exist.")
            now = state.now()
            document_date = _date(dto.get("documentDate"), now, fail)
            totals = document_totals(state, lines, category_key="vatCode")
            hold = bool(dto.get("hold"))
            invoice: Record = {
                "documentType": "Invoice",
                "referenceNumber": number,
                "status": "Hold" if hold else "Balanced",
                "hold": hold,
                "customer": {"number": customer["number"], "name": customer["name"]},
                "documentDate": document_date,
                "documentDueDate": _date(dto.get("documentDueDate"), document_date, fail),
                "postPeriod": document_date.strftime("%m%Y"),
                "financialPeriod": document_date.strftime("%Y%m"),
                "currencyId": currency,
                "exchangeRate": 1,
                "externalReference": dto.get("externalReference"),
                "customerRefNumber": dto.get("customerRefNumber"),
                "paymentReference": dto.get("paymentReference"),
                "invoiceText": dto.get("invoiceText"),
                "note": dto.get("note"),
                "amount": totals["total"],
                "amountInCurrency": totals["total"],
                "balance": totals["total"],
                "balanceInCurrency": totals["total"],
                "vatTotal": totals["taxTotal"],
                "vatTotalInCurrency": totals["taxTotal"],
                "vatTaxableTotal": totals["vatTaxableTotal"],
                "vatExemptTotal": totals["vatExemptTotal"],
                "discountTotal": totals["discountTotal"],
                "detailTotal": money(sum((line["amount"] for line in lines), ZERO)),
                "branchNumber": {"number": branch["number"], "name": branch["name"]}
                if branch
                else None,
                "invoiceLines": lines,
                "createdDateTime": now,
                "lastModifiedDateTime": now,
            }
            state.invoices[number] = invoice
            return number

    def _invoice_line(self, index: int, line: dict[str, Any], fail: str) -> Record:
        state = self.state
        item = None
        if line.get("inventoryNumber"):
            item = state.inventory.get(line["inventoryNumber"])
            if item is None:
                raise ValidationError(
                    f"{fail} Line {index}: Inventory item '{line['inventoryNumber']}' "
                    "does not exist."
                )
        if line.get("accountNumber") and line["accountNumber"] not in state.accounts:
            raise ValidationError(
                f"{fail} Line {index}: Account '{line['accountNumber']}' does not exist."
            )
        category = line.get("vatCodeId") or ((item or {}).get("vatCode") or {}).get("id")
        if category and category not in state.vat_categories:
            raise ValidationError(f"{fail} Line {index}: VAT category '{category}' does not exist.")
        price = line.get("unitPriceInCurrency", (item or {}).get("defaultPrice"))
        prices = price_line(
            line.get("quantity", 1), price, line.get("discountPercent"),
            line.get("discountAmountInCurrency"),
        )  # fmt: skip
        return {
            "lineNumber": index,
            "inventoryNumber": line.get("inventoryNumber"),
            "description": line.get("description") or (item or {}).get("description"),
            "quantity": prices["quantity"],
            "unitPrice": prices["unitPrice"],
            "unitPriceInCurrency": prices["unitPrice"],
            "amount": prices["extPrice"],
            "amountInCurrency": prices["extPrice"],
            "discountPercent": prices["discountPercent"],
            "discountAmount": prices["discountAmount"],
            "discountAmountInCurrency": prices["discountAmount"],
            "vatCode": {
                "id": category,
                "description": state.vat_categories[category]["description"],
            }
            if category
            else None,
            "uom": line.get("uom") or (item or {}).get("salesUnit"),
            "note": line.get("note"),
        }

    # ----- journal transactions --------------------------------------------------------------
    def get_journal(self, number: str) -> Record:
        with self.state.lock:
            batch = self.state.journal_transactions.get(number)
            if batch is None:
                raise NotFoundError(f"Journal transaction '{number}' not found.")
            return snapshot(batch)

    def list_journal(self, params: dict[str, str]) -> list[Record]:
        """Batches matching the filters; the spec makes ``periodId`` or
        ``lastModifiedDateTime`` mandatory and applies the latter as "since"."""
        with self.state.lock:
            period = params.get("periodId")
            since_text = params.get("lastModifiedDateTime")
            if not period and not since_text:
                raise BadRequestError(
                    "PeriodId is mandatory if LastModifiedDateTime is not provided."
                )
            since = (
                parse_filter_datetime(since_text, "lastModifiedDateTime") if since_text else None
            )
            module = params.get("module")
            result = []
            for _, batch in sorted(self.state.journal_transactions.items()):
                if period and batch["financialPeriod"] != period:
                    continue
                if since and batch["lastModifiedDateTime"] < since:
                    continue
                if module and batch["module"] != f"Module{module.upper()}":
                    continue
                if params.get("status") and batch["status"].lower() != params["status"].lower():
                    continue
                if params.get("branch") and batch.get("branch") != params["branch"]:
                    continue
                result.append(snapshot(batch))
            return result

    def create_journal(self, dto: dict[str, Any]) -> str:
        """Insert a GL batch from an unwrapped JournalTransactionUpdateDto; returns its number."""
        with self.state.lock:
            state = self.state
            fail = "Error creating journal transaction."
            raw_lines = [x for x in dto.get("journalTransactionLines") or [] if isinstance(x, dict)]
            if not raw_lines:
                raise ValidationError(f"{fail} The batch must have at least one line.")
            branch = dto.get("branch")
            if branch is not None and str(branch) not in state.branches:
                raise ValidationError(f"{fail} Branch '{branch}' does not exist.")
            lines = []
            for index, line in enumerate(raw_lines, start=1):
                account = line.get("accountNumber")
                if not account or account not in state.accounts:
                    raise ValidationError(
                        f"{fail} Line {index}: Account '{account}' does not exist."
                    )
                debit = Decimal(str(line.get("debitAmountInCurrency") or 0))
                credit = Decimal(str(line.get("creditAmountInCurrency") or 0))
                vat = line.get("vatCodeId")
                if vat and vat not in state.vat_categories:
                    raise ValidationError(f"{fail} Line {index}: VAT code '{vat}' does not exist.")
                lines.append(
                    {
                        "lineNumber": index,
                        "accountNumber": account,
                        "description": state.accounts[account]["description"],
                        "referenceNumber": line.get("referenceNumber"),
                        "transactionDescription": line.get("transactionDescription"),
                        "debitAmount": debit,
                        "debitAmountInCurrency": debit,
                        "creditAmount": credit,
                        "creditAmountInCurrency": credit,
                        "vatCode": {
                            "id": vat,
                            "description": state.vat_categories[vat]["description"],
                        }
                        if vat
                        else None,
                        "branch": line.get("branch") or branch,
                        "module": "ModuleGL",
                        "note": line.get("note"),
                    }
                )
            debit_total = sum((x["debitAmount"] for x in lines), ZERO)
            credit_total = sum((x["creditAmount"] for x in lines), ZERO)
            hold = bool(dto.get("hold"))
            if not hold and debit_total != credit_total:
                raise ValidationError(f"{fail} Batch is out of balance, please review.")
            if dto.get("overrideNumberSeries") is True and dto.get("batchNumber"):
                number = str(dto["batchNumber"])
                if number in state.journal_transactions:
                    raise ValidationError(f"{fail} Batch '{number}' already exists.")
            else:
                number = self._next("journal", 1, state.journal_transactions, width=6)
            now = state.now()
            date = _date(dto.get("transactionDate"), now, fail)
            batch: Record = {
                "module": "ModuleGL",
                "batchNumber": number,
                "status": "Hold" if hold else "Balanced",
                "hold": hold,
                "transactionDate": date,
                "postPeriod": date.strftime("%m%Y"),
                "financialPeriod": date.strftime("%Y%m"),
                "ledger": dto.get("ledger") or "ACTUAL",
                "currencyId": dto.get("currencyId") or state.base_currency,
                "exchangeRate": 1,
                "autoReversing": bool(dto.get("autoReversing")),
                "reversingEntry": False,
                "description": dto.get("description"),
                "debitTotal": debit_total,
                "debitTotalInCurrency": debit_total,
                "creditTotal": credit_total,
                "creditTotalInCurrency": credit_total,
                "controlTotal": debit_total,
                "controlTotalInCurrency": debit_total,
                "createVatTransaction": bool(dto.get("createVatTransaction")),
                "skipVatAmountValidation": bool(dto.get("skipVatAmountValidation")),
                "transactionCode": dto.get("transactionCode"),
                "branch": branch,
                "journalTransactionLines": lines,
                "attachments": [],
                "lastModifiedDateTime": now,
            }
            state.journal_transactions[number] = batch
            return number

    def _next(self, series: str, start: int, taken: dict[str, Any], width: int = 0) -> str:
        while True:
            candidate = f"{self.state.next_number(series, start):0{width}d}"
            if candidate not in taken:
                return candidate
