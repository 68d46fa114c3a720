"""Bunce's budget: never more than `per_minute` requests in any 60 s window, shared or not.

Bunce allows 500 requests a minute per IP and locks the IP out for 60 s after a 429, so every
pattern is checked at every request time: no closed window [t, t + 60] may hold more than the
budget, while a steady caller still gets at least 90% of it.
"""

from __future__ import annotations

import bisect
import json
import logging
import random
import threading
from collections.abc import Iterable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.bunce.limiter import RateLimiter
from bot.store.db import StoreError, create_engine_for, init_db
from bot.store.ratelimit import RateStore, SharedRateLimiter
from tests.clock import FloatClock
from tests.conftest import running_app
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi
from tests.harness import LIVE_KEY, state_for, wait_until

BUDGET = 400


def busiest_window(times: list[float], seconds: float = 60.0) -> int:
    """The most requests in any closed window [t, t + seconds] starting at a request."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_right(ordered, t + seconds) - i for i, t in enumerate(ordered)), default=0
    )


def drive(limiters: list[RateLimiter], clock: FloatClock, attempts: Iterable[float]) -> list[float]:
    """Ask at each attempt time (taking turns between limiters); the times let through."""
    sent = []
    for n, at in enumerate(sorted(attempts)):
        clock.now = at
        if limiters[n % len(limiters)].acquire() == 0.0:
            sent.append(at)
    return sent


def steady(start: float, end: float, every: float) -> list[float]:
    """An attempt every `every` seconds in [start, end)."""
    count = round((end - start) / every)
    return [start + i * every for i in range(count)]


def burst(at: float, count: int) -> list[float]:
    """`count` attempts within 10 ms of `at`."""
    return [at + i * 0.01 / count for i in range(count)]


T0 = 1000.0
PATTERNS = {
    # A full burst the moment the process starts, then more than the budget asks steadily.
    "burst at start": burst(T0, 2 * BUDGET) + steady(T0 + 1, T0 + 240, 0.05),
    # Twice the budget every minute, evenly spread.
    "steady": steady(T0, T0 + 300, 0.075),
    # Idle, then bursts just before and just after a minute boundary, twice.
    "bursts across a boundary": (
        burst(T0 + 59.9, 2 * BUDGET)
        + burst(T0 + 60.1, 2 * BUDGET)
        + burst(T0 + 119.9, 2 * BUDGET)
        + burst(T0 + 120.1, 2 * BUDGET)
    ),
    # A trickle that leaves the bucket nearly full, then a burst at the end of its minute.
    "trickle then burst": steady(T0, T0 + 59, 1.0) + burst(T0 + 59.5, 2 * BUDGET),
    "random bursts": sorted(random.Random(11).uniform(T0, T0 + 300) for _ in range(6 * BUDGET)),
}


def sent_per_minute(sent: list[float], start: float, minutes: int) -> list[int]:
    return [
        len([t for t in sent if start + 60 * m <= t < start + 60 * (m + 1)]) for m in range(minutes)
    ]


# -- in-process limiter ---------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", list(PATTERNS))
def test_no_60_second_window_holds_more_than_the_budget(pattern: str) -> None:
    clock = FloatClock(T0)

    sent = drive([RateLimiter(BUDGET, clock=clock)], clock, PATTERNS[pattern])

    assert busiest_window(sent) <= BUDGET


def test_the_budget_is_all_usable_in_a_steady_minute() -> None:
    clock = FloatClock(T0)

    sent = drive([RateLimiter(BUDGET, clock=clock)], clock, PATTERNS["steady"])

    assert min(sent_per_minute(sent, T0, 5)) >= 0.9 * BUDGET
    assert busiest_window(sent) == BUDGET


def test_a_burst_at_the_end_of_a_window_waits_for_the_start_of_the_window() -> None:
    """The old token bucket let ~2x through here: full at the start, refilled by the end."""
    clock = FloatClock(T0)
    limiter = RateLimiter(BUDGET, clock=clock)

    first = drive([limiter], clock, burst(T0, 2 * BUDGET))
    second = drive([limiter], clock, burst(T0 + 59.9, 2 * BUDGET))
    clock.now = T0 + 59.9
    wait = limiter.acquire()

    assert (len(first), len(second)) == (BUDGET, 0)
    assert wait == pytest.approx(0.1, abs=0.011)  # the first burst leaves the window at T0 + 60
    clock.now = T0 + 60.02
    assert limiter.acquire() == 0.0


def test_refusing_always_names_a_positive_wait_and_a_pause_holds_everyone() -> None:
    clock = FloatClock(T0)
    limiter = RateLimiter(2, clock=clock)
    assert [limiter.acquire(), limiter.acquire()] == [0.0, 0.0]
    clock.now = T0 + 60.0  # both sends are exactly 60 s old: still in the closed window
    assert limiter.acquire() > 0
    clock.now = T0 + 60.001
    assert limiter.acquire() == 0.0

    limiter.pause(30)

    assert limiter.acquire() == pytest.approx(30)
    clock.now += 30
    assert limiter.acquire() == 0.0


# -- one budget shared through the database -------------------------------------------------------


@pytest.fixture
def pg_engines(database_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one database, as two processes would have: a SQLite file (the web and the
    worker process), or PostgreSQL (skipped without it)."""
    yield from two_engines(database_url)


