"""The run directory's choice between reading by keys and reading the whole list (pure: the
readers are in-memory lists that count their calls)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vismasync.engine.directory import Directory, Index

PAGE = 10  # records per list page here (the API's 1,000, scaled down)
CHUNK = 5  # keys per request here (the connector's 25)


@dataclass
class FakeList:
    records: list[dict[str, Any]]
    calls: list[str] = field(default_factory=list)

    def page(self, number: int) -> Any:
        self.calls.append(f"page {number}")
        start = (number - 1) * PAGE

        @dataclass
        class Page:
            items: list[dict[str, Any]]
            pages: int
            total: int

        total = len(self.records)
        return Page(self.records[start : start + PAGE], math.ceil(total / PAGE), total)

    def by_numbers(self, numbers: Sequence[str]) -> list[dict[str, Any]]:
        found = []
        for start in range(0, len(numbers), CHUNK):
            self.calls.append("keys")
            chunk = set(numbers[start : start + CHUNK])
            found += [r for r in self.records if r["Number"] in chunk]
        return found


def _directory(size: int, **kwargs: Any) -> tuple[Directory, FakeList]:
    source = FakeList([{"Id": f"id-{n:04d}", "Number": f"N{n}"} for n in range(size)])
    index = Index(lambda r: r["Number"], source.by_numbers)
    return Directory(source.page, {"number": index}, chunk=CHUNK, **kwargs), source


def test_one_chunk_of_keys_is_read_by_keys_and_kept():
    directory, source = _directory(100)

    assert set(directory.one("number", ["N1", "N2", "X"])) == {"N1", "N2"}
    assert set(directory.one("number", ["N1", "X"])) == {"N1"}  # kept, and the absent one too

    assert source.calls == ["keys"]


def test_a_list_of_one_page_is_read_once_and_then_answers_everything():
    directory, source = _directory(8)

    assert len(directory.one("number", [f"N{n}" for n in range(7)])) == 7
    assert set(directory.one("number", ["N7", "missing"])) == {"N7"}

    assert source.calls == ["page 1"]
    assert directory.complete


def test_a_longer_list_is_finished_once_keys_would_cost_as_much():
    directory, source = _directory(35)  # four pages

    directory.one("number", [f"N{n}" for n in range(5, 15)])  # 10 keys: two chunks
    # The first page told the size and held half of them; the other half by keys (one chunk
    # against three pages).
    assert source.calls == ["page 1", "keys"]
    directory.one("number", [f"N{n}" for n in range(15, 30)])  # three chunks more
    # One chunk spent, three needed: the three remaining pages cost no more, and answer all.
    assert source.calls == ["page 1", "keys", "page 2", "page 3", "page 4"]
    assert directory.complete
    assert set(directory.one("number", ["N34", "N99"])) == {"N34"}
    assert len(source.calls) == 5


def test_a_list_larger_than_the_memory_bound_is_never_read_whole():
    directory, source = _directory(35, max_records=20)

    for start in range(0, 35, 7):
        directory.one("number", [f"N{n}" for n in range(start, start + 7)])

    assert "page 2" not in source.calls
    assert len(directory.records) <= 20


def test_pages_that_do_not_add_up_do_not_make_absence_trusted():
    directory, source = _directory(15)  # two pages
    directory.one("number", [f"N{n}" for n in range(0, 7)])
    source.records.insert(0, {"Id": "id-new", "Number": "NEW"})  # shifts one past the reader

    directory.one("number", [f"N{n}" for n in range(7, 15)])

    assert not directory.complete
    assert set(directory.one("number", ["NEW"])) == {"NEW"}  # asked, not assumed absent


def test_what_the_run_writes_is_found_without_a_call():
    directory, source = _directory(8)
    directory.one("number", [f"N{n}" for n in range(7)])

    directory.put({"Id": "id-0001", "Number": "RENAMED"})
    directory.put({"Id": "id-new", "Number": "CREATED"})

    assert set(directory.one("number", ["N1", "RENAMED", "CREATED"])) == {"RENAMED", "CREATED"}
    assert source.calls == ["page 1"]


def test_the_copy_is_read_afresh_after_its_maximum_age():
    now = [0.0]
    directory, source = _directory(8, max_age=60.0, clock=lambda: now[0])
    directory.one("number", [f"N{n}" for n in range(7)])
    now[0] = 61.0

    directory.one("number", [f"N{n}" for n in range(7)])

    assert source.calls == ["page 1", "page 1"]
