"""Walking Bunce's segment list however it paginates: one iterator for reconcile, list, search.

Bunce documents `page`/`per_page` for segments but neither their `meta` nor a maximum per_page
(docs/bunce-api.md §2.7, §6 #8, #20); a walk that stops early makes reconcile conclude "absent" and
create a duplicate nobody can delete.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from bot.bunce import BunceClient, BunceClientFactory, BunceError, BunceUnavailableError
from bot.bunce.errors import TooManySegments
from tests.fakes.bunce import FakeBunceApi
from tests.harness import CHANNEL, LIVE_KEY, Harness, state_for, wait_until
from tests.test_manage import list_message
from tests.test_people_search import search
from tests.test_reliability import outcome_view, posts

SHAPES = ["meta", "nested", "bare", "laravel", "laravel_resource", "cursor"]


def _shape(bunce: FakeBunceApi, shape: str) -> None:
    bunce.nested_list_shape = shape == "nested"
    bunce.list_shape = "meta" if shape == "nested" else shape


# -- the iterator against the fake ------------------------------------------------------------


@pytest.fixture
def bunce() -> Iterator[FakeBunceApi]:
    with FakeBunceApi(rate_limit_per_minute=None) as fake:
        fake.add_key(LIVE_KEY)
        yield fake


@pytest.fixture
def client(bunce: FakeBunceApi) -> Iterator[BunceClient]:
    factory = BunceClientFactory(bunce.live_url, bunce.sandbox_url)
    yield factory.for_key(LIVE_KEY)
    factory.close()


def _seed(bunce: FakeBunceApi, count: int) -> list[str]:
    return [bunce.add_segment(LIVE_KEY, f"Segment {n:02d}")["id"] for n in range(count)]


def _lists(bunce: FakeBunceApi) -> list[dict[str, str]]:
    return [r.query for r in bunce.requests if r.path == "/segments"]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_silent_per_page_cap_is_walked_to_the_end(
    bunce: FakeBunceApi, client: BunceClient, shape: str
) -> None:
    _shape(bunce, shape)
    bunce.max_per_page = 10
    seeded = _seed(bunce, 25)

    walked = [s.id for s in client.iter_segments(per_page=100)]

    assert walked == list(reversed(seeded))  # each once, in Bunce's order
    # Three pages of 10, 10, 5; without pagination fields one more request proves the end.
    assert len(_lists(bunce)) == (4 if shape == "bare" else 3)


def test_cursor_pages_send_the_cursor_as_bunces_sdk_does(
    bunce: FakeBunceApi, client: BunceClient
) -> None:
    bunce.list_shape = "cursor"
    bunce.max_per_page = 10
    _seed(bunce, 15)

    assert len(list(client.iter_segments(per_page=100))) == 15

    first, second = _lists(bunce)
    assert first == {"page": "1", "per_page": "100"}
    assert set(second) == {"cursor", "per_page"}  # [SDK] CustomerQueryOptions, [CLI] query


@pytest.mark.parametrize("shape", ["meta", "laravel"])
def test_a_server_ignoring_page_is_unknown_not_absent(
    bunce: FakeBunceApi, client: BunceClient, shape: str
) -> None:
    _shape(bunce, shape)
    bunce.ignores_page = True
    seeded = _seed(bunce, 30)
    walked: list[str] = []

    with pytest.raises(BunceUnavailableError) as caught:
        walked.extend(s.id for s in client.iter_segments(per_page=10))

    # Page 1 is yielded; page 2 repeats it although Bunce said more follow: the rest can't be
    # seen, so nobody may conclude "absent" (a reconcile would re-create a duplicate).
    assert walked == list(reversed(seeded))[:10]
    assert caught.value.certainly_not_processed is False
    assert len(_lists(bunce)) == 2


def test_a_server_ignoring_page_that_sends_everything_ends_the_walk(
    bunce: FakeBunceApi, client: BunceClient
) -> None:
    bunce.list_shape = "bare"  # no meta: one short page holds every segment
    bunce.ignores_page = True
    seeded = _seed(bunce, 7)

    assert [s.id for s in client.iter_segments(per_page=10)] == list(reversed(seeded))
    assert len(_lists(bunce)) == 2  # the probe repeated page 1: nothing more exists


def test_overlapping_pages_yield_each_segment_once(
    bunce: FakeBunceApi, client: BunceClient
) -> None:
    _seed(bunce, 4)
    walk = client.iter_segments(per_page=2)
    first = [next(walk), next(walk)]
    bunce.add_segment(LIVE_KEY, "Created meanwhile")  # newest first: page 2 now overlaps

    rest = list(walk)

    ids_seen = [s.id for s in first + rest]
    assert len(ids_seen) == len(set(ids_seen)) == 4
    assert "Created meanwhile" not in [s.name for s in rest]


def test_the_walk_is_bounded_and_says_unknown(bunce: FakeBunceApi, client: BunceClient) -> None:
    _seed(bunce, 31)

    walk = client.iter_segments(per_page=10, max_segments=30)
    walked = []
    with pytest.raises(BunceError) as caught:
        walked.extend(walk)

    assert len(walked) == 30
    assert isinstance(caught.value, TooManySegments)
    assert caught.value.message == "too many segments to search"
    assert caught.value.certainly_not_processed is False
    assert len(_lists(bunce)) == 3  # stopped without reading the page beyond the bound


def test_exactly_the_bound_is_not_too_many(bunce: FakeBunceApi, client: BunceClient) -> None:
    _seed(bunce, 30)

    assert len(list(client.iter_segments(per_page=10, max_segments=30))) == 30


def test_an_empty_account_is_one_request(bunce: FakeBunceApi, client: BunceClient) -> None:
    assert list(client.iter_segments()) == []
    assert _lists(bunce) == [{"page": "1", "per_page": "100"}]


# -- through the app -------------------------------------------------------------------------


def _existing(h: Harness, count: int = 25) -> None:
    h.store_key()
    for n in range(count):
        h.bunce.add_segment(LIVE_KEY, f"Existing {n:02d}")


def _submit(h: Harness, name: str = "Spring") -> dict:
    view = h.open_modal()
    assert h.send_submission(view, state_for(name)).status_code == 200
    return view


@pytest.mark.parametrize("shape", SHAPES)
def test_reconcile_finds_our_segment_beyond_a_capped_first_page(
    any_db_harness: Harness, shape: str
) -> None:
    h = any_db_harness
    _existing(h)
    _shape(h.bunce, shape)
    h.bunce.max_per_page = 10  # the app asks for 100
    h.bunce.newest_first = False  # ours is listed last, on the third capped page
    h.bunce.fail_next(503, after_processing=True, method="POST")  # created; the answer lost

    view = _submit(h)

    shown = outcome_view(h, view["id"])
    h.background.wait_idle()
    assert shown["title"]["text"] == "Segment created"
    assert posts(h) == 1
    assert len(h.bunce.segments(LIVE_KEY)) == 26
    assert len(h.slack.messages(CHANNEL)) == 1


def test_reconcile_against_a_server_ignoring_page_never_concludes_absent(
    any_db_harness: Harness,
) -> None:
    h = any_db_harness
    _existing(h)
    h.bunce.max_per_page = 10
    h.bunce.ignores_page = True  # every page is the first: ours (listed last) is never seen
    h.bunce.newest_first = False
    h.bunce.fail_next(503, after_processing=True, method="POST")

    view = _submit(h)

    wait_until(
        lambda: "can't yet tell" in json.dumps(h.slack.views.get(view["id"], {})), timeout=15
    )
    h.background.wait_idle()
    assert posts(h) == 1  # never re-sent on a guess: a duplicate could not be deleted
    assert len(h.bunce.segments(LIVE_KEY)) == 26
    assert h.slack.messages(CHANNEL) == []


def test_reconcile_against_a_server_ignoring_page_finds_ours_on_the_first(
    harness: Harness,
) -> None:
    _existing(harness)
    harness.bunce.max_per_page = 10
    harness.bunce.ignores_page = True  # newest first: ours is on the one page there is
    harness.bunce.fail_next(503, after_processing=True, method="POST")

    view = _submit(harness)

    assert outcome_view(harness, view["id"])["title"]["text"] == "Segment created"
    harness.background.wait_idle()
    assert posts(harness) == 1
    assert len(harness.bunce.segments(LIVE_KEY)) == 26


@pytest.mark.parametrize("shape", ["meta", "bare", "laravel"])
def test_list_shows_every_segment_despite_a_capped_per_page(
    any_db_harness: Harness, shape: str
) -> None:
    _existing(any_db_harness)
    _shape(any_db_harness.bunce, shape)
    any_db_harness.bunce.max_per_page = 10

    message = list_message(any_db_harness)

    assert "25 Bunce segments" in message["text"]


def _search(h: Harness, value: str) -> tuple[list[str], float]:
    started = time.monotonic()
    options = search(h, value)  # the segment search as Slack sends it (tests/test_people_search)
    return [o["text"]["text"] for o in options], time.monotonic() - started


def test_segment_search_reads_past_a_capped_first_page(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.add_segment(LIVE_KEY, "Spring VIPs")  # the oldest: listed last
    _existing(harness, 40)
    harness.bunce.max_per_page = 10

    names, _ = _search(harness, "spring")

    assert names == ["New segment…", "Spring VIPs"]


def test_segment_search_answers_within_slacks_three_seconds(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.add_segment(LIVE_KEY, "Spring VIPs")  # never reached in time
    _existing(harness, 200)
    harness.bunce.max_per_page = 10
    harness.bunce.latency = 0.3  # each page takes 0.3 s: 21 pages would take 6 s

    names, took = _search(harness, "existing")

    assert took < 2.9
    assert names[0] == "New segment…" and names[1:]  # what was found in time is offered
    assert "Spring VIPs" not in names
