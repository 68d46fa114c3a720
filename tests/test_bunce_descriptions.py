"""Exactly once whatever Bunce does with descriptions, and however long a create takes to commit.

Bunce documents neither a length limit for descriptions nor that it keeps them as sent
(docs/bunce-api.md §6 #3); the fake models each reading. In every one, a create whose answer was
lost ends with one segment (or a clear "not created"), and the person is told.
"""

from __future__ import annotations

import json
import re

import pytest

from bot.create.marker import marker_of, strip_marker, with_marker
from tests.harness import CHANNEL, LIVE_KEY, Harness, state_for
from tests.test_reliability import outcome_view, posts

LONG = "Bought twice in March and opened every email since. " * 19  # 988 characters
ANSWER_LOST = {"after_processing": True, "delay": 3.0, "method": "POST"}  # past the 2 s read


def create(h: Harness, description: str = LONG, *, add_all: bool = False) -> dict:
    h.store_key()
    view = h.open_modal()
    assert h.send_submission(view, state_for("Spring VIPs", description, add_all)).status_code
    return view


def outcome(h: Harness, view_id: str) -> dict:
    """The modal once it shows an outcome, after the background work has ended."""
    shown = outcome_view(h, view_id, timeout=20)
    h.background.wait_idle(20)
    return shown


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param({"description_max": 255, "description_overflow": "truncate"}, id="cut-255"),
        pytest.param({"description_rewrite": lambda d: "Imported segment"}, id="rewritten"),
        pytest.param({"description_rewrite": lambda d: None}, id="dropped"),
    ],
)
def test_a_lost_answer_is_reconciled_whatever_bunce_keeps_of_the_description(
    any_db_harness: Harness, variant: dict
) -> None:
    h = any_db_harness
    for name, value in variant.items():
        setattr(h.bunce, name, value)
    h.bunce.add_key(LIVE_KEY)
    h.bunce.add_segment(LIVE_KEY, "Spring VIPs")  # an older namesake: not ours
    h.bunce.fail_next(**ANSWER_LOST)

    view = create(h)

    shown = outcome(h, view["id"])
    assert shown["title"]["text"] == "Segment created"
    assert posts(h) == 1
    assert len(h.bunce.segments(LIVE_KEY)) == 2  # the older one and ours
    assert len(h.slack.messages(CHANNEL)) == 1


def test_a_server_error_for_a_long_description_retries_it_cut_to_255(
    any_db_harness: Harness,
) -> None:
    h = any_db_harness
    h.bunce.description_max, h.bunce.description_overflow = 255, "error"

    view = create(h)

    assert outcome(h, view["id"])["title"]["text"] == "Segment created"
    sent = [r.json["description"] for r in h.bunce.requests if r.method == "POST"]
    assert len(sent[0]) > 255 and len(sent[-1]) <= 255
    (segment,) = h.bunce.segments(LIVE_KEY)
    assert marker_of(segment["description"]) == marker_of(sent[0])


def test_a_description_bunce_refuses_as_too_long_is_its_own_clear_message(
    harness: Harness,
) -> None:
    harness.bunce.description_max, harness.bunce.description_overflow = 255, "reject"

    view = create(harness)

    shown = json.dumps(outcome(harness, view["id"]))
    assert "must not be greater than 255 characters" in shown
    assert harness.bunce.segments(LIVE_KEY) == []
    assert posts(harness) == 1


def test_a_slow_create_is_waited_for_and_the_person_told_it_is_being_confirmed(
    any_db_harness: Harness,
) -> None:
    h = any_db_harness
    # Bunce fills the segment with every customer and commits 2.8 s in; our read gives up at
    # 2 s. Two quick looks (at 2.0 and 2.2 s) would see nothing and POST again.
    h.bunce.create_commit_delay = 2.8
    h.bunce.fail_next(**ANSWER_LOST)

    view = create(h, "Everyone", add_all=True)

    shown = outcome(h, view["id"])
    assert shown["title"]["text"] == "Segment created"
    assert posts(h) == 1
    assert len(h.bunce.segments(LIVE_KEY)) == 1
    updates = [json.dumps(c.args["view"]) for c in h.slack.calls("views.update")]
    assert any("can't yet tell" in u for u in updates)  # told while it was being confirmed


def test_the_marker_leads_and_is_read_back_in_either_place() -> None:
    text = with_marker("Typed", "a1b2c3d4")

    assert text == "via Slack #a1b2c3d4 · Typed"
    assert with_marker("x" * 1000, "a1b2c3d4", limit=255).startswith("via Slack #a1b2c3d4 · ")
    assert len(with_marker("x" * 1000, "a1b2c3d4", limit=255)) <= 255
    assert marker_of(text) == "a1b2c3d4"
    assert marker_of("Typed · via Slack #a1b2c3d4") == "a1b2c3d4"  # written by older versions
    assert marker_of("via Slack #a1b2c3d4x") is None
    assert strip_marker(text) == "Typed"
    assert strip_marker("Typed · via Slack #a1b2c3d4") == "Typed"
    assert strip_marker("via Slack #a1b2c3d4") is None
    assert strip_marker("No marker · here") == "No marker · here"
    assert re.fullmatch(r"via Slack #[0-9a-f]{8}", with_marker("", "0f0f0f0f"))
