"""Managing segments from Slack: list and search, share, edit (cards updated), global shortcut."""

from __future__ import annotations

import json
import re

from bot import ids
from bot.store.audit import Action
from tests.harness import ADMIN, CHANNEL, LIVE_KEY, TEAM, USER, Harness, state_for, wait_until
from tests.schemas import assert_valid_message, assert_valid_modal


def seed(h: Harness, count: int, prefix: str = "Segment") -> None:
    for i in range(count):
        created = f"2025-01-{i % 28 + 1:02d} 10:00:00"
        h.bunce.add_segment(LIVE_KEY, f"{prefix} {i:02d}", created_at=created)


def list_message(h: Harness, text: str = "list", posts: int = 1, user: str = USER) -> dict:
    url = h.slack.response_url()
    response = h.send_command(text, response_url=url, user_id=user)
    assert "Looking up" in response.json()["text"]
    return h.slack.wait_for_response_posts(posts, token=url.rsplit("/", 1)[1])[-1].body


def buttons(message: dict, action_id: str) -> list[dict]:
    return [
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    ]


def click(
    h: Harness, message: dict, element: dict, user: str = USER, channel: str = CHANNEL
) -> tuple[object, str]:
    """A click on a button of an (ephemeral) message, as Slack sends it."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0BUNCE",
        "trigger_id": h.slack.issue_trigger(),
        "container": {"type": "message", "is_ephemeral": True},
        "channel": {"id": channel},
        "response_url": h.slack.response_url(),
        "message": {"blocks": message["blocks"]},
        "actions": [
            {
                "type": "button",
                "action_id": element["action_id"],
                "value": element.get("value"),
                "block_id": "b",
            }
        ],
    }
    return h.send_payload(payload), payload["response_url"]


def test_list_pages_newest_first_and_filters_by_words(harness: Harness) -> None:
    harness.store_key()
    seed(harness, 23)
    harness.bunce.add_segment(LIVE_KEY, "Spring VIPs", created_at="2026-03-01 09:00:00")

    first = list_message(harness)
    assert_valid_message(first)
    assert "24 Bunce segments" in first["text"]
    assert "Spring VIPs" in json.dumps(first["blocks"][1])  # newest first
    assert len(buttons(first, ids.SHARE_ACTION)) == 10
    assert buttons(first, ids.LIST_PREV) == []
    next_button = buttons(first, ids.LIST_NEXT)[0]

    _, url = click(harness, first, next_button)
    second = harness.slack.wait_for_response_posts(1, token=url.rsplit("/", 1)[1])[0].body
    assert "page 2 of 3" in second["text"]
    assert buttons(second, ids.LIST_PREV)

    filtered = list_message(harness, "list spring vip")
    assert filtered["text"].startswith("1 Bunce segment matching")
    assert "Spring VIPs" in json.dumps(filtered["blocks"])


def test_tampered_paging_value_is_refused(harness: Harness) -> None:
    harness.store_key()
    seed(harness, 12)
    first = list_message(harness)
    forged = dict(buttons(first, ids.LIST_NEXT)[0], value='AAAA.{"q":"","p":1}')

    _, url = click(harness, first, forged)

    refusal = harness.slack.wait_for_response_posts(1, token=url.rsplit("/", 1)[1])[0].body
    assert "could not be verified" in refusal["text"]


def test_share_posts_the_card_and_only_admins_or_creators_see_edit(harness: Harness) -> None:
    harness.store_key()
    seed(harness, 2)
    as_member = list_message(harness)
    as_admin = list_message(harness, user=ADMIN)

    assert buttons(as_member, ids.EDIT_ACTION) == []
    assert len(buttons(as_admin, ids.EDIT_ACTION)) == 2
    click(harness, as_member, buttons(as_member, ids.SHARE_ACTION)[0])
    card = harness.slack.wait_for("chat.postMessage")[0].args
    assert card["channel"] == CHANNEL
    assert_valid_message(card)
    assert buttons(card, ids.EDIT_ACTION) and buttons(card, ids.ADD_PEOPLE_ACTION)


def test_creator_edits_and_every_card_is_updated_in_place(harness: Harness) -> None:
    harness.store_key()
    view = harness.open_modal()
    harness.send_submission(view, state_for("Old name", "Old words"))
    card_call = harness.slack.wait_for("chat.postMessage")[0]
    harness.background.wait_idle()
    card = card_call.args
    edit_button = buttons(card, ids.EDIT_ACTION)[0]

    click(harness, card, edit_button, user=USER)  # USER created it: allowed
    loading = harness.slack.wait_for("views.open", 2)[-1].response["view"]
    wait_until(lambda: harness.slack.views[loading["id"]]["callback_id"] == ids.EDIT_VIEW)
    form = harness.slack.views[loading["id"]]
    sent = harness.slack.calls("views.update")[-1].args["view"]
    assert_valid_modal(sent)
    blocks = {b.get("block_id"): b for b in form["blocks"]}
    assert blocks[ids.NAME]["element"]["initial_value"] == "Old name"
    assert blocks[ids.DESCRIPTION]["element"]["initial_value"] == "Old words"  # no marker shown

    state = {
        "values": {
            ids.NAME: {ids.NAME: {"type": "plain_text_input", "value": "New name"}},
            ids.DESCRIPTION: {ids.DESCRIPTION: {"type": "plain_text_input", "value": "New words"}},
        }
    }
    response = harness.send_submission(form, state)
    assert response.json()["response_action"] == "update"
    update = harness.slack.wait_for("chat.update")[0].args
    harness.background.wait_idle()

    stored = harness.bunce.segments(LIVE_KEY)[0]
    assert stored["name"] == "New name"
    assert re.fullmatch(r"via Slack #[0-9a-f]{8} · New words", stored["description"])  # kept
    assert (update["channel"], update["ts"]) == (CHANNEL, card_call.response["ts"])
    assert "New name" in json.dumps(update["blocks"])
    assert harness.services.audit.last(TEAM, action=Action.SEGMENT_EDITED).user_id == USER  # type: ignore[union-attr]


def test_others_cannot_edit_even_with_a_crafted_click_or_submission(harness: Harness) -> None:
    harness.store_key()
    view = harness.open_modal()
    harness.send_submission(view, state_for("Mine"))
    card = harness.slack.wait_for("chat.postMessage")[0].args
    harness.background.wait_idle()
    harness.slack.add_user("U0OTHER", team_id=TEAM)

    click(harness, card, buttons(card, ids.EDIT_ACTION)[0], user="U0OTHER")
    loading = harness.slack.wait_for("views.open", 2)[-1].response["view"]
    refusal = harness.slack.wait_for("views.update", 2)[-1].args
    assert refusal["view_id"] == loading["id"]
    crafted_form = {
        "id": "V0FORGED",
        "type": "modal",
        "callback_id": ids.EDIT_VIEW,
        "private_metadata": buttons(card, ids.EDIT_ACTION)[0]["value"],
    }
    state = {"values": {ids.NAME: {ids.NAME: {"type": "plain_text_input", "value": "Hijacked"}}}}
    crafted = harness.send_submission(crafted_form, state, user_id="U0OTHER")

    # Who can edit, by name, and what this person can do instead (issue 13 item 9).
    said = json.dumps(refusal["view"])
    assert f"Only <@{USER}> (who created it from Slack) or a workspace admin or owner" in said
    assert "You can still add customers to it" in said
    assert crafted.json()["response_action"] == "update"  # "Saving…", then the check
    harness.background.wait_idle()
    assert harness.bunce.segments(LIVE_KEY)[0]["name"] == "Mine"
    assert not [r for r in harness.bunce.requests if r.method == "PATCH"]


def test_global_shortcut_opens_the_form_with_the_default_channel(harness: Harness) -> None:
    harness.store_key()
    harness.services.workspaces.set_default_channel(TEAM, "C0DEFAULT", user_id=ADMIN)
    payload = {
        "type": "shortcut",
        "callback_id": ids.CREATE_SHORTCUT,
        "team": {"id": TEAM},
        "user": {"id": USER, "team_id": TEAM},
        "api_app_id": "A0BUNCE",
        "trigger_id": harness.slack.issue_trigger(),
        "action_ts": "1.2",
    }

    harness.send_payload(payload)

    view = harness.slack.wait_for("views.open")[0].args["view"]
    assert_valid_modal(view)
    announce = next(b for b in view["blocks"] if b["block_id"] == ids.ANNOUNCE)
    assert announce["optional"] is True  # "Don't share a card" may leave it empty
    assert announce["element"]["initial_conversation"] == "C0DEFAULT"


def test_open_in_bunce_link_when_configured(fake_slack, fake_bunce, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import running_app

    env = {"BUNCE_SEGMENT_URL_TEMPLATE": "https://app.bunce.so/segments/{id}"}
    with running_app(sqlite_url, fake_slack, fake_bunce, env) as h:
        h.store_key()
        view = h.open_modal()
        h.send_submission(view, state_for("Linked"))
        card = h.slack.wait_for("chat.postMessage")[0].args
        segment_id = h.bunce.segments(LIVE_KEY)[0]["id"]

        link = buttons(card, ids.OPEN_IN_BUNCE)[0]
        assert link["url"] == f"https://app.bunce.so/segments/{segment_id}"


def test_paging_a_search_keeps_its_offer_to_create_by_that_name(harness: Harness) -> None:
    harness.store_key()
    seed(harness, 12, prefix="VIPs")
    first = list_message(harness, "List VIPs")
    offer = buttons(first, ids.CREATE_NAMED)
    assert [b["text"]["text"] for b in offer] == ["Create segment “List VIPs”"]

    _, url = click(harness, first, buttons(first, ids.LIST_NEXT)[0])

    second = harness.slack.wait_for_response_posts(1, token=url.rsplit("/", 1)[1])[0].body
    assert "page 2 of 2" in second["text"]
    assert [b["value"] for b in buttons(second, ids.CREATE_NAMED)] == [offer[0]["value"]]
    assert_valid_message(second)


def test_a_failed_edit_keeps_what_was_typed_and_says_one_cause(harness: Harness) -> None:
    """Bunce refusing the new name: the form comes back with the typed values and Bunce's words,
    never also "Bunce didn't answer" (issue 13 item 3)."""
    harness.store_key()
    view = harness.open_modal()
    harness.send_submission(view, state_for("Old name", "Old words"))
    card = harness.slack.wait_for("chat.postMessage")[0].args
    harness.background.wait_idle()
    click(harness, card, buttons(card, ids.EDIT_ACTION)[0], user=USER)
    loading = harness.slack.wait_for("views.open", 2)[-1].response["view"]
    wait_until(lambda: harness.slack.views[loading["id"]]["callback_id"] == ids.EDIT_VIEW)
    form = harness.slack.views[loading["id"]]
    harness.bunce.fail_next(
        422, body={"success": False, "message": "The name has already been taken."}, method="PATCH"
    )
    typed = {
        ids.NAME: {ids.NAME: {"type": "plain_text_input", "value": "Taken name"}},
        ids.DESCRIPTION: {ids.DESCRIPTION: {"type": "plain_text_input", "value": "New words"}},
    }

    harness.send_submission(form, {"values": typed}, user_id=USER)

    wait_until(lambda: "Not saved" in json.dumps(harness.slack.views[loading["id"]]), 10)
    again = harness.slack.sent_view(loading["id"])
    assert_valid_modal(again)
    blocks = {b.get("block_id"): b for b in again["blocks"]}
    assert blocks[ids.NAME]["element"]["initial_value"] == "Taken name"
    assert blocks[ids.DESCRIPTION]["element"]["initial_value"] == "New words"
    said = json.dumps(again)
    assert "The name has already been taken." in said and "didn't answer" not in said
    assert again["callback_id"] == ids.EDIT_VIEW and again["submit"]["text"] == "Save"
