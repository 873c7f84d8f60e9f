"""Reconciliation of one flow, as pure code: source documents, target documents and ledger rows
in; discrepancies and a report out. No I/O here, so every rule is testable on plain values.

Each source key lands in at most one category, checked in this order:

- ``duplicated_in_target``: more than one target document carries the key;
- ``content_mismatch``: the one target document differs from its source (lines, SKUs,
  quantities, customer, currency);
- ``missing_in_target``: an eligible source document is absent although the ledger says it was
  sent (``done``), or it changed before the flow's next read starts (the watermark minus
  the overlap window) and the ledger never saw it;
- ``orphaned_ledger``: a ledger row whose source no longer exists, or a ``done`` row whose
  target document is gone while its source is no longer eligible (so no run sends it again).

Absent documents the product already accounts for are counted, not reported: failed ones (the
failure queue), skipped ones, and ones a coming run will send (pending, in flight, or changed
at or after the next read's start).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from vismasync.store.ledger import LedgerEntry
from vismasync.store.models import LedgerStatus

DiscrepancyKind = Literal[
    "missing_in_target", "duplicated_in_target", "content_mismatch", "orphaned_ledger"
]
KINDS: tuple[DiscrepancyKind, ...] = (
    "missing_in_target",
    "duplicated_in_target",
    "content_mismatch",
    "orphaned_ledger",
)
KIND_TITLES = {
    "missing_in_target": "Missing in the target",
    "duplicated_in_target": "Duplicated in the target",
    "content_mismatch": "Content differs from the source",
    "orphaned_ledger": "Orphaned ledger rows",
}
QUANTITY_STEP = Decimal("0.0001")  # the precision quantities are sent with

Line = tuple[str, Decimal]  # (SKU, quantity)


def quantity(value: object) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(QUANTITY_STEP)


@dataclass(frozen=True)
class SourceDocument:
    key: str  # the ledger's source key (the eAccounting id)
    ref: str  # the key written into the target, e.g. EA1042
    label: str  # how people know it, e.g. "order 1042"
    eligible: bool  # passes the flow's status filter today
    status: str
    changed_at: datetime | None
    lines: tuple[Line, ...]
    currency: str | None = None
    # The target customer number the document should carry; None: not known, not compared.
    expected_customer: str | None = None


@dataclass(frozen=True)
class TargetDocument:
    key: str  # the source key it carries (order number / customer ref. / external reference)
    number: str  # its own number in the target
    lines: tuple[Line, ...]
    customer: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Discrepancy:
    kind: DiscrepancyKind
    source_key: str
    ref: str
    detail: str


@dataclass
class ReconcileReport:
    """What one flow's reconciliation found."""

    flow: str
    integration: str
    target: str  # e.g. "Visma.net sales orders (type SO)"
    noun: str = "source document"  # what the flow reads, e.g. "Visma.net item"
    checked: int = 0  # eligible source documents
    in_target: int = 0
    failure_queue: int = 0
    skipped: int = 0
    awaiting: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        found = Counter(d.kind for d in self.discrepancies)
        return {kind: found[kind] for kind in KINDS}

    @property
    def total(self) -> int:
        return len(self.discrepancies)

    def of(self, kind: DiscrepancyKind) -> dict[str, Discrepancy]:
        """This kind's discrepancies by target key (tests and callers that pick one kind)."""
        return {d.ref: d for d in self.discrepancies if d.kind == kind}

    def table(self) -> list[dict[str, str]]:
        return [
            {
                "flow": self.flow,
                "problem": KIND_TITLES[d.kind],
                "key": d.ref,
                "source key": d.source_key,
                "detail": d.detail,
            }
            for d in self.discrepancies
        ]

    def headline(self) -> str:
        counts = ", ".join(f"{KIND_TITLES[k].lower()} {n}" for k, n in self.counts().items())
        return (
            f"{self.flow} ({self.integration}) against {self.target}: {self.checked} eligible "
            f"{self.noun}(s), {self.in_target} in the target; {counts}. Not counted: "
            f"{self.failure_queue} in the failure queue, {self.skipped} skipped, "
            f"{self.awaiting} awaiting the next run."
        )

    def markdown(self) -> str:
        lines = [f"## {self.flow}: {self.total} discrepancy(ies)", "", self.headline(), ""]
        for kind in KINDS:
            found = [d for d in self.discrepancies if d.kind == kind]
            if not found:
                continue
            lines += [
                f"### {KIND_TITLES[kind]} ({len(found)})",
                "",
                "| key | source key | detail |",
                "|---|---|---|",
            ]
            lines += [f"| {d.ref} | {d.source_key} | {_cell(d.detail)} |" for d in found]
            lines.append("")
        return "\n".join(lines)

    def text(self) -> str:
        body = [
            f"  {KIND_TITLES[d.kind]}: {d.ref} ({d.source_key}): {d.detail}"
            for d in self.discrepancies
        ]
        return "\n".join([self.headline(), *body])


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _shown(value: Decimal) -> str:
    """A quantity as people write it: 2, 1.5 (not 2.0000)."""
    return format(value.normalize(), "f")


