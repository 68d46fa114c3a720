"""Where the card goes: the chosen channel, join-then-post, the response_url, or a clear note."""

from __future__ import annotations

import json

from tests.fakes.slack import DEFAULT_SCOPES
from tests.harness import CHANNEL, LIVE_KEY, TEAM, TOKENS, USER, Harness, state_for
from tests.schemas import assert_valid_message, assert_valid_modal

PRIVATE = "G0PRIVATE"
OTHER_PUBLIC = "C0OTHER"


def submit(h: Harness, channel: str, **kwargs: object) -> None:
    h.store_key()
    view = h.open_modal()
    h.send_submission(view, state_for("Spring", channel=channel), **kwargs)  # type: ignore[arg-type]


def test_public_channel_without_membership_is_joined_then_posted(harness: Harness) -> None:
    scopes = [s for s in DEFAULT_SCOPES if s != "chat:write.public"]
    harness.slack.add_workspace(TEAM, TOKENS[TEAM], scopes=scopes)
    harness.slack.add_channel(OTHER_PUBLIC)

    submit(harness, OTHER_PUBLIC)

    posts = harness.slack.wait_for("chat.postMessage", 2)
    harness.background.wait_idle()
    joins = harness.slack.calls("conversations.join")
    assert [c.args["channel"] for c in joins] == [OTHER_PUBLIC]
    assert posts[0].response["error"] == "not_in_channel"
    assert posts[1].response["ok"] is True
    assert harness.slack.messages(OTHER_PUBLIC)
    assert "Shared in <#C0OTHER>" in json.dumps(harness.slack.calls("views.update")[-1].args)


def test_private_channel_gets_the_card_through_the_modals_response_url(harness: Harness) -> None:
    harness.slack.add_channel(PRIVATE, is_private=True)
    url = harness.slack.response_url()
    entry = {"block_id": "announce_in", "action_id": "announce_in", "channel_id": PRIVATE}

    submit(harness, PRIVATE, response_urls=[{**entry, "response_url": url}])

    post = harness.slack.wait_for_response_posts(1)[0]
    harness.background.wait_idle()
    assert post.body["response_type"] == "in_channel"
    assert post.body["replace_original"] is False
    assert_valid_message(post.body)
    assert "Spring" in post.body["text"]
    assert harness.slack.calls("conversations.join") == []  # private: joining is impossible
    final = harness.slack.calls("views.update")[-1].args["view"]
    assert final["title"]["text"] == "Segment created"


def test_command_response_url_is_used_when_announcing_where_the_command_ran(
    harness: Harness,
) -> None:
    harness.slack.add_channel(PRIVATE, is_private=True)
    harness.store_key()
    command_url = harness.slack.response_url()
    view = harness.open_modal(channel_id=PRIVATE, response_url=command_url)

    harness.send_submission(view, state_for("Spring", channel=PRIVATE))

    post = harness.slack.wait_for_response_posts(1)[0]
    assert post.body["response_type"] == "in_channel"
    assert post.token in command_url


def test_nowhere_to_post_still_reports_success_and_says_where_it_is(harness: Harness) -> None:
    harness.slack.add_channel(PRIVATE, is_private=True)

    submit(harness, PRIVATE)  # no response_url for that channel

    final = harness.slack.wait_for("views.update")[0].args["view"]
    harness.background.wait_idle()
    assert_valid_modal(final)
    text = json.dumps(final)
    assert final["title"]["text"] == "Segment created"
    assert "couldn't post the segment's card" in text
    assert "/invite" in text
    assert len(harness.bunce.segments(LIVE_KEY)) == 1


def test_card_escapes_injection_in_name_and_description(harness: Harness) -> None:
    harness.store_key()
    view = harness.open_modal()

    harness.send_submission(
        view, state_for("<!channel> <https://evil.example|click here>", "<!here> & <@U999>")
    )

    card = harness.slack.wait_for("chat.postMessage")[0].args
    assert_valid_message(card)
    mrkdwn_parts = [card["text"]] + [
        json.dumps(b) for b in card["blocks"] if b["type"] in ("section", "context")
    ]
    joined = "\n".join(mrkdwn_parts)
    for raw in ("<!channel>", "<!here>", "<@U999>", "<https://evil"):
        assert raw not in joined
    assert "&lt;!here&gt; &amp; &lt;@U999&gt;" in joined
    # Bunce stored exactly what was typed; only Slack's rendering is escaped.
    assert harness.bunce.segments(LIVE_KEY)[0]["name"].startswith("<!channel>")


def test_closed_modal_means_the_user_is_told_privately(harness: Harness) -> None:
    harness.store_key()
    command_url = harness.slack.response_url()
    view = harness.open_modal(response_url=command_url)
    harness.slack.close_view(view["id"])

    harness.send_submission(view, state_for("Spring"))

    note = harness.slack.wait_for_response_posts(1)[0].body
    harness.background.wait_idle()
    assert note["response_type"] == "ephemeral"
    assert "is in Bunce" in note["text"]
    assert len(harness.slack.response_posts()) == 1
    assert harness.slack.messages(CHANNEL)  # the card went to the channel as usual


def test_closed_modal_after_a_failure_falls_back_to_a_dm(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.fail_next(status=401, method="POST")
    view = harness.open_modal()
    harness.slack.close_view(view["id"])
    harness.slack.fail_next("response_url", error="expired_url", status=404, times=5)

    harness.send_submission(view, state_for("Spring"))

    dm = harness.slack.wait_for("chat.postMessage")[0]
    harness.background.wait_idle()
    opened = harness.slack.calls("conversations.open")[0]
    assert opened.args["users"] == USER
    assert dm.args["channel"] == opened.response["channel"]["id"]
    assert "rejected" in dm.args["text"]
