"""One process-wide limit on Bunce traffic: Bunce counts requests per IP, not per key."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Bunce allows 500 requests a minute per IP and locks an IP out for 60 s after a 429
# (bunce-api.md §2.8); staying at 400 leaves room for other processes on the same egress IP.
DEFAULT_PER_MINUTE = 400


class RateLimiter:
    """A token bucket shared by every workspace's client, paused entirely after a 429."""

    def __init__(
        self, per_minute: int = DEFAULT_PER_MINUTE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._tokens = float(per_minute)
        self._clock = clock
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """0 when a request may go now (and is counted); otherwise the seconds to wait first."""
        with self._lock:
            now = self._clock()
            if now < self._paused_until:
                return self._paused_until - now
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self._rate

    def pause(self, seconds: float) -> None:
        """After a 429 nobody in this process calls Bunce until Retry-After has passed."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))
