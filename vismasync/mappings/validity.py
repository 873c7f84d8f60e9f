"""Values a target API would store but nobody can use: e-mail addresses and country codes.

eAccounting takes any text as an e-mail address and any two characters as a country code, so a
typo travels silently and surfaces weeks later as an invoice that was never delivered. The
flows check both before writing and fail the record with a message that names the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A practical reading of RFC 5321 addresses as mail systems accept them (the HTML living
# standard's rule, plus a dotted domain): quoted local parts and IP-literal domains are left
# out, since no invoicing system sends to them. Letters beyond ASCII are allowed (RFC 6531).
_LOCAL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}")
_LABEL = re.compile(r"(?!-)[\w-]{1,63}(?<!-)")


def is_email_address(text: str) -> bool:
    """Whether ``text`` is one deliverable-looking address (``name@example.com``)."""
    if len(text) > 254 or text.count("@") != 1:
        return False
    local, domain = text.split("@")
    if not _LOCAL.fullmatch(local) or local.startswith(".") or local.endswith("."):
        return False
    if ".." in local:
        return False
    labels = domain.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return False
    return all(_LABEL.fullmatch(label) and "_" not in label for label in labels)


def country_codes(codes: Iterable[str | None]) -> dict[str, str]:
    """``{upper-case code: the code as the system spells it}`` for a system's country list."""
    return {code.strip().upper(): code.strip() for code in codes if code and code.strip()}


def known_country(code: str, known: dict[str, str]) -> str | None:
    """``code`` as the system spells it, or None when the system does not know it.

    An empty ``known`` (a system that lists no countries) cannot judge: the code is kept.
    """
    if not known:
        return code
    return known.get(code.strip().upper())
