"""The core journey through the real app: /segment → modal → submit → Bunce → card."""

from __future__ import annotations

import json

import pytest

from bot import ids
from tests.harness import CHANNEL, LIVE_KEY, USER, Harness, state_for
from tests.schemas import assert_valid_message, assert_valid_modal


def test_valid_submit_creates_one_segment_and_announces_it(any_db_harness: Harness) -> None:
    h = any_db_harness
    h.store_key()
    view = h.open_modal("Spring launch VIPs")
    assert_valid_modal(h.slack.calls("views.open")[-1].args["view"])

    response = h.send_submission(
        view, state_for("Spring launch VIPs", "Bought in March", add_all=True)
    )

    assert response.status_code == 200
    assert response.json()["response_action"] == "update"
    assert_valid_modal(response.json()["view"])
    posted = h.slack.wait_for("chat.postMessage")
    h.background.wait_idle()
    creates = [r for r in h.bunce.requests if r.method == "POST"]
    assert len(creates) == 1
    assert creates[0].path == "/segments"
    assert creates[0].headers["X-Authorization"] == LIVE_KEY
    sent = creates[0].json
    marker = h.services.submissions.get(_only_submission(h)).marker  # type: ignore[union-attr]
    assert sent == {
        "name": "Spring launch VIPs",
        "description": f"via Slack #{marker} · Bought in March",
        "add_all_customers": True,
    }
    card = posted[0].args
    assert "via Slack" not in json.dumps(card)  # the marker is bookkeeping, not shown
    assert card["channel"] == CHANNEL
    assert_valid_message(card)
    assert f"<@{USER}>" in card["text"]
    final = h.slack.calls("views.update")[-1].args["view"]
    assert final["title"]["text"] == "Segment created"
    assert_valid_modal(final)


def test_modal_opens_with_the_commands_trigger_and_prefills_the_name(harness: Harness) -> None:
    harness.store_key()
    trigger = harness.slack.issue_trigger()

    response = harness.send_command("  Spring   launch VIPs ", trigger_id=trigger)

    assert response.status_code == 200
    assert response.text == ""  # a bare ack: nothing is posted for a modal
    call = harness.slack.wait_for("views.open")[0]
    assert call.args["trigger_id"] == trigger
    view = call.args["view"]
    assert_valid_modal(view)
    name = next(b for b in view["blocks"] if b["block_id"] == ids.NAME)
    assert name["element"]["initial_value"] == "Spring launch VIPs"
    assert name["label"]["text"] == "Segment name"
    assert view["title"]["text"] == "Create segment"
    metadata = json.loads(view["private_metadata"].partition(".")[2])  # after the signature
    assert metadata["c"] == CHANNEL
    assert "sk_" not in view["private_metadata"]
    assert harness.bunce.requests == []  # nothing slow before the modal opens


def test_help_answers_with_usage_and_opens_nothing(harness: Harness) -> None:
    harness.store_key()

    response = harness.send_command("help")

    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "/segment help" in body["text"]
    assert_valid_message(body)
    assert harness.slack.calls("views.open") == []


def test_quoted_reserved_word_is_a_name(harness: Harness) -> None:
    harness.store_key()

    view = harness.open_modal('"List of VIPs"')

    name = next(b for b in view["blocks"] if b["block_id"] == ids.NAME)
    assert name["element"]["initial_value"] == "List of VIPs"


def test_unconnected_workspace_is_told_how_to_connect_and_gets_no_modal(harness: Harness) -> None:
    response = harness.send_command("Spring")

    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "isn't connected to Bunce" in body["text"]
    assert "/segment connect" in body["text"]
    assert harness.slack.calls("views.open") == []


def test_expired_trigger_tells_the_user_to_run_the_command_again(harness: Harness) -> None:
    harness.store_key()
    trigger = harness.slack.issue_trigger()
    harness.slack.expire_trigger(trigger)
    response_url = harness.slack.response_url()

    harness.send_command(trigger_id=trigger, response_url=response_url)

    post = harness.slack.wait_for_response_posts(1)[0]
    assert post.body["response_type"] == "ephemeral"
    assert "run `/segment` again" in post.body["text"]


@pytest.mark.parametrize(
    ("name", "description", "errors"),
    [
        ("", "", {ids.NAME: "Enter a name"}),
        ("   \t ", "", {ids.NAME: "Enter a name"}),
        ("x" * 256, "", {ids.NAME: "255 characters or fewer"}),
        ("ok", "d" * 1001, {ids.DESCRIPTION: "1000 characters or fewer"}),
        ("bad\x00name", "", {ids.NAME: "control characters"}),
        ("tab\tname", "bell\x07", {ids.NAME: "control", ids.DESCRIPTION: "control"}),
        ("", "d" * 1001, {ids.NAME: "Enter a name", ids.DESCRIPTION: "1000 characters"}),
    ],
)
def test_invalid_forms_get_every_error_inline_and_bunce_gets_nothing(
    harness: Harness, name: str, description: str, errors: dict[str, str]
) -> None:
    harness.store_key()
    view = harness.open_modal()

    response = harness.send_submission(view, state_for(name, description))

    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == set(errors)
    for block_id, words in errors.items():
        assert words in body["errors"][block_id]
    harness.background.wait_idle()
    assert harness.bunce.requests == []
    assert harness.slack.calls("views.update") == []


