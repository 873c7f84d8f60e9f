"""Value maps: the one mechanism behind every "map a code" setting.

Payment terms, payment methods, tax codes (also per country), shipping methods, revenue accounts
by country, order statuses, units: each is a ``table`` (source value -> target value), a
``default`` for values not in the table, and ``force`` to use the default always.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator


class ValueMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    table: dict[str, str] = {}
    default: str | None = None
    force: bool = False

    @model_validator(mode="after")
    def _force_needs_default(self) -> ValueMap:
        if self.force and self.default is None:
            raise ValueError("'force: true' needs a 'default' value to force")
        return self

    def map(self, source_value: object) -> str | None:
        """The target value for ``source_value``; None when neither table nor default has one."""
        if self.force:
            return self.default
        if source_value is not None and str(source_value) in self.table:
            return self.table[str(source_value)]
        return self.default
