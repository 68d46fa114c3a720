"""One limit on Bunce traffic for every workspace: Bunce counts requests per IP, not per key.

Bunce allows 500 requests a minute per IP and locks the IP out for 60 s after a 429
(docs/bunce-api.md §2.8). Its window is undocumented, so the limiter promises the strictest reading:
no 60-second window, wherever it starts, holds more than `per_minute` requests. A token bucket
can't promise that (a full bucket plus a minute of refill lets 2× through), so this is a
sliding-window log: the times of the requests sent in the last 60 s, and a new one only while
fewer than `per_minute` are in it.

This limiter is per process. Processes sharing PostgreSQL share one budget through the database
(bot.store.ratelimit.SharedRateLimiter, a subclass with the same interface).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

# Staying at 400 of Bunce's 500 leaves room for network jitter (Bunce sees arrival times, the
# limiter send times) and for anything else that calls Bunce from the same egress IP.
DEFAULT_PER_MINUTE = 400
WINDOW_SECONDS = 60.0
# acquire() returns a positive wait whenever it refuses, even at a window's exact edge.
_MIN_WAIT = 0.001


class RateLimiter:
    """At most `per_minute` requests in any 60 s window; everything paused after a 429.

    `acquire()` is 0.0 when a request may go now (and counts it), otherwise the seconds to wait
    before asking again. `pause(seconds)` holds every caller back for Retry-After.
    """

    def __init__(
        self, per_minute: int = DEFAULT_PER_MINUTE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._clock = clock
        self._sent: deque[float] = deque()  # send times within the window, oldest first
        self._paused_until = float("-inf")
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """0 when a request may go now (and is counted); otherwise the seconds to wait first."""
        with self._lock:
            now = self._clock()
            if now < self._paused_until:
                return self._paused_until - now
            self._forget_before(now)
            if len(self._sent) < self.per_minute:
                self._sent.append(now)
                return 0.0
            # The oldest send leaves the (closed) window just after oldest + 60.
            return max(self._sent[0] + WINDOW_SECONDS - now, _MIN_WAIT)

    def pause(self, seconds: float) -> None:
        """After a 429 nobody in this process calls Bunce until Retry-After has passed."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))

    def paused_for(self) -> float:
        """Seconds left of a pause (0 when not paused): lets a subclass skip its shared check."""
        with self._lock:
            return max(self._paused_until - self._clock(), 0.0)

    def sent_in_window(self) -> int:
        """How many requests this limiter let through in the last 60 s."""
        with self._lock:
            self._forget_before(self._clock())
            return len(self._sent)

    def forget_oldest(self, count: int) -> None:
        """Drop the `count` oldest sends: a shared budget has recorded them elsewhere."""
        with self._lock:
            for _ in range(min(count, len(self._sent))):
                self._sent.popleft()

    def _forget_before(self, now: float) -> None:
        # A send exactly 60 s ago still counts: windows are closed at both ends.
        while self._sent and self._sent[0] < now - WINDOW_SECONDS:
            self._sent.popleft()
