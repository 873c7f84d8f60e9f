"""Content hashes: did the part of a record we sync change since the last sync?"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def content_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of ``payload`` (key order and number formatting ignored)."""
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), default=_default, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