def two_engines(url: str) -> Iterator[tuple[Engine, Engine]]:
    first, second = create_engine_for(url), create_engine_for(url)
    init_db(first)
    yield first, second
    first.dispose()
    second.dispose()


def shared_pair(
    engines: tuple[Engine, Engine], clock: FloatClock, budget: int
) -> list[RateLimiter]:
    return [
        SharedRateLimiter(e, budget, fallback_per_minute=budget // 2, clock=clock) for e in engines
    ]


@pytest.mark.parametrize("pattern", ["burst at start", "bursts across a boundary", "steady"])
def test_two_processes_together_keep_within_one_budget(
    pg_engines: tuple[Engine, Engine], pattern: str
) -> None:
    clock = FloatClock(T0)
    budget = 20  # the same patterns, thinned to the smaller budget: fewer round trips
    attempts = PATTERNS[pattern][:: BUDGET // budget]

    sent = drive(shared_pair(pg_engines, clock, budget), clock, attempts)

    assert busiest_window(sent) <= budget
    if pattern == "steady":  # 60 of every 61 seconds' worth: 98% of the budget
        assert min(sent_per_minute(sent, T0, 5)) >= 0.9 * budget


def test_concurrent_processes_never_both_take_the_last_request(
    pg_engines: tuple[Engine, Engine],
) -> None:
    clock = FloatClock(T0)  # time stands still: exactly the budget, whoever asks
    limiters = shared_pair(pg_engines, clock, 30)
    granted: list[int] = []
    lock = threading.Lock()

    def hammer(limiter: RateLimiter) -> None:
        mine = sum(1 for _ in range(25) if limiter.acquire() == 0.0)
        with lock:
            granted.append(mine)

    threads = [threading.Thread(target=hammer, args=(lim,)) for lim in limiters for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(granted) == 30
    assert limiters[0].acquire() == pytest.approx(61.0)  # T0's second leaves at T0 + 61


def test_a_429_in_one_process_pauses_the_other(pg_engines: tuple[Engine, Engine]) -> None:
    clock = FloatClock(T0)
    first, second = shared_pair(pg_engines, clock, 20)
    assert second.acquire() == 0.0

    first.pause(60)

    assert second.acquire() == pytest.approx(60)
    clock.now = T0 + 59
    assert second.acquire() == pytest.approx(1)
    clock.now = T0 + 60
    assert [first.acquire(), second.acquire()] == [0.0, 0.0]


def test_the_database_clock_is_used_when_no_clock_is_given(
    pg_engines: tuple[Engine, Engine],
) -> None:
    limiters = [SharedRateLimiter(e, 3, fallback_per_minute=1) for e in pg_engines]

    waits = [limiters[n % 2].acquire() for n in range(4)]

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 0 < waits[3] <= 61


@pytest.fixture
def postgres_engines(postgres_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on PostgreSQL (the outage below is simulated in its statement runner)."""
    yield from two_engines(postgres_url)


def test_requests_sent_during_an_outage_count_in_the_shared_budget(
    postgres_engines: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    pg_engines = postgres_engines
    clock = FloatClock(T0)
    first, second = shared_pair(pg_engines, clock, 20)
    assert isinstance(first, SharedRateLimiter)
    real_run = RateStore._run
    down = True

    def flaky(store: RateStore, *args: object) -> object:
        if down and store is first._store:
            raise StoreError("database unavailable (test)")
        return real_run(store, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(RateStore, "_run", flaky)
    outage = sum(1 for _ in range(20) if first.acquire() == 0.0)  # its share: 10
    down = False
    clock.now = T0 + 10  # the next retry: the 10 sent during the outage are recorded
    assert first.acquire() == 0.0
    assert first.shared

    others = sum(1 for _ in range(20) if second.acquire() == 0.0)

    assert (outage, others) == (10, 9)  # 10 + 1 + 9 = the budget of 20


# -- database unreachable ----------------------------------------------------------------------


@pytest.fixture
def dead_engine() -> Iterator[Engine]:
    """PostgreSQL's dialect on a port nobody listens on: every connect is refused at once."""
    engine = create_engine_for("postgresql://bunce@127.0.0.1:9/nowhere")
    yield engine
    engine.dispose()


def test_unreachable_database_falls_back_to_this_process_share_and_logs_once(
    dead_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.store.ratelimit")
    clock = FloatClock(T0)
    limiter = SharedRateLimiter(
        dead_engine, BUDGET, fallback_per_minute=BUDGET // 4, clock=clock, retry_seconds=10
    )

    sent = drive([limiter], clock, PATTERNS["burst at start"])

    assert not limiter.shared
    assert busiest_window(sent) == BUDGET // 4  # a conservative share, never nothing
    assert min(sent_per_minute(sent, T0, 3)) >= 0.9 * BUDGET // 4
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per outage, although it was retried every 10 s
    assert "100 of the 400" in warnings[0].getMessage()


def test_a_429_still_pauses_this_process_while_the_database_is_away(dead_engine: Engine) -> None:
    clock = FloatClock(T0)
    limiter = SharedRateLimiter(dead_engine, 10, fallback_per_minute=5, clock=clock)
    assert limiter.acquire() == 0.0

    limiter.pause(60)

    assert limiter.acquire() == pytest.approx(60)


# -- through the app ------------------------------------------------------------------------


def outcomes(slack: FakeSlackApi, view_ids: list[str]) -> dict[str, str]:
    """The outcome modal's title and text for each view that shows one."""
    found: dict[str, str] = {}
    for call in slack.calls("views.update"):
        view = call.args["view"]
        if call.args.get("view_id") in view_ids and view["callback_id"] == "segment_result":
            found[call.args["view_id"]] = json.dumps(view)
    return found


def test_a_burst_of_creates_sends_at_most_the_budget_and_says_busy(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    with running_app(sqlite_url, fake_slack, fake_bunce, bunce_per_minute=5) as h:
        h.store_key()
        views = [h.open_modal() for _ in range(8)]
        for n, view in enumerate(views):
            assert h.send_submission(view, state_for(f"Burst {n}")).status_code == 200
        ids = [view["id"] for view in views]
        wait_until(lambda: len(outcomes(h.slack, ids)) == 8, timeout=15)
        h.background.wait_idle()

        shown = outcomes(h.slack, ids).values()
        created = [v for v in shown if "Segment created" in v]
        busy = [v for v in shown if "Bunce is busy" in v]
        assert len(fake_bunce.requests) <= 5  # every kind of call counts: lists too
        # Each create costs two requests (the namesakes read, then the POST), and which of the
        # eight get the budget's five is up to the threads: at least one create goes through.
        assert len(created) == len(fake_bunce.segments(LIVE_KEY)) >= 1
        assert len(created) + len(busy) == 8  # everyone else is told, not left waiting
        assert all("Wait a minute, then try again" in v for v in busy)


@pytest.mark.parametrize("worker", ["inline", "separate"])
def test_build_services_shares_the_budget_unless_one_sqlite_process_is_alone(
    database_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi, worker: str
) -> None:
    env = {"SUBMISSION_WORKER": worker}
    with running_app(database_url, fake_slack, fake_bunce, env) as h:
        limiter = h.services.bunce.limiter
        shared = isinstance(limiter, SharedRateLimiter)
        postgresql = h.services.engine.dialect.name == "postgresql"
        assert shared == (postgresql or worker == "separate")
        if shared:
            assert limiter.acquire() == 0.0
            with h.services.engine.connect() as conn:
                counted = conn.execute(sa.text("SELECT counts FROM bunce_rate")).scalar_one()
            assert sum(counted if postgresql else json.loads(counted)) == 1
