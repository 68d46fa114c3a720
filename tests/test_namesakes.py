"""One read of Bunce's segment list a minute per key serves every create's baseline
(bot/create/namesakes.py): directly, and through the app against the fake Bunce."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bot.bunce import Segment
from bot.bunce.errors import BunceUnavailableError
from bot.create.namesakes import NamesakeCache
from tests.clock import FloatClock
from tests.harness import LIVE_KEY, Harness
from tests.test_reliability import outcome_view, submit


def segment(sid: str, name: str) -> Segment:
    return Segment(sid, name, "", None, False, None, None)


class Walks:
    """A walk of Bunce's list that counts how often it was taken."""

    def __init__(self, *segments: Segment) -> None:
        self.segments = list(segments)
        self.count = 0
        self.fail = False

    def __call__(self) -> Iterator[Segment]:
        self.count += 1
        if self.fail:
            raise BunceUnavailableError("down")
        return iter(list(self.segments))


def test_one_walk_serves_every_name_until_it_is_a_minute_old() -> None:
    clock, walk = FloatClock(), Walks(segment("1", "Spring VIPs"), segment("2", "Churned"))
    cache = NamesakeCache(fresh_seconds=60, clock=clock)

    assert cache.baseline("sk_live_a", "spring  vips", walk) == {"1"}  # as Bunce compares names
    assert cache.baseline("sk_live_a", "Churned", walk) == {"2"}
    assert cache.baseline("sk_live_a", "New", walk) == frozenset()
    assert walk.count == 1

    walk.segments.append(segment("3", "New"))
    clock.now += 61
    assert cache.baseline("sk_live_a", "New", walk) == {"3"}
    assert walk.count == 2


def test_each_key_has_its_own_walk_and_a_failed_walk_is_not_kept() -> None:
    clock, walk = FloatClock(), Walks(segment("1", "A"))
    cache = NamesakeCache(clock=clock)
    walk.fail = True
    with pytest.raises(BunceUnavailableError):
        cache.baseline("sk_live_a", "A", walk)

    walk.fail = False
    assert cache.baseline("sk_live_a", "A", walk) == {"1"}
    assert cache.baseline("sk_live_b", "A", walk) == {"1"}
    assert walk.count == 3


def test_segments_created_here_are_namesakes_at_once_even_across_a_new_walk() -> None:
    clock, walk = FloatClock(), Walks()
    cache = NamesakeCache(fresh_seconds=60, clock=clock)
    assert cache.baseline("sk_live_a", "Launch", walk) == frozenset()

    cache.created("sk_live_a", segment("9", "Launch"))
    assert cache.baseline("sk_live_a", "launch", walk) == {"9"}
    clock.now += 61  # a new walk that (here) doesn't list it yet keeps it all the same
    assert cache.baseline("sk_live_a", "Launch", walk) == {"9"}
    assert walk.count == 2


def test_threads_wanting_a_baseline_at_once_share_one_walk() -> None:
    gate = threading.Event()
    walk = Walks(segment("1", "A"))

    def slow_walk() -> Iterator[Segment]:
        gate.wait(5)
        return walk()

    cache = NamesakeCache()
    found: list[frozenset[str]] = []
    threads = [
        threading.Thread(target=lambda: found.append(cache.baseline("k", "A", slow_walk)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join(5)

    assert found == [frozenset({"1"})] * 8
    assert walk.count == 1


def test_the_app_reads_bunces_list_once_for_several_creates(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.add_segment(LIVE_KEY, "Launch")  # someone made one in Bunce earlier
    for name in ("Launch", "Spring", "Launch"):
        view = submit(harness, name)
        assert outcome_view(harness, view["id"])["title"]["text"] == "Segment created"
        harness.background.wait_idle()

    kinds = [(r.method, r.path) for r in harness.bunce.requests]
    assert kinds.count(("GET", "/segments")) == 1
    assert kinds.count(("POST", "/segments")) == 3
    with harness.services.engine.connect() as conn:
        kept = [
            json.loads(ids)
            for (ids,) in conn.execute(
                sa.text(
                    "SELECT b.segment_ids FROM submission_baselines b JOIN submissions s "
                    "ON s.id = b.submission_id ORDER BY s.created_at"
                )
            )
        ]
    launches = [s["id"] for s in harness.bunce.segments(LIVE_KEY) if s["name"] == "Launch"]
    assert len(launches) == 3
    # Each Launch's baseline holds every Launch before it: Bunce's, then the app's own.
    assert [set(ids) for ids in kept] == [set(launches[:1]), set(), set(launches[:2])]
