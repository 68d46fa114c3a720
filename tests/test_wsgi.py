"""The HTTP surface: /healthz, request signing, and behaviour when the database is down."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.harness import CHANNEL, LIVE_KEY, Harness, sign, state_for


def test_healthz_is_ok_with_a_database(harness: Harness) -> None:
    response = requests.get(harness.url + "/healthz", timeout=5)

    assert response.status_code == 200
    assert response.json() == {"ok": True}


class DatabaseOutage:
    """Replace the SQLite file with a directory: new connections fail, as when a disk dies."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.path = Path(harness.settings.database_url.removeprefix("sqlite:///"))
        self.aside = self.path.with_suffix(".aside")

    def start(self) -> None:
        self.path.rename(self.aside)
        self.path.mkdir()
        self.harness.services.engine.dispose()

    def end(self) -> None:
        if self.aside.exists():
            self.path.rmdir()
            self.aside.rename(self.path)
            self.harness.services.engine.dispose()


@pytest.fixture
def outage(harness: Harness) -> Iterator[DatabaseOutage]:
    outage = DatabaseOutage(harness)
    outage.start()
    yield outage
    outage.end()


def test_healthz_is_503_while_the_database_is_down_and_recovers(
    harness: Harness, outage: DatabaseOutage
) -> None:
    down = requests.get(harness.url + "/healthz", timeout=5)
    outage.end()
    up = requests.get(harness.url + "/healthz", timeout=5)

    assert down.status_code == 503
    assert down.json() == {"ok": False}
    assert up.status_code == 200


def test_command_with_the_database_down_says_so_and_opens_nothing(
    harness: Harness, outage: DatabaseOutage
) -> None:
    response = harness.send_command("Spring")

    assert response.status_code == 200
    assert "can't reach my database" in response.json()["text"]
    assert harness.slack.calls("views.open") == []


def test_bad_signature_and_stale_timestamp_are_refused(harness: Harness) -> None:
    harness.store_key()
    body = "command=%2Fsegment&team_id=T0001&trigger_id=x"
    old = int(time.time()) - 6 * 60

    forged = harness.post(body, signature="v0=" + "0" * 64)
    stale = harness.post(body, timestamp=old, signature=sign(body, old))

    assert forged.status_code == 401
    assert stale.status_code == 401
    assert harness.slack.requests == []


def test_the_same_view_submitted_twice_creates_one_segment(harness: Harness) -> None:
    harness.store_key()
    view = harness.open_modal()

    first = harness.send_submission(view, state_for("Twice", channel=CHANNEL))
    second = harness.send_submission(view, state_for("Twice", channel=CHANNEL))

    assert first.json()["response_action"] == second.json()["response_action"] == "update"
    harness.slack.wait_for("chat.postMessage")
    harness.background.wait_idle()
    assert len([r for r in harness.bunce.requests if r.method == "POST"]) == 1


def test_submission_with_the_database_down_tells_the_user_nothing_was_created(
    harness: Harness,
) -> None:
    harness.store_key()
    view = harness.open_modal()
    outage = DatabaseOutage(harness)
    outage.start()
    try:
        response = harness.send_submission(view, state_for("Spring"))
    finally:
        outage.end()
    again = harness.send_submission(view, state_for("Spring"))

    shown = response.json()["view"]
    assert response.json()["response_action"] == "update"
    assert "can't reach my database" in str(shown["blocks"])
    assert "the segment was not created" in str(shown["blocks"])
    assert shown["blocks"][-1]["elements"][0]["action_id"] == "segment_edit_retry"
    assert again.json()["view"]["callback_id"] == "segment_progress"  # recovered
    harness.slack.wait_for("chat.postMessage")
    assert len(harness.bunce.segments(LIVE_KEY)) == 1
