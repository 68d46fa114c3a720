"""Adding people to a segment from a message (text or CSV) or a card, in exact batches."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot import ids
from bot.tenant import Workspace
from tests.conftest import running_app
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FILES_SCOPES, FakeSlackApi
from tests.harness import CHANNEL, LIVE_KEY, TEAM, TOKENS, USER, Harness, state_for, wait_until
from tests.schemas import assert_valid_message, assert_valid_modal

MESSAGE_TS = "1700000000.000100"
SECRET = "C0SECRET"  # a public channel the bot is not in
QUICK_TIMEOUT = 1  # seconds: the app's Slack client timeout in the timeout tests


def shortcut(
    h: Harness,
    text: str,
    files: list[dict] | None = None,
    *,
    channel: str = CHANNEL,
    response_url: str | None = None,
) -> dict:
    """Run the message shortcut on a message; return the modal once it shows what was found."""
    before = len(h.slack.calls("views.open"))
    payload = {
        "type": "message_action",
        "callback_id": ids.ADD_PEOPLE_SHORTCUT,
        "team": {"id": TEAM},
        "user": {"id": USER, "team_id": TEAM},
        "channel": {"id": channel},
        "api_app_id": "A0BUNCE",
        "trigger_id": h.slack.issue_trigger(),
        "response_url": response_url or h.slack.response_url(),
        "message_ts": MESSAGE_TS,
        "message": {"type": "message", "ts": MESSAGE_TS, "text": text, "files": files or []},
    }
    assert h.send_payload(payload).status_code == 200
    view_id = h.slack.wait_for("views.open", before + 1)[-1].response["view"]["id"]
    wait_until(lambda: h.slack.views[view_id]["callback_id"] == ids.ADD_PEOPLE_VIEW, 15)
    assert_valid_modal(h.slack.calls("views.update")[-1].args["view"])
    return h.slack.views[view_id]


def choose(h: Harness, view: dict, segment: dict, option: dict | None = None) -> None:
    """Submit the modal with `segment` chosen (`option`: as the segment search offered it)."""
    option = option or {
        "text": {"type": "plain_text", "text": segment["name"]},
        "value": segment["id"],
    }
    state = {
        "values": {
            ids.ADD_PEOPLE_SEGMENT: {
                ids.ADD_PEOPLE_SEGMENT: {"type": "external_select", "selected_option": option}
            }
        }
    }
    response = h.send_submission(view, state)
    assert response.json()["response_action"] == "update", response.text


def adds(h: Harness) -> list:
    return [r for r in h.bunce.requests if r.method == "POST" and r.path.endswith("/customers")]


def thread_summary(h: Harness) -> str:
    wait_until(
        lambda: any(
            "Retry" in json.dumps(c.args)
            or ":white_check_mark:" in c.args.get("text", "")
            or ":warning:" in c.args.get("text", "")
            for c in h.slack.calls("chat.update")
        ),
        30,
    )
    h.background.wait_idle(timeout=30)
    return h.slack.calls("chat.update")[-1].args["text"]


def test_message_text_emails_ids_and_junk(harness: Harness) -> None:
    harness.store_key()
    segment = harness.bunce.add_segment(LIVE_KEY, "Spring VIPs")
    text = (
        "Please add <mailto:Ann@Example.com|Ann@Example.com>, bob@example.org and "
        "customer_id: 8998223462 — not <@U123> nor <https://example.com|this>; "
        "also broken@ and carol@example"
    )

    view = shortcut(harness, text)

    summary = json.dumps(view["blocks"])
    assert "*3 valid*, 2 ignored" in summary
    assert "broken@" in summary
    choose(harness, view, segment)
    assert "3 customers added to *Spring VIPs*. 2 were not valid" in thread_summary(harness)
    sent = adds(harness)[0].json["customers"]
    assert sent == [
        {"email": "Ann@example.com"},
        {"email": "bob@example.org"},
        {"customer_id": "8998223462"},
    ]
    status = harness.slack.calls("chat.postMessage")[0].args
    assert (status["channel"], status["thread_ts"]) == (CHANNEL, MESSAGE_TS)
    members = harness.bunce.members(LIVE_KEY, segment["id"])
    assert {m.lower() for m in members} == {"ann@example.com", "bob@example.org", "8998223462"}


def test_a_csv_of_ten_thousand_goes_in_exact_batches(harness: Harness) -> None:
    harness.slack.add_workspace(TEAM, TOKENS[TEAM], scopes=FILES_SCOPES)
    harness.store_key()
    segment = harness.bunce.add_segment(LIVE_KEY, "Big list")
    rows = "\n".join(f"person{i}@example.com,Person {i}" for i in range(10_000))
    csv = ("email,name\n" + rows + "\nnot-an-email,Nobody\n").encode()
    file = harness.slack.add_file("F0PEOPLE", csv, name="people.csv", team_id=TEAM)

    view = shortcut(
        harness, "see attached", [{"id": file["id"], "name": "people.csv", "filetype": "csv"}]
    )
    choose(harness, view, segment)

    text = thread_summary(harness)
    batches = [r.json["customers"] for r in adds(harness)]
    assert len(batches) == 100 and all(len(b) == 100 for b in batches)
    assert all(list(item) == ["email"] for b in batches for item in b)  # only the identifier
    assert "10000 customers added to *Big list*. 1 was not a valid email" in text
    assert len(harness.bunce.members(LIVE_KEY, segment["id"])) == 10_000
    assert harness.slack.downloads(file["id"])


def test_a_batch_failing_midway_is_reported_exactly_and_retry_adds_only_the_rest(
    harness: Harness,
) -> None:
    harness.store_key()
    segment = harness.bunce.add_segment(LIVE_KEY, "Partial")
    emails = " ".join(f"p{i}@example.com" for i in range(250))
    view = shortcut(harness, emails)
    harness.bunce.latency = 0.3  # pace the batches so the fault lands on the second one
    choose(harness, view, segment)
    harness.bunce.wait_for_requests(1, predicate=lambda r: r.path.endswith("/customers"))
    harness.bunce.fail_next(status=503, times=3, path="/segments/*/customers")

    text = thread_summary(harness)
    harness.bunce.latency = 0.0

    assert "100 of 250 customers added to *Partial*; 150 were not added" in text
    assert len(harness.bunce.members(LIVE_KEY, segment["id"])) == 100
    summary = harness.slack.calls("chat.update")[-1].args
    assert_valid_message(summary)
    retry = next(e for b in summary["blocks"] if b["type"] == "actions" for e in b["elements"])
    modal = harness.slack.calls("views.update")[-1].args["view"]  # the open modal says it too
    assert_valid_modal(modal)
    assert "Retry" in json.dumps(modal["blocks"]) and "150 were not added" in json.dumps(modal)
    before = len(adds(harness))
    harness.send_action({"id": "VNONE", "type": "home"}, ids.ADD_PEOPLE_RETRY, value=retry["value"])
    wait_until(lambda: len(harness.bunce.members(LIVE_KEY, segment["id"])) == 250, 15)
    harness.background.wait_idle()
    again = [r.json["customers"] for r in adds(harness)[before:]]
    assert [len(b) for b in again] == [100, 50]  # only batches 2 and 3
    assert "250 customers added" in harness.slack.calls("chat.update")[-1].args["text"]


def test_nothing_found_says_so_and_offers_a_box_to_paste_them(harness: Harness) -> None:
    """Issue 13: a message without addresses is no dead end: paste them, choose, submit."""
    harness.store_key()
    segment = harness.bunce.add_segment(LIVE_KEY, "Pasted")

    view = shortcut(harness, "no addresses here, just words")

    text = json.dumps(view["blocks"])
    assert "No email addresses or customer ids were found in that message." in text
    assert "Paste the customers' emails or customer ids below" in text
    assert view["submit"]["text"] == "Add customers"
    assert view["title"]["text"] == "Add customers"
    paste = next(b for b in view["blocks"] if b.get("block_id") == ids.ADD_PEOPLE_PASTE)
    assert paste["label"]["text"] == "Customers"
    state = {
        "values": {
            ids.ADD_PEOPLE_SEGMENT: {
                ids.ADD_PEOPLE_SEGMENT: {
                    "type": "external_select",
                    "selected_option": {
                        "text": {"type": "plain_text", "text": "Pasted"},
                        "value": segment["id"],
                    },
                }
            },
            ids.ADD_PEOPLE_PASTE: {
                ids.ADD_PEOPLE_PASTE: {"type": "plain_text_input", "value": "a@x.io\nb@x.io"}
            },
        }
    }

    assert harness.send_submission(view, state).json()["response_action"] == "update"

    assert "2 customers added to *Pasted*" in thread_summary(harness)
    assert harness.bunce.members(LIVE_KEY, segment["id"]) == {"a@x.io", "b@x.io"}
    status = harness.slack.calls("chat.postMessage")[0].args
    assert (status["channel"], status["thread_ts"]) == (CHANNEL, MESSAGE_TS)


def test_segment_search_offers_new_segment_and_matches(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.add_segment(LIVE_KEY, "Spring VIPs")
    harness.bunce.add_segment(LIVE_KEY, "Autumn")
    payload = {
        "type": "block_suggestion",
        "action_id": ids.ADD_PEOPLE_SEGMENT,
        "block_id": ids.ADD_PEOPLE_SEGMENT,
        "value": "spr",
        "team": {"id": TEAM},
        "user": {"id": USER, "team_id": TEAM},
        "api_app_id": "A0BUNCE",
        "view": {"id": "V1", "type": "modal", "callback_id": ids.ADD_PEOPLE_VIEW},
    }

    options = harness.send_payload(payload).json()["options"]

    assert [o["text"]["text"] for o in options] == ["New segment…", "Spring VIPs"]


def test_card_button_adds_pasted_people_to_that_segment(harness: Harness) -> None:
    harness.store_key()
    view = harness.open_modal()
    harness.send_submission(view, state_for("From card"))
    card_call = harness.slack.wait_for("chat.postMessage")[0]
    harness.background.wait_idle()
    card = card_call.args
    button = next(
        e
        for b in card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.ADD_PEOPLE_ACTION
    )
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": USER, "team_id": TEAM},
        "api_app_id": "A0BUNCE",
        "trigger_id": harness.slack.issue_trigger(),
        "container": {"type": "message", "message_ts": card_call.response["ts"]},
        "channel": {"id": CHANNEL},
        "message": {"ts": card_call.response["ts"], "blocks": card["blocks"]},
        "actions": [
            {"type": "button", "action_id": ids.ADD_PEOPLE_ACTION, "value": button["value"]}
        ],
    }
    harness.send_payload(payload)
    modal = harness.slack.wait_for("views.open", 2)[-1].response["view"]
    segment = harness.bunce.segments(LIVE_KEY)[0]
    select = next(b for b in modal["blocks"] if b.get("block_id") == ids.ADD_PEOPLE_SEGMENT)
    assert select["element"]["initial_option"]["value"] == segment["id"]
    state = {
        "values": {
            ids.ADD_PEOPLE_SEGMENT: {
                ids.ADD_PEOPLE_SEGMENT: {
                    "type": "external_select",
                    "selected_option": select["element"]["initial_option"],
                }
            },
            ids.ADD_PEOPLE_PASTE: {
                ids.ADD_PEOPLE_PASTE: {"type": "plain_text_input", "value": "a@x.io\nb@x.io"}
            },
        }
    }

    harness.send_submission(modal, state)

    wait_until(lambda: len(harness.bunce.members(LIVE_KEY, segment["id"])) == 2, 15)
    harness.background.wait_idle()
    status = harness.slack.calls("chat.postMessage")[-1].args
    assert status["thread_ts"] == card_call.response["ts"]


@pytest.mark.parametrize("value", ["", "AAAA.{}"])
def test_tampered_add_people_form_is_refused(harness: Harness, value: str) -> None:
    harness.store_key()
    view = {
        "id": "V0X",
        "type": "modal",
        "callback_id": ids.ADD_PEOPLE_VIEW,
        "private_metadata": value,
    }

    response = harness.send_submission(view, {"values": {}})

    assert response.json()["response_action"] == "errors"
    harness.background.wait_idle()
    assert adds(harness) == []


# ---- files the bot can't read (issue 10) ---------------------------------------------------


def with_files(h: Harness) -> None:
    h.slack.add_workspace(TEAM, TOKENS[TEAM], scopes=FILES_SCOPES)
    h.slack.add_channel(SECRET, is_member=False, name="secret")
    h.store_key()


@pytest.mark.parametrize("restricted", [False, True], ids=["full-object", "file-access-stub"])
def test_a_file_in_a_channel_the_bot_is_not_in_says_invite_me(
    any_db_harness: Harness, restricted: bool
) -> None:
    h = any_db_harness
    with_files(h)
    h.slack.add_file("F0SECRET", b"email\nann@example.com\n", channels=[SECRET])

    view = shortcut(
        h, "", [h.slack.message_file("F0SECRET", restricted=restricted)], channel=SECRET
    )

    text = json.dumps(view["blocks"])
    name = "the attached file" if restricted else "people.csv"
    assert (
        f"I can't read {name}: I'm not in <#{SECRET}>. Invite me with /invite @Bunce and try again."
    ) in text
    assert "No email addresses or customer ids could be read" in text
    assert h.slack.calls("files.info")[0].response["error"] == "file_not_found"
    assert h.slack.downloads() == []
    assert h.slack.calls("conversations.join") == []  # never joins to read a file
    assert not h.slack.is_member(SECRET)


def test_a_file_access_stub_is_looked_up_and_read(any_db_harness: Harness) -> None:
    h = any_db_harness
    with_files(h)
    segment = h.bunce.add_segment(LIVE_KEY, "From stub")
    h.slack.add_file("F0CSV", b"email\nann@example.com\nbob@example.org\n", channels=[CHANNEL])
    h.slack.add_file("F0PNG", b"\x89PNG", name="logo.png", filetype="png", mimetype="image/png")
    # The bot's own upload in a channel it is not in is still readable to it.
    h.slack.add_file("F0OWN", b"carol@example.net\n", channels=[SECRET], user="UBOT")
    files = [h.slack.message_file(f, restricted=True) for f in ("F0CSV", "F0PNG", "F0OWN")]
    assert files[0] == {
        "id": "F0CSV",
        "mode": "file_access",
        "file_access": "check_file_info",
        "created": 0,
        "timestamp": 0,
        "user": "",
    }

    view = shortcut(h, "", files)

    text = json.dumps(view["blocks"])
    assert "*3 valid*, 0 ignored" in text
    assert ":warning:" not in text  # the PNG is skipped without a word
    assert {c.args["file"] for c in h.slack.calls("files.info")} == {"F0CSV", "F0PNG", "F0OWN"}
    assert {d.file_id for d in h.slack.downloads()} == {"F0CSV", "F0OWN"}
    choose(h, view, segment)
    assert "3 customers added to *From stub*" in thread_summary(h)


# ---- the summary always reaches someone (issue 10) ------------------------------------------


def test_summary_and_retry_reach_the_person_by_dm_when_nothing_else_works(
    any_db_harness: Harness,
) -> None:
    h = any_db_harness
    h.store_key()
    segment = h.bunce.add_segment(LIVE_KEY, "Unlucky")
    url = h.slack.response_url()
    view = shortcut(h, "a@x.io b@x.io", response_url=url)
    h.slack.close_view(view["id"])  # the person closed the modal
    h.slack.expire_response_url(url)
    h.slack.fail_next("chat.postMessage", error="not_in_channel")  # the thread status
    h.bunce.fail_next(status=503, times=3, path="/segments/*/customers")

    choose(h, view, segment)

    h.slack.wait_for("chat.postMessage", 2, timeout=15)
    h.background.wait_idle(timeout=15)
    assert [p.status for p in h.slack.response_posts(url)] == [404]  # tried first, expired
    opened = h.slack.calls("conversations.open")[-1]
    assert opened.args["users"] == USER
    dm = h.slack.calls("chat.postMessage")[-1]
    assert dm.args["channel"] == opened.response["channel"]["id"]
    assert "0 of 2 customers added to *Unlucky*; 2 were not added" in dm.args["text"]
    assert_valid_message(dm.args)
    retry = [e for b in dm.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in retry] == [ids.ADD_PEOPLE_RETRY]


@pytest.fixture
def quick_harness(
    database_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> Iterator[Harness]:
    """The app with a 1 s Slack timeout, so a late answer is a timeout within the test."""
    env = {"SLACK_TIMEOUT_SECONDS": str(QUICK_TIMEOUT)}
    with running_app(database_url, fake_slack, fake_bunce, env) as running:
        yield running


def test_a_timed_out_status_post_is_not_repeated_and_the_summary_uses_the_response_url(
    quick_harness: Harness,
) -> None:
    h = quick_harness
    h.store_key()
    segment = h.bunce.add_segment(LIVE_KEY, "Slow Slack")
    url = h.slack.response_url()
    view = shortcut(h, "a@x.io b@x.io", response_url=url)
    h.slack.close_view(view["id"])
    # Slack posts the status but answers after the client gave up: the outcome is unknown.
    h.slack.fail_next("chat.postMessage", error=None, delay=QUICK_TIMEOUT + 2)

    choose(h, view, segment)

    post = h.slack.wait_for_response_posts(1, timeout=15, token=url)[0]
    h.background.wait_idle(timeout=15)
    assert post.status == 200
    assert post.body["response_type"] == "ephemeral"
    assert "2 customers added to *Slow Slack*" in post.body["text"]
    assert_valid_message(post.body)
    assert len(h.slack.calls("chat.postMessage")) == 1  # not posted again blindly
    assert len(h.slack.messages(CHANNEL)) == 1
    assert len(h.bunce.members(LIVE_KEY, segment["id"])) == 2


# ---- option labels are plain text (issue 10) ------------------------------------------------


def test_a_segment_name_with_markup_characters_is_shown_as_typed(harness: Harness) -> None:
    harness.store_key()
    segment = harness.bunce.add_segment(LIVE_KEY, "A & B <x>")
    suggestion = {
        "type": "block_suggestion",
        "action_id": ids.ADD_PEOPLE_SEGMENT,
        "block_id": ids.ADD_PEOPLE_SEGMENT,
        "value": "a &",
        "team": {"id": TEAM},
        "user": {"id": USER, "team_id": TEAM},
        "api_app_id": "A0BUNCE",
        "view": {"id": "V1", "type": "modal", "callback_id": ids.ADD_PEOPLE_VIEW},
    }
    options = harness.send_payload(suggestion).json()["options"]
    assert [o["text"]["text"] for o in options] == ["New segment…", "A & B <x>"]
    view = shortcut(harness, "ann@example.com")

    choose(harness, view, segment, option=options[1])

    text = thread_summary(harness)
    assert "1 customer added to *A &amp; B &lt;x&gt;*" in text
    assert "&amp;amp;" not in text
    assert_valid_message(harness.slack.calls("chat.update")[-1].args)


def test_a_segment_made_with_new_segment_comes_back_chosen(harness: Harness) -> None:
    """Issue 13 item 6: "New segment…" pushes the create form; once the segment exists, the
    Add customers modal under it has it chosen, with the customers it had found."""
    harness.store_key()
    root = shortcut(harness, "ann@example.com bob@example.org")
    chosen = {"type": "external_select", "selected_option": {"value": ids.NEW_SEGMENT_OPTION}}

    harness.send_action(root, ids.ADD_PEOPLE_SEGMENT, **chosen)

    pushed = harness.slack.wait_for("views.push")[0].response["view"]
    harness.send_submission(pushed, state_for("Launch list"))
    named = "Launch list"
    wait_until(lambda: any(s["name"] == named for s in harness.bunce.segments(LIVE_KEY)), 15)
    segment = next(s for s in harness.bunce.segments(LIVE_KEY) if s["name"] == "Launch list")
    wait_until(
        lambda: (
            harness.slack.views[root["id"]].get("blocks", [{}])
            and segment["id"] in json.dumps(harness.slack.views[root["id"]])
        ),
        15,
    )
    again = harness.slack.sent_view(root["id"])
    assert_valid_modal(again)
    select = next(
        b["element"] for b in again["blocks"] if b.get("block_id") == ids.ADD_PEOPLE_SEGMENT
    )
    assert select["initial_option"]["value"] == segment["id"]
    assert again["blocks"][0]["text"]["text"].startswith("*2 valid*")  # the customers found
    # The form on top is told after the one under it is updated: wait for it too.
    wait_until(lambda: "chosen in *Add customers*" in json.dumps(harness.slack.views[pushed["id"]]))
    result = harness.slack.sent_view(pushed["id"])
    assert "chosen in *Add customers*" in json.dumps(result)


def test_retry_after_the_workspace_was_disconnected_says_so(harness: Harness) -> None:
    """A Retry pressed once the key is gone is answered, not dropped in silence."""
    harness.store_key()
    segment = harness.bunce.add_segment(LIVE_KEY, "Partial")
    view = shortcut(harness, "p1@example.com p2@example.com")
    harness.bunce.fail_next(status=503, times=3, path="/segments/*/customers")
    choose(harness, view, segment)
    thread_summary(harness)
    summary = harness.slack.calls("chat.update")[-1].args
    retry = next(e for b in summary["blocks"] if b["type"] == "actions" for e in b["elements"])
    harness.services.keys.delete(TEAM)
    harness.services.lookup.forget(Workspace(TEAM))

    harness.send_action({"id": "VNONE", "type": "home"}, ids.ADD_PEOPLE_RETRY, value=retry["value"])

    # A button outside a message has no response_url: the person hears it by DM.
    wait_until(lambda: harness.slack.calls("conversations.open"), 15)
    harness.background.wait_idle()
    posts = [c.args["text"] for c in harness.slack.calls("chat.postMessage")]
    assert any("isn't connected to Bunce" in text for text in posts)
