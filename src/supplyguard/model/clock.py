"""The one clock. Services receive a :class:`Clock`; tests pass a :class:`FixedClock`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to: deterministic tests and demo worlds."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def as_utc(moment: datetime) -> datetime:
    """Treat a naive datetime (as SQLite returns them) as UTC; convert aware ones to UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@lru_cache(maxsize=1024)
def iso_utc(moment: datetime) -> str:
    """One text form for instants: ``2026-11-23T01:13:11.123456Z`` (always microseconds, always Z)."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
