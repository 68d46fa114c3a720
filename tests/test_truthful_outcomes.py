"""What a person sees after creating or sharing: true cards, a next step, errors that fit.

Issue 13 items 1, 2, 3 and 7, through the real app: the card states only what is known, the
success view says what helps next (customers, Bunce link, sharing when no card went out), each
failure offers the way forward that fits it, and a card is optional.
"""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from tests.conftest import running_app
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi
from tests.harness import CHANNEL, LIVE_KEY, USER, Harness, state_for, wait_until
from tests.schemas import assert_valid_message, assert_valid_modal
from tests.test_manage import buttons, click, list_message

TEMPLATE = "https://app.bunce.so/segments/{id}"
INSTALLER_OR_LISTED = "U0LISTED"


def no_card_state(name: str) -> dict[str, Any]:
    """The create form with "Don't share a card" ticked, as Slack sends it."""
    state = state_for(name, channel=None)
    option = {"text": {"type": "plain_text", "text": "Don't share a card"}, "value": "no_card"}
    state["values"][ids.NO_SHARE] = {
        ids.NO_SHARE: {"type": "checkboxes", "selected_options": [option]}
    }
    return state


def final_view(h: Harness, view_id: str) -> dict[str, Any]:
    wait_until(lambda: h.slack.views[view_id]["callback_id"] == ids.RESULT_VIEW, 10)
    h.background.wait_idle()
    view = h.slack.sent_view(view_id)
    assert_valid_modal(view)
    return {**view, "id": view_id}


