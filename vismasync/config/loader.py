"""Reading an integration's YAML file and explaining what is wrong with it.

Files are read as YAML 1.2 (ruamel.yaml): ``NO``, ``on``, ``yes`` and ``off`` are strings, as
country codes and map keys must be, not the booleans of YAML 1.1. Booleans are ``true`` and
``false``; a duplicated key is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from vismasync.config.model import IntegrationConfig

# Error types whose input may be a secret pasted in place of a reference: never echo it.
_NEVER_ECHO = {"secret_reference"}


@dataclass(frozen=True)
class ConfigIssue:
    path: str  # dotted key path, e.g. "flows.sales_orders.branch.default"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(ValueError):
    """The configuration file is invalid; ``issues`` lists every problem with its key path."""

    def __init__(self, source: str, issues: list[ConfigIssue]):
        self.source = source
        self.issues = issues
        listing = "\n".join(f"  - {issue}" for issue in issues)
        super().__init__(f"{source} is not a valid integration configuration:\n{listing}")


def _dotted(location: tuple[str | int, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _describe(error: dict) -> str:
    message = error["msg"]
    if error["type"] == "missing":
        return "is required but missing"
    if error["type"] == "extra_forbidden":
        return "is not a known setting (check its spelling and indentation)"
    if error["type"] not in _NEVER_ECHO and not isinstance(error.get("input"), dict | list):
        return f"{message} (got {error.get('input')!r})"
    return message


def issues_from_validation(error: ValidationError) -> list[ConfigIssue]:
    return [ConfigIssue(_dotted(tuple(e["loc"])), _describe(e)) for e in error.errors()]


def _yaml() -> YAML:
    """A safe YAML 1.2 loader building plain dicts, lists and scalars."""
    loader = YAML(typ="safe", pure=True)
    loader.version = (1, 2)
    return loader


def parse_config(text: str, source: str = "<config>") -> IntegrationConfig:
    """Validate YAML text. Raises ConfigError listing every problem."""
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, [ConfigIssue("", f"invalid YAML{where}: {problem}")]) from exc
    if not isinstance(data, dict):
        raise ConfigError(source, [ConfigIssue("", "the file must contain a mapping of settings")])
    try:
        return IntegrationConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, issues_from_validation(exc)) from None


def load_config(path: Path) -> IntegrationConfig:
    """Read and validate one integration file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        issue = ConfigIssue("", f"cannot read the file: {exc.strerror}")
        raise ConfigError(str(path), [issue]) from None
    return parse_config(text, str(path))
