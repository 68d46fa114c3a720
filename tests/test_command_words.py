"""Sub-command words don't swallow names: `/segment Connect 2024 leads` is a name, `connect` alone
connects, and a search (`list <words>`) offers to create a segment by everything typed."""

from __future__ import annotations

import json

import pytest

from bot import ids
from bot.bunce.models import Segment
from bot.command.help import USAGE
from bot.manage.views import QUERY_MAX, build_segment_list, offer_name
from bot.slack.metadata import MetadataSigner, read_value
from tests.harness import ADMIN, CHANNEL, LIVE_KEY, Harness, wait_until
from tests.schemas import assert_valid_message, assert_valid_modal
from tests.test_manage import buttons, click, list_message

SIGNER = MetadataSigner([b"k" * 32])


def name_in(view: dict) -> str | None:
    """The create modal's prefilled name."""
    block = next(b for b in view["blocks"] if b.get("block_id") == ids.NAME)
    return block["element"].get("initial_value")


def offer(message: dict) -> dict:
    """The list's one "Create segment “…”" button."""
    (element,) = buttons(message, ids.CREATE_NAMED)
    return element


# -- through the app --------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["Connect 2024 leads", "Help desk users", "Status report"])
def test_a_name_that_starts_with_a_reserved_word_opens_the_create_form(
    harness: Harness, text: str
) -> None:
    harness.store_key()

    view = harness.open_modal(text, user_id=ADMIN)

    assert view["callback_id"] == ids.CREATE_VIEW
    assert name_in(view) == text
    assert_valid_modal(harness.slack.calls("views.open")[-1].args["view"])
    assert len(harness.slack.calls("views.open")) == 1  # no connect modal as well
    assert harness.slack.calls("users.info") == []  # nobody asked whether this is an admin
    assert harness.slack.response_posts() == []  # and no help, status or list reply


def test_connect_alone_still_opens_the_connect_flow_for_an_admin(harness: Harness) -> None:
    harness.send_command("Connect", user_id=ADMIN)

    view_id = harness.slack.wait_for("views.open")[0].response["view"]["id"]
    wait_until(lambda: harness.slack.shown_view(view_id)["callback_id"] == ids.CONNECT_VIEW)
    assert_valid_modal(harness.slack.sent_view(view_id))


def test_a_search_offers_to_create_a_segment_by_what_was_typed(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.add_segment(LIVE_KEY, "Friends of VIPs", created_at="2025-01-01 10:00:00")

    found = list_message(harness, "List of  VIPs")

    assert_valid_message(found)
    assert found["text"].startswith("1 Bunce segment matching “of VIPs”")
    assert "Friends of VIPs" in json.dumps(found["blocks"])
    button = offer(found)
    assert button["text"]["text"] == "Create segment “List of VIPs”"

    click(harness, found, button)

    view = harness.slack.wait_for("views.open")[-1].args["view"]
    assert view["callback_id"] == ids.CREATE_VIEW
    assert name_in(view) == "List of VIPs"
    metadata = json.loads(view["private_metadata"].partition(".")[2])
    assert metadata["c"] == CHANNEL  # the card goes where the list was asked for
    assert_valid_modal(view)


def test_a_search_with_no_match_offers_the_name_too(harness: Harness) -> None:
    harness.store_key()

    nothing = list_message(harness, "list of VIPs")

    assert_valid_message(nothing)
    assert nothing["text"] == "No segments matching “of VIPs”."
    button = offer(nothing)
    assert button["text"]["text"] == "Create segment “list of VIPs”"

    click(harness, nothing, button)

    view = harness.slack.wait_for("views.open")[-1].args["view"]
    assert name_in(view) == "list of VIPs"


def test_the_whole_list_offers_nothing_to_create(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.add_segment(LIVE_KEY, "Top VIPs")

    message = list_message(harness, "list")

    assert buttons(message, ids.CREATE_NAMED) == []


def test_help_states_the_rule(harness: Harness) -> None:
    body = harness.send_command("HELP").json()

    assert_valid_message(body)
    assert "`/segment Help desk users` creates “Help desk users”" in body["text"]
    assert "`/segment list VIPs` searches" in body["text"]
    assert 'Quote a name to be explicit: `/segment "List of VIPs"`' in body["text"]
    assert harness.slack.calls("views.open") == []


# -- the list's builder -----------------------------------------------------------------------
def test_no_lead_no_offer() -> None:
    message = build_segment_list([], page=1, words="VIPs", editable=set(), signer=SIGNER)

    assert buttons(message, ids.CREATE_NAMED) == []


def test_the_offer_carries_the_name_signed_and_paging_carries_the_lead() -> None:
    segments = [Segment(f"s{i}", f"VIPs {i}", None, None, False, None, None) for i in range(12)]

    message = build_segment_list(
        segments, page=1, words="VIPs", editable=set(), signer=SIGNER, lead="LIST"
    )

    assert_valid_message(message)
    assert read_value(SIGNER, offer(message)["value"]) == {"n": "LIST VIPs"}
    assert read_value(SIGNER, buttons(message, ids.LIST_NEXT)[0]["value"]) == {
        "q": "VIPs",
        "p": 2,
        "l": "LIST",
    }


def test_the_longest_offer_fits_a_button() -> None:
    words = "🎉" * (QUERY_MAX + 50)

    message = build_segment_list(
        [], page=1, words=words, editable=set(), signer=SIGNER, lead="list"
    )

    button = offer(message)
    assert len(button["value"]) <= 2000
    assert len(button["text"]["text"]) <= 75
    assert read_value(SIGNER, button["value"]) == {"n": offer_name("list", words)}
    assert offer_name("list", words) == "list " + "🎉" * QUERY_MAX
    assert_valid_message(message)


def test_an_offered_name_is_plain_text_not_mrkdwn() -> None:
    message = build_segment_list(
        [], page=1, words="<!channel> & co", editable=set(), signer=SIGNER, lead="list"
    )

    assert offer(message)["text"] == {
        "type": "plain_text",
        "text": "Create segment “list <!channel> & co”",
        "emoji": True,
    }
    assert "&lt;!channel&gt; &amp; co" in message["text"]


def test_usage_names_every_reserved_word() -> None:
    for word in ("help", "status", "connect", "disconnect", "list"):
        assert f"`/segment {word}" in USAGE
