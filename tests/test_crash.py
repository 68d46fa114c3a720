"""The app process killed (SIGKILL) between the ack and Bunce's answer, then restarted."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import requests
from cryptography.fernet import Fernet

from bot.store.crypto import KeyCipher
from bot.store.db import create_engine_for, init_db
from bot.store.keys import KeyStore
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi
from tests.harness import (
    CHANNEL,
    LIVE_KEY,
    SIGNING_SECRET,
    TEAM,
    TOKENS,
    USER,
    sign,
    state_for,
    wait_until,
)
from tests.test_entrypoints import clean_env, free_port, wait_healthy


class AppProcess:
    """`python -m bot` in HTTP mode, as `make run` starts it, pointed at the fakes."""

    def __init__(self, env: dict[str, str], port: int, cwd: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_healthy(self.url + "/healthz", self.process)

    def post(self, body: str) -> requests.Response:
        ts = int(time.time())
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sign(body, ts),
        }
        return requests.post(self.url + "/slack/events", data=body, headers=headers, timeout=10)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def connected_world(
    tmp_path: Path, slack: FakeSlackApi, bunce: FakeBunceApi, **extra: str
) -> dict[str, str]:
    """A workspace installed in the fake Slack, its key stored, and the app's environment."""
    key = Fernet.generate_key().decode()
    database = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    slack.add_workspace(TEAM, TOKENS[TEAM])
    slack.add_channel(CHANNEL, is_member=True)
    slack.add_user(USER, team_id=TEAM)
    bunce.add_key(LIVE_KEY)
    engine = create_engine_for(database)
    init_db(engine)
    KeyStore(engine, KeyCipher([key])).put(TEAM, LIVE_KEY, set_by="test")
    engine.dispose()
    return clean_env(
        tmp_path,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN=TOKENS[TEAM],
        SLACK_API_URL=slack.base_url,
        BUNCE_API_URL=bunce.live_url,
        BUNCE_SANDBOX_API_URL=bunce.sandbox_url,
        DATABASE_URL=database,
        ENCRYPTION_KEY=key,
        PORT=str(free_port()),
        **extra,
    )


def test_killed_mid_create_then_restarted_creates_exactly_one_and_tells_the_user(
    tmp_path: Path,
) -> None:
    import json

    with FakeSlackApi() as slack, FakeBunceApi() as bunce:
        env = connected_world(tmp_path, slack, bunce, WORKER_LEASE_SECONDS="2")
        first = AppProcess(env, int(env["PORT"]), tmp_path)
        try:
            command = {
                "team_id": TEAM,
                "channel_id": CHANNEL,
                "user_id": USER,
                "command": "/segment",
                "text": "Survivor",
                "response_url": slack.response_url(),
                "trigger_id": slack.issue_trigger(),
            }
            assert first.post(urlencode(command)).status_code == 200
            view = slack.wait_for("views.open")[0].response["view"]
            # Bunce creates the segment at once but its answer never arrives in time.
            bunce.fail_next(after_processing=True, delay=30.0, method="POST")
            payload = {
                "type": "view_submission",
                "team": {"id": TEAM},
                "user": {"id": USER, "team_id": TEAM},
                "view": {**view, "state": state_for("Survivor")},
                "response_urls": [],
            }
            ack = first.post(urlencode({"payload": json.dumps(payload)}))
            assert ack.json()["view"]["callback_id"] == "segment_progress"
            bunce.wait_for_requests(1, predicate=lambda r: r.method == "POST")
            first.kill()  # between the ack and Bunce's answer
        finally:
            first.stop()

        second = AppProcess(env, int(env["PORT"]), tmp_path)
        try:
            wait_until(lambda: slack.calls("chat.postMessage"), timeout=30)
            wait_until(
                lambda: slack.views[view["id"]]["callback_id"] == "segment_result", timeout=30
            )
        finally:
            second.stop()

        assert len(bunce.segments(LIVE_KEY)) == 1
        assert len([r for r in bunce.requests if r.method == "POST"]) == 1
        assert slack.views[view["id"]]["title"]["text"] == "Segment created"
        assert len(slack.messages(CHANNEL)) == 1
