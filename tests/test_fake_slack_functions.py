"""Faithfulness tests for the fake Slack's Workflow Builder custom steps (tests/fakes/slack/
functions.py), driven over HTTP with slack_sdk and Bolt for Python as the app would."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt import App, BoltRequest
from slack_bolt.request.internals import (
    extract_function_bot_access_token,
    extract_function_execution_id,
    extract_function_inputs,
)
from slack_bolt.request.payload_utils import is_function
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack import APP_ID, FUNCTION_TOKEN_PREFIX, FUNCTION_TOKEN_TTL, FakeSlackApi

REPO_MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"
BOT = "xoxb-t1"
OTHER_BOT = "xoxb-t2"
STEP = "create_bunce_segment"
INPUTS = {"segment_name": "Spring VIPs", "add_all_customers": False, "announce_channel": "C1"}
OUTPUTS = {"segment_id": "seg_123", "segment_name": "Spring VIPs"}
# The step as the app declares it in manifest.yml (Slack's manifest schema v1 shape).
MANIFEST = """
functions:
  create_bunce_segment:
    title: Create a Bunce segment
    description: Creates a customer segment in Bunce
    input_parameters:
      segment_name: {type: string, title: Segment name, is_required: true}
      description: {type: string, title: Description}
      add_all_customers: {type: boolean, title: Add all customers}
      announce_channel: {type: "slack#/types/channel_id", title: Share the card in}
    output_parameters:
      segment_id: {type: string, title: Segment ID, is_required: true}
      segment_name: {type: string, title: Segment name, is_required: true}
"""


class ManualClock:
    """A clock tests move by hand, so expiry needs no sleeping."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.t += seconds


@pytest.fixture
def clock() -> ManualClock:
    """A hand-moved clock for the fake."""
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock, tmp_path: Path) -> Iterator[FakeSlackApi]:
    """A running fake with workspaces T1 and T2, reading the step from a manifest like the app's."""
    manifest = tmp_path / "manifest.yml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    with FakeSlackApi(now=clock) as api:
        api.manifest_path = manifest
        api.add_workspace("T1", BOT)
        api.add_workspace("T2", OTHER_BOT)
        api.add_channel("C1", is_member=True, name="general")
        yield api


def client(fake: FakeSlackApi, token: str) -> WebClient:
    """The real slack_sdk client, pointed at the fake."""
    return WebClient(token=token, base_url=fake.base_url)


def start(fake: FakeSlackApi, **kwargs: Any) -> tuple[str, str]:
    """Start an execution in T1; its id and workflow token."""
    event = fake.start_execution(inputs=INPUTS, team_id="T1", **kwargs)
    return event["function_execution_id"], event["bot_access_token"]


def envelope(event: dict[str, Any], team_id: str = "T1") -> dict[str, Any]:
    """The event_callback wrapper (docs.slack.dev/reference/events/function_executed)."""
    return {
        "token": "verification-token",
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": "Ev0001",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": team_id, "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}
        ],
    }


def complete(fake: FakeSlackApi, token: str, execution_id: str, **outputs: Any) -> Any:
    """functions.completeSuccess as Bolt's complete() sends it."""
    return client(fake, token).functions_completeSuccess(
        function_execution_id=execution_id, outputs=outputs or OUTPUTS
    )


def slack_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    """The `error` field of a failed Slack call."""
    return excinfo.value.response["error"]


# ---- the event ------------------------------------------------------------------------------


def test_event_is_shaped_as_slack_sends_it_and_bolt_reads_it(fake):
    event = fake.start_execution(inputs=INPUTS, team_id="T1")
    assert event["type"] == "function_executed"
    assert set(event) == {
        "type",
        "function",
        "inputs",
        "function_execution_id",
        "workflow_execution_id",
        "event_ts",
        "bot_access_token",
    }
    function = event["function"]
    assert function["callback_id"] == STEP
    assert function["title"] == "Create a Bunce segment"
    assert function["type"] == "app" and function["app_id"] == APP_ID
    assert event["function_execution_id"].startswith("Fx")
    assert event["workflow_execution_id"].startswith("Wx")
    assert event["bot_access_token"].startswith(FUNCTION_TOKEN_PREFIX)
    assert event["inputs"] == INPUTS
    body = envelope(event)
    assert is_function(body)
    assert extract_function_execution_id(body) == event["function_execution_id"]
    assert extract_function_bot_access_token(body) == event["bot_access_token"]
    assert extract_function_inputs(body) == INPUTS


