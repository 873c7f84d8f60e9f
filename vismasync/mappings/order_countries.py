"""The country codes a sales-order document sends to Visma.net, checked against its list (pure).

A document carries its invoice and delivery countries into the order's addresses, and its
customer's into the Visma.net customer the flow creates or updates. Visma.net refuses a write
with a country it does not know, after the flow has claimed the write; checking first fails the
document alone, before anything is written, with the field to correct.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vismasync.mappings.validity import known_country

_ADDRESSES = {"InvoiceCountryCode": "invoice address", "DeliveryCountryCode": "delivery address"}


def unknown_countries(
    document: Mapping[str, Any],
    customer: Mapping[str, Any] | None,
    known: Mapping[str, str],
) -> list[str]:
    """What to correct, one line per country code Visma.net does not know (empty: all known).

    ``customer`` is the eAccounting customer the flow sends to Visma.net with the document
    (None when the document goes to a default debtor); ``known`` comes from
    :func:`~vismasync.mappings.validity.country_codes`.
    """
    sources = [(document, "its", "on the document in eAccounting")]
    if customer is not None:
        who = f"{customer.get('CustomerNumber') or '?'} ({customer.get('Name') or '?'})"
        sources.append((customer, f"its customer {who}'s", "on the customer in eAccounting"))
    problems = []
    for record, owner, where in sources:
        for field, address in _ADDRESSES.items():
            code = record.get(field)
            if isinstance(code, str) and code.strip() and known_country(code, known) is None:
                problems.append(
                    f"the country {code!r} of {owner} {address} ({field}) is not a country "
                    f"Visma.net knows: correct it {where}"
                )
    if problems:
        problems[-1] += " (ISO 3166-1 alpha-2 codes such as SE or NO, as GET /v1/country lists)"
    return problems
