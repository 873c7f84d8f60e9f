"""Secrets in configuration are references, resolved only at the moment they are needed.

``env:NAME`` reads an environment variable; ``prefect-secret:NAME`` reads a Prefect Secret block.
A reference's text is safe to print; the resolved value is a ``SecretStr`` that prints as ``****``.
"""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import GetCoreSchemaHandler, SecretStr
from pydantic_core import PydanticCustomError, core_schema

_REFERENCE_RE = re.compile(r"^(env|prefect-secret):([A-Za-z0-9_./-]+)$")


class SecretResolutionError(RuntimeError):
    """The referenced secret does not exist where the reference points."""


class SecretRef:
    """A reference to a secret, never the secret itself."""

    __slots__ = ("kind", "name")

    def __init__(self, reference: str):
        match = _REFERENCE_RE.match(reference.strip())
        if not match:
            raise ValueError(reference)
        self.kind, self.name = match.group(1), match.group(2)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"

    def __repr__(self) -> str:
        return f"SecretRef({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretRef) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def resolve(self) -> SecretStr:
        """The secret's value. Raises SecretResolutionError naming the reference (not the value)."""
        if self.kind == "env":
            value = os.environ.get(self.name)
            if value is None or value == "":
                raise SecretResolutionError(
                    f"Secret {self} is not set: export the environment variable {self.name}."
                )
            return SecretStr(value)
        return SecretStr(_read_prefect_secret(self.name))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: Any) -> SecretRef:
            if isinstance(value, SecretRef):
                return value
            if isinstance(value, str):
                try:
                    return SecretRef(value)
                except ValueError:
                    pass
            # The rejected input may be a pasted secret: never echo it back.
            raise PydanticCustomError(
                "secret_reference",
                "must be a secret reference such as 'env:VARIABLE_NAME' or "
                "'prefect-secret:block-name', not the secret itself",
            )

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )


def _read_prefect_secret(name: str) -> str:
    from prefect.blocks.system import Secret

    try:
        return Secret.load(name).get()
    except ValueError as exc:
        raise SecretResolutionError(
            f"Secret prefect-secret:{name} not found: create a Prefect Secret block named "
            f"{name!r} (Prefect UI > Blocks, or `prefect block create secret`)."
        ) from exc
