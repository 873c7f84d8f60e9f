"""Before a run reads anything: can it start at all? And how a run that cannot start ends.

A run that cannot start (its configuration, no stored eAccounting tokens, credentials refused,
a system that cannot be reached, the state database) ends at once, without retries, in a
``Failed`` state whose message names the cause and the command that fixes it: someone has to
act, so the alert automation tells them. A run refused because another run of the same flow
holds the lock ends ``Cancelled`` with the reason: nothing is wrong, and nothing alerts.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

from vismasync.config.loader import ConfigError
from vismasync.config.model import IntegrationConfig
from vismasync.config.secrets import SecretResolutionError
from vismasync.connectors.http import ApiError, AuthError, ErrorClass
from vismasync.store.database import DatabaseUnavailable
from vismasync.store.locks import AlreadyRunning

# Every state of a run that did not start has a message starting with this.
NOT_STARTED = "Not started: "
CONNECT_TIMEOUT = 5.0


class RunNotStarted(RuntimeError):
    """The run cannot start: ``cause`` says why, ``fix`` what to run or change."""

    def __init__(self, cause: str, fix: str) -> None:
        super().__init__(cause, fix)
        self.cause = cause
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.cause}\nTo fix: {self.fix}"


def not_started(exc: BaseException, integration: str) -> RunNotStarted:
    """The :class:`RunNotStarted` of an exception raised while a run starts."""
    if isinstance(exc, RunNotStarted):
        return exc
    if isinstance(exc, ConfigError):
        if any("no integration named" in issue.message for issue in exc.issues):
            return RunNotStarted(str(exc), "create it with `vismasync init`, or name another")
        return RunNotStarted(
            str(exc), f"correct the file, then `vismasync config validate {exc.source}`"
        )
    if isinstance(exc, DatabaseUnavailable):
        return RunNotStarted(str(exc), "`vismasync db status` shows which database is used")
    if isinstance(exc, SecretResolutionError):
        return RunNotStarted(str(exc), f"then `vismasync check --integration {integration}`")
    raise TypeError(f"not a reason for a run not to start: {exc!r}")


START_ERRORS = (RunNotStarted, ConfigError, DatabaseUnavailable, SecretResolutionError)


def _reachable(url: str) -> str | None:
    """None when a TCP connection to ``url``'s host opens, else why not (no HTTP request: the
    APIs' request counts and rate limits are untouched)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=CONNECT_TIMEOUT):
            return None
    except OSError as exc:
        return exc.strerror or str(exc) or type(exc).__name__


def _unreachable(system: str, url: str, reason: str, integration: str) -> RunNotStarted:
    return RunNotStarted(
        f"{system} cannot be reached at {url} ({reason})",
        f"check the address and the network, then `vismasync check --integration {integration}`",
    )


def preflight(config: IntegrationConfig) -> None:
    """Raise :class:`RunNotStarted` when the run cannot do anything useful: eAccounting has no
    stored tokens, a system cannot be reached, or a token is refused. Costs two TCP connects
    and at most the token requests the run would make anyway (both are then cached)."""
    from vismasync.engine.clients import eaccounting_client, vismanet_client

    name = config.name
    authorize = f"vismasync authorize --integration {name}"
    check = f"vismasync check --integration {name}"
    ea = eaccounting_client(config)
    if ea.tokens.store.load() is None:
        raise RunNotStarted(
            f"eAccounting is not authorized for integration {name!r}: no tokens are stored",
            authorize,
        )
    endpoints = (
        ("eAccounting", str(config.eaccounting.api_url)),
        ("The eAccounting identity server", str(config.eaccounting.identity_url)),
        ("Visma.net", str(config.vismanet.api_url)),
        ("The Visma.net token service", str(config.vismanet.token_url)),
    )
    probed: set[tuple[str | None, int | None]] = set()
    for system, url in endpoints:
        parts = urlsplit(url)
        if (parts.hostname, parts.port) in probed:
            continue
        probed.add((parts.hostname, parts.port))
        reason = _reachable(url)
        if reason is not None:
            raise _unreachable(system, url, reason, name)
    try:
        ea.tokens.current()
    except AuthError as exc:
        raise RunNotStarted(
            f"eAccounting refused the stored authorization ({exc.message})", authorize
        ) from exc
    except ApiError as exc:
        raise _unreachable(
            "eAccounting's identity server", str(exc.url), exc.message, name
        ) from exc
    try:
        vismanet_client(config).auth.token()
    except ApiError as exc:
        if exc.error_class in (ErrorClass.AUTH, ErrorClass.CONFIG):
            raise RunNotStarted(
                f"Visma.net refused the token request ({exc.message})", check
            ) from exc
        raise _unreachable("The Visma.net token service", str(exc.url), exc.message, name) from exc


def refused_on_the_way(exc: AuthError, config: IntegrationConfig) -> str:
    """What to tell when a system refused the run's credentials after it started: an
    eAccounting refresh token spent (its rotation's answer lost, or a second worker), revoked
    or expired, or Visma.net credentials withdrawn. Nothing is retried: someone has to act."""
    name = config.name
    urls = (config.eaccounting.identity_url, config.eaccounting.api_url)
    eaccounting = {urlsplit(str(url)).netloc for url in urls}
    if exc.url and urlsplit(str(exc.url)).netloc in eaccounting:
        system, what = "eAccounting", "the stored authorization"
        fix = f"vismasync authorize --integration {name}"
    else:
        system, what = "Visma.net", "the client credentials"
        fix = f"vismasync check --integration {name}"
    return (
        f"{system} refused {what} during the run ({exc.message}); the next run picks up what "
        f"this one did not write\nTo fix: {fix}"
    )


def failed_state(reason: RunNotStarted) -> Any:
    """The final state of a run that could not start: Failed (it alerts), no traceback."""
    from prefect.states import Failed

    return Failed(message=f"{NOT_STARTED}{reason}", data=reason)


def refused_state(exc: AlreadyRunning) -> Any:
    """The final state of a run refused by the lock: Cancelled with the reason (no alert)."""
    from prefect.states import Cancelled

    return Cancelled(message=f"{NOT_STARTED}{exc}")
