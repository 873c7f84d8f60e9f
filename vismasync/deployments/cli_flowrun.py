"""Running a Prefect flow from the command line: quiet console, one verdict, documented exit.

Without ``--verbose`` Prefect's own console lines (run names, state changes, task retries,
tracebacks) are not printed: the command prints the run's summary, or one or two lines saying
why it did not start and what fixes it. ``--verbose`` prints everything Prefect logs. The
Prefect server receives every log either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

# Exit codes shared by `vismasync run ...` and `vismasync failures retry`.
EXIT_RECORDS_FAILED = 1
EXIT_NOT_STARTED = 2

VERBOSE_HELP = "Print Prefect's log lines (task retries, tracebacks) as the run goes."


def quiet_prefect_console(verbose: bool) -> None:
    """Silence Prefect's console handlers (not its API handler) unless ``verbose``."""
    from prefect.logging.handlers import PrefectConsoleHandler

    level = logging.NOTSET if verbose else logging.CRITICAL + 1
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, PrefectConsoleHandler):
                handler.setLevel(level)


def error(message: str) -> None:
    console = Console(stderr=True)
    # Messages quote keys, settings and commands: never read them as markup.
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def report_state(state: Any, *, verbose: bool) -> dict[str, Any]:
    """The result of a finished flow run's ``state``, or exit as documented: 2 when it did not
    start (the cause and the fix printed), 1 when it failed on the way."""
    from vismasync.engine.preflight import NOT_STARTED

    message = state.message or ""
    if message.startswith(NOT_STARTED):
        error(message)
        raise typer.Exit(code=EXIT_NOT_STARTED)
    if not state.is_completed():
        hint = "" if verbose else " (--verbose prints the traceback)"
        error(f"The run {state.name.lower()}: {message}{hint}")
        raise typer.Exit(code=EXIT_RECORDS_FAILED)
    return state.result()


class _ProgressLines(logging.Handler):
    """Prints the engine's progress reports: rewritten in place on a terminal, as plain
    (throttled) lines otherwise."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.INFO)
        self.console = console
        self.live: Any = None
        if console.is_terminal:
            from rich.live import Live

            self.live = Live(console=console, transient=True, auto_refresh=False)
            self.live.start()

    def emit(self, record: logging.LogRecord) -> None:
        from rich.text import Text

        title = record.getMessage().split("\n")[0]
        lines = getattr(record, "progress_lines", [])
        text = "\n".join([title, *(f"  {line}" for line in lines)])
        if self.live is not None:
            self.live.update(Text(text), refresh=True)
        else:
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
        super().close()


def _show_progress() -> _ProgressLines:
    handler = _ProgressLines(Console(stderr=True))
    progress = logging.getLogger("vismasync.progress")
    progress.setLevel(logging.INFO)
    progress.propagate = False
    progress.addHandler(handler)
    return handler


def run_flow(start: Callable[[], Any], *, verbose: bool) -> dict[str, Any]:
    """Run a flow (``start`` calls it with ``return_state=True``) and return its result;
    print its summary and exit 1 when records failed."""
    from vismasync.deployments.prefect_server import PrefectServerError, ensure_prefect_server
    from vismasync.store.database import DatabaseUnavailable

    quiet_prefect_console(verbose)
    try:
        ensure_prefect_server(on_start=error)
    except (PrefectServerError, DatabaseUnavailable) as exc:
        error(f"Not started: {exc}")
        raise typer.Exit(code=EXIT_NOT_STARTED) from None
    progress = _show_progress()
    try:
        state = start()
    finally:
        logging.getLogger("vismasync.progress").removeHandler(progress)
        progress.close()
    result = report_state(state, verbose=verbose)
    Console().print(result["summary"], markup=False, highlight=False, soft_wrap=True)
    if result["failed"]:
        raise typer.Exit(code=EXIT_RECORDS_FAILED)
    return result
