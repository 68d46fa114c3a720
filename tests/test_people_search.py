"""Add customers never dead-ends (issue 13): the segment search sees every segment, says when
it can't, and the summary's Retry is wherever the summary mentions it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot import ids
from bot.people import segment_cache as cache_bounds
from bot.people.flow import chosen_segment
from bot.people.segment_cache import SegmentCache, SegmentList
from bot.people.views import (
    STILL_LOADING,
    UNREACHABLE,
    build_add_people_modal,
    build_progress_view,
    build_segment_options,
    build_summary_message,
    summary_text,
)
from bot.tenant import Workspace
from tests.conftest import running_app
from tests.fakes.bunce import FakeBunceApi, RecordedRequest
from tests.fakes.slack import FakeSlackApi
from tests.harness import LIVE_KEY, TEAM, USER, Harness, wait_until
from tests.schemas import assert_valid_message, assert_valid_modal
from tests.test_people import adds, choose, shortcut

LOADING = "Still loading your segments ("
BUNCE_DOWN = "I couldn't reach Bunce: type again to retry"


def search(h: Harness, value: str) -> list[dict[str, Any]]:
    """The options Slack would show for `value` typed in the segment search."""
    payload = {
        "type": "block_suggestion",
        "action_id": ids.ADD_PEOPLE_SEGMENT,
        "block_id": ids.ADD_PEOPLE_SEGMENT,
        "value": value,
        "team": {"id": TEAM},
        "user": {"id": USER, "team_id": TEAM},
        "api_app_id": "A0BUNCE",
        "view": {"id": "V1", "type": "modal", "callback_id": ids.ADD_PEOPLE_VIEW},
    }
    options = h.send_payload(payload).json()["options"]
    assert len(options) <= 100  # Slack's limit
    assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in options)
    return options


def names(options: list[dict[str, Any]]) -> list[str]:
    return [o["text"]["text"] for o in options]


def lists(h: Harness) -> list[RecordedRequest]:
    return [r for r in h.bunce.requests if r.method == "GET" and r.path == "/segments"]


def seed(h: Harness, count: int, wanted: str) -> dict[str, Any]:
    """`wanted` first (the oldest, so listed last: newest first), then `count` others."""
    segment = h.bunce.add_segment(LIVE_KEY, wanted)
    for i in range(count):
        h.bunce.add_segment(LIVE_KEY, f"Existing {i:04}")
    return segment


def submit_with(h: Harness, view: dict[str, Any], option: dict[str, Any]) -> dict[str, Any]:
    state = {
        "values": {
            ids.ADD_PEOPLE_SEGMENT: {
                ids.ADD_PEOPLE_SEGMENT: {"type": "external_select", "selected_option": option}
            }
        }
    }
    return h.send_submission(view, state).json()


# ---- 1. the search covers every segment -----------------------------------------------------


def test_a_segment_on_page_three_is_found_by_typing(harness: Harness) -> None:
    h = harness
    h.store_key()
    wanted = seed(h, 250, "Needle VIPs")  # on page 3 of 100
    h.bunce.latency = 0.6  # three pages take longer than a search may wait

    shortcut(h, "ann@example.com")  # opening the modal starts reading the list
    h.background.wait_idle(timeout=30)
    read = lists(h)
    options = search(h, "needle")

    assert [r.query["page"] for r in read] == ["1", "2", "3"]
    assert [r.query["per_page"] for r in read] == ["100"] * 3
    assert names(options) == ["New segment…", "Needle VIPs"]
    assert options[1]["value"] == wanted["id"]
    assert lists(h) == read  # typing searched in memory: no request to Bunce


def test_any_of_two_thousand_segments_is_found(harness: Harness) -> None:
    h = harness
    h.store_key()
    seed(h, 1999, "Zebra crossing")  # the 2,000th: page 20

    shortcut(h, "ann@example.com")
    h.background.wait_idle(timeout=30)

    assert names(search(h, "ZEBRA")) == ["New segment…", "Zebra crossing"]
    everything = names(search(h, ""))
    assert len(everything) == 100 and everything[0] == "New segment…"
    assert not any(name.startswith((LOADING, BUNCE_DOWN)) for name in everything)
    assert len(lists(h)) == 20


def test_a_search_while_the_list_loads_offers_what_is_known_and_says_so(
    harness: Harness,
) -> None:
    h = harness
    h.store_key()
    h.bunce.max_per_page = 10
    h.bunce.latency = 0.2  # 31 pages: about 6 s
    seed(h, 300, "Late bloomers")
    view = shortcut(h, "ann@example.com")

    started = time.monotonic()
    options = search(h, "e")
    took = time.monotonic() - started

    assert took < 2.9  # Slack's 3 s, whatever the list's size
    assert options[0]["text"]["text"] == "New segment…"
    assert options[1]["text"]["text"].startswith(LOADING)
    assert options[1]["text"]["text"].endswith("so far): type again in a moment")
    assert "Existing 0299" in names(options)  # the newest, read first
    assert "Late bloomers" not in names(options)
    answer = submit_with(h, view, options[1])  # the status option is no segment
    assert answer == {
        "response_action": "errors",
        "errors": {ids.ADD_PEOPLE_SEGMENT: STILL_LOADING},
    }
    h.background.wait_idle(timeout=30)
    assert names(search(h, "late")) == ["New segment…", "Late bloomers"]
    assert adds(h) == []


def test_new_segment_reads_the_list_again_so_the_new_one_is_found(harness: Harness) -> None:
    h = harness
    h.store_key()
    h.bunce.add_segment(LIVE_KEY, "Old one")
    view = shortcut(h, "ann@example.com")
    h.background.wait_idle()
    h.bunce.add_segment(LIVE_KEY, "Brand new")  # created after the list was read
    assert names(search(h, "brand")) == ["New segment…"]  # the list is still fresh

    new = {"text": {"type": "plain_text", "text": "New segment…"}, "value": ids.NEW_SEGMENT_OPTION}
    h.send_action(view, ids.ADD_PEOPLE_SEGMENT, type="external_select", selected_option=new)
    h.slack.wait_for("views.push")

    assert names(search(h, "brand")) == ["New segment…", "Brand new"]


# ---- 2. a Bunce failure says so -------------------------------------------------------------


def test_bunce_down_while_searching_says_so_and_typing_again_retries(harness: Harness) -> None:
    h = harness
    h.store_key()
    wanted = h.bunce.add_segment(LIVE_KEY, "Spring VIPs")
    h.bunce.fail_next(status=503, times=2, method="GET", path="/segments")
    view = shortcut(h, "ann@example.com")  # its read of the list fails (the first 503)
    h.background.wait_idle()

    options = search(h, "spr")  # reads again: the second 503

    assert names(options) == ["New segment…", BUNCE_DOWN]
    answer = submit_with(h, view, options[1])
    assert answer == {"response_action": "errors", "errors": {ids.ADD_PEOPLE_SEGMENT: UNREACHABLE}}
    again = search(h, "spr")  # Bunce is back
    assert names(again) == ["New segment…", "Spring VIPs"]
    choose(h, view, wanted, option=again[1])
    wait_until(lambda: h.bunce.members(LIVE_KEY, wanted["id"]) == {"ann@example.com"}, 15)


def test_the_rate_limit_is_respected_and_a_cut_short_read_says_so(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    with running_app(sqlite_url, fake_slack, fake_bunce, bunce_per_minute=3) as h:
        h.store_key()
        seed(h, 349, "Far away")  # 4 pages; the budget allows 3 requests a minute

        options = search(h, "")
        h.background.wait_idle(timeout=30)

        assert len(lists(h)) == 3  # the 4th was held back, never sent
        assert names(options)[:2] == ["New segment…", BUNCE_DOWN]
        assert len(options) == 100  # what was read is still offered
        assert "Far away" not in names(search(h, "far"))


# ---- 3. a message with no addresses: see tests/test_people.py ------------------------------


def test_a_message_with_only_junk_says_none_were_found_and_what_was_ignored() -> None:
    view = build_add_people_modal("meta", count=0, ignored=["broken@"], ignored_count=1, notes=[])

    assert_valid_modal(view)
    text = json.dumps(view["blocks"])
    assert "No email addresses or customer ids were found in that message. Ignored: `broken@`" in (
        text
    )
    assert any(b.get("block_id") == ids.ADD_PEOPLE_PASTE for b in view["blocks"])
    assert view["submit"]["text"] == "Add customers" and view["close"]["text"] == "Cancel"


# ---- 4. Retry is wherever the summary mentions it -------------------------------------------


def retry_surfaces(h: Harness, url: str) -> list[dict[str, Any]]:
    """Every message or modal the app showed that mentions Retry, as {text?, blocks}."""
    shown = [c.args for c in h.slack.calls("chat.postMessage") + h.slack.calls("chat.update")]
    shown += [c.args["view"] for c in h.slack.calls("views.update")]
    shown += [p.body for p in h.slack.response_posts(url) if p.status == 200]
    return [s for s in shown if "Retry" in json.dumps(s.get("blocks"))]


def retry_buttons(surface: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for b in surface["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.ADD_PEOPLE_RETRY
    ]


@pytest.mark.parametrize("surface", ["thread", "modal", "ephemeral", "dm"])
def test_every_summary_that_mentions_retry_has_the_button(harness: Harness, surface: str) -> None:
    h = harness
    h.store_key()
    segment = h.bunce.add_segment(LIVE_KEY, "Unlucky")
    url = h.slack.response_url()
    view = shortcut(h, "a@x.io b@x.io", response_url=url)
    if surface != "modal":
        h.slack.close_view(view["id"])
    if surface != "thread":
        h.slack.fail_next("chat.postMessage", error="not_in_channel")  # the thread's status
    if surface == "dm":
        h.slack.expire_response_url(url)
    h.bunce.fail_next(status=503, times=3, path="/segments/*/customers")

    choose(h, view, segment)
    h.background.wait_idle(timeout=30)

    shown = retry_surfaces(h, url)
    assert shown, "the summary reached nobody"
    for message in shown:
        assert "0 of 2 customers added to *Unlucky*; 2 were not added" in json.dumps(message)
        assert "Retry adds only those." in json.dumps(message)
        assert len(retry_buttons(message)) == 1
    where = {
        "thread": [c.args for c in h.slack.calls("chat.update")],
        "modal": [c.args["view"] for c in h.slack.calls("views.update")][-1:],
        "ephemeral": [p.body for p in h.slack.response_posts(url)],
        "dm": [c.args for c in h.slack.calls("chat.postMessage")][-1:],
    }[surface]
    assert any(m in shown for m in where), f"no summary with Retry in the {surface}"
    button = retry_buttons(shown[-1])[0]
    h.send_action({"id": "VNONE", "type": "home"}, ids.ADD_PEOPLE_RETRY, value=button["value"])
    wait_until(lambda: len(h.bunce.members(LIVE_KEY, segment["id"])) == 2, 15)


def test_a_complete_summary_mentions_no_retry() -> None:
    text = summary_text(3, 3, 0, "Spring VIPs", None)
    message = build_summary_message(text, None)

    assert text == ":white_check_mark: 3 customers added to *Spring VIPs*."
    assert "Retry" not in json.dumps(message) and retry_buttons(message) == []


def test_the_retry_sentence_and_button_come_together_on_every_surface() -> None:
    text = summary_text(1, 2, 1, "A & B", "Bunce was unavailable")
    assert "Retry" not in text  # only the builders add it, with the button

    message = build_summary_message(text, "signed")
    modal = build_progress_view(text, "signed")

    assert_valid_message(message)
    assert_valid_modal(modal)
    expected = (
        ":warning: 1 of 2 customers added to *A &amp; B*; 1 was not added (Bunce was "
        "unavailable). 1 was not a valid email or customer id. Retry adds only those."
    )
    assert message["text"] == expected
    for surface in (message, modal):
        assert expected in json.dumps(surface["blocks"], ensure_ascii=False)
        assert [b["value"] for b in retry_buttons(surface)] == ["signed"]


# ---- the pure parts -------------------------------------------------------------------------


def test_options_say_why_the_list_may_be_incomplete() -> None:
    found = [(f"id{i}", f"Segment {i}") for i in range(150)]

    complete = build_segment_options(found)
    loading = build_segment_options(found, state="loading", known=1234)
    failed = build_segment_options([], state="failed")
    store = build_segment_options([], state="store_down")

    assert len(complete) == 100 and complete[1]["value"] == "id0"
    assert len(loading) == 100
    assert loading[1] == {
        "text": {
            "type": "plain_text",
            "text": "Still loading your segments (1,234 so far): type again in a moment",
            "emoji": True,
        },
        "value": ids.SEGMENTS_LOADING_OPTION,
    }
    assert [o["value"] for o in failed] == [ids.NEW_SEGMENT_OPTION, ids.SEGMENTS_UNREACHABLE_OPTION]
    assert failed[1]["text"]["text"] == BUNCE_DOWN
    assert store[1]["text"]["text"] == "I couldn't reach my database: type again to retry"


def test_matching_ignores_case_and_puts_names_starting_with_the_words_first() -> None:
    found = SegmentList((("1", "Big spring sale"), ("2", "Spring VIPs"), ("3", "Autumn")))

    assert found.matching(" SPRING ") == [("2", "Spring VIPs"), ("1", "Big spring sale")]
    assert found.matching("") == list(found.segments)


@pytest.mark.parametrize(
    ("value", "segment", "error"),
    [
        ("seg-1", ("seg-1", "Spring VIPs"), ""),
        (ids.NEW_SEGMENT_OPTION, None, "Choose a segment"),
        (ids.SEGMENTS_LOADING_OPTION, None, STILL_LOADING),
        (ids.SEGMENTS_UNREACHABLE_OPTION, None, UNREACHABLE),
        (["not", "text"], None, "Choose a segment"),
    ],
)
def test_options_that_stand_for_no_segment_are_refused_with_their_reason(
    value: object, segment: tuple[str, str] | None, error: str
) -> None:
    option = {"text": {"type": "plain_text", "text": "Spring VIPs"}, "value": value}
    values = {ids.ADD_PEOPLE_SEGMENT: {ids.ADD_PEOPLE_SEGMENT: {"selected_option": option}}}

    chosen, problem = chosen_segment(values)

    assert chosen == segment
    assert problem.startswith(error)


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


SPACE = Workspace(TEAM)


def test_the_cache_reads_once_while_fresh_and_again_when_stale() -> None:
    clock = Ticks()
    cache = SegmentCache(clock)

    read = cache.claim(SPACE, "live:abcd")
    assert read is not None and cache.claim(SPACE, "live:abcd") is None  # one read at a time
    assert cache.snapshot(SPACE, "live:abcd", wait=0) == SegmentList((), "loading")
    assert cache.add(SPACE, read, "s1", "One") and cache.add(SPACE, read, "s1", "One")
    assert cache.snapshot(SPACE, "live:abcd", wait=0) == SegmentList((("s1", "One"),), "loading")
    cache.finish(SPACE, read, ok=True)
    assert cache.snapshot(SPACE, "live:abcd", wait=0) == SegmentList((("s1", "One"),))
    assert cache.claim(SPACE, "live:abcd") is None  # fresh

    clock.now += cache_bounds.FRESH_SECONDS
    again = cache.claim(SPACE, "live:abcd")
    assert again is not None
    # While it reads (and when it fails) searches keep the whole old list.
    assert cache.snapshot(SPACE, "live:abcd", wait=0) == SegmentList((("s1", "One"),))
    cache.finish(SPACE, again, ok=False)
    assert cache.snapshot(SPACE, "live:abcd", wait=0) == SegmentList((("s1", "One"),))


def test_a_failed_first_read_offers_its_part_and_says_it_failed() -> None:
    cache = SegmentCache(Ticks())
    read = cache.claim(SPACE, "k")
    assert read is not None
    cache.add(SPACE, read, "s1", "One")
    cache.finish(SPACE, read, ok=False)

    assert cache.snapshot(SPACE, "k", wait=0) == SegmentList((("s1", "One"),), "failed")
    assert cache.claim(SPACE, "k") is not None  # the next search reads again


def test_a_new_key_or_forget_starts_over_and_stops_the_old_read() -> None:
    cache = SegmentCache(Ticks())
    old = cache.claim(SPACE, "live:aaaa")
    assert old is not None

    new = cache.claim(SPACE, "live:bbbb")  # another Bunce account: its own list

    assert new is not None and new != old
    assert not cache.add(SPACE, old, "s1", "Theirs")  # the old read stops
    cache.finish(SPACE, old, ok=True)
    assert cache.snapshot(SPACE, "live:bbbb", wait=0) == SegmentList((), "loading")
    cache.forget(SPACE)
    assert not cache.add(SPACE, new, "s2", "Mine")


def test_the_cache_keeps_its_bounds() -> None:
    cache = SegmentCache(Ticks(), max_workspaces=2, max_segments=3)
    read = cache.claim(SPACE, "k")
    assert read is not None
    for i in range(5):
        cache.add(SPACE, read, f"s{i}", "x" * 500)
    cache.finish(SPACE, read, ok=True)

    kept = cache.snapshot(SPACE, "k", wait=0).segments
    assert [s[0] for s in kept] == ["s0", "s1", "s2"]
    assert all(len(name) == cache_bounds.NAME_MAX for _, name in kept)
    cache.claim(Workspace("T2"), "k")
    cache.claim(Workspace("T3"), "k")  # a third workspace: the least recently used goes
    assert cache.snapshot(SPACE, "k", wait=0) == SegmentList((), "loading")


def test_a_list_nobody_searched_for_long_is_dropped() -> None:
    clock = Ticks()
    cache = SegmentCache(clock)
    read = cache.claim(SPACE, "k")
    assert read is not None
    cache.add(SPACE, read, "s1", "One")
    cache.finish(SPACE, read, ok=True)

    clock.now += cache_bounds.KEEP_SECONDS - 1
    assert cache.snapshot(SPACE, "k", wait=0).segments == (("s1", "One"),)  # stale, still kept
    clock.now += cache_bounds.KEEP_SECONDS + 1

    assert cache.snapshot(SPACE, "k", wait=0) == SegmentList((), "loading")


def test_a_failed_retry_keeps_the_most_any_read_got() -> None:
    cache = SegmentCache(Ticks())
    first = cache.claim(SPACE, "k")
    assert first is not None
    cache.add(SPACE, first, "s1", "One")
    cache.add(SPACE, first, "s2", "Two")
    cache.finish(SPACE, first, ok=False)

    again = cache.claim(SPACE, "k")
    assert again is not None
    assert cache.snapshot(SPACE, "k", wait=0).segments == (("s1", "One"), ("s2", "Two"))
    cache.finish(SPACE, again, ok=False)  # refused at once, say by the rate limit

    assert cache.snapshot(SPACE, "k", wait=0) == SegmentList(
        (("s1", "One"), ("s2", "Two")), "failed"
    )


def test_a_search_waits_a_little_for_a_first_read() -> None:
    cache = SegmentCache()
    read = cache.claim(SPACE, "k")
    assert read is not None
    cache.add(SPACE, read, "s1", "One")

    started = time.monotonic()
    found = cache.snapshot(SPACE, "k", wait=0.2)

    assert time.monotonic() - started >= 0.2
    assert found == SegmentList((("s1", "One"),), "loading")
