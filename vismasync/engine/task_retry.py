"""When a task's own retries (``retries=2``) are worth it: only for failures that may pass.

The connectors already retry transient HTTP failures inside each call; a task retry covers
what is left (a flaky page, a dropped connection mid-read). Refused credentials, missing
permissions, a bad request or a configuration the company refuses fail the same way every
time: retrying them only delays the report.
"""

from __future__ import annotations

from typing import Any

from vismasync.connectors.http import ApiError, ErrorClass

_RETRYABLE = (ErrorClass.TRANSIENT, ErrorClass.RATE_LIMITED)


def retry_only_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry transient API failures, nothing else that is
    known to repeat (API errors of another class, and configuration errors)."""
    from vismasync.config.loader import ConfigError
    from vismasync.config.secrets import SecretResolutionError
    from vismasync.engine.preflight import RunNotStarted

    try:
        state.result()
    except ApiError as exc:
        return exc.error_class in _RETRYABLE
    except (ConfigError, SecretResolutionError, RunNotStarted):
        return False
    except Exception:
        return True
    return True


def _no_cache() -> Any:
    from prefect.cache_policies import NO_CACHE

    return NO_CACHE


# The options of every reading or planning task: ``@task(name=..., **RETRIED)``.
RETRIED: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": 5,
    "retry_condition_fn": retry_only_transient,
    "cache_policy": _no_cache(),
}
