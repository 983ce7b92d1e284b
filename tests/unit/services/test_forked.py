"""A stream of items computed in a forked child: order, sizes, failures, early exit."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest

from supplyguard.services.forked import ForkedStream, WorkerFailed, can_fork, gc_frozen

pytestmark = pytest.mark.skipif(not can_fork(), reason="no safe fork here (one core, or threads running)")


def numbers(count: int) -> Iterator[tuple[int, int]]:
    for n in range(count):
        yield n, os.getpid()


def test_items_arrive_in_order_from_another_process() -> None:
    with ForkedStream(lambda: numbers(50), slots=2) as items:
        got = list(items)
    assert [n for n, _ in got] == list(range(50))
    assert {pid for _, pid in got} != {os.getpid()}


def test_items_larger_than_a_slot_come_through_the_pipe() -> None:
    sizes = [10, 5000, 10, 20000, 3]
    with ForkedStream(lambda: (b"x" * size for size in sizes), slots=2, slot_bytes=1024) as items:
        assert [len(item) for item in items] == sizes


def fails_after(count: int) -> Iterator[int]:
    yield from range(count)
    raise RuntimeError("broken producer")


def test_a_failing_child_is_reported_after_the_items_it_sent() -> None:
    got: list[int] = []
    with pytest.raises(WorkerFailed, match="broken producer"), ForkedStream(lambda: fails_after(3)) as items:
        got.extend(items)
    assert got == [0, 1, 2]


def endless() -> Iterator[int]:
    yield os.getpid()
    n = 0
    while True:
        n += 1
        yield n


def test_leaving_early_stops_the_child() -> None:
    with ForkedStream(endless, slots=2) as items:
        child = next(items)
        assert next(items) == 1
    with pytest.raises(ProcessLookupError):  # stopped and reaped
        os.kill(child, 0)


def test_the_childs_own_error_comes_back_as_the_cause() -> None:
    from supplyguard.errors import FieldError, ValidationFailed

    def refuses() -> Iterator[int]:
        yield 1
        raise ValidationFailed([FieldError(("row", 2), "not a date")])

    with pytest.raises(WorkerFailed) as failed, ForkedStream(refuses) as items:
        list(items)
    cause = failed.value.cause
    assert isinstance(cause, ValidationFailed)
    assert [(e.location, e.message) for e in cause.errors] == [(("row", 2), "not a date")]


def collections_seen(count: int) -> Iterator[tuple[int, int]]:
    """In the child: how many objects a full collection walks, before and after making ``count``."""
    gc.collect()
    before = len(gc.get_objects())
    made = [[n] for n in range(count)]
    yield before, len(gc.get_objects()) - before
    del made


def test_the_collector_leaves_the_inherited_heap_alone_while_a_child_runs() -> None:
    assert gc.get_freeze_count() == 0
    with ForkedStream(lambda: collections_seen(1000)) as items:
        ((walked, new),) = list(items)
        # here and in the child, what was alive at the fork is frozen: collections walk only
        # what is made after it, so neither process copies the pages they share
        assert gc.get_freeze_count() > 0
        assert walked < 1000 <= new
    assert gc.get_freeze_count() == 0  # handed back to the collector


def test_objects_frozen_before_stay_frozen_and_nesting_thaws_once() -> None:
    kept = [object() for _ in range(3)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gc_frozen(), gc_frozen():
            pass
        assert gc.get_freeze_count() == frozen  # someone else's freeze is not undone
    finally:
        gc.unfreeze()
    with gc_frozen():
        with gc_frozen():
            pass
        assert gc.get_freeze_count() > 0  # the inner exit does not thaw what the outer froze
    assert gc.get_freeze_count() == 0
    del kept