def test_event_declares_the_manifest_parameters(fake):
    function = fake.start_execution(inputs=INPUTS)["function"]
    inputs = {p["name"]: (p["type"], p["is_required"]) for p in function["input_parameters"]}
    assert inputs == {
        "segment_name": ("string", True),
        "description": ("string", False),
        "add_all_customers": ("boolean", False),
        "announce_channel": ("slack#/types/channel_id", False),
    }
    outputs = {p["name"]: (p["type"], p["is_required"]) for p in function["output_parameters"]}
    assert outputs == {"segment_id": ("string", True), "segment_name": ("string", True)}


def test_event_reads_the_repo_manifest_when_no_other_is_given():
    fake = FakeSlackApi()  # not started: start_execution needs no server
    declared = (yaml.safe_load(REPO_MANIFEST.read_text()).get("functions") or {}).get(STEP)
    function = fake.start_execution(inputs={})["function"]
    names = [p["name"] for p in function["output_parameters"]]
    assert names == list((declared or {}).get("output_parameters") or {})


def test_define_function_takes_the_v2_manifest_shape(fake):
    fake.define_function(
        "reverse",
        title="Reverse",
        input_parameters={"properties": {"text": {"type": "string"}}, "required": ["text"]},
        output_parameters={"properties": {"reversed": {"type": "string"}}, "required": []},
    )
    function = fake.start_execution(inputs={"text": "abc"}, callback_id="reverse")["function"]
    assert function["input_parameters"] == [{"name": "text", "type": "string", "is_required": True}]
    assert function["output_parameters"][0]["is_required"] is False


def test_without_a_definition_the_event_declares_nothing_and_any_outputs_pass(fake, tmp_path):
    fake.manifest_path = tmp_path / "missing.yml"
    execution_id, token = start(fake)
    assert fake.redeliver(execution_id)["function"]["output_parameters"] == []
    assert complete(fake, token, execution_id, anything=1)["ok"]


def test_redelivery_is_the_identical_event(fake):
    event = fake.start_execution(inputs=INPUTS, team_id="T1")
    assert fake.redeliver(event["function_execution_id"]) == event
    with pytest.raises(ValueError):
        fake.start_execution(inputs=INPUTS, function_execution_id=event["function_execution_id"])


# ---- completing -----------------------------------------------------------------------------


def test_complete_success_with_the_workflow_token(fake):
    execution_id, token = start(fake)
    assert complete(fake, token, execution_id)["ok"]
    assert fake.execution_state(execution_id) == "completed"
    done = {"method": "functions.completeSuccess", "outputs": OUTPUTS, "ok": True}
    assert fake.completions(execution_id) == [done]
    assert fake.wait_for_completion(execution_id) == done
    assert fake.calls("functions.completeSuccess")[0].token == token


def test_complete_error_with_the_workflow_token(fake):
    execution_id, token = start(fake)
    answer = client(fake, token).functions_completeError(
        function_execution_id=execution_id, error="I couldn't reach Bunce. Try again."
    )
    assert answer["ok"]
    assert fake.execution_state(execution_id) == "failed"
    assert fake.completions(execution_id) == [
        {
            "method": "functions.completeError",
            "error": "I couldn't reach Bunce. Try again.",
            "ok": True,
        }
    ]


