"""Fault injection for the emulators: what to break, and a seeded decision maker.

A :class:`FaultConfig` says which faults are active; a :class:`FaultInjector` decides, request by
request, which fault (if any) hits it. Decisions depend only on the configuration, its ``seed``
and the order of matching requests, so a test that sets the same faults sees the same outcome on
every run.

Several configurations may be active at once as ``rules``: a request is decided by the first
rule whose ``path_prefix`` and ``methods`` it matches, with that rule's counters and random
stream. The token endpoint can so fail in its own way (only 5xx, say) beside the API's storms.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any, NamedTuple

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Fault(StrEnum):
    """The outcome the injector picked for one request."""

    NONE = "none"
    SERVER_ERROR = "server_error"  # answer with the emulator's 5xx body, state untouched
    RATE_LIMITED = "rate_limited"  # answer with the emulator's own 429, state untouched
    DROP_AFTER_COMMIT = "drop_after_commit"  # run the request, then cut the connection
    MALFORMED = "malformed"  # run the request, then answer its status with an unreadable body


class Malformed(StrEnum):
    """The unreadable body a ``malformed_answers`` fault sends (the status stays the API's)."""

    HTML = "html"  # a proxy's HTML error page
    EMPTY = "empty"  # no body at all
    TRUNCATED = "truncated"  # the real body, cut in half
    INVALID_JSON = "invalid_json"  # not JSON
    ERROR_IN_200 = "error_in_200"  # the API's own 5xx error body under the success status


@dataclass(frozen=True)
class FaultConfig:
    """Active faults. All default to off.

    ``path_prefix`` and ``methods`` narrow which requests are eligible (the admin surface is never
    eligible). Counted faults (``rate_limit_storm``, ``drop_after_commit``) hit the next N eligible
    requests and then switch themselves off; rates are probabilities drawn from ``seed``.
    """

    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 500
    rate_limit_storm: int = 0
    drop_after_commit: int = 0
    # "Commit then drop" only makes sense for writes unless told otherwise.
    drop_methods: tuple[str, ...] = tuple(sorted(WRITE_METHODS))
    # The next N eligible requests run, then their answer's body is replaced (see Malformed).
    malformed_answers: int = 0
    malformed_kind: str = Malformed.HTML.value
    path_prefix: str | None = None
    methods: tuple[str, ...] | None = None
    seed: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultConfig:
        """Build from an admin request body; unknown keys are an error (typos must not pass)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        values = dict(data)
        for key in ("drop_methods", "methods"):
            if values.get(key) is not None:
                values[key] = tuple(str(m).upper() for m in values[key])
        config = cls(**values)
        if not 0.0 <= config.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if not 500 <= config.error_status <= 599:
            raise ValueError("error_status must be a 5xx status")
        counted = (config.latency_ms, config.rate_limit_storm, config.drop_after_commit,
                   config.malformed_answers)  # fmt: skip
        if min(counted) < 0:
            raise ValueError(
                "latency_ms, rate_limit_storm, drop_after_commit and malformed_answers must be >= 0"
            )
        if config.malformed_kind not in {m.value for m in Malformed}:
            raise ValueError(
                f"malformed_kind must be one of {', '.join(m.value for m in Malformed)}"
            )
        return config

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("drop_methods", "methods"):
            if data[key] is not None:
                data[key] = list(data[key])
        return data


def rules_from_json(data: dict[str, Any]) -> list[FaultConfig]:
    """One configuration, or ``{"rules": [configuration, ...]}`` (first match decides)."""
    if set(data) != {"rules"}:
        return [FaultConfig.from_json(data)]
    rules = data["rules"]
    if not isinstance(rules, list) or not rules or not all(isinstance(r, dict) for r in rules):
        raise ValueError("rules must be a non-empty list of fault settings")
    return [FaultConfig.from_json(rule) for rule in rules]


def rules_to_json(rules: list[FaultConfig]) -> dict[str, Any]:
    return rules[0].to_json() if len(rules) == 1 else {"rules": [r.to_json() for r in rules]}


class Decision(NamedTuple):
    fault: Fault
    latency: float  # seconds to wait before answering
    config: FaultConfig  # the rule that decided (its error status, malformed kind)


@dataclass
class FaultInjector:
    """Holds the active fault rules and decides the fault for each request. Thread-safe."""

    rules: list[FaultConfig] = field(default_factory=lambda: [FaultConfig()])
    _rngs: list[random.Random] = field(default_factory=list, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def config(self) -> FaultConfig:
        """The first rule (the only one unless several were set)."""
        return self.rules[0]

    def configure(self, config: FaultConfig | list[FaultConfig]) -> None:
        """Replace the active faults; each rule's random stream restarts from its ``seed``."""
        rules = list(config) if isinstance(config, list) else [config]
        with self._lock:
            self.rules = rules
            self._rngs = [random.Random(rule.seed) for rule in rules]

    def clear(self) -> None:
        self.configure(FaultConfig())

    @staticmethod
    def _matches(config: FaultConfig, method: str, path: str) -> bool:
        if config.path_prefix and not path.lower().startswith(config.path_prefix.lower()):
            return False
        return config.methods is None or method.upper() in config.methods

    def eligible(self, method: str, path: str) -> bool:
        return self._rule_for(method, path) is not None

    def _rule_for(self, method: str, path: str) -> int | None:
        if path.lower().startswith("/_emulator"):
            return None
        return next((index for index, rule in enumerate(self.rules)
                     if self._matches(rule, method, path)), None)  # fmt: skip

    def decide(self, method: str, path: str) -> Decision:
        """The fault for this request, the latency to add before answering, and the rule."""
        with self._lock:
            index = self._rule_for(method, path)
            if index is None:
                return Decision(Fault.NONE, 0.0, self.config)
            if len(self._rngs) != len(self.rules):
                self._rngs = [random.Random(rule.seed) for rule in self.rules]
            config = self.rules[index]
            fault = self._pick(index, config, method)
            return Decision(fault, config.latency_ms / 1000.0, config)

    def _pick(self, index: int, config: FaultConfig, method: str) -> Fault:
        """The fault of rule ``index`` for this request; counted faults count down."""
        if config.rate_limit_storm > 0:
            self.rules[index] = replace(config, rate_limit_storm=config.rate_limit_storm - 1)
            return Fault.RATE_LIMITED
        if config.drop_after_commit > 0 and method.upper() in config.drop_methods:
            self.rules[index] = replace(config, drop_after_commit=config.drop_after_commit - 1)
            return Fault.DROP_AFTER_COMMIT
        if config.malformed_answers > 0:
            self.rules[index] = replace(config, malformed_answers=config.malformed_answers - 1)
            return Fault.MALFORMED
        # Draw only when a rate is set, so enabling latency alone does not shift the stream.
        if config.error_rate > 0 and self._rngs[index].random() < config.error_rate:
            return Fault.SERVER_ERROR
        return Fault.NONE