def _by_sku(lines: Iterable[Line]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for sku, amount in lines:
        totals[sku] += amount
    return totals


def content_differences(source: SourceDocument, target: TargetDocument) -> list[str]:
    """What differs between a source document and the target document made from it."""
    differences = []
    if len(source.lines) != len(target.lines):
        differences.append(
            f"{len(source.lines)} line(s) in the source, {len(target.lines)} in the target"
        )
    wanted, held = _by_sku(source.lines), _by_sku(target.lines)
    for sku in sorted(set(wanted) | set(held)):
        if sku not in held:
            differences.append(f"SKU {sku} (quantity {_shown(wanted[sku])}) missing in the target")
        elif sku not in wanted:
            differences.append(f"SKU {sku} (quantity {_shown(held[sku])}) not in the source")
        elif wanted[sku] != held[sku]:
            differences.append(
                f"SKU {sku}: quantity {_shown(wanted[sku])} in the source, "
                f"{_shown(held[sku])} in the target"
            )
    if source.expected_customer and target.customer != source.expected_customer:
        differences.append(
            f"customer {target.customer} in the target, expected {source.expected_customer}"
        )
    if source.currency and target.currency and source.currency != target.currency:
        differences.append(f"currency {target.currency} in the target, {source.currency} at source")
    return differences


def compare(
    report: ReconcileReport,
    sources: list[SourceDocument],
    targets: list[TargetDocument],
    ledger: list[LedgerEntry],
    cursor: datetime | None,
) -> ReconcileReport:
    """Fill ``report`` with the discrepancies between the three views (rules: module doc);
    ``cursor``: where the flow's next read starts (watermark minus overlap)."""
    by_key: dict[str, list[TargetDocument]] = defaultdict(list)
    for target in targets:
        by_key[target.key].append(target)
    numbers = {target.number for target in targets}
    rows = {entry.source_key: entry for entry in ledger}
    found: list[Discrepancy] = []

    for source in sources:
        if not source.eligible:
            continue
        report.checked += 1
        held = by_key.get(source.ref, [])
        if held:
            report.in_target += 1
        if len(held) > 1:
            listing = ", ".join(sorted(t.number for t in held))
            found.append(
                Discrepancy(
                    "duplicated_in_target",
                    source.key,
                    source.ref,
                    f"{len(held)} target documents carry it: {listing}",
                )
            )
        elif held:
            differences = content_differences(source, held[0])
            if differences:
                found.append(
                    Discrepancy(
                        "content_mismatch",
                        source.key,
                        source.ref,
                        f"{held[0].number}: " + "; ".join(differences),
                    )
                )
        else:
            missing = _absent(report, source, rows.get(source.key), cursor)
            if missing:
                found.append(Discrepancy("missing_in_target", source.key, source.ref, missing))

    documents = {source.key: source for source in sources}
    for entry in ledger:
        if entry.status == LedgerStatus.SKIPPED:
            continue
        source = documents.get(entry.source_key)
        if source is None:
            where = (
                f"the target still holds {entry.target_key}"
                if entry.target_key in numbers
                else "nothing in the target"
            )
            found.append(
                Discrepancy(
                    "orphaned_ledger",
                    entry.source_key,
                    entry.target_key or "",
                    f"{entry.status.value} in the ledger, but the source no longer exists; {where}",
                )
            )
        elif (
            not source.eligible
            and entry.status == LedgerStatus.DONE
            and entry.target_key not in numbers
            and source.ref not in by_key
        ):
            found.append(
                Discrepancy(
                    "orphaned_ledger",
                    entry.source_key,
                    source.ref,
                    f"done in the ledger as {entry.target_key}, absent in the "
                    f"target; {source.label} is now {source.status}, so no run "
                    "sends it again",
                )
            )
    report.discrepancies.extend(found)
    return report


def _absent(
    report: ReconcileReport,
    source: SourceDocument,
    entry: LedgerEntry | None,
    cursor: datetime | None,
) -> str | None:
    """Why an eligible document absent in the target is a discrepancy, or None (counted).

    ``cursor``: where the flow's next read starts (watermark minus overlap); a document
    changed at or after it is read again by the next run.
    """
    status = entry.status if entry else None
    if status == LedgerStatus.FAILED:
        report.failure_queue += 1
    elif status == LedgerStatus.SKIPPED:
        report.skipped += 1
    elif status in (LedgerStatus.PENDING, LedgerStatus.IN_FLIGHT):
        report.awaiting += 1
    elif entry is not None and status == LedgerStatus.DONE:
        return (
            f"{source.label}: done in the ledger as {entry.target_key}, but the target no longer "
            "holds it (deleted there?)"
        )
    elif cursor is None or source.changed_at is None or source.changed_at >= cursor:
        report.awaiting += 1
    else:
        return (
            f"{source.label} ({source.status}) changed before the flow's next read starts "
            f"({cursor.isoformat()}: watermark minus overlap) but was never synced"
        )
    return None