def test_second_completion_is_refused(fake):
    execution_id, token = start(fake)
    complete(fake, token, execution_id)
    # The workflow token died with the step ...
    with pytest.raises(SlackApiError) as spent:
        complete(fake, token, execution_id)
    assert slack_error(spent) == "token_revoked"
    # ... and a still-valid token finds the step no longer running.
    with pytest.raises(SlackApiError) as again:
        client(fake, BOT).functions_completeError(function_execution_id=execution_id, error="x")
    assert slack_error(again) == "execution_not_in_running_state"
    assert [c["ok"] for c in fake.completions(execution_id)] == [True, False]
    assert fake.completions(execution_id)[1]["refusal"] == "execution_not_in_running_state"
    assert fake.execution_state(execution_id) == "completed"


def test_second_completion_with_a_token_kept_alive(fake):
    fake.token_ends_with_execution = False
    fake.ended_execution_error = "function_execution_not_found"
    execution_id, token = start(fake)
    complete(fake, token, execution_id)
    with pytest.raises(SlackApiError) as again:
        complete(fake, token, execution_id)
    assert slack_error(again) == "function_execution_not_found"


@pytest.mark.parametrize(
    ("token", "error"),
    [
        pytest.param("xwfp-never-issued", "invalid_auth", id="unknown-workflow-token"),
        pytest.param(OTHER_BOT, "access_denied", id="other-workspace-bot-token"),
    ],
)
def test_wrong_tokens_are_refused(fake, token, error):
    execution_id, _ = start(fake)
    with pytest.raises(SlackApiError) as excinfo:
        complete(fake, token, execution_id)
    assert slack_error(excinfo) == error
    assert fake.execution_state(execution_id) == "running"


def test_a_workflow_token_ends_only_its_own_execution(fake):
    first, _ = start(fake)
    _, second_token = start(fake)
    with pytest.raises(SlackApiError) as excinfo:
        complete(fake, second_token, first)
    assert slack_error(excinfo) == "access_denied"
    assert fake.completions(first)[0]["refusal"] == "access_denied"


def test_the_workspace_bot_token_completes_unless_switched_off(fake):
    execution_id, _ = start(fake)
    fake.bot_token_completes = False
    with pytest.raises(SlackApiError) as excinfo:
        complete(fake, BOT, execution_id)
    assert slack_error(excinfo) == "access_denied"
    fake.bot_token_completes = True
    assert complete(fake, BOT, execution_id)["ok"]


def test_unknown_execution_and_missing_arguments(fake):
    execution_id, token = start(fake)
    with pytest.raises(SlackApiError) as unknown:
        complete(fake, BOT, "Fx-never-ran")
    assert slack_error(unknown) == "function_execution_not_found"
    web = client(fake, token)
    with pytest.raises(SlackApiError) as no_outputs:
        web.api_call("functions.completeSuccess", params={"function_execution_id": execution_id})
    assert slack_error(no_outputs) == "invalid_arguments"
    with pytest.raises(SlackApiError) as no_error:
        web.functions_completeError(function_execution_id=execution_id, error="")
    assert slack_error(no_error) == "invalid_arguments"
    assert fake.execution_state(execution_id) == "running"


# ---- outputs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        pytest.param({"segment_id": "seg_1"}, "missing required field: segment_name", id="missing"),
        pytest.param(
            {"segment_id": "seg_1", "segment_name": None},
            "missing required field: segment_name",
            id="null",
        ),
        pytest.param(
            {"segment_id": 123, "segment_name": "x"}, "segment_id must be of type string", id="type"
        ),
        pytest.param({**OUTPUTS, "segmentId": "seg_1"}, "unknown field: segmentId", id="unknown"),
    ],
)
def test_outputs_that_do_not_conform_are_refused(fake, outputs, message):
    execution_id, token = start(fake)
    with pytest.raises(SlackApiError) as excinfo:
        client(fake, token).functions_completeSuccess(
            function_execution_id=execution_id, outputs=outputs
        )
    assert slack_error(excinfo) == "parameter_validation_failed"
    assert any(message in m for m in excinfo.value.response["response_metadata"]["messages"])
    assert fake.completions(execution_id) == [
        {
            "method": "functions.completeSuccess",
            "outputs": outputs,
            "ok": False,
            "refusal": "parameter_validation_failed",
        }
    ]
    # The step is still running: a conforming completion with the same token ends it.
    assert complete(fake, token, execution_id)["ok"]


