"""A target list read for a whole run in whichever way costs the fewest API calls.

Flows need target records by key (customers by id or e-mail, articles by number) batch after
batch. Asking per batch costs a list call per 25 keys (the URL-safe size of a ``$filter`` of
keys); the company's whole list costs one call per page of up to 1,000 records, however many
keys the run asks for. A :class:`Directory` keeps every record it has read for the rest of the
run and chooses per request:

- a single chunk of keys is read by keys (one call either way);
- more than that first reads the list's first page, which tells how many pages the list has
  (a list of one page is then complete: every later question is answered without a call);
- after that, the rest of the list is read once the calls spent on keys would reach what the
  remaining pages cost (renting until buying is cheaper: never more than twice the better of
  the two), unless the list is larger than ``max_records``, which keeps memory bounded.

A complete list also answers "absent" without a call. It is complete only when the pages read
add up to the total the API announced on each of them: a record created or deleted while the
pages were read could shift one past the reader, and then absence is not trusted.

What the directory holds is at most ``max_age`` seconds old, then it is read afresh: flows
write records back whole (eAccounting's PUT replaces the object), so the copy a write starts
from must be recent, and a change someone makes in eAccounting while a run goes on is
overwritten only if it lands within that window before the write.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from vismasync.connectors.eaccounting.filters import CHUNK_SIZE
from vismasync.engine.run import RunContext

Record = dict[str, Any]
T = TypeVar("T")
# Seconds a directory's copy of its records is trusted (see the module docstring).
MAX_AGE = 60.0


class Page(Protocol):
    items: list[Record]
    pages: int
    total: int


@dataclass(frozen=True)
class Index:
    """One way of looking records up: a record's key, and a reader of records by keys."""

    key: Callable[[Record], str | None]
    read: Callable[[Sequence[str]], list[Record]]


@dataclass
class Directory:
    """The records of one target list met during a run, by ``Id`` and by each index."""

    read_page: Callable[[int], Page]
    indexes: dict[str, Index]
    max_records: int = 20_000
    chunk: int = CHUNK_SIZE
    max_age: float = MAX_AGE
    clock: Callable[[], float] = time.monotonic
    since: float | None = None  # when the records held were first read
    records: dict[str, Record] = field(default_factory=dict)
    complete: bool = False
    pages: int | None = None  # the list's pages, once its first page was read
    next_page: int = 1
    key_calls: int = 0  # calls spent reading by keys so far
    _by: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    _absent: dict[str, set[str]] = field(default_factory=dict)
    _totals: set[int] = field(default_factory=set)

    def get(self, index: str, keys: Iterable[str | None]) -> dict[str, list[Record]]:
        """The records whose ``index`` key is one of ``keys`` (each key's records, lowest
        ``Id`` first; keys no record has are left out)."""
        wanted = {key for key in keys if key}
        self._expire()
        missing = sorted(k for k in wanted if not self._known(index, k))
        if missing:
            self._read(index, missing)
        by = self._by.get(index, {})
        return {
            key: [self.records[i] for i in sorted(by[key])] for key in sorted(wanted) if by.get(key)
        }

    def one(self, index: str, keys: Iterable[str | None]) -> dict[str, Record]:
        """As :meth:`get`, the first record per key."""
        return {key: found[0] for key, found in self.get(index, keys).items()}

    def put(self, record: Record) -> None:
        """Record what the run itself wrote (a created or updated record), so later batches
        see it without a call."""
        previous = self.records.get(str(record["Id"]))
        if previous is not None:
            self._unindex(previous)
        self._add(record)

    # --- reading -------------------------------------------------------------------------------
    def _expire(self) -> None:
        now = self.clock()
        if self.since is None:
            self.since = now
        elif now - self.since > self.max_age:
            self._forget()
            self.pages, self.next_page, self.key_calls, self.since = None, 1, 0, now
            self._totals.clear()

    def _forget(self) -> None:
        self.records.clear()
        self._by.clear()
        self._absent.clear()
        self.complete = False

    def _known(self, index: str, key: str) -> bool:
        return (
            self.complete or key in self._by.get(index, {}) or key in self._absent.get(index, set())
        )

    def _read(self, index: str, missing: list[str]) -> None:
        calls = math.ceil(len(missing) / self.chunk)
        if self.pages is None and calls > 1:
            self._read_list_page()
            missing = [k for k in missing if not self._known(index, k)]
            calls = math.ceil(len(missing) / self.chunk)
        if not missing:
            return
        if self._may_finish_list() and self._remaining_pages() <= self.key_calls + calls:
            while self.next_page <= (self.pages or 0):
                self._read_list_page()
            if self.complete:
                return
            missing = [k for k in missing if not self._known(index, k)]
        found = self.indexes[index].read(missing) if missing else []
        self.key_calls += math.ceil(len(missing) / self.chunk)
        for record in found:
            self._add(record)
        have = self._by.setdefault(index, {})
        self._absent.setdefault(index, set()).update(k for k in missing if k not in have)
        self._bound()

    def _read_list_page(self) -> None:
        page = self.read_page(self.next_page)
        self.pages, self.next_page = page.pages, self.next_page + 1
        self._totals.add(page.total)
        for record in page.items:
            self._add(record)
        if self.next_page > page.pages:
            # Every page read: complete when they add up to the one total announced.
            self.complete = len(self._totals) == 1 and len(self.records) >= page.total
        self._bound()

    def _may_finish_list(self) -> bool:
        return (
            self.pages is not None
            and not self.complete
            and self.next_page <= self.pages
            and max(self._totals, default=0) <= self.max_records
        )

    def _remaining_pages(self) -> int:
        return (self.pages or 0) - self.next_page + 1

    # --- the indexes ------------------------------------------------------------------------------
    def _add(self, record: Record) -> None:
        ident = str(record["Id"])
        self.records[ident] = record
        for name, index in self.indexes.items():
            key = index.key(record)
            if key:
                self._by.setdefault(name, {}).setdefault(key, set()).add(ident)
                self._absent.get(name, set()).discard(key)

    def _unindex(self, record: Record) -> None:
        ident = str(record["Id"])
        for name, index in self.indexes.items():
            key = index.key(record)
            if key and key in self._by.get(name, {}):
                self._by[name][key].discard(ident)
                if not self._by[name][key]:
                    del self._by[name][key]

    def _bound(self) -> None:
        # A list too large to keep: forget what was read (later requests read again) rather
        # than grow without bound over a long run.
        if len(self.records) > self.max_records:
            self._forget()


# What the runs this process works on keep for their length (directories, reference data); a
# handful of runs at most (runs of several flows may share a process), the oldest dropped first.
_kept: OrderedDict[tuple[str, str], Any] = OrderedDict()
_KEPT = 16
_lock = threading.Lock()


def run_scoped(ctx: RunContext, name: str, make: Callable[[], T]) -> T:
    """The run's object called ``name`` (a directory, a reference table), made on first use."""
    key = (ctx.run_id, name)
    with _lock:
        if key not in _kept:
            _kept[key] = make()
            while len(_kept) > _KEPT:
                _kept.popitem(last=False)
        return _kept[key]  # type: ignore[no-any-return]


def forget_run(run_id: str) -> None:
    """Drop what one run kept (the engine calls this when the run ends)."""
    with _lock:
        for key in [key for key in _kept if key[0] == run_id]:
            del _kept[key]


def forget_runs() -> None:
    """Drop what every run kept (tests start each case afresh)."""
    with _lock:
        _kept.clear()
