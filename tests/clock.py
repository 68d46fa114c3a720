"""Clocks for tests that move only when told to: datetimes for the stores, floats like
time.monotonic for limiters and caches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


class Clock:
    """Callable like the stores' clocks; `tick` advances it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: int = 1) -> None:
        self.now += timedelta(seconds=seconds)


class FloatClock:
    """time.monotonic's shape, moving only when a test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
