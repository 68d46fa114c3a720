"""A clock for store tests that moves only when told to."""

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
