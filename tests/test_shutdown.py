"""SIGTERM: stop taking work; finish in-flight submissions or hand them to another process."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from urllib.parse import urlencode

from bot.create.worker import SubmissionWorker
from bot.deps import build_services
from bot.slack.clients import client_factory
from tests.conftest import running_app
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi
from tests.harness import (
    CHANNEL,
    FAST_POLICY,
    LIVE_KEY,
    TEAM,
    USER,
    state_for,
    wait_until,
)
from tests.test_crash import AppProcess, connected_world


def test_sigterm_lets_an_in_flight_submission_finish_then_exits(tmp_path: Path) -> None:
    with FakeSlackApi() as slack, FakeBunceApi() as bunce:
        env = connected_world(tmp_path, slack, bunce)
        port = int(env["PORT"])
        app = AppProcess(env, port, tmp_path)
        try:
            command = {
                "team_id": TEAM,
                "channel_id": CHANNEL,
                "user_id": USER,
                "command": "/segment",
                "response_url": slack.response_url(),
                "trigger_id": slack.issue_trigger(),
            }
            app.post(urlencode(command))
            view = slack.wait_for("views.open")[0].response["view"]
            bunce.fail_next(delay=2.0, method="POST")  # Bunce is slow to answer
            payload = {
                "type": "view_submission",
                "team": {"id": TEAM},
                "user": {"id": USER, "team_id": TEAM},
                "view": {**view, "state": state_for("Graceful")},
            }
            app.post(urlencode({"payload": json.dumps(payload)}))
            bunce.wait_for_requests(1, predicate=lambda r: r.method == "POST")
            started = time.monotonic()

            app.process.send_signal(signal.SIGTERM)
            code = app.process.wait(timeout=30)

            assert code == 0
            assert time.monotonic() - started < 25  # inside gunicorn's graceful timeout
        finally:
            app.stop()
        assert len(bunce.segments(LIVE_KEY)) == 1
        assert len(slack.messages(CHANNEL)) == 1
        assert slack.views[view["id"]]["title"]["text"] == "Segment created"


def test_stop_hands_back_what_cannot_finish_in_time(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    with running_app(sqlite_url, fake_slack, fake_bunce, bunce_timeout=(1.0, 5.0)) as h:
        h.store_key()
        h.bunce.fail_next(after_processing=True, delay=3.0, method="POST")
        view = h.open_modal()
        h.send_submission(view, state_for("Handed over"))
        h.bunce.wait_for_requests(1, predicate=lambda r: r.method == "POST")

        h.worker.stop(grace=0.1)  # Bunce is still answering

        services = build_services(h.settings, timeout=(1.0, 5.0))
        other = SubmissionWorker(
            services.create_deps(), client_factory(h.settings, None), policy=FAST_POLICY
        )
        assert other.recover_once() == 1  # released at once, not after the lease ran out
        wait_until(lambda: fake_slack.views[view["id"]]["callback_id"] == "segment_result", 15)
        other.stop()
        services.close()
        h.background.wait_idle(timeout=15)
        assert len(h.bunce.segments(LIVE_KEY)) == 1
        assert len(fake_slack.messages("C0PUBLIC")) == 1
