"""The one ID scheme: UUIDv7 (RFC 9562), time-ordered so indexes stay append-friendly."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_id() -> uuid.UUID:
    """A new UUIDv7: 48-bit Unix milliseconds, a 12-bit counter for monotonicity, 62 random bits."""
    global _last_ms, _counter
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:
                _last_ms += 1
                _counter = 0
            now_ms = _last_ms
        else:
            _last_ms = now_ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (now_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand
    return uuid.UUID(int=value)


def new_id_ints(count: int) -> list[int]:
    """``count`` new UUIDv7s as integers (``uuid.UUID(int=...)`` of each is the id), in order, as
    :func:`new_id` makes them one after another within one reading of the clock (the counter going
    up, into the next millisecond if it runs out), with one lock and one read of random bytes for
    all of them: for bulk writers, which format ids themselves."""
    global _last_ms, _counter
    if count <= 0:
        return []
    randoms = os.urandom(8 * count)
    stamps = []
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms > _last_ms:
            _last_ms = now_ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
        else:
            _counter += 1
        for _ in range(count):
            if _counter > 0xFFF:
                _last_ms += 1
                _counter = 0
            stamps.append(
                ((_last_ms & ((1 << 48) - 1)) << 80) | (0x7 << 76) | (_counter << 64) | (0b10 << 62)
            )
            _counter += 1
        _counter -= 1  # the last one used
    mask = (1 << 62) - 1
    return [
        stamp | (int.from_bytes(randoms[8 * n : 8 * n + 8], "big") & mask) for n, stamp in enumerate(stamps)
    ]


def new_id_str() -> str:
    return str(new_id())