def texts(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def block_ids(view: dict[str, Any]) -> set[str]:
    return {b.get("block_id", "") for b in view["blocks"]}


# -- 7: announcing is optional; 2: a card that wasn't posted can be shared from the view ------
def test_a_segment_can_be_created_without_a_card_and_shared_later(harness: Harness) -> None:
    harness.store_key()
    view = harness.open_modal()
    form_blocks = {b["block_id"]: b for b in view["blocks"]}
    assert form_blocks[ids.ANNOUNCE]["label"]["text"] == "Share in"
    assert "Don't share a card" in texts(form_blocks[ids.NO_SHARE])

    assert harness.send_submission(view, no_card_state("Test segment")).status_code == 200

    result = final_view(harness, view["id"])
    assert harness.slack.calls("chat.postMessage") == []
    assert "Not shared in a channel, as you chose" in texts(result)
    assert ids.SHARE_PICK in block_ids(result)  # "Share its card in…" if that changes

    picked = {"type": "conversations_select", "selected_conversation": CHANNEL}
    harness.send_action(result, ids.SHARE_PICK, **picked)

    card = harness.slack.wait_for("chat.postMessage")[0].args
    assert_valid_message(card)
    assert card["channel"] == CHANNEL
    assert f"Shared by <@{USER}>" in texts(card)
    wait_until(lambda: "Shared in <#C0PUBLIC>" in texts(harness.slack.views[view["id"]]), 10)
    assert ids.SHARE_PICK not in block_ids(harness.slack.views[view["id"]])
    assert len(harness.bunce.segments(LIVE_KEY)) == 1


def test_a_card_that_could_not_be_posted_offers_to_share_it_now(harness: Harness) -> None:
    harness.slack.add_channel("G0PRIVATE", is_private=True)  # the bot isn't in it
    harness.store_key()
    view = harness.open_modal()

    harness.send_submission(view, state_for("Spring", channel="G0PRIVATE"))

    result = final_view(harness, view["id"])
    assert "couldn't post the segment's card in <#G0PRIVATE>" in texts(result)
    assert ids.SHARE_PICK in block_ids(result)
    assert "Share it below" in texts(result)


# -- 1: cards state only what is known ---------------------------------------------------------
def test_the_card_of_a_new_empty_segment_names_its_creator_and_no_type_jargon(
    harness: Harness,
) -> None:
    harness.store_key()
    view = harness.open_modal()

    harness.send_submission(view, state_for("Spring"))

    card = harness.slack.wait_for("chat.postMessage")[0].args
    text = texts(card)
    assert f"*Created by*\\n<@{USER}>" in text
    assert "*Customers*\\nNone yet: add some with *Add customers*" in text
    assert "automatic" not in text and "*Type*" not in text
    assert [b["text"]["text"] for b in buttons(card, ids.ADD_PEOPLE_ACTION)] == ["Add customers"]
    result = final_view(harness, view["id"])
    assert "None yet" in texts(result)
    assert ids.SHARE_PICK not in block_ids(result)  # the card is in the channel


def test_sharing_a_segment_made_in_bunce_credits_nobody_with_creating_it(
    harness: Harness,
) -> None:
    harness.store_key()
    harness.bunce.add_segment(LIVE_KEY, "Made in Bunce")  # no date, not made from Slack
    listed = list_message(harness)

    click(harness, listed, buttons(listed, ids.SHARE_ACTION)[0])

    card = harness.slack.wait_for("chat.postMessage")[0].args
    assert_valid_message(card)
    text = texts(card)
    assert "Created by" not in text and "just now" not in text
    assert f"Shared by <@{USER}>" in text
    assert card["text"] == f"Bunce segment: Made in Bunce, shared by <@{USER}>"


# -- 2: the next step after creating -----------------------------------------------------------
def test_success_view_and_notice_link_to_bunce_when_configured(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    with running_app(
        sqlite_url, fake_slack, fake_bunce, {"BUNCE_SEGMENT_URL_TEMPLATE": TEMPLATE}
    ) as h:
        h.store_key()
        view = h.open_modal()
        h.send_submission(view, state_for("Spring", add_all=True))

        result = final_view(h, view["id"])
        segment_id = h.bunce.segments(LIVE_KEY)[0]["id"]
        links = [e for b in result["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert [(e["text"]["text"], e.get("url")) for e in links] == [
            ("Open in Bunce", TEMPLATE.replace("{id}", segment_id))
        ]
        assert "All customers" in texts(result)
        # The headline is the name; the id is a detail at the bottom.
        assert "Spring* is in Bunce" in texts(result["blocks"][0])
        assert segment_id in texts(result["blocks"][-1])


def test_the_private_notice_links_to_bunce_when_the_modal_is_gone(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    with running_app(
        sqlite_url, fake_slack, fake_bunce, {"BUNCE_SEGMENT_URL_TEMPLATE": TEMPLATE}
    ) as h:
        h.store_key()
        view = h.open_modal(response_url=h.slack.response_url())
        h.slack.close_view(view["id"])
        h.send_submission(view, state_for("Spring"))

        note = h.slack.wait_for_response_posts(1)[0].body
        segment_id = h.bunce.segments(LIVE_KEY)[0]["id"]
        assert f"<{TEMPLATE.replace('{id}', segment_id)}|Open it in Bunce>" in note["text"]


# -- 3: errors fit the failure and say what to do ----------------------------------------------
def test_bunce_refusing_the_form_offers_edit_and_retry(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.fail_next(
        422,
        body={"success": False, "message": "The name has already been taken."},
        method="POST",
    )
    view = harness.open_modal()

    harness.send_submission(view, state_for("Spring"))

    result = final_view(harness, view["id"])
    assert result["title"]["text"] == "Segment not created"
    assert [b["text"]["text"] for b in buttons(result, ids.RETRY_ACTION)] == ["Edit and retry"]


def test_a_rejected_key_names_who_can_replace_it_and_offers_no_retry(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    env = {"BUNCE_ADMIN_USER_IDS": INSTALLER_OR_LISTED}
    with running_app(sqlite_url, fake_slack, fake_bunce, env) as h:
        h.store_key()
        view = h.open_modal()
        h.bunce.fail_next(401, body={"success": False, "message": "Unauthenticated."}, times=1000)

        h.send_submission(view, state_for("Spring"))

        result = final_view(h, view["id"])
        assert f"Ask a workspace admin or owner, or <@{INSTALLER_OR_LISTED}>" in texts(result)
        assert "replace the key" in texts(result)
        assert buttons(result, ids.RETRY_ACTION) == []
        assert result["close"]["text"] == "Close"


def test_the_create_form_when_not_connected_names_who_can_connect(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    env = {"BUNCE_ADMIN_USER_IDS": INSTALLER_OR_LISTED}
    with running_app(sqlite_url, fake_slack, fake_bunce, env) as h:
        response = h.send_command("")

        assert f"<@{INSTALLER_OR_LISTED}>" in response.json()["text"]
        assert "connect" in response.json()["text"]


def test_a_refused_connect_names_who_can_change_the_connection(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    env = {"BUNCE_ADMIN_USER_IDS": INSTALLER_OR_LISTED}
    with running_app(sqlite_url, fake_slack, fake_bunce, env) as h:
        h.send_command("connect", user_id=USER)  # a member, not an admin

        wait_until(lambda: h.slack.calls("views.update"), 10)
        h.background.wait_idle()
        refusal = h.slack.calls("views.update")[-1].args["view"]
        assert_valid_modal(refusal)
        said = texts(refusal)
        assert f"only a workspace admin or owner, or <@{INSTALLER_OR_LISTED}> can change" in said


def test_a_segment_created_empty_offers_add_customers_over_the_success_view(
    harness: Harness,
) -> None:
    harness.store_key()
    view = harness.open_modal()
    harness.send_submission(view, state_for("Spring"))
    result = final_view(harness, view["id"])
    add = buttons(result, ids.ADD_PEOPLE_ACTION)
    assert [b["text"]["text"] for b in add] == ["Add customers"]

    harness.send_action(result, ids.ADD_PEOPLE_ACTION, value=add[0]["value"])

    pushed = harness.slack.wait_for("views.push")[0].args["view"]
    assert_valid_modal(pushed)
    segment_id = harness.bunce.segments(LIVE_KEY)[0]["id"]
    said = texts(pushed)
    assert segment_id in said and "Spring" in said  # the new segment is already chosen
