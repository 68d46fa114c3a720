"""Exactly one segment or a clear "not created", under Bunce, Slack and database faults."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bot.create.worker import SubmissionWorker
from bot.deps import build_services
from bot.slack.clients import client_factory
from bot.store.submissions import State
from tests.conftest import running_app
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi
from tests.harness import (
    CHANNEL,
    FAST_POLICY,
    LIVE_KEY,
    TEAM,
    Harness,
    state_for,
    wait_until,
)
from tests.test_wsgi import DatabaseOutage


def posts(h: Harness) -> int:
    return len([r for r in h.bunce.requests if r.method == "POST"])


def rows(h: Harness) -> list[dict]:
    with h.services.engine.connect() as conn:
        result = conn.execute(sa.text("SELECT * FROM submissions ORDER BY created_at"))
        return [dict(row._mapping) for row in result]


def outcome_view(h: Harness, view_id: str, timeout: float = 10.0) -> dict:
    """The last view the app put in this modal once it shows an outcome."""

    def shown() -> dict | None:
        for call in reversed(h.slack.calls("views.update")):
            if (
                call.args.get("view_id") == view_id
                and call.args["view"]["callback_id"] == "segment_result"
            ):
                return call.args["view"]
        return None

    wait_until(lambda: shown() is not None, timeout)
    return shown()  # type: ignore[return-value]


def submit(h: Harness, name: str = "Spring") -> dict:
    view = h.open_modal()
    response = h.send_submission(view, state_for(name))
    assert response.status_code == 200
    return view


def test_read_timeout_after_creating_is_reconciled_not_repeated(any_db_harness: Harness) -> None:
    h = any_db_harness
    h.store_key()
    h.bunce.fail_next(after_processing=True, delay=3.0, method="POST")  # created, answer lost

    view = submit(h)

    shown = outcome_view(h, view["id"])
    h.background.wait_idle()
    assert shown["title"]["text"] == "Segment created"
    assert posts(h) == 1  # never sent again
    assert len(h.bunce.segments(LIVE_KEY)) == 1
    assert [r["state"] for r in rows(h)] == ["announced"]
    assert len(h.slack.messages(CHANNEL)) == 1


def test_5xx_before_creating_is_retried_once_absence_is_confirmed(any_db_harness: Harness) -> None:
    h = any_db_harness
    h.store_key()
    h.bunce.fail_next(status=503, method="POST")

    view = submit(h)

    assert outcome_view(h, view["id"])["title"]["text"] == "Segment created"
    kinds = [(r.method, r.path) for r in h.bunce.requests]
    first = kinds.index(("POST", "/segments"))
    assert kinds[:first] == [("GET", "/segments")]  # the namesakes before the first POST
    assert ("GET", "/segments") in kinds[first + 1 : -1]  # looked before re-sending
    assert kinds[-1] == ("POST", "/segments")
    assert len(h.bunce.segments(LIVE_KEY)) == 1
    h.background.wait_idle()
    assert rows(h)[0]["attempts"] == 2


def test_429_waits_for_retry_after_then_creates_once(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.fail_next(status=429, headers={"Retry-After": "1"}, method="POST")

    view = submit(harness)

    assert outcome_view(harness, view["id"])["title"]["text"] == "Segment created"
    assert posts(harness) == 2
    first_post = next(i for i, r in enumerate(harness.bunce.requests) if r.method == "POST")
    after = harness.bunce.requests[first_post:]
    assert not [r for r in after if r.method == "GET"]  # a 429 is unambiguous: no looking
    assert len(harness.bunce.segments(LIVE_KEY)) == 1


@pytest.fixture
def refused(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> Iterator[Harness]:
    env = {"BUNCE_API_URL": fake_bunce.connection_refused_url}
    with running_app(sqlite_url, fake_slack, fake_bunce, env) as h:
        yield h


def test_connection_refused_is_retried_then_reported_not_created(refused: Harness) -> None:
    refused.services.keys.put(TEAM, LIVE_KEY, set_by="test")

    view = submit(refused)

    shown = outcome_view(refused, view["id"])
    refused.background.wait_idle()
    assert shown["title"]["text"] == "Segment not created"
    assert "Bunce is unavailable" in json.dumps(shown)
    record = rows(refused)[0]
    assert (record["state"], record["attempts"], record["user_told"]) == ("failed", 4, True)


def test_the_same_view_submitted_concurrently_creates_one_segment(any_db_harness: Harness) -> None:
    h = any_db_harness
    h.store_key()
    view = h.open_modal()
    barrier = threading.Barrier(6)
    answers: list[str] = []

    def click() -> None:
        barrier.wait()
        answers.append(h.send_submission(view, state_for("Twice")).json()["response_action"])

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    outcome_view(h, view["id"])
    h.background.wait_idle()
    assert answers == ["update"] * 6
    assert posts(h) == 1
    assert len(rows(h)) == 1
    assert len(h.slack.messages(CHANNEL)) == 1


def test_a_failed_submission_can_be_retried_and_then_creates_once(harness: Harness) -> None:
    harness.store_key()
    harness.bunce.fail_next(status=401, method="POST")
    view = submit(harness)
    assert outcome_view(harness, view["id"])["title"]["text"] == "Segment not created"
    harness.background.wait_idle()

    harness.send_action(harness.slack.views[view["id"]], "segment_edit_retry")
    wait_until(lambda: harness.slack.views[view["id"]]["callback_id"] == "segment_create")
    again = harness.send_submission(harness.slack.views[view["id"]], state_for("Spring"))

    assert again.json()["view"]["callback_id"] == "segment_progress", again.text
    harness.slack.wait_for("chat.postMessage")
    harness.background.wait_idle()
    assert len(harness.bunce.segments(LIVE_KEY)) == 1
    assert [r["state"] for r in rows(harness)] == ["announced"]


def test_database_lost_mid_flow_is_recovered_with_one_segment(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    with running_app(sqlite_url, fake_slack, fake_bunce, {"WORKER_LEASE_SECONDS": "1"}) as h:
        h.store_key()
        h.bunce.fail_next(delay=1.0, method="POST")  # long enough to lose the database
        outage = DatabaseOutage(h)
        view = submit(h)
        h.bunce.wait_for_requests(1, predicate=lambda r: r.method == "POST")  # in flight
        outage.start()
        h.background.wait_idle()  # the job could not record the result and stopped
        outage.end()

        wait_until(lambda: h.worker.recover_once() > 0, timeout=10)

        shown = outcome_view(h, view["id"])
        h.background.wait_idle()
        assert shown["title"]["text"] == "Segment created"
        assert posts(h) == 1  # the recovery found it by its marker instead of creating again
        assert len(h.bunce.segments(LIVE_KEY)) == 1
        assert rows(h)[0]["user_told"]


def test_two_processes_racing_for_a_pending_submission_one_works_it(
    database_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    with running_app(database_url, fake_slack, fake_bunce) as h:
        h.store_key()
        h.orphan()
        others = [build_services(h.settings, timeout=(1.0, 2.0)) for _ in range(3)]
        workers = [
            SubmissionWorker(s.create_deps(), client_factory(h.settings, None), policy=FAST_POLICY)
            for s in (h.services, *others)
        ]
        barrier = threading.Barrier(len(workers))
        claimed: list[int] = []

        def race(worker: SubmissionWorker) -> None:
            barrier.wait()
            claimed.append(worker.recover_once())

        threads = [threading.Thread(target=race, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for services in others:
            services.background.shutdown(wait=True)
        h.background.wait_idle()

        assert sorted(claimed) == [0, 0, 0, 1]
        wait_until(lambda: rows(h)[0]["state"] == State.ANNOUNCED.value)
        assert posts(h) == 1
        assert len(h.slack.messages(CHANNEL)) == 1
        assert "Orphan" in json.dumps(h.slack.messages(CHANNEL)[0])
        for services in others:
            services.close()
