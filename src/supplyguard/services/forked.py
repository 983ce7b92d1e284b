"""Work done beside this process by a forked child: when a fork is safe, and a stream of results.

A forked child starts with this process's memory as it is (the request's bytes, the loaded code), so
nothing has to be sent to it. It must not touch what the parent holds open (database connections,
files): it only computes and sends back plain values, and ends with ``os._exit`` (no clean-up that
could close or reset the parent's connections). A fork is safe only while this process has no
other thread, which could hold a lock (logging, an id generator, the allocator's) at that moment and
leave it locked forever in the child.
"""

from __future__ import annotations

import contextlib
import gc
import mmap
import multiprocessing
import os
import pickle
import threading
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Generic, TypeVar

__all__ = ["ForkedStream", "WorkerFailed", "can_fork", "gc_frozen"]

T = TypeVar("T")


def can_fork() -> bool:
    """Whether a worker may be forked now: a second core to run it, a fork-capable platform, and no
    other thread in this process that could hold a lock at the moment of the fork."""
    if (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return False
    return threading.active_count() == 1


_frozen_depth = 0
_frozen_lock = threading.Lock()
_froze = False


@contextlib.contextmanager
def gc_frozen() -> Iterator[None]:
    """Keep the cyclic garbage collector off everything alive now, while forked children run.

    A child starts sharing every page of this process; the first write to a shared page, in either
    process, copies it (a page fault, about 5 µs on the development VM). A collection walks every
    tracked object and writes to its header, so one full collection, in the child or here, copies
    the pages of the whole heap: a forked verification worker of the sync spent a third of a second
    on 17,000 such faults in one page. Frozen objects are not walked (``gc.freeze``, as Python's
    documentation advises before a fork); what is made from now on is collected as before, and the
    frozen objects go back to the collector when the last caller leaves. Objects frozen by someone
    else before are left frozen."""
    global _frozen_depth, _froze
    with _frozen_lock:
        if _frozen_depth == 0:
            _froze = gc.get_freeze_count() == 0
            if _froze:
                gc.freeze()
        _frozen_depth += 1
    try:
        yield
    finally:
        with _frozen_lock:
            _frozen_depth -= 1
            if _frozen_depth == 0 and _froze:
                gc.unfreeze()
                _froze = False


class WorkerFailed(Exception):
    """The forked child stopped without finishing its stream (an error in it, or it was killed).

    ``cause`` is the child's own exception, brought back (None when the child died without one):
    a caller whose ``produce`` raises errors meant for its own caller re-raises it."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause


class _Rebuilt:
    """An exception that pickle would not bring back intact (one whose ``__init__`` takes other
    arguments than its ``args``, as :class:`~supplyguard.errors.ValidationFailed`): its class,
    args and attributes."""

    def __init__(self, error: BaseException) -> None:
        self.kind = type(error)
        self.args = error.args
        self.state = dict(vars(error))

    def error(self) -> BaseException:
        error = self.kind.__new__(self.kind)
        error.args = self.args
        vars(error).update(self.state)
        return error


def _error_bytes(error: BaseException) -> bytes:
    """``error`` pickled for the parent: as it is when that brings it back equal, else rebuilt."""
    try:
        data = pickle.dumps(error, pickle.HIGHEST_PROTOCOL)
        back = pickle.loads(data)  # noqa: S301 - our own bytes, just made
        if type(back) is type(error) and str(back) == str(error) and vars(back) == vars(error):
            return data
    except Exception:  # noqa: S110 - not picklable as it is: rebuilt below
        pass
    try:
        return pickle.dumps(_Rebuilt(error), pickle.HIGHEST_PROTOCOL)
    except Exception:
        return pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))


def _error_from(data: bytes) -> BaseException | None:
    try:
        found = pickle.loads(data)  # noqa: S301 - from our own child
    except Exception:
        return None
    return found.error() if isinstance(found, _Rebuilt) else found


_END = "end"


def _run_child(
    produce: Callable[[], Iterable[Any]],
    memory: mmap.mmap,
    slots: int,
    slot_bytes: int,
    ready: Connection,
    returned: Connection,
) -> None:
    """In the child: pickle each item into a free slot of the shared memory and name it on ``ready``
    (an item larger than a slot goes through the pipe itself); wait on ``returned`` for a slot the
    parent has read when all are in use."""
    free = list(range(slots))
    try:
        for item in produce():
            blob = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
            if len(blob) > slot_bytes:
                ready.send((-1, len(blob)))
                ready.send_bytes(blob)
                continue
            if not free:
                free.append(returned.recv())
            slot = free.pop()
            memory[slot * slot_bytes : slot * slot_bytes + len(blob)] = blob
            ready.send((slot, len(blob)))
        ready.send(_END)
    except BaseException as error:
        with contextlib.suppress(OSError):  # the parent has gone
            ready.send(traceback.format_exc())
            ready.send_bytes(_error_bytes(error))


class ForkedStream(Generic[T]):
    """The items of ``produce()``, computed in a forked child while this process works on the ones
    already received; in order, each exactly once.

    ``with ForkedStream(produce) as items: for item in items: ...``. Items come back pickled
    through ``slots`` slots of shared memory (a pipe would move them in 64 KB writes, each one
    waiting for this process to read), so the child runs at most ``slots`` items ahead. Leaving the
    block early stops the child. :class:`WorkerFailed` if the child fails or dies; ``produce`` should
    turn the failures it expects into items.
    """

    def __init__(
        self, produce: Callable[[], Iterable[T]], *, slots: int = 3, slot_bytes: int = 32 * 1024 * 1024
    ) -> None:
        self._produce = produce
        self._slots = slots
        self._slot_bytes = slot_bytes
        self._process: Any = None
        self._memory: mmap.mmap | None = None
        self._ready: Connection | None = None
        self._returned: Connection | None = None
        self._items_left: Generator[T, None, None] | None = None
        self._finished = False
        self._frozen = contextlib.ExitStack()

    def __enter__(self) -> Iterator[T]:
        self._frozen.enter_context(gc_frozen())  # until __exit__: see gc_frozen
        try:
            return self._start()
        except BaseException:
            self._frozen.close()
            raise

    def _start(self) -> Iterator[T]:
        fork = multiprocessing.get_context("fork")
        # anonymous and shared: the child writes, this process reads; pages are used as written
        self._memory = mmap.mmap(-1, self._slots * self._slot_bytes)
        ready_r, ready_w = fork.Pipe(duplex=False)
        returned_r, returned_w = fork.Pipe(duplex=False)
        self._process = fork.Process(
            target=_run_child,
            args=(self._produce, self._memory, self._slots, self._slot_bytes, ready_w, returned_r),
            daemon=True,
        )
        self._process.start()
        ready_w.close()
        returned_r.close()
        self._ready, self._returned = ready_r, returned_w
        self._items_left = self._items()
        return self._items_left

    def _items(self) -> Generator[T, None, None]:
        assert self._memory is not None and self._ready is not None and self._returned is not None
        memory, ready, returned, size = self._memory, self._ready, self._returned, self._slot_bytes
        view = memoryview(memory)
        try:
            while True:
                try:
                    message = ready.recv()
                except EOFError:
                    raise WorkerFailed("the worker process ended without finishing") from None
                if message == _END:
                    self._finished = True
                    return
                if isinstance(message, str):
                    try:
                        cause = _error_from(ready.recv_bytes())
                    except (EOFError, OSError):
                        cause = None
                    raise WorkerFailed(f"the worker process failed:\n{message}", cause)
                slot, length = message
                # pickles from our own child, made from this process's memory: trusted
                if slot < 0:
                    item = pickle.loads(ready.recv_bytes())  # noqa: S301
                else:
                    item = pickle.loads(view[slot * size : slot * size + length])  # noqa: S301
                    with contextlib.suppress(OSError):  # a child that has sent its last item is gone
                        returned.send(slot)
                yield item
        finally:
            view.release()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._items_left is not None:
            self._items_left.close()  # releases its view of the shared memory
        process = self._process
        if process is not None:
            if not self._finished:
                process.terminate()
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
            process.close()
        for end in (self._ready, self._returned):
            if end is not None:
                end.close()
        if self._memory is not None:
            self._memory.close()
        self._frozen.close()
