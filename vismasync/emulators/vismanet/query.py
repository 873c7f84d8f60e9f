"""Query conventions shared by every list endpoint: date conditions and forced pagination.

Rules (Visma's API documentation): ``xxxDateTime`` filters apply only together with their
``xxxDateTimeCondition``; values use one of five documented formats without a time zone;
``pageNumber`` is 1-based; a ``pageSize`` above the maximum is silently clamped.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from vismasync.emulators.vismanet.errors import BadRequestError

T = TypeVar("T")

# The five formats the spec lists for every date filter (strptime spelling of yyyy-MM-dd ...).
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
)

CONDITIONS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def parse_filter_datetime(text: str, name: str) -> datetime:
    """A filter value in one of the documented formats; anything else (``Z``, offsets) is a 400."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise BadRequestError(
        f"The value '{text}' of '{name}' is not valid. Accepted formats: yyyy-MM-dd, "
        "yyyy-MM-dd HH:mm:ss, yyyy-MM-dd HH:mm:ss.FFF, yyyy-MM-ddTHH:mm:ss, "
        "yyyy-MM-ddTHH:mm:ss.FFF."
    )


@dataclass(frozen=True)
class DateCondition:
    """One ``<field> <op> <value>`` date filter."""

    op: Callable[[Any, Any], bool]
    value: datetime

    def matches(self, stamp: datetime | None) -> bool:
        return stamp is not None and self.op(stamp, self.value)


def date_condition(params: dict[str, str], name: str) -> DateCondition | None:
    """The filter for ``name`` when both it and ``nameCondition`` are present, else None.

    Sending only the value (or only the condition) filters nothing: the documented
    "mutually inclusive" rule, observed as "returns everything" by integrators.
    """
    value = params.get(name)
    condition = params.get(f"{name}Condition")
    if not value or not condition:
        return None
    op = CONDITIONS.get(condition.strip())
    if op is None:
        raise BadRequestError(
            f"The value '{condition}' of '{name}Condition' is not valid. "
            "Accepted values: '>', '<', '>=', '<='."
        )
    return DateCondition(op, parse_filter_datetime(value, name))


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    max_size: int


def page_of(params: dict[str, str], max_size: int) -> Page:
    """``pageNumber``/``pageSize`` with the documented defaults: page 1, clamped size."""
    number = _int_param(params, "pageNumber", 1)
    size = _int_param(params, "pageSize", max_size)
    return Page(number=max(1, number), size=min(max(1, size), max_size), max_size=max_size)


def paginate(items: Sequence[T], page: Page) -> list[T]:
    start = (page.number - 1) * page.size
    return list(items[start : start + page.size])


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        number = int(raw)
    except ValueError as exc:
        raise BadRequestError(f"The value '{raw}' is not valid for {name}.") from exc
    if not -(2**31) <= number < 2**31:
        # Bound to a 32-bit integer by the API: a larger value does not bind.
        raise BadRequestError(f"The value '{raw}' is not valid for {name}.")
    return number


def flag(params: dict[str, str], name: str) -> bool:
    return params.get(name, "").strip().lower() == "true"
