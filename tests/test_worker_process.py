"""The Procfile's worker process (`python -m bot worker`, SUBMISSION_WORKER=separate on web:).

The web process records each submission leased to nobody and acks; a real `python -m bot
worker` process, on the same database and the same fakes, creates the segment, posts the card
and tells the person. Without a worker, the web process works it itself after the grace.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.store.records import State
from tests.conftest import running_app
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi
from tests.harness import LIVE_KEY, Harness, state_for, wait_until
from tests.test_entrypoints import clean_env

SEPARATE = {"SUBMISSION_WORKER": "separate"}


@contextmanager
def worker_process(h: Harness, tmp_path: Path, **extra: str) -> Iterator[subprocess.Popen]:
    """`python -m bot worker` with the web process's settings, until it is told to stop."""
    settings = h.settings
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=settings.bot_token or "",
        SLACK_API_URL=settings.slack_api_url,
        BUNCE_API_URL=settings.bunce_api_url,
        BUNCE_SANDBOX_API_URL=settings.bunce_sandbox_api_url,
        DATABASE_URL=settings.database_url,
        ENCRYPTION_KEY=",".join(settings.encryption_keys),
        **extra,
    )
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"], cwd=tmp_path, env=env, stderr=log
    )
    try:
        wait_until(
            lambda: (
                b"worker process ready" in (tmp_path / "worker.log").read_bytes()
                or process.poll() is not None
            ),
            timeout=20,
        )
        assert process.poll() is None, (tmp_path / "worker.log").read_text()
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        log.close()


def cards(slack: FakeSlackApi, name: str) -> list[object]:
    return [c for c in slack.calls("chat.postMessage") if name in str(c.args.get("text"))]


def owner_pid(h: Harness, submission_id: str) -> int:
    record = h.services.submissions.get(submission_id)
    assert record is not None and record.lease_owner is not None
    return int(record.lease_owner.split(":")[1])


def test_a_worker_process_creates_what_the_web_process_records(
    database_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi, tmp_path: Path
) -> None:
    with (
        running_app(database_url, fake_slack, fake_bunce, SEPARATE) as h,
        worker_process(h, tmp_path) as worker,
    ):
        h.store_key()
        view = h.open_modal()

        answer = h.send_submission(view, state_for("Launch leads"))

        assert answer.status_code == 200
        assert answer.json()["view"]["callback_id"] == "segment_progress"
        wait_until(lambda: cards(h.slack, "Launch leads"), timeout=20)
        [segment] = fake_bunce.segments(LIVE_KEY)
        assert segment["name"] == "Launch leads"
        wait_until(lambda: h.slack.views[view["id"]]["callback_id"] == "segment_result")

        def row() -> sa.Row:
            with h.services.engine.connect() as conn:
                return conn.execute(sa.text("SELECT id, state, user_told FROM submissions")).one()

        wait_until(lambda: row().user_told, timeout=10)  # recorded just after the modal shows it
        assert row().state == State.ANNOUNCED.value
        assert owner_pid(h, row().id) == worker.pid  # the worker did it, not the web process


def test_without_a_worker_the_web_process_works_it_after_the_grace(
    sqlite_url: str,
    fake_slack: FakeSlackApi,
    fake_bunce: FakeBunceApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = SEPARATE | {"WORKER_GRACE_SECONDS": "0.5", "WORKER_LEASE_SECONDS": "2"}
    with running_app(sqlite_url, fake_slack, fake_bunce, env) as h:
        h.store_key()
        view = h.open_modal()
        with caplog.at_level(logging.WARNING, logger="bot.create.worker"):
            h.worker.start()  # the web process's recovery loop, as build_application starts it
            assert h.send_submission(view, state_for("Nobody home")).status_code == 200
            assert h.services.submissions.counts()[State.PENDING] == 1  # left for a worker

            wait_until(lambda: cards(h.slack, "Nobody home"), timeout=10)

        assert len(fake_bunce.segments(LIVE_KEY)) == 1
        assert "waited 0.5 s for a worker process; working it here" in caplog.text


def test_a_busy_worker_keeps_its_backlog(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    """A worker that said it is alive may be busy (waiting on Bunce's budget): the web process
    must not take its backlog, however long the rows wait."""
    env = SEPARATE | {"WORKER_GRACE_SECONDS": "0.5", "WORKER_LEASE_SECONDS": "2"}
    with running_app(sqlite_url, fake_slack, fake_bunce, env) as h:
        h.store_key()
        view = h.open_modal()
        assert h.send_submission(view, state_for("Queued")).status_code == 200
        wait_until(lambda: h.services.submissions.stale(idle_for=0.5), timeout=5)

        h.services.submissions.beat("a-busy-worker")  # as it does every second
        assert h.worker.recover_once() == 0
        assert h.services.submissions.counts()[State.PENDING] == 1
        assert fake_bunce.requests == []

        h.services.submissions.forget_worker("a-busy-worker")  # it stopped
        assert h.worker.recover_once() == 1
        wait_until(lambda: cards(h.slack, "Queued"), timeout=10)


def test_the_worker_process_stops_on_sigterm_and_refuses_a_bad_setting(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi, tmp_path: Path
) -> None:
    with (
        running_app(sqlite_url, fake_slack, fake_bunce, SEPARATE) as h,
        worker_process(h, tmp_path) as worker,
    ):
        # Acks first on a shared host: the worker runs at a lower priority than the web process.
        assert (
            os.getpriority(os.PRIO_PROCESS, worker.pid) == os.getpriority(os.PRIO_PROCESS, 0) + 10
        )
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "worker"],
        env=clean_env(tmp_path, SUBMISSION_WORKER="elsewhere", SLACK_BOT_TOKEN="xoxb-1"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2
    assert "SUBMISSION_WORKER must be inline" in bad.stderr
