"""Bunce's per-IP budget shared by every process on one PostgreSQL database.

Bunce allows 500 requests a minute per IP; with WEB_CONCURRENCY > 1, or several hosts behind
one egress IP, a limiter per process would let each spend the whole budget. Processes sharing
PostgreSQL therefore count their requests in one row of `bunce_rate`:

- `counts[1..61]` are the requests counted in each of the last 61 whole seconds (`slot` is the
  newest). A request is let through only while the 61 counts sum to less than the budget.
  Proof that no closed 60 s window [a, a + 60] ever holds more than the budget: let s be the
  last request let through in such a window; every other request g in it has s - 60 <= g <= s,
  so floor(g) lies in floor(s) - 60 .. floor(s), the 61 seconds summed when s was let through;
  that sum was below the budget, so with s the window holds at most the budget. A steady
  stream gets budget × 60/61 (98%) of it.
- One `UPDATE … WHERE name = …` does the check and the count. PostgreSQL serialises updates of
  one row and re-evaluates the SET expressions on the newest row version after waiting
  (READ COMMITTED), so concurrent processes never both take the last request. One autocommit
  statement per request: 0.5-0.65 ms on a local PostgreSQL, 0.7-1.5 ms through the pool
  (pre-ping included, on a busy 2-core machine), against a Bunce call of 100 ms or more, at
  most 400 times a minute. So the budget is shared rather than divided: budget / N per
  process would cost nothing but strand most of it in idle processes, and needs N kept right.
- `paused_until` holds a 429's Retry-After for every process.
- Time is the database's (`statement_timestamp()`), the same for every host; tests pass `now`.

On SQLite the web process and the worker process (SUBMISSION_WORKER=separate) share the budget
the same way, through the same row (`counts` as JSON text, the decision made in Python inside
SQLite's one-writer transaction, time from the host's clock, which both processes share). A
single SQLite process (inline) keeps the in-process limiter (bot.bunce.limiter).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine

from bot.bunce.limiter import DEFAULT_PER_MINUTE, RateLimiter
from bot.store.db import StoreError, database_errors, metadata

logger = logging.getLogger(__name__)

SLOTS = 61  # seconds summed per check: a 60 s window touches at most 61 whole seconds
DEFAULT_NAME = "bunce"
# While the database is unreachable, try it again at most this often (a dead database costs the
# probing thread a connect timeout, so not on every request).
RETRY_SECONDS = 10.0
_MIN_WAIT = 0.001

bunce_rate = sa.Table(
    "bunce_rate",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("slot", sa.BigInteger, nullable=False),
    # An int[] of SLOTS counts on PostgreSQL; unused (and text) on SQLite.
    sa.Column(
        "counts", sa.Text().with_variant(postgresql.ARRAY(sa.Integer), "postgresql"), nullable=False
    ),
    sa.Column("paused_until", sa.Float, nullable=False),
    # Whether the statement that last wrote the row let its request through (read by RETURNING).
    sa.Column("granted", sa.Boolean, nullable=False),
)

# The clock: the caller's (tests) or the database's, which every host shares.
_CLOCK = (
    "(SELECT CAST(coalesce(CAST(:now AS double precision), "
    "extract(epoch FROM statement_timestamp())) AS double precision) AS t) AS clock"
)
_NOW_SLOT = "floor(clock.t)::bigint"
# Counts moved on to the current second (never backwards: a statement that waited for the row
# lock with an older `now` counts into the newer second, which only makes it expire later).
_SHIFTED = f"""
    CASE WHEN {_NOW_SLOT} - r.slot >= {SLOTS} THEN array_fill(0, ARRAY[{SLOTS}])
         WHEN {_NOW_SLOT} <= r.slot THEN r.counts
         ELSE r.counts[({_NOW_SLOT} - r.slot + 1)::int : {SLOTS}]
              || array_fill(0, ARRAY[({_NOW_SLOT} - r.slot)::int])
    END"""
_TAKE = sa.text(f"""
UPDATE bunce_rate AS r
SET (slot, counts, granted) = (
    SELECT w.slot,
           w.counts[1 : {SLOTS - 1}]
               || (w.counts[{SLOTS}] + :backlog + CASE WHEN w.open THEN 1 ELSE 0 END),
           w.open
    FROM (
        SELECT s.slot, s.counts,
               r.paused_until <= clock.t
               AND (SELECT coalesce(sum(c), 0) FROM unnest(s.counts) AS c) + :backlog < :budget
               AS open
        FROM (SELECT greatest(r.slot, {_NOW_SLOT}) AS slot, {_SHIFTED} AS counts) AS s
    ) AS w
)
FROM {_CLOCK}
WHERE r.name = :name
RETURNING r.granted, r.slot, r.counts, r.paused_until, clock.t
""")
_PAUSE = sa.text(f"""
UPDATE bunce_rate AS r
SET paused_until = greatest(r.paused_until, clock.t + :seconds)
FROM {_CLOCK}
WHERE r.name = :name
RETURNING r.name
""")


@dataclass(frozen=True)
class Taken:
    """What one check of the shared budget decided."""

    wait: float  # 0.0: the request may go (and was counted); otherwise seconds to wait
    paused: bool  # refused because some process got a 429


class RateStore:
    """The `bunce_rate` row of one budget; every failure is a StoreError."""

    def __init__(self, engine: Engine, name: str = DEFAULT_NAME) -> None:
        if engine.dialect.name not in ("postgresql", "sqlite"):
            raise StoreError("a shared Bunce rate budget needs PostgreSQL or SQLite")
        self._engine = engine
        self._name = name

    def take(self, budget: int, *, backlog: int = 0, now: float | None = None) -> Taken:
        """Count one request if the budget allows; `backlog` are requests already sent (during
        a database outage) that are counted either way. `now` None: the database's clock."""
        if self._engine.dialect.name == "sqlite":
            return self._take_sqlite(budget, backlog, time.time() if now is None else now)
        params = {"name": self._name, "now": now, "budget": budget, "backlog": backlog}
        with database_errors("checking the Bunce rate budget"):
            row = self._run(_TAKE, params)
            if row is None:
                self._create_row()
                row = self._run(_TAKE, params)
        if row is None:
            raise StoreError("the Bunce rate budget row is missing")
        granted, slot, counts, paused_until, t = row
        if granted:
            return Taken(0.0, paused=False)
        return _refusal(budget, slot, list(counts), paused_until, t)

    def _take_sqlite(self, budget: int, backlog: int, t: float) -> Taken:
        """The same decision as _TAKE, in Python inside one write transaction: SQLite lets one
        writer in at a time, and its processes share one host's clock. Its counts are JSON."""
        c = bunce_rate.c
        with database_errors("checking the Bunce rate budget"), self._engine.begin() as conn:
            # A write first, so that this transaction holds SQLite's lock before it reads.
            touched = sa.update(bunce_rate).where(c.name == self._name).values(granted=c.granted)
            if conn.execute(touched).rowcount != 1:
                conn.execute(sa.insert(bunce_rate).values(**self._new_row(json.dumps)))
            row = conn.execute(sa.select(bunce_rate).where(c.name == self._name)).one()
            slot, counts = _shifted(row.slot, json.loads(row.counts), math.floor(t))
            granted = row.paused_until <= t and sum(counts) + backlog < budget
            counts[-1] += backlog + (1 if granted else 0)
            values = {"slot": slot, "counts": json.dumps(counts), "granted": granted}
            conn.execute(sa.update(bunce_rate).where(c.name == self._name).values(**values))
        if granted:
            return Taken(0.0, paused=False)
        return _refusal(budget, slot, counts, row.paused_until, t)

    def pause(self, seconds: float, *, now: float | None = None) -> None:
        """Hold every process sharing the budget back for `seconds` (a 429's Retry-After)."""
        if self._engine.dialect.name == "sqlite":
            self._pause_sqlite(max(seconds, 0.0), time.time() if now is None else now)
            return
        params = {"name": self._name, "now": now, "seconds": max(seconds, 0.0)}
        with database_errors("pausing the Bunce rate budget"):
            if self._run(_PAUSE, params) is None:
                self._create_row()
                self._run(_PAUSE, params)

    def _run(self, statement: sa.TextClause, params: dict[str, Any]) -> sa.Row[Any] | None:
        # Autocommit: the statement is its own transaction (no BEGIN/COMMIT round trips), and
        # the row lock lasts only as long as the statement.
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return conn.execute(statement, params).first()

    def _pause_sqlite(self, seconds: float, t: float) -> None:
        c = bunce_rate.c
        until = sa.func.max(c.paused_until, t + seconds)
        with database_errors("pausing the Bunce rate budget"), self._engine.begin() as conn:
            paused = sa.update(bunce_rate).where(c.name == self._name).values(paused_until=until)
            if conn.execute(paused).rowcount != 1:
                row = self._new_row(json.dumps) | {"paused_until": t + seconds}
                conn.execute(sa.insert(bunce_rate).values(**row))

    def _new_row(self, counts: Callable[[list[int]], Any] = list) -> dict[str, Any]:
        return {
            "name": self._name,
            "slot": 0,
            "counts": counts([0] * SLOTS),
            "paused_until": 0.0,
            "granted": False,
        }

    def _create_row(self) -> None:
        row = self._new_row()
        statement = postgresql.insert(bunce_rate).values(**row).on_conflict_do_nothing()
        with self._engine.begin() as conn:
            conn.execute(statement)


