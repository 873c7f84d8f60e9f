"""How far a run is: per entity read / written / failed, the rate, and for a read whose extent
is known (a whole changed set, or a time window up to now) the share done and an ETA.

The engine calls :meth:`RunProgress.batch_done` after every batch (one place, every flow). Each
report updates the run's Prefect progress artifact (the UI's progress bar and its description)
and is logged by the ``vismasync.progress`` logger; `vismasync run` prints those lines on the
terminal (rewritten in place on a terminal, throttled plain lines otherwise). Lines stay within
80 columns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vismasync.engine.summary import RunSummary

logger = logging.getLogger("vismasync.progress")
# At most one artifact update and one log line per this many seconds (the last one always).
REPORT_EVERY = 2.0


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def window_fraction(start: datetime | None, reached: datetime | None) -> float | None:
    """Share of the time window from ``start`` to now that a read ordered by change time has
    covered when its newest record changed at ``reached`` (None when it cannot be told)."""
    if start is None or reached is None:
        return None
    now = datetime.now(UTC)
    span = (now - start).total_seconds()
    if span <= 0:
        return None
    return min(1.0, max(0.0, (reached - start).total_seconds() / span))


@dataclass
class RunProgress:
    """Progress of one run; ``publish`` is False outside a Prefect flow run (no artifact)."""

    summary: RunSummary
    publish: bool = True
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    artifact_id: Any = None
    fraction: float | None = None
    last_report: float = field(default=-1e9)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def lines(self) -> list[str]:
        """One line per entity, each at most 77 columns (shown indented within 80)."""
        elapsed = max(self.clock() - self.started, 1e-6)
        out = []
        for row in self.summary.table():
            read, failed = int(row["read"]), int(row["failed"])  # type: ignore[call-overload]
            written = int(row["created"]) + int(row["updated"])  # type: ignore[call-overload]
            if not (read or failed):  # a note-like entity (content the target cannot hold)
                continue
            line = f": read {read}, written {written}, failed {failed}, {read / elapsed:.1f}/s"
            entity = str(row["entity"])
            if len(entity) + len(line) > 77:  # shown indented by two: within 80 columns
                entity = entity[: max(8, 76 - len(line))] + "~"
            out.append(entity + line)
        if self.fraction is not None and self.fraction > 0:
            eta = elapsed * (1 - self.fraction) / self.fraction
            out.append(f"{self.fraction * 100:.0f}% done, about {_duration(eta)} left")
        return out

    def percent(self) -> float:
        return round(100 * (self.fraction or 0.0), 1)

    def batch_done(self, fraction: float | None = None, *, final: bool = False) -> None:
        """Called by the engine after each batch (``fraction``: share of the read done)."""
        if fraction is not None:
            self.fraction = fraction
        now = self.clock()
        if not final and now - self.last_report < REPORT_EVERY:
            return
        self.last_report = now
        lines = self.lines()
        if not final:  # the final word is the run's summary
            prefix = "[dry run] " if self.summary.dry_run else ""
            title = f"{prefix}{self.summary.flow} for {self.summary.integration}"
            logger.info("%s\n%s", title, "\n".join(lines), extra={"progress_lines": lines})
        if self.publish:
            self._artifact(100.0 if final else self.percent(), "; ".join(lines) or "starting")

    def _artifact(self, percent: float, description: str) -> None:
        from prefect.artifacts import create_progress_artifact, update_progress_artifact

        try:
            if self.artifact_id is None:
                key = f"{self.summary.integration}-{self.summary.flow}-progress"
                self.artifact_id = create_progress_artifact(
                    progress=percent, key=key.replace("_", "-"), description=description
                )
            else:
                update_progress_artifact(self.artifact_id, progress=percent,
                                         description=description)  # fmt: skip
        except Exception as exc:  # progress must never fail a run
            logger.debug("progress artifact not updated: %s", exc)
