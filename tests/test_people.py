"""Adding people to a segment from a message (text or CSV) or a card, in exact batches."""

from __future__ import annotations

import json

import pytest

from bot import ids
from tests.fakes.slack import FILES_SCOPES
from tests.harness import CHANNEL, LIVE_KEY, TEAM, TOKENS, USER, Harness, state_for, wait_until
from tests.schemas import assert_valid_message, assert_valid_modal

MESSAGE_TS = "1700000000.000100"


def shortcut(h: Harness, text: str, files: list[dict] | None = None) -> dict:
    """Run the message shortcut on a message; return the modal once it shows what was found."""
    before = len(h.slack.calls("views.open"))
    payload = {
        "type": "message_action",
        "callback_id": ids.ADD_PEOPLE_SHORTCUT,
        "team": {"id": TEAM},
        "user": {"id": USER, "team_id": TEAM},
        "channel": {"id": CHANNEL},
        "api_app_id": "A0BUNCE",
        "trigger_id": h.slack.issue_trigger(),
        "response_url": h.slack.response_url(),
        "message_ts": MESSAGE_TS,
        "message": {"type": "message", "ts": MESSAGE_TS, "text": text, "files": files or []},
    }
    assert h.send_payload(payload).status_code == 200
    view_id = h.slack.wait_for("views.open", before + 1)[-1].response["view"]["id"]
    wait_until(lambda: h.slack.views[view_id]["callback_id"] == ids.ADD_PEOPLE_VIEW, 15)
    assert_valid_modal(h.slack.calls("views.update")[-1].args["view"])
    return h.slack.views[view_id]


def choose(h: Harness, view: dict, segment: dict) -> None:
    option = {"text": {"type": "plain_text", "text": segment["name"]}, "value": segment["id"]}
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
    assert "Added 3 people to *Spring VIPs*. 2 were not valid" in thread_summary(harness)
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
    assert "Added 10000 people to *Big list*. 1 was not valid" in text
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

    assert "Added 100 of 250 people to *Partial*; 150 were not added" in text
    assert len(harness.bunce.members(LIVE_KEY, segment["id"])) == 100
    summary = harness.slack.calls("chat.update")[-1].args
    assert_valid_message(summary)
    retry = next(e for b in summary["blocks"] if b["type"] == "actions" for e in b["elements"])
    before = len(adds(harness))
    harness.send_action({"id": "VNONE", "type": "home"}, ids.ADD_PEOPLE_RETRY, value=retry["value"])
    wait_until(lambda: len(harness.bunce.members(LIVE_KEY, segment["id"])) == 250, 15)
    harness.background.wait_idle()
    again = [r.json["customers"] for r in adds(harness)[before:]]
    assert [len(b) for b in again] == [100, 50]  # only batches 2 and 3
    assert "Added 250 people" in harness.slack.calls("chat.update")[-1].args["text"]


def test_nothing_found_says_so_and_offers_no_submit(harness: Harness) -> None:
    harness.store_key()

    view = shortcut(harness, "no addresses here, just words")

    assert "submit" not in view or view.get("submit") is None
    assert "No email addresses" in json.dumps(view["blocks"])


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
