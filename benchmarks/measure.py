"""One measured run at a time: wall time, CPU, emulator request counts, optional profile."""

from __future__ import annotations

import cProfile
import gc
import pstats
import re
import statistics
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.emulators import EmulatorProcess


@contextmanager
def prefect_bypassed() -> Iterator[None]:
    """Every Prefect task call runs the task's function directly: no task run, no engine."""
    from prefect import Task
    from prefect.utilities.annotations import BaseAnnotation

    original = Task.__call__

    def plain(value: Any) -> Any:
        # The engine unwraps ``quote``d arguments; so must a direct call.
        return value.unwrap() if isinstance(value, BaseAnnotation) else value

    def direct(self: Task[Any, Any], *args: Any, **kwargs: Any) -> Any:
        args = tuple(plain(a) for a in args)
        return self.fn(*args, **{k: plain(v) for k, v in kwargs.items()})

    Task.__call__ = direct  # type: ignore[method-assign,assignment]
    try:
        with warnings.catch_warnings():
            # Outside a flow run the flow's summary artifact is made without a run: Prefect warns.
            warnings.filterwarnings("ignore", "Artifact creation outside", FutureWarning)
            yield
    finally:
        Task.__call__ = original  # type: ignore[method-assign]


def settle() -> None:
    """Let Prefect's background services (logs, events) finish what the run queued, so their
    CPU time is counted in the run that caused it."""
    try:
        from prefect._internal.concurrency.services import QueueService

        QueueService.drain_all(timeout=30, at_exit=False)
    except Exception:  # a private API: fall back to waiting
        pass
    time.sleep(1.0)


@dataclass
class Measured:
    label: str
    seconds: float
    cpu_seconds: float
    main_thread_cpu_seconds: float
    result: Any
    calls: dict[str, dict[str, Any]]
    emulator_cpu_seconds: dict[str, float]
    integration: str
    profile: pstats.Stats | None = None


class Bench:
    """The emulators, the integration directory and one measured run at a time."""

    def __init__(self, emulators: dict[str, EmulatorProcess], config_dir: Path) -> None:
        self.emulators = emulators
        self.config_dir = config_dir

    def fresh_integration(self, seed: Any = None) -> str:
        """Emulators back to the seeded state (or eAccounting to ``seed``) and a new integration
        (own ledger, watermarks) authorized on them; request counts start from zero."""
        from vismasync.config.integrations import load_integration
        from vismasync.deployments.demo_integration import write_demo_config
        from vismasync.engine.clients import authorize_auto_approving_eaccounting

        for emulator in self.emulators.values():
            emulator.reset()
        if seed is not None:
            self.emulators["eaccounting"].load_seed(seed)
        name = f"bench-{uuid.uuid4().hex[:8]}"
        ea, vn = self.emulators["eaccounting"], self.emulators["vismanet"]
        write_demo_config(self.config_dir, name, ea.base_url, vn.base_url)
        authorize_auto_approving_eaccounting(load_integration(name))
        self.clear_counts()
        return name

    def clear_counts(self) -> None:
        for emulator in self.emulators.values():
            emulator.clear_counts()

    def set_overlap(self, name: str, flow: str, minutes: int) -> None:
        """Give the integration's ``flow`` this overlap window (the setting is not part of the
        records' content hashes, so the ledger still knows every record as unchanged)."""
        path = self.config_dir / f"{name}.yaml"
        text = re.sub(r"\n    overlap_minutes: \d+", "", path.read_text(encoding="utf-8"))
        marker = f"\n  {flow}:\n"
        assert marker in text, f"no {flow} section in {path}"
        path.write_text(
            text.replace(marker, f"{marker}    overlap_minutes: {minutes}\n", 1), encoding="utf-8"
        )

    def run(
        self,
        label: str,
        call: Callable[[str], Any],
        *,
        profile: bool = False,
        integration: str | None = None,
    ) -> Measured:
        """Time ``call`` on a fresh integration, or again on ``integration`` as it is."""
        name = integration or self.fresh_integration()
        self.clear_counts()
        emulator_cpu = {k: e.cpu_seconds() for k, e in self.emulators.items()}
        profiler = cProfile.Profile() if profile else None
        gc.collect()
        cpu = time.process_time()
        main_cpu = time.thread_time()
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        try:
            result = call(name)
        finally:
            if profiler is not None:
                profiler.disable()
        seconds = time.perf_counter() - start
        main_cpu = time.thread_time() - main_cpu
        settle()
        cpu = time.process_time() - cpu
        return Measured(
            label=label,
            seconds=seconds,
            cpu_seconds=cpu,
            main_thread_cpu_seconds=main_cpu,
            result=result,
            calls={k: e.counts() for k, e in self.emulators.items()},
            emulator_cpu_seconds={
                k: e.cpu_seconds() - emulator_cpu[k] for k, e in self.emulators.items()
            },
            integration=name,
            profile=pstats.Stats(profiler) if profiler is not None else None,
        )


def median_run(runs: list[Measured]) -> Measured:
    """The run of median wall time: short runs on a shared machine vary by more than their
    length, so one run says little."""
    middle = statistics.median_low(run.seconds for run in runs)
    return next(run for run in runs if run.seconds == middle)