def test_undeclared_outputs_can_be_ignored(fake):
    fake.undeclared_outputs = "ignore"
    execution_id, token = start(fake)
    assert complete(fake, token, execution_id, **OUTPUTS, extra="kept")["ok"]


# ---- the token's lifetime and reach ---------------------------------------------------------


def test_workflow_token_acts_as_the_bot_for_other_methods(fake):
    _, token = start(fake)
    web = client(fake, token)
    assert web.auth_test()["team_id"] == "T1"
    posted = web.chat_postMessage(channel="C1", text="Shared in #general")
    assert posted["ok"]
    assert fake.messages("C1")[-1]["text"] == "Shared in #general"


def test_token_stops_working_when_the_step_ends(fake):
    execution_id, token = start(fake)
    complete(fake, token, execution_id)
    with pytest.raises(SlackApiError) as excinfo:
        client(fake, token).chat_postMessage(channel="C1", text="late")
    assert slack_error(excinfo) == "token_revoked"
    assert client(fake, BOT).chat_postMessage(channel="C1", text="bot token")["ok"]


def test_token_expires_fifteen_minutes_after_issue(fake, clock):
    execution_id, token = start(fake)
    assert FUNCTION_TOKEN_TTL == 900
    clock.advance(FUNCTION_TOKEN_TTL)
    assert client(fake, token).auth_test()["ok"]
    clock.advance(1)
    for call in (
        lambda: client(fake, token).auth_test(),
        lambda: complete(fake, token, execution_id),
    ):
        with pytest.raises(SlackApiError) as excinfo:
            call()
        assert slack_error(excinfo) == "token_revoked"
    assert fake.execution_state(execution_id) == "running"


def test_token_ttl_and_expiry_answer_are_switches(fake, clock):
    fake.token_ttl = 60
    fake.expired_token_error = "token_expired"
    _, token = start(fake)
    clock.advance(61)
    with pytest.raises(SlackApiError) as excinfo:
        client(fake, token).auth_test()
    assert slack_error(excinfo) == "token_expired"


@pytest.mark.parametrize("by", ["execution_id", "token"])
def test_expire_token_by_execution_or_token(fake, by):
    execution_id, token = start(fake)
    fake.expire_token(execution_id if by == "execution_id" else token)
    with pytest.raises(SlackApiError) as excinfo:
        complete(fake, token, execution_id)
    assert slack_error(excinfo) == "token_revoked"
    # Ordinary tokens still expire as before (OAuthMixin.expire_token).
    fake.expire_token(BOT)
    with pytest.raises(SlackApiError) as bot:
        client(fake, BOT).auth_test()
    assert slack_error(bot) == "token_expired"


# ---- through Bolt ---------------------------------------------------------------------------


def test_bolt_function_listener_completes_with_the_workflow_token(fake):
    app = App(
        client=WebClient(token=BOT, base_url=fake.base_url),
        signing_secret="signing-secret",
    )
    seen: dict[str, Any] = {}

    @app.function(STEP)
    def step(inputs, client, complete):
        seen["inputs"], seen["token"] = inputs, client.token
        complete(outputs={"segment_id": "seg_9", "segment_name": inputs["segment_name"]})

    event = fake.start_execution(inputs=INPUTS, team_id="T1")
    body = json.dumps(envelope(event))
    stamp = str(int(time.time()))
    signature = SignatureVerifier("signing-secret").generate_signature(timestamp=stamp, body=body)
    headers = {
        "content-type": ["application/json"],
        "x-slack-request-timestamp": [stamp],
        "x-slack-signature": [signature],
    }
    assert app.dispatch(BoltRequest(body=body, headers=headers)).status == 200
    done = fake.wait_for_completion(event["function_execution_id"])
    assert done["outputs"] == {"segment_id": "seg_9", "segment_name": "Spring VIPs"}
    assert seen == {"inputs": INPUTS, "token": event["bot_access_token"]}
    assert fake.calls("functions.completeSuccess")[-1].token == event["bot_access_token"]
