"""Workflow Builder's "Create a Bunce segment" step, through the real app (issue 14).

Slack delivers `function_executed` (tests/fakes/slack/functions.py models the event, the
just-in-time token and functions.completeSuccess/completeError); the app validates the inputs,
records a submission keyed by the execution, creates the segment exactly once, shares its card
and completes the step once, with the execution's token.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.bunce.models import Segment
from bot.store.records import State, SubmissionRecord
from bot.tenant import Workspace
from bot.workflow import step
from bot.workflow.submission import step_draft
from tests.fakes.slack import FakeSlackApi
from tests.harness import CHANNEL, LIVE_KEY, TEAM, Harness, wait_until
from tests.schemas import assert_valid_message

NAME = "Spring VIPs"


def run_step(h: Harness, inputs: dict[str, Any], **execution: Any) -> str:
    """Start an execution in the fake and deliver its event, as Slack does; its id."""
    event = h.slack.start_execution(inputs=inputs, **execution)
    assert h.send_event(event).status_code == 200  # acked at once
    return event["function_execution_id"]


def completed(h: Harness, execution_id: str, timeout: float = 15) -> dict[str, Any]:
    wait_until(lambda: h.slack.completions(execution_id), timeout)
    h.background.wait_idle(timeout)
    done = h.slack.completions(execution_id)
    assert len(done) == 1, done  # completed once
    return done[0]


def posted_in(h: Harness, channel: str) -> list[dict[str, Any]]:
    return [c.args for c in h.slack.calls("chat.postMessage") if c.args["channel"] == channel]


# -- the happy path, on SQLite and PostgreSQL -------------------------------------------------
def test_a_valid_step_creates_one_segment_shares_its_card_and_completes_with_its_id(
    any_db_harness: Harness,
) -> None:
    h = any_db_harness
    h.store_key()
    inputs = {"segment_name": NAME, "description": "From a form", "announce_channel": CHANNEL}

    execution = run_step(h, inputs)

    done = completed(h, execution)
    segments = h.bunce.segments(LIVE_KEY)
    assert len(segments) == 1
    assert done["method"] == "functions.completeSuccess" and done["ok"]
    assert done["outputs"] == {"segment_id": segments[0]["id"], "segment_name": NAME}
    cards = posted_in(h, CHANNEL)
    assert len(cards) == 1
    assert_valid_message(cards[0])
    assert "created by a workflow" in cards[0]["text"]
    assert "<@workflow" not in str(cards[0])


def test_without_a_channel_no_card_is_shared(any_db_harness: Harness) -> None:
    harness = any_db_harness
    harness.store_key()

    execution = run_step(harness, {"segment_name": NAME, "add_all_customers": True})

    assert completed(harness, execution)["ok"]
    assert harness.slack.calls("chat.postMessage") == []
    assert harness.bunce.segments(LIVE_KEY)[0]["all_customers"] in (True, 1)


def test_the_audit_trail_says_a_workflow_created_it(any_db_harness: Harness) -> None:
    harness = any_db_harness
    harness.store_key()

    execution = run_step(harness, {"segment_name": NAME}, workflow_execution_id="Wf0TESTRUN")

    completed(harness, execution)
    events = harness.services.audit.recent(TEAM)
    assert [e.user_id for e in events] == ["workflow:Wf0TESTRUN"]


# -- inputs and workspace that can't run -----------------------------------------------------
@pytest.mark.parametrize(
    ("inputs", "said"),
    [
        ({"segment_name": "   "}, "Segment name: Enter a name"),
        ({"segment_name": "N" * 256}, "Segment name: Use 255 characters or fewer"),
        ({"segment_name": "Tab\there"}, "Segment name: Remove control characters"),
        ({"segment_name": NAME, "description": "d" * 1001}, "Description: Use 1000"),
        ({"segment_name": 42}, "needs a segment name"),
    ],
)
def test_invalid_inputs_end_the_step_with_an_error_and_nothing_reaches_bunce(
    any_db_harness: Harness, inputs: dict[str, Any], said: str
) -> None:
    harness = any_db_harness
    harness.store_key()

    execution = run_step(harness, inputs)

    done = completed(harness, execution)
    assert done["method"] == "functions.completeError"
    assert said in done["error"] and "no segment was created" in done["error"]
    assert harness.bunce.requests == []


def test_a_workspace_not_connected_ends_the_step_saying_so(any_db_harness: Harness) -> None:
    harness = any_db_harness
    execution = run_step(harness, {"segment_name": NAME})

    done = completed(harness, execution)
    assert done["method"] == "functions.completeError"
    assert "isn't connected to Bunce" in done["error"]
    assert "<@" not in done["error"]  # Workflow Builder shows plain text
    assert harness.bunce.requests == []


# -- Bunce failing ------------------------------------------------------------------------------
def test_bunce_losing_answers_is_reconciled_into_one_segment_and_success(
    any_db_harness: Harness,
) -> None:
    harness = any_db_harness
    harness.store_key()
    harness.bunce.fail_next(after_processing=True, delay=3.0, method="POST")

    execution = run_step(harness, {"segment_name": NAME})

    done = completed(harness, execution, timeout=30)
    assert done["method"] == "functions.completeSuccess"
    assert len(harness.bunce.segments(LIVE_KEY)) == 1


def test_bunce_down_throughout_ends_the_step_with_an_error_and_no_segment(
    any_db_harness: Harness,
) -> None:
    harness = any_db_harness
    harness.store_key()
    harness.bunce.fail_next(500, times=20, method="POST")

    execution = run_step(harness, {"segment_name": NAME})

    done = completed(harness, execution, timeout=30)
    assert done["method"] == "functions.completeError"
    assert "Bunce is unavailable" in done["error"]
    assert harness.bunce.segments(LIVE_KEY) == []


# -- Slack redelivering, and a process dying --------------------------------------------------
def test_an_event_delivered_twice_creates_one_segment_and_completes_once(
    any_db_harness: Harness,
) -> None:
    harness = any_db_harness
    harness.store_key()
    event = harness.slack.start_execution(inputs={"segment_name": NAME})

    harness.send_event(event)
    harness.send_event(harness.slack.redeliver(event["function_execution_id"]))

    completed(harness, event["function_execution_id"])
    assert len(harness.bunce.segments(LIVE_KEY)) == 1
    assert len([r for r in harness.bunce.requests if r.method == "POST"]) == 1


def test_the_same_event_delivered_concurrently_creates_one_segment(any_db_harness: Harness) -> None:
    harness = any_db_harness
    harness.store_key()
    event = harness.slack.start_execution(inputs={"segment_name": NAME})
    barrier = threading.Barrier(4)

    def deliver() -> None:
        barrier.wait()
        harness.send_event(event)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    completed(harness, event["function_execution_id"])
    assert len(harness.bunce.segments(LIVE_KEY)) == 1


def test_a_step_acked_by_a_process_that_died_is_completed_once_after_a_restart(
    any_db_harness: Harness,
) -> None:
    """The event was acked and recorded, then the process died before working it."""
    harness = any_db_harness
    harness.store_key()
    event = harness.slack.start_execution(inputs={"segment_name": NAME})
    form, _ = step.form_from_inputs(event["inputs"])
    assert form is not None
    draft = step_draft(form, Workspace(TEAM), event)
    record, _ = harness.services.submissions.open(draft, owner="a-dead-process", lease_seconds=60)
    harness.services.submissions.release(record.id, owner="a-dead-process")

    assert harness.worker.recover_once() == 1

    done = completed(harness, event["function_execution_id"])
    assert done["method"] == "functions.completeSuccess"
    assert len(harness.bunce.segments(LIVE_KEY)) == 1
    assert harness.services.submissions.get(record.id).state is State.ANNOUNCED


# -- the token's deadline (the hand-back on its own, against the fake Slack) -------------------
def _record(event: dict[str, Any], age: timedelta) -> SubmissionRecord:
    form, _ = step.form_from_inputs(event["inputs"])
    assert form is not None
    draft = step_draft(form, Workspace(TEAM), event)
    now = datetime.now(UTC)
    return SubmissionRecord(
        **{f: getattr(draft, f) for f in draft.__dataclass_fields__},
        id="s1",
        marker="abcd1234",
        state=State.CREATING,
        segment_id=None,
        segment_name=None,
        failure=None,
        failure_message=None,
        attempts=1,
        user_told=False,
        announced_channel_id=None,
        announced_ts=None,
        lease_owner=None,
        lease_until=None,
        created_at=now - age,
        updated_at=now,
    )


def test_while_bunce_is_silent_the_step_waits_until_its_deadline_then_ends_saying_so(
    fake_slack: FakeSlackApi,
) -> None:
    event = fake_slack.start_execution(inputs={"segment_name": NAME})
    client = WebClient(base_url=fake_slack.base_url, token="xoxb-unused")

    early = step.returns(client, _record(event, timedelta(minutes=5)), None, None)
    late = step.returns(client, _record(event, timedelta(minutes=13)), None, None)

    assert early is False
    assert late is True
    done = fake_slack.completions(event["function_execution_id"])
    assert [d["method"] for d in done] == ["functions.completeError"]
    assert "didn't answer for more than 12 minutes" in done[0]["error"]


def test_success_uses_the_executions_own_token(fake_slack: FakeSlackApi) -> None:
    event = fake_slack.start_execution(inputs={"segment_name": NAME})
    client = WebClient(base_url=fake_slack.base_url, token="xoxb-not-the-step-token")
    segment = Segment("seg1", NAME, None, None, False, None, 0)

    assert step.returns(client, _record(event, timedelta(0)), segment, None) is True

    done = fake_slack.completions(event["function_execution_id"])
    assert [(d["method"], d["ok"], d.get("outputs")) for d in done] == [
        ("functions.completeSuccess", True, {"segment_id": "seg1", "segment_name": NAME})
    ]