def test_unticked_box_sends_a_json_false_and_omits_an_empty_description(harness: Harness) -> None:
    harness.store_key()
    view = harness.open_modal()

    harness.send_submission(view, state_for("Quiet list"))

    harness.slack.wait_for("chat.postMessage")
    create = harness.bunce.wait_for_requests(1, predicate=lambda r: r.method == "POST")[0]
    assert create.json["name"] == "Quiet list"
    assert create.json["add_all_customers"] is False
    assert create.json["description"].startswith("via Slack #")  # nothing typed: only the marker
    assert b'"add_all_customers": false' in create.body


def test_progress_view_is_the_ack_and_result_replaces_it(harness: Harness) -> None:
    harness.store_key()
    view = harness.open_modal()

    response = harness.send_submission(view, state_for("Spring"))

    progress = response.json()["view"]
    assert "Creating segment" in json.dumps(progress)
    update = harness.slack.wait_for("views.update")[0]
    assert update.args["view_id"] == view["id"]
    fields = json.dumps(update.args["view"])
    segment = harness.bunce.segments(LIVE_KEY)[0]
    assert segment["id"] in fields
    assert "Shared in <#C0PUBLIC>" in fields


def test_create_falls_back_to_the_singular_path_on_404(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.create_paths = {"/segment"}
    view = harness.open_modal()

    harness.send_submission(view, state_for("Fallback"))

    harness.slack.wait_for("chat.postMessage")
    posts = [r.path for r in harness.bunce.requests if r.method == "POST"]
    assert posts == ["/segments", "/segment"]
    assert len(harness.bunce.segments(LIVE_KEY)) == 1


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"status": 401}, "rejected this workspace's Bunce key"),
        (
            {
                "status": 422,
                "body": {"success": False, "message": "The name has been taken."},
            },
            "The name has been taken.",
        ),
        ({"status": 429, "headers": {"Retry-After": "30"}, "times": 10}, "Bunce is busy"),
        ({"status": 500, "times": 10}, "Bunce is unavailable"),
        (
            {
                "status": 502,
                "body": "<html>502 Bad Gateway</html>",
                "content_type": "text/html",
                "times": 10,
            },
            "Bunce is unavailable",
        ),
        (
            {
                "status": 200,
                "body": "<html>maintenance</html>",
                "content_type": "text/html",
                "times": 10,
            },
            "Bunce is unavailable",
        ),
        ({"reset": True, "times": 10}, "Bunce is unavailable"),
    ],
)
def test_bunce_failures_show_an_actionable_error_and_post_no_card(
    harness: Harness, fault: dict, words: str
) -> None:
    """Failures that persist through every retry (only the POST fails: reconciling can list)."""
    harness.store_key()
    harness.bunce.fail_next(**fault, method="POST")
    view = harness.open_modal()

    harness.send_submission(view, state_for("Spring", "Kept description"))

    harness.slack.wait_for("views.update", timeout=15)
    harness.background.wait_idle(30)  # no answer at all: Bunce gets time to commit, each attempt
    shown = harness.slack.calls("views.update")[-1].args["view"]
    assert_valid_modal(shown)
    assert shown["title"]["text"] == "Segment not created"
    assert words in json.dumps(shown)
    assert "Kept description" in json.dumps(shown)  # what was typed is kept
    # Only a form Bunce refused is offered for editing, a passing failure is offered again, and
    # a rejected key needs an admin first (nothing to retry).
    steps = {422: ["Edit and retry"], 401: []}.get(fault.get("status"), ["Try again"])
    actions = [b for b in shown["blocks"] if b["type"] == "actions"]
    assert [e["text"]["text"] for b in actions for e in b["elements"]] == steps
    assert harness.slack.calls("chat.postMessage") == []
    assert harness.bunce.segments(LIVE_KEY) == []


def test_edit_and_retry_brings_back_the_form_with_what_was_typed(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.fail_next(
        status=422, body={"success": False, "message": "Try another name"}, method="POST"
    )
    view = harness.open_modal()
    harness.send_submission(view, state_for("Spring", "Typed text", add_all=True))
    error_view = harness.slack.wait_for("views.update")[0]
    harness.background.wait_idle()
    held = harness.slack.views[view["id"]]

    harness.send_action(held, ids.RETRY_ACTION)

    form = harness.slack.wait_for("views.update", 2)[1].args["view"]
    assert form["callback_id"] == ids.CREATE_VIEW
    blocks = {b["block_id"]: b for b in form["blocks"]}
    assert blocks[ids.NAME]["element"]["initial_value"] == "Spring"
    assert blocks[ids.DESCRIPTION]["element"]["initial_value"] == "Typed text"
    assert blocks[ids.ADD_ALL]["element"]["initial_options"]
    assert blocks[ids.ANNOUNCE]["element"]["initial_conversation"] == CHANNEL
    assert error_view.args["view"]["private_metadata"]

    again = harness.send_submission(harness.slack.views[view["id"]], state_for("Spring"))
    assert again.json()["response_action"] == "update"
    harness.slack.wait_for("chat.postMessage")
    assert len(harness.bunce.segments(LIVE_KEY)) == 1


def _only_submission(h: Harness) -> str:
    import sqlalchemy as sa

    with h.services.engine.connect() as conn:
        return conn.execute(sa.text("SELECT id FROM submissions")).scalar_one()
