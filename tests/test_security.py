"""Request authenticity, tampered state, tenant isolation and secret hygiene, through the app."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest

from bot import ids
from tests.harness import ADMIN, LIVE_KEY, OTHER_KEY, OTHER_TEAM, TEAM, Harness, sign, state_for

SECRET_BODY = "command=%2Fsegment&team_id=T0001&text=do-not-log-this-body&trigger_id=x"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no signature at all
        {"X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Signature": "garbage"},
        {"X-Slack-Request-Timestamp": "not-a-number"},
    ],
)
def test_unsigned_requests_are_refused_without_side_effects_or_logged_bodies(
    harness: Harness, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG)
    harness.store_key()
    ts = str(int(time.time()))
    sent = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts}
    sent.update(headers)

    response = harness.http.post(harness.url + "/slack/events", data=SECRET_BODY, headers=sent)

    assert response.status_code == 401
    assert harness.slack.requests == []
    assert "do-not-log-this-body" not in caplog.text


def test_slacks_unsigned_ssl_check_is_answered_200_and_dispatches_nothing(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    # What Slack sends to a distributed app's command URL (api.slack.com/interactivity/
    # slash-commands, "ssl_check"): no signature headers, a form body with ssl_check=1.
    caplog.set_level(logging.INFO)
    harness.store_key()
    body = urlencode({"ssl_check": "1", "token": "deprecated-verification-token"})

    response = harness.http.post(
        harness.url + "/slack/events",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 200
    assert response.text == ""
    assert harness.slack.requests == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_ssl_check_flag_does_not_smuggle_a_command_past_the_signature(
    harness: Harness,
) -> None:
    harness.store_key()
    body = SECRET_BODY + "&ssl_check=1"

    response = harness.http.post(
        harness.url + "/slack/events",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 200 and response.text == ""
    assert harness.slack.requests == []  # answered as a check; no views.open, nothing else


def test_replayed_request_older_than_five_minutes_is_refused(harness: Harness) -> None:
    old = int(time.time()) - 5 * 60 - 5
    response = harness.post(SECRET_BODY, timestamp=old, signature=sign(SECRET_BODY, old))

    assert response.status_code == 401


def test_oversized_bodies_are_refused_before_parsing(harness: Harness) -> None:
    body = "payload=" + "x" * (1024 * 1024 + 1)

    response = harness.post(body)

    assert response.status_code == 413
    assert harness.slack.requests == []


def test_healthz_reveals_only_status(harness: Harness) -> None:
    response = harness.http.get(harness.url + "/healthz")

    assert response.json() == {"ok": True}
    assert response.headers.get("Server", "").lower().find("bunce") == -1


def test_tampered_private_metadata_is_refused_and_nothing_is_created(harness: Harness) -> None:
    harness.store_key()
    view = harness.open_modal()
    mac, _, body = view["private_metadata"].partition(".")
    forged = {**view, "private_metadata": f"{mac}.{body.replace('C0PUBLIC', 'C0ELSEWHERE')}"}

    response = harness.send_submission(forged, state_for("Forged"))

    assert response.json()["response_action"] == "errors"
    assert "could not be verified" in response.json()["errors"][ids.NAME]
    harness.background.wait_idle()
    assert harness.bunce.requests == []
    assert (
        harness.services.submissions.counts()[next(iter(harness.services.submissions.counts()))]
        == 0
    )


def test_tampered_metadata_on_edit_and_retry_is_refused(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.fail_next(status=401, method="POST")
    view = harness.open_modal()
    harness.send_submission(view, state_for("Spring"))
    harness.slack.wait_for("views.update")
    harness.background.wait_idle()
    held = harness.slack.views[view["id"]]
    forged = {**held, "private_metadata": "AAAA." + json.dumps({"r": "https://evil.example/"})}

    harness.send_action(forged, ids.RETRY_ACTION)

    refusal = harness.slack.wait_for("views.open")[-1].args["view"]
    assert "could not be verified" in json.dumps(refusal)
    assert harness.slack.views[view["id"]]["callback_id"] == "segment_result"  # unchanged


def test_the_workspace_comes_from_the_signed_payload_not_from_user_text(harness: Harness) -> None:
    harness.store_key(LIVE_KEY, TEAM)
    harness.store_key(OTHER_KEY, OTHER_TEAM)
    view = harness.open_modal(f"team_id={OTHER_TEAM} {OTHER_KEY[:8]}")

    harness.send_submission(view, state_for(f"team {OTHER_TEAM}"))

    harness.slack.wait_for("chat.postMessage")
    assert {r.headers["X-Authorization"] for r in harness.bunce.requests} == {LIVE_KEY}


def test_no_secret_in_reprs(harness: Harness) -> None:
    texts = [repr(harness.settings), repr(harness.services), repr(harness.services.keys)]

    for secret in (harness.settings.signing_secret, harness.settings.bot_token, LIVE_KEY):
        assert secret and all(secret not in text for text in texts)
    assert all(key not in "".join(texts) for key in harness.settings.encryption_keys)


def test_the_cli_and_home_never_show_a_full_key(harness: Harness) -> None:
    harness.store_key()

    harness.send_event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
    status = harness.send_command("status")

    home = harness.slack.wait_for("views.publish")[0].raw_body
    assert LIVE_KEY.encode() not in home
    assert LIVE_KEY not in status.text
    assert urlencode({"k": LIVE_KEY}) not in status.text
