"""eAccounting reference data as lookup tables the mappings read (terms, units, codings)."""

from __future__ import annotations

from typing import Any


def lookup_table(records: list[Any], *names: str) -> dict[str, str]:
    """``{value of any of names (lower-case): Id}`` for eAccounting reference records, so a
    setting may name a record by id, code or name."""
    table: dict[str, str] = {}
    for record in records:
        for name in ("Id", *names):
            value = getattr(record, name, None) or (record.model_extra or {}).get(name)
            if isinstance(value, str) and value.strip():
                table.setdefault(value.strip().lower(), str(record.Id))
    return table
