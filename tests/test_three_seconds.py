"""Slack's 3-second limits hold even when Slack or Bunce are slow to answer us.

A trigger_id dies 3 s after the click or command, and a view_submission must be answered within
3 s (api.slack.com/interactivity/handling, "Responding to interactions"); asking Slack who is
an admin (users.info) or Bunce whether a key works can take longer. The app answers or opens a
modal first, and fills in the outcome afterwards.
"""

from __future__ import annotations

import json

from bot import ids
from tests.harness import ADMIN, LIVE_KEY, TEAM, Harness, state_for, wait_until
from tests.schemas import assert_valid_modal

SLOW = 3.5  # longer than a trigger lives and than Slack waits for an answer


def opened_then_filled(h: Harness, callback_id: str, timeout: float = 10.0) -> dict:
    """The modal opened at once (the trigger was used in time), then replaced by `callback_id`."""
    opened = h.slack.wait_for("views.open")[-1]
    assert opened.response and opened.response["ok"], opened.response
    view_id = opened.response["view"]["id"]
    wait_until(lambda: h.slack.shown_view(view_id)["callback_id"] == callback_id, timeout=timeout)
    sent = h.slack.sent_view(view_id)
    assert_valid_modal(sent)
    return sent


def test_segment_connect_opens_in_time_while_users_info_is_slow(harness: Harness) -> None:
    harness.slack.fail_next("users.info", error=None, delay=SLOW)

    harness.send_command("connect", user_id=ADMIN)

    form = opened_then_filled(harness, ids.CONNECT_VIEW)
    assert any(b.get("block_id") == ids.CONNECT_KEY for b in form["blocks"])


def test_segment_disconnect_opens_in_time_while_users_info_is_slow(harness: Harness) -> None:
    harness.store_key()
    harness.slack.fail_next("users.info", error=None, delay=SLOW)

    harness.send_command("disconnect", user_id=ADMIN)

    form = opened_then_filled(harness, ids.DISCONNECT_VIEW)
    assert "sk_live_…1234" in json.dumps(form, ensure_ascii=False)


def test_home_connect_button_opens_in_time_while_users_info_is_slow(harness: Harness) -> None:
    harness.slack.fail_next("users.info", error=None, delay=SLOW)

    harness.send_home_action(ids.HOME_CONNECT, user_id=ADMIN)

    opened_then_filled(harness, ids.CONNECT_VIEW)


def test_connect_submission_is_answered_in_time_with_slow_users_info_and_bunce(
    harness: Harness,
) -> None:
    harness.bunce.add_key(LIVE_KEY)
    harness.send_command("connect", user_id=ADMIN)
    form = opened_then_filled(harness, ids.CONNECT_VIEW)
    view_id = harness.slack.calls("views.open")[-1].response["view"]["id"]
    harness.services.admins._cache.clear()  # forget the answer: Slack is asked again
    harness.slack.fail_next("users.info", error=None, delay=SLOW)
    harness.bunce.fail_next(delay=1.5)  # slow, but within the client's timeout
    state = {
        "values": {
            ids.CONNECT_KEY: {ids.CONNECT_KEY: {"type": "plain_text_input", "value": LIVE_KEY}}
        }
    }

    response = harness.send_submission({**form, "id": view_id}, state, user_id=ADMIN)

    assert response.elapsed.total_seconds() < 3.0
    assert response.json()["response_action"] == "update"
    wait_until(
        lambda: (
            harness.slack.shown_view(view_id)["callback_id"] == ids.CONNECTED_VIEW
            and "Connected" in json.dumps(harness.slack.shown_view(view_id))
        ),
        timeout=15,
    )
    assert harness.services.keys.info(TEAM) is not None


def test_edit_opens_in_time_while_users_info_is_slow(harness: Harness) -> None:
    harness.store_key()
    view = harness.open_modal()
    harness.send_submission(view, state_for("Spring"), user_id=ADMIN)  # created by someone else
    card = harness.slack.wait_for("chat.postMessage")[0].args
    harness.background.wait_idle()
    edit = next(
        e
        for b in card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.EDIT_ACTION
    )
    harness.slack.add_user("U0OTHERADMIN", team_id=TEAM, is_admin=True)
    harness.slack.fail_next("users.info", error=None, delay=SLOW)
    before = len(harness.slack.calls("views.open"))

    harness.send_payload(
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": "U0OTHERADMIN", "team_id": TEAM},
            "api_app_id": "A0BUNCE",
            "trigger_id": harness.slack.issue_trigger(),
            "container": {"type": "message"},
            "channel": {"id": card["channel"]},
            "message": {"blocks": card["blocks"]},
            "actions": [{"type": "button", "action_id": ids.EDIT_ACTION, "value": edit["value"]}],
        }
    )

    harness.slack.wait_for("views.open", before + 1)
    form = opened_then_filled(harness, ids.EDIT_VIEW)
    assert "Spring" in json.dumps(form)
