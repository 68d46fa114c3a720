"""Each workspace's key is used only for that workspace, and no key ever reaches Slack or logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.harness import (
    LIVE_KEY,
    OTHER_KEY,
    OTHER_TEAM,
    SANDBOX_KEY,
    TEAM,
    Harness,
    state_for,
)


def create(h: Harness, name: str, team_id: str) -> None:
    view = h.open_modal(team_id=team_id)
    h.send_submission(view, state_for(name), team_id=team_id)


def test_two_workspaces_never_cross(harness: Harness) -> None:
    harness.store_key(LIVE_KEY, TEAM)
    harness.store_key(OTHER_KEY, OTHER_TEAM)

    create(harness, "First team's", TEAM)
    create(harness, "Second team's", OTHER_TEAM)

    harness.slack.wait_for("chat.postMessage", 2)
    harness.background.wait_idle()
    creates = [r for r in harness.bunce.requests if r.method == "POST"]
    by_key = {r.headers["X-Authorization"]: r.json["name"] for r in creates}
    assert by_key == {LIVE_KEY: "First team's", OTHER_KEY: "Second team's"}
    assert [s["name"] for s in harness.bunce.segments(LIVE_KEY)] == ["First team's"]
    assert [s["name"] for s in harness.bunce.segments(OTHER_KEY)] == ["Second team's"]


def test_a_workspace_without_a_key_does_not_borrow_another(harness: Harness) -> None:
    harness.store_key(LIVE_KEY, TEAM)

    response = harness.send_command(team_id=OTHER_TEAM)

    assert "isn't connected" in response.json()["text"]
    assert harness.slack.calls("views.open") == []


def test_sandbox_keys_go_to_the_sandbox(harness: Harness) -> None:
    harness.store_key(SANDBOX_KEY, TEAM)

    view = harness.open_modal()
    harness.send_submission(view, state_for("Test segment"))

    card = harness.slack.wait_for("chat.postMessage")[0].args
    request = harness.bunce.requests[0]
    assert request.env == "sandbox"
    assert "sandbox" in str(view["blocks"])
    assert "Bunce sandbox" in str(card["blocks"])


@pytest.mark.parametrize("fault", [None, {"status": 401}, {"status": 500}])
def test_the_key_never_reaches_slack_nor_the_logs(
    harness: Harness, caplog: pytest.LogCaptureFixture, tmp_path: Path, fault: dict | None
) -> None:
    caplog.set_level(logging.DEBUG)
    harness.store_key()
    if fault:
        harness.bunce.fail_next(**fault, method="POST")

    view = harness.open_modal()
    harness.send_submission(view, state_for("Spring", "desc"))
    harness.slack.wait_for("views.update")
    harness.background.wait_idle()

    assert harness.bunce.requests  # the key was used...
    sent_to_slack = b"".join(c.raw_body for c in harness.slack.requests)
    sent_to_slack += b"".join(p.raw_body for p in harness.slack.response_posts())
    assert LIVE_KEY.encode() not in sent_to_slack  # ...and never shown
    assert LIVE_KEY[8:].encode() not in sent_to_slack
    assert LIVE_KEY not in caplog.text
    assert LIVE_KEY not in "".join(repr(r.args) for r in caplog.records)
    database = Path(harness.settings.database_url.removeprefix("sqlite:///")).read_bytes()
    assert LIVE_KEY.encode() not in database
