"""Which fields a field mapping may set, per target: the target's write model, from the official
API descriptions (eAccounting ``CustomerApi``/``ArticleApi`` without read-only members) and the
Visma.net write models the product sends (``SalesOrderUpdateDto``, ``CustomerInvoiceUpdateDto``
members vismasync writes).

The lists are bundled (``write_targets.json``) so configuration checks need no network and no
spec files; ``tests/mappings/test_write_targets.py`` keeps them equal to the descriptions and
the write models, and rebuilds them when asked to (its docstring says how).
"""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from importlib import resources

# Target kind per flow and document: what each flow's field mappings write into.
SALES_ORDER = "vismanet.sales_order"
CUSTOMER_INVOICE = "vismanet.customer_invoice"
EA_CUSTOMER = "eaccounting.customer"
EA_ARTICLE = "eaccounting.article"
_INDEX = re.compile(r"\[\d+\]")


@cache
def targets() -> dict[str, frozenset[str]]:
    text = resources.files(__package__).joinpath("write_targets.json").read_text("utf-8")
    return {kind: frozenset(paths) for kind, paths in json.loads(text).items()}


def target_problem(kind: str, path: str) -> str | None:
    """Why ``path`` is not a field of the ``kind`` write model (None: it is one)."""
    allowed = targets()[kind]
    plain = _INDEX.sub("", path)
    if plain in allowed:
        return None
    near = difflib.get_close_matches(plain, sorted(allowed), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    return f"{path!r} is not a field vismasync writes to {kind.replace('.', ' ')}s{hint}"
