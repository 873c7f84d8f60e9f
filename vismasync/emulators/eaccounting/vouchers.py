"""Rules for vouchers (financial mutations): balanced rows inside an open fiscal year."""

from __future__ import annotations

from datetime import date
from typing import Any

from vismasync.emulators.eaccounting.errors import EAccountingError, ValidationFailed, field_error
from vismasync.emulators.eaccounting.masterdata import replace_object
from vismasync.emulators.eaccounting.odata_eval import parse_datetime
from vismasync.emulators.eaccounting.store import Store, format_date
from vismasync.emulators.eaccounting.validation import validate

MANUAL_VOUCHER = 2
DEFAULT_SERIES = "A"


class FiscalYearDoesNotExist(EAccountingError):
    error_code = 3001


class VoucherDateIsInLockedYear(EAccountingError):
    error_code = 4038


def fiscal_year_of(store: Store, day: date) -> dict[str, Any]:
    """The fiscal year containing ``day``; :class:`FiscalYearDoesNotExist` when none does."""
    for year in store.data["fiscalyears"].values():
        if (
            parse_datetime(year["StartDate"]).date()
            <= day
            <= parse_datetime(year["EndDate"]).date()
        ):
            return year
    raise FiscalYearDoesNotExist(
        f"FiscalYearDoesNotExist - No fiscal year contains {day.isoformat()}."
    )


def create_voucher(
    store: Store, payload: dict[str, Any], use_default_series: bool = True
) -> dict[str, Any]:
    """Book a voucher. Debits must equal credits (2 decimals) and the date needs a fiscal year."""
    validate("VoucherApi", payload)
    rows = payload["Rows"]
    debit = round(sum(r.get("DebitAmount") or 0 for r in rows), 2)
    credit = round(sum(r.get("CreditAmount") or 0 for r in rows), 2)
    if not rows or debit != credit or debit == 0:
        raise ValidationFailed(
            [
                field_error(
                    "Rows",
                    "Unbalanced",
                    f"The voucher does not balance: debit {debit:.2f}, credit {credit:.2f}.",
                )
            ]
        )
    voucher_date = parse_datetime(payload["VoucherDate"]).date()
    with store.lock:
        year = fiscal_year_of(store, voucher_date)
        if year.get("IsLockedForAccounting"):
            raise VoucherDateIsInLockedYear(
                "VoucherDateIsInLockedYearException - The voucher date is in a locked year."
            )
        record = replace_object("VoucherApi", None, payload, {"VoucherType": MANUAL_VOUCHER})
        record["Rows"] = [replace_object("VoucherRowApi", None, r, {}) for r in rows]
        series = DEFAULT_SERIES if use_default_series else (payload.get("NumberSeries") or "A")
        number = 1 + sum(1 for v in store.data["vouchers"].values() if v["NumberSeries"] == series)
        now = store.now()
        record.update(
            Id=store.new_id(),
            VoucherDate=format_date(voucher_date),
            NumberSeries=series,
            NumberAndNumberSeries=f"{series}{number}",
            CreatedUtc=now,
            ModifiedUtc=now,
        )
        return dict(store.put("vouchers", record))
