"""Slack that doesn't answer: a lost or late answer never costs a second card, nor a lost outcome.

A reset or a timeout after Slack processed a post is indistinguishable from one before: the
card may be in the channel. The rule is: never post the card again for that submission (no
retry by slack_sdk, no fallback route, no recovery re-post), and tell the person the truth.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.store.submissions import State
from tests.conftest import running_app
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi
from tests.harness import CHANNEL, LIVE_KEY, USER, Harness, state_for, wait_until
from tests.schemas import assert_valid_modal

# The app's Slack client gives up after this; the fake's late answers come after it.
TIMEOUT = 0.5


@pytest.fixture
def h(database_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi) -> Iterator[Harness]:
    with running_app(
        database_url, fake_slack, fake_bunce, {"SLACK_TIMEOUT_SECONDS": str(TIMEOUT)}
    ) as running:
        yield running


def create(h: Harness, name: str = "Spring") -> None:
    h.store_key()
    view = h.open_modal()
    assert h.send_submission(view, state_for(name)).status_code == 200


def settled(h: Harness) -> None:
    """Run to the end, then let recovery look once more, as a restarted process would."""
    wait_until(lambda: h.services.submissions.stale() == [] and _all_told(h), timeout=10)
    h.worker.recover_once()
    h.background.wait_idle()


def _all_told(h: Harness) -> bool:
    with h.services.engine.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(text("SELECT state, user_told FROM submissions")).fetchall()
    return bool(rows) and all(r[0] in (State.ANNOUNCED, State.FAILED) and r[1] for r in rows)


def final_view(h: Harness) -> dict:
    view = h.slack.calls("views.update")[-1].args["view"]
    assert_valid_modal(view)
    return view


def test_a_card_post_whose_answer_is_lost_is_never_posted_twice(h: Harness) -> None:
    # Slack posts the card, then the connection drops before the answer arrives.
    h.slack.fail_next("chat.postMessage", error=None, drop=True)

    create(h)
    settled(h)

    assert len(h.slack.messages(CHANNEL)) == 1  # slack_sdk's retry would have made it two
    assert len(h.slack.calls("chat.postMessage")) == 1
    text = json.dumps(final_view(h))
    assert "didn't confirm" in text and "<#C0PUBLIC>" in text
    assert "Shared in" not in text
    assert len(h.bunce.segments(LIVE_KEY)) == 1


def test_a_card_post_answered_after_the_timeout_is_not_posted_again_by_recovery(
    h: Harness,
) -> None:
    h.slack.fail_next("chat.postMessage", error=None, delay=TIMEOUT * 4)

    create(h)
    settled(h)

    assert len(h.slack.messages(CHANNEL)) == 1
    assert len(h.slack.calls("chat.postMessage")) == 1
    record = h.services.submissions.stale()  # nothing left to resume
    assert record == []
    assert "didn't confirm" in json.dumps(final_view(h))


def test_no_answer_to_the_modal_update_still_tells_the_person(h: Harness) -> None:
    url = h.slack.response_url()
    h.store_key()
    view = h.open_modal(response_url=url)
    # Every views.update times out (the progress view came with the ack, not by update).
    h.slack.fail_next("views.update", error=None, delay=TIMEOUT * 4, times=5)

    h.send_submission(view, state_for("Spring"))
    settled(h)

    told = h.slack.wait_for_response_posts(1, token=url)[0]
    assert told.body["response_type"] == "ephemeral"
    assert "Spring" in json.dumps(told.body)
    assert len(h.slack.messages(CHANNEL)) == 1


def test_a_user_lookup_with_no_answer_is_not_an_admin_and_nothing_breaks(h: Harness) -> None:
    h.store_key()
    h.slack.fail_next("users.info", error=None, drop=True, times=3)

    response = h.send_command("connect", user_id=USER)

    assert response.status_code == 200
    refusal = h.slack.wait_for("views.update")[-1].args["view"]
    assert "only a workspace admin" in json.dumps(refusal)


def test_a_list_whose_response_url_gets_no_answer_ends_quietly(h: Harness) -> None:
    h.store_key()
    h.bunce.add_segment(LIVE_KEY, "Spring")
    url = h.slack.response_url()
    # Bolt's respond() retries once after a reset (slack_sdk's default retry handlers).
    h.slack.fail_next("response_url", error=None, drop=True, times=2)

    assert "Looking up" in h.send_command("list", response_url=url).json()["text"]

    h.slack.wait_for_response_posts(2, token=url)
    h.background.wait_idle()  # raises what a background job raised