def _shifted(slot: int, counts: list[int], now_slot: int) -> tuple[int, list[int]]:
    """_SHIFTED of the PostgreSQL statement: counts moved on to now_slot, never backwards."""
    if now_slot - slot >= SLOTS:
        return now_slot, [0] * SLOTS
    if now_slot <= slot:
        return slot, list(counts)
    step = now_slot - slot
    return now_slot, counts[step:] + [0] * step


def _refusal(budget: int, slot: int, counts: list[int], paused_until: float, t: float) -> Taken:
    """How long until one more request fits: the pause's end, and enough old seconds expiring
    (counts[i] is second slot - 60 + i, which leaves the window at slot + i + 1)."""
    paused = paused_until > t
    wait = paused_until - t if paused else 0.0
    need = sum(counts) + 1 - budget
    if need > 0:
        running = 0
        for i, count in enumerate(counts):
            running += count
            if running >= need:
                wait = max(wait, slot + i + 1 - t)
                break
        else:  # a backlog alone over the budget: the whole window must pass
            wait = max(wait, slot + SLOTS - t)
    return Taken(max(wait, _MIN_WAIT), paused=paused)


class SharedRateLimiter(RateLimiter):
    """RateLimiter's interface, with the budget kept in PostgreSQL for every process.

    If the database can't be reached, this process falls back to its own in-process limiter at
    `fallback_per_minute` (the budget divided by the number of processes that may share it),
    logs once, and tries the database again every RETRY_SECONDS. Requests let through during
    the outage are counted into the shared row when it answers again.
    """

    def __init__(
        self,
        engine: Engine,
        per_minute: int = DEFAULT_PER_MINUTE,
        *,
        fallback_per_minute: int,
        clock: Callable[[], float] | None = None,
        name: str = DEFAULT_NAME,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        super().__init__(max(1, min(fallback_per_minute, per_minute)), clock or time.monotonic)
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.budget = per_minute
        self._store = RateStore(engine, name)
        self._shared_clock = clock  # None: the database's clock, the same on every host
        self._retry_seconds = retry_seconds
        self._retry_at: float | None = None  # set while the database is unreachable
        self._state = threading.Lock()
        self._recording = threading.Lock()

    @property
    def shared(self) -> bool:
        """False while falling back to this process's share."""
        with self._state:
            return self._retry_at is None

    def acquire(self) -> float:
        """0 when a request may go now (counted in the shared budget, or in this process's
        share while the database is away); otherwise the seconds to wait first."""
        paused = self.paused_for()  # this process's own 429: no need to ask the database
        if paused > 0:
            return paused
        now = self._clock()
        with self._state:
            retry_at = self._retry_at
            probing = retry_at is not None
            if retry_at is not None:
                if now < retry_at:
                    return super().acquire()
                self._retry_at = now + self._retry_seconds  # others keep the fallback meanwhile
        try:
            taken = self._take()
        except StoreError as error:
            self._fell_back(error)
            return super().acquire()
        if probing:
            with self._state:
                self._retry_at = None
            logger.info("bunce rate budget: the database answers again; sharing the budget")
        return taken.wait

    def pause(self, seconds: float) -> None:
        """Pause this process at once, and every process sharing the budget through the row."""
        super().pause(seconds)
        if not self.shared:
            return
        try:
            self._store.pause(seconds, now=self._shared_now())
        except StoreError as error:
            self._fell_back(error)

    def _take(self) -> Taken:
        if not self.sent_in_window():
            return self._store.take(self.budget, now=self._shared_now())
        # Requests sent from this process's share during an outage join the shared count once.
        with self._recording:
            backlog = self.sent_in_window()
            taken = self._store.take(self.budget, backlog=backlog, now=self._shared_now())
            self.forget_oldest(backlog)
            return taken

    def _shared_now(self) -> float | None:
        return None if self._shared_clock is None else self._shared_clock()

    def _fell_back(self, error: StoreError) -> None:
        with self._state:
            first = self._retry_at is None
            self._retry_at = self._clock() + self._retry_seconds
        if first:
            logger.warning(
                "bunce rate budget: %s; this process now allows itself %d of the %d requests "
                "a minute until the database answers",
                error,
                self.per_minute,
                self.budget,
            )
